"""`apply` of a sealed plan, and the checks every operation on the live account shares.

Before anything changes: the plan's checksum and version (read_plan), its account and
region against the caller's (STS) and the apply lock; before each cohort runs (a run of
several cohorts lasts hours), staleness -- the live account must
still meet the expectations of the actions to run (the plan's own journaled effects
excepted, so the canary does not make the waves stale), and every customer of the cohort
must still have exactly the resources the plan saw. That check reads what the cohort
costs, never the whole account (`verification`); a new resource of a customer of a later
cohort is said, not refused: that cohort's own check decides. Each refusal is one line that
says what to do. Between cohorts the health gate reads the applied tenants' reputation in bulk.
"""

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..aws.clients import (
    AccountBinding,
    AwsSettings,
    Clients,
    aws_errors,
    caller_identity,
    make_clients,
)
from ..aws.ratelimit import RateLimiter
from ..errors import SesmigrateError
from ..files import read_text
from ..planning.durations import Rates, duration
from ..planning.estimates import PlanEstimate, plan_estimate
from ..planning.graph import CLEANUP, dependency_graph, gating_cohorts
from ..planning.monitoring import check_planned
from ..planning.plan import Plan, Step, read_plan
from ..planning.spec import spec_from_mapping
from ..planning.suggest import did_you_mean
from ..state import home
from ..state.applied import note_applied
from ..state.calllog import CallLog
from ..state.history import RunRecord
from ..state.home import OLD_STATE_DIR
from ..state.journal import (
    APPLY,
    DONE,
    INTENT,
    ROLLBACK,
    UNDONE,
    Entry,
    SqliteJournal,
    StateElsewhereError,
    applied_tenants,
    deleted_tenants,
    legacy_journal_path,
    migration_id,
    migration_journal_path,
)
from ..state.lock import ApplyLock
from ..state.membership import membership_path, read_membership
from ..state.probes import ProbeResult, standing_failures
from ..state.rates import DEFAULT_HEADROOM, RateMemory
from .executor import Executor, Progress, RunResult
from .gates import (
    AccountEnforcementError,
    AccountRateError,
    GateFailedError,
    InconclusiveGateError,
    MetricGateFailedError,
    MetricVerdicts,
    ProbeGateError,
    RecentSendsError,
    Verdict,
    account_enforcement,
    account_rates_over,
    gate_metrics,
    listed_tenants,
    live_tenants,
    metric_verdicts,
    metric_windows,
    reinstated_allowed,
    senders_at_risk,
    tenants_of,
    unhealthy_tenants,
)
from .inflight import Heartbeat, in_flight_until
from .inverses import maybe_applied, reverse_batches, successors
from .overlap import run_while_checking
from .probe import ProbeFailedError, probe_and_record, retry_command
from .soak import SoakPendingError, WallClock, remaining, soak_of, wait_out
from .verification import LiveView, live_view


class WrongAccountError(SesmigrateError):
    def __init__(self, planned: str, actual: str) -> None:
        super().__init__(
            f"plan was made for account {planned} but the credentials are for {actual}; "
            "use --profile or re-run sesmigrate plan"
        )


class WrongRegionError(SesmigrateError):
    def __init__(self, planned: str, actual: str) -> None:
        super().__init__(
            f"plan was made for region {planned} but the command works in {actual}; "
            "use --region or re-run sesmigrate plan"
        )


class StalePlanError(SesmigrateError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        super().__init__(f"the plan is stale: {shown}; re-run sesmigrate plan")


class StaleWhileApplyingError(StalePlanError):
    """The cohort's reads, made while its changes ran, found the plan stale: the changes
    this run made are undone (`overlap`), or the line says how to undo what is left."""

    def __init__(self, problems: list[str], undone: RunResult, plan_path: Path, cohort: str):
        self.problems = problems
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        changed = len(undone.made)
        if undone.ok:
            after = (
                f"the {changed} change(s) this run made meanwhile were undone"
                if changed
                else "nothing this run did needed undoing"
            )
        else:
            after = (
                f"{len(undone.failed) + len(undone.skipped)} change(s) this run made could not "
                f"be undone: run sesmigrate rollback {plan_path} --cohort {cohort}, then"
            )
        SesmigrateError.__init__(
            self, f"the plan is stale: {shown}; {after}; re-run sesmigrate plan"
        )


class NothingToDo(SesmigrateError):
    """Raised only to say so; the CLI treats it as success."""


@dataclass(frozen=True)
class RunOptions:
    plan_path: Path
    aws: AwsSettings
    cohort: str | None = None
    state_dir: Path = field(default_factory=home.state_dir)
    """Where the migration's state lives (`state.home`)."""
    journal: Path | None = None
    parallelism: int = 10
    rate: float | None = None
    op_rates: dict[str, float] = field(default_factory=dict)
    skip_gates: bool = False
    accept_failed_probe: bool = False
    """Let the gate pass though the latest probe of an earlier cohort's tenant failed
    (said loudly); the health check still runs."""
    accept_inconclusive: bool = False
    """Let the gate's metric conditions pass though tenants sent too little to judge (said
    loudly); a tenant over a maximum rate still fails it."""
    accept_recent_sends: bool = False
    """Cleanup and rollback: take associations from (or delete) tenants that sent in the
    metric window, though their senders' sends then fail (said loudly)."""
    dry_run: bool = False
    """Check and show what would run, then stop: nothing changes, no journal is created."""
    delete_foreign_associations: bool = False
    """Rollback: delete a tenant the migration created though it holds associations that
    sesmigrate did not make (they go with it)."""
    lock_dir: Path | None = None
    """Where the account's lock lives; None is the machine's (`lock.lock_dir`), whatever the
    state directory: only the demo, whose emulated account is its own, keeps it elsewhere."""
    headroom: float = DEFAULT_HEADROOM
    """The share of each learned rate to use (learned rates live in `state_dir`)."""
    wait: bool = False
    """Wait out a soak still running (without the lock) instead of stopping with its status."""
    clock: WallClock = field(default_factory=WallClock)
    """Wall time for the journal and the soak; tests inject their own."""
    audit: RunRecord | None = None
    """This run's row in the history (apply, rollback); None: a read-only run."""
    call_log: CallLog | None = None
    """Where every AWS call is logged (--log-file, -v); None: nowhere."""

    @property
    def memory(self) -> RateMemory:
        return RateMemory(self.state_dir, self.headroom)


@dataclass
class Session:
    """Everything one run works with, opened and checked."""

    plan: Plan
    clients: Clients
    journal: SqliteJournal
    lock: ApplyLock
    binding: AccountBinding
    limiter: RateLimiter
    open: bool = True


def check_binding(plan: Plan, clients: Clients) -> AccountBinding:
    """The caller's account and region, if they are the plan's; else one line saying so."""
    binding = caller_identity(clients)
    if binding.account != plan.account:
        raise WrongAccountError(plan.account, binding.account)
    if binding.region != plan.region:
        raise WrongRegionError(plan.region, binding.region)
    return binding


def load_plan(path: Path) -> Plan:
    return read_plan(read_text(path, "plan"), str(path))


@dataclass(frozen=True)
class Connection:
    """Clients checked against the plan's account and region, rate-limited as learned."""

    clients: Clients
    binding: AccountBinding
    limiter: RateLimiter


def connect(options: RunOptions, plan: Plan) -> Connection:
    settings = replace(options.aws, max_pool_connections=max(options.parallelism, 10))
    clients = make_clients(settings)
    if options.call_log is not None:
        options.call_log.attach_all(clients)
    binding = check_binding(plan, clients)
    limiter = options.memory.limiter(binding, options.rate, options.op_rates)
    limiter.attach_all(clients)
    if options.audit is not None:
        options.audit.caller(binding.caller)
    return Connection(clients, binding, limiter)


def open_session(
    options: RunOptions,
    plan: Plan,
    progress: Any = None,
    connection: Connection | None = None,
    lock: ApplyLock | None = None,
) -> Session:
    """The run's session; an onboarding passes the `connection` it read the account with
    and the `lock` it already holds (its plan is made under the lock), which the session
    then owns and releases."""
    connection = connection or connect(options, plan)
    clients, binding, limiter = connection.clients, connection.binding, connection.limiter
    if lock is None:
        lock = ApplyLock(plan.account, plan.region, plan.checksum[:19], options.lock_dir)
        lock.__enter__()
    try:
        journal = open_journal(options, plan)
        if not options.dry_run:
            settle(journal, options, progress or Progress())
            Heartbeat(journal, options.clock.now, options.aws.in_flight_s).attach_all(clients)
    except BaseException:
        lock.__exit__()
        raise
    return Session(plan, clients, journal, lock, binding, limiter)


def settle(journal: SqliteJournal, options: RunOptions, progress: Any) -> None:
    """Wait out the requests a stopped run may still have in flight (see `inflight`)."""
    until = in_flight_until(journal)
    left = until - options.clock.now() if until is not None else 0.0
    if left <= 0:
        return
    with progress.phase(
        f"Waiting {math.ceil(left)}s for calls a stopped run may still have in flight"
    ):
        options.clock.sleep(left)


def journal_file(options: RunOptions, plan: Plan) -> Path:
    """The migration's journal: --journal, else in the state directory by migration."""
    if options.journal is not None:
        return options.journal
    return migration_journal_path(options.state_dir, plan.account, plan.region, plan.migration)


def open_journal(options: RunOptions, plan: Plan) -> SqliteJournal:
    """The plan's view of its migration's journal, with the per-plan journals of earlier
    versions (in the state directory or the old `./.sesmigrate`) imported on first use and
    the plan's document kept. A dry run writes nothing: it reads an old journal where it is,
    or an empty one in memory."""
    path = journal_file(options, plan)
    identity = migration_id(plan.account, plan.region, plan.migration)
    legacy = _legacy_journals(options, plan)
    if options.dry_run:
        if plan.checksum in legacy and not path.exists():
            return SqliteJournal(legacy[plan.checksum], plan.checksum, clock=options.clock.now)
        if not path.exists():
            path = Path(":memory:")  # a dry run leaves no journal (plan -o would then refuse)
        return SqliteJournal(path, plan.checksum, clock=options.clock.now, migration=identity)
    journal = SqliteJournal(path, plan.checksum, clock=options.clock.now, migration=identity)
    try:
        for checksum, old in legacy.items():
            journal.for_plan(checksum).import_legacy(old)
            old.replace(old.with_name(old.name + ".imported"))
        journal.register(read_text(options.plan_path, "plan"), str(options.plan_path))
        note_applied(options.lock_dir, plan.checksum, path)
    except BaseException:
        journal.close()
        raise
    return journal


def _legacy_journals(options: RunOptions, plan: Plan) -> dict[str, Path]:
    """Checksum -> per-plan journal of an earlier version, for this plan and the plans its
    cohort membership records."""
    if options.journal is not None:
        return {}
    recorded = read_membership(
        membership_path(options.state_dir, plan.account, plan.region, plan.migration)
    )
    found = {}
    for checksum in (*recorded.plans, plan.checksum):
        for folder in (options.state_dir, OLD_STATE_DIR):
            if (old := legacy_journal_path(folder, checksum)).exists():
                found[checksum] = old
                break
    return found


def close_session(session: Session, memory: RateMemory) -> None:
    """Leave what the run learned of the rates, close the journal and release the lock,
    once (a soak's wait closes it early)."""
    if not session.open:
        return
    session.open = False
    try:
        memory.remember(session.binding, session.limiter)
    finally:
        session.journal.close()
        session.lock.__exit__()


def applied_state(entries: list[Entry]) -> dict[str, Entry]:
    return {e.key: e for e in entries if e.direction == APPLY}


def cohort_status(plan: Plan, entries: list[Entry]) -> dict[str, str]:
    """applied, partly applied, rolled back or pending, per cohort."""
    state = applied_state(entries)
    result = {}
    for cohort in plan.cohorts:
        keys = [s.action.key for s in plan.steps_of(cohort.name)]
        states = [state[k].state for k in keys if k in state]
        done = states.count(DONE)
        undone = states.count(UNDONE)
        if keys and done == len(keys):
            result[cohort.name] = "applied"
        elif done or len(states) > done + undone:
            result[cohort.name] = "partly applied"
        elif undone:
            result[cohort.name] = "rolled back"
        else:
            result[cohort.name] = "applied" if not keys else "pending"
    return result


def cohorts_to_apply(
    plan: Plan, entries: list[Entry], wanted: str | None, probe: bool = False
) -> list[str]:
    """The cohorts to run, in order. With `probe`, `all` on a fully applied plan is every
    cohort but cleanup: probed again, nothing applied."""
    names = [c.name for c in plan.cohorts]
    status = cohort_status(plan, entries)
    if wanted == "all":
        pending = [n for n in names if n != CLEANUP and status[n] != "applied"]
        if not pending and probe:
            return [n for n in names if n != CLEANUP]
        if not pending:
            raise NothingToDo("every cohort is applied")
        return pending
    if wanted is not None:
        if wanted == CLEANUP and CLEANUP not in names:
            raise NothingToDo(
                "the plan removes no old associations and deletes no tenant, so there is "
                "nothing to clean up"
            )
        if wanted not in names:
            raise SesmigrateError(
                f"the plan has no cohort {wanted!r}{did_you_mean(wanted, names)}: its cohorts "
                f"are {', '.join(names)}"
            )
        return [wanted]
    pending = [n for n in names if n != CLEANUP and status[n] != "applied"]
    if not pending:
        raise NothingToDo(
            "every cohort is applied"
            + ("; apply the cleanup cohort with --cohort cleanup" if CLEANUP in names else "")
            + ("; probe an applied cohort again with --probe --cohort NAME" if probe else "")
        )
    return pending[:1]


def check_stale(
    plan: Plan, cohorts: list[str], entries: list[Entry], live: LiveView, complete: bool = True
) -> list[str]:
    """Refuse if the live account no longer meets what the cohorts' pending actions expect;
    else the notes on what changed for customers of other cohorts (their own check decides).
    `entries` are the migration's: what any of its plans journaled is its own effect.
    `complete` False: `live` read only the new names, not the cohort customers' existing
    resources (those are read while the changes run), so a customer is judged by what is
    new alone; a resource gone shows in the lists either way."""
    ours = {e.key for e in entries if e.direction == APPLY and e.state in (DONE, INTENT)}
    problems = []
    members = _members(plan, cohorts)
    new = {name for _, name in live.new}
    for customer in plan.customers:
        if customer.id not in members:
            continue
        now = live.customers.get(customer.id)
        planned = (customer.identities, customer.configuration_sets, customer.templates)
        current = (now.identities, now.configuration_sets, now.templates) if now else ((), (), ())
        if not complete:
            current = tuple(tuple(n for n in names if n in new) for names in current)
            planned = tuple(tuple(n for n in names if n in new) for names in planned)
        if planned != current:
            added = sorted(set(sum(current, ())) - set(sum(planned, ())))
            gone = sorted(set(sum(planned, ())) - set(sum(current, ())))
            problems.append(
                f"customer {customer.id!r} changed since the plan"
                + (f" (added {', '.join(added[:3])})" if added else "")
                + (f" (removed {', '.join(gone[:3])})" if gone else "")
            )
    for step in plan.steps:
        if step.cohort not in cohorts or step.action.key in ours:
            continue
        for expectation in step.expectations:
            tenant = live.tenants.get(expectation.subject)
            if expectation.kind == "tenant_absent" and tenant is not None:
                if tenant.migration != plan.migration:
                    problems.append(f"tenant {expectation.subject} now exists")
            elif expectation.kind == "tenant_present":
                if tenant is None or tenant.tenant_id != expectation.detail:
                    problems.append(f"tenant {expectation.subject} is gone or was recreated")
            elif expectation.kind == "resource_present" and not live.has(expectation.subject):
                problems.append(f"{expectation.subject.rsplit(':', 1)[-1]} no longer exists")
    if problems:
        raise StalePlanError(sorted(set(problems)))
    return later_changes(plan, members, live)


def later_changes(plan: Plan, members: set[str], live: LiveView) -> list[str]:
    """What is new since the plan for customers outside `members`: a note each, not a refusal.
    A customer of a later cohort is checked when its cohort runs; one the plan does not know
    needs a re-plan to be migrated."""
    cohort_of = {c: cohort.name for cohort in plan.cohorts for c in cohort.customers}
    new = {name for _, name in live.new}
    notes = []
    for customer in sorted(live.customers.values(), key=lambda c: c.id):
        if customer.id in members:
            continue
        added = sorted(
            n
            for n in (*customer.identities, *customer.configuration_sets, *customer.templates)
            if n in new
        )
        if not added:
            continue
        if customer.id in cohort_of:
            notes.append(
                f"customer {customer.id!r} of {cohort_of[customer.id]} has new resources "
                f"({', '.join(added[:3])}): that cohort's check decides"
            )
        else:
            notes.append(
                f"customer {customer.id!r} is not in the plan ({', '.join(added[:3])}): "
                "re-run sesmigrate plan to migrate it"
            )
    return notes


def _members(plan: Plan, cohorts: list[str]) -> set[str]:
    return {c for cohort in plan.cohorts if cohort.name in cohorts for c in cohort.customers}


@dataclass(frozen=True)
class Verified:
    """A cohort's check: what it read, what it said, and the entries it judged by; not
    `complete` when the cohort customers' own resources are still to be read (`overlap`)."""

    live: LiveView
    notes: list[str]
    entries: list[Entry]
    complete: bool = True


def overlaps(plan: Plan, cohort: str) -> bool:
    """Whether the cohort's own reads may run beside its changes: not when a change takes
    a tenant or a resource from senders (cleanup), which must not happen even briefly on a
    stale plan."""
    return cohort != CLEANUP and not any(s.action.breaks_senders for s in plan.steps_of(cohort))


def verify(
    session: "Session",
    plan: Plan,
    cohorts: list[str],
    entries: list[Entry],
    phases: Any = None,
    complete: bool = True,
) -> Verified:
    """Read what the cohorts' pending actions depend on (see `verification`) and judge it,
    after making sure this state is the migration's: a planned tenant that exists tagged
    with the migration though no plan of this state journaled it was made elsewhere.
    `complete` False reads the lists, the tags and the new names only (`check_rest` reads
    the rest while the changes run)."""
    claimed = {
        e.subject
        for s in plan.steps
        if s.cohort in cohorts
        for e in s.expectations
        if e.kind == "tenant_absent"
    }
    everything = session.journal.migration_entries()
    unknown = {t.name for t in plan.tenants} - {e.tenant for e in everything}
    with (phases or Progress()).phase(f"Checking {', '.join(cohorts)}") as progress:
        live = live_view(
            session.clients,
            plan,
            _members(plan, cohorts) if complete else (),
            tenant_tags=claimed | unknown,
            progress=progress,
        )
    elsewhere = {
        name
        for name in unknown
        if (tenant := live.tenants.get(name)) and tenant.migration == plan.migration
    }
    if elsewhere:
        raise StateElsewhereError(plan.migration, elsewhere, session.journal.path.parent)
    judged = [*entries, *everything]
    return Verified(live, check_stale(plan, cohorts, judged, live, complete), judged, complete)


def check_rest(
    session: "Session", plan: Plan, cohort: str, first: Verified, halt: threading.Event
) -> None:
    """The cohort customers' own resources, read while its changes run: a StalePlanError if
    they changed since the plan. What `first` listed and read is not read again."""
    live = live_view(session.clients, plan, _members(plan, [cohort]), after=first.live, halt=halt)
    check_stale(plan, [cohort], first.entries, live)


def undo_run(
    session: "Session", options: RunOptions, plan: Plan, keys: set[str], progress: Any
) -> RunResult:
    """Undo the actions among `keys` that the journal says were (perhaps) made, newest first,
    as rollback undoes a cohort (`inverses`)."""
    state = applied_state(session.journal.entries())
    by_key = {step.action.key: step.action for step in plan.steps}
    undo = [
        (entry, by_key[entry.key])
        for entry in sorted(state.values(), key=lambda e: -e.seq)
        if entry.key in keys and maybe_applied(entry)
    ]
    graph = dependency_graph(tuple(plan.steps))
    executor = Executor(
        session.clients.ses,
        session.journal,
        ROLLBACK,
        options.parallelism,
        progress=progress,
        services=session.clients.services(),
    )
    with aws_errors():
        return executor.run(
            reverse_batches(plan, undo), lambda key: (), after=lambda key: successors(graph, key)
        )


def check_monitoring(plan: Plan, steps: list[Step]) -> None:
    """Refuse to run monitoring actions that the plan's spec does not give (see monitoring)."""
    spec = spec_from_mapping(plan.spec, "the plan's spec")
    try:
        check_planned(spec, plan.account, plan.region, [s.action for s in steps])
    except ValueError as exc:
        raise SesmigrateError(
            f"the plan cannot be applied: {exc}; re-run sesmigrate plan"
        ) from None


@dataclass
class ApplyReport:
    cohorts: list[tuple[str, RunResult]] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    gate_skipped: bool = False
    soak_pending: SoakPendingError | None = None
    """The run stopped before a cohort whose soak is still running (no --wait)."""
    pending: dict[str, int] = field(default_factory=dict)
    """The chosen cohorts, in order, with their actions still to run when the run began."""
    dry_run: bool = False
    probes: list[ProbeResult] = field(default_factory=list)
    """This run's probe results, in order."""
    probe_failed: ProbeFailedError | None = None
    """The run stopped after a cohort whose probe failed (recorded: it closes the gate)."""
    accepted_probes: list[ProbeResult] = field(default_factory=list)
    """Standing probe failures the gate let pass (--accept-failed-probe)."""
    metric_verdicts: MetricVerdicts | None = None
    """The last gate's metric verdicts (None: the metric conditions were off or skipped)."""
    accepted_inconclusive: list[Verdict] = field(default_factory=list)
    """Inconclusive verdicts the gates let pass (--accept-inconclusive)."""

    def not_run(self, cohort: str) -> int:
        """Actions of the cohort this run did not get to: interrupted, stopped by a failure
        in an earlier cohort or a soak, or a dry run."""
        results = dict(self.cohorts)
        if cohort not in results:
            return self.pending.get(cohort, 0)
        result = results[cohort]
        ran = len(result.made) + len(result.found) + len(result.failed) + len(result.skipped)
        return max(0, self.pending.get(cohort, 0) - ran)


def run_rates(options: RunOptions, plan: Plan) -> Rates:
    """The rates this run estimates with: those given now, else those learned by now (the
    canary teaches the waves), else the plan's."""
    binding = AccountBinding(plan.account, plan.region)
    rates = options.memory.rates(binding, options.rate, options.op_rates)
    return rates if rates.source != "assumed" else plan.rates


def pending_steps(plan: Plan, cohort: str, entries: list[Entry]) -> list[Step]:
    state = applied_state(entries)
    return [
        s
        for s in plan.steps_of(cohort)
        if state.get(s.action.key) is None or state[s.action.key].state != DONE
    ]


def run_apply(
    options: RunOptions,
    plan: Plan,
    confirm: Callable[[list[str], list[Step], PlanEstimate], None],
    say: Callable[[str], None],
    progress: Any,
    stop: threading.Event | None = None,
    probe: bool = False,
    countdown: Callable[[str, float], None] = lambda cohort, left: None,
    ask_inconclusive: Callable[[list[Verdict]], bool] | None = None,
) -> ApplyReport:
    """`ask_inconclusive` (on a terminal) decides, when a gate is inconclusive, whether the
    run goes on as if --accept-inconclusive was given; without it the gate refuses."""
    session = open_session(options, plan, progress)
    try:
        chosen = cohorts_to_apply(plan, session.journal.entries(), options.cohort, probe)
        if probe and _applied_already(plan, session.journal.entries(), chosen):
            return probe_again(session, plan, chosen, options, say)
        session = soaked(session, options, plan, chosen[0], countdown)
        entries = session.journal.entries()
        chosen = cohorts_to_apply(plan, entries, options.cohort, probe)
        # Each cohort is checked just before it runs (hours may pass between cohorts of one
        # run); a dry run checks them all now, since nothing runs after it.
        verified = verify(
            session,
            plan,
            chosen if options.dry_run else chosen[:1],
            entries,
            progress,
            complete=options.dry_run or not overlaps(plan, chosen[0]),
        )
        for note in verified.notes:
            say(note)
        steps = [s for name in chosen for s in pending_steps(plan, name, entries)]
        check_monitoring(plan, steps)
        estimate = plan_estimate(
            plan, run_rates(options, plan), tuple(chosen), frozenset(s.action.key for s in steps)
        )
        confirm(chosen, steps, estimate)
        pending = {name: len(pending_steps(plan, name, entries)) for name in chosen}
        if options.dry_run:
            return ApplyReport(pending=pending, dry_run=True)
        graph = dependency_graph(tuple(plan.steps))
        report = ApplyReport(pending=pending)
        for position, name in enumerate(chosen):
            if position:
                try:
                    waited = soaked(session, options, plan, name, countdown)
                except SoakPendingError as stopped:
                    report.soak_pending = stopped
                    break
                session = waited
                verified = verify(
                    session,
                    plan,
                    [name],
                    session.journal.entries(),
                    progress,
                    complete=not overlaps(plan, name),
                )
                for note in verified.notes:
                    say(note)
            before = gating_cohorts([c.name for c in plan.cohorts], name)
            if before:
                try:
                    with progress.phase(f"Health gate before {name}"):
                        gate(plan, session, name, before, options, report, say)
                except InconclusiveGateError as unsure:  # asked outside the phase's bar
                    if ask_inconclusive is None or not ask_inconclusive(unsure.verdicts):
                        raise
                    report.accepted_inconclusive += unsure.verdicts
                    say(
                        f"WARNING: {len(unsure.verdicts)} tenant(s) sent too little to judge; "
                        f"the operator let the gate before {name} pass at the prompt"
                    )
            if name == CLEANUP:
                with progress.phase("Reading the cleaned-up tenants' recent sends"):
                    senders_left(plan, session, options, say)
            left = sum(e.seconds for e in estimate.cohorts[position:])
            say(
                f"Applying {name} ({position + 1} of {len(chosen)}): about "
                f"{duration(estimate.cohorts[position].seconds)}, {duration(left)} left "
                f"in this run {estimate.rates.describe()}"
            )
            todo = {s.action.key for s in pending_steps(plan, name, session.journal.entries())}
            with progress.phase(f"Applying {name}") as bar:
                result = run_checked(session, options, plan, name, todo, graph, bar, stop, verified)
            report.cohorts.append((name, result))
            if not result.ok:
                break
            if todo or session.journal.cohort_finished(name) is None:
                session.journal.finish_cohort(name)
            if probe:
                with progress.phase(f"Probing {name}"):
                    results, report.probe_failed = probe_and_record(
                        plan, session.clients.ses, session.journal, [name], options.plan_path, say
                    )
                report.probes += results
                if report.probe_failed is not None:
                    break
        return report
    finally:
        close_session(session, options.memory)


def run_cohort(
    session: Session,
    options: RunOptions,
    plan: Plan,
    name: str,
    todo: set[str],
    graph: Any,
    progress: Any,
    stop: threading.Event | None,
) -> RunResult:
    """The cohort's pending actions (`todo`), batch by batch, through the executor."""
    executor = Executor(
        session.clients.ses,
        session.journal,
        APPLY,
        options.parallelism,
        progress=progress,
        stop=stop or threading.Event(),
        services=session.clients.services(),
    )
    cohort = next(c for c in plan.cohorts if c.name == name)
    by_key = {step.action.key: step for step in plan.steps_of(name)}
    batches = [
        [(by_key[key].action, name) for key in batch if key in todo] for batch in cohort.batches
    ]
    progress.expect(len(todo))
    with aws_errors():
        return executor.run(batches, lambda key: graph.predecessors(key))


def run_checked(
    session: Session,
    options: RunOptions,
    plan: Plan,
    name: str,
    todo: set[str],
    graph: Any,
    progress: Any,
    stop: threading.Event | None,
    verified: Verified,
) -> RunResult:
    """The cohort's changes; with its check not yet `complete`, while its own resources are
    read (`overlap`), and undone if those reads find the plan stale."""
    if verified.complete:
        return run_cohort(session, options, plan, name, todo, graph, progress, stop)
    checked = run_while_checking(
        lambda halt: run_cohort(session, options, plan, name, todo, graph, progress, halt),
        lambda halt: check_rest(session, plan, name, verified, halt),
        lambda keys: undo_run(session, options, plan, keys, progress),
        stop or threading.Event(),
    )
    if checked.refusal is None:
        return checked.result
    if isinstance(checked.refusal, StalePlanError) and checked.undone is not None:
        raise StaleWhileApplyingError(
            checked.refusal.problems, checked.undone, options.plan_path, name
        ) from None
    raise checked.refusal


def _applied_already(plan: Plan, entries: list[Entry], chosen: list[str]) -> bool:
    status = cohort_status(plan, entries)
    return all(status[name] == "applied" for name in chosen) and not any(
        pending_steps(plan, name, entries) for name in chosen
    )


def probe_again(
    session: Session, plan: Plan, chosen: list[str], options: RunOptions, say: Callable[[str], None]
) -> ApplyReport:
    """`apply --probe` of cohorts with nothing left to apply: probe their tenants again and
    record the results; no gate, no confirmation (nothing changes but the state's record)."""
    report = ApplyReport(dry_run=options.dry_run)
    say(f"{', '.join(chosen)}: nothing left to apply; probing the tenants again")
    if not options.dry_run:
        report.probes, report.probe_failed = probe_and_record(
            plan, session.clients.ses, session.journal, chosen, options.plan_path, say
        )
    return report


def migration_tenants(journal: SqliteJournal, plan: Plan) -> set[str]:
    """The tenants the migration's other plans applied and left in place: a re-plan's gate
    and status cover them too (their customers may be behind this plan's cohorts)."""
    return applied_tenants(e for e in journal.migration_entries() if e.plan != plan.checksum)


def soak_left(options: RunOptions, plan: Plan, session: Session, cohort: str) -> float:
    """Seconds of the soak before `cohort` still to run, by the journal's finish times."""
    before = gating_cohorts([c.name for c in plan.cohorts], cohort)
    if options.skip_gates or not before:
        return 0.0
    finished = [t for name in before if (t := session.journal.cohort_finished(name)) is not None]
    if (latest := session.journal.last_finished()) is not None:
        finished.append(latest)  # a cohort of an earlier plan of the migration counts too
    return remaining(soak_of(plan.spec), finished, options.clock.now())


def soaked(
    session: Session,
    options: RunOptions,
    plan: Plan,
    cohort: str,
    countdown: Callable[[str, float], None],
) -> Session:
    """`session` if the soak before `cohort` is over; else, with --wait, a session opened
    anew after waiting it out with the lock released (whoever holds the lock meanwhile may
    change what the caller verified: it verifies again); without, SoakPendingError."""
    while (left := soak_left(options, plan, session, cohort)) > 0:
        if not options.wait:
            raise SoakPendingError(cohort, left, soak_of(plan.spec))
        close_session(session, options.memory)
        wait_out(left, options.clock, lambda seconds: countdown(cohort, seconds))
        session = open_session(options, plan)
    return session


def gate(
    plan: Plan,
    session: Session,
    cohort: str,
    before: list[str],
    options: RunOptions,
    report: ApplyReport,
    say: Callable[[str], None],
) -> None:
    if options.skip_gates:
        report.gate_skipped = True
        say(
            "WARNING: health gate skipped (--skip-gates): "
            "the tenants of earlier cohorts were not checked"
        )
        return
    entries = session.journal.entries()
    status = cohort_status(plan, entries)
    pending = [name for name in before if status[name] != "applied"]
    if pending:
        raise GateFailedError(
            [f"cohort {name} is {status[name]}" for name in pending],
            what=(
                "cleanup removes what the other cohorts replace, so it runs only after them "
                "(make before break)"
                if cohort == CLEANUP
                else "earlier cohort(s) not applied: apply the cohorts in order"
            ),
        )
    done = {e.key for e in entries if e.direction == APPLY and e.state == DONE}
    tenants = live_tenants(plan, done) & tenants_of(plan, before)
    tenants -= deleted_tenants(session.journal.migration_entries())
    tenants |= migration_tenants(session.journal, plan)
    gates = spec_from_mapping(plan.spec, "the plan's spec").gates
    ses = session.clients.ses
    # different operations, so side by side: SES limits each on its own (as estimated)
    with ThreadPoolExecutor(max_workers=3) as pool:
        health = pool.submit(unhealthy_tenants, ses, tenants)
        listing = pool.submit(listed_tenants, ses)
        guard = pool.submit(account_enforcement, ses) if gates.account_enforcement else None
        unhealthy, reinstated = health.result()
        listed = listing.result()
        enforcement = guard.result() if guard is not None else "HEALTHY"
    missing = sorted(tenants - set(listed))
    report.reinstated = reinstated
    if reinstated and not reinstated_allowed(plan.spec):
        unhealthy = sorted(unhealthy + [f"{name} (reinstated)" for name in reinstated])
        report.reinstated = []
    if unhealthy or missing:
        raise GateFailedError(unhealthy + [f"{name} (missing)" for name in missing])
    if failures := standing_failures(session.journal.probes(), tenants):
        if not options.accept_failed_probe:
            raise ProbeGateError(failures, retry_command(options.plan_path, failures[0].cohort))
        report.accepted_probes = failures
        say(
            f"WARNING: the last probe of {len(failures)} tenant(s) failed "
            f"({', '.join(r.tenant for r in failures[:5])}); the gate lets it pass "
            "(--accept-failed-probe)"
        )
    if enforcement != "HEALTHY":
        raise AccountEnforcementError(enforcement)
    if gates.metrics and tenants:
        metric_gate(plan, session, before, tenants, listed, options, report, say)
    say(f"Health gate passed for {len(tenants)} tenant(s) of {', '.join(before)}")


def senders_left(
    plan: Plan, session: Session, options: RunOptions, say: Callable[[str], None]
) -> None:
    """Refuse the cleanup while a tenant it takes associations from (or deletes) still
    sent in the metric window: its senders have not switched to their new tenants, and
    their sends would fail. `--accept-recent-sends` goes on, loudly."""
    actions = [s.action for s in pending_steps(plan, CLEANUP, session.journal.entries())]
    sending, window = senders_at_risk(session.clients, plan.spec, actions, options.clock.now())
    if not sending:
        return
    if not options.accept_recent_sends:
        raise RecentSendsError("the cleanup cohort", sending, window)
    say(
        f"WARNING: {len(sending)} tenant(s) the cleanup changes sent in the last "
        f"{round(window)}s ({', '.join(sorted(sending)[:5])}); going on "
        "(--accept-recent-sends): their senders' sends may fail"
    )


def metric_gate(
    plan: Plan,
    session: Session,
    before: list[str],
    tenants: set[str],
    listed: dict[str, str],
    options: RunOptions,
    report: "ApplyReport",
    say: Callable[[str], None],
) -> None:
    """The metric conditions: each tenant's Send/Bounce/Complaint sums since its cohort
    finished (at most the spec's window), judged per tenant and per cohort, `count` times
    `interval_seconds` apart (the lock held: a soak is the wait that frees it). More failed
    (inconclusive) measurements than `failure_limit` (`inconclusive_limit`) stop it. The
    account's rates ride in the same calls; over their maximum they stop it at once (a
    tenant's failure, naming the culprit, first)."""
    gates = spec_from_mapping(plan.spec, "the plan's spec").gates
    if session.clients.cloudwatch is None:
        raise SesmigrateError("the gate's metric conditions need a CloudWatch client")
    failed = unsure = 0
    accepted: list[Verdict] = []  # the last measurement's, each measurement judging anew
    for measurement in range(1, gates.count + 1):
        if measurement > 1:
            options.clock.sleep(gates.interval_seconds)
        windows = metric_windows(
            plan,
            session.journal.cohort_finished,
            before,
            tenants,
            listed,
            options.clock.now(),
            gates.window_seconds,
        )
        volumes, account = gate_metrics(session.clients.cloudwatch, windows)
        verdicts = metric_verdicts(windows, volumes, gates)
        report.metric_verdicts = verdicts
        cohorts = sorted({w.cohort for w in windows if w.cohort in before}, key=before.index)
        last = cohorts[-1] if cohorts else before[-1]
        rollback = f"sesmigrate rollback {options.plan_path} --cohort {last}"
        of = f"measurement {measurement} of {gates.count}"
        if verdicts.failed:
            failed += 1
            if failed > gates.failure_limit:
                raise MetricGateFailedError(
                    verdicts.failed,
                    rollback,
                    f"{failed} of {measurement} measurements failed, failure_limit "
                    f"{gates.failure_limit}"
                    if gates.count > 1
                    else "",
                )
            say(
                f"WARNING: {of} failed ({', '.join(v.subject for v in verdicts.failed[:5])}); "
                f"tolerated: {failed} of failure_limit {gates.failure_limit}"
            )
            continue
        if account is not None and (over := account_rates_over(account, gates)):
            raise AccountRateError(over, account, rollback)
        if verdicts.inconclusive and not options.accept_inconclusive:
            unsure += 1
            if unsure > gates.inconclusive_limit:
                raise InconclusiveGateError(verdicts.inconclusive, gates.min_sends)
            say(
                f"WARNING: {of} inconclusive; tolerated: {unsure} of inconclusive_limit "
                f"{gates.inconclusive_limit}"
            )
            continue
        accepted = verdicts.inconclusive
        if verdicts.settled:
            say(
                f"{len(verdicts.settled)} tenant(s) sent too little alone and pass on their "
                "cohort's summed volume"
            )
        passed = f"{of}: " if gates.count > 1 else ""
        say(
            f"Metric conditions passed ({passed}{len(verdicts.passed)} tenant(s) judged on "
            "their own volume)"
        )
    if accepted:
        report.accepted_inconclusive += accepted
        say(
            f"WARNING: {len(accepted)} tenant(s) sent too little to judge "
            f"({', '.join(v.subject for v in accepted[:5])}); the gate lets it pass "
            "(--accept-inconclusive)"
        )
