"""The report model and its JSON form: apply order, counts, and the shipped JSON Schema."""

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from sesmigrate.planning.plan import Plan
from sesmigrate.report import REPORT_FORMAT_VERSION, render, report_data
from sesmigrate.resources import template_text

from .conftest import (
    ACCOUNT,
    MARKDOWN,
    MULLER,
    REGION,
    SCRIPT,
    SCRIPT_TENANT,
    SHARED_TENANT,
    check_golden,
    sealed,
    with_steps,
)

SCHEMA = json.loads(template_text("report/plan-report.schema.json"))
VALIDATOR = Draft202012Validator(SCHEMA)


def report_json(plan: Plan) -> dict[str, Any]:
    return json.loads(render(plan, "json"))


def errors(document: dict[str, Any]) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(document)]


class TestReportData:
    def test_report_data_format_version_is_6(self, plan: Plan) -> None:
        assert REPORT_FORMAT_VERSION == 6
        assert report_data(plan)["format_version"] == 6

    def test_report_data_lists_cohorts_in_apply_order(self, plan: Plan) -> None:
        names = [c["name"] for c in report_data(plan)["cohorts"]]

        assert names == ["canary", "wave-1", "cleanup"]
        assert names == [c.name for c in plan.cohorts]

    def test_report_data_gives_each_cohort_its_customers_tenants_and_actions(
        self, plan: Plan
    ) -> None:
        cohorts = {c["name"]: c for c in report_data(plan)["cohorts"]}

        assert cohorts["canary"]["customers"] == [MULLER]
        assert cohorts["wave-1"]["customers"] == [MARKDOWN, SCRIPT]
        assert cohorts["cleanup"]["customers"] == []
        assert cohorts["canary"]["tenants"] == [SHARED_TENANT]
        assert cohorts["wave-1"]["tenants"] == [SCRIPT_TENANT, SHARED_TENANT]
        assert cohorts["cleanup"]["tenants"] == ["old-promo", SHARED_TENANT]
        assert [len(c["actions"]) for c in cohorts.values()] == [4, 7, 2]
        assert [c["batches"] for c in cohorts.values()] == [2, 2, 1]

    def test_report_data_orders_actions_by_batch_then_key(self, plan: Plan) -> None:
        wave = report_data(plan)["cohorts"][1]["actions"]

        assert [(a["batch"], a["kind"]) for a in wave] == [
            (1, "create_tenant"),
            (2, "attach"),
            (2, "attach"),
            (2, "attach"),
            (2, "attach"),
            (2, "attach"),
            (2, "set_policy"),
        ]
        assert wave[0]["description"] == (
            f"create tenant {SCRIPT_TENANT}, suppressing BOUNCE, COMPLAINT at TENANT scope"
        )

    def test_report_data_flags_only_the_delete_as_irreversible(self, plan: Plan) -> None:
        actions = [a for c in report_data(plan)["cohorts"] for a in c["actions"]]
        irreversible = [a for a in actions if a["irreversible"]]

        assert [(a["kind"], a["glyph"], a["tenant"]) for a in irreversible] == [
            ("delete_tenant", "-", "old-promo")
        ]

    def test_report_data_summary_counts_the_whole_plan(self, plan: Plan) -> None:
        data = report_data(plan)
        summary = data["summary"]
        cohort_calls = [n for c in data["cohorts"] for n in c["estimate"]["calls"].values()]

        assert summary == {
            "customers": 3,
            "tenants": 2,
            "tenants_to_create": 2,
            "actions": 13,
            "irreversible_actions": 1,
            "actions_by_kind": {
                "attach": 7,
                "create_tenant": 2,
                "delete_tenant": 1,
                "detach": 1,
                "set_policy": 2,
            },
            "api_calls": sum(cohort_calls),
            "estimated_seconds": sum(c["estimate"]["seconds"] for c in data["cohorts"]),
            "rates": {
                "source": "assumed",
                "description": "at an assumed 1 call/s per operation",
                "default": 1.0,
                "account": None,
                "by_operation": {},
            },
            "has_changes": True,
            "notices": {"blocker": 1, "warning": 3, "note": 1},
        }

    def test_report_data_keeps_customer_ids_as_owned_in_the_account(self, plan: Plan) -> None:
        data = report_data(plan)
        tenants = {t["name"]: t for t in data["tenants"]}

        assert tenants[SCRIPT_TENANT]["customers"] == [SCRIPT]
        assert tenants[SCRIPT_TENANT]["key"] == SCRIPT
        assert tenants[SHARED_TENANT]["customers"] == [MARKDOWN, MULLER]
        assert any(SCRIPT in warning for warning in data["warnings"])

    def test_report_data_binds_the_plan(self, plan: Plan) -> None:
        data = report_data(plan)

        assert (data["account"], data["region"], data["migration"]) == (ACCOUNT, REGION, "golden")
        assert data["strategy"] == "tiered"
        assert data["plan_checksum"] == plan.checksum != ""
        assert data["unmanaged_tenants"] == ["hand-made"]
        assert data["adopted_tenants"] == []

    def test_report_data_has_no_changes_when_the_plan_has_no_steps(self, plan: Plan) -> None:
        data = report_data(with_steps(plan, []))

        assert data["summary"]["has_changes"] is False
        assert data["summary"]["actions"] == 0
        assert all(c["actions"] == [] for c in data["cohorts"])


class TestJsonReport:
    def test_json_report_matches_golden_file(self, plan: Plan) -> None:
        text = render(plan, "json")
        assert text == check_golden("plan.json", text), "SESMIGRATE_UPDATE_GOLDEN=1 rewrites it"

    def test_json_report_is_the_report_data(self, plan: Plan) -> None:
        text = render(plan, "json")

        assert json.loads(text) == report_data(plan)
        assert text.endswith("}\n")
        assert SCRIPT in text
        assert MULLER in text

    def test_json_report_schema_is_a_valid_draft_2020_12_schema(self) -> None:
        Draft202012Validator.check_schema(SCHEMA)

        assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert SCHEMA["properties"]["format_version"] == {"const": REPORT_FORMAT_VERSION}

    def test_json_report_validates_against_the_shipped_schema(self, plan: Plan) -> None:
        assert errors(report_json(plan)) == []

    def test_json_report_validates_when_the_plan_has_no_changes(self, plan: Plan) -> None:
        document = report_json(sealed(with_steps(plan, [])))

        assert document["summary"]["has_changes"] is False
        assert errors(document) == []

    @pytest.mark.parametrize(
        ("tamper", "words"),
        [
            (lambda d: d["cohorts"][0].pop("actions"), "'actions' is a required property"),
            (lambda d: d.update(extra=1), "Additional properties are not allowed"),
            (lambda d: d["cohorts"][1]["actions"][0].update(glyph="*"), "is not one of"),
            (lambda d: d.update(format_version=5), "6 was expected"),
            (lambda d: d["cohorts"][0].pop("estimate"), "'estimate' is a required property"),
            (lambda d: d["summary"]["rates"].update(source="guessed"), "is not one of"),
            (lambda d: d["cohorts"][0].update(name="wave one"), "does not match"),
            (lambda d: d.update(account="12345"), "does not match"),
            (lambda d: d["summary"].pop("has_changes"), "'has_changes' is a required property"),
            (lambda d: d["tenants"][0].update(name="<b>"), "does not match"),
            (lambda d: d["cohorts"][2]["actions"][0].update(irreversible="yes"), "not of type"),
        ],
        ids=[
            "cohort-without-actions",
            "unknown-top-level-key",
            "bad-glyph",
            "other-format-version",
            "cohort-without-estimate",
            "rates-of-unknown-source",
            "bad-cohort-name",
            "short-account",
            "summary-without-has-changes",
            "bad-tenant-name",
            "irreversible-not-boolean",
        ],
    )
    def test_json_report_schema_rejects_a_tampered_document(
        self, plan: Plan, tamper: Any, words: str
    ) -> None:
        document = copy.deepcopy(report_json(plan))
        tamper(document)

        found = errors(document)

        assert found, "the tampered document validated"
        assert any(words in message for message in found), found
