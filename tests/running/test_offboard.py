"""offboard end to end over HTTP: a customer leaves a migrated account; its resources stay."""

from pathlib import Path
from typing import Any

import pytest

from sesmigrate import OffboardError, OffboardResult, offboard
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.report.kits import onboarding_policy
from tests.report.test_kits import policy_actions
from tests.running.test_apply import Journey
from tests.running.test_gates import canary, send
from tests.running.test_onboard import api, migrated, new_customer, where

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)


def leave(journey: Journey, customer: str, **given: Any) -> OffboardResult:
    given.setdefault("plan", journey.path)
    return offboard(
        customer=customer,
        aws=AwsSettings(region="us-east-1", endpoint_url=journey.emulator.endpoint_url),
        state_dir=journey.state,
        **given,
    )


def resources(journey: Journey) -> tuple[set[str], set[str], set[str]]:
    """Every identity, configuration set and template of the account."""
    ses = journey.ses
    return (
        {i["IdentityName"] for i in ses.list_email_identities()["EmailIdentities"]},
        set(ses.list_configuration_sets()["ConfigurationSets"]),
        {t["TemplateName"] for t in ses.list_email_templates()["TemplatesMetadata"]},
    )


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_offboarding_deletes_the_customers_own_tenant_and_keeps_its_resources(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    customer = journey.plan.customers[0].id
    tenant = journey.tenant_of(customer)
    kept = resources(journey)
    capsys.readouterr()
    assert journey.run("offboard", "--customer", customer, "--allow-irreversible") == 0
    out = capsys.readouterr().out
    assert f"{customer}: delete tenant {tenant}" in out and "Undo it with" not in out
    assert tenant not in journey.tenants()
    assert resources(journey) == kept

    before = journey.tenants()
    assert journey.run("offboard", "--customer", customer, "--allow-irreversible") == 0
    assert f"{customer}: already offboarded: nothing to do" in capsys.readouterr().out
    assert journey.tenants() == before


def test_status_after_an_offboarding_shows_no_missing_tenant_and_no_drift(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    customer = journey.plan.customers[0].id
    leave(journey, customer, allow_irreversible=True)
    capsys.readouterr()
    assert journey.run("status", "--detailed-exitcode") == 0
    shown = capsys.readouterr().out
    assert "missing" not in shown and "drift" not in shown
    assert f"tenant {journey.tenant_of(customer)}:" not in shown


def test_deleting_a_tenant_without_the_operators_word_is_refused_in_one_line(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    customer = journey.plan.customers[0].id
    before = journey.tenants()
    capsys.readouterr()
    assert journey.run("offboard", "--customer", customer) == 1
    line = one_line(capsys.readouterr().err)
    assert "--allow-irreversible" in line and "--keep-tenant" in line
    assert journey.tenants() == before


def test_a_declined_confirmation_changes_nothing(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    customer = journey.plan.customers[0].id
    asked: list[list[str]] = []
    before = journey.tenants()

    def no(irreversible: list[str]) -> bool:
        asked.append(irreversible)
        return False

    with pytest.raises(OffboardError, match="declined: nothing was changed"):
        leave(journey, customer, confirm=no)
    assert asked == [
        [
            f"delete tenant {journey.tenant_of(customer)} (irreversible: its id and "
            "reputation history are lost)"
        ]
    ]
    assert journey.tenants() == before


def test_keep_tenant_removes_only_the_associations_and_rollback_gives_them_back(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    customer = journey.plan.customers[0].id
    tenant = journey.tenant_of(customer)
    before = journey.tenants()
    result = leave(journey, customer, keep_tenant=True)
    assert not result.deleted_tenant and result.plan_path is not None
    assert result.made and all(line.startswith("remove ") for line in result.made)
    tenant_id, held = journey.tenants()[tenant]
    assert tenant_id == before[tenant][0]
    view = next(c for c in journey.plan.customers if c.id == customer)
    assert not any(arn.endswith(f"/{name}") for arn in held for name in view.identities)

    undo = ["rollback", str(result.plan_path), "--auto-approve", "--cohort", result.cohort]
    assert main([*undo, *where(journey)]) == 0
    assert journey.tenants() == before


def test_a_tier_tenant_loses_only_what_no_other_customer_of_it_uses(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path, strategy="tiered")
    shared = "shared-cs"
    journey.ses.create_configuration_set(ConfigurationSetName=shared)
    first = new_customer(journey, "leaver", tier="free")
    stayer = new_customer(journey, "stayer", tier="free")
    for domain in (first, stayer):
        journey.ses.put_email_identity_configuration_set_attributes(
            EmailIdentity=domain, ConfigurationSetName=shared
        )
    api(journey, "leaver")
    api(journey, "stayer")
    others = {t: held for t, (_, held) in journey.tenants().items() if t != "tier-free"}
    capsys.readouterr()

    assert journey.run("offboard", "--customer", "leaver") == 0
    captured = capsys.readouterr()
    assert f"leaver: remove identity/{first} from tier-free" in captured.out
    assert "leaver: remove configuration-set/leaver-cs from tier-free" in captured.out
    assert f"leaver: kept: {shared} (used by other customers of tier-free)" in captured.out
    assert "senders of customer 'leaver' that still name tenant tier-free will fail" in (
        captured.err
    )
    _, held = journey.tenants()["tier-free"]
    assert not any(arn.endswith(f"identity/{first}") for arn in held)
    assert any(arn.endswith(f"configuration-set/{shared}") for arn in held)
    assert any(arn.endswith(f"identity/{stayer}") for arn in held)
    assert {t: h for t, (_, h) in journey.tenants().items() if t != "tier-free"} == others

    assert journey.run("status", "--detailed-exitcode") == 0
    assert "drift" not in capsys.readouterr().out


def test_an_offboarded_onboarding_can_be_onboarded_again(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "comeback")
    first = api(journey, "comeback")
    leave(journey, "comeback", allow_irreversible=True)
    assert "comeback" not in journey.tenants()
    again = api(journey, "comeback")
    assert again.changed and again.tenant_arn != first.tenant_arn
    assert leave(journey, "comeback", allow_irreversible=True).deleted_tenant


def test_a_customer_the_migration_never_placed_is_refused(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path)
    before = journey.tenants()
    with pytest.raises(OffboardError, match="'nobody' is not placed by migration"):
        leave(journey, "nobody", allow_irreversible=True)
    assert journey.tenants() == before


def test_a_tenant_someone_else_also_sends_through_is_not_deleted(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    customer, other = journey.plan.customers[0], journey.plan.customers[1]
    stranger = next(i for i in other.identities if "@" not in i)
    arn = f"arn:aws:ses:us-east-1:{journey.plan.account}:identity/{stranger}"
    journey.ses.create_tenant_resource_association(TenantName=customer.tenant, ResourceArn=arn)
    before = journey.tenants()
    with pytest.raises(OffboardError, match=f"not of customer '{customer.id}' \\({stranger}\\)"):
        leave(journey, customer.id, allow_irreversible=True)
    assert journey.tenants() == before


def test_an_unmanaged_tenant_in_the_customers_place_is_left_alone(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    customer = journey.plan.customers[0]
    journey.ses.delete_tenant(TenantName=customer.tenant)
    journey.ses.create_tenant(TenantName=customer.tenant)
    before = journey.tenants()
    with pytest.raises(OffboardError, match="is not managed by migration"):
        leave(journey, customer.id, allow_irreversible=True)
    assert journey.tenants() == before


def test_deleting_a_tenant_that_still_sent_is_refused_unless_accepted(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    first = journey.cohort("canary")[0]
    send(journey, first, delivered=3)
    before = journey.tenants()
    capsys.readouterr()
    assert journey.run("offboard", "--customer", first, "--allow-irreversible") == 1
    line = one_line(capsys.readouterr().err)
    assert "offboarding would break the senders of 1 tenant(s)" in line
    assert f"{journey.tenant_of(first)} (3 sends)" in line
    assert journey.tenants() == before

    result = leave(journey, first, allow_irreversible=True, accept_recent_sends=True)
    assert result.deleted_tenant and journey.tenant_of(first) not in journey.tenants()


def test_a_canary_customer_offboarded_mid_rollout_does_not_fail_the_next_gate(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path, spec='name = "rollout"\n')
    first = journey.cohort("canary")[0]
    leave(journey, first, allow_irreversible=True)
    capsys.readouterr()
    assert journey.run("apply", "--auto-approve", "--cohort", "wave-1") == 0
    assert "Health gate passed for 1 tenant(s) of canary" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("strategy", "tier", "writes"),
    [
        ("isolated", None, {"ses:DeleteTenant"}),
        ("tiered", "free", {"ses:DeleteTenantResourceAssociation"}),
    ],
    ids=["own-tenant", "tier-tenant"],
)
def test_the_onboarding_roles_policy_allows_every_call_an_offboarding_makes(
    emulator: Any, tmp_path: Path, strategy: str, tier: str | None, writes: set[str]
) -> None:
    spec = f'name = "signup"\nstrategy = "{strategy}"\n[gates]\nmin_sends = 1\n'
    journey = Journey(emulator, tmp_path, spec=spec, strategy=strategy)
    assert journey.run("apply", "--auto-approve", "--cohort", "all", "--skip-gates") == 0
    new_customer(journey, "roleco", tier=tier)
    api(journey, "roleco")
    emulator.control.set_traffic(TrafficSettings())  # count only what the role calls
    leave(journey, "roleco", allow_irreversible=True)
    called = {f"ses:{op}" for op in emulator.control.stats()["by_operation"]}

    assert writes <= called
    assert called - policy_actions(onboarding_policy(journey.plan)) == set()
