"""Cohort membership kept across plans: which customer is in which cohort is state.

Slicing the customers by risk on every plan would move everyone after a new customer into
another cohort, and a customer told "you move in wave-2" (a cut-over page) or one whose
cohort has run would silently change cohorts. So, as Terraform keeps what it decided in
its state instead of deriving it again, `plan` records the membership it used in
`<state_dir>/migrations/<account>-<region>/<migration>/cohorts.json` (atomically, under a
file lock) with the checksums of the plans made from it, and the next plan starts from it:

- every recorded customer still in the account stays in its cohort;
- a customer no longer in the account drops out (a cohort left empty disappears);
- a cohort with apply entries in any recorded plan's journal is *applied* and never
  gains members; new customers, lowest risk first, fill the pending cohorts up to the
  sizes the current settings give, the rest go into the last pending cohort, or into a
  new wave when every cohort has been applied (by tier: the pending wave of their tier,
  else a new wave).

Changing the sizing (`--canary`, `--growth`...) therefore sizes only where new customers
go; `plan --reslice` forgets the pending cohorts' membership and slices them afresh
(applied cohorts are kept even then).

Why `plan` writes it, although Terraform's plan writes no state: the membership is decided
and published when the plan is made (the summary, the cut-over pages), before any apply;
recording it only on apply would let a second plan reshuffle customers already told their
cohort. Applied cohorts are found in the migration's journal in the state directory (and
in the per-plan journals of earlier versions); a journal kept elsewhere (`apply --journal`)
is not seen.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from ..errors import SesmigrateError
from ..files import read_text, write_atomically
from ..planning.graph import CANARY, customer_cohorts, risk, wave_name
from ..planning.ownership import Customer
from ..planning.spec import CohortSpec
from .journal import (
    APPLY,
    Entry,
    JournalError,
    SqliteJournal,
    legacy_journal_path,
    migration_journal_path,
)

FORMAT = 1
Named = list[tuple[str, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class RecordedCohort:
    name: str
    customers: tuple[str, ...]
    applied: bool = False


@dataclass(frozen=True, slots=True)
class Membership:
    cohorts: tuple[RecordedCohort, ...] = ()
    plans: tuple[str, ...] = ()
    """Checksums of the plans made from this membership; their journals say what ran."""
    sizing: str = ""


def membership_path(state_dir: Path, account: str, region: str, migration: str) -> Path:
    return state_dir / "migrations" / f"{account}-{region}" / migration / "cohorts.json"


def read_membership(path: Path) -> Membership:
    """The recorded membership, or an empty one when none has been recorded."""
    if not path.exists():
        return Membership()
    text = read_text(path, "cohort membership")
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        cohorts = tuple(
            RecordedCohort(str(c["name"]), tuple(map(str, c["customers"])), bool(c["applied"]))
            for c in data["cohorts"]
        )
        return Membership(cohorts, tuple(map(str, data["plans"])), str(data.get("sizing", "")))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SesmigrateError(
            f"cohort membership {path} is not readable ({exc}); restore it, or remove it to "
            "slice every cohort afresh"
        ) from None


def write_membership(path: Path, membership: Membership) -> None:
    document = {
        "format": FORMAT,
        "sizing": membership.sizing,
        "plans": list(membership.plans),
        "cohorts": [
            {"name": c.name, "customers": list(c.customers), "applied": c.applied}
            for c in membership.cohorts
        ],
    }
    write_atomically(path, json.dumps(document, indent=2) + "\n")


def membership_lock(path: Path) -> FileLock:
    """Held while the record is replaced, so two plans written at once never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path.with_name(f".{path.name}.lock")))


def recorded_entries(
    state_dir: Path, account: str, region: str, migration: str, plans: Iterable[str]
) -> list[Entry]:
    """Every row of the migration's journal, and of the journals of recorded plans that an
    earlier version kept on their own and no run has imported yet."""
    found: list[Entry] = []
    path = migration_journal_path(state_dir, account, region, migration)
    if path.exists():
        journal = SqliteJournal(path, "")
        try:
            found += journal.migration_entries()
        finally:
            journal.close()
    for checksum in plans:
        legacy = legacy_journal_path(state_dir, checksum)
        if not legacy.exists():
            continue
        try:
            journal = SqliteJournal(legacy, checksum)
        except JournalError:
            continue
        try:
            found += journal.entries()
        finally:
            journal.close()
    return found


def applied_cohorts(entries: Iterable[Entry]) -> set[str]:
    """Cohorts with apply entries, whichever plan wrote them."""
    return {e.cohort for e in entries if e.direction == APPLY}


def kept_membership(
    customers: tuple[Customer, ...],
    settings: CohortSpec,
    recorded: Membership,
    applied: set[str],
    reslice: bool = False,
) -> tuple[Named, tuple[RecordedCohort, ...]]:
    """The cohorts for this plan (name, customer ids, in apply order) and the record of them.

    Without a record (or everything resliced) this is the fresh slicing."""
    present = {c.id: c for c in customers}
    kept = [
        RecordedCohort(
            c.name, tuple(i for i in c.customers if i in present), c.applied or c.name in applied
        )
        for c in recorded.cohorts
        if not reslice or c.applied or c.name in applied
    ]
    kept = [c for c in kept if c.customers]
    placed = {i for c in kept for i in c.customers}
    newcomers = sorted((c for c in customers if c.id not in placed), key=risk)
    fresh = customer_cohorts(customers, settings)
    named = _place(kept, newcomers, fresh, settings, present) if kept else fresh
    was_applied = {c.name for c in kept if c.applied} | applied
    record = tuple(RecordedCohort(name, ids, name in was_applied) for name, ids in named)
    return named, record


def _place(
    kept: list[RecordedCohort],
    newcomers: list[Customer],
    fresh: Named,
    settings: CohortSpec,
    present: dict[str, Customer],
) -> Named:
    members = {c.name: list(c.customers) for c in kept}
    order = [c.name for c in kept]
    pending = [c.name for c in kept if not c.applied]
    highest = max((_wave_number(name) for name in order), default=0)
    for name, _ in [] if settings.by_tier else fresh:
        if _wave_number(name) > highest:
            order.append(name)
            pending.append(name)
            members[name] = []
    targets = {name: len(ids) for name, ids in fresh}
    next_wave = max((_wave_number(name) for name in order), default=0) + 1
    for customer in newcomers:
        if settings.by_tier:
            home = (n for n in pending if _tier_of(members[n], present) == _tier(customer))
            target = next(home, None)
        else:
            short = (n for n in pending if len(members[n]) < targets.get(n, 0))
            target = next(short, pending[-1] if pending else None)
        if target is None:
            target = wave_name(next_wave)
            next_wave += 1
            order.append(target)
            pending.append(target)
            members[target] = []
        members[target].append(customer.id)
    return [(name, tuple(members[name])) for name in order if members[name]]


def _wave_number(name: str) -> int:
    if name == CANARY:
        return 0
    number = name.removeprefix("wave-")
    return int(number) if number.isdigit() else 0


def _tier(customer: Customer) -> str:
    return customer.tier or "untiered"


def _tier_of(ids: list[str], present: dict[str, Customer]) -> str | None:
    return _tier(present[ids[0]]) if ids else None
