"""The installed CLI on a terminal (a pty): prompts a person can read.

`apply` and `rollback` are driven in a pseudo-terminal against the emulator. When the
command waits for its answer (blocked reading the terminal, as /proc says), the prompt must
be the last thing written, and no bar of the apply itself may have been drawn before the
listing the prompt is about. No sleeps: the test reads the pty until the process blocks.
"""

import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from fcntl import ioctl
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.cli import main
from tests.running.test_apply import Journey
from tests.running.test_gates import METRIC_SPEC, send

pytestmark = [
    pytest.mark.parametrize("emulator", ["http"], indirect=True),
    pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc"),
]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")
BAR = "━"


class Terminal:
    """A command of the installed CLI with a pty as its stdin, stdout and stderr."""

    def __init__(self, args: list[str]) -> None:
        self.master, slave = pty.openpty()
        ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("sesmigrate")), *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.output = b""

    def _drain(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.output += chunk
        return bool(chunk)

    def blocked_reading(self) -> bool:
        wchan = Path(f"/proc/{self.process.pid}/wchan").read_text()
        return wchan in ("n_tty_read", "wait_woken")

    def until_waiting_for_input(self, limit: int = 2000) -> str:
        """Read until the process blocks reading its terminal and nothing more is written."""
        for _ in range(limit):
            wrote = self._drain(0.05)
            waiting = not wrote and self.process.poll() is None and self.blocked_reading()
            if waiting and not self._drain(0.05):
                return self.text()
            assert self.process.poll() is None, f"exited early: {self.text()!r}"
        raise AssertionError(f"never waited for input: {self.text()!r}")

    def reply(self, line: str) -> None:
        """Answer a prompt the command will follow with another."""
        os.write(self.master, line.encode() + b"\r")

    def answer(self, line: str) -> int:
        os.write(self.master, line.encode() + b"\r")
        while self._drain(1.0) or self.process.poll() is None:
            pass
        os.close(self.master)
        return self.process.wait(timeout=60)

    def text(self) -> str:
        return self.output.decode("utf-8", "replace")


def cli_args(journey: Journey, command: str) -> list[str]:
    return [
        command,
        str(journey.path),
        "--endpoint-url",
        journey.emulator.endpoint_url,
        "--region",
        "us-east-1",
        "--state-dir",
        str(journey.state),
    ]


def visible(text: str) -> str:
    return ANSI.sub("", text)


def test_apply_prompt_is_the_last_thing_on_screen_and_no_apply_bar_precedes_the_listing(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    terminal = Terminal(cli_args(journey, "apply"))

    screen = terminal.until_waiting_for_input()

    assert visible(screen).rstrip().endswith("Apply these changes? [y/N]:")
    before_listing = screen.split("Cohort(s) canary:", 1)[0]
    assert "Applying" not in visible(before_listing)
    assert BAR not in screen.split("Cohort(s) canary:", 1)[1]
    assert terminal.answer("n") == 1
    assert "Aborted" in visible(terminal.text())
    assert journey.tenants() == journey.before


def test_apply_draws_its_bar_with_counts_only_after_the_answer(
    emulator: Any, tmp_path: Path
) -> None:
    journey = Journey(emulator, tmp_path)
    terminal = Terminal(cli_args(journey, "apply"))
    prompt_at = len(terminal.until_waiting_for_input())

    assert terminal.answer("y") == 0

    after = visible(terminal.text()[prompt_at:])
    actions = len(journey.plan.steps_of("canary"))
    assert re.search(rf"Applying canary .*{BAR}.* {actions}/{actions} ", after)
    assert "canary: " in after and " made" in after


def test_rollback_prompt_is_the_last_thing_on_screen(emulator: Any, tmp_path: Path) -> None:
    journey = Journey(emulator, tmp_path)
    assert main([*cli_args(journey, "apply"), "--auto-approve"]) == 0
    applied = journey.tenants()
    terminal = Terminal(cli_args(journey, "rollback"))

    screen = terminal.until_waiting_for_input()

    assert visible(screen).rstrip().endswith("Roll back? [y/N]:")
    assert BAR not in screen
    assert terminal.answer("n") == 1
    assert journey.tenants() == applied


@pytest.mark.parametrize("reply", ["y", "n"])
def test_an_inconclusive_gate_asks_on_a_terminal_and_goes_on_only_on_yes(
    emulator: Any, tmp_path: Path, reply: str
) -> None:
    journey = Journey(emulator, tmp_path, spec=METRIC_SPEC)
    assert main([*cli_args(journey, "apply"), "--auto-approve"]) == 0
    first = journey.cohort("canary")[0]
    send(journey, first, delivered=3)
    applied = journey.tenants()
    terminal = Terminal(cli_args(journey, "apply"))
    terminal.until_waiting_for_input()
    terminal.reply("y")

    screen = visible(terminal.until_waiting_for_input())

    asked = screen.rsplit("Apply these changes?", 1)[1]
    assert "The health gate is inconclusive: 2 tenant(s) sent too little to judge" in asked
    assert f"{journey.tenant_of(first)} low volume (3 sends < min_sends 10)" in asked
    assert asked.rstrip().endswith("Go on without judging them (as --accept-inconclusive)? [y/N]:")
    assert BAR not in asked.split("inconclusive:", 1)[1]
    code = terminal.answer(reply)
    if reply == "y":
        assert code == 0
        assert "the operator let the gate before wave-1 pass at the prompt" in terminal.text()
        assert journey.tenants() != applied
    else:
        assert code == 1
        assert "health gate inconclusive" in visible(terminal.text())
        assert journey.tenants() == applied
