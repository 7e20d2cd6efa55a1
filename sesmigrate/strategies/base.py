"""What a strategy decides (which customers share a tenant) and what follows from it.

A strategy only groups customers into tenants (`TenantGroup`); `desired_state` then gives
every group its tenant name, resources, reputation policy and suppression attributes the
same way for all strategies, so a user's strategy is a few lines. Pure: no AWS, no I/O.
"""

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ..errors import SesmigrateError
from ..planning.naming import tenant_name
from ..planning.ownership import Customer, Ownership
from ..planning.snapshot import CUSTOMER_TAG, GROUP_TAG, MANAGED_TAG, Inventory
from ..planning.spec import MigrationSpec, Suppression
from ..planning.suggest import did_you_mean

POLICY_NAMES = ("standard", "strict", "none")


class StrategyError(SesmigrateError):
    """A strategy that cannot be found, or options it cannot use."""


@dataclass(frozen=True, slots=True)
class TenantGroup:
    """Customers that share one tenant."""

    kind: str
    """customer (a tenant of its own), tier or group (a shared tenant)."""
    key: str
    """The customer id, tier or group name: kept in a tag, so a re-plan finds the tenant."""
    customers: tuple[Customer, ...]


@dataclass(frozen=True, slots=True)
class DesiredTenant:
    name: str
    kind: str
    key: str
    customers: tuple[str, ...]
    tier: str | None
    resources: tuple[tuple[str, str], ...]
    """(resource type, ARN) pairs, sorted."""
    policy: str | None
    """standard, strict or none; None keeps whatever the tenant has."""
    suppression: Suppression | None
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class DesiredState:
    tenants: tuple[DesiredTenant, ...]
    warnings: tuple[str, ...]


class Strategy(Protocol):
    """Groups customers into tenants. Register one by entry point or `module:Class`."""

    name: ClassVar[str]
    options: ClassVar[dict[str, str]]
    """Option name -> what it takes, for errors and `--help`."""

    def groups(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec
    ) -> list[TenantGroup]: ...


def check_options(strategy: Strategy, spec: MigrationSpec) -> None:
    unknown = sorted(set(dict(spec.strategy_options)) - set(strategy.options))
    if unknown:
        known = ", ".join(sorted(strategy.options)) or "none"
        named = ", ".join(f"{u}{did_you_mean(u, strategy.options)}" for u in unknown)
        raise StrategyError(
            f"strategy {strategy.name!r} has no option {named} (its options: {known})"
        )


def desired_state(
    strategy: Strategy, owners: Ownership, inventory: Inventory, spec: MigrationSpec
) -> DesiredState:
    """Each group's tenant with everything it needs for its customers to send through it."""
    check_options(strategy, spec)
    shared_templates = (
        tuple(u.name for u in owners.unowned if u.kind == "template")
        if spec.unowned_templates == "associate-all"
        else ()
    )
    tenants, warnings, names = [], [], {}
    for group in sorted(strategy.groups(owners, inventory, spec), key=lambda g: (g.kind, g.key)):
        tenant = _tenant(group, inventory, spec, shared_templates)
        if tenant.name in names:
            raise StrategyError(
                f"{group.kind} {group.key!r} and {names[tenant.name]} both map to tenant name "
                f"{tenant.name!r}; change the tenant name template or the ids"
            )
        names[tenant.name] = f"{group.kind} {group.key!r}"
        kinds = {kind for kind, _ in tenant.resources}
        if "EMAIL_IDENTITY" not in kinds or "CONFIGURATION_SET" not in kinds:
            missing = " and ".join(
                label
                for kind, label in (
                    ("EMAIL_IDENTITY", "identity"),
                    ("CONFIGURATION_SET", "configuration set"),
                )
                if kind not in kinds
            )
            warnings.append(
                f"tenant {tenant.name} has no {missing}: it cannot send until one is added"
            )
        tenants.append(tenant)
    return DesiredState(tuple(sorted(tenants, key=lambda t: t.name)), tuple(warnings))


def _tenant(
    group: TenantGroup, inventory: Inventory, spec: MigrationSpec, shared_templates: tuple[str, ...]
) -> DesiredTenant:
    tiers = sorted({c.tier for c in group.customers if c.tier})
    tier = group.key if group.kind == "tier" else (tiers[0] if len(tiers) == 1 else None)
    resources = set()
    for customer in group.customers:
        resources |= {("EMAIL_IDENTITY", inventory.arn("identity", n)) for n in customer.identities}
        resources |= {
            ("CONFIGURATION_SET", inventory.arn("configuration-set", n))
            for n in customer.configuration_sets
        }
        resources |= {("EMAIL_TEMPLATE", inventory.arn("template", n)) for n in customer.templates}
    resources |= {("EMAIL_TEMPLATE", inventory.arn("template", n)) for n in shared_templates}
    policy = spec.policy_for(tier)
    key_tag = CUSTOMER_TAG if group.kind == "customer" else GROUP_TAG
    key_value = group.key if group.kind == "customer" else f"{group.kind}:{group.key}"
    name_source = group.key if group.kind == "customer" else f"{group.kind}-{group.key}"
    return DesiredTenant(
        name=tenant_name(name_source, spec.tenant_name_template),
        kind=group.kind,
        key=key_value,
        customers=tuple(sorted(c.id for c in group.customers)),
        tier=tier,
        resources=tuple(sorted(resources)),
        policy=None if policy == "keep" else policy,
        suppression=spec.suppression_for(tier),
        tags=tuple(sorted(((MANAGED_TAG, spec.name), (key_tag, key_value)))),
    )


def option_list(spec: MigrationSpec, name: str) -> tuple[str, ...]:
    value: Any = spec.option(name, ())
    if isinstance(value, str):
        value = tuple(v.strip() for v in value.split(",") if v.strip())
    if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
        raise StrategyError(f"strategy option {name} must be a list of strings")
    return value
