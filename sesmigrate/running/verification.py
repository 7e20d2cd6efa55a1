"""What apply and status read of the live account: as much as the cohorts need, no more.

SES allows about one call a second per operation, so a full re-scan before every cohort
costs the whole account's reads each time, and a migration of many cohorts pays it again
and again (customers squared over wave size). Instead the live view is the lists
(identities and configuration sets in pages of 1,000, templates and tenants in pages of
100) plus one read of each resource of the cohorts' own customers, of each name that
appeared since the plan (the plan seals every name its scan saw; a plan that does not,
an older one, makes every name new, i.e. a full read), and of the default configuration
set such a read names. Judged by the plan's own ownership rules, these give a cohort
customer's resources exactly as a full scan would, with two exceptions neither the lists
nor those reads can see: an existing resource of no cohort customer re-tagged to one, and
another customer's identity whose default configuration set became a cohort customer's.
`status --full` reads every identity, configuration set and template, and reports both.

Tenants come from ListTenants (name and id); a tenant's tags are read only for the names
given (a planned name now taken), its associations only for the tenants given (drift).

Apply reads in two steps so that a cohort's changes need not wait for its reads (different
operations, each with its own limit): first the lists, the tenants' tags and the new names
(`live_view` without customers), which can refuse before anything changes; then, while the
changes run, the cohort's own resources (`live_view(..., after=first)`), which lists and
reads nothing twice.
"""

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..aws.clients import Clients, aws_errors
from ..aws.lanes import Lanes
from ..aws.scanner import AccountReader, ScanProgress
from ..planning.ownership import CONFIGURATION_SET, IDENTITY, TEMPLATE, Customer, ownership
from ..planning.plan import Plan
from ..planning.rules import plan_rules
from ..planning.snapshot import MANAGED_TAG, AccountInfo, Inventory, partition_of, tags_of
from .executor import Progress


@dataclass(frozen=True, slots=True)
class ListedTenant:
    name: str
    tenant_id: str
    arn: str
    migration: str | None = None
    """The `sesmigrate:migration` tag, for the tenants whose tags were asked for."""


@dataclass(frozen=True)
class LiveView:
    """The part of the account a cohort depends on, and the names every list holds."""

    identities: frozenset[str]
    configuration_sets: frozenset[str]
    templates: frozenset[str]
    tenants: dict[str, ListedTenant]
    customers: dict[str, Customer]
    """Every customer the reads revealed, judged by the plan's rules."""
    new: tuple[tuple[str, str], ...]
    """(kind, name) of resources that appeared since the plan's scan."""
    inventory: Inventory
    """What was read, as a partial inventory without tenants: onboarding plans from it."""
    associations: dict[str, frozenset[str]] = field(default_factory=dict)
    """Resource ARNs held by each tenant asked for."""
    calls: int = 0
    """SES calls the view cost (lists and reads), for the estimate to be checked against."""
    listed: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    """Each list's items by name (identities, configuration sets, templates, tenants), for a
    later view of the same run to read from without listing again."""

    def arn(self, plan: Plan, kind: str, name: str) -> str:
        partition = partition_of(plan.region)
        return f"arn:{partition}:ses:{plan.region}:{plan.account}:{kind}/{name}"

    def has(self, arn: str) -> bool:
        """Whether the identity, configuration set or template `arn` names exists."""
        kind, _, name = arn.rsplit(":", 1)[-1].partition("/")
        listed = {
            IDENTITY: self.identities,
            CONFIGURATION_SET: self.configuration_sets,
            TEMPLATE: self.templates,
        }.get(kind, frozenset())
        return name in listed


class Halted(Exception):
    """The run stopped (Ctrl-C) while the view was still reading: it has no verdict."""


class _Counted(Progress):
    def __init__(self, progress: ScanProgress | None) -> None:
        self.inner, self.calls = progress, 0

    def expect(self, calls: int) -> None:
        if self.inner is not None:
            self.inner.expect(calls)

    def advance(self, calls: int = 1) -> None:
        self.calls += calls
        if self.inner is not None:
            self.inner.advance(calls)


def live_view(
    clients: Clients,
    plan: Plan,
    customers: Iterable[str],
    tenant_tags: Iterable[str] = (),
    associations_of: Iterable[str] = (),
    parallelism: int = 16,
    progress: ScanProgress | None = None,
    read_all: bool = False,
    also: Iterable[tuple[str, str]] = (),
    after: LiveView | None = None,
    halt: threading.Event | None = None,
) -> LiveView:
    """The lists, plus reads of `customers`' resources, of what is new since the plan and
    of the (kind, name) pairs `also` names (`read_all`: of every listed identity,
    configuration set and template, which sees the two changes the cohort's reads cannot).

    `after`: a view this run made already, whose lists, tenants' tags and reads are used
    again (only what it did not read is read); `halt`: once set, reads not yet started
    raise `Halted` instead of calling SES."""
    members = set(customers)
    planned = [c for c in plan.customers if c.id in members]
    seen = plan.seen
    counted = _Counted(progress)
    earlier = after.inventory if after is not None else None
    done = {
        IDENTITY: {i.name for i in earlier.identities} if earlier else set(),
        CONFIGURATION_SET: {s.name for s in earlier.configuration_sets} if earlier else set(),
        TEMPLATE: {t.name for t in earlier.templates} if earlier else set(),
    }
    with aws_errors(), Lanes(parallelism) as lanes:
        run = AccountReader(clients.ses, lanes, counted)
        if after is None:
            listing = {
                kind: lanes.submit("lists", _names, run, method, key)
                for kind, method, key in (
                    (IDENTITY, "list_email_identities", "EmailIdentities"),
                    (CONFIGURATION_SET, "list_configuration_sets", "ConfigurationSets"),
                    (TEMPLATE, "list_email_templates", "TemplatesMetadata"),
                    ("tenant", "list_tenants", "Tenants"),
                )
            }
            found = {kind: future.result() for kind, future in listing.items()}
        else:
            found = {kind: dict(items) for kind, items in after.listed.items()}
        identities, config_sets, templates, tenants = (
            found[IDENTITY],
            found[CONFIGURATION_SET],
            found[TEMPLATE],
            found["tenant"],
        )
        new = [
            (kind, name)
            for kind, names, known in (
                (IDENTITY, identities, seen.identities if seen else None),
                (CONFIGURATION_SET, config_sets, seen.configuration_sets if seen else None),
                (TEMPLATE, templates, seen.templates if seen else None),
            )
            for name in sorted(names)
            if known is None or name not in known
        ]
        wanted = {
            IDENTITY: {i for c in planned for i in c.identities},
            CONFIGURATION_SET: {s for c in planned for s in c.configuration_sets},
            TEMPLATE: {t for c in planned for t in c.templates},
        }
        for kind, name in (*new, *also):
            wanted[kind].add(name)
        if read_all:
            wanted = {IDENTITY: set(identities), CONFIGURATION_SET: set(config_sets)}
            wanted[TEMPLATE] = set(templates)
        for kind in wanted:
            wanted[kind] -= done[kind]
        # every lane at once: the configuration sets the identities name as their default
        # are read once the identities are, the others meanwhile
        read = _Reading(lanes, run, halt)
        reading_identities = read(
            IDENTITY, run.identity, wanted[IDENTITY] & identities.keys(), identities
        )
        reading_sets = read(
            CONFIGURATION_SET,
            run.configuration_set,
            wanted[CONFIGURATION_SET] & config_sets.keys(),
            None,
        )
        reading_templates = read(
            TEMPLATE, run.template, wanted[TEMPLATE] & templates.keys(), templates
        )
        tagged = sorted(set(tenant_tags) & tenants.keys())
        reading_tags = [
            lanes.submit("get_tenant", run.vanishing, lambda n: _migration(run, n), name)
            for name in tagged
        ]
        held_by = sorted(set(associations_of) & tenants.keys())
        reading_held = [
            lanes.submit(
                "list_tenant_resources", run.vanishing, lambda n: _associations(run, n), name
            )
            for name in held_by
        ]
        read_identities = [*(earlier.identities if earlier else ()), *_results(reading_identities)]
        defaults = {i.configuration_set for i in read_identities if i.configuration_set}
        more_sets = read(
            CONFIGURATION_SET,
            run.configuration_set,
            (defaults - wanted[CONFIGURATION_SET] - done[CONFIGURATION_SET]) & config_sets.keys(),
            None,
        )
        read_sets = sorted(
            [
                *(earlier.configuration_sets if earlier else ()),
                *_results(reading_sets),
                *_results(more_sets),
            ],
            key=lambda item: item.name,
        )
        read_templates = [*(earlier.templates if earlier else ()), *_results(reading_templates)]
        migrations = (
            {name: (tenant.migration,) for name, tenant in after.tenants.items()} if after else {}
        )
        migrations |= dict(zip(tagged, (f.result() for f in reading_tags), strict=True))
        for name, tags in list(migrations.items()):
            if tags is None:  # deleted since it was listed
                del tenants[name], migrations[name]
        held = {
            name: resources
            for name, f in zip(held_by, reading_held, strict=True)
            if (resources := f.result()) is not None and name in tenants
        }
    partial = Inventory(
        account=AccountInfo(plan.account, plan.region, partition_of(plan.region), 0, 0, True, True),
        identities=tuple(read_identities),
        configuration_sets=tuple(read_sets),
        pools=(),
        templates=tuple(read_templates),
        tenants=(),
    )
    owners = ownership(partial, plan_rules(plan))
    return LiveView(
        identities=frozenset(identities),
        configuration_sets=frozenset(config_sets),
        templates=frozenset(templates),
        tenants={
            name: ListedTenant(
                name, item["TenantId"], item["TenantArn"], (migrations.get(name) or (None,))[0]
            )
            for name, item in tenants.items()
        },
        customers={c.id: c for c in owners.customers},
        new=tuple(new),
        inventory=partial,
        associations=held,
        calls=counted.calls + (after.calls if after is not None else 0),
        listed={
            IDENTITY: identities,
            CONFIGURATION_SET: config_sets,
            TEMPLATE: templates,
            "tenant": tenants,
        },
    )


def _names(run: AccountReader, method: str, key: str) -> dict[str, Any]:
    """Every listed item of one list by its name (configuration sets are listed as names)."""
    items: dict[str, Any] = {}
    for page in run.pages(method, key):
        for item in page:
            name = item if isinstance(item, str) else _name_of(item)
            items[name] = item
    return items


def _name_of(item: dict[str, Any]) -> str:
    return next(item[k] for k in ("IdentityName", "TemplateName", "TenantName") if k in item)


@dataclass(frozen=True)
class _Reading:
    lanes: Lanes
    run: AccountReader
    halt: threading.Event | None

    def __call__(
        self, lane: str, read: Any, names: set[str], listed: dict[str, Any] | None
    ) -> list[Future[Any]]:
        """Start `read` of each name in `lane` (given its listed item when the reader takes
        one)."""
        self.run.progress.expect(len(names))
        items = [listed[name] if listed is not None else name for name in sorted(names)]
        return [self.lanes.submit(lane, self._unless_halted, read, item) for item in items]

    def _unless_halted(self, read: Callable[[Any], Any], item: Any) -> Any:
        if self.halt is not None and self.halt.is_set():
            raise Halted()
        return self.run.vanishing(read, item)


def _results(futures: list[Future[Any]]) -> list[Any]:
    """What the reads found, skipping any resource deleted since it was listed."""
    return [r for f in futures if (r := f.result()) is not None]


def _migration(run: AccountReader, name: str) -> tuple[str | None]:
    """The tenant's migration tag, boxed: None alone means the tenant was deleted."""
    run.progress.expect(1)
    tenant = run.call("get_tenant", TenantName=name)["Tenant"]
    return (dict(tags_of(tenant.get("Tags"))).get(MANAGED_TAG),)


def _associations(run: AccountReader, name: str) -> frozenset[str]:
    return frozenset(
        r["ResourceArn"]
        for page in run.pages("list_tenant_resources", "TenantResources", TenantName=name)
        for r in page
    )
