"""Apply's and status's live view: the lists plus the cohort's own reads, every refusal kept."""

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings, Clients
from sesmigrate.cli import main
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import checksum_of, plan_to_json, read_plan
from sesmigrate.running.verification import live_view
from tests.planning.test_plan import format_1
from tests.running.test_apply import Journey, one_line


def cohort_resources(journey: Journey, cohort: str) -> tuple[set[str], set[str]]:
    members = set(journey.cohort(cohort))
    views = [c for c in journey.plan.customers if c.id in members]
    return (
        {i for c in views for i in c.identities},
        {s for c in views for s in c.configuration_sets},
    )


def refusal(err: str) -> str:
    """The error line of a run refused while it applied: its reads of the cohort's own
    resources run beside the changes (see running.overlap), so the progress said before
    them may precede it; the error itself is one line, and the last."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), err
    assert all(not line.startswith("Error") for line in lines[:-1]), err
    return lines[-1]


def calls_of(emulator: Any, run: Any) -> dict[str, int]:
    """The SES calls per operation that `run()` made."""
    emulator.control.set_traffic(TrafficSettings())
    run()
    return dict(emulator.control.stats()["by_operation"])


def test_apply_reads_the_lists_and_only_the_cohorts_own_resources(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path, customers=20)
    identities, config_sets = cohort_resources(journey, "canary")
    everyone = sum(len(c.identities) for c in journey.plan.customers)
    assert everyone > len(identities)

    calls = calls_of(emulator, lambda: journey.run("apply", "--auto-approve"))

    assert calls["ListEmailIdentities"] == 1
    assert calls["ListConfigurationSets"] == 1
    assert calls["ListTenants"] == 1
    assert calls["GetEmailIdentity"] == len(identities)
    assert calls["GetConfigurationSet"] == len(config_sets)
    assert "ListTenantResources" not in calls
    assert "GetDedicatedIpPool" not in calls


def test_each_cohort_reads_only_its_own_resources_the_whole_journey(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path, customers=20)
    total = 0
    for cohort in journey.plan.cohorts:
        identities, _ = cohort_resources(journey, cohort.name)
        calls = calls_of(
            emulator, lambda c=cohort.name: journey.run("apply", "--auto-approve", "--cohort", c)
        )
        assert calls.get("GetEmailIdentity", 0) == len(identities)
        total += calls.get("GetEmailIdentity", 0)

    assert total == sum(len(c.identities) for c in journey.plan.customers)


def test_new_identity_of_a_later_cohort_customer_is_said_and_blocks_only_that_cohort(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    later = journey.cohort("wave-1")[0]
    journey.ses.create_email_identity(
        EmailIdentity="late.example.com", Tags=[{"Key": "customer", "Value": later}]
    )

    assert journey.run("apply", "--auto-approve") == 0
    said = capsys.readouterr().err
    assert f"customer {later!r} of wave-1 has new resources (late.example.com)" in said

    assert journey.run("apply", "--auto-approve") == 1
    message = one_line(capsys.readouterr().err)
    assert f"customer {later!r} changed since the plan (added late.example.com)" in message


def test_identity_of_a_customer_the_plan_does_not_know_is_said_not_refused(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    journey.ses.create_email_identity(
        EmailIdentity="newco.example.com", Tags=[{"Key": "customer", "Value": "newco"}]
    )

    assert journey.run("apply", "--auto-approve") == 0

    assert "customer 'newco' is not in the plan (newco.example.com)" in capsys.readouterr().err


def test_identity_retagged_away_from_a_cohort_customer_makes_the_plan_stale(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    customer = journey.cohort("canary")[0]
    identity = next(c for c in journey.plan.customers if c.id == customer).identities[0]
    arn = f"arn:aws:ses:us-east-1:123456789012:identity/{identity}"
    journey.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "customer", "Value": "someone"}])

    assert journey.run("apply", "--auto-approve") == 1

    message = refusal(capsys.readouterr().err)
    assert f"customer {customer!r} changed since the plan (removed " in message
    assert identity in message
    assert journey.tenants() == journey.before


def test_new_default_configuration_set_of_a_cohort_identity_makes_the_plan_stale(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    customer = journey.cohort("canary")[0]
    identity = next(c for c in journey.plan.customers if c.id == customer).identities[0]
    journey.ses.create_configuration_set(ConfigurationSetName="brand-new-set")
    journey.ses.put_email_identity_configuration_set_attributes(
        EmailIdentity=identity, ConfigurationSetName="brand-new-set"
    )

    assert journey.run("apply", "--auto-approve") == 1

    message = refusal(capsys.readouterr().err)
    assert f"customer {customer!r} changed since the plan (added brand-new-set)" in message
    assert journey.tenants() == journey.before


def test_deleted_configuration_set_of_a_cohort_customer_makes_the_plan_stale(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    _, config_sets = cohort_resources(journey, "canary")
    gone = sorted(config_sets)[0]
    journey.ses.delete_configuration_set(ConfigurationSetName=gone)

    assert journey.run("apply", "--auto-approve") == 1

    message = one_line(capsys.readouterr().err)
    assert "the plan is stale" in message
    assert gone in message
    assert journey.tenants() == journey.before


def test_copied_plan_applies_from_an_empty_directory_by_its_sealed_mapping(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.control.load_realistic_account(6, 5)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "owners.csv").write_text("ops-alerts@example.org,ops-team,free\n")
    (specs / "mapped.toml").write_text(
        'name = "mapped"\nstrategy = "isolated"\n[ownership]\nmapping = "owners.csv"\n'
    )
    request = PlanRequest(
        spec_path=specs / "mapped.toml",
        overrides={},
        inventory_path=None,
        aws=AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
    )
    plan = make_plan(request).plan
    assert "ops-team" in {c.id for c in plan.customers}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mapped.plan.json").write_text(plan_to_json(plan))
    shutil.rmtree(specs)
    monkeypatch.chdir(elsewhere)

    where = ["--endpoint-url", emulator.endpoint_url] if emulator.endpoint_url else []
    code = main(["apply", "mapped.plan.json", "--auto-approve", "--cohort", "all", *where])

    assert code == 0
    tenant = next(c.tenant for c in plan.customers if c.id == "ops-team")
    held = emulator.ses.list_tenant_resources(TenantName=tenant)["TenantResources"]
    assert any(r["ResourceArn"].endswith(":identity/ops-alerts@example.org") for r in held)


def test_format_1_plan_still_applies_and_reports_status_reading_every_name(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    document = json.loads(journey.path.read_text())
    body = format_1({k: v for k, v in document.items() if k != "checksum"})
    journey.path.write_text(json.dumps({**body, "checksum": checksum_of(body)}))
    assert read_plan(journey.path.read_text()).seen is None
    everyone = sum(len(c.identities) for c in journey.plan.customers)

    calls = calls_of(emulator, lambda: journey.run("apply", "--auto-approve"))

    assert calls["GetEmailIdentity"] >= everyone
    capsys.readouterr()
    assert journey.run("status", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["cohorts"]["canary"] == "applied"


def test_status_full_reports_an_existing_resource_retagged_to_an_applied_customer(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    customer = journey.cohort("canary")[0]
    other = journey.cohort("wave-1")[0]
    moved = next(c for c in journey.plan.customers if c.id == other).identities[0]
    arn = f"arn:aws:ses:us-east-1:123456789012:identity/{moved}"
    journey.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "customer", "Value": customer}])
    capsys.readouterr()

    assert journey.run("status", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["drift"] == []

    assert journey.run("status", "--format", "json", "--full") == 0
    assert json.loads(capsys.readouterr().out)["drift"] == [
        f"identity/{moved} of customer {customer!r} is not in tenant {journey.tenant_of(customer)}"
    ]


def test_cohort_configuration_sets_are_read_while_its_identity_reads_wait(
    emulator: Any, tmp_path: Path
) -> None:
    """Each operation has workers of its own: an identity read held until a configuration set
    has been read ends, even with one worker per operation."""
    journey = Journey(emulator, tmp_path, customers=20)
    members = journey.cohort("canary")
    identities, config_sets = cohort_resources(journey, "canary")
    assert identities and config_sets
    ses = emulator.client("sesv2")
    set_read = threading.Event()
    waited: list[bool] = []

    def hold_identity(**_: Any) -> None:
        waited.append(set_read.wait(timeout=30 if all(waited) else 0))

    ses.meta.events.register("before-call.sesv2.GetEmailIdentity", hold_identity)
    ses.meta.events.register("after-call.sesv2.GetConfigurationSet", lambda **_: set_read.set())
    clients = Clients(ses=ses, sts=emulator.client("sts"), region="us-east-1")

    view = live_view(clients, journey.plan, members, parallelism=1)

    assert len(waited) == len(identities) and all(waited)
    assert set(view.customers) >= set(members)
