"""Literal customers, ownership and inventories for the strategy tests."""

from sesmigrate.planning.ownership import Customer, Ownership, UnownedResource
from sesmigrate.planning.snapshot import AccountInfo, Identity, Inventory

ACCOUNT = AccountInfo("123456789012", "us-east-1", "aws", 50000.0, 14.0, True, True)
ARN = "arn:aws:ses:us-east-1:123456789012"


def customer(
    customer_id: str,
    tier: str | None = None,
    *,
    identities: tuple[str, ...] | None = None,
    sets: tuple[str, ...] | None = None,
    templates: tuple[str, ...] = (),
) -> Customer:
    return Customer(
        id=customer_id,
        tier=tier,
        identities=(f"{customer_id}.example",) if identities is None else identities,
        configuration_sets=(f"{customer_id}-cs",) if sets is None else sets,
        templates=templates,
        pools=(),
    )


def owners(*customers: Customer, unowned_templates: tuple[str, ...] = ()) -> Ownership:
    return Ownership(
        customers=tuple(sorted(customers, key=lambda c: c.id)),
        shared=(),
        unowned=tuple(UnownedResource("template", n, "no rule") for n in unowned_templates),
        conflicts=(),
        blockers=(),
        warnings=(),
    )


def inventory(owned: Ownership) -> Inventory:
    identities = tuple(
        Identity(name, "DOMAIN", "SUCCESS", True, True, None)
        for c in owned.customers
        for name in c.identities
    )
    return Inventory(ACCOUNT, identities, (), (), (), ())
