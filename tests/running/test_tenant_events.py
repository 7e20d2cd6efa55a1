"""Reading SES tenant events back from the monitoring log group."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from sesmigrate.running.tenant_events import (
    TenantEvent,
    latest_per_tenant,
    parse,
    read_latest,
    tenant_of,
)

ARN = "arn:aws:ses:us-east-1:123456789012:tenant/acme/tn-1"


def message(detail_type: str, time: str, detail: dict[str, str], **extra: Any) -> str:
    event = {
        "source": "aws.ses",
        "detail-type": detail_type,
        "time": time,
        "resources": [ARN],
        "detail": detail,
        **extra,
    }
    return json.dumps(event)


class TestParse:
    def test_tenant_of_reads_the_name_from_a_tenant_arn(self) -> None:
        assert tenant_of(ARN) == "acme"
        assert tenant_of("arn:aws:ses:us-east-1:123456789012:identity/acme.io") is None

    def test_parse_reads_a_sending_status_event(self) -> None:
        event = parse(
            message(
                "Sending Status Disabled",
                "2026-11-24T10:00:00Z",
                {"status": "DISABLED", "origin": "REPUTATION_POLICY", "cause": "HIGH finding"},
            )
        )

        assert event == TenantEvent(
            "acme",
            "2026-11-24T10:00:00Z",
            "Sending Status Disabled",
            status="DISABLED",
            origin="REPUTATION_POLICY",
            cause="HIGH finding",
        )
        assert event.describe() == (
            "Sending Status Disabled (DISABLED, REPUTATION_POLICY): HIGH finding "
            "at 2026-11-24T10:00:00Z"
        )

    @pytest.mark.parametrize(
        "text",
        [
            "not json",
            "[]",
            message("Sending Status Disabled", "t", {}, source="aws.ec2"),
            json.dumps({"source": "aws.ses", "detail-type": "x", "resources": ["arn:x"]}),
            json.dumps({"source": "aws.ses", "detail-type": "x", "resources": "nope"}),
            json.dumps({"source": "aws.ses", "resources": [ARN]}),
        ],
        ids=["not-json", "not-object", "other-source", "no-tenant", "bad-resources", "no-type"],
    )
    def test_parse_ignores_anything_but_an_ses_tenant_event(self, text: str) -> None:
        assert parse(text) is None


class TestLatest:
    def test_latest_is_chosen_by_event_time_not_by_delivery_order(self) -> None:
        late = TenantEvent("acme", "2026-11-24T10:05:00Z", "Sending Status Enabled")
        early = TenantEvent("acme", "2026-11-24T10:00:00Z", "Sending Status Disabled")
        other = TenantEvent("beta", "2026-11-24T09:00:00Z", "Advisor Recommendation Status Open")

        assert latest_per_tenant([late, other, early]) == {"acme": late, "beta": other}


class TestReadLatest:
    def test_read_latest_keeps_only_the_plans_tenants_since_the_plan(self, emulator: Any) -> None:
        logs = emulator.client("logs")
        logs.create_log_group(logGroupName="/aws/ses/tenants")
        logs.create_log_stream(logGroupName="/aws/ses/tenants", logStreamName="s")
        now = datetime.now(UTC)
        new = int(now.timestamp() * 1000)
        old = new - 10 * 24 * 3600 * 1000
        since = (now - timedelta(days=1)).isoformat()
        foreign = message("Sending Status Disabled", "2027-01-15T08:00:00Z", {})
        logs.put_log_events(
            logGroupName="/aws/ses/tenants",
            logStreamName="s",
            logEvents=[
                {"timestamp": old, "message": message("Sending Status Disabled", "2099", {})},
                {
                    "timestamp": new,
                    "message": message(
                        "Sending Status Enabled", "2027-01-15T08:00:00Z", {"status": "ENABLED"}
                    ),
                },
                {"timestamp": new, "message": foreign.replace("/acme/", "/other/")},
            ],
        )

        read = read_latest(logs, "/aws/ses/tenants", {"acme"}, since)

        assert list(read.latest) == ["acme"]
        assert read.latest["acme"].detail_type == "Sending Status Enabled"
        assert read.note is None

    def test_read_latest_of_a_missing_log_group_is_a_note(self, emulator: Any) -> None:
        read = read_latest(emulator.client("logs"), "/aws/ses/none", {"acme"}, "2025-01-01")

        assert read.latest == {}
        assert read.note == "log group /aws/ses/none does not exist (yet)"

    def test_read_latest_of_an_unreadable_log_group_is_a_note(self, emulator: Any) -> None:
        logs = emulator.client("logs")

        def refuse(**_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://logs.example.invalid")

        logs.meta.events.register("before-call.cloudwatch-logs.FilterLogEvents", refuse)

        read = read_latest(logs, "/aws/ses/tenants", {"acme"}, "2025-01-01")

        assert read.latest == {}
        assert read.note == "could not read log group /aws/ses/tenants: EndpointConnectionError"
