"""The migration spec: every key parsed and checked, errors that name the key, flag overrides."""

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sesmigrate.errors import SesmigrateError
from sesmigrate.planning.spec import (
    CohortSpec,
    GateSpec,
    MigrationSpec,
    MonitoringSpec,
    OwnershipSpec,
    SpecError,
    Suppression,
    parse_spec,
    spec_from_mapping,
)

SOURCE = "plans/acme.toml"

FULL = """
name = "acme-tenants"
strategy = "tiered"
tenant_name_template = "ses-{customer}"
unowned_templates = "associate-all"
tenant_quota = 500
delete_orphaned_tenants = true
adopt = ["legacy-b", "legacy-a", "legacy-b"]

[strategy_options]
dedicated_tiers = ["vip", "gold"]
extra = { b = 2, a = 1 }

[ownership]
mapping = "owners.csv"
name_patterns = ["^(?P<customer>[a-z]+)-mail$"]
customer_tag = "cust"
tier_tag = "plan"

[reputation]
default = "strict"
tiers = { vip = "none", free = "keep", pro = "standard" }

[suppression.vip]
reasons = ["COMPLAINT", "BOUNCE"]
scope = "TENANT"

[suppression.free]
reasons = ["BOUNCE"]
scope = "ACCOUNT"

[cohorts]
canary = 5
by_tier = true

[gates]
soak_seconds = 90
allow_reinstated = false
"""


def parsed(text: str) -> MigrationSpec:
    return parse_spec(text, SOURCE)


def spec_error(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parsed(text)
    return caught.value


def test_parse_spec_reads_every_section_of_a_full_spec() -> None:
    spec = parsed(FULL)

    assert spec == MigrationSpec(
        name="acme-tenants",
        strategy="tiered",
        strategy_options=(("dedicated_tiers", ("vip", "gold")), ("extra", (("a", 1), ("b", 2)))),
        tenant_name_template="ses-{customer}",
        unowned_templates="associate-all",
        tenant_quota=500,
        delete_orphaned_tenants=True,
        adopt=("legacy-a", "legacy-b"),
        ownership=OwnershipSpec(
            mapping="owners.csv",
            name_patterns=("^(?P<customer>[a-z]+)-mail$",),
            customer_tag="cust",
            tier_tag="plan",
        ),
        default_policy="strict",
        tier_policies=(("free", "keep"), ("pro", "standard"), ("vip", "none")),
        suppression=(
            ("free", Suppression(("BOUNCE",), "ACCOUNT")),
            ("vip", Suppression(("BOUNCE", "COMPLAINT"), "TENANT")),
        ),
        cohorts=CohortSpec(canary=5, by_tier=True),
        gates=GateSpec(soak_seconds=90.0, allow_reinstated=False),
    )


def test_parse_spec_gives_defaults_when_only_the_strategy_is_given() -> None:
    spec = parsed('strategy = "tiered"')

    assert spec == MigrationSpec(name="tiered", strategy="tiered")
    assert spec.tenant_name_template == "{customer}"
    assert spec.unowned_templates == "leave"
    assert spec.tenant_quota == 10_000
    assert spec.delete_orphaned_tenants is False
    assert spec.adopt == ()
    assert spec.ownership == OwnershipSpec(None, (), "customer", "tier")
    assert spec.default_policy == "standard"
    assert (spec.tier_policies, spec.suppression, spec.strategy_options) == ((), (), ())
    assert spec.cohorts == CohortSpec(canary=3)
    assert spec.cohorts.sizing == "growth" and spec.cohorts.growth == 4
    assert spec.gates == GateSpec(soak_seconds=0.0, allow_reinstated=True)


def test_parse_spec_defaults_to_isolated_when_the_spec_is_empty() -> None:
    spec = parsed("")

    assert (spec.name, spec.strategy) == ("isolated", "isolated")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('colour = "blue"', "unknown key colour"),
        ('colour = "blue"\nsize = 1', "unknown key colour, size"),
        ("[cohorts]\nsize = 3", "unknown key cohorts.size"),
        ("[gates]\nsoak = 3", "unknown key gates.soak"),
        ('[ownership]\ntag = "x"', "unknown key ownership.tag"),
        ('[reputation]\nvip = "strict"', "unknown key reputation.vip"),
        (
            '[suppression.vip]\nreason = ["BOUNCE"]\nscope = "TENANT"',
            "unknown key suppression.vip.reason",
        ),
        ("strategy = 3", "strategy must be a string, got 3"),
        ("cohorts = 3", "cohorts must be a table"),
        ('[suppression]\nvip = "BOUNCE"', "suppression.vip must be a table"),
        ('[cohorts]\nwave_size = "ten"', "cohorts.wave_size must be an integer >= 1, got 'ten'"),
        ("[cohorts]\nwave_size = 0", "cohorts.wave_size must be an integer >= 1, got 0"),
        ("[cohorts]\nwave_size = true", "cohorts.wave_size must be an integer >= 1, got True"),
        ("[cohorts]\ncanary = -1", "cohorts.canary must be an integer >= 0, got -1"),
        ('[cohorts]\nby_tier = "yes"', "cohorts.by_tier must be true or false, got 'yes'"),
        (
            '[cohorts]\nwave_size = 5\nwaves = ["10%"]',
            "cohorts.wave_size and cohorts.waves both size the waves; give one of them",
        ),
        (
            "[cohorts]\ngrowth = 2\nby_tier = true",
            "cohorts.growth and cohorts.by_tier both size the waves; give one of them",
        ),
        ("[cohorts]\ngrowth = 1", "cohorts.growth: must be a number > 1, got 1"),
        ('[cohorts]\ngrowth = "x4"', "cohorts.growth: must be a number > 1, got 'x4'"),
        ("[cohorts]\nwaves = []", "cohorts.waves: give at least one percentage"),
        ("[cohorts]\nwaves = [10]", "cohorts.waves: each wave must be a percentage"),
        ('[cohorts]\nwaves = ["150%"]', "cohorts.waves: each wave must be a percentage"),
        (
            '[cohorts]\nwaves = ["50%", "10%"]',
            "cohorts.waves: the percentages are cumulative and must increase, got 10% after 50%",
        ),
        ('[cohorts]\nwaves = "10%"', "cohorts.waves must be a list of percentages"),
        ("[gates]\nsoak_seconds = -1", "gates.soak_seconds must be a number of seconds >= 0"),
        (
            '[gates]\nsoak_seconds = "1m"',
            "gates.soak_seconds must be a number of seconds >= 0, got '1m'",
        ),
        ("[gates]\nallow_reinstated = 1", "gates.allow_reinstated must be true or false, got 1"),
        ("[gates]\nbounce_rate_max = 5", "gates.bounce_rate_max must be a fraction from 0 to 1"),
        (
            '[gates]\ncomplaint_rate_max = "0.1%"',
            "gates.complaint_rate_max must be a fraction from 0 to 1 (0.05 is 5%), got '0.1%'",
        ),
        ("[gates]\nbounce_rate_max = -0.1", "gates.bounce_rate_max must be a fraction"),
        ("[gates]\nmin_sends = 0", "gates.min_sends must be an integer >= 1, got 0"),
        ("[gates]\nmin_sends = 2.5", "gates.min_sends must be an integer >= 1, got 2.5"),
        ("[gates]\nwindow_seconds = 0", "gates.window_seconds must be a number of seconds > 0"),
        ("[gates]\nwindow_seconds = inf", "gates.window_seconds must be a number of seconds > 0"),
        ("[gates]\naccount_enforcement = 1", "gates.account_enforcement must be true or false"),
        ('[gates]\nmetrics = "on"', "gates.metrics must be true or false, got 'on'"),
        ("[gates]\nmin_send = 5", "unknown key gates.min_send (did you mean 'min_sends'?)"),
        (
            "[gates.tiers.vip]\nbounce_rate_max = 2",
            "gates.tiers.vip.bounce_rate_max must be a fraction from 0 to 1 (0.05 is 5%), got 2",
        ),
        ("[gates.tiers.vip]\nmin_sends = 0", "gates.tiers.vip.min_sends must be an integer >= 1"),
        (
            "[gates.tiers.vip]\nwindow_seconds = 60",
            "unknown key gates.tiers.vip.window_seconds",
        ),
        ("[gates.tiers]\nvip = 0.01", "gates.tiers.vip must be a table"),
        (
            "[gates.tiers.vip]",
            "gates.tiers.vip sets none of bounce_rate_max, complaint_rate_max, min_sends",
        ),
        (
            '[gates]\naccount_bounce_rate_max = "5%"',
            "gates.account_bounce_rate_max must be a fraction from 0 to 1 (0.05 is 5%), got '5%'",
        ),
        ("[gates]\naccount_complaint_rate_max = 1.5", "gates.account_complaint_rate_max must be"),
        ("tenant_quota = 0", "tenant_quota must be an integer >= 1, got 0"),
        ('delete_orphaned_tenants = "no"', "delete_orphaned_tenants must be true or false"),
        ('adopt = "legacy"', "adopt must be a list of strings, got 'legacy'"),
        ('adopt = ["ok", ""]', "adopt must be a list of non-empty strings"),
        ("[ownership]\nname_patterns = [1]", "ownership.name_patterns must be a list of non-empty"),
        ('[ownership]\nmapping = ["a.csv"]', "ownership.mapping must be a string"),
        (
            'unowned_templates = "all"',
            "unowned_templates must be one of leave, associate-all, got 'all'",
        ),
        (
            '[reputation]\ndefault = "lenient"',
            "reputation.default must be one of standard, strict, none, keep, got 'lenient'",
        ),
        (
            '[reputation]\ntiers = { vip = "lenient" }',
            "reputation.tiers.vip must be one of standard, strict, none, keep, got 'lenient'",
        ),
        ('[reputation]\ntiers = "strict"', "reputation.tiers must be a table"),
        (
            '[suppression.vip]\nreasons = ["BOUNCE", "SPAM"]\nscope = "TENANT"',
            "suppression.vip.reasons may hold BOUNCE and COMPLAINT, got 'SPAM'",
        ),
        (
            '[suppression.vip]\nscope = "GLOBAL"',
            "suppression.vip.scope must be one of ACCOUNT, TENANT, got 'GLOBAL'",
        ),
        ('name = "bad name"', "name must be 1-128 letters, digits, '.', '_' or '-'"),
        ('name = "-acme"', "got '-acme'"),
        ('name = "' + "a" * 129 + '"', "name must be 1-128 letters"),
        (
            'tenant_name_template = "ses.{customer}"',
            "tenant_name_template: tenant name template 'ses.{customer}' may add only letters",
        ),
        (
            'tenant_name_template = "ses"',
            "tenant_name_template: tenant name template 'ses' must contain {customer} exactly once",
        ),
        (
            '[monitoring]\nlog_group = "ses tenants"',
            "monitoring.log_group must be 1-512 letters, digits or . - _ / #, got 'ses tenants'",
        ),
        ('[monitoring]\nlog_group = ""', "monitoring.log_group must be 1-512 letters"),
        ('[monitoring]\nlog_group = "' + "a" * 513 + '"', "monitoring.log_group must be 1-512"),
        ("[monitoring]\nlog_group = 3", "monitoring.log_group must be a string, got 3"),
        (
            '[monitoring]\nlog_group = "aws/ses"',
            "monitoring.log_group may not start with aws/ (CloudWatch Logs reserves it), "
            "got 'aws/ses'",
        ),
        (
            '[monitoring]\nrule_name = "ses/tenants"',
            "monitoring.rule_name must be 1-64 letters, digits or . - _, got 'ses/tenants'",
        ),
        ('[monitoring]\nrule_name = "' + "r" * 65 + '"', "monitoring.rule_name must be 1-64"),
        ('[monitoring]\nenabled = "yes"', "monitoring.enabled must be true or false, got 'yes'"),
        ('[monitoring]\nlog_grup = "/aws/ses/x"', "unknown key monitoring.log_grup"),
        ("monitoring = true", "monitoring must be a table"),
    ],
)
def test_parse_spec_names_the_key_when_a_value_is_wrong(text: str, problem: str) -> None:
    error = spec_error(text)

    assert str(error).startswith(f"{SOURCE}: ")
    assert problem in str(error)
    assert (error.source, error.problem) == (SOURCE, str(error).removeprefix(f"{SOURCE}: "))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('stratgy = "tiered"', "unknown key stratgy (did you mean 'strategy'?)"),
        ("[cohorts]\ncanry = 3", "unknown key cohorts.canry (did you mean 'canary'?)"),
        ("[cohorts]\ngroth = 4", "unknown key cohorts.groth (did you mean 'growth'?)"),
        ('[reputaton]\ndefault = "strict"', "unknown key reputaton (did you mean 'reputation'?)"),
        ("canary = 3", "unknown key canary (it belongs in [cohorts])"),
        (
            '[reputation]\ndefault = "stict"',
            "reputation.default must be one of standard, strict, none, keep, got 'stict' "
            "(did you mean 'strict'?)",
        ),
        (
            '[reputation]\ntiers = { vip = "strickt" }',
            "got 'strickt' (did you mean 'strict'?)",
        ),
        (
            'unowned_templates = "associate_all"',
            "got 'associate_all' (did you mean 'associate-all'?)",
        ),
        ('[suppression.vip]\nreasons = ["bounce"]', "got 'bounce' (did you mean 'BOUNCE'?)"),
    ],
)
def test_parse_spec_says_did_you_mean_for_a_mistyped_key_or_value(text: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "plans/acme.toml")

    assert problem in str(caught.value)


def test_parse_spec_offers_no_guess_for_a_key_like_none_it_knows() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec('colour = "blue"', "plans/acme.toml")

    assert str(caught.value) == "plans/acme.toml: unknown key colour"


def test_parse_spec_leaves_monitoring_off_without_its_section() -> None:
    spec = parsed(FULL)

    assert spec.monitoring == MonitoringSpec(enabled=False)
    assert spec.monitoring.log_group == "/aws/ses/tenants"
    assert spec.monitoring.rule_name is None


def test_parse_spec_turns_monitoring_on_when_its_section_is_present() -> None:
    spec = parsed('name = "acme"\n[monitoring]')

    assert spec.monitoring == MonitoringSpec(True, "/aws/ses/tenants", None)
    assert spec.monitoring_rule == "sesmigrate-acme"


def test_parse_spec_keeps_monitoring_off_when_the_section_says_so() -> None:
    spec = parsed('[monitoring]\nenabled = false\nlog_group = "/aws/ses/x"')

    assert spec.monitoring == MonitoringSpec(False, "/aws/ses/x", None)


def test_parse_spec_reads_the_monitoring_log_group_and_rule_name() -> None:
    spec = parsed(
        '[monitoring]\nenabled = true\nlog_group = "/acme/ses#1"\nrule_name = "acme.ses-events_1"'
    )

    assert spec.monitoring == MonitoringSpec(True, "/acme/ses#1", "acme.ses-events_1")
    assert spec.monitoring_rule == "acme.ses-events_1"


def test_parse_spec_says_when_the_text_is_not_toml() -> None:
    error = spec_error('name = "acme"\nstrategy = = 3\n')

    assert str(error) == f"{SOURCE}: not valid TOML: Invalid value (at line 2, column 12)"


def test_parse_spec_leaves_the_suppression_scope_unset_when_it_is_omitted() -> None:
    spec = parsed('[suppression.vip]\nreasons = ["BOUNCE"]')

    assert spec.suppression_for("vip") == Suppression(("BOUNCE",), None)


def test_metric_conditions_are_off_until_a_metric_key_is_set() -> None:
    assert parsed("").gates.metrics is False
    assert parsed("[gates]\nsoak_seconds = 5").gates.metrics is False
    assert parsed("[gates]\nmetrics = true").gates == GateSpec(metrics=True)
    assert parsed("[gates]\nmin_sends = 10\nmetrics = false").gates.metrics is False
    gates = parsed("[gates]\nbounce_rate_max = 0.1\nwindow_seconds = 600").gates
    assert gates == GateSpec(metrics=True, bounce_rate_max=0.1, window_seconds=600.0)
    assert (gates.complaint_rate_max, gates.min_sends, gates.account_enforcement) == (
        0.001,
        200,
        True,
    )


def test_the_gate_keys_round_trip_and_an_old_plans_spec_gets_the_defaults() -> None:
    spec = parsed("[gates]\nmin_sends = 20\naccount_enforcement = false")
    again = spec_from_mapping(spec.to_dict(), SOURCE)
    assert again == spec and again.gates.metrics is True
    old = spec.to_dict()
    old["gates"] = {"soak_seconds": 0.0, "allow_reinstated": True}
    assert spec_from_mapping(old, SOURCE).gates == GateSpec()


def test_a_tier_is_judged_by_its_overrides_and_a_mix_of_tiers_by_the_strictest() -> None:
    text = "[gates]\nmin_sends = 50\n[gates.tiers.vip]\nbounce_rate_max = 0.01\nmin_sends = 20\n"
    gates = parsed(text + "[gates.tiers.free]\ncomplaint_rate_max = 0.002\n").gates

    assert gates.metrics is True
    assert gates.for_tier("vip") == replace(gates, bounce_rate_max=0.01, min_sends=20)
    assert gates.for_tier("pro") == gates.for_tier(None) == gates
    strictest = gates.strictest(["vip", "free"])
    assert (strictest.bounce_rate_max, strictest.complaint_rate_max, strictest.min_sends) == (
        0.01,
        0.001,
        50,
    )
    assert gates.tiers_dict() == {
        "free": {"complaint_rate_max": 0.002},
        "vip": {"bounce_rate_max": 0.01, "min_sends": 20},
    }


def test_tier_overrides_and_account_rates_round_trip_and_turn_the_metrics_on() -> None:
    spec = parsed("[gates.tiers.vip]\ncomplaint_rate_max = 0.0005")
    assert spec.gates.metrics is True
    assert spec_from_mapping(spec.to_dict(), SOURCE) == spec
    account = parsed("[gates]\naccount_bounce_rate_max = 0.04").gates
    assert account == GateSpec(metrics=True, account_bounce_rate_max=0.04)


def test_parse_spec_rejects_a_boolean_soak_time() -> None:
    error = spec_error("[gates]\nsoak_seconds = true")

    assert "gates.soak_seconds must be a number of seconds >= 0" in str(error)


def test_parse_spec_rejects_a_soak_time_that_is_not_a_number() -> None:
    error = spec_error("[gates]\nsoak_seconds = nan")

    assert "gates.soak_seconds must be a number of seconds >= 0" in str(error)


def test_parse_spec_rejects_a_name_with_a_trailing_newline() -> None:
    error = spec_error('name = "acme\\n"')

    assert "name must be 1-128 letters" in str(error)


def test_parse_spec_accepts_a_dotted_path_strategy_without_a_name() -> None:
    spec = parsed('strategy = "mypkg.strategies:ByRegion"')

    assert spec.strategy == "mypkg.strategies:ByRegion"


def test_with_overrides_replaces_the_strategy() -> None:
    spec = parsed(FULL).with_overrides(strategy="isolated")

    assert spec.strategy == "isolated"
    assert spec.name == "acme-tenants"


def test_with_overrides_sets_dedicated_tiers_and_keeps_other_options() -> None:
    spec = parsed(FULL).with_overrides(dedicated_tiers=["platinum"])

    assert spec.strategy_options == (
        ("dedicated_tiers", ("platinum",)),
        ("extra", (("a", 1), ("b", 2))),
    )


def test_with_overrides_adds_dedicated_tiers_to_a_spec_without_options() -> None:
    spec = MigrationSpec(name="m", strategy="tiered").with_overrides(dedicated_tiers=["vip"])

    assert spec.option("dedicated_tiers") == ("vip",)


def test_with_overrides_sets_the_canary_and_keeps_by_tier() -> None:
    spec = parsed(FULL).with_overrides(canary=1)

    assert spec.cohorts == CohortSpec(canary=1, by_tier=True)


def test_parse_spec_reads_waves_as_cumulative_percentages_and_growth_as_a_number() -> None:
    waves = parsed('[cohorts]\nwaves = ["0.5%", "10%", "100%"]').cohorts
    growth = parsed("[cohorts]\ncanary = 1\ngrowth = 2.5").cohorts

    assert (waves.sizing, waves.waves) == ("waves", (0.5, 10.0, 100.0))
    assert (growth.sizing, growth.canary, growth.growth) == ("growth", 1, 2.5)


def test_a_sizing_flag_replaces_the_specs_sizing() -> None:
    spec = parsed(FULL).with_overrides(waves=["10%", "100%"])

    assert spec.cohorts == CohortSpec(canary=5, waves=(10.0, 100.0))
    assert spec.to_dict()["cohorts"] == {"canary": 5, "waves": ["10%", "100%"]}


def test_two_sizing_flags_at_once_are_one_error() -> None:
    with pytest.raises(SesmigrateError, match="--wave-size and --growth both size the waves"):
        parsed(FULL).with_overrides(wave_size=5, growth=2)


def test_with_overrides_turns_by_tier_off_when_a_wave_size_is_given() -> None:
    spec = parsed(FULL).with_overrides(wave_size=7)

    assert spec.cohorts == CohortSpec(canary=5, wave_size=7)


def test_with_overrides_merges_adopted_tenants_sorted() -> None:
    spec = parsed(FULL).with_overrides(adopt=["zeta", "legacy-a", "alpha"])

    assert spec.adopt == ("alpha", "legacy-a", "legacy-b", "zeta")


def test_with_overrides_keeps_adopted_tenants_when_the_list_is_empty() -> None:
    spec = parsed(FULL).with_overrides(adopt=[])

    assert spec.adopt == ("legacy-a", "legacy-b")


def test_with_overrides_sets_delete_orphaned_tenants_either_way() -> None:
    spec = parsed(FULL)

    assert spec.with_overrides(delete_orphaned_tenants=False).delete_orphaned_tenants is False
    assert (
        MigrationSpec(name="m").with_overrides(delete_orphaned_tenants=True).delete_orphaned_tenants
        is True
    )


@pytest.mark.parametrize("section", ["", "[monitoring]", "[monitoring]\nenabled = false"])
@pytest.mark.parametrize("flag", [True, False])
def test_with_overrides_turns_monitoring_on_or_off_keeping_its_names(
    section: str, flag: bool
) -> None:
    spec = parsed(f'name = "acme"\n{section}\nlog_group = "/aws/ses/x"' if section else "")

    overridden = spec.with_overrides(monitoring=flag)

    assert overridden.monitoring == MonitoringSpec(
        flag, spec.monitoring.log_group, spec.monitoring.rule_name
    )
    assert spec.with_overrides(monitoring=None) == spec


def test_with_overrides_leaves_every_value_when_flags_are_none() -> None:
    spec = parsed(FULL)

    overridden = spec.with_overrides(
        strategy=None,
        dedicated_tiers=None,
        canary=None,
        wave_size=None,
        adopt=None,
        delete_orphaned_tenants=None,
    )

    assert overridden == spec


def test_to_dict_round_trips_through_spec_from_mapping() -> None:
    spec = parsed(FULL)

    assert spec_from_mapping(spec.to_dict(), "plan") == spec


def test_to_dict_round_trips_through_canonical_json() -> None:
    spec = parsed(FULL)

    recorded = json.loads(json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":")))

    assert spec_from_mapping(recorded, "plan") == spec


@pytest.mark.parametrize(
    "section",
    [
        "[monitoring]",
        "[monitoring]\nenabled = false",
        '[monitoring]\nlog_group = "/acme/ses"\nrule_name = "acme-events"',
    ],
)
def test_to_dict_round_trips_the_monitoring(section: str) -> None:
    spec = parsed(f"{FULL}\n{section}")

    recorded = json.loads(json.dumps(spec.to_dict()))

    assert spec_from_mapping(recorded, "plan") == spec
    assert recorded["monitoring"] == {
        "enabled": spec.monitoring.enabled,
        "log_group": spec.monitoring.log_group,
        "rule_name": spec.monitoring.rule_name,
    }


def test_to_dict_round_trips_a_spec_with_defaults() -> None:
    spec = parsed('strategy = "tiered"')

    assert spec_from_mapping(spec.to_dict(), "plan") == spec


def test_policy_for_uses_the_tier_policy_or_the_default() -> None:
    spec = parsed(FULL)

    assert spec.policy_for("vip") == "none"
    assert spec.policy_for("free") == "keep"
    assert spec.policy_for("enterprise") == "strict"
    assert spec.policy_for(None) == "strict"


def test_suppression_for_uses_the_tier_and_gives_none_for_other_tiers() -> None:
    spec = parsed(FULL)

    assert spec.suppression_for("vip") == Suppression(("BOUNCE", "COMPLAINT"), "TENANT")
    assert spec.suppression_for("free") == Suppression(("BOUNCE",), "ACCOUNT")
    assert spec.suppression_for("pro") is None
    assert spec.suppression_for(None) is None


def test_option_gives_the_default_for_a_missing_option() -> None:
    spec = parsed(FULL)

    assert spec.option("dedicated_tiers") == ("vip", "gold")
    assert spec.option("group_size", 10) == 10


@given(st.text())
def test_parse_spec_raises_only_spec_error_for_any_text(text: str) -> None:
    try:
        spec = parsed(text)
    except SpecError as exc:
        assert str(exc).startswith(f"{SOURCE}: ")
    else:
        assert isinstance(spec, MigrationSpec)


KEYS = {
    "": [
        "name",
        "strategy",
        "tenant_name_template",
        "unowned_templates",
        "tenant_quota",
        "delete_orphaned_tenants",
        "adopt",
        "other",
    ],
    "[strategy_options]": ["dedicated_tiers", "group_size"],
    "[ownership]": ["mapping", "name_patterns", "customer_tag", "tier_tag"],
    "[reputation]": ["default", "tiers"],
    "[suppression.vip]": ["reasons", "scope"],
    "[cohorts]": ["canary", "wave_size", "waves", "growth", "by_tier"],
    "[gates]": ["soak_seconds", "allow_reinstated"],
    "[monitoring]": ["enabled", "log_group", "rule_name"],
}
VALUES = [
    "true",
    "false",
    "0",
    "-1",
    "3",
    "2.5",
    "-0.5",
    "inf",
    "nan",
    '""',
    '"x"',
    '"acme"',
    '"{customer}"',
    '"standard"',
    '"keep"',
    '"BOUNCE"',
    '"TENANT"',
    "[]",
    '["vip"]',
    '["1%", "10%", "100%"]',
    '["50%", "5%"]',
    '["BOUNCE", "COMPLAINT"]',
    '[1, "a"]',
    "{}",
    '{ vip = "strict" }',
    "{ vip = 1 }",
    "1979-05-27",
]


@st.composite
def spec_texts(draw: st.DrawFn) -> str:
    lines = []
    for header, keys in KEYS.items():
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
        if header and (chosen or draw(st.booleans())):
            lines.append(header)
        lines += [f"{key} = {draw(st.sampled_from(VALUES))}" for key in chosen]
    return "\n".join(lines)


@given(spec_texts())
def test_parse_spec_raises_only_spec_error_for_specs_of_known_keys(text: str) -> None:
    try:
        spec = parsed(text)
    except SpecError as exc:
        assert str(exc).startswith(f"{SOURCE}: ")
    else:
        assert isinstance(spec, MigrationSpec)
