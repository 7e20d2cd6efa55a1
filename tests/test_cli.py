"""The command line contract: exit codes and one-line errors."""

import subprocess
import sys

import pytest

from sesmigrate import __version__
from sesmigrate.cli import main

CONTRACT = ("scan", "plan", "show", "apply", "rollback", "status", "unlock", "demo", "emulator")


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {text!r}"
    return lines[0]


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0

    assert capsys.readouterr().out.strip() == f"sesmigrate {__version__}"


def test_no_arguments_shows_help_listing_every_contract_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0

    out = capsys.readouterr().out
    assert all(command in out for command in CONTRACT)


@pytest.mark.parametrize(
    "command", ["scan", "plan", "show", "apply", "rollback", "status", "unlock"]
)
def test_unbuilt_command_exits_1_with_one_line(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--region", "eu-west-1"]) == 1

    captured = capsys.readouterr()
    assert "not available in this version yet" in one_line(captured.err)
    assert command in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["no-such-command"], "No such command"),
        (["emulator", "--port", "abc"], "--port"),
        (["emulator", "--op-rate", "CreateTenant"], "OPERATION=RATE"),
        (["emulator", "--op-rate", "CreateTenants=1"], "not an SES v2 operation"),
        (["emulator", "--op-rate", "CreateTenant=-1"], "positive"),
        (["emulator", "--fault-rate", "2"], "--fault-rate"),
        (["demo", "--customers", "0"], "--customers"),
    ],
)
def test_usage_error_exits_1_with_one_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1

    assert words in one_line(capsys.readouterr().err)


def test_console_script_maps_errors_to_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sesmigrate.cli", "plan"], capture_output=True, text=True
    )

    assert result.returncode == 1
    assert one_line(result.stderr).startswith("Error:")


def test_demo_reads_the_generated_account_through_the_api(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--customers", "8", "--seed", "2"]) == 0

    out = capsys.readouterr().out
    assert "8 customers" in out
    assert "1 pre-existing tenant(s)" in out
    assert "nothing was written to disk" in out
