"""apply, rollback and status end to end over HTTP against the emulator's realistic account."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sesmigrate import cli
from sesmigrate.actions.tenant import AttachResource
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.emulator.accounts import HANDMADE_TENANT
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.errors import AwsConfigError
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import CustomerView, checksum_of, plan_to_json, read_plan
from sesmigrate.planning.snapshot import MANAGED_TAG
from sesmigrate.running.apply import RunOptions, StalePlanError, run_apply
from sesmigrate.running.executor import Progress
from sesmigrate.state.journal import (
    APPLY,
    SqliteJournal,
    legacy_journal_path,
    migration_journal_path,
)
from sesmigrate.state.lock import ApplyLock
from tests.state.test_journal import OLD_LAYOUT
from tests.state.test_lock import HOLD

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)
ARN = "arn:aws:ses:us-east-1:123456789012"


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {text!r}"
    return lines[0]


class OnPhase(Progress):
    """Progress that runs `then` as the run enters the phase named `when` (an event, not a
    time), and records every phase entered."""

    def __init__(self, when: str, then: Callable[[], None]) -> None:
        self.when, self.then = when, then
        self.entered: list[str] = []

    @contextmanager
    def phase(self, description: str) -> Iterator[Progress]:
        self.entered.append(description)
        if description == self.when:
            self.then()
        yield self


class Journey:
    """One migration of the realistic account: a plan file, a state dir, the CLI to drive."""

    def __init__(
        self,
        emulator: Any,
        tmp_path: Path,
        customers: int = 12,
        spec: str | None = None,
        **overrides: Any,
    ):
        emulator.control.load_realistic_account(customers, 5)
        self.emulator, self.ses = emulator, emulator.ses
        self.state = tmp_path / "state"
        self.before = self.tenants()
        spec_path = None
        if spec is not None:
            spec_path = tmp_path / "migration.toml"
            spec_path.write_text(spec)
        request = PlanRequest(
            spec_path=spec_path,
            overrides={"strategy": "isolated", "canary": 2, "wave_size": 5, **overrides},
            inventory_path=None,
            aws=AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
        )
        self.result = make_plan(request)
        self.plan = read_plan(plan_to_json(self.result.plan))
        self.path = tmp_path / "migration.plan.json"
        self.path.write_text(plan_to_json(self.result.plan))

    def run(self, command: str, *args: str, region: str = "us-east-1") -> int:
        return main(
            [
                command,
                str(self.path),
                *args,
                "--endpoint-url",
                self.emulator.endpoint_url,
                "--region",
                region,
                "--state-dir",
                str(self.state),
            ]
        )

    def apply_process(self) -> subprocess.Popen[str]:
        """`sesmigrate apply --cohort all` of this journey as its own process (to kill)."""
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        command = [
            sys.executable,
            "-m",
            "sesmigrate.cli",
            "apply",
            str(self.path),
            "--auto-approve",
            "--cohort",
            "all",
            "--parallelism",
            "2",
            "--endpoint-url",
            self.emulator.endpoint_url,
            "--region",
            "us-east-1",
            "--state-dir",
            str(self.state),
        ]
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def tenants(self) -> dict[str, tuple[str, frozenset[str]]]:
        """Every tenant with its id and its resources."""
        found = {}
        for tenant in self.ses.list_tenants()["Tenants"]:
            name = tenant["TenantName"]
            resources = self.ses.list_tenant_resources(TenantName=name)["TenantResources"]
            found[name] = (tenant["TenantId"], frozenset(r["ResourceArn"] for r in resources))
        return found

    def tenant_of(self, customer: str) -> str:
        return next(c.tenant for c in self.plan.customers if c.id == customer)

    def cohort(self, name: str) -> tuple[str, ...]:
        return next(c.customers for c in self.plan.cohorts if c.name == name)

    def send_as(self, customer: str) -> None:
        view = next(c for c in self.plan.customers if c.id == customer)
        domain = next(i for i in view.identities if "@" not in i)
        self.ses.send_email(
            FromEmailAddress=f"news@{domain}",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            TenantName=view.tenant,
        )


def test_apply_canary_moves_only_the_canary_customers(emulator: Any, tmp_path: Path) -> None:
    journey = Journey(emulator, tmp_path)

    assert journey.run("apply", "--auto-approve") == 0

    canary = set(journey.cohort("canary"))
    made = set(journey.tenants()) - set(journey.before)
    assert made == {journey.tenant_of(c) for c in canary}
    for customer in canary:
        journey.send_as(customer)


def test_full_journey_apply_send_replan_rollback_restores_exactly(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    handmade = journey.before[HANDMADE_TENANT]

    assert journey.run("apply", "--auto-approve") == 0
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    for customer in journey.result.ownership.customers:
        journey.send_as(customer.id)
    replan = make_plan(
        PlanRequest(
            None,
            {"strategy": "isolated", "canary": 2, "wave_size": 5},
            None,
            AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
        )
    ).plan
    assert journey.run("rollback", "--cohort", "all", "--auto-approve", "--allow-irreversible") == 0

    assert replan.steps == ()
    assert journey.tenants() == journey.before
    assert journey.tenants()[HANDMADE_TENANT] == handmade


def test_apply_without_cohort_runs_the_next_pending_one_and_then_says_nothing_to_do(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path, customers=6)
    cohorts = [c.name for c in journey.plan.cohorts]

    for _ in cohorts:
        assert journey.run("apply", "--auto-approve") == 0
    assert journey.run("apply", "--auto-approve") == 0

    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines() if " made, " in line] == cohorts
    assert "Nothing to do: every cohort is applied" in out


def test_apply_cleanup_of_a_plan_without_removals_exits_0_saying_there_is_nothing_to_clean_up(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path, customers=6)
    assert "cleanup" not in [c.name for c in journey.plan.cohorts]

    assert journey.run("apply", "--cohort", "cleanup", "--auto-approve") == 0

    out = capsys.readouterr().out
    assert (
        "Nothing to do: the plan removes no old associations and deletes no tenant, so there "
        "is nothing to clean up"
    ) in " ".join(out.split())
    assert journey.tenants() == journey.before


@pytest.mark.parametrize("command", ["apply", "rollback"])
def test_a_mistyped_cohort_is_one_line_with_did_you_mean(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    journey = Journey(emulator, tmp_path, customers=6)

    assert journey.run(command, "--cohort", "wave1", "--auto-approve") == 1

    line = one_line(capsys.readouterr().err)
    assert "the plan has no cohort 'wave1' (did you mean 'wave-1'?)" in line
    assert journey.tenants() == journey.before


def test_gate_stops_the_next_cohort_when_a_canary_tenant_has_a_high_finding(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    sick = journey.tenant_of(journey.cohort("canary")[0])
    emulator.control.raise_finding(sick, "HIGH")
    before = journey.tenants()
    capsys.readouterr()

    code = journey.run("apply", "--auto-approve")

    assert code == 1
    assert f"health gate failed, 1 tenant(s) unhealthy: {sick}" in one_line(capsys.readouterr().err)
    assert journey.tenants() == before


def test_skip_gates_applies_anyway_and_says_so_loudly(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    emulator.control.raise_finding(journey.tenant_of(journey.cohort("canary")[0]), "HIGH")

    assert journey.run("apply", "--auto-approve", "--skip-gates") == 0

    assert "WARNING: health gate skipped" in capsys.readouterr().err


def test_reinstated_tenant_passes_the_gate_and_is_reported(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    tenant = journey.tenant_of(journey.cohort("canary")[0])
    emulator.control.raise_finding(tenant, "HIGH")
    arn = journey.ses.get_tenant(TenantName=tenant)["Tenant"]["TenantArn"]
    journey.ses.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE", ReputationEntityReference=arn, SendingStatus="REINSTATED"
    )

    assert journey.run("apply", "--auto-approve") == 0

    assert f"Reinstated tenants (passed the gate): {tenant}" in capsys.readouterr().out


def test_reinstated_tenant_fails_the_gate_when_the_spec_disallows_it(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = 'name = "strict-gates"\n\n[gates]\nallow_reinstated = false\n'
    journey = Journey(emulator, tmp_path, spec=spec)
    assert journey.run("apply", "--auto-approve") == 0
    tenant = journey.tenant_of(journey.cohort("canary")[0])
    emulator.control.raise_finding(tenant, "HIGH")
    arn = journey.ses.get_tenant(TenantName=tenant)["Tenant"]["TenantArn"]
    journey.ses.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE", ReputationEntityReference=arn, SendingStatus="REINSTATED"
    )
    before = journey.tenants()
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve") == 1

    line = one_line(capsys.readouterr().err)
    assert f"health gate failed, 1 tenant(s) unhealthy: {tenant} (reinstated)" in line
    assert journey.tenants() == before


class TestRefusals:
    def test_tampered_plan_is_refused_and_nothing_changes(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        text = journey.path.read_text()
        journey.path.write_text(text.replace('"canary"', '"canarx"', 1))

        assert journey.run("apply", "--auto-approve") == 1

        assert "checksum does not match" in one_line(capsys.readouterr().err)
        assert journey.tenants() == journey.before

    def test_plan_for_another_region_is_refused(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)

        assert journey.run("apply", "--auto-approve", region="eu-west-1") == 1

        assert "use --region" in one_line(capsys.readouterr().err)
        assert journey.tenants() == journey.before

    def test_plan_for_another_account_is_refused(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        document = json.loads(journey.path.read_text())
        document["account"] = "999999999999"
        body = {k: v for k, v in document.items() if k != "checksum"}
        journey.path.write_text(json.dumps({**body, "checksum": checksum_of(body)}))

        assert journey.run("apply", "--auto-approve") == 1

        message = one_line(capsys.readouterr().err)
        assert "made for account 999999999999 but the credentials are for 123456789012" in message
        assert journey.tenants() == journey.before

    def test_new_identity_of_a_cohort_customer_makes_the_plan_stale(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        customer = journey.cohort("canary")[0]
        journey.ses.create_email_identity(
            EmailIdentity="late-onboarding.example.com",
            Tags=[{"Key": "customer", "Value": customer}],
        )

        assert journey.run("apply", "--auto-approve") == 1

        message = one_line(capsys.readouterr().err)
        assert "the plan is stale" in message
        assert "late-onboarding.example.com" in message
        assert "re-run sesmigrate plan" in message
        assert journey.tenants() == journey.before

    def test_apply_all_checks_each_cohort_for_staleness_just_before_it_runs(
        self, emulator: Any, tmp_path: Path
    ) -> None:
        journey = Journey(emulator, tmp_path)
        late = journey.cohort("wave-1")[0]

        def onboard() -> None:
            journey.ses.create_email_identity(
                EmailIdentity="late-onboarding.example.com",
                Tags=[{"Key": "customer", "Value": late}],
            )

        options = RunOptions(
            plan_path=journey.path,
            aws=AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
            cohort="all",
            state_dir=journey.state,
        )
        said: list[str] = []
        # the customer onboards after the canary ran, while the run checks wave-1
        progress = OnPhase("Checking wave-1", onboard)

        with pytest.raises(StalePlanError, match=r"late-onboarding\.example\.com"):
            run_apply(options, journey.plan, lambda *shown: None, said.append, progress)

        assert progress.entered == ["Checking canary", "Applying canary", "Checking wave-1"]
        canary = {journey.tenant_of(c) for c in journey.cohort("canary")}
        wave = {journey.tenant_of(c) for c in journey.cohort("wave-1")}
        assert set(journey.tenants()) == set(journey.before) | canary
        assert not wave & set(journey.tenants())

    def test_unrelated_changes_do_not_make_the_plan_stale(
        self, emulator: Any, tmp_path: Path
    ) -> None:
        journey = Journey(emulator, tmp_path)
        journey.ses.create_email_identity(EmailIdentity="somebody-else.example.org")
        journey.ses.create_tenant(TenantName="unrelated-team-tenant")

        assert journey.run("apply", "--auto-approve") == 0

    def test_unmanaged_tenant_taking_a_planned_name_makes_the_plan_stale(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        taken = journey.tenant_of(journey.cohort("canary")[0])
        journey.ses.create_tenant(TenantName=taken)

        assert journey.run("apply", "--auto-approve") == 1

        assert f"tenant {taken} now exists" in one_line(capsys.readouterr().err)

    def test_second_apply_is_refused_while_one_holds_the_lock(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)

        with ApplyLock("123456789012", "us-east-1", "other-plan"):
            code = journey.run("apply", "--auto-approve")

        message = one_line(capsys.readouterr().err)
        assert code == 1
        assert f"pid {os.getpid()}" in message
        assert "other-plan" in message
        assert journey.tenants() == journey.before

    def test_apply_from_another_state_dir_and_directory_is_refused_while_one_holds_the_lock(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        journey = Journey(emulator, tmp_path)
        first = tmp_path / "first-operator"
        first.mkdir()
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, "123456789012", "us-east-1", "plan-of-first"],
            stdin=subprocess.PIPE,
            text=True,
            cwd=first,
            env={**os.environ, "SESMIGRATE_STATE_DIR": str(first / ".sesmigrate")},
        )
        try:
            wait_for(ApplyLock("123456789012", "us-east-1").holder_file.exists)
            monkeypatch.chdir(tmp_path)

            refused = journey.run("apply", "--auto-approve")
            message = one_line(capsys.readouterr().err)
            unlock = main(["unlock", "--endpoint-url", emulator.endpoint_url])
            unlock_message = one_line(capsys.readouterr().err)
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=30)

        assert (refused, unlock) == (1, 1)
        assert f"pid {holder.pid}" in message
        assert "plan plan-of-first" in message
        assert f"pid {holder.pid}" in unlock_message
        assert not (first / ".sesmigrate").exists()
        assert not (journey.state / "locks").exists()
        assert journey.tenants() == journey.before
        assert journey.run("apply", "--auto-approve") == 0

    def test_apply_without_a_terminal_or_auto_approve_is_refused(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)

        assert journey.run("apply") == 1

        assert "no terminal" in one_line(capsys.readouterr().err)
        assert journey.tenants() == journey.before

    def test_rollback_without_a_terminal_or_auto_approve_is_refused(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        assert journey.run("apply", "--auto-approve") == 0
        applied = journey.tenants()

        capsys.readouterr()

        assert journey.run("rollback") == 1

        assert "no terminal" in one_line(capsys.readouterr().err)
        assert journey.tenants() == applied


def test_apply_completes_with_ten_percent_injected_faults(emulator: Any, tmp_path: Path) -> None:
    journey = Journey(emulator, tmp_path)
    emulator.control.set_traffic(TrafficSettings(fault_rate=0.1, seed=3))

    code = journey.run("apply", "--auto-approve", "--cohort", "all")

    emulator.control.set_traffic(TrafficSettings())
    assert code == 0
    assert set(journey.tenants()) - set(journey.before) == {t.name for t in journey.plan.tenants}


def test_rollback_of_a_wave_keeps_the_shared_tenant_the_canary_still_needs(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path, customers=12, strategy="tiered")
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    canary_tenants = {journey.tenant_of(c) for c in journey.cohort("canary")}

    assert (
        journey.run("rollback", "--cohort", "wave-1", "--auto-approve", "--allow-irreversible") == 0
    )

    assert canary_tenants <= set(journey.tenants())
    for customer in journey.cohort("canary"):
        journey.send_as(customer)


def test_status_reports_progress_health_and_drift(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    capsys.readouterr()
    customer = journey.cohort("canary")[0]
    journey.ses.create_email_identity(
        EmailIdentity="onboarded-later.example.com", Tags=[{"Key": "customer", "Value": customer}]
    )

    code = journey.run("status", "--format", "json", "--detailed-exitcode")

    status = json.loads(capsys.readouterr().out)
    assert code == 2
    assert status["cohorts"]["canary"] == "applied"
    assert status["cohorts"]["wave-1"] == "pending"
    assert set(status["tenants"].values()) == {"healthy"}
    assert status["drift"] == [
        f"identity/onboarded-later.example.com of customer {customer!r} is not in tenant "
        f"{journey.tenant_of(customer)}"
    ]


def wait_for(condition: Any, seconds: float = 60.0) -> None:
    """Poll a real condition (not a duration) until it holds, within a deadline."""
    deadline = time.monotonic() + seconds
    tick = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        tick.wait(0.01)


def done_count(journal: Path) -> int:
    if not journal.exists():
        return 0
    with sqlite3.connect(journal) as db:
        try:
            return int(db.execute("SELECT count(*) FROM entries WHERE state='done'").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


@pytest.mark.parametrize("kill_after", [1, 9, 23])
def test_apply_killed_mid_cohort_resumes_then_rollback_restores_exactly(
    emulator: Any, tmp_path: Path, kill_after: int
) -> None:
    journey = Journey(emulator, tmp_path)
    journal = migration_journal_path(
        journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
    )
    emulator.control.set_traffic(TrafficSettings(latency_ms=40))
    child = journey.apply_process()
    wait_for(lambda: done_count(journal) >= kill_after or child.poll() is not None)
    child.send_signal(signal.SIGKILL)
    child.wait()
    emulator.control.set_traffic(TrafficSettings())

    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    assert set(journey.tenants()) - set(journey.before) == {t.name for t in journey.plan.tenants}
    for customer in journey.result.ownership.customers:
        journey.send_as(customer.id)
    assert journey.run("rollback", "--cohort", "all", "--auto-approve", "--allow-irreversible") == 0
    assert journey.tenants() == journey.before


def replan_over(journey: "Journey", emulator: Any) -> int:
    """`sesmigrate plan -o` onto the journey's own plan file."""
    return main(
        [
            "plan",
            "-o",
            str(journey.path),
            "--state-dir",
            str(journey.state),
            "--endpoint-url",
            emulator.endpoint_url,
            "--region",
            "us-east-1",
        ]
    )


def test_plan_refuses_to_overwrite_a_plan_that_has_a_journal(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    sealed = journey.path.read_text()
    capsys.readouterr()

    code = replan_over(journey, emulator)

    assert code == 1
    assert "has a journal" in one_line(capsys.readouterr().err)
    assert journey.path.read_text() == sealed


def test_plan_refuses_to_overwrite_a_plan_applied_into_a_journal_named_with_journal(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    elsewhere = tmp_path / "elsewhere" / "my.journal"
    elsewhere.parent.mkdir()
    assert journey.run("apply", "--auto-approve", "--journal", str(elsewhere)) == 0
    sealed = journey.path.read_text()
    capsys.readouterr()

    code = replan_over(journey, emulator)

    assert code == 1
    assert str(elsewhere) in one_line(capsys.readouterr().err)
    assert journey.path.read_text() == sealed


def test_plan_refuses_to_overwrite_a_plan_applied_from_another_state_directory(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    journey.state = tmp_path / "other-state"
    assert journey.run("apply", "--auto-approve") == 0
    sealed = journey.path.read_text()
    capsys.readouterr()
    journey.state = tmp_path / "state"

    code = replan_over(journey, emulator)

    assert code == 1
    assert "other-state" in one_line(capsys.readouterr().err)
    assert journey.path.read_text() == sealed


def test_plan_overwrites_a_plan_whose_only_apply_was_a_dry_run(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--dry-run", "--journal", str(tmp_path / "j.db")) == 0

    assert replan_over(journey, emulator) == 0


def test_plan_refuses_to_overwrite_a_plan_it_cannot_read_that_has_a_journal(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    capsys.readouterr()
    document = json.loads(journey.path.read_text())
    document["format_version"] = 99
    unreadable = json.dumps(document)
    journey.path.write_text(unreadable)

    code = replan_over(journey, emulator)

    assert code == 1
    assert "has a journal" in one_line(capsys.readouterr().err)
    assert journey.path.read_text() == unreadable


def test_ctrl_c_stops_after_in_flight_calls_and_apply_resumes(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    journal = migration_journal_path(
        journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
    )
    emulator.control.set_traffic(TrafficSettings(latency_ms=40))
    # inside the first wave, not between cohorts: the canary is done, the wave has begun
    inside = len(journey.plan.steps_of("canary")) + 2
    child = journey.apply_process()
    wait_for(lambda: done_count(journal) >= inside)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    emulator.control.set_traffic(TrafficSettings())

    with sqlite3.connect(journal) as db:
        unfinished = db.execute("SELECT count(*) FROM entries WHERE state='intent'").fetchone()[0]
    assert child.returncode == 1
    assert (
        f"interrupted; the journal is intact: re-run sesmigrate apply {journey.path} --cohort all "
        f"--state-dir {journey.state} --region us-east-1 --endpoint-url "
        f"{emulator.endpoint_url} to resume"
    ) in " ".join(err.split())
    assert "not run" in out
    assert "wave-2: not run (" in out
    assert unfinished == 0
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    assert set(journey.tenants()) - set(journey.before) == {t.name for t in journey.plan.tenants}


def test_rolling_back_the_canary_keeps_what_a_still_applied_wave_shares(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path, customers=12, strategy="tiered")
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    wave = journey.cohort("wave-1")

    assert (
        journey.run("rollback", "--cohort", "canary", "--auto-approve", "--allow-irreversible") == 0
    )

    for customer in wave:
        journey.send_as(customer)


def test_a_later_cohort_is_refused_while_an_earlier_one_is_pending(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)

    assert journey.run("apply", "--auto-approve", "--cohort", "wave-1") == 1

    message = one_line(capsys.readouterr().err)
    assert "earlier cohort(s) not applied" in message
    assert "cohort canary is pending" in message
    assert journey.tenants() == journey.before


def test_cleanup_runs_only_after_the_cohorts_that_replace_what_it_removes_and_is_gated(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    spec = tmp_path / "tiered.toml"
    spec.write_text(
        f'name = "{journey.plan.migration}"\nstrategy = "tiered"\ndelete_orphaned_tenants = true\n'
    )
    replan = make_plan(
        PlanRequest(
            spec,
            {"canary": 2, "wave_size": 5},
            None,
            AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
        )
    ).plan
    assert any(s.action.kind == "delete_tenant" for s in replan.steps_of("cleanup"))
    journey.path.write_text(plan_to_json(replan))
    isolated = journey.tenants()
    capsys.readouterr()
    cleanup = ("apply", "--auto-approve", "--allow-irreversible", "--cohort", "cleanup")

    assert journey.run(*cleanup) == 1
    message = one_line(capsys.readouterr().err)
    assert "cleanup removes what the other cohorts replace" in message
    assert "make before break" in message
    assert "cohort canary is pending" in message
    assert journey.tenants() == isolated

    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    sick = replan.tenants[0].name
    emulator.control.set_aws_managed_status(sick, "DISABLED")
    capsys.readouterr()
    assert journey.run(*cleanup) == 1
    assert f"health gate failed, 1 tenant(s) unhealthy: {sick}" in one_line(capsys.readouterr().err)
    emulator.control.set_aws_managed_status(sick, "ENABLED")
    assert journey.run(*cleanup) == 0
    output = capsys.readouterr()
    assert "Health gate passed" in output.out + output.err
    tenants = journey.tenants()
    assert not set(isolated) - set(tenants) - {c.tenant for c in journey.plan.customers}
    for customer in replan.customers:
        held = tenants[customer.tenant][1]
        assert {arn for arn in held if "identity/" in arn} >= {
            f"{ARN}:identity/{name}" for name in customer.identities
        }


def lose_every_answer(emulator: Any, *operations: str) -> None:
    """Every answer of `operations` is lost after SES acted (a 503 botocore retries)."""
    emulator.control.set_traffic(
        TrafficSettings(lost_rate=1.0, lost_kinds=("503",), lost_operations=operations)
    )


def test_a_full_rollback_after_lost_answers_in_apply_and_cleanup_restores_the_account(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path, strategy="tiered")
    lose_every_answer(emulator, "CreateTenant", "CreateTenantResourceAssociation")
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    emulator.control.set_traffic(TrafficSettings())
    move_to_another_tier(journey)
    lose_every_answer(
        emulator,
        "CreateTenant",
        "CreateTenantResourceAssociation",
        "DeleteTenantResourceAssociation",
    )
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    made = journey.tenants()
    assert journey.run("apply", "--auto-approve", "--cohort", "cleanup") == 0
    lose_every_answer(emulator, "CreateTenantResourceAssociation", "DeleteTenant")

    assert journey.run("rollback", "--cohort", "cleanup", "--auto-approve") == 0
    assert journey.tenants() == made
    assert journey.run("rollback", "--cohort", "all", "--auto-approve", "--allow-irreversible") == 0

    emulator.control.set_traffic(TrafficSettings())
    assert journey.tenants() == journey.before


def move_to_another_tier(journey: Journey, spec: Path | None = None) -> CustomerView:
    """Re-tag a customer who shares its tier's tenant into another tier and re-plan (tiered)
    into the journey's plan file: the new plan's cleanup detaches it from its old tenant."""
    sharing = Counter(c.tenant for c in journey.plan.customers)
    mover = next(c for c in journey.plan.customers if sharing[c.tenant] > 1)
    tier = next(c.tier for c in journey.plan.customers if c.tenant != mover.tenant and c.tier)
    for kind, names in (
        ("identity", mover.identities),
        ("configuration-set", mover.configuration_sets),
        ("template", mover.templates),
    ):
        for name in names:
            journey.ses.tag_resource(
                ResourceArn=f"{ARN}:{kind}/{name}", Tags=[{"Key": "tier", "Value": tier}]
            )
    replan = make_plan(
        PlanRequest(
            spec,
            {"strategy": "tiered", "canary": 2, "wave_size": 5},
            None,
            AwsSettings(region="us-east-1", endpoint_url=journey.emulator.endpoint_url),
        )
    ).plan
    assert any(s.action.kind == "detach" for s in replan.steps_of("cleanup"))
    journey.path.write_text(plan_to_json(replan))
    return mover


@pytest.mark.parametrize("state", ["failed", "intent"])
def test_rollback_never_deletes_a_tenant_an_interrupted_creation_did_not_make(
    emulator: Any, tmp_path: Path, state: str
) -> None:
    journey = Journey(emulator, tmp_path)
    taken = journey.tenant_of(journey.cohort("canary")[0])
    journey.ses.create_tenant(TenantName=taken, Tags=[{"Key": "team", "Value": "other"}])
    journal = SqliteJournal(
        migration_journal_path(
            journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
        ),
        journey.plan.checksum,
    )
    key = f"create_tenant:{taken}"
    journal.intent(key, APPLY, "canary")  # the race: another team took the name mid-apply
    if state == "failed":
        journal.failed(key, APPLY, f"ActionConflict: tenant {taken} already exists")
    journal.close()

    assert (
        journey.run("rollback", "--cohort", "canary", "--auto-approve", "--allow-irreversible") == 0
    )

    assert taken in journey.tenants()


ROLL_BACK_CANARY = ("rollback", "--cohort", "canary", "--auto-approve", "--allow-irreversible")


def test_rollback_names_and_keeps_a_migration_tenant_holding_an_association_made_by_hand(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    canary = journey.cohort("canary")
    held, other = journey.tenant_of(canary[0]), journey.tenant_of(canary[1])
    journey.ses.create_email_identity(EmailIdentity="by-hand.example.com")
    by_hand = f"{ARN}:identity/by-hand.example.com"
    journey.ses.create_tenant_resource_association(TenantName=held, ResourceArn=by_hand)
    capsys.readouterr()

    assert journey.run(*ROLL_BACK_CANARY) == 1

    err = capsys.readouterr().err
    assert f"tenant {held} holds 1 association(s) sesmigrate did not make" in err
    assert "by-hand.example.com" in err
    tenants = journey.tenants()
    assert tenants[held][1] == {by_hand}  # ours detached, the hand-made one kept
    assert other not in tenants

    assert journey.run(*ROLL_BACK_CANARY, "--delete-foreign-associations") == 0
    assert journey.tenants() == journey.before


def test_rollback_leaves_a_tenant_whose_migration_tag_was_removed_and_names_it(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    canary = journey.cohort("canary")
    taken, other = journey.tenant_of(canary[0]), journey.tenant_of(canary[1])
    arn = journey.ses.get_tenant(TenantName=taken)["Tenant"]["TenantArn"]
    journey.ses.untag_resource(ResourceArn=arn, TagKeys=[MANAGED_TAG])
    journey.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "team-b"}])
    capsys.readouterr()

    assert journey.run(*ROLL_BACK_CANARY) == 1

    assert f"tenant {taken} is no longer tagged {MANAGED_TAG}" in capsys.readouterr().err
    tenants = journey.tenants()
    assert taken in tenants and other not in tenants


def test_rollback_keeps_an_association_made_by_hand_before_an_interrupted_attach(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    attach = next(
        s.action
        for s in journey.plan.steps
        if s.cohort == "canary" and isinstance(s.action, AttachResource)
    )
    path = migration_journal_path(
        journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
    )
    with sqlite3.connect(path) as db:  # our intent an hour after the association: its maker's
        db.execute(
            "UPDATE entries SET state='intent', made=0, started=started+3600 WHERE key=?",
            (attach.key,),
        )
    db.close()
    capsys.readouterr()

    assert journey.run(*ROLL_BACK_CANARY) == 1

    assert "1 association(s) sesmigrate did not make" in capsys.readouterr().err
    assert journey.tenants()[attach.tenant][1] == {attach.resource_arn}


def test_unlock_clears_a_stale_record_and_refuses_a_live_holder(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "unlock",
        "--endpoint-url",
        emulator.endpoint_url,
        "--region",
        "us-east-1",
    ]
    lock = ApplyLock("123456789012", "us-east-1", "some-plan")
    lock.holder_file.write_text('{"pid": 999999, "host": "gone", "plan": "old"}')

    assert main(args) == 0
    assert "cleared a stale lock record" in capsys.readouterr().out
    with lock:
        assert main(args) == 1
    assert "another apply or rollback holds account 123456789012" in one_line(
        capsys.readouterr().err
    )
    assert main(args) == 0
    assert "no lock was held" in capsys.readouterr().out


def as_one_plan_journal(journey: "Journey") -> Path:
    """Move the journey's journal into the one-plan layout of an earlier version."""
    plan = journey.plan
    journal = migration_journal_path(journey.state, plan.account, plan.region, plan.migration)
    with sqlite3.connect(journal) as db:
        rows = db.execute(
            "SELECT key, direction, cohort, state, made, previous, noted, error, started, "
            "finished FROM entries ORDER BY seq"
        ).fetchall()
    db.close()
    for leftover in journal.parent.glob("journal.sqlite*"):
        leftover.unlink()
    legacy = legacy_journal_path(journey.state, plan.checksum)
    legacy.parent.mkdir(parents=True)
    with sqlite3.connect(legacy) as db:
        db.executescript(OLD_LAYOUT)
        db.execute("INSERT INTO meta VALUES ('plan', ?)", (plan.checksum,))
        db.executemany(
            "INSERT INTO entries (key, direction, cohort, state, made, previous, noted, error, "
            "started, finished) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    db.close()
    return legacy


def test_a_journal_of_an_earlier_version_is_imported_then_resumes_and_rolls_back_exactly(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve") == 0
    legacy = as_one_plan_journal(journey)

    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    assert not legacy.exists()
    assert legacy.with_name(legacy.name + ".imported").exists()
    assert set(journey.tenants()) - set(journey.before) == {t.name for t in journey.plan.tenants}
    assert journey.run("rollback", "--cohort", "all", "--auto-approve", "--allow-irreversible") == 0
    assert journey.tenants() == journey.before


class TestRollbackGuard:
    def test_rollback_auto_approve_refuses_tenant_deletion_without_allow_irreversible(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        assert journey.run("apply", "--auto-approve") == 0
        applied = journey.tenants()
        capsys.readouterr()

        code = journey.run("rollback", "--auto-approve")

        message = capsys.readouterr().err.splitlines()[-1]
        assert code == 1
        assert "irreversible action(s) (delete tenant" in message
        assert "pass --allow-irreversible with --auto-approve" in message
        assert journey.tenants() == applied

    def test_dry_run_apply_changes_nothing_and_leaves_no_journal(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)

        code = journey.run("apply", "--dry-run", "--cohort", "all")

        out = capsys.readouterr().out
        assert code == 0
        assert f"{len(journey.plan.steps) - len(journey.plan.steps_of('cleanup'))} action(s)" in out
        assert "create tenant" in out
        assert "Dry run: nothing was changed." in out
        assert journey.tenants() == journey.before
        assert not migration_journal_path(
            journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
        ).exists()

    def test_apply_confirmation_lists_the_plans_notices_with_their_consequence(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        shared = next(n for n in journey.plan.notices if n.kind == "shared configuration-set")
        canary = set(journey.cohort("canary"))

        code = journey.run("apply", "--dry-run", "--cohort", "canary")

        out = capsys.readouterr().out
        assert code == 0
        assert "Blockers, warnings and notes of the plan:" in out
        assert (
            "  ! warning: identity ops-alerts@example.org: not migrated: it keeps sending "
            "without a tenant" in out
        )
        assert (f"  ! note: {shared.text}" in out) == bool(canary & set(shared.customers))

    def test_dry_run_rollback_lists_every_inverse_as_json_and_changes_nothing(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        journey = Journey(emulator, tmp_path)
        assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
        applied = journey.tenants()
        journal = migration_journal_path(
            journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
        )
        rows = done_count(journal)
        capsys.readouterr()

        code = journey.run("rollback", "--cohort", "all", "--dry-run", "--format", "json")

        document = json.loads(capsys.readouterr().out)
        assert code == 0
        assert document["dry_run"] is True
        assert document["result"] is None
        deletions = [a for a in document["actions"] if a["irreversible"]]
        assert {a["action"].split()[2] for a in deletions} == {t.name for t in journey.plan.tenants}
        assert len(document["actions"]) >= len(journey.plan.tenants) * 2
        assert journey.tenants() == applied
        assert done_count(journal) == rows

    def test_apply_confirmation_summarises_reversible_actions_beyond_its_limit(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        journey = Journey(emulator, tmp_path)
        monkeypatch.setattr(cli, "SHOWN", 2)
        steps = journey.plan.steps_of("canary")

        assert journey.run("apply", "--dry-run", "--cohort", "canary") == 0

        out = capsys.readouterr().out
        listed = [line for line in out.splitlines() if line.startswith(("  +", "  ~", "  -"))]
        assert len(listed) == 2
        assert f"… and {len(steps) - 2} more (" in out
        assert "none irreversible" in out
        assert f"sesmigrate show {journey.path} --cohort canary lists every one" in out

    def test_rollback_preview_summarises_beyond_its_limit(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        journey = Journey(emulator, tmp_path)
        assert journey.run("apply", "--auto-approve") == 0
        monkeypatch.setattr(cli, "SHOWN", 2)
        capsys.readouterr()

        assert journey.run("rollback", "--dry-run") == 0

        out = capsys.readouterr().out
        assert "inverse action(s), newest first" in out
        assert "more (" in out and "--dry-run --format json lists every one" in out
        assert "Dry run: nothing was changed." in out


def test_ses_unreachable_at_a_later_cohorts_gate_ends_with_the_way_to_resume(
    emulator: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journey = Journey(emulator, tmp_path)

    def unreachable(ses: Any, tenants: set[str]) -> tuple[list[str], list[str]]:
        raise AwsConfigError(f"cannot reach {journey.emulator.endpoint_url}: check the network")

    monkeypatch.setattr("sesmigrate.running.apply.unhealthy_tenants", unreachable)

    code = journey.run("apply", "--auto-approve", "--cohort", "all")

    err = " ".join(capsys.readouterr().err.split())
    assert code == 1
    assert "cannot reach" in err
    assert f"the journal is intact: re-run sesmigrate apply {journey.path} --cohort all" in err
    monkeypatch.undo()
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    assert set(journey.tenants()) - set(journey.before) == {t.name for t in journey.plan.tenants}
