"""status with the gate's metric conditions on, end to end against the emulator: each shown
tenant's sends and rates over the window the gate would judge, its verdict, each started
cohort's summed verdict, and the note when a cohort's pace will not reach min_sends."""

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.planning.spec import GateSpec, TierGates
from sesmigrate.running.apply import RunOptions, journal_file
from sesmigrate.running.gates import NO_SENDS, AccountRates, pace_note
from sesmigrate.running.soak import WallClock
from sesmigrate.running.status import MetricStatus, run_status
from sesmigrate.state.journal import SqliteJournal
from tests.running.test_gates import canary, send

HTTP = pytest.mark.parametrize("emulator", ["http"], indirect=True)
REMEDY = "(lower min_sends, widen window_seconds, or plan a bigger canary)"


@HTTP
def test_status_json_carries_each_tenants_sends_rates_window_and_verdict(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    first, second = journey.cohort("canary")
    send(journey, first, delivered=15, bounced=5)
    capsys.readouterr()

    code = journey.run("status", "--format", "json", "--detailed-exitcode")

    assert code == 2  # a tenant the metric conditions fail needs attention
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert metrics["conditions"] == {
        "bounce_rate_max": 0.05,
        "complaint_rate_max": 0.001,
        "min_sends": 10,
        "window_seconds": 3600.0,
        "account_bounce_rate_max": 0.05,
        "account_complaint_rate_max": 0.001,
        "tiers": {},
    }
    assert (metrics["account"]["bounce_rate"], metrics["account"]["complaint_rate"]) == (0.25, 0)
    sent = metrics["tenants"][journey.tenant_of(first)]
    assert (sent["sends"], sent["bounces"], sent["complaints"]) == (20.0, 5.0, 0.0)
    assert (sent["bounce_rate"], sent["complaint_rate"]) == (0.25, 0.0)
    assert sent["outcome"] == "fail"
    assert sent["detail"] == "bounce rate 25.00% > 5.00% (5 of 20 sends)"
    assert sent["window"]["start"] < sent["window"]["end"]
    silent = metrics["tenants"][journey.tenant_of(second)]
    assert (silent["sends"], silent["outcome"], silent["detail"]) == (0.0, "inconclusive", NO_SENDS)
    assert metrics["cohorts"]["canary"]["sends"] == 20.0
    assert metrics["cohorts"]["canary"]["outcome"] == "fail"


@HTTP
def test_status_text_tells_a_tenant_without_sends_from_one_with_too_few(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path)
    first, second = journey.cohort("canary")
    send(journey, first, delivered=3)
    capsys.readouterr()

    assert journey.run("status", "--detailed-exitcode") == 0  # inconclusive is no failure

    lines = capsys.readouterr().out.splitlines()
    assert "Metric conditions (bounce rate <= 5.00%, complaint rate <= 0.10%, min_sends 10, " in (
        "\n".join(lines)
    )
    low = next(line for line in lines if f"tenant {journey.tenant_of(first)}: incon" in line)
    assert "3 sends, bounce rate 0.00%, complaint rate 0.00% over " in low
    assert low.endswith("; low volume (3 sends < min_sends 10)")
    none = next(line for line in lines if f"tenant {journey.tenant_of(second)}: incon" in line)
    assert none.endswith(f"; {NO_SENDS}")
    assert any(line.startswith("  cohort canary: inconclusive: 3 sends") for line in lines)


def test_status_states_the_tiers_conditions_and_the_account_rates() -> None:
    gates = GateSpec(metrics=True, tiers=(("vip", TierGates(bounce_rate_max=0.01)),))
    status = MetricStatus(gates, (), {}, False, account=AccountRates(0.02, None, (0.0, 60.0)))

    lines = status.lines()

    assert "account bounce rate <= 5.00%, complaint rate <= 0.10%):" in lines[0]
    assert "  tier vip: bounce rate <= 1.00% (and its cohort's sum)" in lines
    assert "  account: bounce rate 2.00%, complaint rate no data points (maximum over 60s " in (
        "\n".join(lines)
    )
    assert status.to_dict()["conditions"]["tiers"] == {"vip": {"bounce_rate_max": 0.01}}


@HTTP
def test_status_says_metrics_null_when_the_spec_leaves_the_conditions_off(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = canary(emulator, tmp_path, spec='name = "quiet"\n')
    capsys.readouterr()

    assert journey.run("status", "--format", "json") == 0

    assert json.loads(capsys.readouterr().out)["metrics"] is None


@HTTP
def test_status_warns_when_a_finished_cohorts_pace_will_not_reach_min_sends(
    emulator: Any, tmp_path: Path
) -> None:
    journey = canary(emulator, tmp_path, spec='name = "slow"\n\n[gates]\nmin_sends = 200\n')
    first, second = journey.cohort("canary")
    send(journey, first, delivered=8)
    send(journey, second, delivered=4)
    options = RunOptions(
        plan_path=journey.path,
        aws=AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
        state_dir=journey.state,
    )
    journal = SqliteJournal(journal_file(options, journey.plan), journey.plan.checksum)
    finished = journal.cohort_finished("canary")
    journal.close()
    assert finished is not None
    later = WallClock(now=lambda: finished + 600)

    report = run_status(replace(options, clock=later), journey.plan)

    assert report.metrics is not None
    assert list(report.metrics.notes) == [
        "cohort canary: 12 sends in 600s; at this pace about 72 by the end of its 3600s "
        f"window, below min_sends 200: its gate will be inconclusive {REMEDY}"
    ]
    assert not report.attention


def test_a_cohort_without_sends_is_said_to_have_senders_yet_to_switch() -> None:
    gates = GateSpec(metrics=True, min_sends=200, window_seconds=3600)

    note = pace_note("canary", 0, 1000.0, 1300.0, gates)

    assert note == (
        "cohort canary: no sends in the 300s since it finished: its senders have not "
        "switched yet, so its gate will be inconclusive"
    )


def test_a_pace_that_reaches_min_sends_or_a_whole_window_short_of_it_is_said_so() -> None:
    gates = GateSpec(metrics=True, min_sends=200, window_seconds=3600)

    assert pace_note("canary", 40, 1000.0, 1600.0, gates) == ""  # 240 by the window's end
    assert pace_note("canary", 250, 1000.0, 1100.0, gates) == ""
    assert pace_note("wave-1", 150, 0.0, 7200.0, gates) == (
        "cohort wave-1: 150 sends in its whole 3600s window, below min_sends 200: its gate "
        f"will be inconclusive {REMEDY}"
    )
