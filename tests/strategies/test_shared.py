"""`shared`: customers grouped by an identity tag or by a fixed size, and never moved."""

from typing import Any

import pytest

from sesmigrate.planning.ownership import Customer, Ownership
from sesmigrate.planning.snapshot import (
    AccountInfo,
    ExistingTenant,
    Identity,
    Inventory,
    Tags,
    TenantResource,
)
from sesmigrate.planning.spec import MigrationSpec
from sesmigrate.strategies import DesiredState, StrategyError, TenantGroup, desired_state
from sesmigrate.strategies.shared import Shared

ACCOUNT = AccountInfo("123456789012", "us-east-1", "aws", 50000.0, 14.0, True, True)
ARN = "arn:aws:ses:us-east-1:123456789012"
MIGRATION = "acme-migration"


def customer(customer_id: str, *, identities: tuple[str, ...] | None = None) -> Customer:
    return Customer(
        id=customer_id,
        tier=None,
        identities=(f"{customer_id}.example",) if identities is None else identities,
        configuration_sets=(f"{customer_id}-cs",),
        templates=(),
        pools=(),
    )


def owners(*customers: Customer) -> Ownership:
    return Ownership(tuple(sorted(customers, key=lambda c: c.id)), (), (), (), (), ())


def inventory(
    owned: Ownership,
    *,
    identity_tags: dict[str, Tags] | None = None,
    tenants: tuple[ExistingTenant, ...] = (),
) -> Inventory:
    tags = identity_tags or {}
    identities = tuple(
        Identity(name, "DOMAIN", "SUCCESS", True, True, None, tags.get(name, ()))
        for c in owned.customers
        for name in c.identities
    )
    return Inventory(ACCOUNT, identities, (), (), (), tenants)


def spec(**options: Any) -> MigrationSpec:
    return MigrationSpec(
        name=MIGRATION, strategy="shared", strategy_options=tuple(sorted(options.items()))
    )


def tenant(name: str, tags: Tags, *identity_names: str) -> ExistingTenant:
    return ExistingTenant(
        name=name,
        tenant_id=f"id-{name}",
        arn=f"{ARN}:tenant/{name}/id-{name}",
        sending_status="ENABLED",
        tags=tags,
        resources=tuple(
            TenantResource("EMAIL_IDENTITY", f"{ARN}:identity/{n}") for n in identity_names
        ),
    )


def applied(state: DesiredState) -> tuple[ExistingTenant, ...]:
    """The tenants a full apply of `state` leaves in the account."""
    return tuple(
        ExistingTenant(
            name=t.name,
            tenant_id=f"id-{t.name}",
            arn=f"{ARN}:tenant/{t.name}/id-{t.name}",
            sending_status="ENABLED",
            tags=t.tags,
            resources=tuple(TenantResource(kind, arn) for kind, arn in t.resources),
        )
        for t in state.tenants
    )


def membership(groups: list[TenantGroup]) -> dict[str, str]:
    return {c.id: g.key for g in groups for c in g.customers}


def segment(value: str) -> Tags:
    return (("segment", value),)


# by tag


def test_shared_by_tag_groups_customers_by_the_tag_on_their_identities() -> None:
    owned = owners(customer("acme"), customer("globex"), customer("hooli"))
    tags = {
        "acme.example": segment("retail"),
        "globex.example": segment("wholesale"),
        "hooli.example": segment("retail"),
    }

    groups = Shared().groups(owned, inventory(owned, identity_tags=tags), spec(group_tag="segment"))

    assert membership(groups) == {"acme": "retail", "globex": "wholesale", "hooli": "retail"}
    assert all(g.kind == "group" for g in groups)


def test_shared_by_tag_puts_customers_without_the_tag_in_ungrouped() -> None:
    owned = owners(customer("acme"), customer("globex"), customer("hooli", identities=()))
    tags = {"acme.example": segment("retail"), "globex.example": (("other", "x"),)}

    groups = Shared().groups(owned, inventory(owned, identity_tags=tags), spec(group_tag="segment"))

    assert membership(groups) == {"acme": "retail", "globex": "ungrouped", "hooli": "ungrouped"}


def test_shared_by_tag_picks_the_first_value_when_identities_disagree() -> None:
    owned = owners(customer("acme", identities=("a.example", "b.example")))
    tags = {"a.example": segment("wholesale"), "b.example": segment("retail")}

    groups = Shared().groups(owned, inventory(owned, identity_tags=tags), spec(group_tag="segment"))

    assert membership(groups) == {"acme": "retail"}


def test_shared_by_tag_gives_one_group_tenant_per_tag_value() -> None:
    owned = owners(customer("acme"), customer("globex"), customer("hooli"))
    tags = {"acme.example": segment("retail"), "hooli.example": segment("retail")}

    state = desired_state(
        Shared(), owned, inventory(owned, identity_tags=tags), spec(group_tag="segment")
    )

    assert [(t.name, t.key, t.customers) for t in state.tenants] == [
        ("group-retail", "group:retail", ("acme", "hooli")),
        ("group-ungrouped", "group:ungrouped", ("globex",)),
    ]
    assert state.tenants[0].tags == (
        ("sesmigrate:group", "group:retail"),
        ("sesmigrate:migration", MIGRATION),
    )
    assert state.tenants[0].resources == (
        ("CONFIGURATION_SET", f"{ARN}:configuration-set/acme-cs"),
        ("CONFIGURATION_SET", f"{ARN}:configuration-set/hooli-cs"),
        ("EMAIL_IDENTITY", f"{ARN}:identity/acme.example"),
        ("EMAIL_IDENTITY", f"{ARN}:identity/hooli.example"),
    )


# by size


def test_shared_by_size_fills_groups_in_customer_id_order() -> None:
    owned = owners(*(customer(c) for c in ("e", "a", "d", "b", "c")))

    groups = Shared().groups(owned, inventory(owned), spec(group_size=2))

    assert membership(groups) == {"a": "0001", "b": "0001", "c": "0002", "d": "0002", "e": "0003"}


def test_shared_by_size_names_group_tenants_by_number() -> None:
    owned = owners(*(customer(c) for c in ("a", "b", "c")))

    state = desired_state(Shared(), owned, inventory(owned), spec(group_size=2))

    assert [(t.name, t.key, t.customers) for t in state.tenants] == [
        ("group-0001", "group:0001", ("a", "b")),
        ("group-0002", "group:0002", ("c",)),
    ]


def test_shared_by_size_keeps_a_customer_in_its_existing_group_tenant() -> None:
    owned = owners(customer("a"), customer("b"), customer("c"))
    existing = tenant(
        "group-0002",
        (("sesmigrate:group", "group:0002"), ("sesmigrate:migration", MIGRATION)),
        "a.example",
    )

    groups = Shared().groups(owned, inventory(owned, tenants=(existing,)), spec(group_size=2))

    assert membership(groups) == {"a": "0002", "b": "0001", "c": "0001"}


@pytest.mark.parametrize(
    "tags",
    [
        (("sesmigrate:group", "group:0002"), ("sesmigrate:migration", "other-migration")),
        (("sesmigrate:group", "group:0002"),),
        (("sesmigrate:customer", "a"), ("sesmigrate:migration", MIGRATION)),
        (("sesmigrate:group", "tier:0002"), ("sesmigrate:migration", MIGRATION)),
    ],
    ids=["other-migration", "unmanaged", "customer-tenant", "tier-tenant"],
)
def test_shared_by_size_ignores_tenants_that_are_not_this_migrations_groups(tags: Tags) -> None:
    owned = owners(customer("a"), customer("b"), customer("c"))

    groups = Shared().groups(
        owned, inventory(owned, tenants=(tenant("t", tags, "a.example"),)), spec(group_size=2)
    )

    assert membership(groups) == {"a": "0001", "b": "0001", "c": "0002"}


def test_shared_by_size_moves_nobody_when_a_customer_that_sorts_first_is_added() -> None:
    migration = spec(group_size=2)
    before_owners = owners(*(customer(c) for c in ("b", "c", "d", "e", "f")))
    before_state = desired_state(Shared(), before_owners, inventory(before_owners), migration)
    before = membership(Shared().groups(before_owners, inventory(before_owners), migration))
    after_owners = owners(customer("a"), *before_owners.customers)

    after = membership(
        Shared().groups(
            after_owners, inventory(after_owners, tenants=applied(before_state)), migration
        )
    )

    assert before == {"b": "0001", "c": "0001", "d": "0002", "e": "0002", "f": "0003"}
    assert {c: after[c] for c in before} == before
    assert after["a"] == "0003"


def test_shared_by_size_refills_in_id_order_when_no_group_tenant_exists_yet() -> None:
    # The contrast to the test above: without the applied tenants, ids alone decide.
    owned = owners(*(customer(c) for c in ("a", "b", "c", "d", "e", "f")))

    groups = Shared().groups(owned, inventory(owned), spec(group_size=2))

    assert membership(groups)["c"] == "0002"


def test_shared_by_size_gives_the_same_groups_after_a_full_apply() -> None:
    migration = spec(group_size=2)
    owned = owners(*(customer(c) for c in ("b", "c", "d", "e", "f")))
    first = desired_state(Shared(), owned, inventory(owned), migration)

    again = desired_state(Shared(), owned, inventory(owned, tenants=applied(first)), migration)

    assert again == first


# options


@pytest.mark.parametrize(
    "options",
    [{}, {"group_tag": "segment", "group_size": 2}],
    ids=["neither", "both"],
)
def test_shared_needs_exactly_one_of_group_tag_and_group_size(options: dict[str, Any]) -> None:
    owned = owners(customer("a"))

    with pytest.raises(StrategyError) as caught:
        desired_state(Shared(), owned, inventory(owned), spec(**options))

    assert str(caught.value) == "strategy 'shared' needs exactly one of group_tag or group_size"


@pytest.mark.parametrize("size", [0, -3, "ten", True, 2.5])
def test_shared_refuses_a_group_size_that_is_not_a_positive_integer(size: Any) -> None:
    owned = owners(customer("a"))

    with pytest.raises(StrategyError) as caught:
        desired_state(Shared(), owned, inventory(owned), spec(group_size=size))

    assert str(caught.value) == (
        f"strategy option group_size must be an integer >= 1, got {size!r}"
    )


@pytest.mark.parametrize("tag", ["", 3])
def test_shared_refuses_a_group_tag_that_is_not_a_tag_key(tag: Any) -> None:
    owned = owners(customer("a"))

    with pytest.raises(StrategyError) as caught:
        desired_state(Shared(), owned, inventory(owned), spec(group_tag=tag))

    assert str(caught.value) == "strategy option group_tag must be a tag key"


def test_shared_refuses_an_unknown_option_and_lists_its_options() -> None:
    owned = owners(customer("a"))

    with pytest.raises(StrategyError) as caught:
        desired_state(Shared(), owned, inventory(owned), spec(group_size=2, dedicated_tiers="vip"))

    assert str(caught.value) == (
        "strategy 'shared' has no option dedicated_tiers (its options: group_size, group_tag)"
    )


def test_shared_by_size_moves_nobody_without_identities_when_a_customer_is_added() -> None:
    migration = spec(group_size=2)
    before_owners = owners(customer("b", identities=()), customer("c"), customer("d"))
    before_state = desired_state(Shared(), before_owners, inventory(before_owners), migration)
    before = membership(Shared().groups(before_owners, inventory(before_owners), migration))
    after_owners = owners(customer("a"), *before_owners.customers)

    after = membership(
        Shared().groups(
            after_owners, inventory(after_owners, tenants=applied(before_state)), migration
        )
    )

    assert before == {"b": "0001", "c": "0001", "d": "0002"}
    assert {c: after[c] for c in before} == before
