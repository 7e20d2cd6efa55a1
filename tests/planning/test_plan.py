"""The plan file: build, round trip, sealing, refusals and the call estimate (no AWS)."""

import dataclasses
import json
import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from sesmigrate.actions.tenant import (
    AttachResource,
    CreateTenant,
    DeleteTenant,
    DetachResource,
    SetCustomerManagedStatus,
    SetReputationPolicy,
    SetSuppressionAttributes,
)
from sesmigrate.planning.diff import Expectation, diff
from sesmigrate.planning.durations import Rates
from sesmigrate.planning.graph import cohorts
from sesmigrate.planning.ownership import (
    Customer,
    MappingRow,
    Ownership,
    OwnershipRules,
    parse_pattern,
)
from sesmigrate.planning.plan import (
    FORMAT_VERSION,
    Plan,
    PlanFileError,
    Seen,
    Step,
    build_plan,
    checksum_of,
    plan_to_json,
    read_plan,
)
from sesmigrate.planning.snapshot import (
    CUSTOMER_TAG,
    GROUP_TAG,
    MANAGED_TAG,
    AccountInfo,
    ExistingTenant,
    Inventory,
    TenantResource,
    canonical_json,
)
from sesmigrate.planning.spec import CohortSpec, MigrationSpec, Suppression, spec_from_mapping
from sesmigrate.strategies import DesiredState, DesiredTenant

MIGRATION = "acme-move"
ACCOUNT = AccountInfo("123456789012", "us-east-1", "aws", 50000.0, 14.0, True, True)
STANDARD = "arn:aws:ses:us-east-1:aws:reputation-policy/standard"
SPEC = MigrationSpec(
    name=MIGRATION,
    strategy="tiered",
    strategy_options=(("dedicated_tiers", ("pro",)),),
    delete_orphaned_tenants=True,
    suppression=(("free", Suppression(("BOUNCE",), "TENANT")),),
    cohorts=CohortSpec(canary=1, wave_size=1),
)
MULLER = "müller-söhne"
"""A customer id that is not ASCII: the plan file keeps it as UTF-8."""


def arn(name: str) -> str:
    return f"arn:aws:ses:us-east-1:123456789012:identity/{name}"


def managed(name: str, key: tuple[str, str], *resources: str) -> ExistingTenant:
    return ExistingTenant(
        name=name,
        tenant_id=f"tn-{name}",
        arn=f"arn:aws:ses:us-east-1:123456789012:tenant/{name}/tn-{name}",
        sending_status="ENABLED",
        tags=tuple(sorted(((MANAGED_TAG, MIGRATION), key))),
        resources=tuple(TenantResource("EMAIL_IDENTITY", arn(r)) for r in sorted(resources)),
        reputation_policy=STANDARD,
    )


def pipeline_plan() -> Plan:
    """`müller` leaves the free tier for a tenant of its own; `old` is no longer wanted.

    Gives every action kind the diff makes: create, attach, policy, suppression, detach
    and delete, in a canary, a wave and the cleanup cohort.
    """
    inventory = Inventory(
        ACCOUNT,
        (),
        (),
        (),
        (),
        (
            managed("old", (CUSTOMER_TAG, "gone"), "gone.io"),
            managed("tier-free", (GROUP_TAG, "tier:free"), "a.io", "muller.io"),
        ),
    )
    customers = (
        Customer("a", "free", ("a.io",), (), (), ()),
        Customer(MULLER, "pro", ("muller.io",), (), (), ()),
    )
    desired = DesiredState(
        (
            DesiredTenant(
                name="muller-sohne-1a2b3c",
                kind="customer",
                key=MULLER,
                customers=(MULLER,),
                tier="pro",
                resources=(("EMAIL_IDENTITY", arn("muller.io")),),
                policy="strict",
                suppression=None,
                tags=tuple(sorted(((MANAGED_TAG, MIGRATION), (CUSTOMER_TAG, MULLER)))),
            ),
            DesiredTenant(
                name="tier-free",
                kind="tier",
                key="tier:free",
                customers=("a",),
                tier="free",
                resources=(("EMAIL_IDENTITY", arn("a.io")),),
                policy="standard",
                suppression=Suppression(("BOUNCE",), "TENANT"),
                tags=tuple(sorted(((MANAGED_TAG, MIGRATION), (GROUP_TAG, "tier:free")))),
            ),
        ),
        ("tenant tier-free has no configuration set: it cannot send until one is added",),
    )
    owners = Ownership(customers, (), (), (), (), ())
    changes = diff(inventory, desired, owners, SPEC)
    return build_plan(
        inventory,
        SPEC,
        changes,
        cohorts(changes.actions, customers, SPEC.cohorts),
        tool_version="0.1.0",
        created_at="2026-11-02T10:00:00+00:00",
        rates=Rates.given(None, {"CreateTenantResourceAssociation": 2.0}),
    )


PLAN = pipeline_plan()
TEXT = plan_to_json(PLAN)
DOCUMENT = json.loads(TEXT)


def resealed(document: dict) -> str:
    """`document` with a checksum recomputed over its (edited) body: tampering made valid."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    return json.dumps({**body, "checksum": checksum_of(body)})


def edited(**changes: object) -> dict:
    return {**json.loads(TEXT), **changes}


class TestBuildPlan:
    def test_build_plan_binds_account_region_and_fingerprint(self) -> None:
        assert (PLAN.account, PLAN.region) == ("123456789012", "us-east-1")
        assert PLAN.fingerprint.startswith("sha256:")
        assert PLAN.migration == MIGRATION
        assert PLAN.spec == SPEC.to_dict()

    def test_build_plan_puts_each_step_in_its_cohort(self) -> None:
        cohort_of = {type(s.action): s.cohort for s in PLAN.steps}

        assert [c.name for c in PLAN.cohorts] == ["canary", "wave-1", "cleanup"]
        assert cohort_of == {
            SetSuppressionAttributes: "canary",
            CreateTenant: "wave-1",
            AttachResource: "wave-1",
            SetReputationPolicy: "wave-1",
            DetachResource: "cleanup",
            DeleteTenant: "cleanup",
        }

    def test_build_plan_gives_each_tenant_its_earliest_cohort(self) -> None:
        assert {t.name: t.cohort for t in PLAN.tenants} == {
            "muller-sohne-1a2b3c": "wave-1",
            "tier-free": "canary",
        }

    def test_plan_has_changes_when_it_has_steps(self) -> None:
        empty = dataclasses.replace(PLAN, steps=())

        assert PLAN.has_changes
        assert not empty.has_changes

    def test_plan_steps_of_gives_one_cohorts_steps_in_plan_order(self) -> None:
        cleanup = PLAN.steps_of("cleanup")

        assert [s.action for s in cleanup] == [
            DeleteTenant("old"),
            DetachResource("tier-free", arn("muller.io"), "EMAIL_IDENTITY"),
        ]
        assert PLAN.steps_of("wave-9") == ()
        assert sum(len(PLAN.steps_of(c.name)) for c in PLAN.cohorts) == len(PLAN.steps)

    def test_plan_step_finds_a_step_by_action_key(self) -> None:
        assert PLAN.step(DeleteTenant("old").key).cohort == "cleanup"


class TestRoundTrip:
    def test_read_plan_gives_back_the_plan_that_was_written(self) -> None:
        read = read_plan(TEXT)

        assert read == dataclasses.replace(PLAN, checksum=DOCUMENT["checksum"])
        assert read.checksum == checksum_of({k: v for k, v in DOCUMENT.items() if k != "checksum"})

    def test_plan_to_json_of_a_read_plan_is_the_same_text(self) -> None:
        assert plan_to_json(read_plan(TEXT)) == TEXT
        assert plan_to_json(pipeline_plan()) == TEXT

    def test_plan_round_trip_keeps_every_action_kind(self) -> None:
        extra = Step(SetCustomerManagedStatus("tier-free", "REINSTATED"), "canary", ("a",), "", ())
        canary, *rest = PLAN.cohorts
        assert canary.name == "canary"
        placed = dataclasses.replace(canary, batches=(*canary.batches, (extra.action.key,)))
        plan = dataclasses.replace(PLAN, steps=(*PLAN.steps, extra), cohorts=(placed, *rest))

        read = read_plan(plan_to_json(plan))

        assert read.steps == plan.steps
        assert {s.action.kind for s in read.steps} == {
            "create_tenant",
            "delete_tenant",
            "attach",
            "detach",
            "set_policy",
            "set_status",
            "set_suppression",
        }

    def test_plan_to_json_keeps_text_that_is_not_ascii(self) -> None:
        assert MULLER in TEXT
        assert read_plan(TEXT).step(CreateTenant("muller-sohne-1a2b3c").key).customers == (MULLER,)

    def test_read_plan_keeps_irreversible_kind_and_expectations(self) -> None:
        read = read_plan(TEXT)

        delete = read.step(DeleteTenant("old").key)
        create = read.step(CreateTenant("muller-sohne-1a2b3c").key)
        assert delete.action.irreversible
        assert not create.action.irreversible
        assert delete.expectations == (Expectation("tenant_present", "old", "tn-old"),)
        assert create.expectations == (Expectation("tenant_absent", "muller-sohne-1a2b3c"),)

    def test_plan_to_json_writes_a_sha256_checksum(self) -> None:
        assert DOCUMENT["checksum"].startswith("sha256:")
        assert len(DOCUMENT["checksum"]) == len("sha256:") + 64
        assert DOCUMENT["format_version"] == FORMAT_VERSION
        assert TEXT.endswith("}\n")


def after(pattern: str) -> int:
    """The index just after the first match of `pattern` in the plan text."""
    found = re.search(pattern, TEXT)
    assert found is not None, pattern
    return found.end()


def flip(text: str, index: int, replacement: str) -> str:
    return text[:index] + replacement + text[index + 1 :]


def changes_document(mutated: str) -> bool:
    """False when the edit leaves the parsed plan the same (e.g. one blank for another)."""
    try:
        document = json.loads(mutated)
    except json.JSONDecodeError:
        return True
    return canonical_json(document) != canonical_json(DOCUMENT)


class TestSealing:
    def test_read_plan_refuses_every_one_bit_flip_of_the_text(self) -> None:
        accepted = []
        for index, char in enumerate(TEXT):
            mutated = flip(TEXT, index, chr(ord(char) ^ 1))
            if not changes_document(mutated):
                continue
            try:
                read_plan(mutated)
            except PlanFileError:
                continue
            accepted.append(index)

        assert accepted == []

    @settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
    @given(
        index=st.integers(min_value=0, max_value=len(TEXT) - 1),
        replacement=st.characters(exclude_categories=("Cs",)),
    )
    @example(index=after(r'"format_version":\s*'), replacement="2")
    @example(index=after(r'"checksum":\s*"sha256:'), replacement="z")
    @example(index=after(r'"account":\s*"'), replacement="9")
    @example(index=after(r'"batches":\s*\[\['), replacement="7")
    def test_read_plan_refuses_any_changed_character(self, index: int, replacement: str) -> None:
        mutated = flip(TEXT, index, replacement)
        assume(mutated != TEXT and changes_document(mutated))

        with pytest.raises(PlanFileError) as exc:
            read_plan(mutated, "plans/acme.plan.json")

        assert str(exc.value).startswith("plans/acme.plan.json: ")
        assert "\n" not in str(exc.value)

    def test_read_plan_refuses_changed_body_with_checksum_words(self) -> None:
        tampered = json.dumps(edited(account="999999999999"))

        with pytest.raises(PlanFileError) as exc:
            read_plan(tampered, "p.json")

        assert str(exc.value) == (
            "p.json: checksum does not match: the plan was changed after it was written; "
            "re-run sesmigrate plan"
        )

    def test_read_plan_accepts_reformatted_json_of_the_same_plan(self) -> None:
        assert read_plan(json.dumps(DOCUMENT)) == read_plan(TEXT)

    def test_read_plan_refuses_a_missing_checksum(self) -> None:
        document = {k: v for k, v in DOCUMENT.items() if k != "checksum"}

        with pytest.raises(PlanFileError, match="checksum does not match"):
            read_plan(json.dumps(document))


def format_2(document: dict) -> dict:
    """The plan as format 2 wrote it: warnings as lines instead of notices, tenants without
    their suppression."""
    old = {k: v for k, v in document.items() if k != "notices"}
    old["warnings"] = [
        f"{n['subject']}: {n['message']}" if n["subject"] else n["message"]
        for n in document["notices"]
    ]
    old["tenants"] = [
        {k: v for k, v in t.items() if k != "suppression"} for t in document["tenants"]
    ]
    return {**old, "format_version": 2}


def format_1(document: dict) -> dict:
    """The plan as format 1 wrote it: no sealed names, no sealed rules, the rates given
    inside a call estimate."""
    document = format_2(document)
    old = {k: v for k, v in document.items() if k not in ("seen", "ownership_rules", "rates")}
    rates = document["rates"]
    estimate = {"calls": 0, "by_operation": {}, "seconds": 0.0}
    estimate |= {"rates": rates["by_operation"], "default_rate": rates["default"]}
    return {**old, "format_version": 1, "estimate": estimate}


class TestFormats:
    def test_plan_seals_every_name_the_scan_saw_and_the_ownership_rules(self) -> None:
        rules = OwnershipRules(
            mapping=(MappingRow("a.io", "a", "free"), MappingRow("x.io", "x", None)),
            patterns=(parse_pattern(r"(?P<customer>[a-z]+)\.mail\.example\.com"),),
            customer_tag="owner",
            tier_tag="plan",
        )
        plan = dataclasses.replace(
            PLAN, seen=Seen(frozenset({"a.io", "new.io"}), frozenset({"cs"}), frozenset())
        )
        plan = dataclasses.replace(plan, rules=rules)

        read = read_plan(plan_to_json(plan))

        assert read.seen == plan.seen
        assert read.rules is not None
        assert read.rules.mapping == rules.mapping
        assert [p.pattern for p in read.rules.patterns] == [p.pattern for p in rules.patterns]
        assert (read.rules.customer_tag, read.rules.tier_tag) == ("owner", "plan")

    def test_plan_seals_its_notices_and_each_tenants_suppression(self) -> None:
        read = read_plan(TEXT)

        assert read.notices == PLAN.notices
        assert [n.text for n in read.notices] == [
            "tenant tier-free has no configuration set: it cannot send until one is added",
            "tenant old is managed by this migration but no longer wanted; it is deleted in "
            "cleanup",
        ]
        assert {t.name: t.suppression for t in read.tenants} == {
            "muller-sohne-1a2b3c": None,
            "tier-free": Suppression(("BOUNCE",), "TENANT"),
        }

    def test_read_plan_reads_a_format_2_plans_warnings_as_notices_and_suppression_from_spec(
        self,
    ) -> None:
        read = read_plan(resealed(format_2(DOCUMENT)))

        assert [(n.severity, n.kind, n.text) for n in read.notices] == [
            ("warning", "plan", n.text) for n in PLAN.notices
        ]
        spec = spec_from_mapping(read.spec, "spec")
        assert [t.suppression for t in read.tenants] == [
            spec.suppression_for(t.tier) for t in read.tenants
        ]

    def test_read_plan_reads_a_format_1_plan_without_names_or_rules(self) -> None:
        read = read_plan(resealed(format_1(DOCUMENT)))

        assert (read.seen, read.rules) == (None, None)
        assert [s.action.key for s in read.steps] == [s.action.key for s in PLAN.steps]
        assert read.rates == PLAN.rates

    def test_read_plan_reads_a_format_1_plan_without_rates_as_assumed(self) -> None:
        old = format_1(DOCUMENT)
        old["estimate"] |= {"rates": {}, "default_rate": 1.0}

        assert read_plan(resealed(old)).rates.source == "assumed"

    def test_read_plan_refuses_a_sealed_pattern_that_is_not_a_regex(self) -> None:
        document = edited()
        document["ownership_rules"] = {**document["ownership_rules"], "patterns": ["(?P<x"]}

        with pytest.raises(PlanFileError, match="malformed plan: name pattern"):
            read_plan(resealed(document))


class TestRefusals:
    @pytest.mark.parametrize("version", [4, 0, "1", None])
    def test_read_plan_refuses_another_format_version_naming_it(self, version: object) -> None:
        with pytest.raises(PlanFileError) as exc:
            read_plan(resealed(edited(format_version=version)), "old.plan.json")

        assert FORMAT_VERSION == 3
        assert str(exc.value) == (
            f"old.plan.json: plan format version {version!r} is not one of 1, 2, 3; "
            "re-run sesmigrate plan with this version"
        )

    def test_read_plan_refuses_a_boolean_format_version(self) -> None:
        with pytest.raises(PlanFileError, match="plan format version True is not one of"):
            read_plan(resealed(edited(format_version=True)))

    def test_read_plan_names_the_version_before_checking_the_checksum(self) -> None:
        with pytest.raises(PlanFileError, match="plan format version 4 is not one of"):
            read_plan(json.dumps(edited(format_version=4)))

    @pytest.mark.parametrize("text", ["", "{", "plan: yes", TEXT[:-10]])
    def test_read_plan_refuses_text_that_is_not_json(self, text: str) -> None:
        with pytest.raises(PlanFileError) as exc:
            read_plan(text, "x.json")

        assert str(exc.value).startswith("x.json: not valid JSON (")
        assert "\n" not in str(exc.value)

    @pytest.mark.parametrize(
        "document",
        [[], "plan", 1, {}, {"format": "sesmigrate-inventory", "format_version": 1}],
    )
    def test_read_plan_refuses_json_that_is_not_a_plan(self, document: object) -> None:
        with pytest.raises(PlanFileError) as exc:
            read_plan(json.dumps(document), "x.json")

        assert str(exc.value) == "x.json: not a sesmigrate plan"

    def test_read_plan_refuses_resealed_plan_with_unknown_action_kind(self) -> None:
        document = edited()
        document["steps"][0]["action"]["kind"] = "frobnicate"

        with pytest.raises(PlanFileError) as exc:
            read_plan(resealed(document), "x.json")

        assert str(exc.value) == ("x.json: malformed plan: unknown action kind 'frobnicate'")

    @pytest.mark.parametrize("missing", ["rates", "steps", "cohorts", "tenants"])
    def test_read_plan_refuses_resealed_plan_missing_a_section(self, missing: str) -> None:
        document = {k: v for k, v in edited().items() if k != missing}

        with pytest.raises(PlanFileError) as exc:
            read_plan(resealed(document), "x.json")

        assert str(exc.value) == f"x.json: malformed plan: plan has no '{missing}'"

    def test_read_plan_refuses_resealed_action_missing_a_field(self) -> None:
        document = edited()
        detach = next(s for s in document["steps"] if s["action"]["kind"] == "detach")
        del detach["action"]["resource_arn"]

        with pytest.raises(PlanFileError) as exc:
            read_plan(resealed(document), "x.json")

        assert str(exc.value).startswith("x.json: malformed plan: action detach needs")
        assert "\n" not in str(exc.value)


class TestRates:
    def test_plan_keeps_the_rates_it_was_made_with(self) -> None:
        assert read_plan(TEXT).rates == Rates(
            (("CreateTenantResourceAssociation", 2.0),), 1.0, None, "given"
        )
        assert DOCUMENT["rates"] == {
            "by_operation": {"CreateTenantResourceAssociation": 2.0},
            "default": 1.0,
            "account": None,
            "source": "given",
        }

    def test_plan_keeps_the_tenant_count_its_scan_saw(self) -> None:
        assert read_plan(TEXT).seen == PLAN.seen
        assert DOCUMENT["seen"]["tenants"] == PLAN.seen.tenants

    @pytest.mark.parametrize(
        ("field", "value", "problem"),
        [
            ("source", "guessed", "plan.rates.source 'guessed' is not one of"),
            ("default", 0, "plan.rates must be positive"),
            ("default", -1, "plan.rates.default must be a finite number >= 0"),
        ],
    )
    def test_read_plan_refuses_resealed_plan_with_bad_rates(
        self, field: str, value: object, problem: str
    ) -> None:
        document = edited()
        document["rates"][field] = value

        with pytest.raises(PlanFileError) as exc:
            read_plan(resealed(document), "x.json")

        assert str(exc.value).startswith(f"x.json: malformed plan: {problem}")
