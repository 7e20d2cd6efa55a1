"""Soak as elapsed time since the earlier cohorts finished, on an injected wall clock."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import plan_to_json, read_plan
from sesmigrate.running.apply import RunOptions, StalePlanError, run_apply
from sesmigrate.running.executor import Progress
from sesmigrate.running.soak import (
    SOAK_EXIT_STATUS,
    SoakPendingError,
    WallClock,
    remaining,
    wait_out,
)

in_memory = pytest.mark.parametrize("emulator", ["memory"], indirect=True)
DAY = 86400.0
SPEC = """
name = "soak-test"
strategy = "isolated"

[cohorts]
canary = 2
wave_size = 5

[gates]
soak_seconds = 3600
"""


@dataclass
class FakeWallClock:
    """Wall time that moves only when told to or slept through; `during_sleep` runs at each
    sleep, so a test can look at the world while the run waits."""

    now: float = 1_000_000.0
    slept: list[float] = field(default_factory=list)
    during_sleep: Any = None

    def clock(self) -> WallClock:
        return WallClock(now=lambda: self.now, sleep=self.sleep)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.during_sleep is not None:
            self.during_sleep()
        self.now += seconds


class SoakJourney:
    def __init__(self, emulator: Any, tmp_path: Path) -> None:
        emulator.control.load_realistic_account(12, 5)
        self.emulator = emulator
        spec = tmp_path / "soak.toml"
        spec.write_text(SPEC)
        aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
        plan = make_plan(PlanRequest(spec_path=spec, overrides={}, inventory_path=None, aws=aws))
        self.plan = read_plan(plan_to_json(plan.plan))
        self.path = tmp_path / "soak.plan.json"
        self.path.write_text(plan_to_json(plan.plan))
        self.state = tmp_path / "state"
        self.time = FakeWallClock()
        self.aws = aws

    def apply(self, cohort: str | None = None, wait: bool = False) -> Any:
        options = RunOptions(
            plan_path=self.path,
            aws=self.aws,
            cohort=cohort,
            state_dir=self.state,
            wait=wait,
            clock=self.time.clock(),
        )
        ticks: list[float] = []
        report = run_apply(
            options,
            self.plan,
            lambda *_: None,
            lambda _: None,
            Progress(),
            countdown=lambda _, left: ticks.append(left),
        )
        return report, ticks

    def tenants(self) -> set[str]:
        return {t["TenantName"] for t in self.emulator.ses.list_tenants()["Tenants"]}


def test_remaining_counts_from_the_last_earlier_cohort_to_finish() -> None:
    assert remaining(3600, [100.0, 400.0], now=1000.0) == 3000.0
    assert remaining(3600, [100.0], now=5000.0) == 0.0
    assert remaining(3600, [], now=0.0) == 0.0
    assert remaining(0, [100.0], now=100.0) == 0.0


def test_wait_out_ticks_down_to_zero_without_real_sleep() -> None:
    fake = FakeWallClock(now=0.0)
    ticks: list[float] = []

    wait_out(2.5, fake.clock(), ticks.append)

    assert ticks == [2.5, 1.5, 0.5, 0.0]
    assert fake.now == 2.5


@in_memory
def test_the_next_cohort_is_refused_while_the_soak_runs_and_nothing_changes(
    emulator: Any, tmp_path: Path
) -> None:
    journey = SoakJourney(emulator, tmp_path)
    journey.apply()
    before = journey.tenants()
    journey.time.now += 600

    with pytest.raises(SoakPendingError) as caught:
        journey.apply()

    assert (caught.value.cohort, caught.value.remaining) == ("wave-1", 3000.0)
    assert "has 50m00s to run" in str(caught.value)
    assert journey.tenants() == before
    assert journey.time.slept == []


@in_memory
def test_a_canary_applied_yesterday_needs_no_new_soak_today(emulator: Any, tmp_path: Path) -> None:
    journey = SoakJourney(emulator, tmp_path)
    journey.apply()
    journey.time.now += DAY

    report, ticks = journey.apply()

    assert [name for name, result in report.cohorts if result.ok] == ["wave-1"]
    assert journey.time.slept == [] and ticks == []


@in_memory
def test_wait_counts_down_with_the_lock_free_then_applies(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = SoakJourney(emulator, tmp_path)
    journey.apply()
    journey.time.now += 3590
    free: list[int] = []
    journey.time.during_sleep = lambda: free.append(main(["unlock", "--region", "us-east-1"]))

    report, ticks = journey.apply(wait=True)

    assert [name for name, result in report.cohorts if result.ok] == ["wave-1"]
    assert sum(journey.time.slept) == 10.0 and ticks[0] == 10.0 and ticks[-1] == 0.0
    assert free and set(free) == {0}
    assert "no lock was held" in capsys.readouterr().out


@in_memory
def test_wait_verifies_again_after_the_soak_before_changing_anything(
    emulator: Any, tmp_path: Path
) -> None:
    journey = SoakJourney(emulator, tmp_path)
    journey.apply()
    before = journey.tenants()
    wave = next(c for c in journey.plan.cohorts if c.name == "wave-1").customers[0]
    added: list[str] = []

    def onboard() -> None:
        if not added:
            added.append(wave)
            emulator.ses.create_email_identity(
                EmailIdentity="late-onboarding.example.com",
                Tags=[{"Key": "customer", "Value": wave}],
            )

    journey.time.during_sleep = onboard

    with pytest.raises(StalePlanError):
        journey.apply(wait=True)

    assert journey.tenants() == before


@in_memory
def test_cohort_all_stops_at_a_soak_after_applying_the_first(emulator: Any, tmp_path: Path) -> None:
    journey = SoakJourney(emulator, tmp_path)

    report, _ = journey.apply(cohort="all")

    assert [name for name, _ in report.cohorts] == ["canary"]
    assert report.soak_pending is not None and report.soak_pending.cohort == "wave-1"
    assert report.soak_pending.remaining == 3600.0


@in_memory
def test_apply_exits_with_the_soak_status_and_says_how_long_remains(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = SoakJourney(emulator, tmp_path)
    args = [str(journey.path), "--auto-approve", "--state-dir", str(journey.state)]

    assert main(["apply", *args]) == 0
    code = main(["apply", *args])

    assert code == SOAK_EXIT_STATUS == 3
    err = capsys.readouterr().err
    assert "the 1h00m soak before wave-1 has" in err and "pass --wait" in err
