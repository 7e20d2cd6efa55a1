"""Health between cohorts: the gate on the applied tenants' reputation, and their probes.

Health is read in bulk (ListReputationEntities filtered by status and impact), not one
call per tenant: a gate over thousands of tenants costs a few pages. The probe (`probe`)
sends one message through each tenant of a cohort to the SES mailbox simulator, the one
check that proves a sender naming the tenant gets through; its results are state, and a
tenant whose latest probe failed keeps the gate closed until a probe passes or the operator
accepts the failure (`--accept-failed-probe`).
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..actions.tenant import Action
from ..aws.clients import aws_errors
from ..errors import SesmigrateError
from ..listing import first_few
from ..planning.durations import MAX_METRIC_QUERIES, TENANT_METRICS
from ..planning.plan import Plan
from ..planning.snapshot import MANAGED_TAG
from ..planning.spec import GateSpec, spec_from_mapping
from ..state.probes import ProbeResult


class GateFailedError(SesmigrateError):
    def __init__(self, unhealthy: list[str], what: str = "") -> None:
        problem = what or f"{len(unhealthy)} tenant(s) unhealthy"
        super().__init__(
            f"health gate failed, {problem}: {', '.join(unhealthy[:5])}; "
            "investigate, roll back, or pass --skip-gates"
        )


class ProbeGateError(SesmigrateError):
    def __init__(self, failures: list[ProbeResult], retry: str) -> None:
        self.failures = failures
        shown = "; ".join(f"{r.tenant} after {r.cohort}: {r.detail}" for r in failures[:3])
        super().__init__(
            f"health gate failed, the last probe of {len(failures)} tenant(s) failed: {shown}; "
            f"fix it and re-run {retry}, roll back, or pass --accept-failed-probe"
        )


def unhealthy_tenants(ses: Any, tenants: set[str]) -> tuple[list[str], list[str]]:
    """(unhealthy, reinstated) among `tenants`, read in bulk with ListReputationEntities."""

    def names(filters: dict[str, str]) -> set[str]:
        found, token = set(), None
        while True:
            page = ses.list_reputation_entities(
                Filter=filters, PageSize=100, **({"NextToken": token} if token else {})
            )
            for entity in page.get("ReputationEntities", []):
                reference = entity["ReputationEntityReference"]
                if ":tenant/" in reference:
                    found.add(reference.split(":tenant/", 1)[1].split("/", 1)[0])
            token = page.get("NextToken")
            if not token:
                return found

    with aws_errors():
        disabled = names({"SENDING_STATUS": "DISABLED"})
        high = names({"REPUTATION_IMPACT": "HIGH"})
        reinstated = names({"SENDING_STATUS": "REINSTATED"})
    unhealthy = sorted((disabled | (high - reinstated)) & tenants)
    return unhealthy, sorted(reinstated & tenants)


def reinstated_allowed(spec: dict[str, object]) -> bool:
    """Whether the plan's spec lets a REINSTATED tenant (a HIGH finding the customer chose to
    override) pass the gate: `[gates] allow_reinstated`, true unless set false."""
    gates = spec.get("gates", {})
    return not isinstance(gates, dict) or gates.get("allow_reinstated", True) is not False


def tenants_of(plan: Plan, cohorts: list[str]) -> set[str]:
    return {t for s in plan.steps if s.cohort in cohorts and (t := s.action.tenant_name)}


def live_tenants(plan: Plan, done: set[str]) -> set[str]:
    """Tenants the applied steps (`done` keys) leave in place: touched, not deleted."""
    touched = {t for s in plan.steps if s.action.key in done and (t := s.action.tenant_name)}
    deleted = {
        s.action.tenant_name
        for s in plan.steps
        if s.action.key in done and s.action.kind == "delete_tenant"
    }
    return touched - deleted


def missing_tenants(ses: Any, tenants: set[str]) -> list[str]:
    """Those of `tenants` that do not exist, from ListTenants in bulk."""
    return sorted(tenants - _listed(ses))


def listed_tenants(ses: Any) -> dict[str, str]:
    """Every tenant's TenantId by name, from ListTenants in bulk."""
    return _listed_ids(ses)


def tagged_tenants(ses: Any, names: set[str], migration: str) -> set[str]:
    """Those of `names` that exist tagged with `migration`: one GetTenant each for the
    names ListTenants holds, none for the others."""
    found = set()
    with aws_errors():
        for name in sorted(names & _listed(ses)) if names else ():
            try:
                tenant = ses.get_tenant(TenantName=name)["Tenant"]
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                    continue
                raise
            tags = {t["Key"]: t.get("Value", "") for t in tenant.get("Tags", [])}
            if tags.get(MANAGED_TAG) == migration:
                found.add(name)
    return found


def _listed(ses: Any) -> set[str]:
    return set(_listed_ids(ses))


def _listed_ids(ses: Any) -> dict[str, str]:
    existing: dict[str, str] = {}
    token = None
    with aws_errors():
        while True:
            page = ses.list_tenants(PageSize=100, **({"NextToken": token} if token else {}))
            existing |= {t["TenantName"]: t.get("TenantId", "") for t in page.get("Tenants", [])}
            token = page.get("NextToken")
            if not token:
                return existing


class AccountEnforcementError(SesmigrateError):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"health gate failed, the account's EnforcementStatus is {status}, not HEALTHY "
            "(SES is reviewing its sending); investigate, roll back, or pass --skip-gates "
            "([gates] account_enforcement = false turns this check off)"
        )


def account_enforcement(ses: Any) -> str:
    """GetAccount's EnforcementStatus (HEALTHY when SES leaves it out)."""
    with aws_errors():
        return str(ses.get_account().get("EnforcementStatus") or "HEALTHY")


# The metric conditions: per tenant Send, Bounce and Complaint sums from CloudWatch
# (namespace AWS/SES, dimensions TenantName and TenantId together, as SES publishes them).

NAMESPACE = "AWS/SES"
ACCOUNT_METRICS = ("Reputation.BounceRate", "Reputation.ComplaintRate")
"""The account's rates, without dimensions, as SES publishes them."""
PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
NO_SENDS = "no sends yet (its senders have not switched)"


@dataclass(frozen=True)
class Volume:
    """What a tenant (or a cohort, summed) sent over its window, counted per recipient."""

    sends: float = 0.0
    bounces: float = 0.0
    complaints: float = 0.0

    def __add__(self, other: "Volume") -> "Volume":
        return Volume(
            self.sends + other.sends,
            self.bounces + other.bounces,
            self.complaints + other.complaints,
        )

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sends if self.sends else 0.0


@dataclass(frozen=True)
class Window:
    """The span a tenant is judged over: since its cohort finished, at most the spec's."""

    tenant: str
    tenant_id: str
    cohort: str
    start: float
    end: float
    tier: str | None = None
    """The plan's tier of the tenant, whose `[gates.tiers]` conditions judge it; None for
    one the plan does not know (of an earlier plan): the `[gates]` conditions."""


@dataclass(frozen=True)
class Verdict:
    subject: str
    """A tenant's name, or `cohort NAME` for a cohort judged on its summed volume."""
    outcome: str
    detail: str
    volume: Volume
    window: tuple[float, float]

    def line(self) -> str:
        return f"{self.subject} {self.detail} over {_span(self.window)}"

    def measured(self) -> str:
        """The volume and rates judged, whatever the outcome: what status shows of it."""
        volume = self.volume
        return (
            f"{_count(volume.sends)} sends, bounce rate {volume.bounce_rate:.2%}, complaint "
            f"rate {volume.complaint_rate:.2%} over {_span(self.window)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "outcome": self.outcome,
            "detail": self.detail,
            "sends": self.volume.sends,
            "bounces": self.volume.bounces,
            "complaints": self.volume.complaints,
            "window": {"start": self.window[0], "end": self.window[1]},
        }


def metric_windows(
    plan: Plan,
    finished: Callable[[str], float | None],
    cohorts: list[str],
    tenants: set[str],
    listed: dict[str, str],
    now: float,
    window_seconds: float,
) -> list[Window]:
    """Each of `tenants`' window: from when the latest of `cohorts` that touched it finished
    (`finished`, from the journal) to `now`, at most `window_seconds` long. A tenant of an
    earlier plan (no cohort here) is judged over the whole window."""
    earliest = now - window_seconds
    tiers = {t.name: t.tier for t in plan.tenants}
    cohort_of: dict[str, str] = {}
    for name in cohorts:
        for tenant in tenants_of(plan, [name]) & tenants:
            cohort_of[tenant] = name
    windows = []
    for tenant in sorted(tenants):
        cohort = cohort_of.get(tenant)
        done = finished(cohort) if cohort else None
        start = max(earliest, done if done is not None else earliest)
        where = cohort or "of earlier plans"
        windows.append(Window(tenant, listed.get(tenant, ""), where, start, now, tiers.get(tenant)))
    return windows


@dataclass(frozen=True)
class AccountRates:
    """The account's `Reputation.BounceRate` and `Reputation.ComplaintRate`, the Maximum
    over `window`; None without data points (an account with no recent sends has no rate).

    Maximum, not Average: each data point is already a rate (SES's running rate over the
    account's recent sends), so an average of them is no rate of any sends, and it would
    dilute a spike that SES's review has already seen."""

    bounce_rate: float | None
    complaint_rate: float | None
    window: tuple[float, float]

    def words(self) -> str:
        def rate(value: float | None) -> str:
            return "no data points" if value is None else f"{value:.2%}"

        return (
            f"bounce rate {rate(self.bounce_rate)}, complaint rate {rate(self.complaint_rate)} "
            f"(maximum over {_span(self.window)})"
        )


def tenant_volumes(cloudwatch: Any, windows: list[Window]) -> dict[str, Volume]:
    """Each window's tenant's Send/Bounce/Complaint sums (see `gate_metrics`)."""
    return gate_metrics(cloudwatch, windows, account=False)[0]


def gate_metrics(
    cloudwatch: Any, windows: list[Window], account: bool = True
) -> tuple[dict[str, Volume], AccountRates | None]:
    """Each window's tenant's Send/Bounce/Complaint sums: one GetMetricData per up to 500
    queries (windows of one span share a call; CloudWatch takes one span per call). With
    `account`, the account's rates too, in the first call of the longest span (the earliest
    judged cohort's, at most window_seconds): no call of its own, and the span the judged
    tenants have sent in; the account's rate before them is SES's enforcement status's to
    judge (the account guard). None when no span has begun (nothing was read)."""
    volumes: dict[str, Volume] = {}
    spans: dict[tuple[float, float], list[Window]] = {}
    for window in windows:
        if window.end > window.start:
            spans.setdefault((window.start, window.end), []).append(window)
        else:
            volumes[window.tenant] = Volume()
    rates = None
    per_call = (MAX_METRIC_QUERIES - len(ACCOUNT_METRICS)) // len(TENANT_METRICS)
    for (start, end), group in sorted(spans.items()):
        for first in range(0, len(group), per_call):
            with_account = account and rates is None
            read, maxima = _read(
                cloudwatch, group[first : first + per_call], start, end, with_account
            )
            volumes.update(read)
            if with_account:
                rates = AccountRates(*(maxima.get(m) for m in ACCOUNT_METRICS), (start, end))
    return volumes, rates


def _read(
    cloudwatch: Any, windows: list[Window], start: float, end: float, account: bool
) -> tuple[dict[str, Volume], dict[str, float]]:
    period = max(60, math.ceil((end - start) / 60) * 60)
    queries, ids = [], {}
    for n, window in enumerate(windows):
        for metric in TENANT_METRICS:
            query_id = f"t{n}_{metric.lower()}"
            ids[query_id] = (window.tenant, metric)
            dimensions = [
                {"Name": "TenantName", "Value": window.tenant},
                {"Name": "TenantId", "Value": window.tenant_id},
            ]
            queries.append(
                {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        "Period": period,
                        "Stat": "Sum",
                    },
                    "ReturnData": True,
                }
            )
    rates = {f"account{n}": m for n, m in enumerate(ACCOUNT_METRICS)} if account else {}
    for query_id, metric in rates.items():
        queries.append(
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": []},
                    "Period": period,
                    "Stat": "Maximum",
                },
                "ReturnData": True,
            }
        )
    sums: dict[tuple[str, str], float] = {}
    maxima: dict[str, float] = {}
    token = None
    with aws_errors():
        while True:
            page = cloudwatch.get_metric_data(
                MetricDataQueries=queries,
                StartTime=datetime.fromtimestamp(math.floor(start), UTC),
                EndTime=datetime.fromtimestamp(math.floor(end) + 1, UTC),
                **({"NextToken": token} if token else {}),
            )
            for result in page.get("MetricDataResults", []):
                query_id = result.get("Id", "")
                if query_id in rates and result.get("Values"):
                    metric = rates[query_id]
                    maxima[metric] = max([*result["Values"], maxima.get(metric, 0.0)])
                key = ids.get(query_id)
                if key is not None:
                    sums[key] = sums.get(key, 0.0) + sum(result.get("Values", []))
            token = page.get("NextToken")
            if not token:
                break
    return {
        w.tenant: Volume(*(sums.get((w.tenant, metric), 0.0) for metric in TENANT_METRICS))
        for w in windows
    }, maxima


def judge(subject: str, volume: Volume, gates: GateSpec, window: tuple[float, float]) -> Verdict:
    """A tenant's (a cohort's) verdict on its volume: inconclusive below min_sends, failed
    over either maximum rate, else passed."""
    if not volume.sends:
        return Verdict(subject, INCONCLUSIVE, NO_SENDS, volume, window)
    sends = _count(volume.sends)
    if volume.sends < gates.min_sends:
        detail = f"low volume ({sends} sends < min_sends {gates.min_sends})"
        return Verdict(subject, INCONCLUSIVE, detail, volume, window)
    over = []
    if volume.bounce_rate > gates.bounce_rate_max:
        over.append(
            f"bounce rate {volume.bounce_rate:.2%} > {gates.bounce_rate_max:.2%} "
            f"({_count(volume.bounces)} of {sends} sends)"
        )
    if volume.complaint_rate > gates.complaint_rate_max:
        over.append(
            f"complaint rate {volume.complaint_rate:.2%} > {gates.complaint_rate_max:.2%} "
            f"({_count(volume.complaints)} of {sends} sends)"
        )
    if over:
        return Verdict(subject, FAIL, " and ".join(over), volume, window)
    detail = (
        f"bounce rate {volume.bounce_rate:.2%}, complaint rate {volume.complaint_rate:.2%} "
        f"({sends} sends)"
    )
    return Verdict(subject, PASS, detail, volume, window)


@dataclass
class MetricVerdicts:
    failed: list[Verdict] = field(default_factory=list)
    inconclusive: list[Verdict] = field(default_factory=list)
    passed: list[Verdict] = field(default_factory=list)
    settled: list[Verdict] = field(default_factory=list)
    """Tenants inconclusive alone whose cohort passed on its summed volume."""


def tenant_verdicts(
    windows: list[Window], volumes: dict[str, Volume], gates: GateSpec
) -> list[Verdict]:
    """Each window's tenant judged on its own volume by its tier's conditions, in the order
    of `windows`."""
    return [
        judge(w.tenant, volumes.get(w.tenant, Volume()), gates.for_tier(w.tier), (w.start, w.end))
        for w in windows
    ]


def cohort_conditions(windows: list[Window], gates: GateSpec) -> dict[str, GateSpec]:
    """Each cohort's conditions for its summed volume: the strictest of its tenants' tiers'
    (`GateSpec.strictest`), so a VIP tenant's sum with free ones is held to the VIP's."""
    tiers: dict[str, list[str | None]] = {}
    for window in windows:
        tiers.setdefault(window.cohort, []).append(window.tier)
    return {cohort: gates.strictest(each) for cohort, each in tiers.items()}


def cohort_verdicts(
    windows: list[Window], volumes: dict[str, Volume], gates: GateSpec
) -> dict[str, Verdict]:
    """Each cohort judged on its tenants' summed volume, over the span their windows cover:
    what settles the tenants that sent too little alone. Each cohort is held to the
    strictest conditions among its tenants' tiers (`cohort_conditions`)."""
    conditions = cohort_conditions(windows, gates)
    totals: dict[str, Volume] = {}
    spans: dict[str, tuple[float, float]] = {}
    for window in windows:
        volume = volumes.get(window.tenant, Volume())
        totals[window.cohort] = totals.get(window.cohort, Volume()) + volume
        start, end = spans.get(window.cohort, (window.start, window.end))
        spans[window.cohort] = (min(start, window.start), max(end, window.end))
    return {c: judge(f"cohort {c}", totals[c], conditions[c], spans[c]) for c in sorted(totals)}


def pace_note(cohort: str, sends: float, finished: float, now: float, gates: GateSpec) -> str:
    """Why a finished cohort's gate will be inconclusive before its window is over, so the
    operator can act now rather than at the gate: its summed sends so far, at their pace,
    stay below min_sends by the window's end (`window_seconds` after it finished). Empty
    when they reach it, or when too little time has passed to measure a pace."""
    window = gates.window_seconds
    elapsed = min(now - finished, window)
    if not sends:
        return (
            f"cohort {cohort}: no sends in the {round(max(elapsed, 0))}s since it finished: "
            "its senders have not switched yet, so its gate will be inconclusive"
        )
    if sends >= gates.min_sends or elapsed <= 0:
        return ""
    projected = sends * window / elapsed
    if projected >= gates.min_sends:
        return ""
    remedy = "lower min_sends, widen window_seconds, or plan a bigger canary"
    if elapsed >= window:
        return (
            f"cohort {cohort}: {_count(sends)} sends in its whole {round(window)}s window, "
            f"below min_sends {gates.min_sends}: its gate will be inconclusive ({remedy})"
        )
    return (
        f"cohort {cohort}: {_count(sends)} sends in {round(elapsed)}s; at this pace about "
        f"{round(projected)} by the end of its {round(window)}s window, below min_sends "
        f"{gates.min_sends}: its gate will be inconclusive ({remedy})"
    )


def metric_verdicts(
    windows: list[Window], volumes: dict[str, Volume], gates: GateSpec
) -> MetricVerdicts:
    """Every tenant judged on its own volume, every cohort on its tenants' summed volume. A
    cohort whose sum reaches min_sends settles its inconclusive tenants by the sum's
    verdict: a pass lets them pass (said), a fail fails the cohort; a tenant's own fail
    stands whatever its cohort's."""
    out = MetricVerdicts()
    sums = cohort_verdicts(windows, volumes, gates)
    by_cohort: dict[str, list[Verdict]] = {}
    for verdict, window in zip(tenant_verdicts(windows, volumes, gates), windows, strict=True):
        by_cohort.setdefault(window.cohort, []).append(verdict)
    for cohort in sorted(by_cohort):
        verdicts = sorted(by_cohort[cohort], key=lambda v: v.subject)
        out.failed += [v for v in verdicts if v.outcome == FAIL]
        out.passed += [v for v in verdicts if v.outcome == PASS]
        unsure = [v for v in verdicts if v.outcome == INCONCLUSIVE]
        if not unsure:
            continue
        summed = sums[cohort]
        if summed.outcome == PASS:
            out.settled += unsure
        elif summed.outcome == FAIL and not any(v.outcome == FAIL for v in verdicts):
            out.failed.append(summed)
        else:
            out.inconclusive += unsure
    return out


class MetricGateFailedError(SesmigrateError):
    def __init__(self, failed: list[Verdict], rollback: str, measured: str = "") -> None:
        shown = first_few([v.line() for v in failed], 5, "; ", "; ")
        measured = f" ({measured})" if measured else ""
        super().__init__(
            f"health gate failed, {len(failed)} over the [gates] maximum rates: {shown}"
            f"{measured}; investigate, roll back ({rollback}), or pass --skip-gates"
        )


def account_rates_over(rates: AccountRates | None, gates: GateSpec) -> list[str]:
    """Which of the account's rates are over their `[gates]` maximum, in words; none
    without data points (an account with no recent sends has no rate to judge)."""
    if rates is None:
        return []
    over = []
    for what, rate, key, limit in (
        ("bounce", rates.bounce_rate, "account_bounce_rate_max", gates.account_bounce_rate_max),
        (
            "complaint",
            rates.complaint_rate,
            "account_complaint_rate_max",
            gates.account_complaint_rate_max,
        ),
    ):
        if rate is not None and rate > limit:
            over.append(f"{what} rate {rate:.2%} is over [gates] {key} {limit:.2%}")
    return over


class AccountRateError(SesmigrateError):
    def __init__(self, over: list[str], rates: AccountRates, rollback: str) -> None:
        super().__init__(
            f"health gate failed, the account's {' and its '.join(over)} (the maximum of "
            f"Reputation.*Rate over {_span(rates.window)}; SES reviews an account from 5% "
            f"bounces or 0.1% complaints); investigate, roll back ({rollback}), or pass "
            "--skip-gates"
        )


class InconclusiveGateError(SesmigrateError):
    def __init__(self, unsure: list[Verdict], min_sends: int) -> None:
        self.verdicts = unsure
        shown = first_few([v.line() for v in unsure], 5, "; ", "; ")
        super().__init__(
            f"health gate inconclusive, {len(unsure)} tenant(s) without min_sends "
            f"{min_sends} sends to judge: {shown}; wait for traffic and re-run, "
            "or pass --accept-inconclusive"
        )


def recent_sends(
    cloudwatch: Any, tenants: set[str], listed: dict[str, str], now: float, window_seconds: float
) -> dict[str, Volume]:
    """Those of `tenants` that sent in the last `window_seconds`, with what they sent: a
    sender still naming a tenant fails once the tenant (or an association its sends
    reference) is gone. A tenant ListTenants no longer holds has no senders to break."""
    windows = [
        Window(t, listed[t], "", now - window_seconds, now) for t in sorted(tenants) if t in listed
    ]
    if not windows:
        return {}
    return {t: v for t, v in tenant_volumes(cloudwatch, windows).items() if v.sends}


def senders_at_risk(
    clients: Any, spec: dict[str, Any], actions: Iterable[Action], now: float
) -> tuple[dict[str, Volume], float]:
    """The tenants that `actions` take away from their senders (`breaks_senders`) and that
    sent in the spec's window, with the window's length; none while the metric conditions
    are off (no CloudWatch read, none in the IAM policy)."""
    gates = spec_from_mapping(spec, "the plan's spec").gates
    tenants = {t for action in actions if action.breaks_senders and (t := action.tenant_name)}
    if not gates.metrics or not tenants:
        return {}, gates.window_seconds
    if clients.cloudwatch is None:
        raise SesmigrateError("the gate's metric conditions need a CloudWatch client")
    listed = listed_tenants(clients.ses)
    sending = recent_sends(clients.cloudwatch, tenants, listed, now, gates.window_seconds)
    return sending, gates.window_seconds


class RecentSendsError(SesmigrateError):
    def __init__(self, what: str, sending: dict[str, Volume], window_seconds: float) -> None:
        shown = first_few([f"{t} ({_count(v.sends)} sends)" for t, v in sorted(sending.items())], 5)
        super().__init__(
            f"{what} would break the senders of {len(sending)} tenant(s) that sent in the last "
            f"{_count(round(window_seconds))}s: {shown}; switch those senders off the tenant "
            "(send without TenantName) and wait until they show no sends, or pass "
            "--accept-recent-sends"
        )


def _count(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _span(window: tuple[float, float]) -> str:
    start, end = window
    seconds = max(0, round(end - start))
    since = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{seconds}s since {since}"
