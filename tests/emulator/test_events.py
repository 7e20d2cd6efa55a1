"""The emulator's reputation knobs put SES tenant events on the bus, delivered to a log group."""

import json
from typing import Any

import pytest

LOG_GROUP = "/aws/ses/tenants"
DETAIL_TYPES = [
    "Sending Status Enabled",
    "Sending Status Disabled",
    "Advisor Recommendation Status Open",
    "Advisor Recommendation Status Resolved",
]


@pytest.fixture
def monitored(emulator: Any) -> Any:
    """A rule on the default bus sending every SES tenant event to a log group."""
    logs, bus = emulator.client("logs"), emulator.client("events")
    logs.create_log_group(logGroupName=LOG_GROUP)
    arn = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP)["logGroups"][0]["arn"]
    pattern = {"source": ["aws.ses"], "detail-type": DETAIL_TYPES}
    bus.put_rule(Name="ses-tenant-events", EventPattern=json.dumps(pattern))
    bus.put_targets(
        Rule="ses-tenant-events", Targets=[{"Id": "logs", "Arn": arn.removesuffix(":*")}]
    )
    return emulator


def logged(emulator: Any) -> list[dict[str, Any]]:
    events = emulator.client("logs").filter_log_events(logGroupName=LOG_GROUP)["events"]
    return [json.loads(event["message"]) for event in events]


def test_high_finding_puts_finding_and_pause_events_on_the_bus(monitored: Any) -> None:
    arn = monitored.ses.create_tenant(TenantName="acme")["TenantArn"]

    monitored.control.raise_finding("acme", "HIGH")

    seen = [(e["source"], e["detail-type"], e["resources"], e["detail"]) for e in logged(monitored)]
    assert (
        "aws.ses",
        "Advisor Recommendation Status Open",
        [arn],
        {"impact": "HIGH", "status": "OPEN"},
    ) in seen
    pauses = [d for _, kind, _, d in seen if kind == "Sending Status Disabled"]
    assert pauses == [
        {
            "origin": "REPUTATION_POLICY",
            "status": "DISABLED",
            "cause": "Paused by the standard reputation policy: HIGH finding",
        }
    ]


def test_aws_pause_and_customer_reinstatement_are_announced_once_each(monitored: Any) -> None:
    arn = monitored.ses.create_tenant(TenantName="acme")["TenantArn"]
    monitored.control.set_aws_managed_status("acme", "DISABLED", "abuse review")
    monitored.control.set_aws_managed_status("acme", "ENABLED", None)
    monitored.ses.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE", ReputationEntityReference=arn, SendingStatus="ENABLED"
    )

    kinds = [(e["detail-type"], e["detail"]["origin"]) for e in logged(monitored)]

    assert kinds == [
        ("Sending Status Disabled", "AWS_SES_MANAGED"),
        ("Sending Status Enabled", "AWS_SES_MANAGED"),
    ]


def test_cleared_finding_is_announced_as_resolved(monitored: Any) -> None:
    arn = monitored.ses.create_tenant(TenantName="acme")["TenantArn"]
    monitored.control.raise_finding("acme", "LOW")

    monitored.control.clear_findings("acme")

    seen = [(e["detail-type"], e["resources"], e["detail"]) for e in logged(monitored)]
    assert seen[-1] == (
        "Advisor Recommendation Status Resolved",
        [arn],
        {"impact": "LOW", "status": "RESOLVED"},
    )
