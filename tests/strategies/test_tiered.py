"""`tiered`: a tenant per customer of the dedicated tiers, one shared tenant per other tier."""

from typing import Any

import pytest

from sesmigrate.planning.naming import tenant_name
from sesmigrate.planning.ownership import Ownership
from sesmigrate.planning.spec import MigrationSpec, Suppression
from sesmigrate.strategies import (
    DesiredState,
    DesiredTenant,
    StrategyError,
    TenantGroup,
    desired_state,
)
from sesmigrate.strategies.tiered import Tiered
from tests.strategies.builders import ARN, customer, inventory, owners


def spec(dedicated: Any = ("vip",), **fields: Any) -> MigrationSpec:
    options = () if dedicated is None else (("dedicated_tiers", dedicated),)
    return MigrationSpec(
        name="acme-migration", strategy="tiered", strategy_options=options, **fields
    )


def plan(owned: Ownership, migration: MigrationSpec | None = None) -> DesiredState:
    return desired_state(Tiered(), owned, inventory(owned), migration or spec())


def by_name(state: DesiredState) -> dict[str, DesiredTenant]:
    return {tenant.name: tenant for tenant in state.tenants}


ACME = customer("acme", "vip", templates=("acme-welcome",))
GLOBEX = customer("globex", "free", sets=("globex-cs", "shared-cs"))
HOOLI = customer("hooli", "free", identities=("hooli.example", "news@hooli.example"))
INITECH = customer("initech", "pro")
UMBRELLA = customer("umbrella.corp", "vip")
WAYNE = customer("wayne")
EVERYONE = owners(ACME, GLOBEX, HOOLI, INITECH, UMBRELLA, WAYNE)


def test_tiered_groups_dedicated_customers_alone_and_others_by_tier() -> None:
    groups = Tiered().groups(EVERYONE, inventory(EVERYONE), spec())

    assert sorted(groups, key=lambda g: (g.kind, g.key)) == [
        TenantGroup("customer", "acme", (ACME,)),
        TenantGroup("customer", "umbrella.corp", (UMBRELLA,)),
        TenantGroup("tier", "free", (GLOBEX, HOOLI)),
        TenantGroup("tier", "pro", (INITECH,)),
        TenantGroup("tier", "untiered", (WAYNE,)),
    ]


def test_tiered_gives_vip_customers_their_own_tenant() -> None:
    tenants = by_name(plan(EVERYONE))

    acme = tenants["acme"]
    assert (acme.kind, acme.key, acme.customers, acme.tier) == (
        "customer",
        "acme",
        ("acme",),
        "vip",
    )
    assert acme.tags == (
        ("sesmigrate:customer", "acme"),
        ("sesmigrate:migration", "acme-migration"),
    )
    assert acme.resources == (
        ("CONFIGURATION_SET", f"{ARN}:configuration-set/acme-cs"),
        ("EMAIL_IDENTITY", f"{ARN}:identity/acme.example"),
        ("EMAIL_TEMPLATE", f"{ARN}:template/acme-welcome"),
    )
    umbrella = tenants[tenant_name("umbrella.corp")]
    assert (umbrella.kind, umbrella.customers, umbrella.tier) == (
        "customer",
        ("umbrella.corp",),
        "vip",
    )


def test_tiered_puts_all_customers_of_a_tier_in_one_tenant() -> None:
    tenants = by_name(plan(EVERYONE))

    assert tenants["tier-free"] == DesiredTenant(
        name="tier-free",
        kind="tier",
        key="tier:free",
        customers=("globex", "hooli"),
        tier="free",
        resources=(
            ("CONFIGURATION_SET", f"{ARN}:configuration-set/globex-cs"),
            ("CONFIGURATION_SET", f"{ARN}:configuration-set/hooli-cs"),
            ("CONFIGURATION_SET", f"{ARN}:configuration-set/shared-cs"),
            ("EMAIL_IDENTITY", f"{ARN}:identity/globex.example"),
            ("EMAIL_IDENTITY", f"{ARN}:identity/hooli.example"),
            ("EMAIL_IDENTITY", f"{ARN}:identity/news@hooli.example"),
        ),
        policy="standard",
        suppression=None,
        tags=(("sesmigrate:group", "tier:free"), ("sesmigrate:migration", "acme-migration")),
    )
    assert tenants["tier-pro"].customers == ("initech",)
    assert tenants["tier-pro"].tags == (
        ("sesmigrate:group", "tier:pro"),
        ("sesmigrate:migration", "acme-migration"),
    )


def test_tiered_puts_customers_without_a_tier_in_the_untiered_tenant() -> None:
    tenant = by_name(plan(EVERYONE))["tier-untiered"]

    assert (tenant.kind, tenant.key, tenant.customers, tenant.tier) == (
        "tier",
        "tier:untiered",
        ("wayne",),
        "untiered",
    )


def test_tiered_names_exactly_one_tenant_per_dedicated_customer_and_per_other_tier() -> None:
    state = plan(EVERYONE)

    assert sorted(t.customers for t in state.tenants) == [
        ("acme",),
        ("globex", "hooli"),
        ("initech",),
        ("umbrella.corp",),
        ("wayne",),
    ]
    assert [t.name for t in state.tenants] == sorted(t.name for t in state.tenants)


def test_tiered_dedicates_vip_when_no_tiers_are_given() -> None:
    state = plan(EVERYONE, spec(dedicated=None))

    assert by_name(state)["acme"].kind == "customer"
    assert "tier-vip" not in by_name(state)


def test_tiered_dedicates_every_tier_it_is_given() -> None:
    tenants = by_name(plan(EVERYONE, spec(dedicated=("vip", "pro"))))

    assert tenants["initech"].kind == "customer"
    assert "tier-pro" not in tenants
    assert set(tenants) >= {"acme", "tier-free", "tier-untiered"}


def test_tiered_reads_dedicated_tiers_given_as_comma_separated_text() -> None:
    tenants = by_name(plan(EVERYONE, spec(dedicated="vip, pro")))

    assert tenants["initech"].kind == "customer"
    assert tenants["acme"].kind == "customer"


def test_tiered_shares_the_vip_tier_when_another_tier_is_dedicated() -> None:
    tenants = by_name(plan(EVERYONE, spec(dedicated=("pro",))))

    assert tenants["tier-vip"].customers == ("acme", "umbrella.corp")
    assert tenants["initech"].kind == "customer"


def test_tiered_dedicates_no_tier_when_given_an_empty_list() -> None:
    tenants = by_name(plan(EVERYONE, spec(dedicated=())))

    assert tenants["tier-vip"].customers == ("acme", "umbrella.corp")


@pytest.mark.parametrize("dedicated", [3, ("vip", 3)])
def test_tiered_refuses_dedicated_tiers_that_are_not_strings(dedicated: Any) -> None:
    with pytest.raises(StrategyError) as caught:
        plan(EVERYONE, spec(dedicated=dedicated))

    assert str(caught.value) == "strategy option dedicated_tiers must be a list of strings"


def test_tiered_sets_the_reputation_policy_of_each_tier() -> None:
    migration = spec(
        default_policy="strict",
        tier_policies=(("free", "none"), ("pro", "keep"), ("vip", "standard")),
    )

    tenants = by_name(plan(EVERYONE, migration))

    assert tenants["tier-free"].policy == "none"
    assert tenants["tier-pro"].policy is None
    assert tenants["acme"].policy == "standard"
    assert tenants["tier-untiered"].policy == "strict"


def test_tiered_sets_the_suppression_of_each_tier() -> None:
    vip = Suppression(("BOUNCE", "COMPLAINT"), "TENANT")
    free = Suppression(("BOUNCE",), "ACCOUNT")
    migration = spec(suppression=(("free", free), ("vip", vip)))

    tenants = by_name(plan(EVERYONE, migration))

    assert tenants["acme"].suppression == vip
    assert tenants["tier-free"].suppression == free
    assert tenants["tier-pro"].suppression is None


def test_tiered_adds_unowned_templates_to_every_tenant_when_associating_all() -> None:
    owned = owners(ACME, GLOBEX, WAYNE, unowned_templates=("footer",))

    state = plan(owned, spec(unowned_templates="associate-all"))

    assert len(state.tenants) == 3
    for tenant in state.tenants:
        assert ("EMAIL_TEMPLATE", f"{ARN}:template/footer") in tenant.resources


def test_tiered_leaves_unowned_templates_out_when_told_to_leave_them() -> None:
    owned = owners(ACME, GLOBEX, WAYNE, unowned_templates=("footer",))

    state = plan(owned, spec(unowned_templates="leave"))

    for tenant in state.tenants:
        assert ("EMAIL_TEMPLATE", f"{ARN}:template/footer") not in tenant.resources


def test_tiered_warns_that_a_tier_tenant_without_an_identity_cannot_send() -> None:
    owned = owners(ACME, customer("globex", "free", identities=()))

    state = plan(owned)

    assert state.warnings == (
        "tenant tier-free has no identity: it cannot send until one is added",
    )


def test_tiered_refuses_a_customer_and_a_tier_that_map_to_the_same_name() -> None:
    owned = owners(customer("tier-free", "vip"), GLOBEX)

    with pytest.raises(StrategyError) as caught:
        plan(owned)

    assert str(caught.value) == (
        "tier 'free' and customer 'tier-free' both map to tenant name 'tier-free'; "
        "change the tenant name template or the ids"
    )


def test_tiered_refuses_an_unknown_option_and_lists_its_options() -> None:
    migration = MigrationSpec(
        name="acme-migration", strategy="tiered", strategy_options=(("group_size", 5),)
    )

    with pytest.raises(StrategyError) as caught:
        plan(EVERYONE, migration)

    assert str(caught.value) == (
        "strategy 'tiered' has no option group_size (its options: dedicated_tiers)"
    )


def test_tiered_gives_the_same_state_twice() -> None:
    assert plan(EVERYONE) == plan(EVERYONE)


def test_tiered_refuses_a_customer_whose_tenant_name_is_a_tier_tenants() -> None:
    owned = owners(customer("tier-free", "vip"), customer("acme", "free"))

    with pytest.raises(StrategyError) as caught:
        plan(owned)

    message = str(caught.value)
    assert "both map to tenant name 'tier-free'" in message
    assert "customer 'tier-free'" in message
    assert "tier 'free'" in message
