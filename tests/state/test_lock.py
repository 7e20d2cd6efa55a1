"""The apply lock: one apply or rollback per account and region, its holder named."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesmigrate.state.lock import ApplyLock, ApplyLockedError, lock_dir

ACCOUNT = "123456789012"
REGION = "us-east-1"

HOLD = """
import sys
from sesmigrate.state.lock import ApplyLock

with ApplyLock(sys.argv[1], sys.argv[2], sys.argv[3]):
    sys.stdin.read()
"""
"""Hold the lock until stdin closes (or the process is killed); its folder comes from
SESMIGRATE_LOCK_DIR, inherited."""

TRY = """
import sys
from sesmigrate.state.lock import ApplyLock, ApplyLockedError, lock_dir

try:
    with ApplyLock(sys.argv[1], sys.argv[2], "plan-other"):
        print("acquired")
except ApplyLockedError as exc:
    print(exc)
    sys.exit(3)
"""
"""Try the lock once from another process; print the refusal."""


def wait_for(path: Path, present: bool = True, deadline_s: float = 30.0) -> None:
    """Poll for a file to appear (or go) until a deadline: a real condition, not a sleep."""
    tick = threading.Event()
    deadline = time.monotonic() + deadline_s
    while path.exists() != present:
        assert time.monotonic() < deadline, f"{path} did not {'appear' if present else 'go'}"
        tick.wait(0.01)


@pytest.fixture
def holder_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process, in another working directory, that holds the lock for plan-held
    until stdin closes."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, ACCOUNT, REGION, "plan-held"],
        stdin=subprocess.PIPE,
        text=True,
        cwd=elsewhere,
    )
    wait_for(ApplyLock(ACCOUNT, REGION).holder_file)
    yield process
    if process.poll() is None:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def try_from_another_process(region: str = REGION) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", TRY, ACCOUNT, region],
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestHolding:
    def test_lock_writes_a_holder_record_naming_host_pid_and_plan(self) -> None:
        lock = ApplyLock(ACCOUNT, REGION, "sha256:abcdef")

        with lock:
            record = json.loads(lock.holder_file.read_text())

        assert record["host"] == socket.gethostname()
        assert record["pid"] == os.getpid()
        assert record["plan"] == "sha256:abcdef"
        assert isinstance(record["started"], float)

    def test_lock_removes_its_holder_record_on_exit(self) -> None:
        lock = ApplyLock(ACCOUNT, REGION, "plan-a")

        with lock:
            assert lock.holder_file.exists()

        assert not lock.holder_file.exists()
        with ApplyLock(ACCOUNT, REGION, "plan-b") as again:
            assert json.loads(again.holder_file.read_text())["plan"] == "plan-b"

    def test_lock_removes_its_holder_record_when_the_body_raises(self) -> None:
        lock = ApplyLock(ACCOUNT, REGION, "plan-a")

        with pytest.raises(RuntimeError, match="boom"), lock:
            raise RuntimeError("boom")

        assert not lock.holder_file.exists()
        with ApplyLock(ACCOUNT, REGION, "plan-b"):
            assert lock.holder_file.exists()


class TestRefusal:
    def test_lock_refuses_a_second_holder_in_the_same_process(self) -> None:
        first = ApplyLock(ACCOUNT, REGION, "plan-first")
        second = ApplyLock(ACCOUNT, REGION, "plan-second")

        with first, pytest.raises(ApplyLockedError) as caught, second:
            pass

        error = caught.value
        assert (error.account, error.region) == (ACCOUNT, REGION)
        message = str(error)
        assert "\n" not in message
        assert f"account {ACCOUNT} in {REGION}" in message
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message
        assert "plan plan-first" in message
        assert "sesmigrate unlock" in message

    def test_lock_refuses_another_process_while_held(self) -> None:
        with ApplyLock(ACCOUNT, REGION, "plan-first"):
            refused = try_from_another_process()

        assert refused.returncode == 3, refused.stderr
        assert f"pid {os.getpid()}" in refused.stdout
        assert "plan plan-first" in refused.stdout
        assert "sesmigrate unlock" in refused.stdout

    def test_lock_does_not_block_another_region(self) -> None:
        with ApplyLock(ACCOUNT, REGION, "plan-east"):
            other = try_from_another_process(region="eu-west-1")
            with ApplyLock(ACCOUNT, "eu-west-1", "plan-west") as west:
                assert json.loads(west.holder_file.read_text())["plan"] == "plan-west"

        assert other.returncode == 0, other.stdout + other.stderr
        assert other.stdout.strip() == "acquired"


class TestClear:
    def test_clear_refuses_while_another_process_holds_the_lock(
        self, holder_process: subprocess.Popen[str]
    ) -> None:
        lock = ApplyLock(ACCOUNT, REGION)

        with pytest.raises(ApplyLockedError) as caught:
            lock.clear()

        assert f"pid {holder_process.pid}" in str(caught.value)
        assert "plan plan-held" in str(caught.value)
        assert lock.holder_file.exists()

    def test_clear_removes_a_stale_record_left_by_a_dead_holder(self) -> None:
        lock = ApplyLock(ACCOUNT, REGION)
        stale = {"host": "gone-host", "pid": 999999, "plan": "plan-dead", "started": 0.0}
        lock.holder_file.write_text(json.dumps(stale))

        said = lock.clear()

        assert said == "cleared a stale lock record"
        assert not lock.holder_file.exists()

    def test_clear_says_so_when_no_lock_was_held(self) -> None:
        assert ApplyLock(ACCOUNT, REGION).clear() == "no lock was held"


class TestKilledHolder:
    def test_lock_is_released_when_its_holder_is_killed(
        self, holder_process: subprocess.Popen[str]
    ) -> None:
        lock = ApplyLock(ACCOUNT, REGION, "plan-after")
        with pytest.raises(ApplyLockedError):
            lock.clear()

        os.kill(holder_process.pid, signal.SIGKILL)
        assert holder_process.wait(timeout=30) == -signal.SIGKILL

        assert lock.holder_file.exists()  # the dead holder could not clean up its record
        with lock:
            record = json.loads(lock.holder_file.read_text())
        assert (record["pid"], record["plan"]) == (os.getpid(), "plan-after")


class TestHome:
    def test_lock_dir_is_the_environment_variable_when_set(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SESMIGRATE_LOCK_DIR", str(tmp_path / "machine"))

        with ApplyLock(ACCOUNT, REGION, "plan-a") as lock:
            assert lock.holder_file.parent == tmp_path / "machine"

    def test_lock_dir_defaults_to_the_xdg_state_home(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("SESMIGRATE_LOCK_DIR")
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))

        assert lock_dir() == tmp_path / "xdg" / "sesmigrate" / "locks"

    def test_lock_dir_without_xdg_is_under_home_and_ignores_a_relative_xdg(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("SESMIGRATE_LOCK_DIR")
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.setenv("XDG_STATE_HOME", "relative/state")

        assert lock_dir() == tmp_path / ".local" / "state" / "sesmigrate" / "locks"

    def test_lock_dir_does_not_follow_the_state_dir_or_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        before = lock_dir()
        monkeypatch.setenv("SESMIGRATE_STATE_DIR", str(tmp_path / "other-state"))
        monkeypatch.chdir(tmp_path)

        assert lock_dir() == before
        assert not before.is_relative_to(tmp_path)
