"""Every report format says where tenant events go and lists the monitoring's actions."""

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import Plan, plan_to_json, read_plan
from sesmigrate.report import render
from sesmigrate.report.views import Part
from sesmigrate.resources import template_text

pytestmark = pytest.mark.parametrize("emulator", ["memory"], indirect=True)

SENTENCE = (
    "SES tenant events go through EventBridge rule {rule} to CloudWatch Logs group "
    "/aws/ses/tenants; 4 action(s) put it in place in cohort canary."
)
DESCRIPTIONS = (
    "create CloudWatch Logs group /aws/ses/tenants",
    "put CloudWatch Logs resource policy sesmigrate-isolated",
    "put EventBridge rule sesmigrate-isolated matching aws.ses on the default bus",
    "route rule sesmigrate-isolated to /aws/ses/tenants",
)


@pytest.fixture
def plan(emulator: Any) -> Plan:
    emulator.control.load_realistic_account(4, 1)
    request = PlanRequest(
        None, {"monitoring": True, "canary": 1}, None, AwsSettings(region="us-east-1")
    )
    return read_plan(plan_to_json(make_plan(request).plan))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_report_says_where_tenant_events_go_and_lists_the_monitoring_actions(
    plan: Plan, fmt: str
) -> None:
    text = render(plan, fmt, full=True)
    readable = visible_text(text) if fmt == "html" else " ".join(text.split())
    readable = readable.replace("`", "")

    assert SENTENCE.format(rule="sesmigrate-isolated") in readable
    for description in DESCRIPTIONS:
        assert description in readable


def test_html_report_links_monitoring_actions_to_the_monitoring_note(plan: Plan) -> None:
    html = render(plan, "html")

    assert '<div class="note" id="monitoring">' in html
    assert html.count('<a href="#monitoring"><i>monitoring</i></a>') == 4


def test_json_report_of_a_monitored_plan_meets_the_schema(plan: Plan) -> None:
    report = json.loads(render(plan, "json"))
    schema = json.loads(template_text("report/plan-report.schema.json"))

    assert list(Draft202012Validator(schema).iter_errors(report)) == []
    canary = report["cohorts"][0]
    monitoring = [a for a in canary["actions"] if a["tenant"] is None]
    assert sorted(a["kind"] for a in monitoring) == [
        "create_log_group",
        "put_logs_policy",
        "put_rule",
        "put_target",
    ]
    assert next(a for a in monitoring if a["kind"] == "put_target")["batch"] == 2
    assert canary["counts"]["put_rule"] == 1
    assert report["monitoring"]["changes"] == 4


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_view_of_a_later_cohort_still_says_the_canary_puts_monitoring_in_place(
    plan: Plan, fmt: str
) -> None:
    later = Part(cohort=plan.cohorts[1].name)
    text = render(plan, fmt, full=True, part=later)
    readable = visible_text(text) if fmt == "html" else " ".join(text.split())
    readable = readable.replace("`", "")

    assert "already in place" not in readable
    assert SENTENCE.format(rule="sesmigrate-isolated") in readable
    assert json.loads(render(plan, "json", part=later))["monitoring"]["changes"] == 4
