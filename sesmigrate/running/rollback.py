"""`rollback`: the journal's inverses, newest first, never what later cohorts still need.

Each applied action of the chosen cohorts is undone by its inverse (with the value it
replaced, as journaled); an action a later, still-applied cohort depends on (a shared tier
tenant the canary uses) is kept, and so is the migration's monitoring while another cohort
holds actions of this plan that stay applied: it watches their tenants. Rollback is itself
journaled and resumable.

Before anything runs, the caller is shown every inverse it will run (`RollbackPreview`),
as apply shows its actions: the CLI asks, and refuses irreversible ones (tenant and log
group deletions) under --auto-approve without --allow-irreversible, as apply does. A dry
run stops there.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..actions.monitoring import MonitoringAction
from ..actions.tenant import Action, Known, Memory, Outcome
from ..aws.clients import aws_errors
from ..errors import SesmigrateError
from ..planning.graph import dependency_graph
from ..planning.plan import Plan
from ..state.journal import DONE, ROLLBACK, Entry
from .apply import (
    NothingToDo,
    RunOptions,
    applied_state,
    close_session,
    cohort_status,
    open_session,
)
from .executor import Executor, RunResult


@dataclass(frozen=True)
class Undo:
    """One inverse the rollback will run, in running order; `certain` is False when the
    journal holds only the action's intent (an interrupted call): it runs only if that call
    made its effect."""

    cohort: str
    inverse: Action
    certain: bool

    def describe(self) -> str:
        maybe = "" if self.certain else " (if the interrupted call made it)"
        return self.inverse.describe() + maybe


@dataclass(frozen=True)
class RollbackPreview:
    cohorts: tuple[str, ...]
    customers: tuple[str, ...]
    undo: tuple[Undo, ...]
    kept: tuple[str, ...]

    @property
    def irreversible(self) -> tuple[Undo, ...]:
        return tuple(u for u in self.undo if u.inverse.irreversible)

    @property
    def losses(self) -> list[str]:
        """What the rollback destroys for good: the monitoring's log group (and its events)
        first, then the tenants it created (and their reputation history)."""
        certain = [u.inverse for u in self.irreversible if u.certain]
        certain.sort(key=lambda inverse: (inverse.tenant_name is not None, inverse.key))
        return [inverse.describe() for inverse in certain]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohorts": list(self.cohorts),
            "customers": len(self.customers),
            "actions": [
                {
                    "cohort": u.cohort,
                    "key": u.inverse.key,
                    "action": u.inverse.describe(),
                    "irreversible": u.inverse.irreversible,
                    "certain": u.certain,
                }
                for u in self.undo
            ],
            "kept": list(self.kept),
        }


@dataclass
class RollbackReport:
    result: RunResult
    cohorts: list[str]
    kept: list[str]
    """Actions left in place because a later, still-applied cohort depends on them."""
    preview: RollbackPreview
    dry_run: bool = False

    @property
    def not_run(self) -> int:
        """Inverses this run did not get to (interrupted, or a dry run)."""
        result = self.result
        ran = len(result.made) + len(result.found) + len(result.failed) + len(result.skipped)
        return max(0, len(self.preview.undo) - ran)


def rollback_cohorts(plan: Plan, entries: list[Entry], wanted: str | None) -> list[str]:
    status = cohort_status(plan, entries)
    names = [c.name for c in plan.cohorts]
    touched = [n for n in names if status[n] in ("applied", "partly applied") and plan.steps_of(n)]
    if wanted == "all":
        return touched
    if wanted is not None:
        if wanted not in names:
            raise SesmigrateError(
                f"the plan has no cohort {wanted!r}: its cohorts are {', '.join(names)}"
            )
        return [wanted]
    if not touched:
        raise NothingToDo("nothing of this plan is applied")
    return touched[-1:]


def run_rollback(
    options: RunOptions,
    plan: Plan,
    confirm: Callable[[RollbackPreview], None],
    progress: Any,
    stop: threading.Event | None = None,
) -> RollbackReport:
    session = open_session(options, plan)
    try:
        entries = session.journal.entries()
        chosen = rollback_cohorts(plan, entries, options.cohort)
        state = applied_state(entries)
        graph = dependency_graph(tuple(plan.steps))
        still_applied = {k for k, e in state.items() if e.state == DONE and e.cohort not in chosen}
        status = cohort_status(plan, entries)
        staying = {
            customer
            for cohort in plan.cohorts
            if cohort.name not in chosen and status[cohort.name] in ("applied", "partly applied")
            for customer in cohort.customers
        }
        # a cohort without actions counts as applied, but this plan changed nothing there
        watched = {e.cohort for e in state.values() if e.cohort not in chosen and _maybe_applied(e)}
        customers = sorted(
            {c for cohort in plan.cohorts if cohort.name in chosen for c in cohort.customers}
        )
        undo: list[tuple[Entry, Action]] = []
        kept = []
        by_key = {step.action.key: step for step in plan.steps}
        for entry in sorted(state.values(), key=lambda e: -e.seq):
            if entry.cohort not in chosen or not _maybe_applied(entry):
                continue
            step = by_key[entry.key]
            needed_later = set(_descendants(graph, entry.key)) & still_applied
            watching = isinstance(step.action, MonitoringAction) and bool(watched)
            if needed_later or set(step.customers) & staying or watching:
                kept.append(entry.key)
                continue
            undo.append((entry, step.action))
        batches = _reverse_batches(plan, undo)
        preview = RollbackPreview(
            tuple(chosen), tuple(customers), tuple(_planned(batches)), tuple(kept)
        )
        confirm(preview)
        if options.dry_run:
            return RollbackReport(RunResult(), chosen, kept, preview, dry_run=True)
        executor = Executor(
            session.clients.ses,
            session.journal,
            ROLLBACK,
            options.parallelism,
            progress=progress,
            stop=stop or threading.Event(),
            services=session.clients.services(),
        )
        progress.expect(len(undo))
        with aws_errors():
            result = executor.run(
                batches, lambda key: (), after=lambda key: _successors(graph, key)
            )
        return RollbackReport(result, chosen, kept, preview)
    finally:
        close_session(session, options.memory)


def _maybe_applied(entry: Entry) -> bool:
    """Done, or attempted and perhaps done (an interrupted or failed call may have reached
    AWS); a conflict refused before any change is not."""
    if entry.state == "failed":
        return not (entry.error or "").startswith("ActionConflict")
    return entry.state in (DONE, "intent")


def _planned(batches: list[list[tuple[Any, str]]]) -> list[Undo]:
    """The inverses in running order, as `_Inverse.apply` will compute them: from the
    journaled outcome, or, for an action with only its intent journaled, as if made."""
    planned = []
    for batch in batches:
        for undo, cohort in batch:
            entry, certain = undo.entry, undo.entry.state == DONE
            outcome = (
                Outcome(made=entry.made, previous=entry.previous)
                if certain
                else Outcome(made=True, previous=entry.noted)
            )
            inverse = undo.action.inverse(outcome)
            if inverse is not None:
                planned.append(Undo(cohort, inverse, certain))
    return planned


def _reverse_batches(plan: Plan, undo: list[tuple[Entry, Action]]) -> list[list[tuple[Any, str]]]:
    """Inverses grouped by the batch their actions ran in, latest cohort and batch first.

    The executor undoes the cohorts one after another in this order; within a cohort an
    inverse waits only for the inverses of what depended on its action (`_successors`), so
    nothing is removed before what depends on it, and the order here is the preference
    among inverses free to run together.
    """
    position = {
        key: (c, b)
        for c, cohort in enumerate(plan.cohorts)
        for b, batch in enumerate(cohort.batches)
        for key in batch
    }
    groups: dict[tuple[int, int], list[tuple[Any, str]]] = {}
    for entry, action in undo:
        groups.setdefault(position[entry.key], []).append((_Inverse(action, entry), entry.cohort))
    return [groups[place] for place in sorted(groups, reverse=True)]


def _successors(graph: Any, key: str) -> list[str]:
    return list(graph.successors(key)) if key in graph else []


def _descendants(graph: Any, key: str) -> list[str]:
    return list(nx.descendants(graph, key)) if key in graph else []


@dataclass(frozen=True)
class _Inverse:
    """Undo one journaled action: its inverse, keyed like it so the journal pairs them."""

    action: Action
    entry: Entry

    @property
    def key(self) -> str:
        return self.action.key

    @property
    def service(self) -> str:
        return self.action.service

    @property
    def tenant_name(self) -> str | None:
        return self.action.tenant_name

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        if self.entry.state != DONE:
            if not self.action.is_ours(ses):
                return Outcome(made=False)
            outcome = Outcome(made=True, previous=self.entry.noted)
        else:
            outcome = Outcome(made=self.entry.made, previous=self.entry.previous)
        inverse = self.action.inverse(outcome)
        if inverse is None:
            return Outcome(made=False)
        # the tenant's ARN still holds; its settings are ours now, not the creation defaults
        arn = memory.known.tenant_arn if memory else None
        return inverse.apply(ses, attempted_before, Memory(known=Known(tenant_arn=arn)))
