"""`status`: each cohort's progress from the journal, live tenant health and drift.

Read-only: it opens the journal without the apply lock and changes nothing in the account.
Drift is a resource of a customer the plan moved that is not in the customer's tenant now
(an identity onboarded after the apply), judged by the plan's ownership rules over a live
view that reads the lists, the started cohorts' resources, what is new since the plan and
those customers' tenants' associations (`verification`), not the whole account.
With the plan's metric conditions on, each of those tenants' sends, bounce and complaint
rates over the window the gate would judge, with the gate's verdict, per tenant and per
started cohort; and a note for each finished cohort whose pace will not reach min_sends
before the gate after it, while there is still time to act.
With monitoring, the latest SES event of each of the plan's tenants since the plan was made
comes from the monitoring log group: what happened, where health says only how things are.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aws.clients import Clients, aws_errors, make_clients
from ..errors import SesmigrateError
from ..planning.graph import gating_cohorts
from ..planning.plan import Plan
from ..planning.spec import GateSpec, spec_from_mapping
from ..state.journal import (
    APPLY,
    DONE,
    Entry,
    SqliteJournal,
    StateElsewhereError,
    applied_tenants,
    deleted_tenants,
    legacy_journal_path,
    removed_associations,
)
from .apply import RunOptions, check_binding, cohort_status, journal_file
from .executor import Progress
from .gates import (
    PASS,
    AccountRates,
    Verdict,
    account_rates_over,
    cohort_conditions,
    cohort_verdicts,
    gate_metrics,
    live_tenants,
    metric_verdicts,
    metric_windows,
    pace_note,
    tenant_verdicts,
    tenants_of,
    unhealthy_tenants,
)
from .tenant_events import TenantEvent, read_latest
from .verification import live_view


@dataclass(frozen=True)
class MetricStatus:
    """What the gate's metric conditions would say now, and what they are."""

    conditions: GateSpec
    tenants: tuple[Verdict, ...]
    cohorts: dict[str, Verdict]
    """Each started cohort judged on its tenants' summed volume."""
    failed: bool
    """Whether the gate would fail on them (a tenant's own fail, or a cohort's sum)."""
    notes: tuple[str, ...] = ()
    """A line per finished cohort whose pace will not reach min_sends (`gates.pace_note`)."""
    account: AccountRates | None = None
    """The account's rates the gate would judge (None: no started cohort's span to read)."""

    def to_dict(self) -> dict[str, Any]:
        gates = self.conditions
        return {
            "conditions": {
                "bounce_rate_max": gates.bounce_rate_max,
                "complaint_rate_max": gates.complaint_rate_max,
                "min_sends": gates.min_sends,
                "window_seconds": gates.window_seconds,
                "account_bounce_rate_max": gates.account_bounce_rate_max,
                "account_complaint_rate_max": gates.account_complaint_rate_max,
                "tiers": gates.tiers_dict(),
            },
            "account": None
            if self.account is None
            else {
                "bounce_rate": self.account.bounce_rate,
                "complaint_rate": self.account.complaint_rate,
                "window": {"start": self.account.window[0], "end": self.account.window[1]},
            },
            "tenants": {v.subject: _measured(v) for v in self.tenants},
            "cohorts": {name: _measured(v) for name, v in self.cohorts.items()},
            "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        gates = self.conditions
        lines = [
            f"Metric conditions (bounce rate <= {gates.bounce_rate_max:.2%}, complaint rate <= "
            f"{gates.complaint_rate_max:.2%}, min_sends {gates.min_sends}, window "
            f"{round(gates.window_seconds)}s; account bounce rate <= "
            f"{gates.account_bounce_rate_max:.2%}, complaint rate <= "
            f"{gates.account_complaint_rate_max:.2%}):"
        ]
        lines += [f"  {words} (and its cohort's sum)" for words in gates.tier_words()]
        if self.account is not None:
            lines.append(f"  account: {self.account.words()}")
        for verdict in [*self.tenants, *self.cohorts.values()]:
            said = "" if verdict.outcome == PASS else f"; {verdict.detail}"
            subject = verdict.subject
            subject = subject if subject.startswith("cohort ") else f"tenant {subject}"
            lines.append(f"  {subject}: {verdict.outcome}: {verdict.measured()}{said}")
        if not self.tenants:
            lines.append("  no started cohort's tenants to judge yet")
        return lines + [f"  note: {note}" for note in self.notes]


def _measured(verdict: Verdict) -> dict[str, Any]:
    shown = verdict.to_dict()
    del shown["subject"]
    return shown | {
        "bounce_rate": verdict.volume.bounce_rate,
        "complaint_rate": verdict.volume.complaint_rate,
    }


@dataclass
class StatusReport:
    cohorts: dict[str, str]
    health: dict[str, str]
    """Tenant -> healthy, unhealthy, reinstated or missing, for tenants the plan touched."""
    drift: list[str]
    events: dict[str, TenantEvent] = field(default_factory=dict)
    """Tenant -> its latest SES event in the monitoring log group."""
    monitoring: str | None = None
    """The log group read for events, or None without monitoring."""
    notes: list[str] = field(default_factory=list)
    metrics: MetricStatus | None = None
    """The gate's metric conditions now; None when the plan's spec leaves them off."""

    @property
    def attention(self) -> bool:
        failing = self.metrics is not None and self.metrics.failed
        return (
            bool(self.drift)
            or failing
            or any(v in ("unhealthy", "missing") for v in self.health.values())
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohorts": self.cohorts,
            "tenants": self.health,
            "drift": self.drift,
            "monitoring": None
            if self.monitoring is None
            else {
                "log_group": self.monitoring,
                "latest_events": {name: e.to_dict() for name, e in self.events.items()},
                "notes": self.notes,
            },
            "metrics": None if self.metrics is None else self.metrics.to_dict(),
        }


def run_status(
    options: RunOptions, plan: Plan, full: bool = False, phases: Any = None
) -> StatusReport:
    """Progress from the journal; health and drift from the live account (read-only)."""
    entries: list[Entry] = []
    everything: list[Entry] = []
    where = journal_file(options, plan)
    if not where.exists() and options.journal is None:
        where = legacy_journal_path(options.state_dir, plan.checksum)
    finished: dict[str, float] = {}
    if where.exists():
        journal = SqliteJournal(where, plan.checksum)
        entries, everything = journal.entries(), journal.migration_entries()
        for cohort in plan.cohorts:
            if (at := journal.cohort_finished(cohort.name)) is not None:
                finished[cohort.name] = at
        journal.close()
    clients = make_clients(options.aws)
    binding = check_binding(plan, clients)
    limiter = options.memory.limiter(binding, options.rate, options.op_rates)
    limiter.attach_all(clients)
    try:
        with (phases or Progress()).phase("Reading status") as progress:
            return _status(
                plan,
                clients,
                (entries, everything, finished),
                full,
                options.state_dir,
                options.clock.now(),
                progress,
            )
    finally:
        options.memory.remember(binding, limiter)


def _status(
    plan: Plan,
    clients: Clients,
    journaled: tuple[list[Entry], list[Entry], dict[str, float]],
    full: bool,
    state_dir: Path,
    now: float,
    progress: Any = None,
) -> StatusReport:
    """`journaled` is this plan's rows, the rows of every plan of the migration and when
    each of this plan's cohorts finished: the tenants the other plans applied are shown
    too, and a planned tenant tagged with the migration that no plan journaled means the
    state is elsewhere."""
    entries, everything, finished = journaled
    status = cohort_status(plan, entries)
    started = [n for n, s in status.items() if s in ("applied", "partly applied")]
    done = {e.key for e in entries if e.direction == APPLY and e.state == DONE}
    tenants = live_tenants(plan, done) & tenants_of(plan, started)
    tenants -= deleted_tenants(everything)
    tenants |= applied_tenants(e for e in everything if e.plan != plan.checksum)
    removed = removed_associations(everything)
    unknown = {t.name for t in plan.tenants} - {e.tenant for e in everything}
    members = {c for cohort in plan.cohorts if cohort.name in started for c in cohort.customers}
    homes = {c.tenant for c in plan.customers if c.id in members}
    live = live_view(
        clients,
        plan,
        members,
        tenant_tags=unknown,
        associations_of=homes,
        read_all=full,
        progress=progress,
    )
    elsewhere = {
        name for name in unknown if (t := live.tenants.get(name)) and t.migration == plan.migration
    }
    if elsewhere:
        raise StateElsewhereError(plan.migration, elsewhere, state_dir)
    unhealthy, reinstated = unhealthy_tenants(clients.ses, tenants)
    health = {}
    for name in sorted(tenants):
        if name not in live.tenants:
            health[name] = "missing"
        elif name in unhealthy:
            health[name] = "unhealthy"
        else:
            health[name] = "reinstated" if name in reinstated else "healthy"
    drift = []
    for customer in plan.customers:
        if customer.id not in members or customer.tenant not in live.associations:
            continue
        current = live.customers.get(customer.id)
        if current is None:
            continue
        held = live.associations[customer.tenant]
        wanted = [live.arn(plan, "identity", n) for n in current.identities]
        wanted += [live.arn(plan, "configuration-set", n) for n in current.configuration_sets]
        wanted += [live.arn(plan, "template", n) for n in current.templates]
        for arn in wanted:
            if arn not in held and (customer.tenant, arn) not in removed:
                drift.append(
                    f"{arn.rsplit(':', 1)[-1]} of customer {customer.id!r} is not in tenant "
                    f"{customer.tenant}"
                )
    report = StatusReport(status, health, sorted(drift))
    spec = spec_from_mapping(plan.spec, "the plan's spec")
    if spec.gates.metrics:
        ids = {name: t.tenant_id for name, t in live.tenants.items()}
        report.metrics = _metrics(plan, clients, report, ids, finished.get, now, spec.gates)
    if spec.monitoring.enabled and clients.logs is not None:
        names = {t.name for t in plan.tenants}
        with aws_errors():
            read = read_latest(clients.logs, spec.monitoring.log_group, names, plan.created_at)
        report.monitoring = spec.monitoring.log_group
        report.events = read.latest
        report.notes = [read.note] if read.note else []
    return report


def _metrics(
    plan: Plan,
    clients: Clients,
    report: StatusReport,
    ids: dict[str, str],
    finished: Callable[[str], float | None],
    now: float,
    gates: GateSpec,
) -> MetricStatus:
    """The metric conditions over the tenants `report` shows health for (those that exist),
    in the windows the gate would use now: from when each one's cohort finished."""
    if clients.cloudwatch is None:
        raise SesmigrateError("the gate's metric conditions need a CloudWatch client")
    started = [n for n, s in report.cohorts.items() if s in ("applied", "partly applied")]
    tenants = {name for name, health in report.health.items() if health != "missing"}
    windows = metric_windows(plan, finished, started, tenants, ids, now, gates.window_seconds)
    volumes, account = gate_metrics(clients.cloudwatch, windows)
    sums = cohort_verdicts(windows, volumes, gates)
    conditions = cohort_conditions(windows, gates)
    order = list(report.cohorts)
    notes = []
    for name in started:
        gate_ahead = any(
            name in gating_cohorts(order, later) and report.cohorts[later] != "applied"
            for later in order
        )
        at = finished(name)
        if name not in sums or not gate_ahead or report.cohorts[name] != "applied" or at is None:
            continue
        if note := pace_note(name, sums[name].volume.sends, at, now, conditions[name]):
            notes.append(note)
    return MetricStatus(
        conditions=gates,
        tenants=tuple(tenant_verdicts(windows, volumes, gates)),
        cohorts={name: sums[name] for name in started if name in sums},
        failed=bool(
            metric_verdicts(windows, volumes, gates).failed or account_rates_over(account, gates)
        ),
        notes=tuple(notes),
        account=account,
    )
