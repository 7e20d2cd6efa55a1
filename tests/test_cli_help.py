"""`--help` at 80 columns: every option name whole, values named by words, not Python types."""

import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from sesmigrate.cli import app

COMMANDS = sorted(get_command(app).commands)
PYTHON_TYPES = re.compile(r"<(?:bool|str|int|float|list\[[^>]*\]|path)[^>]*>")


def help_at_80(*argv: str) -> str:
    result = CliRunner().invoke(app, [*argv, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_fits_80_columns_with_whole_option_names(command: str) -> None:
    text = help_at_80(command)
    options = [
        name
        for param in get_command(app).commands[command].params
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("--")
    ]

    assert max(len(line) for line in text.splitlines()) <= 80
    assert not [line for line in text.splitlines() if line.endswith(("…", "..."))]
    missing = [name for name in options if not re.search(rf"{re.escape(name)}(?![\w-])", text)]
    assert not missing, f"{command} --help lacks whole option names {missing}:\n{text}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_names_values_by_words_not_python_types(command: str) -> None:
    text = help_at_80(command)

    assert not PYTHON_TYPES.search(text), text
    assert "[default: no-" not in text


def test_help_names_values_by_what_they_hold() -> None:
    text = help_at_80("plan")

    for shown in ("--canary N", "--op-rate OP=N", "--adopt TENANT", "--state-dir DIR"):
        assert shown in text
    assert "--detailed-exitcode / --no-detailed-exitcode" in text


def test_command_list_gives_each_command_its_whole_first_sentence() -> None:
    text = " ".join(help_at_80().split())

    assert "Clear the account and region's apply lock when its holder is gone" in text
    assert "..." not in text.split("Commands:", 1)[1]
