"""The audit trail: runs that change the account, recorded with who, when, what and result."""

import json
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import plan_to_json
from sesmigrate.state.history import RUNNING, SqliteHistory, describe, history_path

in_memory = pytest.mark.parametrize("emulator", ["memory"], indirect=True)
MOTO_CALLER = "arn:aws:sts::123456789012:user/moto"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_run_is_recorded_when_it_starts_and_completed_when_it_ends(tmp_path: Path) -> None:
    trail = SqliteHistory(tmp_path / "history.sqlite", clock=Clock())
    row = trail.start("apply", "p.plan.json", "sha256:ab", ["next"])
    row.caller("arn:aws:iam::1:user/ops")

    assert [(r.outcome, r.exit_status, r.finished) for r in trail.runs()] == [(RUNNING, None, None)]

    counts = {"name": "canary", "made": 3, "found": 1, "failed": 0, "not_run": 0}
    row.finish("ok", 0, ["canary"], {"cohorts": [counts]}, "")
    (run,) = trail.runs()
    trail.close()

    assert (run.command, run.plan, run.caller, run.cohorts) == (
        "apply",
        "p.plan.json",
        "arn:aws:iam::1:user/ops",
        ("canary",),
    )
    assert (run.started, run.finished, run.outcome, run.exit_status) == (101.0, 102.0, "ok", 0)
    assert run.user and run.host
    assert "canary: 3 made, 1 found, 0 failed, 0 not run" in describe(run)
    assert "by arn:aws:iam::1:user/ops" in describe(run)


def test_runs_from_two_histories_on_one_file_all_land(tmp_path: Path) -> None:
    first, second = (SqliteHistory(tmp_path / "h.sqlite") for _ in range(2))
    first.start("apply", "a", "x", ["next"])
    second.start("rollback", "a", "x", ["all"])

    assert [r.command for r in first.runs()] == ["apply", "rollback"]
    first.close()
    second.close()


class Cli:
    """A migration of the emulated account driven through `main`, in this process."""

    def __init__(self, emulator: Any, tmp_path: Path) -> None:
        emulator.control.load_realistic_account(8, 5)
        aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
        overrides = {"strategy": "isolated", "canary": 2, "wave_size": 5}
        result = make_plan(PlanRequest(None, overrides, None, aws))
        self.path = tmp_path / "m.plan.json"
        self.path.write_text(plan_to_json(result.plan))
        self.state = tmp_path / "state"
        self.endpoint = emulator.endpoint_url

    def run(self, command: str, *args: str, plan: bool = True) -> int:
        where = ["--endpoint-url", self.endpoint] if self.endpoint else []
        target = [str(self.path)] if plan else []
        return main([command, *target, *args, "--state-dir", str(self.state), *where])

    def history(self, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
        capsys.readouterr()
        assert main(["history", "--format", "json", "--state-dir", str(self.state)]) == 0
        runs: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
        return runs


@in_memory
def test_history_names_the_caller_of_an_apply_and_not_a_status(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(emulator, tmp_path)

    assert cli.run("apply", "--auto-approve") == 0
    assert cli.run("status") == 0

    (run,) = cli.history(capsys)
    assert (run["command"], run["caller"], run["outcome"], run["exit_status"]) == (
        "apply",
        MOTO_CALLER,
        "ok",
        0,
    )
    assert run["cohorts"] == ["canary"] and run["plan"] == str(cli.path)
    assert run["result"]["cohorts"][0]["made"] > 0
    assert main(["history", "--state-dir", str(cli.state)]) == 0
    line = capsys.readouterr().out
    assert f"apply {cli.path} [canary] ok (exit 0) by {MOTO_CALLER}" in line


@in_memory
def test_apply_and_rollback_print_their_result_as_json(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(emulator, tmp_path)
    capsys.readouterr()

    assert cli.run("apply", "--auto-approve", "--format", "json") == 0
    applied = json.loads(capsys.readouterr().out)
    assert cli.run("rollback", "--auto-approve", "--allow-irreversible", "--format", "json") == 0
    rolled = json.loads(capsys.readouterr().out)

    assert (applied["command"], applied["outcome"], applied["exit_status"]) == ("apply", "ok", 0)
    (canary,) = applied["cohorts"]
    assert canary["name"] == "canary" and canary["made"] > 0
    assert canary["failed"] == canary["not_run"] == 0
    assert (rolled["command"], rolled["exit_status"]) == ("rollback", 0)
    assert rolled["cohorts"][0]["name"] == "canary"
    assert rolled["cohorts"][0]["made"] == canary["made"]
    assert [r["command"] for r in cli.history(capsys)] == ["apply", "rollback"]


@in_memory
def test_a_refused_run_is_recorded_and_its_json_says_why(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(emulator, tmp_path)
    capsys.readouterr()

    assert cli.run("apply", "--auto-approve", "--cohort", "nope", "--format", "json") == 1

    result = json.loads(capsys.readouterr().out)
    assert (result["outcome"], result["exit_status"], result["cohorts"]) == ("refused", 1, [])
    assert "no cohort 'nope'" in result["message"]
    (run,) = cli.history(capsys)
    assert (run["outcome"], run["cohorts"], run["caller"]) == ("refused", ["nope"], MOTO_CALLER)


@in_memory
def test_nothing_to_do_in_json_is_one_json_object(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(emulator, tmp_path)
    assert cli.run("apply", "--auto-approve", "--cohort", "all") == 0
    capsys.readouterr()

    assert cli.run("apply", "--auto-approve", "--format", "json") == 0

    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == "nothing to do"


def test_history_of_an_empty_state_directory_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--state-dir", str(tmp_path)]) == 0

    assert "No runs recorded" in capsys.readouterr().out
    assert not history_path(tmp_path).exists()
