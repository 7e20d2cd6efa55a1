"""`sesmigrate plan` end to end: spec, inventory, ownership, strategy, diff, cohorts, plan.

The one function the CLI calls. Everything that can be wrong with the user's input (spec,
strategy, mapping file, inventory file) is checked before any AWS call, so a bad input is
one line and changes nothing.
"""

import gc
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..aws.clients import AccountBinding, AwsSettings
from ..aws.scanner import ScanProgress, scan_account
from ..errors import SesmigrateError
from ..files import read_text
from ..listing import first_few
from ..state.applied import applied_journals
from ..state.journal import (
    Entry,
    SqliteJournal,
    StateElsewhereError,
    legacy_journal_path,
    migration_journal_path,
)
from ..state.membership import (
    Membership,
    Named,
    applied_cohorts,
    kept_membership,
    membership_lock,
    membership_path,
    read_membership,
    recorded_entries,
    write_membership,
)
from ..state.rates import DEFAULT_HEADROOM, RateMemory
from ..strategies import desired_state, get_strategy
from .coverage import check_adoptions, empty_account, mapping_warnings, tier_warnings
from .diff import Changes, diff
from .durations import Rates
from .graph import CANARY, Cohort, cohorts
from .monitoring import monitoring_changes
from .ownership import Ownership, ownership
from .plan import Plan, build_plan
from .rules import chosen_rules, ownership_rules, spec_gives_rules
from .snapshot import MANAGED_TAG, Inventory, read_inventory
from .spec import MigrationSpec, default_name, parse_spec

KEPT_PLANS = 100
"""Plans whose journals are read for applied cohorts; a cohort seen applied stays so in the
record, so only a cohort applied from a plan this many re-plans old could be missed."""


@dataclass(frozen=True, slots=True)
class PlanRequest:
    spec_path: Path | None
    overrides: dict[str, Any]
    inventory_path: Path | None
    aws: AwsSettings
    rate: float | None = None
    op_rates: dict[str, float] | None = None
    state_dir: Path | None = None
    """Where the cohort membership is kept between plans; None slices afresh, records nothing."""
    reslice: bool = False
    """Forget the pending cohorts' recorded membership (applied cohorts are kept)."""
    headroom: float = DEFAULT_HEADROOM
    """The share of each learned rate to use (the learned rates live in `state_dir`)."""


@dataclass(frozen=True, slots=True)
class PlanResult:
    plan: Plan
    inventory: Inventory
    ownership: Ownership
    spec: MigrationSpec
    membership: Membership | None = None
    """The membership to record once the plan file is written (None: nothing to record)."""
    membership_path: Path | None = None


def save_membership(result: PlanResult, sealed: str) -> None:
    """Record the plan's cohort membership for the next plan, with the checksum of the plan
    file (`sealed`, as written) whose journal will say which cohorts ran."""
    if result.membership is None or result.membership_path is None:
        return
    checksum = sealed_checksum(sealed)
    earlier = tuple(c for c in result.membership.plans if c != checksum)[-(KEPT_PLANS - 1) :]
    membership = replace(result.membership, plans=(*earlier, checksum))
    with membership_lock(result.membership_path):
        write_membership(result.membership_path, membership)


def sealed_checksum(sealed: str) -> str:
    """The checksum `plan_to_json` puts last in the file, read without parsing the plan."""
    found = re.search(r'"checksum":"(sha256:[0-9a-f]{64})"\}\s*$', sealed[-128:])
    if found is None:
        raise SesmigrateError("the plan text carries no checksum at its end")
    return found.group(1)


def load_spec(request: PlanRequest) -> tuple[MigrationSpec, list[str]]:
    """The spec with the flags applied, and what the flags dropped from it: `--strategy`
    naming another strategy than the spec's drops the spec's options that strategy does
    not take (`group_size` of shared under `--strategy isolated`), with a warning."""
    if request.spec_path is None:
        strategy = request.overrides.get("strategy") or "isolated"
        base = MigrationSpec(name=default_name(strategy), strategy=strategy)
        return base.with_overrides(**request.overrides), []
    base = parse_spec(read_text(request.spec_path, "spec"), str(request.spec_path))
    flag = request.overrides.get("strategy")
    notes = []
    if flag is not None and flag != base.strategy:
        takes = get_strategy(flag).options
        dropped = [(k, v) for k, v in base.strategy_options if k not in takes]
        if dropped:
            base = replace(
                base, strategy_options=tuple((k, v) for k, v in base.strategy_options if k in takes)
            )
            said = ", ".join(f"{k} = {_toml(v)}" for k, v in dropped)
            notes.append(
                f"--strategy {flag} replaces the spec's strategy {base.strategy!r}: its "
                f"[strategy_options] {said} dropped ({flag} does not take them)"
            )
    return base.with_overrides(**request.overrides), notes


def _toml(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Planning builds hundreds of thousands of long-lived, acyclic objects; the cyclic
    collector would rescan them all again and again (time growing faster than the plan), and
    there is no cyclic garbage to find. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def make_plan(
    request: PlanRequest,
    progress: ScanProgress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PlanResult:
    with _no_cyclic_gc():
        return _make_plan(request, progress, now)


def _make_plan(
    request: PlanRequest,
    progress: ScanProgress | None,
    now: Callable[[], datetime],
) -> PlanResult:
    spec, notes = load_spec(request)
    strategy = get_strategy(spec.strategy)
    base = request.spec_path.parent if request.spec_path else Path()
    mapping = spec.ownership.mapping
    rules = ownership_rules(
        base / mapping if mapping else None,
        list(spec.ownership.name_patterns),
        spec.ownership.customer_tag,
        spec.ownership.tier_tag,
    )
    memory = RateMemory(request.state_dir, request.headroom) if request.state_dir else None
    if request.inventory_path is not None:
        source = str(request.inventory_path)
        inventory = read_inventory(read_text(request.inventory_path, "inventory"), source)
        rules, said = chosen_rules(rules, spec_gives_rules(spec.ownership), inventory, source)
        notes += said
    else:
        watched = (spec.monitoring.log_group,) if spec.monitoring.enabled else ()
        inventory = scan_account(
            request.aws,
            request.rate,
            request.op_rates,
            progress=progress,
            log_groups=watched,
            memory=memory,
        )
    owners = ownership(inventory, rules)
    empty = empty_account(inventory, owners, rules)
    notes += [empty] if empty else []
    notes += tier_warnings(spec, owners, request.overrides.get("dedicated_tiers") is not None)
    notes += mapping_warnings(rules, inventory)
    desired = desired_state(strategy, owners, inventory, spec)
    changes = with_monitoring(diff(inventory, desired, owners, spec), inventory, spec)
    check_adoptions(spec, changes, inventory, request.overrides.get("adopt") or ())
    named, membership, path, kept = _membership(request, spec, inventory, owners)
    ordered = cohorts(changes.actions, owners.customers, spec.cohorts, named)
    notes += [*kept, *canary_companions(ordered, changes)]
    if notes:
        changes = replace(changes, warnings=(*changes.warnings, *notes))
    plan = build_plan(
        inventory,
        spec,
        changes,
        ordered,
        tool_version=__version__,
        created_at=now().isoformat(timespec="seconds"),
        rates=_rates(request, inventory, memory),
        owners=owners,
        rules=rules,
    )
    return PlanResult(plan, inventory, owners, spec, membership, path)


def _membership(
    request: PlanRequest, spec: MigrationSpec, inventory: Inventory, owners: Ownership
) -> tuple[Named | None, Membership | None, Path | None, list[str]]:
    """The cohorts kept from the recorded membership, what to record next, and warnings."""
    notes = []
    canary = spec.cohorts.canary
    if owners.customers and canary > len(owners.customers):
        given = (
            f"--canary {canary}"
            if request.overrides.get("canary") is not None
            else f"cohorts.canary = {canary}"
        )
        notes.append(
            f"{given} is more than the {len(owners.customers)} customers: the canary holds "
            "all of them and no wave follows it"
        )
    if spec.name == default_name(spec.strategy):
        notes.append(
            f"the migration is named {spec.name!r} after its strategy: the name keys its state "
            "and tags its tenants, so two migrations of one account must not share it; give "
            "it a name of its own (`name = ...` in the spec)"
        )
    if request.state_dir is None:
        return None, None, None, notes
    path = membership_path(
        request.state_dir, inventory.account.account_id, inventory.account.region, spec.name
    )
    recorded = read_membership(path)
    account, region = inventory.account.account_id, inventory.account.region
    entries = recorded_entries(request.state_dir, account, region, spec.name, recorded.plans)
    check_state_here(inventory, spec.name, entries, request.state_dir)
    applied = applied_cohorts(entries)
    named, record = kept_membership(
        owners.customers, spec.cohorts, recorded, applied, request.reslice
    )
    sizing = spec.cohorts.describe()
    if recorded.cohorts and recorded.sizing != sizing and not request.reslice:
        notes.append(
            f"cohorts: kept the membership recorded in {path} (sliced with {recorded.sizing}); "
            f"{sizing} places only new customers; plan --reslice re-slices the pending cohorts"
        )
    kept_sizing = recorded.sizing if recorded.cohorts and not request.reslice else sizing
    return named, Membership(record, recorded.plans, kept_sizing), path, notes


def with_monitoring(changes: Changes, inventory: Inventory, spec: MigrationSpec) -> Changes:
    """The tenant changes plus the monitoring's, still ordered by action key."""
    planned, warnings = monitoring_changes(inventory, spec)
    if not planned and not warnings:
        return changes
    return replace(
        changes,
        actions=tuple(sorted((*changes.actions, *planned), key=lambda a: a.action.key)),
        warnings=(*changes.warnings, *warnings),
    )


def default_plan_path(spec: MigrationSpec, plan: Plan | None = None) -> Path:
    """`plans/NAME.plan.json`; refused when that file holds the plan of another account or
    region, which writing there would silently replace (planning a second region)."""
    path = Path("plans") / f"{spec.name}.plan.json"
    if plan is None:
        return path
    held = _binding_of(path)
    if held is not None and held != (plan.account, plan.region):
        other = path.with_name(f"{spec.name}-{plan.region}.plan.json")
        if held[0] != plan.account:
            other = path.with_name(f"{spec.name}-{plan.account}-{plan.region}.plan.json")
        raise SesmigrateError(
            f"{path} holds the plan for account {held[0]} in {held[1]}, and this plan is for "
            f"account {plan.account} in {plan.region}: write it elsewhere, e.g. -o {other}"
        )
    return path


def _binding_of(path: Path) -> tuple[str, str] | None:
    """The (account, region) a plan file is bound to, if it holds a readable one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    account, region = document.get("account"), document.get("region")
    if isinstance(account, str) and isinstance(region, str):
        return account, region
    return None


def canary_companions(ordered: tuple[Cohort, ...], changes: Changes) -> list[str]:
    """Who else a canary tenant carries: a shared tenant created for the canary also holds
    customers of later cohorts, so the canary tests it with only some of its customers."""
    canary = next((c for c in ordered if c.name == CANARY), None)
    if canary is None:
        return []
    chosen = set(canary.customers)
    notes = []
    for name, wanted in changes.tenants:
        members = set(wanted.customers)
        if len(members) < 2 or not members & chosen or members <= chosen:
            continue
        later = sorted(members - chosen)
        shown = first_few(later, 5)
        notes.append(
            f"canary tenant {name} also carries {len(later)} customer(s) of later cohorts "
            f"({shown}): the canary tries it with {len(members & chosen)} of its "
            f"{len(members)} customers, and the others' resources join it in their cohorts"
        )
    return notes


def _rates(request: PlanRequest, inventory: Inventory, memory: RateMemory | None) -> Rates:
    """The rates the plan's durations are estimated at: given, else learned, else assumed."""
    if memory is None:
        return Rates.given(request.rate, request.op_rates or {})
    binding = AccountBinding(inventory.account.account_id, inventory.account.region)
    return memory.rates(binding, request.rate, request.op_rates or {})


def check_overwrite(target: Path, state_dir: Path, lock_folder: Path | None = None) -> None:
    """Refuse to replace a plan that an apply has started: its journal would lose its plan.

    The file's recorded checksum names the journal, so a plan this version cannot read (one
    from another version, a damaged one) is protected as well. The journal is looked for in
    `state_dir` and wherever the machine's record of applies (`state.applied`, in
    `lock_folder`, default the machine's) says the plan was applied into."""
    if not target.exists():
        return
    try:
        document = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    checksum = document.get("checksum") if isinstance(document, dict) else None
    if not isinstance(checksum, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", checksum):
        return
    journal = _started(state_dir, document, checksum) or _applied_elsewhere(lock_folder, checksum)
    if journal is not None:
        raise SesmigrateError(
            f"{target} has a journal ({journal}): an apply started from it; write the new plan "
            "elsewhere with -o, or finish or roll back that plan first"
        )


def _started(state_dir: Path, document: dict[str, Any], checksum: str) -> Path | None:
    """The journal holding apply entries of the plan `document`, if any."""
    legacy = legacy_journal_path(state_dir, checksum)
    if legacy.exists():
        return legacy
    try:
        account, region = str(document["account"]), str(document["region"])
        name = str(document["spec"]["name"])
    except (KeyError, TypeError):
        return None
    path = migration_journal_path(state_dir, account, region, name)
    return path if path.exists() and _has_entries(path, checksum) else None


def _applied_elsewhere(lock_folder: Path | None, checksum: str) -> Path | None:
    """A journal outside the state directory (--journal, another state directory) holding
    apply entries of the plan `checksum`, if this machine applied it into one."""
    return next(
        (p for p in applied_journals(lock_folder, checksum) if _has_entries(p, checksum)),
        None,
    )


def _has_entries(path: Path, checksum: str) -> bool:
    """Whether `path` holds apply entries of the plan; a journal that cannot be read is
    taken to hold some, so its plan stays protected until someone looks."""
    try:
        journal = SqliteJournal(path, checksum)
    except sqlite3.DatabaseError:
        return True
    try:
        return bool(journal.entries())
    except sqlite3.DatabaseError:
        return True
    finally:
        journal.close()


def check_state_here(
    inventory: Inventory, migration: str, entries: list[Entry], state_dir: Path
) -> None:
    """Refuse to plan blind: tenants tagged with this migration that its state here does
    not know were made by a run whose state lives elsewhere."""
    known = {e.tenant for e in entries}
    tagged = {t.name for t in inventory.tenants if dict(t.tags).get(MANAGED_TAG) == migration}
    if tagged - known:
        raise StateElsewhereError(migration, tagged - known, state_dir)
