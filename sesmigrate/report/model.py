"""The review report's data: one versioned, documented shape for every format.

Pure. `report_data(plan)` is what the JSON format prints (its schema is
`templates/report/plan-report.schema.json`, shipped in the wheel) and what the text,
Markdown and HTML templates render, so every format says the same thing. Pipelines depend
on this shape: change it only with a new `format_version`.
"""

from collections import Counter, defaultdict
from typing import Any

from ..actions.monitoring import MonitoringAction
from ..planning.durations import duration
from ..planning.estimates import plan_estimate
from ..planning.graph import gating_cohorts
from ..planning.notices import SEVERITIES
from ..planning.plan import Plan
from ..planning.spec import GateSpec, spec_from_mapping
from .views import Part

REPORT_FORMAT_VERSION = 6
"""2: actions of the migration's monitoring (tenant null, new kinds) and `monitoring`.
3: each cohort's `estimate` (seconds, busiest operation, calls per operation), the
summary's `rates` (which, and where they come from) instead of one assumed rate.
4: `notices` (every blocker, warning and note sealed in the plan, with its consequence),
the summary's `notices` counts, each tenant's `suppression`, `associated` resources by kind
and `monitored`, and `part` (the cohort or customer a filtered view shows).
5: each cohort's `gate`: what the health gate before it checks (null for the first).
6: the gate's `metrics` add `account_bounce_rate_max`, `account_complaint_rate_max` and
`tiers` (each tier's overrides)."""

RESOURCE_KINDS = (
    ("identity", "identities"),
    ("configuration-set", "configuration_sets"),
    ("template", "templates"),
)
"""ARN resource type -> the key a tenant's `associated` lists it under."""


def report_data(
    plan: Plan,
    part: Part | None = None,
    order: list[str] | None = None,
    whole: Plan | None = None,
) -> dict[str, Any]:
    """Everything a reviewer needs, in apply order; `part` says which view of the plan
    `plan` is (see `views.plan_part`), `order` the whole plan's cohorts (the view's by
    default): a view of one cohort still says which cohorts gate it; `whole` the sealed
    plan (the view by default), whose monitoring actions a view of a later cohort lacks."""
    part = part or Part()
    tenants_by_cohort: dict[str, list[str]] = defaultdict(list)
    for step in plan.steps:
        tenant = step.action.tenant_name
        if tenant is not None and tenant not in tenants_by_cohort[step.cohort]:
            tenants_by_cohort[step.cohort].append(tenant)
    batch_of = {
        key: (cohort.name, n)
        for cohort in plan.cohorts
        for n, batch in enumerate(cohort.batches, start=1)
        for key in batch
    }
    estimate = plan_estimate(plan)
    gates = spec_from_mapping(plan.spec, "plan.spec").gates
    order = order or [cohort.name for cohort in plan.cohorts]
    cohorts = []
    for cohort in plan.cohorts:
        steps = plan.steps_of(cohort.name)
        actions = [
            {
                "kind": step.action.kind,
                "glyph": step.action.glyph,
                "tenant": step.action.tenant_name,
                "description": step.action.describe(),
                "irreversible": step.action.irreversible,
                "reason": step.reason,
                "batch": batch_of[step.action.key][1],
                "customers": list(step.customers),
            }
            for step in sorted(steps, key=lambda s: (batch_of[s.action.key][1], s.action.key))
        ]
        kinds = Counter(step.action.kind for step in steps)
        took = estimate.of(cohort.name)
        cohorts.append(
            {
                "name": cohort.name,
                "customers": list(cohort.customers),
                "tenants": sorted(tenants_by_cohort[cohort.name]),
                "batches": len(cohort.batches),
                "counts": dict(sorted(kinds.items())),
                "actions": actions,
                "estimate": {
                    "seconds": took.seconds,
                    "busiest": took.busiest,
                    "calls": dict(took.calls),
                },
                "gate": gate_view(gating_cohorts(order, cohort.name), gates),
            }
        )
    kinds = Counter(step.action.kind for step in plan.steps)
    monitoring = monitoring_view(whole or plan)
    severities = Counter(n.severity for n in plan.notices)
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "migration": plan.migration,
        "strategy": plan.spec.get("strategy"),
        "account": plan.account,
        "region": plan.region,
        "created_at": plan.created_at,
        "tool_version": plan.tool_version,
        "inventory_fingerprint": plan.fingerprint,
        "plan_checksum": plan.checksum,
        "summary": {
            "customers": sum(len(c.customers) for c in plan.cohorts),
            "tenants": len(plan.tenants),
            "tenants_to_create": kinds["create_tenant"],
            "actions": len(plan.steps),
            "irreversible_actions": sum(s.action.irreversible for s in plan.steps),
            "actions_by_kind": dict(sorted(kinds.items())),
            "api_calls": estimate.calls,
            "estimated_seconds": estimate.seconds,
            "rates": {
                "source": plan.rates.source,
                "description": plan.rates.describe(),
                "default": plan.rates.default,
                "account": plan.rates.account,
                "by_operation": dict(plan.rates.by_operation),
            },
            "has_changes": plan.has_changes,
            "notices": {severity: severities[severity] for severity in SEVERITIES},
        },
        "part": None if part.whole else {"cohort": part.cohort, "customer": part.customer},
        "cohorts": cohorts,
        "tenants": [
            {
                "name": t.name,
                "kind": t.kind,
                "key": t.key,
                "tier": t.tier,
                "policy": t.policy,
                "customers": list(t.customers),
                "resources": list(t.resources),
                "cohort": t.cohort,
                "suppression": None
                if t.suppression is None
                else {"reasons": list(t.suppression.reasons), "scope": t.suppression.scope},
                "associated": associated(t.resources),
                "monitored": monitoring is not None,
            }
            for t in plan.tenants
        ],
        "monitoring": monitoring,
        "notices": [n.to_dict() for n in plan.notices],
        "warnings": list(plan.warnings),
        "unmanaged_tenants": list(plan.unmanaged),
        "adopted_tenants": list(plan.adopted),
    }


def associated(arns: tuple[str, ...]) -> dict[str, list[str]]:
    """A tenant's resources by kind, by name: everything the plan associates with it."""
    found: dict[str, list[str]] = {key: [] for _, key in RESOURCE_KINDS}
    keys = dict(RESOURCE_KINDS)
    for arn in arns:
        kind, _, name = arn.split(":", 5)[-1].partition("/")
        if kind in keys:
            found[keys[kind]].append(name)
    return {key: sorted(names) for key, names in found.items()}


def monitoring_view(plan: Plan) -> dict[str, Any] | None:
    """Where the tenant events go, and what the plan changes for it; None if not asked for."""
    spec = spec_from_mapping(plan.spec, "plan.spec")
    if not spec.monitoring.enabled:
        return None
    steps = [s for s in plan.steps if isinstance(s.action, MonitoringAction)]
    return {
        "log_group": spec.monitoring.log_group,
        "rule": spec.monitoring_rule,
        "changes": len(steps),
        "cohort": steps[0].cohort if steps else None,
    }


def gate_view(after: list[str], gates: GateSpec) -> dict[str, Any] | None:
    """What the health gate over the tenants of the cohorts `after` checks, structured and
    in words every format shows alike; None when no cohort comes before. `after` is always
    a run of cohorts in apply order, so its first, last and count say it at any size."""
    if not after:
        return None
    metrics = None
    if gates.metrics:
        metrics = {
            "bounce_rate_max": gates.bounce_rate_max,
            "complaint_rate_max": gates.complaint_rate_max,
            "min_sends": gates.min_sends,
            "window_seconds": gates.window_seconds,
            "count": gates.count,
            "interval_seconds": gates.interval_seconds,
            "failure_limit": gates.failure_limit,
            "inconclusive_limit": gates.inconclusive_limit,
            "account_bounce_rate_max": gates.account_bounce_rate_max,
            "account_complaint_rate_max": gates.account_complaint_rate_max,
            "tiers": gates.tiers_dict(),
        }
    return {
        "after": {"first": after[0], "last": after[-1], "cohorts": len(after)},
        "allow_reinstated": gates.allow_reinstated,
        "account_enforcement": gates.account_enforcement,
        "soak_seconds": gates.soak_seconds,
        "metrics": metrics,
        "checks": gate_checks(gates),
    }


def gate_checks(gates: GateSpec) -> list[str]:
    """The gate's conditions in words, one a check, in the order the gate runs them."""
    reinstated = (
        "a REINSTATED tenant passes"
        if gates.allow_reinstated
        else "a REINSTATED tenant fails it too (allow_reinstated = false)"
    )
    soak = gates.soak_seconds
    checks = [
        f"soak: {duration(soak)} (soak_seconds {soak:g}) after the last of them finished"
        if soak
        else "no soak (soak_seconds 0)",
        "reputation: no tenant of theirs (or of the migration's earlier plans) missing, "
        f"DISABLED or with a HIGH reputation finding; {reinstated}",
        "probes: no such tenant whose latest probe (apply --probe) failed",
        "account guard: the account's EnforcementStatus is HEALTHY"
        if gates.account_enforcement
        else "account guard off (account_enforcement = false)",
    ]
    if not gates.metrics:
        return [*checks, "metric conditions off (no [gates] metric keys)"]
    return [
        *checks,
        f"metrics: over the {duration(gates.window_seconds)} (window_seconds "
        f"{gates.window_seconds:g}) since its cohort finished, each tenant (or its cohort, "
        f"summed) at bounce rate <= {gates.bounce_rate_max:.2%} (bounce_rate_max "
        f"{gates.bounce_rate_max:g}) and complaint rate <= {gates.complaint_rate_max:.2%} "
        f"(complaint_rate_max {gates.complaint_rate_max:g}); fewer than min_sends "
        f"{gates.min_sends} sends is inconclusive",
        *(
            [
                f"measurements: {gates.count}, {duration(gates.interval_seconds)} apart "
                f"(count, interval_seconds); more than {gates.failure_limit} failed "
                f"(failure_limit) fail it, more than {gates.inconclusive_limit} inconclusive "
                "(inconclusive_limit) stop it"
            ]
            if gates.count > 1
            else []
        ),
        *(
            [
                f"tiers: a tenant of a tier below is judged by its own conditions "
                f"({'; '.join(gates.tier_words())}), its cohort's sum by the strictest "
                "among its tenants' tiers"
            ]
            if gates.tiers
            else []
        ),
        f"account rates: the account's Reputation.BounceRate <= "
        f"{gates.account_bounce_rate_max:.2%} (account_bounce_rate_max "
        f"{gates.account_bounce_rate_max:g}) and Reputation.ComplaintRate <= "
        f"{gates.account_complaint_rate_max:.2%} (account_complaint_rate_max "
        f"{gates.account_complaint_rate_max:g}), their maximum since the earliest of them "
        "finished; no data points pass",
    ]
