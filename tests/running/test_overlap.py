"""A cohort's changes run beside its own reads, and are undone when those reads find it stale."""

import threading
from pathlib import Path
from typing import Any

import pytest

import sesmigrate.running.apply as apply_module
from sesmigrate.aws.clients import AwsSettings, Clients
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.running.apply import overlaps
from sesmigrate.running.executor import RunResult
from sesmigrate.running.overlap import ran, run_while_checking
from sesmigrate.running.verification import Halted
from tests.running.test_apply import Journey, one_line

CHANGES = frozenset(
    {
        "CreateTenant",
        "CreateTenantResourceAssociation",
        "DeleteTenant",
        "DeleteTenantResourceAssociation",
        "UpdateReputationEntityPolicy",
    }
)
WAIT = 60.0
"""How long a held read waits for a change before the test gives up on it (a failure)."""


class TestRunWhileChecking:
    def test_passing_reads_leave_the_changes_as_they_ran_and_undo_nothing(self) -> None:
        undone: list[set[str]] = []

        checked = run_while_checking(
            lambda stop: RunResult(made=["a", "b"]),
            lambda halt: None,
            lambda keys: undone.append(keys) or RunResult(),
            threading.Event(),
        )

        assert checked.refusal is None
        assert checked.result.made == ["a", "b"]
        assert undone == []

    def test_a_refusing_check_stops_the_changes_and_undoes_every_action_they_started(
        self,
    ) -> None:
        def change(stop: threading.Event) -> RunResult:
            assert stop.wait(WAIT), "the refusal did not stop the changes"
            return RunResult(made=["a"], found=["b"], failed=[("c", "boom")], interrupted=True)

        def check(halt: threading.Event) -> None:
            raise ValueError("stale")

        undone: list[set[str]] = []
        checked = run_while_checking(
            change,
            check,
            lambda keys: undone.append(keys) or RunResult(made=["a"]),
            threading.Event(),
        )

        assert isinstance(checked.refusal, ValueError)
        assert undone == [{"a", "b", "c"}]
        assert checked.undone is not None and checked.undone.made == ["a"]

    def test_changes_stopped_by_the_operator_halt_the_reads_without_a_verdict(self) -> None:
        halted = []

        def check(halt: threading.Event) -> None:
            halted.append(halt.wait(WAIT))
            raise Halted()

        checked = run_while_checking(
            lambda stop: RunResult(made=["a"], interrupted=True),
            check,
            lambda keys: pytest.fail("nothing is undone after an operator's stop"),
            threading.Event(),
        )

        assert halted == [True]
        assert checked.refusal is None
        assert checked.result.interrupted

    def test_changes_that_crash_halt_the_reads_and_raise(self) -> None:
        reading, finished = threading.Event(), threading.Event()
        halted = []

        def change(stop: threading.Event) -> RunResult:
            assert reading.wait(WAIT)
            raise RuntimeError("journal gone")

        def check(halt: threading.Event) -> None:
            reading.set()
            halted.append(halt.wait(WAIT))
            finished.set()

        with pytest.raises(RuntimeError, match="journal gone"):
            run_while_checking(change, check, lambda keys: RunResult(), threading.Event())
        assert finished.wait(WAIT)
        assert halted == [True]

    def test_ran_counts_made_found_and_failed_actions_but_not_skipped_ones(self) -> None:
        result = RunResult(made=["a"], found=["b"], failed=[("c", "x")], skipped=[("d", "c")])

        assert ran(result) == {"a", "b", "c"}


class HeldReads:
    """Holds every GetEmailIdentity of apply's clients until a change has returned: an apply
    that read before changing would hold them until WAIT ran out."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold: bool = True) -> None:
        self.changed = threading.Event()
        self.released: list[bool] = []
        self.calls: list[str] = []
        self.lock = threading.Lock()
        made = apply_module.make_clients

        def make_clients(settings: AwsSettings) -> Clients:
            clients = made(settings)
            events = clients.ses.meta.events
            if hold:
                events.register("before-call.sesv2.GetEmailIdentity", self.hold)
            events.register("before-call.sesv2", self.note)
            for operation in CHANGES:
                events.register(f"after-call.sesv2.{operation}", self.release)
            return clients

        monkeypatch.setattr(apply_module, "make_clients", make_clients)

    def hold(self, **_: Any) -> None:
        released = self.changed.wait(WAIT if not self.released or all(self.released) else 0)
        with self.lock:
            self.released.append(released)

    def note(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.calls.append(model.name)

    def release(self, **_: Any) -> None:
        self.changed.set()


def test_a_cohorts_changes_start_while_its_own_reads_are_still_pending(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey = Journey(emulator, tmp_path)
    held = HeldReads(monkeypatch)

    assert journey.run("apply", "--auto-approve") == 0

    assert held.released and all(held.released)
    canary = {journey.tenant_of(c) for c in journey.cohort("canary")}
    assert canary <= set(journey.tenants())


def test_reads_that_find_the_plan_stale_after_changes_began_undo_them_exactly(
    emulator: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journey = Journey(emulator, tmp_path)
    customer = journey.cohort("canary")[0]
    identity = next(c for c in journey.plan.customers if c.id == customer).identities[0]
    arn = f"arn:aws:ses:us-east-1:123456789012:identity/{identity}"
    journey.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "customer", "Value": "someone"}])
    held = HeldReads(monkeypatch)

    assert journey.run("apply", "--auto-approve") == 1

    assert held.released and all(held.released)
    assert "CreateTenant" in held.calls
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"customer {customer!r} changed since the plan (removed " in error
    assert "change(s) this run made meanwhile were undone; re-run sesmigrate plan" in error
    assert journey.tenants() == journey.before
    capsys.readouterr()
    assert journey.run("status", "--format", "json") in (0, 2)
    assert '"canary"' in capsys.readouterr().out


def test_cleanup_never_changes_before_its_reads_but_the_cohorts_that_add_do(
    emulator: Any, tmp_path: Path
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
    assert any(s.action.breaks_senders for s in replan.steps_of("cleanup"))

    assert not overlaps(replan, "cleanup")
    assert all(overlaps(replan, c.name) for c in replan.cohorts if c.name != "cleanup")


def test_a_refusal_by_the_lists_changes_nothing_and_is_one_line(
    emulator: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journey = Journey(emulator, tmp_path)
    later = journey.cohort("canary")[0]
    journey.ses.create_email_identity(
        EmailIdentity="late.example.com", Tags=[{"Key": "customer", "Value": later}]
    )
    held = HeldReads(monkeypatch, hold=False)

    assert journey.run("apply", "--auto-approve") == 1

    message = one_line(capsys.readouterr().err)
    assert f"customer {later!r} changed since the plan (added late.example.com)" in message
    assert not CHANGES & set(held.calls)
    assert journey.tenants() == journey.before
