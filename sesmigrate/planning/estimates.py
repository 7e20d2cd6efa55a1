"""A plan's durations: each cohort's apply at the rates sesmigrate will run at.

The plan records the rates known when it was made (given, learned or assumed); `show`
renders the cohorts' durations at those, and `apply` recomputes them at the rates known
when it runs (learned since, or given now), for the pending actions only, so the operator
sees what is left. The model itself is `durations`: this module only reads the plan's
facts -- each cohort's customers and their resources, its batches, how many names the
lists hold -- into it.
"""

from collections import Counter
from dataclasses import dataclass

from .durations import CohortEstimate, CohortWork, Rates, cohort_estimate, created_tenants
from .graph import CLEANUP
from .plan import Plan
from .spec import spec_from_mapping


@dataclass(frozen=True, slots=True)
class PlanEstimate:
    cohorts: tuple[CohortEstimate, ...]
    rates: Rates

    @property
    def seconds(self) -> float:
        return round(sum(c.seconds for c in self.cohorts), 1)

    @property
    def calls(self) -> int:
        return sum(c.total_calls for c in self.cohorts)

    def of(self, cohort: str) -> CohortEstimate:
        return next(c for c in self.cohorts if c.cohort == cohort)


def plan_estimate(
    plan: Plan,
    rates: Rates | None = None,
    cohorts: tuple[str, ...] | None = None,
    pending: frozenset[str] | None = None,
) -> PlanEstimate:
    """Every cohort's duration (or `cohorts`' only) at `rates` (default: the plan's own),
    counting only the `pending` action keys when given."""
    rates = rates or plan.rates
    by_key = {s.action.key: s.action for s in plan.steps}
    created = created_tenants(by_key.values())
    resources = {c.id: c for c in plan.customers}
    seen = plan.seen
    tenants = seen.tenants if seen is not None else 0
    gates = spec_from_mapping(plan.spec, "the plan's spec").gates
    judged: dict[str, str] = {}  # a gate reads each earlier tenant over its latest cohort's window
    estimates = []
    for index, cohort in enumerate(plan.cohorts):
        members = [resources[c] for c in cohort.customers if c in resources]
        batches = tuple(
            actions
            for batch in cohort.batches
            if (actions := tuple(by_key[k] for k in batch if pending is None or k in pending))
        )
        work = CohortWork(
            name=cohort.name,
            identities=sum(len(c.identities) for c in members),
            configuration_sets=sum(len(c.configuration_sets) for c in members),
            templates=sum(len(c.templates) for c in members),
            batches=batches,
            gated=index > 0,
            metric_tenants=tuple(Counter(judged.values()).values()) if gates.metrics else (),
            measurements=gates.count,
            interval_seconds=gates.interval_seconds,
        )
        names = {
            "ListEmailIdentities": len(seen.identities) if seen else 0,
            "ListConfigurationSets": len(seen.configuration_sets) if seen else 0,
            "ListEmailTemplates": len(seen.templates) if seen else 0,
            "ListTenants": tenants,
        }
        if cohorts is None or cohort.name in cohorts:
            estimates.append(cohort_estimate(work, names, created, rates))
        tenants += len(created_tenants(by_key[k] for batch in cohort.batches for k in batch))
        if cohort.name != CLEANUP:
            judged |= {
                t: cohort.name
                for step in plan.steps_of(cohort.name)
                if (t := step.action.tenant_name)
            }
    return PlanEstimate(tuple(estimates), rates)
