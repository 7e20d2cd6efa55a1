"""`onboard`: one new customer's tenant after the migration, the migration's way, in seconds.

A sign-up cannot wait for a re-scan and a re-plan of the whole account, yet its tenant must
be exactly what the migration would make (name, tags, tier, reputation policy, suppression,
every resource a send names). So onboarding runs the planning pipeline (ownership rules,
strategy, desired state, diff) over a partial view: the lists, reads of the names the
migration's latest plan did not see and of the ones named, and the one tenant that matters.
A diff of a partial view would detach what it did not read, so every removal is dropped:
onboarding only adds. What it makes is a sealed one-cohort plan, journaled in the
migration's journal and run by the same executor, so `rollback` undoes it like any cohort
and `status` counts its tenant as the migration's.

Strategies that place one customer by itself are supported: `isolated` (its own tenant),
`tiered` (its tier's tenant or, for a dedicated tier, its own) and `shared` by tag (its
identities' group). `shared` by size needs the groups' sizes: the migration's records
(its plans and onboardings in the journal, read under the lock, so two sign-ups never both
take a group's last place) give each group's customers; the customer keeps a group it is
recorded in, else takes the first with room, as the planner fills them.
"""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from .. import __version__
from ..actions.tenant import CreateTenant
from ..aws.clients import AwsSettings, aws_errors
from ..errors import SesmigrateError
from ..files import write_atomically
from ..planning.diff import Changes, PlannedAction, diff
from ..planning.graph import cohorts, dependency_graph
from ..planning.naming import tenant_name
from ..planning.ownership import (
    CONFIGURATION_SET,
    IDENTITY,
    TEMPLATE,
    Customer,
    Ownership,
    UnownedResource,
)
from ..planning.plan import Plan, Seen, build_plan, plan_to_json, read_plan
from ..planning.rules import plan_rules
from ..planning.snapshot import ExistingTenant, Inventory, TenantResource, tags_of
from ..planning.spec import MigrationSpec, spec_from_mapping
from ..report.kits import cutover_pages
from ..state import home
from ..state.lock import ApplyLock
from ..strategies import DesiredTenant, desired_state, get_strategy
from ..strategies.base import Strategy, TenantGroup
from ..strategies.shared import Shared
from .apply import (
    Connection,
    RunOptions,
    close_session,
    connect,
    journal_file,
    load_plan,
    open_session,
    pending_steps,
    run_cohort,
)
from .executor import Progress
from .recorded import customer_records, migration_plans, stopped_plan, tenant_keys
from .verification import LiveView, live_view

PLACING = ("isolated", "tiered", "shared")
"""The strategies that can place one customer without the others (see the module)."""
LOCK_WAIT = 30.0
"""Seconds a sign-up waits for a run holding the account's lock before giving up."""


class OnboardError(SesmigrateError):
    """The customer cannot be onboarded as asked; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Resources:
    """Resources to associate beyond those the migration's ownership rules find."""

    identities: tuple[str, ...] = ()
    configuration_sets: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OnboardResult:
    customer: str
    tenant_name: str
    tenant_arn: str
    made: tuple[str, ...]
    """What this run changed, one description per action."""
    found: tuple[str, ...]
    """Actions done already: by a stopped run of this onboarding (resumed), or found in place
    (a raced run)."""
    pending_verification: tuple[str, ...]
    """Identities associated but not verified: the customer cannot send from them yet."""
    cutover: str
    """The customer's cut-over page (Markdown): TenantName and the X-SES-TENANT header."""
    plan_path: Path | None = None
    """The onboarding's sealed plan (roll it back with it); None when nothing was to do."""
    cohort: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.made)


def onboard(
    *,
    plan: Path | Plan,
    customer: str,
    resources: Resources = Resources(),
    tier: str | None = None,
    aws: AwsSettings | None = None,
    state_dir: Path | None = None,
    output: Path | None = None,
    lock_wait: float = LOCK_WAIT,
    lock_dir: Path | None = None,
    parallelism: int = 10,
) -> OnboardResult:
    """Provision `customer`'s tenant as the migration of `plan` (its latest sealed plan)
    would, and return what was made or found; raises a `SesmigrateError`, never prints."""
    main = load_plan(plan) if isinstance(plan, Path) else plan
    spec = spec_from_mapping(main.spec, "the plan's spec")
    if spec.strategy not in PLACING:
        raise OnboardError(_unplaceable(spec.strategy))
    cohort = f"onboard-{customer}"
    state = home.writable_state_dir(state_dir)
    options = RunOptions(
        plan_path=Path(),  # the onboarding's own plan, once sealed
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
        plans = migration_plans(main, state)
        strategy = _strategy(spec, plans, customer)
        known = _known(main, plans)
        place = _placement(
            connection, known, spec, strategy, customer, resources, tier, parallelism
        )
        if stopped is not None:
            sealed, path = stopped
        elif place.adds:
            changes = replace(place.changes, actions=place.adds)
            folder = state / "onboardings"
            sealed, path = seal(
                main, spec, place.inventory, changes, place.owners, cohort, output, folder
            )
    except BaseException:
        lock.__exit__()
        raise
    if stopped is None and not place.adds:
        lock.__exit__()
        arn = place.existing.arn if place.existing else ""
        page = _page(main, spec, place, cohort)
        return OnboardResult(
            place.customer.id, place.wanted.name, arn, (), (), place.pending, page, None, cohort
        )
    return _run(replace(options, plan_path=path), sealed, connection, lock, place)


@dataclass(frozen=True)
class _Placement:
    """Where the strategy puts the customer, what is there, and what the diff adds."""

    customer: Customer
    owners: Ownership
    wanted: DesiredTenant
    existing: ExistingTenant | None
    inventory: Inventory
    changes: Changes
    adds: tuple[PlannedAction, ...]
    pending: tuple[str, ...]


def _placement(
    connection: Connection,
    main: Plan,
    spec: MigrationSpec,
    strategy: Strategy,
    customer: str,
    resources: Resources,
    tier: str | None,
    parallelism: int,
) -> _Placement:
    """The pipeline over the partial view; a refusal here has changed nothing."""
    live = live_view(
        connection.clients, main, [customer], also=_named(resources), parallelism=parallelism
    )
    who = _customer(customer, resources, tier, live)
    owners = Ownership((who,), (), _common_templates(main), (), (), ())
    desired = desired_state(strategy, owners, live.inventory, spec)
    wanted = desired.tenants[0]
    listed = live.tenants.get(wanted.name)
    existing = read_tenant(connection.clients.ses, listed.name) if listed else None
    check_holder(existing, spec, "onboarding")
    inventory = replace(live.inventory, tenants=(existing,) if existing else ())
    changes = diff(inventory, desired, owners, spec)
    adds = tuple(p for p in changes.actions if not p.cleanup)
    creating = any(isinstance(p.action, CreateTenant) for p in adds)
    if creating and len(live.tenants) + 1 > spec.tenant_quota:
        raise OnboardError(
            f"the account holds {len(live.tenants)} tenants and the tenant quota is "
            f"{spec.tenant_quota}: customer {who.id!r} needs a new one; raise the quota "
            "in Service Quotas and tenant_quota in the spec"
        )
    pending = _unverified(inventory, who)
    return _Placement(who, owners, wanted, existing, inventory, changes, adds, pending)


def seal(
    main: Plan,
    spec: MigrationSpec,
    inventory: Inventory,
    changes: Changes,
    owners: Ownership,
    cohort: str,
    output: Path | None,
    folder: Path,
) -> tuple[Plan, Path]:
    """A one-customer, one-cohort plan of `changes`, sealed and written where rollback will
    be given it: `output`, else a file named for it in `folder`."""
    customer = owners.customers[0].id
    named = [(cohort, (customer,))]
    ordered = cohorts(changes.actions, owners.customers, spec.cohorts, named)
    built = build_plan(
        inventory,
        spec,
        changes,
        ordered,
        tool_version=__version__,
        # to the microsecond: an onboarding made again after an offboarding, in the same
        # second, is a new plan (a new checksum), not the first one's journaled as done
        created_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        rates=main.rates,
        owners=owners,
        rules=plan_rules(main),
    )
    built = replace(built, seen=_both_seen(main.seen, built.seen))
    text = plan_to_json(built)
    sealed = read_plan(text, f"the {cohort} plan")
    path = output or folder / _file_name(main, customer, sealed)
    write_atomically(path, text)
    return sealed, path


def _run(
    options: RunOptions,
    sealed: Plan,
    connection: Connection,
    lock: ApplyLock,
    place: _Placement,
) -> OnboardResult:
    run = run_sealed(options, sealed, connection, lock, OnboardError)
    arn = run.arns.get(place.wanted.name) or (place.existing.arn if place.existing else "")
    if not arn:
        with aws_errors():
            arn = connection.clients.ses.get_tenant(TenantName=place.wanted.name)["Tenant"][
                "TenantArn"
            ]
    return OnboardResult(
        customer=place.customer.id,
        tenant_name=place.wanted.name,
        tenant_arn=arn,
        made=run.made,
        found=run.found,
        pending_verification=place.pending,
        cutover=cutover_pages(sealed).get(place.customer.id, ""),
        plan_path=options.plan_path,
        cohort=sealed.cohorts[0].name,
    )


def run_sealed(
    options: RunOptions,
    sealed: Plan,
    connection: Connection,
    lock: ApplyLock,
    error: type[SesmigrateError],
) -> "SealedRun":
    """The sealed plan's one cohort, journaled and run as apply runs a cohort (what a
    stopped run of it journaled done is not run again); a stop is an `error` that says how
    to resume or undo it."""
    cohort = sealed.cohorts[0].name
    session = open_session(options, sealed, connection=connection, lock=lock)
    try:
        todo = {s.action.key for s in pending_steps(sealed, cohort, session.journal.entries())}
        graph = dependency_graph(tuple(sealed.steps))
        result = run_cohort(session, options, sealed, cohort, todo, graph, Progress(), None)
        if not result.ok:
            failed = "; ".join(f"{key}: {why}" for key, why in result.failed[:3])
            customer = sealed.cohorts[0].customers[0]
            raise error(
                f"{cohort.partition('-')[0]}ing {customer!r} stopped "
                f"({failed or 'interrupted'}): run it again to resume, or roll it back with "
                f"sesmigrate rollback {options.plan_path} --cohort {cohort}"
            )
        session.journal.finish_cohort(cohort)
        entries = session.journal.entries()
    finally:
        close_session(session, options.memory)
    earlier = [s.action.key for s in sealed.steps if s.action.key not in todo]
    return SealedRun(
        made=tuple(sealed.step(k).action.describe() for k in result.made),
        found=tuple(sealed.step(k).action.describe() for k in (*earlier, *result.found)),
        arns={t: e.tenant_arn for e in entries if e.tenant_arn and (t := e.tenant)},
    )


@dataclass(frozen=True, slots=True)
class SealedRun:
    made: tuple[str, ...]
    found: tuple[str, ...]
    """Done already: by a stopped run of the same plan (journaled), or found in place."""
    arns: dict[str, str]
    """Tenant -> ARN, as the journal holds it (CreateTenant's answer): no GetTenant."""


def _unplaceable(strategy: str) -> str:
    return (
        f"strategy {strategy!r} cannot place one customer by itself: onboarding supports "
        f"{', '.join(PLACING)}; re-plan and apply to place the customer"
    )


def _strategy(spec: MigrationSpec, plans: list[Plan], customer: str) -> Strategy:
    """The strategy that places this one customer (see the module); `plans` are the
    migration's, oldest first."""
    strategy = get_strategy(spec.strategy)
    size = spec.option("group_size")
    if spec.strategy != "shared" or not isinstance(size, int):
        return strategy
    keys = tenant_keys(plans)
    records = customer_records(plans)

    def group(tenant: str) -> str | None:
        key = keys.get(tenant, "")
        return key.removeprefix("group:") if key.startswith("group:") else None

    if customer in records and (kept := group(records[customer].tenant)):
        return InGroup(kept)
    filled = Counter(g for r in records.values() if (g := group(r.tenant)))
    number = 1
    while filled[f"{number:04d}"] >= size:
        number += 1
    return InGroup(f"{number:04d}")


@dataclass(frozen=True)
class InGroup:
    """`shared` by size for one customer: the group `_strategy` chose for it."""

    key: str

    name: ClassVar[str] = "shared"
    options: ClassVar[dict[str, str]] = Shared.options

    def groups(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec
    ) -> list[TenantGroup]:
        return [TenantGroup("group", self.key, owners.customers)]


def _named(resources: Resources) -> list[tuple[str, str]]:
    return [
        *((IDENTITY, n) for n in resources.identities),
        *((CONFIGURATION_SET, n) for n in resources.configuration_sets),
        *((TEMPLATE, n) for n in resources.templates),
    ]


def _customer(customer: str, resources: Resources, tier: str | None, live: LiveView) -> Customer:
    """The customer as the rules find it plus the resources named, each checked to exist
    and to belong to no other customer; an identity brings its default configuration set,
    which every send without one names."""
    listed = {
        IDENTITY: live.identities,
        CONFIGURATION_SET: live.configuration_sets,
        TEMPLATE: live.templates,
    }
    for kind, name in _named(resources):
        if name not in listed[kind]:
            raise OnboardError(f"{kind} {name} does not exist in the account")
        for other in live.customers.values():
            if other.id != customer and name in _names_of(other, kind):
                raise OnboardError(
                    f"{kind} {name} belongs to customer {other.id!r} by the migration's "
                    "ownership rules: onboarding does not take another customer's resources"
                )
    found = live.customers.get(customer)
    identities = {*resources.identities, *(found.identities if found else ())}
    sets = {*resources.configuration_sets, *(found.configuration_sets if found else ())}
    sets |= {
        i.configuration_set
        for i in live.inventory.identities
        if i.name in identities and i.configuration_set in live.configuration_sets
    }
    templates = {*resources.templates, *(found.templates if found else ())}
    if not identities and not sets:
        raise OnboardError(
            f"no identity or configuration set of customer {customer!r} found by the "
            "migration's ownership rules: tag them, or name them with --identity and "
            "--configuration-set"
        )
    return Customer(
        customer,
        tier or (found.tier if found else None),
        tuple(sorted(identities)),
        tuple(sorted(s for s in sets if s)),
        tuple(sorted(templates)),
        (),
    )


def _names_of(customer: Customer, kind: str) -> tuple[str, ...]:
    return {
        IDENTITY: customer.identities,
        CONFIGURATION_SET: customer.configuration_sets,
        TEMPLATE: customer.templates,
    }[kind]


def _common_templates(plan: Plan) -> tuple[UnownedResource, ...]:
    """The templates no customer owns that the plan gives every tenant (associate-all)."""
    owned = {t for c in plan.customers for t in c.templates}
    named = (arn.rsplit(":", 1)[-1].partition("/") for t in plan.tenants for arn in t.resources)
    common = sorted({n for kind, _, n in named if kind == "template" and n not in owned})
    return tuple(UnownedResource("template", n, "") for n in common)


def read_tenant(ses: Any, name: str) -> ExistingTenant:
    """The one tenant the customer's place names, as a scan reads it (tags, associations,
    suppression) plus its reputation policy: what the diff compares."""
    with aws_errors():
        got = ses.get_tenant(TenantName=name)["Tenant"]
        held = [
            TenantResource(r["ResourceType"], r["ResourceArn"])
            for page in ses.get_paginator("list_tenant_resources").paginate(TenantName=name)
            for r in page.get("TenantResources", [])
        ]
        entity = ses.get_reputation_entity(
            ReputationEntityReference=got["TenantArn"], ReputationEntityType="RESOURCE"
        )["ReputationEntity"]
    suppression = got.get("SuppressionAttributes") or {}
    return ExistingTenant(
        name=name,
        tenant_id=got["TenantId"],
        arn=got["TenantArn"],
        sending_status=got.get("SendingStatus", "ENABLED"),
        tags=tags_of(got.get("Tags")),
        resources=tuple(sorted(held, key=lambda r: r.arn)),
        reputation_policy=entity.get("ReputationManagementPolicy"),
        suppressed_reasons=tuple(sorted(suppression.get("SuppressedReasons") or ())),
        suppression_scope=suppression.get("SuppressionScope"),
    )


def check_holder(
    existing: ExistingTenant | None,
    spec: MigrationSpec,
    what: str,
    error: type[SesmigrateError] = OnboardError,
) -> None:
    """The migration never touches a tenant it does not manage, nor does `what`."""
    if existing is None or existing.migration == spec.name:
        return
    whose = (
        f"belongs to migration {existing.migration!r}"
        if existing.migration
        else f"is not managed by migration {spec.name!r}"
    )
    raise error(
        f"tenant {existing.name} exists and {whose}: {what} leaves it alone; rename or "
        "delete it, or change tenant_name_template and re-plan"
    )


def _unverified(inventory: Inventory, customer: Customer) -> tuple[str, ...]:
    return tuple(
        sorted(
            i.name
            for i in inventory.identities
            if i.name in customer.identities and i.verification_status != "SUCCESS"
        )
    )


def _page(main: Plan, spec: MigrationSpec, place: _Placement, cohort: str) -> str:
    """The cut-over page of an onboarding with nothing to do, from the plan it would make."""
    ordered = cohorts((), place.owners.customers, spec.cohorts, [(cohort, (place.customer.id,))])
    view = build_plan(
        place.inventory,
        spec,
        replace(place.changes, actions=()),
        ordered,
        tool_version=__version__,
        created_at=main.created_at,
        owners=place.owners,
    )
    return cutover_pages(view).get(place.customer.id, "")


def _known(main: Plan, plans: list[Plan]) -> Plan:
    """`main` as the onboarding reads the account by: each customer's latest record (an
    onboarded customer's resources are read again, as a migrated one's are), and as seen
    the names `main` saw plus those the records name. A name an earlier onboarding only
    read (another sign-up's, not yet onboarded) stays unseen: its owner is not recorded."""
    records = {c.id: c for c in main.customers} | customer_records(plans)
    seen = main.seen
    if seen is not None:
        recorded = records.values()
        seen = Seen(
            seen.identities | {n for c in recorded for n in c.identities},
            seen.configuration_sets | {n for c in recorded for n in c.configuration_sets},
            seen.templates | {n for c in recorded for n in c.templates},
            seen.tenants,
        )
    return replace(main, seen=seen, customers=tuple(records.values()))


def _both_seen(main: Seen | None, onboarding: Seen | None) -> Seen | None:
    """The names either plan saw: a later run of the onboarding's plan reads only newer."""
    if main is None or onboarding is None:
        return onboarding
    return Seen(
        main.identities | onboarding.identities,
        main.configuration_sets | onboarding.configuration_sets,
        main.templates | onboarding.templates,
        max(main.tenants, onboarding.tenants),
    )


def _file_name(main: Plan, customer: str, sealed: Plan) -> str:
    """One file per onboarding plan: migration, customer, when it was sealed and its
    checksum's start, so two onboardings within a second keep their own files."""
    stamp = sealed.created_at.partition(".")[0].replace("-", "").replace(":", "") + "Z"
    digest = sealed.checksum.removeprefix("sha256:")[:8]
    return f"{main.migration}-{tenant_name(customer)}-{stamp}-{digest}.plan.json"
