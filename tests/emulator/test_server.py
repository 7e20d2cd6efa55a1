"""`sesmigrate emulator` as a process: URL line, clean shutdown, saved state, demo account."""

import json
import signal
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sesmigrate.emulator.accounts import HANDMADE_TENANT, realistic_account
from sesmigrate.emulator.control import HttpControl
from tests.conftest import client, start_server, stop_server


def test_server_prints_loopback_url_and_stops_cleanly_on_sigterm() -> None:
    server = start_server()

    assert server.url.startswith("http://127.0.0.1:")
    assert client("sesv2", server.url).list_tenants()["Tenants"] == []
    assert stop_server(server) == 0


def test_server_stops_cleanly_on_sigint() -> None:
    server = start_server()

    server.process.send_signal(signal.SIGINT)

    assert server.process.wait(timeout=30) == 0


def test_state_file_carries_the_account_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "emulator.state"
    first = start_server("--state-file", str(state))
    ses = client("sesv2", first.url)
    ses.create_email_identity(EmailIdentity="acme.example.com")
    made = ses.create_tenant(TenantName="acme", Tags=[{"Key": "customer", "Value": "acme"}])
    ses.create_tenant_resource_association(
        TenantName="acme",
        ResourceArn="arn:aws:ses:us-east-1:123456789012:identity/acme.example.com",
    )
    assert stop_server(first) == 0

    second = start_server("--state-file", str(state))
    try:
        again = client("sesv2", second.url)
        tenant = again.get_tenant(TenantName="acme")["Tenant"]
        resources = again.list_tenant_resources(TenantName="acme")["TenantResources"]
        again.create_tenant(TenantName="after-restart")
    finally:
        stop_server(second)

    assert tenant["TenantId"] == made["TenantId"]
    assert tenant["Tags"] == [{"Key": "customer", "Value": "acme"}]
    assert [r["ResourceType"] for r in resources] == ["EMAIL_IDENTITY"]
    assert state.exists()


def test_demo_account_flag_loads_the_generated_account() -> None:
    spec = realistic_account(customers=12, seed=5)
    server = start_server("--demo-account", "--customers", "12", "--seed", "5")
    try:
        ses = client("sesv2", server.url)
        identities = ses.list_email_identities(PageSize=1000)["EmailIdentities"]
        tenants = ses.list_tenants()["Tenants"]
    finally:
        stop_server(server)

    assert sorted(i["IdentityName"] for i in identities) == sorted(i.name for i in spec.identities)
    assert [t["TenantName"] for t in tenants] == [HANDMADE_TENANT]


def test_control_path_answers_unknown_command_with_404(server) -> None:
    request = urllib.request.Request(f"{server.url}/_sesmigrate/no-such-knob", data=b"{}")

    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)

    assert exc.value.code == 404
    assert "no-such-knob" in json.loads(exc.value.read())["error"]


def test_control_path_reports_unknown_tenant_as_bad_request(server) -> None:
    body = json.dumps({"tenant": "ghost", "impact": "HIGH"}).encode()
    request = urllib.request.Request(f"{server.url}/_sesmigrate/reputation/finding", data=body)

    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)

    assert exc.value.code == 400
    assert "ghost" in json.loads(exc.value.read())["error"]


def test_state_file_carries_metrics_enforcement_and_clock_across_a_restart(
    tmp_path: Path,
) -> None:
    state = tmp_path / "emulator.state"
    first = start_server("--state-file", str(state), "--auto-verify")
    control = HttpControl(first.url)
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    control.set_clock(at)
    ses = client("sesv2", first.url)
    ses.create_email_identity(EmailIdentity="acme.example.com")
    ses.send_email(
        FromEmailAddress="news@acme.example.com",
        Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}}},
    )
    control.set_enforcement_status("PROBATION")
    assert stop_server(first) == 0

    second = start_server("--state-file", str(state))
    try:
        status = client("sesv2", second.url).get_account()["EnforcementStatus"]
        points = client("cloudwatch", second.url).get_metric_statistics(
            Namespace="AWS/SES",
            MetricName="Reputation.BounceRate",
            StartTime=at - timedelta(hours=1),
            EndTime=at + timedelta(hours=1),
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
    finally:
        stop_server(second)

    assert status == "PROBATION"
    assert [(p["Timestamp"], p["Maximum"]) for p in points] == [(at, 1.0)]
