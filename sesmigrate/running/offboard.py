"""`offboard`: take a customer who has left off the migration's tenants, never its resources.

The customer's place comes from the migration's record, not from the ownership rules of
today: the latest of its plans and onboardings (registered in the migration's journal)
that names the customer says which tenant it is in and which resources it brought; the
tenant's other customers are the ones that record puts beside it. A tenant made for this
customer alone (tagged with it) is deleted, which takes its associations with it and
cannot be undone, so it needs the caller's word; a shared tier or group tenant only loses
the associations no other customer of it uses. Like onboarding, the change is a sealed
one-cohort plan (`offboard-CUSTOMER`) in the migration's journal, run by apply's executor,
so a killed offboarding resumes and `rollback` gives back every association it removed.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..actions.tenant import Action, DeleteTenant, DetachResource
from ..aws.clients import AwsSettings
from ..errors import SesmigrateError
from ..listing import first_few
from ..planning.diff import Changes, Expectation, PlannedAction
from ..planning.ownership import CONFIGURATION_SET, IDENTITY, TEMPLATE, Customer, Ownership
from ..planning.plan import CustomerView, Plan
from ..planning.snapshot import CUSTOMER_TAG, ExistingTenant
from ..planning.spec import spec_from_mapping
from ..state import home
from ..state.lock import ApplyLock
from .apply import Connection, RunOptions, connect, journal_file, load_plan
from .gates import RecentSendsError, senders_at_risk
from .onboard import LOCK_WAIT, Resources, check_holder, read_tenant, run_sealed, seal
from .recorded import customer_records, migration_plans, stopped_plan
from .verification import live_view

ARN_KINDS = {"identity": IDENTITY, "configuration-set": CONFIGURATION_SET, "template": TEMPLATE}
"""An association's ARN names its resource as `KIND/NAME`; the kinds a tenant can hold."""


class OffboardError(SesmigrateError):
    """The customer cannot be offboarded as asked; nothing was changed."""


@dataclass(frozen=True, slots=True)
class OffboardResult:
    customer: str
    tenant_name: str
    """The tenant the migration's record puts the customer in ("" when it records none)."""
    made: tuple[str, ...]
    found: tuple[str, ...]
    """Actions that turned out to be done already (a resumed or raced run)."""
    kept: tuple[str, ...]
    """Associations left in a shared tenant because another of its customers uses them."""
    deleted_tenant: bool
    warnings: tuple[str, ...]
    """What the caller must know: senders still naming the tenant will fail, or that the
    ownership rules still find the customer (the next plan would place it again)."""
    plan_path: Path | None = None
    """The offboarding's sealed plan (roll it back with it); None when nothing was to do."""
    cohort: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.made)


def offboard(
    *,
    plan: Path | Plan,
    customer: str,
    resources: Resources | None = None,
    keep_tenant: bool = False,
    allow_irreversible: bool = False,
    confirm: Callable[[list[str]], bool] | None = None,
    accept_recent_sends: bool = False,
    aws: AwsSettings | None = None,
    state_dir: Path | None = None,
    output: Path | None = None,
    lock_wait: float = LOCK_WAIT,
    lock_dir: Path | None = None,
    parallelism: int = 10,
) -> OffboardResult:
    """Remove `customer` from its tenant as the migration of `plan` (its latest sealed
    plan) placed it; deleting its own tenant needs `allow_irreversible` or `confirm`
    (given the irreversible actions, under the lock, before any change) to say yes.
    Raises a `SesmigrateError`, never prints."""
    main = load_plan(plan) if isinstance(plan, Path) else plan
    spec = spec_from_mapping(main.spec, "the plan's spec")
    state = home.writable_state_dir(state_dir)
    records = customer_records(migration_plans(main, state))
    record = records.get(customer)
    if record is None or not record.tenant:
        raise OffboardError(
            f"customer {customer!r} is not placed by migration {main.migration!r}: none of "
            "its plans or onboardings puts it in a tenant"
        )
    cohort = f"offboard-{customer}"
    options = RunOptions(
        plan_path=Path(),  # the offboarding's own plan, once sealed
        aws=aws or AwsSettings(),
        state_dir=state,
        parallelism=parallelism,
        lock_dir=lock_dir,
    )
    connection = connect(options, main)
    lock = ApplyLock(main.account, main.region, cohort, lock_dir, wait=lock_wait)
    lock.__enter__()  # the run's session takes it over; until then it is ours to release
    try:
        stopped = stopped_plan(journal_file(options, main), main, cohort, state)
        if stopped is None:
            # again under the lock: a sign-up that held it may have joined the tenant
            records = customer_records(migration_plans(main, state))
            live = live_view(connection.clients, main, [customer], parallelism=parallelism)
            existing = (
                read_tenant(connection.clients.ses, record.tenant)
                if record.tenant in live.tenants
                else None
            )
            check_holder(existing, spec, "offboarding", OffboardError)
            found = live.customers.get(customer)
            mine = _names(record, resources or Resources(), found)
            others = [v for v in records.values() if v.tenant == record.tenant and v.id != customer]
            removal = _removal(existing, customer, mine, others, keep_tenant)
            warnings = _warnings(removal, record.tenant, customer, found)
            if removal.actions:
                _check_irreversible(removal.actions, allow_irreversible, confirm)
                _check_sends(connection, main, removal, accept_recent_sends, options)
                sets = mine[CONFIGURATION_SET]
                who = Customer(customer, record.tier, mine[IDENTITY], sets, mine[TEMPLATE], ())
                owners = Ownership((who,), (), (), (), (), ())
                changes = Changes(removal.actions, (), (), (), ())
                inventory = replace(live.inventory, tenants=(existing,) if existing else ())
                folder = state / "offboardings"
                sealed, path = seal(main, spec, inventory, changes, owners, cohort, output, folder)
    except BaseException:
        lock.__exit__()
        raise
    if stopped is not None:  # a killed offboarding, approved then: finish it
        sealed, path = stopped
        run = run_sealed(replace(options, plan_path=path), sealed, connection, lock, OffboardError)
        deleted = any(isinstance(step.action, DeleteTenant) for step in sealed.steps)
        return OffboardResult(
            customer, record.tenant, run.made, run.found, (), deleted, (), path, cohort
        )
    if not removal.actions:
        lock.__exit__()
        return OffboardResult(customer, record.tenant, (), (), removal.kept, False, warnings)
    run = run_sealed(replace(options, plan_path=path), sealed, connection, lock, OffboardError)
    return OffboardResult(
        customer=customer,
        tenant_name=record.tenant,
        made=run.made,
        found=run.found,
        kept=removal.kept,
        deleted_tenant=removal.deletes,
        warnings=warnings,
        plan_path=path,
        cohort=cohort,
    )


def _names(
    record: CustomerView, resources: Resources, found: Customer | None
) -> dict[str, tuple[str, ...]]:
    """The customer's identities, configuration sets and templates by kind: recorded,
    named, and what the ownership rules find now (resources it gained since its record)."""
    given = {
        IDENTITY: (record.identities, resources.identities),
        CONFIGURATION_SET: (record.configuration_sets, resources.configuration_sets),
        TEMPLATE: (record.templates, resources.templates),
    }
    return {
        kind: tuple(sorted({*recorded, *named, *_of(found, kind)}))
        for kind, (recorded, named) in given.items()
    }


def _of(customer: Customer | None, kind: str) -> tuple[str, ...]:
    if customer is None:
        return ()
    return {
        IDENTITY: customer.identities,
        CONFIGURATION_SET: customer.configuration_sets,
        TEMPLATE: customer.templates,
    }[kind]


@dataclass(frozen=True)
class _Removal:
    actions: tuple[PlannedAction, ...]
    kept: tuple[str, ...]
    deletes: bool
    shared: bool


def _removal(
    existing: ExistingTenant | None,
    customer: str,
    mine: dict[str, tuple[str, ...]],
    others: list[CustomerView],
    keep_tenant: bool,
) -> _Removal:
    """What offboarding does to the tenant: delete it when it is the customer's own and no
    other customer is recorded in it, else remove the customer's associations that no
    other customer of the tenant uses."""
    if existing is None:
        return _Removal((), (), False, bool(others))
    own = dict(existing.tags).get(CUSTOMER_TAG) == customer and not others
    used = {
        IDENTITY: {n for o in others for n in o.identities},
        CONFIGURATION_SET: {n for o in others for n in o.configuration_sets},
        TEMPLATE: {n for o in others for n in o.templates},
    }
    detach, kept, foreign = [], [], []
    for held in existing.resources:
        kind, name = _kind_and_name(held.arn)
        if name in mine.get(kind, ()):
            if name in used[kind]:
                kept.append(f"{name} (used by other customers of {existing.name})")
            else:
                detach.append(held)
        elif kind != TEMPLATE:
            foreign.append(name)
    expect_tenant = Expectation("tenant_present", existing.name, existing.tenant_id)
    if own and not keep_tenant:
        if foreign:
            raise OffboardError(
                f"tenant {existing.name} holds {len(foreign)} identity or configuration set "
                f"association(s) that are not of customer {customer!r} "
                f"({first_few(sorted(foreign), 5)}): someone else may send through it, so it "
                "is left in place; remove them by hand, or pass --keep-tenant to remove only "
                "the customer's own"
            )
        delete = PlannedAction(
            DeleteTenant(existing.name),
            (customer,),
            False,
            f"customer {customer} has left: its own tenant, with its associations",
            (expect_tenant,),
        )
        return _Removal((delete,), (), True, False)
    actions = tuple(
        PlannedAction(
            DetachResource(existing.name, held.arn, held.type),
            (customer,),
            False,
            f"customer {customer} has left",
            (expect_tenant, Expectation("association_present", existing.name, held.arn)),
        )
        for held in sorted(detach, key=lambda r: r.arn)
    )
    return _Removal(actions, tuple(sorted(kept)), False, not own)


def _kind_and_name(arn: str) -> tuple[str, str]:
    kind, _, name = arn.rsplit(":", 1)[-1].partition("/")
    return ARN_KINDS.get(kind, kind), name


def _warnings(
    removal: _Removal, tenant: str, customer: str, found: Customer | None
) -> tuple[str, ...]:
    said = []
    if removal.actions and removal.shared:
        said.append(
            f"senders of customer {customer!r} that still name tenant {tenant} will fail: "
            "its resources are no longer associated with it"
        )
    if found is not None:
        said.append(
            f"the migration's ownership rules still find customer {customer!r} (its "
            "resources keep their tags or mapping): the next plan would place it again; "
            "untag or delete its resources once it has gone"
        )
    return tuple(said)


def _check_irreversible(
    actions: tuple[PlannedAction, ...],
    allowed: bool,
    confirm: Callable[[list[str]], bool] | None,
) -> None:
    irreversible = [p.action.describe() for p in actions if p.action.irreversible]
    if not irreversible or allowed:
        return
    if confirm is None:
        raise OffboardError(
            f"offboarding would {irreversible[0]}; pass --allow-irreversible to do it, or "
            "--keep-tenant to remove only the customer's associations"
        )
    if not confirm(irreversible):
        raise OffboardError("offboarding declined: nothing was changed")


def _check_sends(
    connection: Connection,
    main: Plan,
    removal: _Removal,
    accepted: bool,
    options: RunOptions,
) -> None:
    """A tenant of the customer's own that still sent has senders that never switched
    away: deleting it (or emptying it) breaks them. A shared tenant's sends are its other
    customers', so they say nothing of this one (a warning says what will fail)."""
    if accepted or removal.shared:
        return
    actions: list[Action] = [p.action for p in removal.actions]
    sending, window = senders_at_risk(connection.clients, main.spec, actions, options.clock.now())
    if sending:
        raise RecentSendsError("offboarding", sending, window)
