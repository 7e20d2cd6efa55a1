"""One line, always: every bad flag, environment value and file-system condition is
answered with one line naming its cause and a non-zero exit, never a traceback, and a bad
flag changes nothing (no state is written before it is refused).

Running as root defeats chmod, so read-only cases are skipped there; a path under a regular
file is not a directory for anyone, and a full disk is simulated by making the write fail
with ENOSPC the way the OS (or SQLite) reports it.
"""

import errno
import io
import os
import sqlite3
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


# --- the file system --------------------------------------------------------------------

AS_ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
"""root writes into read-only folders: chmod cannot make one for it."""


@pytest.mark.parametrize("command", ["scan", "plan", "apply", "status", "rollback"])
def test_a_state_dir_under_a_regular_file_is_one_line(
    command: str, plan_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    state = tmp_path / "a-file" / "state"
    argv = commands(plan_file, state)[command]

    line = refused([*argv, "--endpoint-url", "http://127.0.0.1:9", "--region", REGION])
    assert "not a directory" in line


def test_a_state_dir_that_is_a_regular_file_is_one_line(plan_file: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("not a folder", encoding="utf-8")

    assert f"{state} is not a directory" in refused(commands(plan_file, state)["apply"])


@pytest.mark.skipif(AS_ROOT, reason="root writes into a read-only folder")
def test_a_read_only_state_dir_is_one_line(plan_file: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o500)
    try:
        assert "not writable" in refused(commands(plan_file, state)["apply"])
    finally:
        state.chmod(0o700)


@pytest.mark.skipif(AS_ROOT, reason="root writes into a read-only folder")
def test_plan_output_into_a_read_only_folder_is_one_line_and_leaves_nothing(
    plan_file: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    inventory = plan_file.parent / "inventory.json"
    argv = ["plan", "--inventory", str(inventory), "-o", str(folder / "p.plan.json")]
    try:
        refused([*argv, "--region", REGION], "Permission denied")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_plan_output_under_a_regular_file_is_one_line(plan_file: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    inventory = plan_file.parent / "inventory.json"
    for target in (tmp_path / "a-file" / "p.plan.json", tmp_path / "a-file" / "x" / "p.plan.json"):
        argv = ["plan", "--inventory", str(inventory), "-o", str(target), "--region", REGION]

        line = refused(argv)
        assert f"cannot write {target}" in line and "ot a directory" in line


def no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_while_writing_the_plan_says_disk_full_and_leaves_no_temporary_file(
    plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = plan_file.parent / "inventory.json"
    target = tmp_path / "out" / "p.plan.json"
    monkeypatch.setattr(Path, "write_text", no_space)

    refused(
        ["plan", "--inventory", str(inventory), "-o", str(target), "--region", REGION], "disk full"
    )

    assert list(target.parent.iterdir()) == []


@pytest.fixture
def live_plan(emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`apply` of a plan of the HTTP emulator's account, its state in tmp_path/state."""
    emulator.control.load_realistic_account(4, 1)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "emulator")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "emulator")
    aws = ["--endpoint-url", emulator.endpoint_url, "--region", REGION]
    state = ["--state-dir", str(tmp_path / "state")]
    plan = tmp_path / "p.plan.json"
    assert run(["plan", "--strategy", "tiered", "-o", str(plan), *state, *aws])[0] == 0
    return ["apply", str(plan), "--auto-approve", *state, *aws]


@pytest.mark.parametrize("emulator", ["http"], indirect=True)
def test_a_full_disk_while_opening_the_journal_says_disk_full(
    live_plan: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = sqlite3.connect

    def full(path: object, *args: object, **kwargs: object) -> sqlite3.Connection:
        if str(path).endswith("journal.sqlite"):
            raise sqlite3.OperationalError("database or disk is full")
        return connect(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", full)
    journal = tmp_path / "journal.sqlite"

    err = refused([*live_plan, "--journal", str(journal)])

    assert "disk full" in err and str(journal) in err


def test_a_full_disk_making_the_journal_folder_says_disk_full(tmp_path: Path) -> None:
    from sesmigrate.state.journal import JournalError, SqliteJournal

    folder = tmp_path / "journals"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "mkdir", no_space)
        with pytest.raises(JournalError, match="disk full"):
            SqliteJournal(folder / "journal.sqlite", "sha256:x")


class _FullDisk(sqlite3.Connection):
    """A connection on a disk that fills after `room` writes of journal rows."""

    room = 3

    def execute(self, sql: str, parameters: object = (), /) -> sqlite3.Cursor:
        if sql.lstrip().startswith(("INSERT INTO entries", "UPDATE entries")):
            if _FullDisk.room <= 0:
                raise sqlite3.OperationalError("database or disk is full")
            _FullDisk.room -= 1
        return super().execute(sql, parameters)  # type: ignore[arg-type]


@pytest.mark.parametrize("emulator", ["http"], indirect=True)
def test_a_disk_filling_mid_apply_says_disk_full_and_apply_resumes_once_there_is_room(
    live_plan: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sesmigrate.state import journal as journal_module

    class Full(journal_module._Connection, _FullDisk):
        pass

    connect = sqlite3.connect

    def on_full_disk(*args: object, factory: object = None, **kwargs: object) -> object:
        chosen = Full if factory is journal_module._Connection else factory
        return connect(*args, factory=chosen or sqlite3.Connection, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", on_full_disk)
    status, _, err = run(live_plan)

    assert status == 1 and "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "disk full" in errors[0], err
    assert "expected to change one row" not in err
    monkeypatch.setattr(sqlite3, "connect", connect)
    assert run(live_plan)[0] == 0


def test_a_write_removes_the_temporary_files_killed_writes_of_the_same_target_left(
    tmp_path: Path,
) -> None:
    from sesmigrate.files import TEMP_MARK, write_atomically

    target = tmp_path / "p.plan.json"
    dead = tmp_path / f".p.plan.json{TEMP_MARK}999999999-ab"
    legacy = tmp_path / ".p.plan.json.999999999.tmp"
    live = tmp_path / f".p.plan.json{TEMP_MARK}{os.getpid()}-cd"
    old_live = tmp_path / f".p.plan.json{TEMP_MARK}{os.getpid()}-ef"
    other_target = tmp_path / f".other.json{TEMP_MARK}999999999-ab"
    not_ours = tmp_path / ".p.plan.json.notes"
    for path in (dead, legacy, live, old_live, other_target, not_ours):
        path.write_text("partial", encoding="utf-8")
    os.utime(old_live, (0, 0))

    write_atomically(target, "whole")

    assert target.read_text(encoding="utf-8") == "whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (target, live, other_target, not_ours)
    )


# --- Ctrl-C -----------------------------------------------------------------------------


def interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def interrupted(argv: list[str], *words: str) -> str:
    status, _, err = run(argv)
    assert status == 130, err
    assert err.count("\n") == 1 and err.startswith("Interrupted: "), err
    for word in words:
        assert word in err, err
    return err


def test_ctrl_c_during_a_scan_says_it_stopped_and_to_run_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sesmigrate.cli.scan_account", interrupt)
    argv = ["scan", "-o", str(tmp_path / "inventory.json"), "--region", REGION]

    interrupted(argv, "scan stopped", "run the same command again")

    assert not (tmp_path / "inventory.json").exists()


@pytest.mark.parametrize("command", ["apply", "rollback"])
def test_ctrl_c_outside_the_executor_names_the_command_that_resumes(
    command: str, plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"sesmigrate.cli.run_{command}", interrupt)
    state = tmp_path / "state"

    interrupted(commands(plan_file, state)[command], f"sesmigrate {command} {plan_file}", "resume")

    status, out, _ = run(["history", "--format", "json", "--state-dir", str(state)])
    assert status == 0 and '"outcome": "interrupted"' in out and '"exit_status": 130' in out


@pytest.mark.parametrize("command", ["scan", "plan", "apply"])
def test_an_unknown_aws_profile_in_the_environment_is_one_line(
    command: str, plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    argv = commands(plan_file, tmp_path / "state")[command]

    line = refused([*argv, "--endpoint-url", "http://127.0.0.1:9", "--region", REGION])
    assert "'no-such-profile'" in line


@pytest.mark.parametrize("emulator", ["http"], indirect=True)
@pytest.mark.parametrize(
    ("where", "named"),
    [
        ("--journal=folder", "is a directory"),
        ("--journal=a-file/journal.sqlite", "a-file is not a directory"),
        ("SESMIGRATE_LOCK_DIR=a-file", "a-file is not a directory"),
        ("SESMIGRATE_LOCK_DIR=a-file/locks", "Not a directory"),
        ("--log-file=a-file/calls.log", "Not a directory"),
    ],
)
def test_a_journal_lock_or_log_path_that_cannot_be_a_file_is_one_line(
    where: str,
    named: str,
    live_plan: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    name, value = where.split("=", 1)
    if name.startswith("--"):
        extra = [name, str(tmp_path / value)]
    else:
        monkeypatch.setenv(name, str(tmp_path / value))
        extra = []

    assert named in refused([*live_plan, *extra])


@pytest.mark.parametrize("command", ["scan", "plan"])
@pytest.mark.parametrize("output", [".", "", "/", "folder"])
def test_an_output_that_is_a_folder_is_one_line_before_any_call(
    command: str, output: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    argv = [command, "-o", output, "--endpoint-url", "http://127.0.0.1:9", "--region", REGION]

    refused(argv, "is a directory; give a file name")

    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


def test_plan_output_removes_the_temporary_file_a_killed_plan_left(
    plan_file: Path, tmp_path: Path
) -> None:
    from sesmigrate.files import TEMP_MARK

    target = tmp_path / "out" / "p.plan.json"
    target.parent.mkdir()
    left = target.with_name(f".{target.name}{TEMP_MARK}999999999-0badc0de")
    left.write_text('{"half": ', encoding="utf-8")
    inventory = plan_file.parent / "inventory.json"

    status, _, err = run(
        ["plan", "--inventory", str(inventory), "-o", str(target), "--region", REGION]
    )

    assert status == 0, err
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_a_state_dir_this_user_may_not_write_is_one_line_even_when_run_as_root(
    plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setattr("sesmigrate.state.home.os.access", lambda path, mode: not mode & os.W_OK)

    refused(commands(plan_file, state)["apply"], f"{state} is not writable")

    assert list(state.iterdir()) == []


def test_a_folder_refusing_the_plan_file_is_one_line_even_when_run_as_root(
    plan_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(Path, "write_text", denied)
    target = tmp_path / "out" / "p.plan.json"
    inventory = plan_file.parent / "inventory.json"

    refused(
        ["plan", "--inventory", str(inventory), "-o", str(target), "--region", REGION],
        "Permission denied",
    )

    assert list(target.parent.iterdir()) == []
