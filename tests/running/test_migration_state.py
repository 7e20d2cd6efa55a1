"""One state per migration: re-plans share it for gates, status and rollback; a state that
did not make the migration's tenants refuses to start blind."""

import json
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.cli import main
from sesmigrate.planning.plan import Plan, read_plan
from tests.running.test_apply import one_line

REGION = "us-east-1"


class Migration:
    """A tiered migration of the realistic account, driven through the CLI with one state."""

    def __init__(self, emulator: Any, tmp_path: Path, customers: int = 16) -> None:
        emulator.control.load_realistic_account(customers, 5)
        self.emulator, self.ses, self.tmp = emulator, emulator.ses, tmp_path
        self.state = tmp_path / "state"
        self.spec = tmp_path / "spec.toml"
        self.spec.write_text('name = "move-acme"\nstrategy = "tiered"\n')
        self.before = self.tenants()

    def cli(self, *args: str, state: Path | None = None) -> int:
        return main(
            [
                *args,
                "--endpoint-url",
                self.emulator.endpoint_url,
                "--region",
                REGION,
                "--state-dir",
                str(state or self.state),
            ]
        )

    def plan(self, name: str) -> tuple[Path, Plan]:
        path = self.tmp / f"{name}.plan.json"
        flags = ("--canary", "2", "--wave-size", "5", "-o", str(path))
        assert self.cli("plan", str(self.spec), *flags) == 0
        return path, read_plan(path.read_text())

    def tenants(self) -> dict[str, tuple[str, frozenset[str]]]:
        found = {}
        for tenant in self.ses.list_tenants()["Tenants"]:
            name = tenant["TenantName"]
            resources = self.ses.list_tenant_resources(TenantName=name)["TenantResources"]
            found[name] = (tenant["TenantId"], frozenset(r["ResourceArn"] for r in resources))
        return found

    def onboard_identity(self, plan: Plan, cohort: str) -> str:
        """A new identity of the first customer of `cohort`, made with plain boto3 the way
        the platform's sign-up would: tagged like the customer's other identities."""
        customer = next(c for c in plan.customers if c.id in cohort_of(plan, cohort))
        model = next(i for i in customer.identities if "@" not in i)
        tags = self.ses.get_email_identity(EmailIdentity=model).get("Tags", [])
        name = f"onboarded.{model}"
        self.ses.create_email_identity(EmailIdentity=name, Tags=tags)
        return name


def cohort_of(plan: Plan, name: str) -> tuple[str, ...]:
    return next(c.customers for c in plan.cohorts if c.name == name)


def canary_tenant(plan: Plan) -> str:
    members = set(cohort_of(plan, "canary"))
    return next(c.tenant for c in plan.customers if c.id in members)


@pytest.fixture
def migration(emulator: Any, tmp_path: Path) -> Migration:
    return Migration(emulator, tmp_path)


def test_a_replans_gate_covers_the_tenants_earlier_plans_applied(
    migration: Migration, capsys: pytest.CaptureFixture[str]
) -> None:
    first, plan1 = migration.plan("p1")
    assert migration.cli("apply", str(first), "--auto-approve") == 0
    migration.onboard_identity(plan1, "wave-1")
    second, _ = migration.plan("p2")
    sick = canary_tenant(plan1)
    migration.emulator.control.raise_finding(sick, "HIGH")
    capsys.readouterr()

    code = migration.cli("apply", str(second), "--auto-approve", "--cohort", "all")

    assert code == 1
    message = one_line(capsys.readouterr().err)
    assert "health gate failed" in message
    assert sick in message


def test_status_of_a_replan_shows_the_whole_migrations_tenants(
    migration: Migration, capsys: pytest.CaptureFixture[str]
) -> None:
    first, plan1 = migration.plan("p1")
    assert migration.cli("apply", str(first), "--auto-approve") == 0
    migration.onboard_identity(plan1, "wave-1")
    second, _ = migration.plan("p2")
    capsys.readouterr()

    assert migration.cli("status", str(second), "--format", "json") == 0

    shown = json.loads(capsys.readouterr().out)["tenants"]
    assert canary_tenant(plan1) in shown


def test_rolling_back_under_a_later_plan_is_refused_naming_it_then_all_restores_exactly(
    migration: Migration, capsys: pytest.CaptureFixture[str]
) -> None:
    first, plan1 = migration.plan("p1")
    assert migration.cli("apply", str(first), "--auto-approve") == 0
    migration.onboard_identity(plan1, "wave-1")
    second, _ = migration.plan("p2")
    assert migration.cli("apply", str(second), "--auto-approve") == 0  # p2's first pending
    applied = migration.tenants()
    capsys.readouterr()

    refused = migration.cli(
        "rollback", str(first), "--cohort", "canary", "--auto-approve", "--allow-irreversible"
    )

    message = one_line(capsys.readouterr().err)
    assert refused == 1
    assert "later plans' applied cohorts build on what it made" in message
    assert str(second) in message
    assert f"sesmigrate rollback {second} --cohort" in message
    assert migration.tenants() == applied
    everything = migration.cli(
        "rollback", str(first), "--cohort", "all", "--auto-approve", "--allow-irreversible"
    )
    assert everything == 0
    assert migration.tenants() == migration.before


def test_rolling_back_the_later_plan_first_is_allowed(migration: Migration) -> None:
    first, plan1 = migration.plan("p1")
    assert migration.cli("apply", str(first), "--auto-approve") == 0
    migration.onboard_identity(plan1, "wave-1")
    second, _ = migration.plan("p2")
    assert migration.cli("apply", str(second), "--auto-approve") == 0

    assert migration.cli("rollback", str(second), "--auto-approve", "--allow-irreversible") == 0
    with_canary = migration.tenants()
    assert migration.cli("rollback", str(first), "--auto-approve", "--allow-irreversible") == 0

    assert canary_tenant(plan1) in with_canary
    assert migration.tenants() == migration.before


@pytest.mark.parametrize("command", ["apply", "status", "rollback"])
def test_a_state_that_did_not_make_the_migrations_tenants_refuses(
    migration: Migration, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, plan1 = migration.plan("p1")
    assert migration.cli("apply", str(first), "--auto-approve") == 0
    applied = migration.tenants()
    capsys.readouterr()
    elsewhere = migration.tmp / "another-operator" / "state"

    flags = {"apply": ("--auto-approve",), "status": (), "rollback": ("--auto-approve",)}
    code = migration.cli(command, str(first), *flags[command], state=elsewhere)

    message = one_line(capsys.readouterr().err)
    assert code == 1
    assert "this migration's state is elsewhere" in message
    assert canary_tenant(plan1) in message
    assert migration.tenants() == applied


def test_planning_from_a_state_that_did_not_make_the_tenants_refuses(
    migration: Migration, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = migration.plan("p1")
    assert migration.cli("apply", str(first), "--auto-approve") == 0
    capsys.readouterr()
    target = migration.tmp / "elsewhere.plan.json"

    code = migration.cli(
        "plan", str(migration.spec), "-o", str(target), state=migration.tmp / "other-state"
    )

    assert code == 1
    assert "this migration's state is elsewhere" in one_line(capsys.readouterr().err)
    assert not target.exists()


def test_a_default_migration_name_is_a_warning_asking_for_a_real_one(
    migration: Migration, capsys: pytest.CaptureFixture[str]
) -> None:
    target = migration.tmp / "default.plan.json"

    assert migration.cli("plan", "--strategy", "tiered", "-o", str(target)) == 0

    out = capsys.readouterr().out
    assert "the migration is named 'tiered' after its strategy" in out
