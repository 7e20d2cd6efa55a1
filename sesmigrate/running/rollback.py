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
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from ..actions.monitoring import MonitoringAction
from ..actions.tenant import (
    Action,
    CreateTenant,
    Outcome,
)
from ..aws.clients import aws_errors
from ..errors import SesmigrateError
from ..planning.graph import dependency_graph
from ..planning.plan import Plan, read_plan
from ..planning.suggest import did_you_mean
from ..state.history import counts_by_cohort
from ..state.journal import APPLY, DONE, ROLLBACK, Entry, SqliteJournal, StateElsewhereError
from .apply import (
    NothingToDo,
    RunOptions,
    applied_state,
    close_session,
    cohort_status,
    open_session,
)
from .executor import Executor, RunResult
from .gates import RecentSendsError, senders_at_risk, tagged_tenants
from .inverses import maybe_applied, reverse_batches, successors


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
    recent_sends: tuple[tuple[str, float], ...] = ()
    """Tenants the rollback takes from their senders that sent in the metric window, with
    how many sends (only with --accept-recent-sends: without it the rollback refuses)."""

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
            "recent_sends": {tenant: sends for tenant, sends in self.recent_sends},
        }


@dataclass
class RollbackReport:
    result: RunResult
    cohorts: list[str]
    kept: list[str]
    """Actions left in place because a later, still-applied cohort depends on them."""
    preview: RollbackPreview
    dry_run: bool = False
    counts: list[dict[str, Any]] = field(default_factory=list)
    """The result per cohort (of every plan rolled back), for the history and --format json."""

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
                f"the plan has no cohort {wanted!r}{did_you_mean(wanted, names)}: its cohorts "
                f"are {', '.join(names)}"
            )
        return [wanted]
    if not touched:
        raise NothingToDo("nothing of this plan is applied")
    return touched[-1:]


@dataclass
class _Part:
    """What the rollback undoes of one plan of the migration."""

    plan: Plan
    journal: SqliteJournal
    label: str
    """How its cohorts are named in the preview: the plan rolled back, or its source."""
    chosen: list[str]
    undo: list[tuple[Entry, Action]]
    kept: list[str]
    customers: set[str]

    def name(self, cohort: str) -> str:
        return cohort if not self.label else f"{cohort} of {self.label}"


def run_rollback(
    options: RunOptions,
    plan: Plan,
    confirm: Callable[[RollbackPreview], None],
    progress: Any,
    stop: threading.Event | None = None,
) -> RollbackReport:
    """Undo the chosen cohorts of `plan`; `--cohort all` undoes the whole migration, every
    plan of it newest first. A cohort whose effects a later plan's applied cohorts build on
    (the same tenants, the same monitoring) is refused, naming them."""
    session = open_session(options, plan, progress)
    try:
        journal = session.journal
        check_state_here(session, plan)
        everything = journal.migration_entries()
        if options.cohort == "all":
            parts = [
                _part(other, journal.for_plan(other.checksum), "all", label)
                for other, label in _plans_newest_first(journal, plan, everything)
            ]
            parts = [part for part in parts if part.chosen]
            if not any(part.undo for part in parts):
                raise NothingToDo("nothing of this migration is applied")
        else:
            part = _part(plan, journal, options.cohort, "")
            _refuse_under_later_plans(journal, plan, part, everything)
            parts = [part]
        preview = RollbackPreview(
            tuple(part.name(c) for part in parts for c in part.chosen),
            tuple(sorted({c for part in parts for c in part.customers})),
            tuple(
                replace(undo, cohort=part.name(undo.cohort))
                for part in parts
                for undo in _planned(reverse_batches(part.plan, part.undo))
            ),
            tuple(key for part in parts for key in part.kept),
        )
        preview = _senders_checked(session, plan, preview, options)
        confirm(preview)
        cohorts = list(preview.cohorts)
        kept = list(preview.kept)
        if options.dry_run:
            return RollbackReport(RunResult(), cohorts, kept, preview, dry_run=True)
        total = RunResult()
        counts = []
        with progress.phase(f"Rolling back {', '.join(cohorts)}") as bar:
            bar.expect(sum(len(part.undo) for part in parts))
            results = _run_parts(parts, session, options, bar, stop)
        for part, result in results:
            for entry in counts_by_cohort(part.plan, result, part.chosen):
                counts.append({**entry, "name": part.name(entry["name"])})
            total.made += result.made
            total.found += result.found
            total.failed += result.failed
            total.skipped += result.skipped
            total.interrupted = result.interrupted
        if total.ok:
            with progress.phase("Checking the rolled-back tenants are gone"):
                total.failed += reappeared(session.clients.ses, total.made)
        return RollbackReport(total, cohorts, kept, preview, counts=counts)
    finally:
        close_session(session, options.memory)


def _senders_checked(
    session: Any, plan: Plan, preview: RollbackPreview, options: RunOptions
) -> RollbackPreview:
    """Refuse to take a tenant from senders that still used it in the metric window (a
    dry run only shows it); with --accept-recent-sends the preview names them."""
    inverses = [undo.inverse for undo in preview.undo]
    sending, window = senders_at_risk(session.clients, plan.spec, inverses, options.clock.now())
    if sending and not (options.accept_recent_sends or options.dry_run):
        raise RecentSendsError(f"rolling back {', '.join(preview.cohorts)}", sending, window)
    return replace(preview, recent_sends=tuple((t, sending[t].sends) for t in sorted(sending)))


def reappeared(ses: Any, undone: list[str]) -> list[tuple[str, str]]:
    """The end state, read once more: each tenant whose creation this rollback undid that
    exists again (a call landing after all, or someone making it anew), as a failure naming
    it. One ListTenants page per 100 tenants."""
    deleted = {key.partition(":")[2] for key in undone if key.startswith(f"{CreateTenant.kind}:")}
    if not deleted:
        return []
    with aws_errors():
        listed = {
            t["TenantName"]
            for page in ses.get_paginator("list_tenants").paginate()
            for t in page.get("Tenants", [])
        }
    return [
        (
            f"{CreateTenant.kind}:{name}",
            f"tenant {name} exists again after this rollback deleted it (a call landed late, "
            "or someone made it anew): look at it, and delete it by hand if it is the "
            "migration's",
        )
        for name in sorted(deleted & listed)
    ]


def _part(plan: Plan, journal: SqliteJournal, wanted: str | None, label: str) -> _Part:
    """The inverses of the chosen cohorts of `plan`, newest first, less what its later,
    still-applied cohorts need."""
    entries = journal.entries()
    chosen = rollback_cohorts(plan, entries, wanted)
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
    watched = {e.cohort for e in state.values() if e.cohort not in chosen and maybe_applied(e)}
    customers = {c for cohort in plan.cohorts if cohort.name in chosen for c in cohort.customers}
    undo: list[tuple[Entry, Action]] = []
    kept = []
    by_key = {step.action.key: step for step in plan.steps}
    for entry in sorted(state.values(), key=lambda e: -e.seq):
        if entry.cohort not in chosen or not maybe_applied(entry):
            continue
        step = by_key[entry.key]
        needed_later = set(_descendants(graph, entry.key)) & still_applied
        watching = isinstance(step.action, MonitoringAction) and bool(watched)
        if needed_later or set(step.customers) & staying or watching:
            kept.append(entry.key)
            continue
        undo.append((entry, step.action))
    return _Part(plan, journal, label, chosen, undo, kept, customers)


def _run_parts(
    parts: list["_Part"],
    session: Any,
    options: RunOptions,
    progress: Any,
    stop: threading.Event | None,
) -> list[tuple["_Part", RunResult]]:
    """Each part in turn, up to the first that does not finish cleanly."""
    results = []
    for part in parts:
        result = _run_part(part, session, options, progress, stop)
        results.append((part, result))
        if not result.ok:
            break
    return results


def _run_part(
    part: _Part,
    session: Any,
    options: RunOptions,
    progress: Any,
    stop: threading.Event | None,
) -> RunResult:
    graph = dependency_graph(tuple(part.plan.steps))
    executor = Executor(
        session.clients.ses,
        part.journal,
        ROLLBACK,
        options.parallelism,
        progress=progress,
        stop=stop or threading.Event(),
        services=session.clients.services(),
    )
    with aws_errors():
        return executor.run(
            reverse_batches(part.plan, part.undo, options.delete_foreign_associations),
            lambda key: (),
            after=lambda key: successors(graph, key),
        )


def _plans_newest_first(
    journal: SqliteJournal, plan: Plan, everything: list[Entry]
) -> list[tuple[Plan, str]]:
    """The migration's plans with rows still applied, the one whose last row is newest
    first, each with its label (empty for `plan`, else where it was applied from)."""
    documents = journal.plans()
    newest: dict[str, int] = {}
    for entry in everything:
        if entry.direction == APPLY and maybe_applied(entry):
            newest[entry.plan] = max(newest.get(entry.plan, 0), entry.seq)
    found = []
    for checksum in sorted(newest, key=lambda c: -newest[c]):
        if checksum == plan.checksum:
            found.append((plan, ""))
        elif checksum in documents:
            document, source = documents[checksum]
            found.append((read_plan(document, source), source))
        else:
            raise SesmigrateError(
                f"the migration's journal holds applied actions of plan {checksum[:19]}... "
                "whose document it does not keep (applied by an earlier version); roll that "
                "plan back from its file first"
            )
    return found


def _refuse_under_later_plans(
    journal: SqliteJournal, plan: Plan, part: _Part, everything: list[Entry]
) -> None:
    """Refuse to undo what a later plan's applied actions build on: they act on the same
    tenants (or share an action such as the monitoring's) and were journaled after."""
    if not part.undo:
        return
    first = min(entry.seq for entry, _ in part.undo)
    keys = {entry.key for entry, _ in part.undo}
    tenants = {t for _, action in part.undo if (t := action.tenant_name)}
    later: dict[tuple[str, str], set[str]] = {}
    for entry in everything:
        if (
            entry.plan == plan.checksum
            or entry.direction != APPLY
            or entry.seq < first
            or not maybe_applied(entry)
        ):
            continue
        if entry.key in keys or entry.tenant in tenants:
            later.setdefault((entry.plan, entry.cohort), set()).add(entry.tenant or entry.key)
    if not later:
        return
    documents = journal.plans()
    named = [
        (cohort, documents.get(checksum, ("", f"plan {checksum[:19]}..."))[1], touched)
        for (checksum, cohort), touched in sorted(later.items())
    ]
    shown = "; ".join(
        f"{cohort} of {source} ({', '.join(sorted(touched)[:3])})"
        for cohort, source, touched in named[:3]
    )
    cohort, source, _ = named[0]
    raise SesmigrateError(
        f"cannot roll back {', '.join(part.chosen)}: later plans' applied cohorts build on "
        f"what it made: {shown}; roll those back first (sesmigrate rollback {source} "
        f"--cohort {cohort}), or the whole migration with --cohort all"
    )


def check_state_here(session: Any, plan: Plan) -> None:
    """Refuse when a planned tenant exists tagged with the migration though no plan of
    this state journaled it: the state that made it is elsewhere (one ListTenants, and a
    GetTenant for each such name)."""
    known = {e.tenant for e in session.journal.migration_entries()}
    unknown = {t.name for t in plan.tenants} - known
    elsewhere = tagged_tenants(session.clients.ses, unknown, plan.migration)
    if elsewhere:
        raise StateElsewhereError(plan.migration, elsewhere, session.journal.path.parent)


def _planned(batches: list[list[tuple[Any, str]]]) -> list[Undo]:
    """The inverses in running order, as `Inverse.apply` will compute them: from the
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


def _descendants(graph: Any, key: str) -> list[str]:
    return list(nx.descendants(graph, key)) if key in graph else []
