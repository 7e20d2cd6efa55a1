"""Calls a stopped run may still have in flight are waited out before its intents are trusted."""

from pathlib import Path
from typing import Any

from sesmigrate.aws.clients import AwsSettings, make_clients
from sesmigrate.running.apply import RunOptions, run_apply
from sesmigrate.running.executor import Progress
from sesmigrate.running.inflight import Heartbeat, in_flight_until
from sesmigrate.running.rollback import reappeared, run_rollback
from sesmigrate.state.journal import APPLY, SqliteJournal, migration_journal_path
from tests.running.test_apply import Journey
from tests.running.test_soak import FakeWallClock

CHECKSUM = "sha256:" + "0" * 64
MUTATING = ("CreateTenant", "DeleteTenant", "DeleteTenantResourceAssociation")


def test_heartbeat_dates_sends_with_the_senders_bound_at_most_once_a_second(
    emulator: Any, tmp_path: Path
) -> None:
    journal = SqliteJournal(tmp_path / "j.db", CHECKSUM)
    time = FakeWallClock(now=1000.0)
    clients = make_clients(
        AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url, read_timeout=30.0)
    )
    Heartbeat(journal, time.clock().now, clients_in_flight := 40.0).attach_all(clients)

    clients.ses.list_tenants()
    first = journal.in_flight_until()
    time.now += 0.5
    clients.ses.list_tenants()
    unchanged = journal.in_flight_until()
    time.now += 1.5
    clients.ses.list_tenants()

    assert first == unchanged == 1000.0 + 1.0 + clients_in_flight
    assert journal.in_flight_until() == 1002.0 + 1.0 + clients_in_flight


def test_only_interrupted_intents_make_a_run_wait(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db", CHECKSUM)
    journal.note_in_flight(2000.0)
    assert in_flight_until(journal) is None  # every call answered: nothing in flight

    journal.intent("create_tenant:acme", APPLY, "canary")

    assert in_flight_until(journal) == 2000.0


def killed_mid_call(journey: Journey, until: float) -> None:
    """What a run killed with a call in flight leaves: an intent without an outcome and
    the date its last request may land by."""
    path = migration_journal_path(
        journey.state, journey.plan.account, journey.plan.region, journey.plan.migration
    )
    journal = SqliteJournal(path, journey.plan.checksum)
    step = next(s for s in journey.plan.steps if s.cohort == "wave-1")
    journal.intent(step.action.key, APPLY, "wave-1")
    journal.note_in_flight(until)
    journal.close()


def options(journey: Journey, time: FakeWallClock, **more: Any) -> RunOptions:
    return RunOptions(
        plan_path=journey.path,
        aws=AwsSettings(region="us-east-1", endpoint_url=journey.emulator.endpoint_url),
        state_dir=journey.state,
        clock=time.clock(),
        skip_gates=True,
        **more,
    )


def test_rollback_after_a_kill_waits_out_the_calls_in_flight_before_its_first_change(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    time = FakeWallClock()
    run_apply(options(journey, time), journey.plan, lambda *_: None, lambda _: None, Progress())
    killed_mid_call(journey, until=time.now + 30.0)
    time.now += 10.0
    admitted_while_waiting: list[dict[str, int]] = []
    time.during_sleep = lambda: admitted_while_waiting.append(
        dict(emulator.control.stats()["by_operation"])
    )
    before = dict(emulator.control.stats()["by_operation"])

    run_rollback(options(journey, time, cohort="all"), journey.plan, lambda _: None, Progress())

    assert time.slept == [20.0]
    [during] = admitted_while_waiting
    assert all(during.get(op, 0) == before.get(op, 0) for op in MUTATING)
    assert journey.tenants() == journey.before


def test_apply_waits_out_a_killed_runs_calls_only_while_they_may_still_land(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    time = FakeWallClock()
    run_apply(options(journey, time), journey.plan, lambda *_: None, lambda _: None, Progress())
    killed_mid_call(journey, until=time.now - 1.0)

    run_apply(options(journey, time), journey.plan, lambda *_: None, lambda _: None, Progress())

    assert time.slept == []


def test_a_dry_run_never_waits(emulator: Any, tmp_path: Path) -> None:
    journey = Journey(emulator, tmp_path)
    time = FakeWallClock()
    run_apply(options(journey, time), journey.plan, lambda *_: None, lambda _: None, Progress())
    killed_mid_call(journey, until=time.now + 30.0)

    run_apply(
        options(journey, time, dry_run=True),
        journey.plan,
        lambda *_: None,
        lambda _: None,
        Progress(),
    )

    assert time.slept == []


def test_the_end_state_check_names_a_tenant_that_exists_again_after_its_deletion(
    emulator: Any,
) -> None:
    emulator.ses.create_tenant(TenantName="ghost")
    undone = ["create_tenant:ghost", "create_tenant:gone", "attach:ghost|arn"]

    [(key, message)] = reappeared(emulator.ses, undone)

    assert key == "create_tenant:ghost"
    assert "tenant ghost exists again after this rollback deleted it" in message
    assert reappeared(emulator.ses, ["attach:ghost|arn"]) == []
