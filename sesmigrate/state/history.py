"""The audit trail: who ran which command that changes (or may change) the account, when,
on which plan and cohorts, and with what result.

A change-advisory board asks "who changed what": each `apply` and `rollback` leaves one row,
written when the run starts (so a run killed mid-way still shows, as "running") and
completed when it ends. Who is the caller's ARN from STS, the OS user and the host; no
credential is ever read or kept. Read-only commands (`status`, `show`, `plan`) are not
recorded. The rows live in `<state>/history.sqlite` (SQLite, WAL; several runs may write
it at once) behind `History`, so a migration-level state can own the trail later.
"""

import getpass
import json
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import SesmigrateError
from ..files import reason
from ..planning.plan import Plan
from ..redaction import redact
from ..running.executor import RunResult

RUNNING = "running"


class HistoryError(SesmigrateError):
    """The history file could not be read or written."""


@dataclass(frozen=True, slots=True)
class Run:
    """One recorded run, as `sesmigrate history` lists it."""

    id: int
    started: float
    finished: float | None
    command: str
    plan: str
    checksum: str
    caller: str
    user: str
    host: str
    cohorts: tuple[str, ...]
    outcome: str
    """running (not ended, or killed), ok, failed, refused, aborted, nothing to do, soaking."""
    exit_status: int | None
    result: dict[str, Any]
    """The command's machine-readable result, as `--format json` prints it."""
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cohorts": list(self.cohorts)}


class RunRecord(Protocol):
    """One run's row, completed as the run learns who it is and what it did."""

    def caller(self, arn: str) -> None: ...
    def finish(
        self,
        outcome: str,
        exit_status: int,
        cohorts: list[str],
        result: dict[str, Any],
        message: str,
    ) -> None: ...


class History(Protocol):
    def start(self, command: str, plan: str, checksum: str, cohorts: list[str]) -> RunRecord: ...
    def runs(self) -> list[Run]: ...
    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    finished REAL,
    command TEXT NOT NULL,
    plan TEXT NOT NULL,
    checksum TEXT NOT NULL,
    caller TEXT NOT NULL DEFAULT '',
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    cohorts TEXT NOT NULL,
    outcome TEXT NOT NULL,
    exit_status INTEGER,
    result TEXT NOT NULL DEFAULT '{}',
    message TEXT NOT NULL DEFAULT ''
);
"""


def os_user() -> str:
    """The OS user running sesmigrate, or "unknown" (a container may have no passwd entry)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class SqliteHistory:
    """The history in one SQLite file."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open the history {path}: {reason(exc)}") from None

    def start(self, command: str, plan: str, checksum: str, cohorts: list[str]) -> "_SqliteRun":
        cursor = self._execute(
            "INSERT INTO runs (started, command, plan, checksum, user, host, cohorts, outcome) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (
                self._clock(),
                command,
                plan,
                checksum,
                os_user(),
                socket.gethostname(),
                json.dumps(cohorts),
                RUNNING,
            ),
        )
        assert cursor.lastrowid is not None
        return _SqliteRun(self, cursor.lastrowid)

    def runs(self) -> list[Run]:
        rows = self._execute(
            "SELECT id, started, finished, command, plan, checksum, caller, user, host, "
            "cohorts, outcome, exit_status, result, message FROM runs ORDER BY id",
            (),
        ).fetchall()
        return [
            Run(*row[:9], tuple(json.loads(row[9])), row[10], row[11], json.loads(row[12]), row[13])
            for row in rows
        ]

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, args: tuple[object, ...]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot write the history {self.path}: {reason(exc)}") from None


@dataclass
class _SqliteRun:
    history: SqliteHistory
    id: int

    def caller(self, arn: str) -> None:
        self.history._execute("UPDATE runs SET caller=? WHERE id=?", (arn, self.id))

    def finish(
        self,
        outcome: str,
        exit_status: int,
        cohorts: list[str],
        result: dict[str, Any],
        message: str,
    ) -> None:
        self.history._execute(
            "UPDATE runs SET finished=?, outcome=?, exit_status=?, cohorts=?, result=?, "
            "message=? WHERE id=?",
            (
                self.history._clock(),
                outcome,
                exit_status,
                json.dumps(cohorts),
                redact(json.dumps(result, sort_keys=True)),
                redact(message),
                self.id,
            ),
        )


def history_path(state_dir: Path) -> Path:
    return state_dir / "history.sqlite"


def open_history(state_dir: Path) -> SqliteHistory:
    """The history of runs kept in `state_dir`."""
    return SqliteHistory(history_path(state_dir))


def recorded_runs(state_dir: Path) -> list[Run]:
    """The runs recorded in `state_dir`, oldest first; none (and no file made) if none were."""
    if not history_path(state_dir).exists():
        return []
    trail = open_history(state_dir)
    try:
        return trail.runs()
    finally:
        trail.close()


def describe(run: Run) -> str:
    """One line for people: when, what, how it ended, on what, by whom."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(run.started))
    status = "" if run.exit_status is None else f" (exit {run.exit_status})"
    cohorts = ", ".join(run.cohorts) or "-"
    counts = "; ".join(
        f"{c['name']}: {c['made']} made, {c['found']} found, {c['failed']} failed, "
        f"{c['not_run']} not run"
        for c in run.result.get("cohorts", [])
    )
    return (
        f"#{run.id} {when} UTC {run.command} {run.plan} [{cohorts}] {run.outcome}{status} "
        f"by {run.caller or 'caller unknown'} ({run.user}@{run.host})"
        + (f": {counts}" if counts else "")
        + (f": {run.message}" if run.message else "")
    )


def cohort_counts(name: str, result: RunResult) -> dict[str, Any]:
    """A cohort's counts as results and the history show them."""
    return {
        "name": name,
        "made": len(result.made),
        "found": len(result.found),
        "failed": len(result.failed),
        "not_run": len(result.skipped),
        "interrupted": result.interrupted,
    }


def counts_by_cohort(plan: Plan, result: RunResult, cohorts: list[str]) -> list[dict[str, Any]]:
    """One run's result (a rollback's spans cohorts) split by the cohort of each action."""
    cohort_of = {step.action.key: step.cohort for step in plan.steps}

    def of(name: str) -> RunResult:
        return RunResult(
            made=[k for k in result.made if cohort_of.get(k) == name],
            found=[k for k in result.found if cohort_of.get(k) == name],
            failed=[f for f in result.failed if cohort_of.get(f[0]) == name],
            skipped=[s for s in result.skipped if cohort_of.get(s[0]) == name],
            interrupted=result.interrupted,
        )

    return [cohort_counts(name, of(name)) for name in cohorts]
