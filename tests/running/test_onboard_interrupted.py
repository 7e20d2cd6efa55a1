"""onboard against a real run at a chosen point: a killed onboarding resumed, and a sign-up
beside a running apply.

The point is chosen by the emulator, not by timing: the server runs in this process
(`EmulatorServer`, as the demo embeds it) under a `Holding` traffic policy that stops every
call of one operation at the door, before it touches the account, and says so with an
event. The test then kills the caller (SIGKILL) or lets it wait, and opens the door: the
held calls then either go on to the account (their answers reach nobody) or fail there,
having changed nothing.
"""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.core.base_backend import BackendDict

from sesmigrate.emulator.control import LocalControl
from sesmigrate.emulator.exceptions import ServiceUnavailable
from sesmigrate.emulator.models import set_auto_verify
from sesmigrate.emulator.server import EmulatorServer
from sesmigrate.emulator.traffic import TrafficPolicy, set_policy
from sesmigrate.running import onboard as onboarding
from sesmigrate.state.journal import SqliteJournal, migration_journal_path
from sesmigrate.state.lock import ApplyLock, ApplyLockedError
from tests.conftest import ACCOUNT, REGION, Emulator, client
from tests.running.test_apply import Journey, one_line
from tests.running.test_onboard import api, new_customer, where

DEADLINE_S = 120.0
"""How long a test waits for an event before it fails: far beyond any machine's need."""


class Holding(TrafficPolicy):
    """Every call of `operation` waits at the door until `opened`; `reached` is set by the
    first. Once open, the held calls go on (`admit_held`) or fail before the change."""

    def __init__(self, operation: str) -> None:
        super().__init__()
        self.operation = operation
        self.reached = threading.Event()
        self.opened = threading.Event()
        self.admit_held = True
        self.held = 0
        self.settled = 0
        """Held calls that, the door open, failed or made their change."""
        self.all_settled = threading.Event()
        """Set once the door is open and every held call has settled."""
        self._count_lock = threading.Lock()

    def admit(self, account: str, operation: str) -> None:
        with self._count_lock:
            holding = operation == self.operation and not self.opened.is_set()
            self.held += holding
        if not holding:
            super().admit(account, operation)
            return
        self.reached.set()
        assert self.opened.wait(DEADLINE_S), f"{operation} held past the test's deadline"
        if not self.admit_held:
            self._settle()
            raise ServiceUnavailable("Service unavailable (held, then failed by the test).")
        super().admit(account, operation)

    def lose(self, operation: str) -> Any:
        """Called once a successful call made its change: a held one has then settled."""
        if operation == self.operation:
            with self._count_lock:
                self.settled += self.held > self.settled
                self._check_settled()
        return super().lose(operation)

    def _settle(self) -> None:
        with self._count_lock:
            self.settled += 1
            self._check_settled()

    def _check_settled(self) -> None:
        if self.opened.is_set() and self.settled == self.held:
            self.all_settled.set()

    def open(self, admit_held: bool = True) -> None:
        """Let the held calls go on (or fail), for good."""
        with self._count_lock:
            self.admit_held = admit_held
            self.opened.set()
            self._check_settled()


@pytest.fixture
def local_server() -> Iterator[Emulator]:
    """An emulator server in this process, so the test sets its traffic policy itself."""
    BackendDict.reset()
    verifying = set_auto_verify(True)
    previous = set_policy(TrafficPolicy())
    with EmulatorServer() as server:
        yield Emulator(
            "http", client("sesv2", server.url), LocalControl(REGION, ACCOUNT), server.url
        )
    set_policy(previous)
    set_auto_verify(verifying)
    BackendDict.reset()


def hold(operation: str) -> Holding:
    policy = Holding(operation)
    set_policy(policy)
    return policy


def cli_process(journey: Journey, *args: str) -> "subprocess.Popen[str]":
    """`sesmigrate ARGS` against the journey's emulator and state, as its own process."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return subprocess.Popen(
        [sys.executable, "-m", "sesmigrate.cli", *args, *where(journey)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def migrated(emulator: Emulator, tmp_path: Path) -> Journey:
    journey = Journey(emulator, tmp_path)
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    return journey


def arns(journey: Journey, tenant: str) -> list[str]:
    """The tenant's associations as listed, repeats kept (a doubled one would show twice)."""
    held = journey.ses.list_tenant_resources(TenantName=tenant)["TenantResources"]
    return sorted(r["ResourceArn"] for r in held)


def wait_for(event: threading.Event) -> None:
    assert event.wait(DEADLINE_S), "the event did not come within the test's deadline"


WANTED = (
    f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/killedco-cs",
    f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/killedco.example.com",
)
"""The killed customer's associations: its identity and its default configuration set."""


@pytest.mark.parametrize(
    "held_call_lands", [True, False], ids=["held-call-lands", "held-call-fails"]
)
@pytest.mark.parametrize(
    "killed_in",
    ["CreateTenant", "CreateTenantResourceAssociation"],
    ids=["in-create-tenant", "in-an-association"],
)
def test_a_killed_onboarding_is_resumed_by_the_next_run_doubling_nothing_and_rolls_back_exactly(
    local_server: Emulator, tmp_path: Path, killed_in: str, held_call_lands: bool
) -> None:
    """Killed (SIGKILL) with a call journaled as intended and not answered, which the
    emulator then lets land or fails: the next run resumes that onboarding's own plan,
    reports what the killed run journaled done as found, finishes the rest (one tenant,
    each association once), leaves no intent without an outcome (which would make every
    later run of the migration wait out the killed run's calls), and the onboarding's
    rollback restores the account exactly."""
    journey = migrated(local_server, tmp_path)
    before = journey.tenants()
    new_customer(journey, "killedco")
    door = hold(killed_in)
    child = cli_process(journey, "onboard", str(journey.path), "--customer", "killedco")
    wait_for(door.reached)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=DEADLINE_S) == -signal.SIGKILL
    door.open(admit_held=held_call_lands)
    wait_for(door.all_settled)  # what the killed run's last calls did is done
    [killed_plan] = (journey.state / "onboardings").glob("*.plan.json")
    listed = {t["TenantName"] for t in journey.ses.list_tenants()["Tenants"]}
    assert ("killedco" in listed) == (killed_in != "CreateTenant" or held_call_lands)

    resumed = api(journey, "killedco")

    assert set(journey.tenants()) - set(before) == {"killedco"}
    assert arns(journey, "killedco") == sorted(WANTED)  # each once
    assert resumed.plan_path == killed_plan  # the killed run's plan, resumed
    creates = {"create tenant killedco"}
    associates = {_associate(arn) for arn in WANTED}
    # journaled done by the killed run: found; an interrupted call, whether it had landed
    # or not, and what was never tried: made (the onboarding's, which its rollback undoes)
    journaled_done = creates if killed_in != "CreateTenant" else set()
    assert _tenant_lines(resumed.found) == journaled_done
    assert _tenant_lines(resumed.made) == (creates | associates) - journaled_done
    assert interrupted_intents(journey) == []
    assert not api(journey, "killedco").changed

    undo = ["rollback", str(killed_plan), "--auto-approve", "--allow-irreversible"]
    assert onboarding_cli(journey, *undo, "--cohort", "onboard-killedco") == 0
    assert journey.tenants() == before


def _tenant_lines(lines: tuple[str, ...]) -> set[str]:
    """The creation (without its suppression details) and the associations."""
    return {
        "create tenant killedco" if line.startswith("create tenant killedco") else line
        for line in lines
        if line.startswith(("create tenant", "associate"))
    }


def _associate(arn: str) -> str:
    return f"associate {arn.split(':')[-1]} with killedco"


def interrupted_intents(journey: Journey) -> list[Any]:
    plan = journey.plan
    path = migration_journal_path(journey.state, plan.account, plan.region, plan.migration)
    journal = SqliteJournal(path, plan.checksum)
    try:
        return journal.interrupted()
    finally:
        journal.close()


def onboarding_cli(journey: Journey, *args: str) -> int:
    from sesmigrate.cli import main

    return main([*args, *where(journey)])


def test_a_sign_up_behind_a_running_apply_waits_its_bounded_time_says_so_and_changes_nothing(
    local_server: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real apply held inside its canary by the emulator holds the account's lock: the
    onboarding waits its `--lock-wait`, refuses in one line naming the apply and the wait,
    and once the apply has finished the same onboarding succeeds."""
    journey = Journey(local_server, tmp_path)
    new_customer(journey, "signup")
    door = hold("CreateTenant")
    applying = journey.apply_process()
    wait_for(door.reached)
    untouched = journey.tenants()
    capsys.readouterr()

    code = journey.run("onboard", "--customer", "signup", "--lock-wait", "0.2")

    refusal = one_line(capsys.readouterr().err)
    assert code == 1
    assert f"pid {applying.pid}" in refusal and f"plan {journey.plan.checksum[:19]}" in refusal
    assert "after waiting 0.2s" in refusal
    assert journey.tenants() == untouched
    assert not (journey.state / "onboardings").exists()
    door.open()
    assert applying.wait(timeout=DEADLINE_S) == 0, applying.communicate()
    assert journey.run("onboard", "--customer", "signup") == 0
    assert "signup" in journey.tenants()


def test_a_sign_up_waiting_on_a_running_apply_proceeds_once_the_apply_finishes_within_its_wait(
    local_server: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The onboarding is seen waiting on the lock (an event from the lock it takes), the
    apply is then let through, and the onboarding goes on by itself and succeeds."""
    journey = Journey(local_server, tmp_path)
    new_customer(journey, "patient")
    door = hold("CreateTenant")
    applying = journey.apply_process()
    wait_for(door.reached)
    waiting = threading.Event()

    class SeenWaiting(ApplyLock):
        def __enter__(self) -> ApplyLock:
            waiting.set()
            return super().__enter__()

    monkeypatch.setattr(onboarding, "ApplyLock", SeenWaiting)
    outcome: list[Any] = []
    signing_up = threading.Thread(
        target=lambda: outcome.append(_or_error(lambda: api(journey, "patient", lock_wait=600)))
    )
    signing_up.start()
    wait_for(waiting)
    assert not outcome and "patient" not in journey.tenants()  # the apply still holds it

    door.open()
    assert applying.wait(timeout=DEADLINE_S) == 0, applying.communicate()
    signing_up.join(DEADLINE_S)

    [result] = outcome
    assert not isinstance(result, BaseException), result
    assert result.tenant_name == "patient" and result.changed
    assert set(journey.tenants()) - set(journey.before) == {
        "patient",
        *(t.name for t in journey.plan.tenants),
    }


def _or_error(call: Any) -> Any:
    try:
        return call()
    except (ApplyLockedError, Exception) as error:
        return error
