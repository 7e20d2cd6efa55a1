"""A plan's durations per cohort: the plan's facts read into the duration model."""

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.planning.durations import CohortWork, Rates, cohort_estimate, duration
from sesmigrate.planning.estimates import plan_estimate
from sesmigrate.planning.plan import Seen
from tests.report.conftest import small_plan
from tests.running.test_apply import Journey

PLAN = small_plan()


def test_every_cohort_is_estimated_at_the_plans_rates() -> None:
    estimate = plan_estimate(PLAN)

    assert [c.cohort for c in estimate.cohorts] == [c.name for c in PLAN.cohorts]
    assert estimate.rates == PLAN.rates
    assert estimate.seconds == sum(c.seconds for c in estimate.cohorts)
    assert estimate.of("canary").seconds == 4.0


def test_faster_rates_shorten_every_cohort() -> None:
    slow, fast = plan_estimate(PLAN), plan_estimate(PLAN, Rates.given(10.0, {}))

    assert all(f.seconds < s.seconds for f, s in zip(fast.cohorts, slow.cohorts, strict=True))
    assert fast.rates.source == "given"


def test_only_pending_actions_are_counted() -> None:
    canary = PLAN.steps_of("canary")
    done = {s.action.key for s in canary if s.action.kind == "create_tenant"}
    pending = frozenset(s.action.key for s in PLAN.steps) - done

    left = plan_estimate(PLAN, cohorts=("canary",), pending=pending)

    assert [c.cohort for c in left.cohorts] == ["canary"]
    assert "CreateTenant" not in dict(left.of("canary").calls)


def test_list_pages_grow_with_the_account_and_the_tenants_earlier_cohorts_create() -> None:
    names = frozenset(f"id-{n}.example" for n in range(2500))
    big = dataclasses.replace(PLAN, seen=Seen(names, frozenset(), frozenset(), tenants=199))

    calls = {c.cohort: dict(c.calls) for c in plan_estimate(big).cohorts}

    assert calls["canary"]["ListEmailIdentities"] == 3
    assert calls["canary"]["ListTenants"] == 2
    # the canary creates one tenant: 200 listed before wave-1, still two pages
    assert calls["wave-1"]["ListTenants"] == 2 + 2  # verification, then the health gate


def test_apply_says_each_cohorts_duration_and_what_is_left(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = Journey(emulator, tmp_path)
    expected = plan_estimate(journey.plan, Rates.given(50.0, {})).cohorts
    capsys.readouterr()

    assert journey.run("apply", "--auto-approve", "--cohort", "all", "--rate", "50") == 0

    err = capsys.readouterr().err
    for n, cohort in enumerate(expected):
        left = duration(sum(c.seconds for c in expected[n:]))
        assert (
            f"Applying {cohort.cohort} ({n + 1} of {len(expected)}): about "
            f"{duration(cohort.seconds)}, {left} left in this run "
            "at 50 calls/s for the account (given)"
        ) in err


def test_apply_confirmation_gives_each_cohorts_duration(
    emulator: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journey = Journey(emulator, tmp_path)
    canary = plan_estimate(journey.plan, cohorts=("canary",)).of("canary")
    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    capsys.readouterr()

    assert journey.run("apply") == 1

    out = capsys.readouterr().out
    assert (
        f"Duration: canary about {duration(canary.seconds)} at an assumed 1 call/s per operation"
    ) in out
    assert journey.tenants() == journey.before


class _Terminal(io.StringIO):
    """Typed answers on what looks like a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_gate_counts_metric_reads_per_window_only_with_metric_conditions() -> None:
    quiet = {c.cohort: dict(c.calls) for c in plan_estimate(PLAN).cohorts}
    gates = {**PLAN.spec.get("gates", {}), "metrics": True}
    measured = dataclasses.replace(PLAN, spec={**PLAN.spec, "gates": gates})

    calls = {c.cohort: dict(c.calls) for c in plan_estimate(measured).cohorts}

    assert all("GetMetricData" not in c for c in quiet.values())
    assert "GetMetricData" not in calls["canary"]  # nothing before it to judge
    assert calls["wave-1"]["GetMetricData"] == 1  # the canary's tenants share one window
    assert calls["cleanup"]["GetMetricData"] == 1  # wave-1 touched tier-free too: one window


def test_metric_reads_split_at_500_queries_per_call() -> None:
    work = CohortWork("wave-9", 0, 0, 0, (), gated=True, metric_tenants=(166, 167, 0))

    calls = dict(cohort_estimate(work, {}, set(), Rates()).calls)

    assert calls["GetMetricData"] == 1 + 2


def test_repeated_measurements_multiply_the_metric_reads_and_add_their_waits() -> None:
    once = CohortWork("wave-9", 0, 0, 0, (), gated=True, metric_tenants=(10,))
    thrice = dataclasses.replace(once, measurements=3, interval_seconds=300.0)

    one, three = (cohort_estimate(w, {}, set(), Rates()) for w in (once, thrice))

    assert dict(three.calls)["GetMetricData"] == 3 * dict(one.calls)["GetMetricData"] == 3
    assert three.seconds >= one.seconds + 2 * 300.0
