"""How long a cohort's apply takes at SES's per-operation rates: the plan's true durations.

Pure. SES limits management calls per operation (about one a second each), so a phase in
which calls run side by side lasts as long as its busiest operation needs: its calls over
its rate (or all calls over an account-wide rate, if that is slower). A cohort's apply is
a sequence of such phases: the verification reads (`verification`: the lists, the cohort's
own resources), the health gate's bulk reads for every cohort after the first, then each
batch of actions in turn (a batch waits for the one before it). Summing the phases, not
dividing the whole plan's calls by one rate, is what makes the estimate hold when one
operation is saturated and the others idle.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .actions import Action, CreateTenant

LIST_PAGES = {
    "ListEmailIdentities": 1000,
    "ListConfigurationSets": 1000,
    "ListEmailTemplates": 100,
    "ListTenants": 100,
}
"""The verification's lists and the page size it asks for."""
GATE_FILTERS = 3
"""ListReputationEntities filters a gate reads: DISABLED, HIGH impact, REINSTATED."""


@dataclass(frozen=True, slots=True)
class Rates:
    """The calls a second to estimate with, and where they come from."""

    by_operation: tuple[tuple[str, float], ...] = ()
    default: float = 1.0
    """For an operation with no rate of its own."""
    account: float | None = None
    """An account-wide cap on all calls together (`--rate`)."""
    source: str = "assumed"
    """given (by --rate/--op-rate), learned (from throttling, recorded), or assumed (1/s)."""

    def of(self, operation: str) -> float:
        return dict(self.by_operation).get(operation, self.default)

    def describe(self) -> str:
        if self.source == "assumed":
            return f"at an assumed {self.default:g} call/s per operation"
        if self.account is not None and not self.by_operation:
            return f"at {self.account:g} calls/s for the account ({self.source})"
        return f"at {self.source} rates per operation"


@dataclass(frozen=True, slots=True)
class CohortEstimate:
    cohort: str
    calls: tuple[tuple[str, int], ...]
    """Every SES call of the cohort's apply, by operation: verification, gate, changes."""
    seconds: float
    busiest: str | None
    """The operation that takes longest over the whole cohort."""


@dataclass(frozen=True, slots=True)
class CohortWork:
    """What a cohort's apply calls: the plan's facts an estimate needs, nothing more."""

    name: str
    identities: int
    configuration_sets: int
    templates: int
    batches: tuple[tuple[Action, ...], ...]
    gated: bool
    """Whether a health gate runs before it (every cohort after the first but cleanup)."""


def phase_seconds(calls: Mapping[str, int], rates: Rates) -> float:
    """Calls run side by side: the busiest operation sets the time, or the account's cap."""
    if not calls:
        return 0.0
    per_operation = max(n / rates.of(op) for op, n in calls.items())
    if rates.account is None:
        return per_operation
    return max(per_operation, sum(calls.values()) / rates.account)


def verification_calls(work: CohortWork, names: Mapping[str, int]) -> Counter[str]:
    """Lists (`names`: how many each list holds) and one read per resource of the cohort."""
    calls: Counter[str] = Counter(
        {op: max(1, math.ceil(names.get(op, 0) / size)) for op, size in LIST_PAGES.items()}
    )
    calls.update(
        {
            "GetEmailIdentity": work.identities,
            "GetConfigurationSet": work.configuration_sets,
            "GetEmailTemplate": work.templates,
        }
    )
    return +calls


def action_calls(actions: Iterable[Action], created: set[str]) -> Counter[str]:
    """The calls of the actions; `created`: tenants this plan creates (no reads for them)."""
    return Counter(
        op for action in actions for op in action.operations_for(action.tenant_name in created)
    )


def cohort_estimate(
    work: CohortWork, names: Mapping[str, int], created: set[str], rates: Rates
) -> CohortEstimate:
    verify = verification_calls(work, names)
    gate: Counter[str] = Counter()
    if work.gated:
        pages = max(1, math.ceil(names.get("ListTenants", 0) / LIST_PAGES["ListTenants"]))
        gate = Counter({"ListReputationEntities": GATE_FILTERS, "ListTenants": pages})
    batches = [action_calls(batch, created) for batch in work.batches]
    seconds = phase_seconds(verify, rates) + phase_seconds(gate, rates)
    seconds += sum(phase_seconds(batch, rates) for batch in batches)
    total = verify + gate
    for batch in batches:
        total.update(batch)
    busiest = max(total, key=lambda op: (total[op] / rates.of(op), op), default=None)
    return CohortEstimate(work.name, tuple(sorted(total.items())), round(seconds, 1), busiest)


def created_tenants(actions: Iterable[Action]) -> set[str]:
    return {a.tenant for a in actions if isinstance(a, CreateTenant)}
