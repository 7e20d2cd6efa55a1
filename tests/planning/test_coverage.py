"""Names in the spec or flags that match nothing, empty accounts, tenants --adopt cannot take."""

import pytest

from sesmigrate.planning.coverage import (
    UnmatchedNameError,
    check_adoptions,
    empty_account,
    mapping_warnings,
    tier_warnings,
)
from sesmigrate.planning.diff import Changes
from sesmigrate.planning.ownership import MappingRow, OwnershipRules
from sesmigrate.planning.snapshot import MANAGED_TAG, ExistingTenant, Inventory
from sesmigrate.planning.spec import GateSpec, MigrationSpec, Suppression, TierGates
from tests.strategies.builders import ACCOUNT, customer, inventory, owners

OWNED = owners(customer("acme", "vip"), customer("beta", "free"), customer("gamma", "pro"))
SPEC = MigrationSpec(name="acme-tenants", strategy="tiered")


def spec(**fields) -> MigrationSpec:
    return MigrationSpec(name="acme-tenants", strategy="tiered", **fields)


class TestTiers:
    def test_a_reputation_tier_like_a_known_one_is_an_error_saying_did_you_mean(self) -> None:
        with pytest.raises(UnmatchedNameError) as caught:
            tier_warnings(spec(tier_policies=(("vipp", "strict"),)), OWNED, False)

        assert str(caught.value) == (
            "[reputation] tiers names tier 'vipp', which no customer has (did you mean 'vip'? "
            "the account's tiers are free, pro, vip)"
        )

    def test_a_dedicated_tier_flag_like_a_known_one_is_an_error_naming_the_flag(self) -> None:
        with pytest.raises(UnmatchedNameError, match=r"^--dedicated-tiers names tier 'vipp'"):
            tier_warnings(spec(strategy_options=(("dedicated_tiers", ("vipp",)),)), OWNED, True)

    def test_a_dedicated_tier_of_the_spec_is_named_by_its_key(self) -> None:
        with pytest.raises(UnmatchedNameError, match=r"^dedicated_tiers names tier 'pr'"):
            tier_warnings(spec(strategy_options=(("dedicated_tiers", ("pr",)),)), OWNED, False)

    def test_a_suppression_tier_like_a_known_one_is_an_error(self) -> None:
        suppression = (("fre", Suppression(("BOUNCE",), "TENANT")),)

        with pytest.raises(UnmatchedNameError, match=r"\[suppression.fre\] names tier 'fre'"):
            tier_warnings(spec(suppression=suppression), OWNED, False)

    def test_a_gate_tier_like_a_known_one_is_an_error_naming_its_table(self) -> None:
        gates = GateSpec(metrics=True, tiers=(("vipp", TierGates(bounce_rate_max=0.01)),))

        with pytest.raises(UnmatchedNameError, match=r"^\[gates.tiers.vipp\] names tier 'vipp'"):
            tier_warnings(spec(gates=gates), OWNED, False)

    def test_every_typo_is_named_in_the_one_error(self) -> None:
        with pytest.raises(UnmatchedNameError) as caught:
            tier_warnings(
                spec(tier_policies=(("vipp", "strict"), ("fre", "standard"))), OWNED, False
            )

        assert [p.split(",")[0] for p in caught.value.problems] == [
            "[reputation] tiers names tier 'vipp'",
            "[reputation] tiers names tier 'fre'",
        ]

    def test_a_tier_like_no_known_one_is_a_warning_that_it_applies_to_no_one(self) -> None:
        warnings = tier_warnings(spec(tier_policies=(("enterprise", "strict"),)), OWNED, False)

        assert warnings == [
            "[reputation] tiers names tier 'enterprise', which no customer has (the account's "
            "tiers are free, pro, vip): it applies to no one"
        ]

    def test_known_tiers_the_default_suppression_and_untiered_pass(self) -> None:
        owned = owners(customer("acme", "vip"), customer("loner"))
        given = spec(
            tier_policies=(("vip", "strict"), ("untiered", "none")),
            suppression=(("default", Suppression(("BOUNCE",), None)),),
            strategy_options=(("dedicated_tiers", ("vip",)),),
        )

        assert tier_warnings(given, owned, False) == []

    def test_tiers_are_not_checked_without_customers(self) -> None:
        assert tier_warnings(spec(tier_policies=(("vipp", "strict"),)), owners(), False) == []


class TestEmptyAccount:
    def test_an_account_without_identities_and_configuration_sets_says_so(self) -> None:
        empty = Inventory(ACCOUNT, (), (), (), (), ())

        assert empty_account(empty, owners(), OwnershipRules()) == (
            "account 123456789012 has no identities and no configuration sets in us-east-1, "
            "so there is nothing to migrate: check --region (or AWS_REGION) and --profile"
        )

    def test_resources_without_any_owner_name_the_rules_used(self) -> None:
        resources = inventory(OWNED)
        rules = OwnershipRules(customer_tag="owner", mapping=(MappingRow("x", "y", None),))

        said = empty_account(resources, owners(), rules)

        assert said is not None
        assert said.startswith("no customer found: none of the 3 identities")
        assert "(tags 'owner'/'tier', 1 mapping row(s))" in said
        assert "--customer-tag/--tier-tag, --name-pattern or --mapping" in said

    def test_an_account_with_customers_is_not_empty(self) -> None:
        assert empty_account(inventory(OWNED), OWNED, OwnershipRules()) is None


def test_a_mapping_row_naming_no_resource_is_a_warning_with_the_closest_name() -> None:
    rules = OwnershipRules(
        mapping=(MappingRow("acme.exampel", "acme", None), MappingRow("beta.example", "b", None))
    )

    assert mapping_warnings(rules, inventory(OWNED)) == [
        "mapping row 'acme.exampel' (customer 'acme') names no identity, configuration set or "
        "template of the account (did you mean 'acme.example'?)"
    ]


class TestAdoptions:
    @staticmethod
    def tenant(name: str, migration: str | None = None) -> ExistingTenant:
        tags = ((MANAGED_TAG, migration),) if migration else ()
        return ExistingTenant(name, f"tn-{name}", f"arn:tenant/{name}", "ENABLED", tags)

    @staticmethod
    def changes(*names: str) -> Changes:
        return Changes((), tuple((n, None) for n in names), (), (), ())  # type: ignore[misc]

    def account(self, *tenants: ExistingTenant) -> Inventory:
        return Inventory(ACCOUNT, (), (), (), (), tenants)

    def test_a_tenant_a_desired_tenant_takes_over_passes(self) -> None:
        given = spec(adopt=("acme",))

        assert (
            check_adoptions(given, self.changes("acme"), self.account(self.tenant("acme"))) is None
        )

    def test_a_tenant_the_account_lacks_is_an_error_with_did_you_mean(self) -> None:
        account = self.account(self.tenant("legacy-handmade"))

        with pytest.raises(UnmatchedNameError) as caught:
            check_adoptions(
                spec(adopt=("legacy-handmad",)), self.changes(), account, ["legacy-handmad"]
            )

        assert str(caught.value) == (
            "--adopt legacy-handmad: the account has no tenant 'legacy-handmad' (did you mean "
            "'legacy-handmade'?) (unmanaged tenants: legacy-handmade)"
        )

    def test_a_tenant_no_desired_tenant_uses_says_what_adopting_it_takes(self) -> None:
        account = self.account(self.tenant("legacy-handmade"))

        with pytest.raises(UnmatchedNameError) as caught:
            check_adoptions(spec(adopt=("legacy-handmade",)), self.changes("acme"), account)

        message = str(caught.value)
        assert message.startswith(
            "adopt = ['legacy-handmade']: no desired tenant is named 'legacy-handmade', so "
            "adopting it would do nothing"
        )
        assert "a customer with id 'legacy-handmade'" in message

    def test_a_template_that_cannot_give_the_name_says_so(self) -> None:
        given = spec(adopt=("legacy-handmade",), tenant_name_template="ses-{customer}")
        account = self.account(self.tenant("legacy-handmade"))

        with pytest.raises(UnmatchedNameError, match="no customer id gives 'legacy-handmade'"):
            check_adoptions(given, self.changes(), account, ["legacy-handmade"])
