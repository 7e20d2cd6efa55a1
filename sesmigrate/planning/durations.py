"""How long a cohort's apply takes at SES's per-operation rates: the plan's true durations.

Pure. SES limits management calls per operation (about one a second each), so a phase in
which calls run side by side lasts as long as its busiest operation needs: its calls over
its rate (or all calls over an account-wide rate, if that is slower). A cohort's apply is
a sequence of such phases: the verification reads (`verification`: the lists, the cohort's
own resources), the health gate's bulk reads for every cohort after the first, then the
changes. The executor starts an action as soon as the actions it depends on are done, so
the changes run as one phase, plus one call's wait at each step down the dependency chain
(an association cannot start before its tenant's creation returns). Summing the phases,
not dividing the whole plan's calls by one rate, is what makes the estimate hold when one
operation is saturated and the others idle.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..actions.tenant import Action, CreateTenant

LIST_PAGES = {
    "ListEmailIdentities": 1000,
    "ListConfigurationSets": 1000,
    "ListEmailTemplates": 100,
    "ListTenants": 100,
}
"""The verification's lists and the page size it asks for."""
DEFAULT_RATE = 1.0
"""Calls a second per operation assumed when none is known: many SES operations allow 1."""
GATE_FILTERS = 3
"""ListReputationEntities filters a gate reads: DISABLED, HIGH impact, REINSTATED."""
TENANT_METRICS = ("Send", "Bounce", "Complaint")
"""The metrics the gate's conditions read per tenant, one GetMetricData query each."""
MAX_METRIC_QUERIES = 500
"""GetMetricData's limit of queries per call."""


@dataclass(frozen=True, slots=True)
class Rates:
    """The calls a second to estimate with, and where they come from."""

    by_operation: tuple[tuple[str, float], ...] = ()
    default: float = DEFAULT_RATE
    """For an operation with no rate of its own."""
    account: float | None = None
    """An account-wide cap on all calls together (`--rate`)."""
    source: str = "assumed"
    """given (by --rate/--op-rate), learned (from throttling, recorded), or assumed (1/s)."""

    @classmethod
    def given(cls, rate: float | None, op_rates: Mapping[str, float]) -> "Rates":
        """The rates the operator gave (`--rate`, `--op-rate`), or the assumed 1/s."""
        if rate is None and not op_rates:
            return ASSUMED
        return cls(
            by_operation=tuple(sorted(op_rates.items())),
            default=rate or DEFAULT_RATE,
            account=rate,
            source="given",
        )

    def of(self, operation: str) -> float:
        return dict(self.by_operation).get(operation, self.default)

    def describe(self) -> str:
        if self.source == "assumed":
            return f"at an assumed {self.default:g} call/s per operation"
        if self.account is not None and not self.by_operation:
            return f"at {self.account:g} calls/s for the account ({self.source})"
        if self.source == "learned" and self.default != DEFAULT_RATE:
            return f"at learned rates per operation (not yet learned: {self.default:g} calls/s)"
        return f"at {self.source} rates per operation"


ASSUMED = Rates()
"""One call a second per operation: what many SES operations allow, when nothing is known."""


@dataclass(frozen=True, slots=True)
class CohortEstimate:
    cohort: str
    calls: tuple[tuple[str, int], ...]
    """Every SES call of the cohort's apply, by operation: verification, gate, changes."""
    seconds: float
    busiest: str | None
    """The operation that takes longest over the whole cohort."""

    @property
    def total_calls(self) -> int:
        return sum(n for _, n in self.calls)


@dataclass(frozen=True, slots=True)
class CohortWork:
    """What a cohort's apply calls: the plan's facts an estimate needs, nothing more."""

    name: str
    identities: int
    configuration_sets: int
    templates: int
    batches: tuple[tuple[Action, ...], ...]
    gated: bool
    """Whether a health gate runs before it (every cohort after the first)."""
    metric_tenants: tuple[int, ...] = ()
    """How many tenants its gate reads the metrics of, per window (a cohort's tenants share
    one); empty while the metric conditions are off."""
    measurements: int = 1
    """How many times its gate reads them (`[gates] count`)."""
    interval_seconds: float = 0.0
    """The wait between two measurements."""


def duration(seconds: float) -> str:
    """For people: 45s, 12m03s, 27h10m (a long migration counts its hours, not days)."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


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


def changes_seconds(batches: list[Counter[str]], rates: Rates) -> float:
    """All changes side by side, plus one call of each later batch waiting on the one before."""
    changes: Counter[str] = Counter()
    for batch in batches:
        changes.update(batch)
    waits = sum(1 / max(rates.of(op) for op in batch) for batch in batches[1:] if batch)
    return phase_seconds(changes, rates) + waits


def cohort_estimate(
    work: CohortWork, names: Mapping[str, int], created: set[str], rates: Rates
) -> CohortEstimate:
    verify = verification_calls(work, names)
    gate: Counter[str] = Counter()
    if work.gated:
        pages = max(1, math.ceil(names.get("ListTenants", 0) / LIST_PAGES["ListTenants"]))
        # GetAccount: the account guard's EnforcementStatus
        gate = Counter(
            {"ListReputationEntities": GATE_FILTERS, "ListTenants": pages, "GetAccount": 1}
        )
        per_call = MAX_METRIC_QUERIES // len(TENANT_METRICS)
        if reads := sum(math.ceil(n / per_call) for n in work.metric_tenants if n):
            gate["GetMetricData"] = reads * work.measurements
    batches = [action_calls(batch, created) for batch in work.batches]
    seconds = phase_seconds(verify, rates) + phase_seconds(gate, rates)
    if "GetMetricData" in gate:
        seconds += (work.measurements - 1) * work.interval_seconds
    seconds += changes_seconds(batches, rates)
    total = verify + gate
    for batch in batches:
        total.update(batch)
    busiest = max(total, key=lambda op: (total[op] / rates.of(op), op), default=None)
    return CohortEstimate(work.name, tuple(sorted(total.items())), round(seconds, 1), busiest)


def created_tenants(actions: Iterable[Action]) -> set[str]:
    return {a.tenant for a in actions if isinstance(a, CreateTenant)}
