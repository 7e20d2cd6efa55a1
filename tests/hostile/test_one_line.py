"""One line, always: every bad flag, environment value and file-system condition is
answered with one line naming its cause and a non-zero exit, never a traceback, and a bad
flag changes nothing (no state is written before it is refused).

Running as root defeats chmod, so read-only cases are skipped there; a path under a regular
file is not a directory for anyone, and a full disk is simulated by making the write fail
with ENOSPC the way the OS (or SQLite) reports it.
"""

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from sesmigrate.cli import main
from sesmigrate.emulator.accounts import as_inventory, realistic_account

REGION = "us-east-1"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def refused(argv: list[str], *words: str) -> str:
    """The one error line `argv` is refused with, checked to name `words`."""
    status, _, err = run(argv)
    assert status != 0, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("Error: "), err
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def plan_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plan made from an inventory file (no AWS), in its own folder; AWS answers nowhere."""
    folder = tmp_path / "plans"
    folder.mkdir()
    inventory = folder / "inventory.json"
    inventory.write_text(as_inventory(realistic_account(4, 1)).to_json("t"), encoding="utf-8")
    plan = folder / "tiered.plan.json"
    state = ["--state-dir", str(tmp_path / "plan-state")]
    argv = ["plan", "--strategy", "tiered", "--inventory", str(inventory), "-o", str(plan)]
    status, _, err = run([*argv, *state, "--region", REGION])
    assert status == 0, err
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "emulator")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "emulator")
    return plan


BAD_AWS_FLAGS = [
    (["--endpoint-url", "not a url"], "'not a url'"),
    (["--endpoint-url", "http://127.0.0.1:99999"], "port"),
    (["--endpoint-url", "http://127.0.0.1:0"], "port"),
    (["--endpoint-url", "ftp://127.0.0.1:21"], "http://"),
    (["--endpoint-url", "http://:80"], "host"),
    (["--endpoint-url", "http://127.0.0.1:1", "--region", "bad region!!"], "bad region!!"),
]


def commands(plan: Path, state: Path) -> dict[str, list[str]]:
    at = ["--state-dir", str(state)]
    return {
        "scan": ["scan", "-o", str(state.parent / "inventory.json"), *at],
        "plan": ["plan", "--strategy", "tiered", "-o", str(state.parent / "new.plan.json"), *at],
        "apply": ["apply", str(plan), "--auto-approve", *at],
        "status": ["status", str(plan), *at],
        "rollback": ["rollback", str(plan), "--auto-approve", *at],
        "unlock": ["unlock"],
    }


@pytest.mark.parametrize("command", ["scan", "plan", "apply", "status", "rollback", "unlock"])
@pytest.mark.parametrize(("flags", "named"), BAD_AWS_FLAGS)
def test_a_bad_endpoint_or_region_flag_is_one_line_and_writes_nothing(
    command: str, flags: list[str], named: str, plan_file: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    argv = commands(plan_file, state)[command]

    refused([*argv, *flags, *([] if "--region" in flags else ["--region", REGION])], named)

    assert not state.exists()
    assert sorted(p.name for p in plan_file.parent.iterdir()) == [
        "inventory.json",
        "tiered.plan.json",
    ]


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("AWS_ENDPOINT_URL", "nope", "AWS_ENDPOINT_URL"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:70000", "port"),
        ("AWS_REGION", "not a region", "AWS_REGION"),
        ("AWS_DEFAULT_REGION", "x/y", "AWS_DEFAULT_REGION"),
    ],
)
@pytest.mark.parametrize("command", ["scan", "apply"])
def test_a_bad_environment_value_is_one_line_and_writes_nothing(
    variable: str,
    value: str,
    named: str,
    command: str,
    plan_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    state = tmp_path / "state"
    argv = commands(plan_file, state)[command]
    if variable == "AWS_ENDPOINT_URL":
        argv += ["--region", REGION]

    refused(argv, named)

    assert not state.exists()
