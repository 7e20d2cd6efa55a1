"""Who owns what: rule precedence, shared sets and pools, unowned templates, findings."""

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sesmigrate.planning.ownership import (
    CONFIGURATION_SET,
    IDENTITY,
    POOL,
    TEMPLATE,
    Finding,
    MappingRow,
    Ownership,
    OwnershipRuleError,
    OwnershipRules,
    SharedResource,
    UnownedResource,
    ownership,
    parse_mapping,
    parse_pattern,
)
from sesmigrate.planning.snapshot import (
    AccountInfo,
    ConfigurationSet,
    DedicatedIpPool,
    EmailTemplate,
    Identity,
    Inventory,
    Tags,
)

ACCOUNT = AccountInfo(
    account_id="123456789012",
    region="us-east-1",
    partition="aws",
    max_24_hour_send=50000.0,
    max_send_rate=14.0,
    sending_enabled=True,
    production_access=True,
)


def tags(**pairs: str) -> Tags:
    return tuple(sorted(pairs.items()))


def identity(
    name: str,
    config_set: str | None = None,
    *,
    tags: Tags = (),
    verified: bool = True,
    status: str = "SUCCESS",
) -> Identity:
    return Identity(
        name=name,
        type="EMAIL_ADDRESS" if "@" in name else "DOMAIN",
        verification_status=status,
        verified_for_sending=verified,
        sending_enabled=True,
        configuration_set=config_set,
        tags=tags,
    )


def config_set(name: str, pool: str | None = None, *, tags: Tags = ()) -> ConfigurationSet:
    return ConfigurationSet(
        name=name,
        sending_pool=pool,
        sending_enabled=True,
        suppression_scope=None,
        suppressed_reasons=(),
        archive_arn=None,
        reputation_metrics=False,
        tls_policy=None,
        tags=tags,
    )


def inventory(
    identities: tuple[Identity, ...] = (),
    sets: tuple[ConfigurationSet, ...] = (),
    pools: tuple[DedicatedIpPool, ...] = (),
    templates: tuple[EmailTemplate, ...] = (),
) -> Inventory:
    return Inventory(ACCOUNT, identities, sets, pools, templates, ())


def rules(mapping: str = "", *patterns: str, **options: str) -> OwnershipRules:
    return OwnershipRules(
        mapping=parse_mapping(mapping, "owners.csv"),
        patterns=tuple(parse_pattern(p) for p in patterns),
        **options,
    )


def owners(inv: Inventory, ownership_rules: OwnershipRules | None = None) -> Ownership:
    return ownership(inv, ownership_rules or OwnershipRules())


def messages(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.message for finding in findings]


def arn(kind: str, name: str) -> str:
    return f"arn:aws:ses:us-east-1:123456789012:{kind}/{name}"


class TestTagsAlone:
    def test_ownership_assigns_identity_to_customer_and_tier_from_default_tag_keys(self) -> None:
        result = owners(inventory((identity("acme.com", tags=tags(customer="acme", tier="gold")),)))

        acme = result.customer("acme")
        assert (acme.tier, acme.identities) == ("gold", ("acme.com",))
        assert result.unowned == ()
        assert result.conflicts == ()

    def test_ownership_leaves_customer_tier_empty_when_no_tier_tag(self) -> None:
        result = owners(inventory((identity("acme.com", tags=tags(customer="acme")),)))

        assert result.customer("acme").tier is None

    def test_ownership_reads_custom_tag_keys_when_customer_tag_is_owner(self) -> None:
        inv = inventory(
            (
                identity("acme.com", tags=tags(owner="acme", plan="gold")),
                identity("beta.io", tags=tags(customer="beta")),
            )
        )

        result = owners(inv, OwnershipRules(customer_tag="owner", tier_tag="plan"))

        assert [c.id for c in result.customers] == ["acme"]
        assert result.customer("acme").tier == "gold"
        beta = UnownedResource(
            IDENTITY, "beta.io", "not migrated: it keeps sending without a tenant"
        )
        assert beta in result.unowned

    def test_ownership_leaves_untagged_identity_unowned(self) -> None:
        result = owners(inventory((identity("stray.com"),)))

        assert result.customers == ()
        (unowned,) = result.unowned
        assert (unowned.kind, unowned.name) == (IDENTITY, "stray.com")
        assert "not migrated" in unowned.consequence

    def test_ownership_ignores_an_empty_customer_tag(self) -> None:
        result = owners(inventory((identity("stray.com", tags=tags(customer="", tier="gold")),)))

        assert result.customers == ()
        assert [u.name for u in result.unowned] == ["stray.com"]


class TestRulePrecedence:
    def test_ownership_mapping_beats_pattern_and_tags_with_a_conflict_for_each(self) -> None:
        inv = inventory((identity("news.beta.com", tags=tags(customer="gamma", tier="bronze")),))

        result = owners(inv, rules("news.beta.com,acme,gold", r"news\.(?P<customer>[a-z]+)\.com"))

        assert [c.id for c in result.customers] == ["acme"]
        assert result.customer("acme").tier == "gold"
        assert messages(result.conflicts) == [
            "mapping says customer 'acme' tier 'gold', pattern says customer 'beta'; mapping wins",
            "mapping says customer 'acme' tier 'gold', tags says customer 'gamma' tier 'bronze'; "
            "mapping wins",
        ]
        assert {(f.kind, f.name) for f in result.conflicts} == {(IDENTITY, "news.beta.com")}

    def test_ownership_pattern_beats_tags_with_a_conflict(self) -> None:
        inv = inventory((identity("beta.example.com", tags=tags(customer="gamma")),))

        result = owners(inv, rules("", r"(?P<customer>[a-z]+)\.example\.com"))

        assert [c.id for c in result.customers] == ["beta"]
        (conflict,) = result.conflicts
        assert conflict.message == (
            "pattern says customer 'beta', tags says customer 'gamma'; pattern wins"
        )

    def test_ownership_reports_a_conflict_when_rules_agree_on_customer_but_not_tier(self) -> None:
        inv = inventory((identity("acme.com", tags=tags(customer="acme", tier="silver")),))

        result = owners(inv, rules("acme.com,acme,gold"))

        assert result.customer("acme").tier == "gold"
        assert messages(result.conflicts) == [
            "mapping says customer 'acme' tier 'gold', tags says customer 'acme' tier 'silver'; "
            "mapping wins"
        ]

    def test_ownership_reports_no_conflict_when_rules_agree(self) -> None:
        inv = inventory((identity("acme.example.com", tags=tags(customer="acme", tier="gold")),))

        result = owners(
            inv, rules("acme.example.com,acme,gold", r"(?P<customer>[a-z]+)\.example\.com")
        )

        assert result.conflicts == ()
        assert result.customer("acme").tier == "gold"

    def test_ownership_matches_a_mapping_row_by_arn(self) -> None:
        inv = inventory((identity("acme.com"), identity("beta.io")))

        result = owners(inv, rules(f"{arn('identity', 'acme.com')},acme,gold\nbeta.io,beta"))

        assert result.customer("acme").identities == ("acme.com",)
        assert result.customer("acme").tier == "gold"
        assert result.customer("beta").identities == ("beta.io",)

    def test_ownership_mapping_arn_of_another_kind_does_not_match(self) -> None:
        inv = inventory((identity("acme.com"),))

        result = owners(inv, rules(f"{arn('template', 'acme.com')},acme"))

        assert result.customers == ()

    def test_ownership_takes_tier_from_a_weaker_claim_of_the_same_customer_when_mapping_has_none(
        self,
    ) -> None:
        inv = inventory((identity("acme.com", tags=tags(customer="acme", tier="gold")),))

        result = owners(inv, rules("acme.com,acme,"))

        assert result.customer("acme").tier == "gold"
        assert result.conflicts == ()

    def test_ownership_ignores_the_tier_of_another_customer_when_mapping_has_none(self) -> None:
        inv = inventory((identity("acme.com", tags=tags(customer="beta", tier="gold")),))

        result = owners(inv, rules("acme.com,acme"))

        assert result.customer("acme").tier is None
        assert messages(result.conflicts) == [
            "mapping says customer 'acme', tags says customer 'beta' tier 'gold'; mapping wins"
        ]


class TestNamePatterns:
    def test_pattern_with_tier_group_assigns_customer_and_tier(self) -> None:
        inv = inventory((identity("gold-acme@mail.example.com"),))

        result = owners(inv, rules("", r"(?P<tier>gold|silver)-(?P<customer>[a-z]+)@.*"))

        assert result.customer("acme").tier == "gold"
        assert result.customer("acme").identities == ("gold-acme@mail.example.com",)

    def test_pattern_without_tier_group_assigns_customer_only(self) -> None:
        inv = inventory((identity("acme.example.com"),))

        result = owners(inv, rules("", r"(?P<customer>[a-z]+)\.example\.com"))

        assert result.customer("acme").tier is None

    def test_pattern_with_unmatched_optional_tier_group_assigns_no_tier(self) -> None:
        inv = inventory((identity("acme.example.com"), identity("beta-gold.example.com")))

        result = owners(inv, rules("", r"(?P<customer>[a-z]+)(-(?P<tier>[a-z]+))?\.example\.com"))

        assert result.customer("acme").tier is None
        assert result.customer("beta").tier == "gold"

    def test_pattern_must_match_the_whole_name(self) -> None:
        inv = inventory((identity("acme.example.com.evil.net"), identity("mail.acme.example.com")))

        result = owners(inv, rules("", r"(?P<customer>[a-z]+)\.example\.com"))

        assert result.customers == ()
        assert [u.name for u in result.unowned] == [
            "acme.example.com.evil.net",
            "mail.acme.example.com",
        ]

    def test_pattern_first_matching_pattern_wins(self) -> None:
        inv = inventory((identity("acme.example.com"),))

        result = owners(
            inv,
            rules("", r"(?P<customer>acme)\.example\.com", r"(?P<customer>[a-z]+)\.example\..*"),
        )

        assert [c.id for c in result.customers] == ["acme"]
        assert result.conflicts == ()


class TestConfigurationSets:
    def test_ownership_gives_a_set_to_the_one_customer_whose_identities_use_it(self) -> None:
        inv = inventory(
            (
                identity("acme.com", "cs-acme", tags=tags(customer="acme")),
                identity("news.acme.com", "cs-acme", tags=tags(customer="acme")),
            ),
            (config_set("cs-acme"),),
        )

        result = owners(inv)

        assert result.customer("acme").configuration_sets == ("cs-acme",)
        assert result.shared == ()
        assert result.unowned == ()

    def test_ownership_shares_a_set_used_by_two_customers(self) -> None:
        inv = inventory(
            (
                identity("acme.com", "cs-common", tags=tags(customer="acme")),
                identity("beta.io", "cs-common", tags=tags(customer="beta")),
            ),
            (config_set("cs-common"),),
        )

        result = owners(inv)

        assert result.shared == (SharedResource(CONFIGURATION_SET, "cs-common", ("acme", "beta")),)
        assert result.customer("acme").configuration_sets == ("cs-common",)
        assert result.customer("beta").configuration_sets == ("cs-common",)
        assert result.conflicts == ()

    def test_ownership_lists_own_and_shared_sets_of_a_customer(self) -> None:
        inv = inventory(
            (
                identity("acme.com", "cs-acme", tags=tags(customer="acme")),
                identity("mail.acme.com", "cs-common", tags=tags(customer="acme")),
                identity("beta.io", "cs-common", tags=tags(customer="beta")),
            ),
            (config_set("cs-common"), config_set("cs-acme")),
        )

        result = owners(inv)

        assert result.customer("acme").configuration_sets == ("cs-acme", "cs-common")
        assert result.customer("beta").configuration_sets == ("cs-common",)

    def test_ownership_shares_a_tagged_set_used_by_another_customer_with_a_conflict(self) -> None:
        inv = inventory(
            (identity("beta.io", "cs-acme", tags=tags(customer="beta")),),
            (config_set("cs-acme", tags=tags(customer="acme")),),
        )

        result = owners(inv)

        assert result.shared == (SharedResource(CONFIGURATION_SET, "cs-acme", ("acme", "beta")),)
        assert result.conflicts == (
            Finding(
                CONFIGURATION_SET,
                "cs-acme",
                "tags says customer 'acme', but it is used by beta as well; treated as shared",
            ),
        )

    def test_ownership_gives_an_unused_tagged_set_to_its_tag_customer(self) -> None:
        inv = inventory((), (config_set("cs-acme", tags=tags(customer="acme", tier="gold")),))

        result = owners(inv)

        assert result.customer("acme").configuration_sets == ("cs-acme",)
        assert result.customer("acme").tier == "gold"

    def test_ownership_leaves_an_unused_untagged_set_unowned(self) -> None:
        inv = inventory(
            (identity("acme.com", tags=tags(customer="acme")),), (config_set("cs-old"),)
        )

        result = owners(inv)

        (unowned,) = result.unowned
        assert (unowned.kind, unowned.name) == (CONFIGURATION_SET, "cs-old")
        assert "no customer's identity uses it" in unowned.consequence
        assert result.customer("acme").configuration_sets == ()

    def test_ownership_does_not_let_an_unowned_identity_own_its_set(self) -> None:
        inv = inventory((identity("stray.com", "cs-stray"),), (config_set("cs-stray"),))

        result = owners(inv)

        assert {(u.kind, u.name) for u in result.unowned} == {
            (IDENTITY, "stray.com"),
            (CONFIGURATION_SET, "cs-stray"),
        }


class TestPools:
    def test_ownership_gives_a_pool_to_the_customer_of_its_configuration_set(self) -> None:
        inv = inventory(
            (identity("acme.com", "cs-acme", tags=tags(customer="acme")),),
            (config_set("cs-acme", "pool-acme"),),
            (DedicatedIpPool("pool-acme", "STANDARD"),),
        )

        result = owners(inv)

        assert result.customer("acme").pools == ("pool-acme",)
        assert result.shared == ()

    def test_ownership_shares_a_pool_whose_configuration_set_is_shared(self) -> None:
        inv = inventory(
            (
                identity("acme.com", "cs-common", tags=tags(customer="acme")),
                identity("beta.io", "cs-common", tags=tags(customer="beta")),
            ),
            (config_set("cs-common", "pool-common"),),
            (DedicatedIpPool("pool-common", "MANAGED"),),
        )

        result = owners(inv)

        assert SharedResource(POOL, "pool-common", ("acme", "beta")) in result.shared
        assert result.customer("acme").pools == ("pool-common",)
        assert result.customer("beta").pools == ("pool-common",)

    def test_ownership_shares_a_pool_named_by_sets_of_two_customers(self) -> None:
        inv = inventory(
            (
                identity("acme.com", "cs-acme", tags=tags(customer="acme")),
                identity("beta.io", "cs-beta", tags=tags(customer="beta")),
            ),
            (config_set("cs-acme", "pool-common"), config_set("cs-beta", "pool-common")),
            (DedicatedIpPool("pool-common", "STANDARD"),),
        )

        result = owners(inv)

        assert result.shared == (SharedResource(POOL, "pool-common", ("acme", "beta")),)

    def test_ownership_leaves_a_pool_without_customer_sets_unowned(self) -> None:
        result = owners(inventory((), (), (DedicatedIpPool("pool-idle", "STANDARD"),)))

        assert result.unowned == (
            UnownedResource(
                POOL, "pool-idle", "no configuration set of a customer sends through it"
            ),
        )


class TestTemplates:
    def test_ownership_gives_a_tagged_template_to_its_customer(self) -> None:
        inv = inventory(templates=(EmailTemplate("welcome", tags(customer="acme")),))

        result = owners(inv)

        assert result.customer("acme").templates == ("welcome",)

    def test_ownership_gives_templates_by_mapping_and_pattern(self) -> None:
        inv = inventory(templates=(EmailTemplate("beta-receipt"), EmailTemplate("welcome")))

        result = owners(inv, rules("welcome,acme", r"(?P<customer>[a-z]+)-.*"))

        assert result.customer("acme").templates == ("welcome",)
        assert result.customer("beta").templates == ("beta-receipt",)

    def test_ownership_reports_an_untagged_template_unowned_with_the_consequence(self) -> None:
        inv = inventory(
            (identity("acme.com", tags=tags(customer="acme")),),
            templates=(EmailTemplate("newsletter"),),
        )

        result = owners(inv)

        (unowned,) = result.unowned
        assert (unowned.kind, unowned.name) == (TEMPLATE, "newsletter")
        assert "rejected unless it is associated" in unowned.consequence
        assert result.customer("acme").templates == ()


class TestBlockersAndWarnings:
    def test_ownership_blocks_an_identity_whose_default_set_does_not_exist(self) -> None:
        inv = inventory((identity("acme.com", "cs-gone", tags=tags(customer="acme")),))

        result = owners(inv)

        (blocker,) = result.blockers
        assert (blocker.kind, blocker.name) == (IDENTITY, "acme.com")
        assert "configuration set 'cs-gone', which does not exist" in blocker.message

    def test_ownership_blocks_a_set_whose_pool_does_not_exist(self) -> None:
        inv = inventory(
            (identity("acme.com", "cs-acme", tags=tags(customer="acme")),),
            (config_set("cs-acme", "pool-gone"),),
        )

        result = owners(inv)

        (blocker,) = result.blockers
        assert (blocker.kind, blocker.name) == (CONFIGURATION_SET, "cs-acme")
        assert "dedicated IP pool 'pool-gone', which does not exist" in blocker.message

    def test_ownership_warns_about_an_identity_without_default_set(self) -> None:
        result = owners(inventory((identity("acme.com", None, tags=tags(customer="acme")),)))

        (warning,) = result.warnings
        assert (warning.kind, warning.name) == (IDENTITY, "acme.com")
        assert "has no default configuration set" in warning.message
        assert result.blockers == ()

    def test_ownership_warns_about_an_unverified_identity(self) -> None:
        inv = inventory(
            (
                identity(
                    "acme.com",
                    "cs-acme",
                    tags=tags(customer="acme"),
                    verified=False,
                    status="PENDING",
                ),
            ),
            (config_set("cs-acme"),),
        )

        result = owners(inv)

        assert messages(result.warnings) == ["is not verified for sending (PENDING)"]

    def test_ownership_finds_nothing_for_a_verified_identity_with_an_existing_set(self) -> None:
        inv = inventory(
            (identity("acme.com", "cs-acme", tags=tags(customer="acme")),),
            (config_set("cs-acme"),),
        )

        result = owners(inv)

        assert (result.blockers, result.warnings, result.conflicts) == ((), (), ())


class TestCustomerTier:
    def test_ownership_gives_a_customer_the_most_common_tier_with_a_conflict(self) -> None:
        inv = inventory(
            (
                identity("a.acme.com", tags=tags(customer="acme", tier="silver")),
                identity("b.acme.com", tags=tags(customer="acme", tier="gold")),
                identity("c.acme.com", tags=tags(customer="acme", tier="gold")),
            )
        )

        result = owners(inv)

        assert result.customer("acme").tier == "gold"
        assert result.conflicts == (
            Finding("customer", "acme", "resources are in tiers gold, silver; using 'gold'"),
        )

    def test_ownership_breaks_a_tier_tie_alphabetically(self) -> None:
        inv = inventory(
            (
                identity("a.acme.com", tags=tags(customer="acme", tier="silver")),
                identity("b.acme.com", tags=tags(customer="acme", tier="gold")),
            )
        )

        assert owners(inv).customer("acme").tier == "gold"

    def test_ownership_counts_the_tier_of_an_owned_set(self) -> None:
        inv = inventory(
            (identity("acme.com", "cs-acme", tags=tags(customer="acme", tier="gold")),),
            (
                config_set("cs-acme", tags=tags(customer="acme", tier="silver")),
                config_set("cs-acme-2", tags=tags(customer="acme", tier="silver")),
            ),
        )

        result = owners(inv)

        assert result.customer("acme").tier == "silver"
        assert messages(result.conflicts) == ["resources are in tiers silver, gold; using 'silver'"]


class TestDeterminism:
    def _account(self) -> Inventory:
        return inventory(
            (
                identity("zeta.org", "cs-common", tags=tags(customer="zeta", tier="gold")),
                identity("beta.io", "cs-common", tags=tags(customer="beta")),
                identity("acme.com", "cs-acme", tags=tags(customer="acme", tier="silver")),
                identity("stray.net", "cs-gone"),
            ),
            (config_set("cs-common", "pool-b"), config_set("cs-acme", "pool-a")),
            (DedicatedIpPool("pool-b", "STANDARD"), DedicatedIpPool("pool-a", "STANDARD")),
            (EmailTemplate("z-bare"), EmailTemplate("a-bare")),
        )

    def test_ownership_sorts_customers_by_id(self) -> None:
        result = owners(self._account())

        assert [c.id for c in result.customers] == ["acme", "beta", "zeta"]

    def test_ownership_is_the_same_when_the_inventory_lists_come_in_another_order(self) -> None:
        account = self._account()
        reordered = dataclasses.replace(
            account,
            identities=account.identities[::-1],
            configuration_sets=account.configuration_sets[::-1],
            pools=account.pools[::-1],
            templates=account.templates[::-1],
        )

        assert owners(reordered) == owners(account)

    def test_ownership_lists_shared_and_unowned_resources_sorted_by_name(self) -> None:
        result = owners(self._account())

        assert [(s.kind, s.name) for s in result.shared] == [
            (CONFIGURATION_SET, "cs-common"),
            (POOL, "pool-b"),
        ]
        assert [(u.kind, u.name) for u in result.unowned] == [
            (IDENTITY, "stray.net"),
            (TEMPLATE, "a-bare"),
            (TEMPLATE, "z-bare"),
        ]


class TestParseMapping:
    def test_parse_mapping_reads_rows_with_and_without_tier(self) -> None:
        rows = parse_mapping("acme.com,acme,gold\nbeta.io,beta\ngamma.net,gamma,\n", "m.csv")

        assert rows == (
            MappingRow("acme.com", "acme", "gold"),
            MappingRow("beta.io", "beta", None),
            MappingRow("gamma.net", "gamma", None),
        )

    def test_parse_mapping_skips_a_header_on_the_first_line(self) -> None:
        rows = parse_mapping("Resource,Customer,Tier\nacme.com,acme,gold\n", "m.csv")

        assert rows == (MappingRow("acme.com", "acme", "gold"),)

    def test_parse_mapping_skips_a_two_column_header(self) -> None:
        assert parse_mapping("resource,customer\nacme.com,acme\n", "m.csv") == (
            MappingRow("acme.com", "acme", None),
        )

    def test_parse_mapping_skips_comments_and_blank_lines(self) -> None:
        text = "# owners\n\nacme.com,acme,gold\n   \n  # beta later\nbeta.io,beta\n"

        rows = parse_mapping(text, "m.csv")

        assert [row.resource for row in rows] == ["acme.com", "beta.io"]

    def test_parse_mapping_strips_spaces_around_cells(self) -> None:
        assert parse_mapping(" acme.com , acme , gold ", "m.csv") == (
            MappingRow("acme.com", "acme", "gold"),
        )

    def test_parse_mapping_reads_quoted_cells_with_commas(self) -> None:
        rows = parse_mapping('"weird,name@example.com",acme,"gold, plus"\n', "m.csv")

        assert rows == (MappingRow("weird,name@example.com", "acme", "gold, plus"),)

    def test_parse_mapping_returns_nothing_for_empty_text(self) -> None:
        assert parse_mapping("", "m.csv") == ()

    def test_parse_mapping_reads_crlf_line_endings(self) -> None:
        rows = parse_mapping("acme.com,acme\r\nbeta.io,beta\r\n", "m.csv")

        assert [row.customer for row in rows] == ["acme", "beta"]

    @pytest.mark.parametrize(
        ("text", "line", "got"),
        [
            pytest.param("acme.com,acme\nbeta.io\n", 2, "'beta.io'", id="one-column"),
            pytest.param("acme.com,acme,gold,extra\n", 1, "'acme.com,acme,gold,extra'", id="four"),
            pytest.param(
                "acme.com,acme\n\nbeta.io,,gold\n", 3, "'beta.io,,gold'", id="no-customer"
            ),
            pytest.param(",acme,gold\n", 1, "',acme,gold'", id="no-resource"),
        ],
    )
    def test_parse_mapping_refuses_a_malformed_row_naming_source_and_line(
        self, text: str, line: int, got: str
    ) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_mapping(text, "owners.csv")

        assert str(caught.value) == (
            f"owners.csv, line {line}: expected 'resource,customer[,tier]', got {got}"
        )

    def test_parse_mapping_refuses_a_resource_mapped_twice(self) -> None:
        text = "acme.com,acme\nbeta.io,beta\nacme.com,beta\n"

        with pytest.raises(OwnershipRuleError) as caught:
            parse_mapping(text, "owners.csv")

        assert str(caught.value) == ("owners.csv, line 3: 'acme.com' is already mapped on line 1")

    def test_parse_mapping_refuses_a_header_that_is_not_on_the_first_line(self) -> None:
        with pytest.raises(OwnershipRuleError, match=r"owners\.csv, line 2: expected"):
            parse_mapping("acme.com,acme\nresource\n", "owners.csv")

    def test_parse_mapping_skips_a_header_after_a_leading_comment(self) -> None:
        rows = parse_mapping("# owners\nresource,customer,tier\nacme.com,acme,gold\n", "m.csv")

        assert rows == (MappingRow("acme.com", "acme", "gold"),)

    def test_parse_mapping_names_the_physical_line_after_a_multiline_cell(self) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_mapping('"two\nlines",acme\nbroken\n', "owners.csv")

        assert "owners.csv, line 3:" in str(caught.value)

    def test_parse_mapping_reads_bare_carriage_return_line_endings(self) -> None:
        rows = parse_mapping("acme.com,acme\rbeta.io,beta\r", "m.csv")

        assert [row.customer for row in rows] == ["acme", "beta"]

    @settings(database=None)
    @example("acme.com,acme\rbeta.io,beta")
    @given(st.text())
    def test_parse_mapping_returns_rows_or_raises_rule_error_on_any_text(self, text: str) -> None:
        try:
            rows = parse_mapping(text, "fuzz.csv")
        except OwnershipRuleError as error:
            assert str(error).startswith("fuzz.csv, line ")
        else:
            assert all(row.resource and row.customer for row in rows)


class TestParsePattern:
    def test_parse_pattern_accepts_customer_and_tier_groups(self) -> None:
        pattern = parse_pattern(r"(?P<tier>\w+)-(?P<customer>\w+)")

        assert set(pattern.groupindex) == {"customer", "tier"}

    def test_parse_pattern_refuses_an_invalid_regex(self) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_pattern("(?P<customer>[a-z")

        assert str(caught.value).startswith(
            "name pattern '(?P<customer>[a-z' is not a valid regex: "
        )

    def test_parse_pattern_refuses_a_regex_without_customer_group(self) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_pattern(r"(?P<tier>\w+)\.example\.com")

        assert "has no named group 'customer': write (?P<customer>...)" in str(caught.value)

    def test_parse_pattern_refuses_unknown_group_names(self) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_pattern(r"(?P<customer>\w+)-(?P<region>\w+)-(?P<env>\w+)")

        assert "has unknown group(s) ['env', 'region']: use customer and tier" in str(caught.value)

    def test_parse_pattern_error_is_one_line(self) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_pattern("(unclosed")

        assert "\n" not in str(caught.value)
