"""Order the actions: dependencies, cohorts (canary, waves, cleanup) and batches.

Pure. A networkx DiGraph holds one node per action key; edges say "before": a tenant's
creation before its associations, policy and suppression attributes; a resource's new
association before its old one is removed (make-before-break); the monitoring log group,
its resource policy and the rule before the rule's target, so no event is routed before
it can be kept. The graph is validated first: a cycle is one error naming the actions in
it. Customers are put into cohorts, lowest risk first; each action belongs to the earliest
cohort of the customers that need it (a shared tier tenant is made with the first of its
customers; the monitoring, which no customer owns, with the first cohort), and removals
to the final `cleanup` cohort. A cohort's batches are the topological generations of its
own actions, sorted, so the same inputs always give the same batches.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from ..actions.monitoring import CreateLogGroup, PutLogsPolicy, PutRule, PutTarget
from ..actions.tenant import AttachResource, CreateTenant, DetachResource
from .diff import PlanError, PlannedAction
from .ownership import Customer
from .spec import CohortSpec

CANARY, CLEANUP = "canary", "cleanup"
LOW_RISK_TIERS = ("free", "trial", "basic", "starter")
HIGH_RISK_TIERS = ("vip", "enterprise", "premium", "dedicated")


@dataclass(frozen=True, slots=True)
class Cohort:
    name: str
    customers: tuple[str, ...]
    batches: tuple[tuple[str, ...], ...]
    """Action keys; the actions of a batch run concurrently, batches in order."""


def dependency_graph(actions: tuple[PlannedAction, ...]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(p.action.key for p in actions)
    created = {p.action.tenant: p.action.key for p in actions if isinstance(p.action, CreateTenant)}
    routed = [p.action.key for p in actions if isinstance(p.action, PutTarget)]
    prepared = [
        p.action.key
        for p in actions
        if isinstance(p.action, CreateLogGroup | PutLogsPolicy | PutRule)
    ]
    attaches: dict[str, list[str]] = defaultdict(list)
    for planned in actions:
        if isinstance(planned.action, AttachResource):
            attaches[planned.action.resource_arn].append(planned.action.key)
    edges = []
    for planned in actions:
        action = planned.action
        tenant = action.tenant_name
        if not isinstance(action, CreateTenant) and tenant in created:
            edges.append((created[tenant], action.key))
        if isinstance(action, DetachResource):
            edges += [(attach, action.key) for attach in attaches.get(action.resource_arn, ())]
    edges += [(first, then) for first in prepared for then in routed]
    graph.add_edges_from(edges)
    try:
        graph.graph["order"] = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        cycles = list(nx.simple_cycles(graph))
        raise PlanError(
            "the actions depend on each other in a cycle: "
            + "; ".join(" -> ".join([*cycle, cycle[0]]) for cycle in cycles)
        ) from None
    return graph


def risk(customer: Customer) -> tuple[int, int, str]:
    """Lower sorts first: low-risk tiers, then fewer resources, then the id."""
    tier = (customer.tier or "").lower()
    rank = 0 if tier in LOW_RISK_TIERS else 2 if tier in HIGH_RISK_TIERS else 1
    size = len(customer.identities) + len(customer.configuration_sets) + len(customer.templates)
    return (rank, size, customer.id)


def wave_sizes(total: int, settings: CohortSpec) -> list[int]:
    """How many customers each wave after the canary takes, for `total` customers in all.

    Growth: each wave is `growth` x the previous (the canary's size, at least 1), the last
    one takes the rest. Waves: cumulative percentages of all customers, rounded up so that
    1 % of 50 is one customer; an empty step is skipped and whoever the last step leaves
    (one below 100 %) forms a final wave, as Argo Rollouts promotes fully after its steps."""
    canary = min(settings.canary, total)
    rest = total - canary
    sizes: list[int] = []
    if settings.sizing == "wave_size":
        size = settings.wave_size or 1
        sizes = [min(size, rest - start) for start in range(0, rest, size)]
    elif settings.sizing == "waves":
        placed = canary
        for share in settings.waves:
            upto = min(total, math.ceil(round(share * total / 100, 9)))
            if upto > placed:
                sizes.append(upto - placed)
                placed = upto
        if placed < total:
            sizes.append(total - placed)
    else:
        previous, left = max(canary, 1), rest
        while left > 0:
            size = min(left, math.ceil(previous * settings.growth))
            sizes.append(size)
            previous, left = size, left - size
    return sizes


def customer_cohorts(
    customers: tuple[Customer, ...], settings: CohortSpec
) -> list[tuple[str, tuple[str, ...]]]:
    """(cohort name, customer ids) in apply order: canary, then waves, lowest risk first."""
    ordered = sorted(customers, key=risk)
    canary, rest = ordered[: settings.canary], ordered[settings.canary :]
    cohorts = [(CANARY, tuple(c.id for c in canary))] if canary else []
    if settings.by_tier:
        tiers: dict[str, list[str]] = {}
        for customer in rest:
            tiers.setdefault(customer.tier or "untiered", []).append(customer.id)
        waves = list(tiers.values())
    else:
        ids, waves, start = [c.id for c in rest], [], 0
        for size in wave_sizes(len(ordered), settings):
            waves.append(ids[start : start + size])
            start += size
    cohorts += [(wave_name(n), tuple(wave)) for n, wave in enumerate(waves, start=1)]
    return cohorts


def wave_name(number: int) -> str:
    return f"wave-{number}"


def cohorts(
    actions: tuple[PlannedAction, ...],
    customers: tuple[Customer, ...],
    settings: CohortSpec,
    named: list[tuple[str, tuple[str, ...]]] | None = None,
) -> tuple[Cohort, ...]:
    """Every customer in exactly one cohort and every action in exactly one batch.

    `named` is the membership to use (kept from earlier plans); by default it is sliced
    afresh from the customers and the settings."""
    graph = dependency_graph(actions)
    if named is None:
        named = customer_cohorts(customers, settings)
    if not named and any(not p.cleanup for p in actions):
        named = [(CANARY, ())]
    index = {customer: n for n, (_, ids) in enumerate(named) for customer in ids}
    members: dict[int, list[str]] = defaultdict(list)
    last = len(named)
    for planned in actions:
        if planned.cleanup:
            members[last].append(planned.action.key)
            continue
        known = [index[c] for c in planned.customers if c in index]
        first = known[0] if len(known) == 1 else min(known, default=0)
        members[first].append(planned.action.key)
    cohort_of = {key: n for n, keys in members.items() for key in keys}
    level = _levels(graph, cohort_of)
    result = []
    for n, (name, ids) in enumerate([*named, (CLEANUP, ())]):
        keys = members.get(n, [])
        if name == CLEANUP and not keys:
            continue
        batches: dict[int, list[str]] = defaultdict(list)
        for key in keys:
            batches[level[key]].append(key)
        result.append(Cohort(name, ids, tuple(tuple(sorted(batches[b])) for b in sorted(batches))))
    return tuple(result)


def _levels(graph: nx.DiGraph, cohort_of: dict[str, int]) -> dict[str, int]:
    """Each action's topological generation within its own cohort (earlier cohorts are done)."""
    level: dict[str, int] = {}
    for key in graph.graph["order"]:
        same = [level[p] for p in graph.predecessors(key) if cohort_of[p] == cohort_of[key]]
        level[key] = 1 + max(same) if same else 0
    return level


def gating_cohorts(order: list[str], name: str) -> list[str]:
    """The cohorts before `name` (of cohorts in apply `order`) whose health gates it. For
    cleanup that is every other cohort: its removals break what they make (make before
    break), and a deleted tenant's associations go with it whichever cohort replaces them.
    The cleanup cohort gates nothing."""
    return [n for n in order[: order.index(name)] if n != CLEANUP]
