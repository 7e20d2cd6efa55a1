"""The inventory's canonical JSON, its fingerprint, and what `read_inventory` refuses."""

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from sesmigrate.planning.snapshot import (
    MANAGED_TAG,
    AccountInfo,
    ConfigurationSet,
    DedicatedIpPool,
    EmailTemplate,
    EventRule,
    ExistingTenant,
    Identity,
    Inventory,
    InventoryError,
    LogGroup,
    LogsPolicy,
    Monitoring,
    RuleTarget,
    ScanRules,
    Tags,
    TenantResource,
    read_inventory,
)

RERUN_HINT = "re-run 'sesmigrate scan' to write a new one"

ACCOUNT = AccountInfo(
    account_id="123456789012",
    region="us-east-1",
    partition="aws",
    max_24_hour_send=50000.0,
    max_send_rate=14.0,
    sending_enabled=True,
    production_access=True,
)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:ses:us-east-1:123456789012:{kind}/{name}"


def identity(name: str, configuration_set: str | None = "cs-acme", tags: Tags = ()) -> Identity:
    return Identity(
        name=name,
        type="DOMAIN" if "@" not in name else "EMAIL_ADDRESS",
        verification_status="SUCCESS",
        verified_for_sending=True,
        sending_enabled=True,
        configuration_set=configuration_set,
        tags=tags,
    )


def configuration_set(name: str, pool: str | None = None, tags: Tags = ()) -> ConfigurationSet:
    return ConfigurationSet(
        name=name,
        sending_pool=pool,
        sending_enabled=True,
        suppression_scope="TENANT",
        suppressed_reasons=("BOUNCE", "COMPLAINT"),
        archive_arn=None,
        reputation_metrics=True,
        tls_policy="REQUIRE",
        tags=tags,
    )


def tenant(name: str, *resources: TenantResource, tags: Tags = ()) -> ExistingTenant:
    return ExistingTenant(
        name=name,
        tenant_id=f"id-{name}",
        arn=arn("tenant", name),
        sending_status="ENABLED",
        tags=tags,
        resources=resources,
    )


def sample(**changes: Any) -> Inventory:
    """A small account in canonical order: two customers, a shared pool, a managed tenant."""
    inventory = Inventory(
        account=ACCOUNT,
        identities=(
            identity("acme.com", "cs-acme", (("customer", "acme"), ("tier", "gold"))),
            identity("beta.io", "cs-beta", (("customer", "beta"),)),
            identity("ops@corp.net", None),
        ),
        configuration_sets=(
            configuration_set("cs-acme", "pool-a", (("customer", "acme"),)),
            configuration_set("cs-beta", "pool-a"),
        ),
        pools=(DedicatedIpPool("pool-a", "MANAGED", (("team", "mail"),)),),
        templates=(EmailTemplate("welcome", (("customer", "acme"),)), EmailTemplate("zz-bare")),
        tenants=(
            tenant(
                "acme",
                TenantResource("CONFIGURATION_SET", arn("configuration-set", "cs-acme")),
                TenantResource("EMAIL_IDENTITY", arn("identity", "acme.com")),
                tags=(("customer", "acme"), (MANAGED_TAG, "m1")),
            ),
        ),
        scanned_at="2025-06-01T12:00:00Z",
        notes=("a note",),
    )
    return dataclasses.replace(inventory, **changes)


def reversed_lists(inventory: Inventory) -> Inventory:
    """The same facts with every list (and every tuple inside an item) in reverse order."""
    return dataclasses.replace(
        inventory,
        identities=inventory.identities[::-1],
        configuration_sets=tuple(
            dataclasses.replace(c, suppressed_reasons=c.suppressed_reasons[::-1])
            for c in inventory.configuration_sets[::-1]
        ),
        pools=inventory.pools[::-1],
        templates=inventory.templates[::-1],
        tenants=tuple(
            dataclasses.replace(t, resources=t.resources[::-1]) for t in inventory.tenants[::-1]
        ),
    )


LOGS = "arn:aws:logs:us-east-1:123456789012:log-group"
MONITORING = Monitoring(
    scanned=True,
    rules=(
        EventRule(
            "ses-events",
            "arn:aws:events:us-east-1:123456789012:rule/ses-events",
            '{"EventPattern":{"source":["aws.ses"]},"State":"ENABLED"}',
            (
                RuleTarget("archive", f"{LOGS}:/app/archive"),
                RuleTarget("logs", f"{LOGS}:/aws/ses/t"),
            ),
        ),
        EventRule(
            "sesmigrate-m1", "arn:aws:events:us-east-1:123456789012:rule/sesmigrate-m1", "{}"
        ),
    ),
    log_groups=(LogGroup("/app/archive", f"{LOGS}:/app/archive"), LogGroup("/aws/ses/t", "")),
    policies=(LogsPolicy("ses-events", '{"Statement":[]}'),),
)


def edited(change: Callable[[dict[str, Any]], Any], **changes: Any) -> str:
    """The sample's JSON with `change` applied to the decoded document (fingerprint untouched)."""
    document = json.loads(sample(**changes).to_json("0.1.0"))
    change(document)
    return json.dumps(document)


def refusal(text: str) -> str:
    with pytest.raises(InventoryError) as caught:
        read_inventory(text, source="inventory.json")
    return str(caught.value)


class TestJsonRoundTrip:
    def test_read_inventory_returns_the_inventory_that_to_json_wrote(self) -> None:
        inventory = sample()

        assert read_inventory(inventory.to_json("x")) == inventory

    def test_read_inventory_returns_the_monitoring_that_to_json_wrote(self) -> None:
        inventory = sample(monitoring=MONITORING)

        read = read_inventory(inventory.to_json("x"))

        assert read == inventory
        assert read.monitoring == MONITORING
        assert read.fingerprint() == inventory.fingerprint()

    def test_fingerprint_covers_the_monitoring_but_not_its_order(self) -> None:
        reordered = dataclasses.replace(
            MONITORING,
            rules=tuple(
                dataclasses.replace(r, targets=r.targets[::-1]) for r in MONITORING.rules[::-1]
            ),
            log_groups=MONITORING.log_groups[::-1],
        )

        assert sample().fingerprint() != sample(monitoring=MONITORING).fingerprint()
        assert sample(monitoring=reordered).fingerprint() == (
            sample(monitoring=MONITORING).fingerprint()
        )
        assert sample(monitoring=reordered).to_json("x") == sample(monitoring=MONITORING).to_json(
            "x"
        )

    def test_read_inventory_keeps_the_ownership_rules_the_scan_was_made_with(self) -> None:
        rules = ScanRules(
            mapping=(("acme.io", "acme", "vip"), ("beta.io", "beta", None)),
            patterns=(r"(?P<customer>[a-z]+)\.mail\.example\.com",),
            customer_tag="owner",
            tier_tag="plan",
        )

        read = read_inventory(sample(rules=rules).to_json("x"))

        assert read.rules == rules
        assert read.fingerprint() == sample().fingerprint()

    def test_the_accounts_recent_volume_is_kept_outside_the_fingerprint(self) -> None:
        busy = sample(sent_last_24_hours=1234.0)

        read = read_inventory(busy.to_json("x"))

        assert read.sent_last_24_hours == 1234.0
        assert read.fingerprint() == sample().fingerprint()
        assert read_inventory(sample().to_json("x")).sent_last_24_hours is None
        bad = edited(lambda d: d.update(sent_last_24_hours="many"))
        assert "'sent_last_24_hours' must be a number of sends >= 0" in refusal(bad)

    def test_an_inventory_without_rules_reads_as_one_with_none(self) -> None:
        assert "ownership_rules" not in sample().to_json("x")
        assert read_inventory(sample().to_json("x")).rules is None

    @pytest.mark.parametrize(
        "rules",
        [
            "tags",
            {"mapping": [], "patterns": []},
            {"mapping": [["x"]], "patterns": [], "customer_tag": "c", "tier_tag": "t"},
            {"mapping": [], "patterns": [1], "customer_tag": "c", "tier_tag": "t"},
            {"mapping": [], "patterns": [], "customer_tag": "", "tier_tag": "t"},
        ],
    )
    def test_malformed_ownership_rules_are_refused_in_one_line(self, rules: Any) -> None:
        text = edited(lambda document: document.update(ownership_rules=rules))

        assert "'ownership_rules' must hold 'mapping'" in refusal(text)

    def test_read_inventory_keeps_scanned_at_and_notes(self) -> None:
        read = read_inventory(sample(notes=("b", "a")).to_json("x"))

        assert read.scanned_at == "2025-06-01T12:00:00Z"
        assert read.notes == ("a", "b")

    def test_read_inventory_keeps_the_fingerprint_when_input_lists_were_unordered(self) -> None:
        inventory = reversed_lists(sample())

        assert read_inventory(inventory.to_json("x")).fingerprint() == inventory.fingerprint()

    def test_read_inventory_reads_back_an_inventory_whose_tags_were_unsorted(self) -> None:
        inventory = sample(
            identities=(identity("acme.com", tags=(("tier", "b"), ("customer", "a"))),)
        )

        assert read_inventory(inventory.to_json("x")).fingerprint() == inventory.fingerprint()

    def test_read_inventory_reads_an_account_with_no_resources(self) -> None:
        empty = Inventory(ACCOUNT, (), (), (), (), ())

        assert read_inventory(empty.to_json("x")) == empty


class TestFingerprint:
    def test_fingerprint_is_a_sha256_digest(self) -> None:
        fingerprint = sample().fingerprint()

        assert fingerprint.startswith("sha256:")
        assert len(fingerprint) == len("sha256:") + 64

    def test_fingerprint_is_stable_when_lists_come_in_another_order(self) -> None:
        assert reversed_lists(sample()).fingerprint() == sample().fingerprint()

    def test_fingerprint_is_stable_when_scanned_at_and_notes_differ(self) -> None:
        later = sample(scanned_at="2025-07-01T00:00:00Z", notes=("skipped x", "skipped y"))

        assert later.fingerprint() == sample().fingerprint()

    def test_fingerprint_is_stable_when_tags_come_in_another_order(self) -> None:
        tags = (("customer", "acme"), ("tier", "gold"))
        one = sample(identities=(identity("acme.com", tags=tags),))
        other = sample(identities=(identity("acme.com", tags=tags[::-1]),))

        assert one.fingerprint() == other.fingerprint()

    def test_fingerprint_changes_when_a_tag_value_changes(self) -> None:
        inventory = sample()
        retagged = identity("acme.com", "cs-acme", (("customer", "acme"), ("tier", "silver")))
        changed = dataclasses.replace(inventory, identities=(retagged, *inventory.identities[1:]))

        assert changed.fingerprint() != inventory.fingerprint()

    def test_fingerprint_changes_when_an_identity_is_added(self) -> None:
        inventory = sample()
        changed = dataclasses.replace(
            inventory, identities=(*inventory.identities, identity("gamma.org"))
        )

        assert changed.fingerprint() != inventory.fingerprint()

    def test_fingerprint_changes_when_a_tenant_association_is_added(self) -> None:
        inventory = sample()
        (acme,) = inventory.tenants
        template = TenantResource("EMAIL_TEMPLATE", arn("template", "welcome"))
        changed = dataclasses.replace(
            inventory,
            tenants=(dataclasses.replace(acme, resources=(*acme.resources, template)),),
        )

        assert changed.fingerprint() != inventory.fingerprint()

    def test_fingerprint_changes_when_a_configuration_set_pool_changes(self) -> None:
        inventory = sample()
        first, *rest = inventory.configuration_sets
        changed = dataclasses.replace(
            inventory,
            configuration_sets=(dataclasses.replace(first, sending_pool="pool-b"), *rest),
        )

        assert changed.fingerprint() != inventory.fingerprint()


class TestCanonicalJson:
    def test_to_json_gives_identical_bytes_for_the_same_inventory(self) -> None:
        assert sample().to_json("0.1.0").encode() == sample().to_json("0.1.0").encode()

    def test_to_json_gives_identical_bytes_when_lists_come_in_another_order(self) -> None:
        assert reversed_lists(sample()).to_json("0.1.0") == sample().to_json("0.1.0")

    def test_to_json_sorts_the_keys_of_every_object(self) -> None:
        unsorted: list[list[str]] = []

        def check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            keys = [key for key, _ in pairs]
            if keys != sorted(keys):
                unsorted.append(keys)
            return dict(pairs)

        json.loads(sample().to_json("0.1.0"), object_pairs_hook=check)

        assert unsorted == []

    def test_to_json_writes_format_version_fingerprint_and_tool_version(self) -> None:
        document = json.loads(sample().to_json("0.1.0"))

        assert document["format"] == "sesmigrate-inventory"
        assert document["format_version"] == 2
        assert document["tool_version"] == "0.1.0"
        assert document["fingerprint"] == sample().fingerprint()

    def test_to_json_ends_with_a_newline(self) -> None:
        assert sample().to_json("0.1.0").endswith("}\n")


def _set_identity_field(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["identities"][0][key] = value

    return change


REFUSALS = [
    pytest.param("{not json", "not valid JSON", id="invalid-json"),
    pytest.param("[]", "not a sesmigrate inventory", id="json-list"),
    pytest.param(
        edited(lambda d: d.update(format="terraform-state")),
        "not a sesmigrate inventory",
        id="wrong-format",
    ),
    pytest.param(
        edited(lambda d: d.update(format_version=1)),
        "inventory format version 1 is not 2",
        id="wrong-format-version",
    ),
    pytest.param(
        edited(lambda d: d.pop("identities")), "'identities' must be a list", id="no-identities"
    ),
    pytest.param(
        edited(lambda d: d["identities"][0].pop("name")),
        "'identities[0]' has no 'name'",
        id="identity-without-name",
    ),
    pytest.param(
        edited(_set_identity_field("verified_for_sending", "yes")),
        "'identities[0].verified_for_sending' must be bool",
        id="wrong-type",
    ),
    pytest.param(
        edited(_set_identity_field("tags", [{"customer": "acme"}])),
        "'identities[0].tags' must be a list of {Key, Value} strings",
        id="tags-not-key-value",
    ),
    pytest.param(
        edited(_set_identity_field("tags", [{"Key": "customer", "Value": "evil"}])),
        "fingerprint does not match its content",
        id="edited-fact",
    ),
    pytest.param(
        edited(lambda d: d.pop("monitoring")),
        "'monitoring' must be an object with 'scanned' true or false",
        id="no-monitoring",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"].update(scanned="yes")),
        "'monitoring' must be an object with 'scanned' true or false",
        id="monitoring-scanned-not-bool",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"].update(rules={}), monitoring=MONITORING),
        "'rules' must be a list",
        id="monitoring-rules-not-a-list",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"]["rules"][0].pop("arn"), monitoring=MONITORING),
        "'rules[0]' has no 'arn'",
        id="monitoring-rule-without-arn",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"]["rules"][0].update(targets="logs"), monitoring=MONITORING),
        "'monitoring.rules[0].targets' must be a list",
        id="monitoring-targets-not-a-list",
    ),
    pytest.param(
        edited(
            lambda d: d["monitoring"]["rules"][0]["targets"][1].update(arn=7),
            monitoring=MONITORING,
        ),
        "'monitoring.rules[0].targets[1].arn' must be str",
        id="monitoring-target-arn-not-a-string",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"]["log_groups"][0].pop("name"), monitoring=MONITORING),
        "'log_groups[0]' has no 'name'",
        id="monitoring-log-group-without-name",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"]["policies"][0].update(document={}), monitoring=MONITORING),
        "'policies[0].document' must be str",
        id="monitoring-policy-document-not-a-string",
    ),
    pytest.param(
        edited(lambda d: d["monitoring"]["rules"][0]["targets"].pop(), monitoring=MONITORING),
        "fingerprint does not match its content",
        id="edited-monitoring",
    ),
]


class TestReadInventoryRefuses:
    @pytest.mark.parametrize(("text", "words"), REFUSALS)
    def test_read_inventory_refuses_a_malformed_file_naming_the_problem(
        self, text: str, words: str
    ) -> None:
        message = refusal(text)

        assert message.startswith("inventory.json: ")
        assert words in message

    @pytest.mark.parametrize(("text", "words"), REFUSALS)
    def test_read_inventory_refusal_is_one_line_ending_with_the_rerun_hint(
        self, text: str, words: str
    ) -> None:
        message = refusal(text)

        assert "\n" not in message
        assert message.endswith(RERUN_HINT)

    def test_read_inventory_refusal_keeps_source_and_problem_as_attributes(self) -> None:
        with pytest.raises(InventoryError) as caught:
            read_inventory("[]", source="old.json")

        assert caught.value.source == "old.json"
        assert caught.value.problem == "not a sesmigrate inventory"

    def test_read_inventory_refuses_a_number_where_a_bool_is_expected(self) -> None:
        message = refusal(edited(_set_identity_field("sending_enabled", 1)))

        assert "'identities[0].sending_enabled' must be bool" in message


class TestInventoryHelpers:
    def test_inventory_arn_builds_an_identity_arn(self) -> None:
        assert sample().arn("identity", "acme.com") == (
            "arn:aws:ses:us-east-1:123456789012:identity/acme.com"
        )

    def test_inventory_arn_uses_the_account_partition(self) -> None:
        china = dataclasses.replace(ACCOUNT, partition="aws-cn", region="cn-north-1")

        assert sample(account=china).arn("configuration-set", "cs-acme") == (
            "arn:aws-cn:ses:cn-north-1:123456789012:configuration-set/cs-acme"
        )

    def test_existing_tenant_migration_reads_the_managed_tag(self) -> None:
        (managed,) = sample().tenants

        assert managed.migration == "m1"

    def test_existing_tenant_migration_is_none_when_untagged(self) -> None:
        assert tenant("legacy", tags=(("customer", "acme"),)).migration is None
