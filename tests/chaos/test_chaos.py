"""Short chaos runs: kill -9 apply and rollback at random points, faults, emulator restarts.

The long run is `python -m benchmarks.chaos --kills 50`; these keep CI well inside its budget.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.chaos import chaos, run_to_end, tenants
from benchmarks.emulator_process import emulator_process
from sesmigrate.planning.plan import read_plan
from sesmigrate.state.journal import migration_journal_path

pytestmark = pytest.mark.chaos


def env() -> dict[str, str]:
    """Read when a process starts, so it inherits the test's own SESMIGRATE_LOCK_DIR."""
    return {**os.environ, "AWS_ACCESS_KEY_ID": "chaos", "AWS_SECRET_ACCESS_KEY": "chaos"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sesmigrate.cli", *args], env=env(), capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("kills", "fault_rate", "lost_rate", "seed"),
    [(4, 0.0, 0.0, 1), (3, 0.1, 0.0, 2), (3, 0.3, 0.0, 3), (3, 0.0, 0.3, 4), (3, 0.1, 0.2, 5)],
)
def test_killed_apply_and_rollback_lose_and_double_nothing_and_restore_exactly(
    tmp_path: Path, kills: int, fault_rate: float, lost_rate: float, seed: int
) -> None:
    """Faults before the change and answers lost after it: the final rollback restores the
    full account (tenants' ids, tags, status, policy, suppression and associations, and the
    monitoring with its documents)."""
    result = chaos(kills, seed, tmp_path, customers=8, fault_rate=fault_rate, lost_rate=lost_rate)

    assert (result.kills, result.lost, result.doubled, result.exact) == (kills, 0, 0, True), (
        result.explain()
    )
    faults, lost_answers = result.injected
    assert (faults > 0, lost_answers > 0) == (fault_rate > 0, lost_rate > 0), result.line()


def test_emulator_restarted_mid_apply_keeps_the_account_and_apply_resumes(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "emulator.state"
    server, url = emulator_process(8, "--state-file", str(state_file), "--latency-ms", "100")
    plan = tmp_path / "p.plan.json"
    state = tmp_path / "state"
    common = ["--region", "us-east-1", "--state-dir", str(state)]
    assert cli("plan", "-o", str(plan), "--endpoint-url", url, *common).returncode == 0
    before = tenants(url)
    sealed = read_plan(plan.read_text())
    journal = migration_journal_path(state, sealed.account, sealed.region, sealed.migration)
    applying = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sesmigrate.cli",
            "apply",
            str(plan),
            "--auto-approve",
            "--cohort",
            "all",
            "--endpoint-url",
            url,
            *common,
        ],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    from benchmarks.chaos import journal_rows, wait_until

    wait_until(lambda: journal_rows(journal, "done", "apply") >= 3 or applying.poll() is not None)
    server.terminate()
    assert server.wait(timeout=60) == 0
    _, err = applying.communicate(timeout=300)
    restarted, new_url = emulator_process(8, "--state-file", str(state_file))
    try:
        run_to_end(
            [
                sys.executable,
                "-m",
                "sesmigrate.cli",
                "apply",
                str(plan),
                "--auto-approve",
                "--cohort",
                "all",
                "--endpoint-url",
                new_url,
                *common,
            ],
            env(),
        )
        after_apply = tenants(new_url)
        rolled = cli(
            "rollback",
            str(plan),
            "--auto-approve",
            "--allow-irreversible",
            "--cohort",
            "all",
            "--endpoint-url",
            new_url,
            *common,
        )
        after_rollback = tenants(new_url)
    finally:
        restarted.terminate()
        restarted.wait()

    assert applying.returncode == 1
    assert f"re-run sesmigrate apply {plan} --cohort all --state-dir {state}" in " ".join(
        err.split()
    )
    assert set(after_apply) - set(before) == {t.name for t in sealed.tenants}
    assert rolled.returncode == 0
    assert after_rollback == before


def test_unreachable_emulator_is_one_clear_error_and_the_apply_resumes_later(
    tmp_path: Path,
) -> None:
    server, url = emulator_process(6)
    plan = tmp_path / "p.plan.json"
    state = tmp_path / "state"
    common = ["--region", "us-east-1", "--state-dir", str(state)]
    try:
        assert cli("plan", "-o", str(plan), "--endpoint-url", url, *common).returncode == 0

        down = cli(
            "apply", str(plan), "--auto-approve", "--endpoint-url", "http://127.0.0.1:9", *common
        )
        up = cli("apply", str(plan), "--auto-approve", "--endpoint-url", url, *common)
    finally:
        server.terminate()
        server.wait()

    lines = [line for line in down.stderr.splitlines() if line.strip()]
    assert down.returncode == 1
    assert len(lines) == 1 and "cannot reach http://127.0.0.1:9" in lines[0]
    assert up.returncode == 0
