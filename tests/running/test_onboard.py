"""onboard end to end over HTTP: a customer made with plain boto3 after the migration."""

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sesmigrate import OnboardError, Resources, onboard
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.errors import SesmigrateError
from sesmigrate.planning.snapshot import MANAGED_TAG
from sesmigrate.report.kits import onboarding_policy
from sesmigrate.state.lock import ApplyLock, ApplyLockedError
from tests.report.test_kits import policy_actions
from tests.running.test_apply import Journey

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)


def migrated(emulator: Any, tmp_path: Path, **overrides: Any) -> Journey:
    journey = Journey(emulator, tmp_path, **overrides)
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    return journey


def new_customer(journey: Journey, customer: str, tier: str | None = None) -> str:
    """An identity and its default configuration set, tagged for the ownership rules."""
    tags = [{"Key": "customer", "Value": customer}]
    tags += [{"Key": "tier", "Value": tier}] if tier else []
    domain = f"{customer}.example.com"
    journey.ses.create_configuration_set(ConfigurationSetName=f"{customer}-cs", Tags=tags)
    journey.ses.create_email_identity(
        EmailIdentity=domain, ConfigurationSetName=f"{customer}-cs", Tags=tags
    )
    return domain


def sends(journey: Journey, domain: str, tenant: str) -> None:
    journey.ses.send_email(
        FromEmailAddress=f"news@{domain}",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        TenantName=tenant,
    )


def where(journey: Journey) -> list[str]:
    endpoint = journey.emulator.endpoint_url
    return ["--endpoint-url", endpoint, "--region", "us-east-1", "--state-dir", str(journey.state)]


def api(journey: Journey, customer: str, **given: Any) -> Any:
    given.setdefault("plan", journey.path)
    return onboard(
        customer=customer,
        aws=AwsSettings(region="us-east-1", endpoint_url=journey.emulator.endpoint_url),
        state_dir=journey.state,
        **given,
    )


def test_onboard_by_command_sends_through_its_tenant_and_a_second_run_does_nothing(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    domain = new_customer(journey, "newco")
    capsys.readouterr()
    assert journey.run("onboard", "--customer", "newco") == 0
    out = capsys.readouterr().out
    assert "X-SES-TENANT" in out and "sesmigrate rollback" in out
    tenant = journey.ses.get_tenant(TenantName="newco")["Tenant"]
    assert dict((t["Key"], t["Value"]) for t in tenant["Tags"])[MANAGED_TAG]
    held = journey.ses.list_tenant_resources(TenantName="newco")["TenantResources"]
    assert {r["ResourceType"] for r in held} == {"EMAIL_IDENTITY", "CONFIGURATION_SET"}
    sends(journey, domain, "newco")

    before = journey.tenants()
    assert journey.run("onboard", "--customer", "newco") == 0
    assert "already onboarded: nothing to do" in capsys.readouterr().out
    assert journey.tenants() == before

    assert journey.run("status", "--detailed-exitcode") == 0
    shown = capsys.readouterr().out
    assert "drift" not in shown and "tenant newco: healthy" in shown


def test_the_api_returns_what_it_made_and_rollback_of_the_onboarding_restores_the_account(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    before = journey.tenants()
    new_customer(journey, "apico")
    capsys.readouterr()
    result = api(journey, "apico")
    assert capsys.readouterr().out == ""
    assert result.tenant_name == "apico"
    assert result.tenant_arn == journey.ses.get_tenant(TenantName="apico")["Tenant"]["TenantArn"]
    assert any("apico" in line for line in result.made) and result.plan_path is not None
    assert result.pending_verification == ()

    undo = ["rollback", str(result.plan_path), "--auto-approve", "--allow-irreversible"]
    assert main([*undo, "--cohort", result.cohort, *where(journey)]) == 0
    assert journey.tenants() == before


def test_rollback_all_of_the_migration_undoes_the_onboarding_too(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "laterco")
    api(journey, "laterco")
    assert journey.run("rollback", "--auto-approve", "--allow-irreversible", "--cohort", "all") == 0
    assert journey.tenants() == journey.before


def test_an_unmanaged_tenant_holding_the_name_is_refused_in_one_line_changing_nothing(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "taken")
    journey.ses.create_tenant(TenantName="taken")
    before = journey.tenants()
    capsys.readouterr()
    assert journey.run("onboard", "--customer", "taken") == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "tenant taken exists and is not managed" in err[0]
    assert journey.tenants() == before
    with pytest.raises(OnboardError):
        api(journey, "taken")


def test_another_customers_resource_is_refused(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    other = journey.plan.customers[0]
    before = journey.tenants()
    with pytest.raises(OnboardError, match=f"belongs to customer '{other.id}'"):
        api(journey, "thief", resources=Resources(identities=other.identities[:1]))
    assert journey.tenants() == before


def test_an_unverified_identity_is_associated_and_reported_pending(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    emulator.control.set_auto_verify(False)
    new_customer(journey, "slowdns")
    capsys.readouterr()
    assert journey.run("onboard", "--customer", "slowdns") == 0
    out = capsys.readouterr().out
    assert "pending: cannot send until verified: slowdns.example.com" in out
    held = journey.ses.list_tenant_resources(TenantName="slowdns")["TenantResources"]
    assert any(r["ResourceType"] == "EMAIL_IDENTITY" for r in held)


def test_tiered_puts_the_customer_in_its_tiers_tenant(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path, strategy="tiered")
    domain = new_customer(journey, "freebie", tier="free")
    result = api(journey, "freebie")
    assert result.tenant_name == "tier-free"
    sends(journey, domain, "tier-free")
    assert api(journey, "freebie").made == ()


def test_a_users_strategy_is_refused_in_one_line(emulator: Any, tmp_path: Path) -> None:
    custom = "tests.strategies.test_registry:OneTenant"
    journey = Journey(
        emulator, tmp_path, spec=f'name = "mine"\nstrategy = "{custom}"\n', strategy=custom
    )
    new_customer(journey, "custom")
    with pytest.raises(SesmigrateError, match="cannot place one customer by itself"):
        api(journey, "custom")
    assert journey.tenants() == journey.before


def test_a_held_lock_is_waited_for_a_bounded_time_and_said(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "queued")
    before = journey.tenants()
    held = ApplyLock(journey.plan.account, journey.plan.region, "a-long-apply")
    refused = pytest.raises(ApplyLockedError, match=r"a-long-apply.*after waiting 0\.05s")
    with held, refused:
        api(journey, "queued", lock_wait=0.05)
    assert journey.tenants() == before
    assert api(journey, "queued").changed


def test_the_tenant_quota_is_checked_before_create_tenant(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "onetoomany")
    before = journey.tenants()
    full = replace(journey.plan, spec={**journey.plan.spec, "tenant_quota": len(before)})
    with pytest.raises(OnboardError, match=f"holds {len(before)} tenants and the tenant quota"):
        api(journey, "onetoomany", plan=full)
    assert journey.tenants() == before


def test_onboarding_in_the_middle_of_a_rollout_lets_the_pending_cohorts_apply(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0  # the canary only
    domain = new_customer(journey, "midway")
    assert api(journey, "midway").changed
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    sends(journey, domain, "midway")


def test_the_next_plan_finds_the_onboarded_customer_in_place(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "settled")
    api(journey, "settled")
    replanned = tmp_path / "again.plan.json"
    again = ["plan", "--strategy", "isolated", "-o", str(replanned), "--detailed-exitcode"]
    assert main([*again, *where(journey)]) == 0


def test_named_untagged_resources_of_a_dedicated_tier_get_a_tenant_of_their_own(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path, strategy="tiered")
    journey.ses.create_configuration_set(ConfigurationSetName="bigco-sending")
    journey.ses.create_email_identity(EmailIdentity="bigco.example.org")
    named = ["--identity", "bigco.example.org", "--configuration-set", "bigco-sending"]
    assert journey.run("onboard", "--customer", "bigco", "--tier", "vip", *named) == 0
    held = journey.ses.list_tenant_resources(TenantName="bigco")["TenantResources"]
    assert {r["ResourceArn"].rsplit(":", 1)[-1] for r in held} >= {
        "identity/bigco.example.org",
        "configuration-set/bigco-sending",
    }
    journey.ses.send_email(
        FromEmailAddress="news@bigco.example.org",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
        ConfigurationSetName="bigco-sending",
        TenantName="bigco",
    )


def test_rolling_back_a_tier_onboarding_takes_only_its_associations_from_the_tier_tenant(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path, strategy="tiered")
    before = journey.tenants()
    new_customer(journey, "cheapco", tier="free")
    result = api(journey, "cheapco")
    assert journey.tenants()["tier-free"] != before["tier-free"]
    undo = ["rollback", str(result.plan_path), "--auto-approve", "--cohort", result.cohort]
    assert main([*undo, *where(journey)]) == 0
    assert journey.tenants() == before


def test_a_customer_the_migration_already_placed_is_already_onboarded(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    placed = journey.plan.customers[0]
    result = api(journey, placed.id)
    assert (result.tenant_name, result.made, result.plan_path) == (placed.tenant, (), None)


def test_a_rerun_makes_only_what_is_still_missing(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "halfway")
    first = api(journey, "halfway")
    held = journey.ses.list_tenant_resources(TenantName="halfway")["TenantResources"]
    lost = next(r["ResourceArn"] for r in held if r["ResourceType"] == "CONFIGURATION_SET")
    journey.ses.delete_tenant_resource_association(TenantName="halfway", ResourceArn=lost)
    again = api(journey, "halfway")
    assert again.made == ("associate configuration-set/halfway-cs with halfway",)
    assert again.plan_path != first.plan_path and again.tenant_arn == first.tenant_arn


def test_an_onboarding_with_nothing_to_do_releases_the_accounts_lock(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "idleco")
    api(journey, "idleco")

    again = api(journey, "idleco")

    assert not again.changed and again.plan_path is None
    lock = ApplyLock(journey.plan.account, journey.plan.region, "next run", wait=0)
    assert not lock.holder_file.exists()  # released, not merely dropped
    with lock:
        pass  # free at once: the no-op released what it took


ASSOCIATIONS = {"ses:CreateTenantResourceAssociation", "ses:DeleteTenantResourceAssociation"}


@pytest.mark.parametrize(
    ("strategy", "tier", "writes"),
    [
        (
            "isolated",
            None,
            {
                *ASSOCIATIONS,
                "ses:CreateTenant",
                "ses:DeleteTenant",
                "ses:UpdateReputationEntityPolicy",
            },
        ),
        ("tiered", "free", ASSOCIATIONS),
    ],
    ids=["own-tenant-strict", "tier-tenant"],
)
def test_the_onboarding_roles_policy_allows_every_ses_call_onboard_and_its_rollback_make(
    emulator: Any, tmp_path: Path, strategy: str, tier: str | None, writes: set[str]
) -> None:
    spec = f'name = "signup"\nstrategy = "{strategy}"\n[reputation]\ndefault = "strict"\n'
    journey = migrated(emulator, tmp_path, spec=spec, strategy=strategy)
    new_customer(journey, "roleco", tier=tier)
    emulator.control.set_traffic(TrafficSettings())  # count only what the role calls
    result = api(journey, "roleco")
    undo = ["rollback", str(result.plan_path), "--auto-approve", "--allow-irreversible"]
    assert main([*undo, "--cohort", result.cohort, *where(journey)]) == 0
    called = {f"ses:{op}" for op in emulator.control.stats()["by_operation"]}

    assert writes <= called
    assert called - policy_actions(onboarding_policy(journey.plan)) == set()


def test_a_sign_up_reads_only_what_was_made_since_the_last_onboarding(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    for earlier in ("first", "second"):
        new_customer(journey, earlier)
        api(journey, earlier)
    new_customer(journey, "third")
    emulator.control.set_traffic(TrafficSettings())  # count this sign-up's calls only

    api(journey, "third")

    calls = emulator.control.stats()["by_operation"]
    assert calls["GetEmailIdentity"] == 1 and calls["GetConfigurationSet"] == 1
