"""What the migration's journal records of its customers: the plans it ran, each
customer's latest place, and an onboarding or offboarding named by customer and time.

A sign-up's plan file sits in whichever state directory (or `-o`) the worker had, and an
operator rolling one back knows the customer and roughly when, not the file. The journal
keeps every plan it ran with where it was read from, so `rollback MAIN_PLAN --cohort
onboard-CUSTOMER [--at TIME]` finds it there; a file gone since is written back from the
journal's copy (the document is sealed, so the copy is the plan).
"""

from pathlib import Path

from ..errors import SesmigrateError
from ..files import write_atomically
from ..listing import first_few
from ..planning.plan import CustomerView, Plan, read_plan
from ..state.journal import (
    APPLY,
    DONE,
    INTENT,
    Entry,
    SqliteJournal,
    migration_journal_path,
)

KINDS = ("onboard-", "offboard-")
"""The cohort names of a one-customer plan: `onboard-CUSTOMER`, `offboard-CUSTOMER`."""


def names_one_customer(plan: Plan, cohort: str | None) -> bool:
    """Whether `cohort` names a one-customer plan rather than one of `plan`'s cohorts."""
    return (
        cohort is not None
        and cohort.startswith(KINDS)
        and cohort not in {c.name for c in plan.cohorts}
    )


def one_customer_plan(
    main: Plan, cohort: str, at: str | None, state_dir: Path, journal: Path | None = None
) -> tuple[Plan, Path]:
    """The newest plan of `main`'s migration whose one cohort is `cohort` and whose effects
    are still in place (else the newest), sealed at a time starting with `at` when given,
    and a file holding it. Newest is the journal's order: two sealed in one second differ."""
    path = journal or migration_journal_path(state_dir, main.account, main.region, main.migration)
    found: list[tuple[Plan, str, str]] = []
    applied: set[str] = set()
    if path.exists():
        opened = SqliteJournal(path, main.checksum)
        try:
            registered = opened.plans()
            applied = {e.plan for e in opened.migration_entries() if _in_place(e)}
        finally:
            opened.close()
        for document, source in registered.values():
            plan = read_plan(document, source)
            if [c.name for c in plan.cohorts] == [cohort]:
                found.append((plan, source, document))
    matching = [f for f in found if at is None or f[0].created_at.startswith(at)]
    if not matching:
        times = first_few(sorted(f[0].created_at for f in found), 5)
        kind, _, customer = cohort.partition("-")
        raise SesmigrateError(
            f"migration {main.migration!r} has no {kind}ing of customer {customer!r}"
            + (f" sealed at {at}" if at else "")
            + (f" (its {kind}ings of that customer: {times})" if found else "")
            + f" in its journal {path}; name the plan file instead"
        )
    plan, source, document = ([f for f in matching if f[0].checksum in applied] or matching)[-1]
    return plan, _file_of(document, source, state_dir, cohort)


def _file_of(document: str, source: str, state_dir: Path, cohort: str) -> Path:
    """Where the journal's sealed `document` is: the file it was read from while that
    still holds it, else a copy written back into the state's folder of its kind."""
    file = Path(source)
    if file.is_file() and file.read_text(encoding="utf-8") == document:
        return file
    plan = read_plan(document, source)
    folder = state_dir / f"{cohort.partition('-')[0]}ings"
    file = folder / f"{plan.migration}-{plan.checksum.removeprefix('sha256:')[:16]}.plan.json"
    write_atomically(file, document)
    return file


def _in_place(entry: Entry) -> bool:
    return entry.direction == APPLY and entry.state == DONE and entry.made


def migration_plans(main: Plan, state_dir: Path) -> list[Plan]:
    """`main` and every plan its migration's journal registered (re-plans, onboardings,
    offboardings), oldest sealed first."""
    plans = {main.checksum: main}
    path = migration_journal_path(state_dir, main.account, main.region, main.migration)
    if path.exists():
        journal = SqliteJournal(path, main.checksum)
        try:
            registered = journal.plans()
        finally:
            journal.close()
        for checksum, (document, source) in registered.items():
            if checksum not in plans:
                plans[checksum] = read_plan(document, source)
    return sorted(plans.values(), key=lambda p: p.created_at)


def customer_records(plans: list[Plan]) -> dict[str, CustomerView]:
    """Each customer's latest record among `plans` (oldest first) that places it."""
    records: dict[str, CustomerView] = {}
    for plan in plans:
        records.update((c.id, c) for c in plan.customers if c.tenant)
    return records


def tenant_keys(plans: list[Plan]) -> dict[str, str]:
    """Tenant name -> its key tag (`group:0003`, `tier:free`, a customer id), latest first."""
    return {t.name: t.key for plan in plans for t in plan.tenants}


def stopped_plan(
    journal: Path, main: Plan, cohort: str, state_dir: Path
) -> tuple[Plan, Path] | None:
    """The latest plan of `cohort` (`onboard-CUSTOMER`, `offboard-CUSTOMER`) whose run was
    stopped (killed) with a call journaled as intended and not answered, and a file holding
    it: the next run resumes that plan, as apply resumes a killed cohort, so each such intent
    gets its outcome and the plan's rollback knows what it made. A new plan instead would
    leave those intents open for good, and every later run of the migration would wait out
    the killed run's calls before it starts."""
    if not journal.exists():
        return None
    opened = SqliteJournal(journal, main.checksum)
    try:
        stopped = [e.plan for e in opened.interrupted() if e.cohort == cohort]
        stopped = [p for p in stopped if _applying(opened, p, cohort)]
        documents = opened.plans()
    finally:
        opened.close()
    if not stopped or stopped[-1] not in documents:
        return None
    document, source = documents[stopped[-1]]
    return read_plan(document, source), _file_of(document, source, state_dir, cohort)


def _applying(journal: SqliteJournal, plan: str, cohort: str) -> bool:
    """Whether the open intents of `plan` are its apply's (a stopped rollback is rollback's
    to resume)."""
    return any(
        e.direction == APPLY and e.state == INTENT
        for e in journal.for_plan(plan).entries()
        if e.cohort == cohort
    )
