"""Views of one cohort or one customer of the small plan: what each keeps, and the one-line
refusal of a name the plan does not have."""

import json

import pytest
from jsonschema import Draft202012Validator

from sesmigrate.planning.plan import Plan
from sesmigrate.report import render
from sesmigrate.report.views import Part, UnknownPartError, cohort_notices, plan_part
from sesmigrate.resources import template_text

from .conftest import MARKDOWN, MULLER, SCRIPT, SCRIPT_TENANT, SHARED_TENANT

SCHEMA = json.loads(template_text("report/plan-report.schema.json"))


class TestPlanPart:
    def test_whole_part_is_the_plan(self, plan: Plan) -> None:
        assert plan_part(plan, Part()) == plan

    def test_cohort_part_keeps_its_steps_tenants_customers_and_their_notices(
        self, plan: Plan
    ) -> None:
        view = plan_part(plan, Part(cohort="wave-1"))

        assert [c.name for c in view.cohorts] == ["wave-1"]
        assert view.steps == plan.steps_of("wave-1")
        assert {t.name for t in view.tenants} == {SCRIPT_TENANT, SHARED_TENANT}
        assert {c.id for c in view.customers} == {MARKDOWN, SCRIPT}
        assert view.checksum == plan.checksum
        assert all(not n.customers or {MARKDOWN, SCRIPT} & set(n.customers) for n in view.notices)
        assert any(n.severity == "blocker" for n in view.notices)  # MARKDOWN's

    def test_customer_part_keeps_its_tenant_but_not_another_customers_resources(
        self, plan: Plan
    ) -> None:
        view = plan_part(plan, Part(customer=MULLER))
        shared_steps = {s.action.describe() for s in view.steps}

        assert [t.name for t in view.tenants] == [SHARED_TENANT]
        assert "create tenant tier-free" in shared_steps
        assert "associate identity/ops@bold.example with tier-free" not in shared_steps
        assert "remove identity/script.example from tier-free" in shared_steps  # its tenant's
        assert not any(n.severity == "blocker" for n in view.notices)  # MARKDOWN's only

    def test_cohort_and_customer_parts_combine(self, plan: Plan) -> None:
        view = plan_part(plan, Part(cohort="wave-1", customer=SCRIPT))

        assert [c.name for c in view.cohorts] == ["wave-1"]
        assert {s.action.tenant_name for s in view.steps} == {SCRIPT_TENANT}

    @pytest.mark.parametrize(
        ("part", "message"),
        [
            (
                Part(cohort="wave1"),
                "the plan has no cohort 'wave1'; did you mean 'wave-1'? "
                "(its cohorts: canary, wave-1, cleanup)",
            ),
            (Part(cohort="nothing-like-it"), "the plan has no cohort 'nothing-like-it' (its"),
            (Part(customer="Muller & Sohne"), f"did you mean {MULLER!r}?"),
        ],
    )
    def test_unknown_part_is_one_line_with_the_closest_name(
        self, plan: Plan, part: Part, message: str
    ) -> None:
        with pytest.raises(UnknownPartError) as exc:
            plan_part(plan, part)

        assert message in str(exc.value)
        assert "\n" not in str(exc.value)

    @pytest.mark.parametrize("part", [Part(cohort="canary"), Part(customer=SCRIPT)])
    def test_json_report_of_a_part_meets_the_schema_and_names_the_part(
        self, plan: Plan, part: Part
    ) -> None:
        report = json.loads(render(plan, "json", part=part))

        assert list(Draft202012Validator(SCHEMA).iter_errors(report)) == []
        assert report["part"] == {"cohort": part.cohort, "customer": part.customer}

    def test_markdown_summary_of_a_part_says_which_and_how_to_see_it_in_full(
        self, plan: Plan
    ) -> None:
        summary = render(plan, "markdown", part=Part(cohort="canary"), source="p.plan.json")

        assert summary.startswith("## sesmigrate plan: golden (tiered), cohort canary only\n")
        assert "`sesmigrate show p.plan.json --cohort canary --format markdown --full`" in summary


class TestCohortNotices:
    def test_cohort_notices_are_those_of_its_customers_and_the_plan_wide_ones(
        self, plan: Plan
    ) -> None:
        canary = cohort_notices(plan, ["canary"])

        assert {n.kind for n in canary} == {"unowned identity", "plan", "shared configuration-set"}
        assert cohort_notices(plan, ["canary", "wave-1"]) == plan.notices
