"""`status`: each cohort's progress from the journal, live tenant health and drift.

Read-only: it opens the journal without the apply lock and changes nothing in the account.
Drift is a resource of a customer the plan moved that is not in the customer's tenant now
(an identity onboarded after the apply), judged by the plan's ownership rules over a live
view that reads the lists, the started cohorts' resources, what is new since the plan and
those customers' tenants' associations (`verification`), not the whole account.
With monitoring, the latest SES event of each of the plan's tenants since the plan was made
comes from the monitoring log group: what happened, where health says only how things are.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aws.clients import Clients, aws_errors, make_clients
from ..planning.plan import Plan
from ..planning.spec import spec_from_mapping
from ..state.journal import (
    APPLY,
    DONE,
    Entry,
    SqliteJournal,
    StateElsewhereError,
    applied_tenants,
    legacy_journal_path,
)
from .apply import RunOptions, check_binding, cohort_status, journal_file
from .executor import Progress
from .gates import live_tenants, tenants_of, unhealthy_tenants
from .tenant_events import TenantEvent, read_latest
from .verification import live_view


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

    @property
    def attention(self) -> bool:
        return bool(self.drift) or any(v in ("unhealthy", "missing") for v in self.health.values())

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
    if where.exists():
        journal = SqliteJournal(where, plan.checksum)
        entries, everything = journal.entries(), journal.migration_entries()
        journal.close()
    clients = make_clients(options.aws)
    binding = check_binding(plan, clients)
    limiter = options.memory.limiter(binding, options.rate, options.op_rates)
    limiter.attach_all(clients)
    try:
        with (phases or Progress()).phase("Reading status") as progress:
            return _status(plan, clients, entries, everything, full, options.state_dir, progress)
    finally:
        options.memory.remember(binding, limiter)


def _status(
    plan: Plan,
    clients: Clients,
    entries: list[Entry],
    everything: list[Entry],
    full: bool,
    state_dir: Path,
    progress: Any = None,
) -> StatusReport:
    """`everything` holds the rows of every plan of the migration: the tenants its other
    plans applied are shown too, and a planned tenant tagged with the migration that no
    plan journaled means the state is elsewhere."""
    status = cohort_status(plan, entries)
    started = [n for n, s in status.items() if s in ("applied", "partly applied")]
    done = {e.key for e in entries if e.direction == APPLY and e.state == DONE}
    tenants = live_tenants(plan, done) & tenants_of(plan, started)
    tenants |= applied_tenants(e for e in everything if e.plan != plan.checksum)
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
        now = live.customers.get(customer.id)
        if now is None:
            continue
        held = live.associations[customer.tenant]
        wanted = [live.arn(plan, "identity", n) for n in now.identities]
        wanted += [live.arn(plan, "configuration-set", n) for n in now.configuration_sets]
        wanted += [live.arn(plan, "template", n) for n in now.templates]
        for arn in wanted:
            if arn not in held:
                drift.append(
                    f"{arn.rsplit(':', 1)[-1]} of customer {customer.id!r} is not in tenant "
                    f"{customer.tenant}"
                )
    report = StatusReport(status, health, sorted(drift))
    spec = spec_from_mapping(plan.spec, "the plan's spec")
    if spec.monitoring.enabled and clients.logs is not None:
        names = {t.name for t in plan.tenants}
        with aws_errors():
            read = read_latest(clients.logs, spec.monitoring.log_group, names, plan.created_at)
        report.monitoring = spec.monitoring.log_group
        report.events = read.latest
        report.notes = [read.note] if read.note else []
    return report
