"""`isolated`: a tenant per customer, and what `desired_state` gives every tenant."""

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
from sesmigrate.strategies.isolated import Isolated
from tests.strategies.builders import ARN, customer, inventory, owners


def spec(**fields: Any) -> MigrationSpec:
    return MigrationSpec(name="acme-migration", strategy="isolated", **fields)


def plan(owned: Ownership, migration: MigrationSpec | None = None) -> DesiredState:
    return desired_state(Isolated(), owned, inventory(owned), migration or spec())


def test_isolated_groups_each_customer_alone() -> None:
    acme, globex = customer("acme"), customer("globex")

    groups = Isolated().groups(owners(acme, globex), inventory(owners(acme, globex)), spec())

    assert groups == [
        TenantGroup("customer", "acme", (acme,)),
        TenantGroup("customer", "globex", (globex,)),
    ]


def test_isolated_gives_one_tenant_per_customer_named_from_the_id() -> None:
    owned = owners(customer("acme.io"), customer("globex"), customer("Müller & Söhne GmbH"))

    state = plan(owned)

    assert [t.name for t in state.tenants] == sorted(
        tenant_name(i) for i in ("acme.io", "globex", "Müller & Söhne GmbH")
    )
    assert {t.customers for t in state.tenants} == {
        ("acme.io",),
        ("globex",),
        ("Müller & Söhne GmbH",),
    }


def test_isolated_tenant_carries_the_migration_and_customer_tags() -> None:
    state = plan(owners(customer("acme.io")))

    (tenant,) = state.tenants
    assert tenant.tags == (
        ("sesmigrate:customer", "acme.io"),
        ("sesmigrate:migration", "acme-migration"),
    )
    assert (tenant.kind, tenant.key) == ("customer", "acme.io")


def test_isolated_tenant_holds_the_customers_identities_sets_and_templates() -> None:
    acme = customer(
        "acme",
        identities=("acme.example", "ops@acme.example"),
        sets=("acme-cs", "shared-cs"),
        templates=("acme-welcome",),
    )

    state = plan(owners(acme, customer("globex", sets=("globex-cs", "shared-cs"))))

    assert state.tenants[0] == DesiredTenant(
        name="acme",
        kind="customer",
        key="acme",
        customers=("acme",),
        tier=None,
        resources=(
            ("CONFIGURATION_SET", f"{ARN}:configuration-set/acme-cs"),
            ("CONFIGURATION_SET", f"{ARN}:configuration-set/shared-cs"),
            ("EMAIL_IDENTITY", f"{ARN}:identity/acme.example"),
            ("EMAIL_IDENTITY", f"{ARN}:identity/ops@acme.example"),
            ("EMAIL_TEMPLATE", f"{ARN}:template/acme-welcome"),
        ),
        policy="standard",
        suppression=None,
        tags=(("sesmigrate:customer", "acme"), ("sesmigrate:migration", "acme-migration")),
    )
    assert ("CONFIGURATION_SET", f"{ARN}:configuration-set/shared-cs") in state.tenants[1].resources
    assert state.warnings == ()


def test_isolated_tenant_names_follow_the_template() -> None:
    state = plan(
        owners(customer("acme"), customer("acme.io")), spec(tenant_name_template="ses-{customer}")
    )

    assert [t.name for t in state.tenants] == ["ses-acme", tenant_name("acme.io", "ses-{customer}")]
    assert all(t.name.startswith("ses-") for t in state.tenants)


def test_isolated_tenant_takes_the_policy_and_suppression_of_its_customers_tier() -> None:
    migration = spec(
        tier_policies=(("free", "keep"), ("vip", "strict")),
        suppression=(("vip", Suppression(("BOUNCE",), "TENANT")),),
    )

    state = plan(
        owners(customer("acme", "vip"), customer("globex", "free"), customer("initech")),
        migration,
    )

    by_name = {t.name: t for t in state.tenants}
    assert (by_name["acme"].tier, by_name["acme"].policy) == ("vip", "strict")
    assert by_name["acme"].suppression == Suppression(("BOUNCE",), "TENANT")
    assert (by_name["globex"].tier, by_name["globex"].policy) == ("free", None)
    assert (by_name["initech"].tier, by_name["initech"].policy) == (None, "standard")
    assert by_name["initech"].suppression is None


def test_isolated_adds_unowned_templates_to_every_tenant_when_associating_all() -> None:
    owned = owners(customer("acme"), customer("globex"), unowned_templates=("footer", "receipt"))

    state = plan(owned, spec(unowned_templates="associate-all"))

    for tenant in state.tenants:
        templates = [arn for kind, arn in tenant.resources if kind == "EMAIL_TEMPLATE"]
        assert templates == [f"{ARN}:template/footer", f"{ARN}:template/receipt"]


def test_isolated_leaves_unowned_templates_out_by_default() -> None:
    owned = owners(customer("acme"), unowned_templates=("footer",))

    state = plan(owned)

    assert all(kind != "EMAIL_TEMPLATE" for kind, _ in state.tenants[0].resources)


@pytest.mark.parametrize(
    ("identities", "sets", "missing"),
    [
        ((), ("acme-cs",), "identity"),
        (("acme.example",), (), "configuration set"),
        ((), (), "identity and configuration set"),
    ],
)
def test_isolated_warns_that_a_tenant_without_identity_or_set_cannot_send(
    identities: tuple[str, ...], sets: tuple[str, ...], missing: str
) -> None:
    state = plan(owners(customer("acme", identities=identities, sets=sets), customer("globex")))

    assert state.warnings == (f"tenant acme has no {missing}: it cannot send until one is added",)
    assert [t.name for t in state.tenants] == ["acme", "globex"]


def test_isolated_refuses_a_strategy_option_listing_that_it_has_none() -> None:
    migration = spec(strategy_options=(("dedicated_tiers", ("vip",)),))

    with pytest.raises(StrategyError) as caught:
        plan(owners(customer("acme")), migration)

    assert str(caught.value) == (
        "strategy 'isolated' has no option dedicated_tiers (its options: none)"
    )


def test_isolated_gives_the_same_state_twice() -> None:
    owned = owners(customer("globex", "pro"), customer("acme.io", "vip"), customer("initech"))

    assert plan(owned) == plan(owned)


def test_isolated_gives_no_tenants_for_no_customers() -> None:
    state = plan(owners())

    assert (state.tenants, state.warnings) == ((), ())
