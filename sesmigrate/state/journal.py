"""The journal: every action's intent before its call and its outcome after, per plan.

`apply` resumes from it after a crash or kill -9 and `rollback` restores from it, so it
is written before each call (intent) and after (outcome), one transaction each, in SQLite
with WAL (readers never block the writer; a killed writer loses nothing committed). Every
update checks that it touched exactly one row, as Alembic's version table does. A change
notes the value it replaces between its read and its write (`Memory.note`), so a resumed
run restores the pre-apply value, not its own.

`Journal` is the interface the executor uses; `SqliteJournal` is the local backend. A
shared backend (S3 with conditional writes, DynamoDB) implements the same methods.
"""

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..actions.tenant import CreateTenant, Known, Memory, Outcome
from ..errors import SesmigrateError

APPLY, ROLLBACK = "apply", "rollback"
INTENT, DONE, FAILED, UNDONE = "intent", "done", "failed", "undone"
"""An applied action goes intent -> done (or failed); its rollback row does the same, and
when that is done the applied row becomes undone, so the action may be applied again."""


class JournalError(SesmigrateError):
    """A journal that does not belong to the plan, or that could not be written."""


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    key: str
    direction: str
    cohort: str
    state: str
    made: bool
    previous: str | None
    noted: str | None
    error: str | None
    tenant_arn: str | None = None


class Journal(Protocol):
    def intent(self, key: str, direction: str, cohort: str) -> bool: ...
    def memory(self, key: str, direction: str) -> Memory: ...
    def known(self, tenant: str) -> Known: ...
    def done(self, key: str, direction: str, outcome: Outcome) -> None: ...
    def retract(self, key: str, direction: str) -> None: ...
    def failed(self, key: str, direction: str, error: str) -> None: ...
    def entries(self) -> list[Entry]: ...
    def finish_cohort(self, cohort: str) -> None: ...
    def cohort_finished(self, cohort: str) -> float | None: ...
    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    direction TEXT NOT NULL,
    cohort TEXT NOT NULL,
    state TEXT NOT NULL,
    made INTEGER NOT NULL DEFAULT 0,
    previous TEXT,
    noted TEXT,
    error TEXT,
    started REAL NOT NULL,
    finished REAL,
    tenant_arn TEXT,
    UNIQUE (key, direction)
);
CREATE TABLE IF NOT EXISTS cohorts (name TEXT PRIMARY KEY, finished REAL NOT NULL);
"""
ADDED_COLUMNS = {"tenant_arn": "TEXT"}
"""Columns newer than the first layout: a journal of an older version gains them on open, so
its plan can still be resumed, rolled back and shown. (The `cohorts` table is newer too;
`CREATE ... IF NOT EXISTS` adds it, and `cohort_finished` reads older journals' entries.)"""


class SqliteJournal:
    """A journal in one SQLite file (WAL), bound to one plan by its checksum."""

    def __init__(self, path: Path, plan_checksum: str, clock: Callable[[], float] = time.time):
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(entries)")}
            for name, kind in ADDED_COLUMNS.items():
                if name not in columns:
                    _add_column(self._db, name, kind)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal {path}: {exc}") from None
        row = self._db.execute("SELECT value FROM meta WHERE key='plan'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('plan', ?)", (plan_checksum,))
        elif row[0] != plan_checksum:
            raise JournalError(
                f"journal {path} belongs to another plan ({row[0][:19]}...), not "
                f"{plan_checksum[:19]}...; use that plan or another --journal"
            )

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock:
            cursor = self._db.execute(sql, args)
            if cursor.rowcount != 1:
                raise JournalError(
                    f"journal {self.path}: expected to change one row, changed {cursor.rowcount}"
                )

    def intent(self, key: str, direction: str, cohort: str) -> bool:
        """Record the intent to act; True if an earlier attempt already had (crash, retry)."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM entries WHERE key=? AND direction=?", (key, direction)
            ).fetchone()
        if row is None:
            self._write(
                "INSERT INTO entries (key, direction, cohort, state, started) VALUES (?,?,?,?,?)",
                (key, direction, cohort, INTENT, self._clock()),
            )
            return False
        if row[0] == UNDONE:
            with self._lock:
                self._db.execute("BEGIN")
                self._db.execute("DELETE FROM entries WHERE key=? AND direction=?", (key, ROLLBACK))
                self._db.execute(
                    "UPDATE entries SET state=?, made=0, previous=NULL, noted=NULL, error=NULL, "
                    "tenant_arn=NULL, started=? WHERE key=? AND direction=?",
                    (INTENT, self._clock(), key, direction),
                )
                self._db.execute("COMMIT")
            return False
        self._write(
            "UPDATE entries SET state=?, error=NULL WHERE key=? AND direction=?",
            (INTENT, key, direction),
        )
        return True

    def memory(self, key: str, direction: str) -> Memory:
        with self._lock:
            row = self._db.execute(
                "SELECT noted FROM entries WHERE key=? AND direction=?", (key, direction)
            ).fetchone()
        recalled = row[0] if row else None

        def note(value: str) -> None:
            self._write(
                "UPDATE entries SET noted=? WHERE key=? AND direction=?", (value, key, direction)
            )

        return Memory(recalled=recalled, note=note)

    def known(self, tenant: str) -> Known:
        """What this plan's CreateTenant journaled of `tenant`: its ARN, and whether it made it.
        Nothing when it has no completed creation (none planned, interrupted, rolled back)."""
        with self._lock:
            row = self._db.execute(
                "SELECT made, tenant_arn FROM entries WHERE key=? AND direction=? AND state=?",
                (CreateTenant(tenant).key, APPLY, DONE),
            ).fetchone()
        if row is None:
            return Known()
        return Known(tenant_arn=row[1], created=bool(row[0]))

    def done(self, key: str, direction: str, outcome: Outcome) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            cursor = self._db.execute(
                "UPDATE entries SET state=?, made=?, previous=?, tenant_arn=?, finished=? "
                "WHERE key=? AND direction=?",
                (
                    DONE,
                    int(outcome.made),
                    outcome.previous,
                    outcome.tenant_arn,
                    self._clock(),
                    key,
                    direction,
                ),
            )
            if direction == ROLLBACK and cursor.rowcount == 1:
                cursor = self._db.execute(
                    "UPDATE entries SET state=? WHERE key=? AND direction=?",
                    (UNDONE, key, APPLY),
                )
            if cursor.rowcount != 1:
                self._db.execute("ROLLBACK")
                raise JournalError(f"journal {self.path}: no entry to complete for {key}")
            self._db.execute("COMMIT")

    def retract(self, key: str, direction: str) -> None:
        """Forget a first intent whose call SES refused before acting (throttled): it was no
        attempt. A row with a noted value is kept: something was read for it already."""
        with self._lock:
            self._db.execute(
                "DELETE FROM entries WHERE key=? AND direction=? AND state=? AND noted IS NULL",
                (key, direction, INTENT),
            )

    def failed(self, key: str, direction: str, error: str) -> None:
        self._write(
            "UPDATE entries SET state=?, error=?, finished=? WHERE key=? AND direction=?",
            (FAILED, error, self._clock(), key, direction),
        )

    def entries(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, key, direction, cohort, state, made, previous, noted, error, "
                "tenant_arn FROM entries ORDER BY seq"
            ).fetchall()
        return [
            Entry(seq, key, direction, cohort, state, bool(made), previous, noted, error, arn)
            for seq, key, direction, cohort, state, made, previous, noted, error, arn in rows
        ]

    def finish_cohort(self, cohort: str) -> None:
        """Record that every action of `cohort` is done, now: its soak starts here."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO cohorts (name, finished) VALUES (?, ?)",
                (cohort, self._clock()),
            )

    def cohort_finished(self, cohort: str) -> float | None:
        """When `cohort` last finished: as recorded, else (a journal older than the record)
        when its last applied action finished; None if it never finished anything."""
        with self._lock:
            row = self._db.execute(
                "SELECT finished FROM cohorts WHERE name=?", (cohort,)
            ).fetchone()
            if row is None:
                row = self._db.execute(
                    "SELECT MAX(finished) FROM entries WHERE cohort=? AND direction=? AND state=?",
                    (cohort, APPLY, DONE),
                ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _add_column(db: sqlite3.Connection, name: str, kind: str) -> None:
    try:
        db.execute(f"ALTER TABLE entries ADD COLUMN {name} {kind}")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):  # another process upgraded it first
            raise


def journal_path(state_dir: Path, plan_checksum: str) -> Path:
    """Where a plan's journal lives by default: in the state directory, named by checksum."""
    return state_dir / "journals" / f"{plan_checksum.removeprefix('sha256:')[:32]}.sqlite"
