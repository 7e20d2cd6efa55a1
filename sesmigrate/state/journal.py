"""The migration's journal: every effect any of its plans made, intent before each call
and outcome after, with the plan and cohort that made it.

`apply` resumes from it after a crash or kill -9 and `rollback` restores from it, so it
is written before each call (intent) and after (outcome), one transaction each, in SQLite
with WAL (readers never block the writer; a killed writer loses nothing committed). Every
update checks that it touched exactly one row, as Alembic's version table does. A change
notes the value it replaces between its read and its write (`Memory.note`), so a resumed
run restores the pre-apply value, not its own.

One database per migration (name, account, region), beside its cohort membership, holds
every plan made for it: a re-plan is a new plan in the same state, so its gates, status and
rollback see what the earlier plans did (`migration_entries`), and the plans table keeps
each plan's sealed document so an earlier plan can be rolled back without its file. A
`SqliteJournal` is the view of one plan in that database (its rows are keyed by plan,
action key and direction); `for_plan` opens a sibling view on the same connection.
Journals of versions before this one (a file per plan under `journals/`) are imported into
the migration's database on first use (`import_legacy`), and a file given with `--journal`
in the old layout is upgraded in place. The same database keeps the results of the
migration's probes (`record_probe`, `probes`; see `state.probes`).

`Journal` is the interface the executor uses; `SqliteJournal` is the local backend. A
shared backend (S3 with conditional writes, DynamoDB) implements the same methods.
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..actions.tenant import CreateTenant, Known, Memory, Outcome, TenantAction
from ..errors import SesmigrateError
from ..files import reason
from ..listing import first_few
from ..planning.snapshot import MANAGED_TAG
from ..redaction import redact
from .probes import SCHEMA as PROBES_SCHEMA
from .probes import ProbeResult

APPLY, ROLLBACK = "apply", "rollback"
INTENT, DONE, FAILED, UNDONE = "intent", "done", "failed", "undone"
"""An applied action goes intent -> done (or failed); its rollback row does the same, and
when that is done the applied row becomes undone, so the action may be applied again."""


class JournalError(SesmigrateError):
    """A journal of another migration, or one that could not be written."""


class StateElsewhereError(SesmigrateError):
    """The account holds tenants of this migration that this state has no record of."""

    def __init__(self, migration: str, tenants: Iterable[str], state_dir: Path) -> None:
        names = sorted(tenants)
        shown = first_few(names, 3)
        super().__init__(
            f"this migration's state is elsewhere: the account holds {len(names)} tenant(s) "
            f"tagged {MANAGED_TAG}={migration} that the state in {state_dir} does not know "
            f"({shown}); run where that migration's state is (--state-dir or "
            "SESMIGRATE_STATE_DIR), or give this migration another name"
        )


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
    plan: str = ""
    """The checksum of the plan whose run wrote the row."""
    started: float | None = None
    """When the first attempt's intent was written (wall time, as SES dates its records)."""

    @property
    def tenant(self) -> str | None:
        """The tenant a tenant action's key names (its first field; a tenant name holds
        neither ':' nor '|'); None for the monitoring's actions."""
        kind, _, values = self.key.partition(":")
        return values.split("|", 1)[0] if kind in _TENANT_KINDS else None


def _kinds(base: type[TenantAction]) -> set[str]:
    found = set()
    for sub in base.__subclasses__():
        found |= {sub.kind} | _kinds(sub)
    return found - {""}


_TENANT_KINDS = _kinds(TenantAction)


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


FORMAT = "2"
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
    checksum TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    source TEXT NOT NULL,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    plan TEXT NOT NULL,
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
    UNIQUE (plan, key, direction)
);
CREATE TABLE IF NOT EXISTS cohorts (
    plan TEXT NOT NULL,
    name TEXT NOT NULL,
    finished REAL NOT NULL,
    PRIMARY KEY (plan, name)
);
"""
    + PROBES_SCHEMA
)
_COLUMNS = (
    "seq, key, direction, cohort, state, made, previous, noted, error, tenant_arn, plan, started"
)


class _Connection(sqlite3.Connection):
    """A journal's connection: a statement that fails (a full disk, a read-only file)
    raises a `JournalError` naming the file and the cause, so a full disk says so instead
    of surfacing later as a row that was not changed."""

    path: Path

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise _failed(self.path, exc) from None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            raise _failed(self.path, exc) from None

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(script)
        except sqlite3.Error as exc:
            raise _failed(self.path, exc) from None


def _failed(path: Path, exc: sqlite3.Error | OSError) -> "JournalError":
    return JournalError(
        f"journal {path}: {reason(exc)}; what was done so far is kept: fix that and run "
        "the same command again"
    )


class _Database:
    """One migration's SQLite file, shared by the views of its plans."""

    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        self.path = path
        self.clock = clock
        self.lock = threading.Lock()
        if path.is_dir():
            raise JournalError(f"cannot open journal {path}: it is a directory, not a file")
        try:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, factory=_Connection
            )
            self.db.path = path
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA busy_timeout=10000")
            _upgrade(self.db)
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(f"cannot open journal {path}: {reason(exc)}") from None


def _upgrade(db: sqlite3.Connection) -> None:
    """Give a journal of the one-plan layout (no plan column) the migration layout, in one
    transaction: its rows and cohort times become its plan's."""
    db.execute("BEGIN IMMEDIATE")
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
        if not columns or "plan" in columns:
            db.execute("COMMIT")
            return
        row = db.execute("SELECT value FROM meta WHERE key='plan'").fetchone()
        plan = row[0] if row else ""
        arn = "tenant_arn" if "tenant_arn" in columns else "NULL"
        db.execute("ALTER TABLE entries RENAME TO entries_one_plan")
        cohorts = db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='cohorts'"
        ).fetchone()
        if cohorts:
            db.execute("ALTER TABLE cohorts RENAME TO cohorts_one_plan")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(
            "INSERT INTO entries (seq, plan, key, direction, cohort, state, made, previous, "
            f"noted, error, started, finished, tenant_arn) SELECT seq, ?, key, direction, "
            f"cohort, state, made, previous, noted, error, started, finished, {arn} "
            "FROM entries_one_plan",
            (plan,),
        )
        db.execute("DROP TABLE entries_one_plan")
        if cohorts:
            db.execute(
                "INSERT INTO cohorts SELECT ?, name, finished FROM cohorts_one_plan", (plan,)
            )
            db.execute("DROP TABLE cohorts_one_plan")
        db.execute("DELETE FROM meta WHERE key='plan'")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


class SqliteJournal:
    """The view of one plan (by its checksum) in its migration's SQLite journal (WAL)."""

    def __init__(
        self,
        path: Path,
        plan_checksum: str,
        clock: Callable[[], float] = time.time,
        migration: str | None = None,
    ):
        """`migration` names the migration (`migration_id`) the file must belong to: a
        file of another migration is refused, a new one is bound to it."""
        self._base = _Database(path, clock)
        self.plan = plan_checksum
        if migration is not None:
            self._bind(migration)

    @property
    def path(self) -> Path:
        return self._base.path

    def _bind(self, migration: str) -> None:
        with self._base.lock:
            db = self._base.db
            db.execute("INSERT OR IGNORE INTO meta VALUES ('migration', ?)", (migration,))
            (bound,) = db.execute("SELECT value FROM meta WHERE key='migration'").fetchone()
        if bound != migration:
            raise JournalError(
                f"journal {self.path} belongs to migration {bound}, not {migration}; "
                "use that migration's plan or another --journal"
            )

    def for_plan(self, plan_checksum: str) -> "SqliteJournal":
        """The view of another plan of the same migration, on this connection."""
        view = object.__new__(SqliteJournal)
        view._base, view.plan = self._base, plan_checksum
        return view

    def _execute(self, sql: str, args: tuple[object, ...] = ()) -> sqlite3.Cursor:
        with self._base.lock:
            return self._base.db.execute(sql, args)

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        cursor = self._execute(sql, args)
        if cursor.rowcount != 1:
            raise JournalError(
                f"journal {self.path}: expected to change one row, changed {cursor.rowcount}"
            )

    def intent(self, key: str, direction: str, cohort: str) -> bool:
        """Record the intent to act; True if an earlier attempt already had (crash, retry)."""
        row = self._execute(
            "SELECT state FROM entries WHERE plan=? AND key=? AND direction=?",
            (self.plan, key, direction),
        ).fetchone()
        now = self._base.clock()
        if row is None:
            self._write(
                "INSERT INTO entries (plan, key, direction, cohort, state, started) "
                "VALUES (?,?,?,?,?,?)",
                (self.plan, key, direction, cohort, INTENT, now),
            )
            return False
        if row[0] == UNDONE:
            with self._base.lock:
                db = self._base.db
                db.execute("BEGIN")
                db.execute(
                    "DELETE FROM entries WHERE plan=? AND key=? AND direction=?",
                    (self.plan, key, ROLLBACK),
                )
                db.execute(
                    "UPDATE entries SET state=?, made=0, previous=NULL, noted=NULL, error=NULL, "
                    "tenant_arn=NULL, started=? WHERE plan=? AND key=? AND direction=?",
                    (INTENT, now, self.plan, key, direction),
                )
                db.execute("COMMIT")
            return False
        self._write(
            "UPDATE entries SET state=?, error=NULL WHERE plan=? AND key=? AND direction=?",
            (INTENT, self.plan, key, direction),
        )
        return True

    def note_in_flight(self, until: float) -> None:
        """Say that a request about to be sent (any plan's) may land until `until`: a run
        that finds this journal's intents interrupted waits that out."""
        self._execute(
            "INSERT INTO meta VALUES ('in_flight_until', ?) "
            "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (repr(until),),
        )

    def in_flight_until(self) -> float | None:
        """Until when the last request the journal's writers dated may land; None if none."""
        row = self._execute("SELECT value FROM meta WHERE key='in_flight_until'").fetchone()
        return float(row[0]) if row else None

    def interrupted(self) -> list[Entry]:
        """Every plan's intents without an outcome: calls a stopped run may have sent."""
        rows = self._execute(
            f"SELECT {_COLUMNS} FROM entries WHERE state=? ORDER BY seq", (INTENT,)
        ).fetchall()
        return [_entry(row) for row in rows]

    def memory(self, key: str, direction: str) -> Memory:
        row = self._execute(
            "SELECT noted, started FROM entries WHERE plan=? AND key=? AND direction=?",
            (self.plan, key, direction),
        ).fetchone()
        recalled, since = row if row else (None, None)

        def note(value: str) -> None:
            self._write(
                "UPDATE entries SET noted=? WHERE plan=? AND key=? AND direction=?",
                (value, self.plan, key, direction),
            )

        return Memory(recalled=recalled, note=note, since=since)

    def known(self, tenant: str) -> Known:
        """What this plan's CreateTenant journaled of `tenant`: its ARN, and whether it made it.
        Nothing when it has no completed creation (none planned, interrupted, rolled back)."""
        row = self._execute(
            "SELECT made, tenant_arn FROM entries WHERE plan=? AND key=? AND direction=? "
            "AND state=?",
            (self.plan, CreateTenant(tenant).key, APPLY, DONE),
        ).fetchone()
        if row is None:
            return Known()
        return Known(tenant_arn=row[1], created=bool(row[0]))

    def done(self, key: str, direction: str, outcome: Outcome) -> None:
        with self._base.lock:
            db = self._base.db
            db.execute("BEGIN")
            cursor = db.execute(
                "UPDATE entries SET state=?, made=?, previous=?, tenant_arn=?, finished=? "
                "WHERE plan=? AND key=? AND direction=?",
                (
                    DONE,
                    int(outcome.made),
                    outcome.previous,
                    outcome.tenant_arn,
                    self._base.clock(),
                    self.plan,
                    key,
                    direction,
                ),
            )
            if direction == ROLLBACK and cursor.rowcount == 1:
                cursor = db.execute(
                    "UPDATE entries SET state=? WHERE plan=? AND key=? AND direction=?",
                    (UNDONE, self.plan, key, APPLY),
                )
            if cursor.rowcount != 1:
                db.execute("ROLLBACK")
                raise JournalError(f"journal {self.path}: no entry to complete for {key}")
            db.execute("COMMIT")

    def retract(self, key: str, direction: str) -> None:
        """Forget a first intent whose call SES refused before acting (throttled): it was no
        attempt. A row with a noted value is kept: something was read for it already."""
        self._execute(
            "DELETE FROM entries WHERE plan=? AND key=? AND direction=? AND state=? "
            "AND noted IS NULL",
            (self.plan, key, direction, INTENT),
        )

    def failed(self, key: str, direction: str, error: str) -> None:
        self._write(
            "UPDATE entries SET state=?, error=?, finished=? WHERE plan=? AND key=? "
            "AND direction=?",
            (FAILED, redact(error), self._base.clock(), self.plan, key, direction),
        )

    def entries(self) -> list[Entry]:
        """This plan's rows, oldest first."""
        rows = self._execute(
            f"SELECT {_COLUMNS} FROM entries WHERE plan=? ORDER BY seq", (self.plan,)
        ).fetchall()
        return [_entry(row) for row in rows]

    def migration_entries(self) -> list[Entry]:
        """Every plan's rows, oldest first: what the whole migration did."""
        rows = self._execute(f"SELECT {_COLUMNS} FROM entries ORDER BY seq").fetchall()
        return [_entry(row) for row in rows]

    def register(self, document: str, source: str) -> None:
        """Keep this plan's sealed document (and where it was read from), so the migration
        can name it and roll it back after its file is gone."""
        self._execute(
            "INSERT INTO plans (checksum, document, source, added) VALUES (?,?,?,?) "
            "ON CONFLICT (checksum) DO UPDATE SET source=excluded.source",
            (self.plan, document, source, self._base.clock()),
        )

    def plans(self) -> dict[str, tuple[str, str]]:
        """Checksum -> (document, source) of every plan registered, oldest first."""
        rows = self._execute("SELECT checksum, document, source FROM plans ORDER BY added")
        return {checksum: (document, source) for checksum, document, source in rows}

    def import_legacy(self, legacy: Path) -> int:
        """Copy a one-plan journal of an earlier version (its rows and cohort times) into
        this plan's view, unless this plan has rows already (another run imported it); the
        rows copied."""
        old = _Database(legacy, self._base.clock)
        try:
            rows = old.db.execute(
                "SELECT key, direction, cohort, state, made, previous, noted, error, started, "
                "finished, tenant_arn FROM entries WHERE plan=? ORDER BY seq",
                (self.plan,),
            ).fetchall()
            finished = old.db.execute(
                "SELECT name, finished FROM cohorts WHERE plan=?", (self.plan,)
            ).fetchall()
        finally:
            old.db.close()
        with self._base.lock:
            db = self._base.db
            db.execute("BEGIN IMMEDIATE")
            if db.execute("SELECT 1 FROM entries WHERE plan=? LIMIT 1", (self.plan,)).fetchone():
                db.execute("ROLLBACK")
                return 0
            db.executemany(
                "INSERT INTO entries (plan, key, direction, cohort, state, made, previous, "
                "noted, error, started, finished, tenant_arn) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(self.plan, *row) for row in rows],
            )
            db.executemany(
                "INSERT OR REPLACE INTO cohorts VALUES (?,?,?)",
                [(self.plan, *row) for row in finished],
            )
            db.execute("COMMIT")
        return len(rows)

    def finish_cohort(self, cohort: str) -> None:
        """Record that every action of `cohort` is done, now: its soak starts here."""
        self._execute(
            "INSERT OR REPLACE INTO cohorts (plan, name, finished) VALUES (?, ?, ?)",
            (self.plan, cohort, self._base.clock()),
        )

    def cohort_finished(self, cohort: str) -> float | None:
        """When `cohort` last finished: as recorded, else (a journal older than the record)
        when its last applied action finished; None if it never finished anything."""
        row = self._execute(
            "SELECT finished FROM cohorts WHERE plan=? AND name=?", (self.plan, cohort)
        ).fetchone()
        if row is None:
            row = self._execute(
                "SELECT MAX(finished) FROM entries WHERE plan=? AND cohort=? AND direction=? "
                "AND state=?",
                (self.plan, cohort, APPLY, DONE),
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def last_finished(self) -> float | None:
        """When any cohort of any plan of the migration last finished applying."""
        (recorded,) = self._execute("SELECT MAX(finished) FROM cohorts").fetchone()
        return None if recorded is None else float(recorded)

    def record_probe(self, result: ProbeResult) -> None:
        """Keep a probe's result, now, as this plan's (the gate reads it; see `probes`)."""
        self._write(
            "INSERT INTO probes (plan, cohort, tenant, outcome, detail, customer, sender, "
            "configuration_set, at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                self.plan,
                result.cohort,
                result.tenant,
                result.outcome,
                redact(result.detail),
                result.customer,
                result.sender,
                result.configuration_set,
                self._base.clock(),
            ),
        )

    def probes(self) -> list[ProbeResult]:
        """Every plan's probe results, oldest first: what the migration's gates stand on."""
        rows = self._execute(
            "SELECT cohort, tenant, outcome, detail, customer, sender, configuration_set, "
            "plan, at FROM probes ORDER BY seq"
        ).fetchall()
        return [ProbeResult(*row) for row in rows]

    def close(self) -> None:
        with self._base.lock:
            self._base.db.close()


def _entry(row: Any) -> Entry:
    seq, key, direction, cohort, state, made, previous, noted, error, arn, plan, started = row
    return Entry(
        seq, key, direction, cohort, state, bool(made), previous, noted, error, arn, plan, started
    )


def applied_tenants(entries: Iterable[Entry]) -> set[str]:
    """Tenants with an applied (not undone) action in these rows (oldest first) whose
    latest such action is not a deletion: a tenant offboarded and onboarded again is back."""
    return {tenant for tenant, kept in _latest_tenant_actions(entries).items() if kept}


def deleted_tenants(entries: Iterable[Entry]) -> set[str]:
    """Tenants whose latest applied action in these rows (oldest first) deleted them: an
    offboarding's, which the plans that made them must not count as missing."""
    return {tenant for tenant, kept in _latest_tenant_actions(entries).items() if not kept}


def removed_associations(entries: Iterable[Entry]) -> set[tuple[str, str]]:
    """(tenant, resource ARN) pairs whose latest applied association change in these rows
    (oldest first) removed them: on purpose, so no drift."""
    latest: dict[tuple[str, str], bool] = {}
    for entry in _applied(entries):
        kind, _, values = entry.key.partition(":")
        if kind in ("attach", "detach"):
            tenant, arn, *_ = values.split("|")
            latest[(tenant, arn)] = kind == "detach"
    return {pair for pair, removed in latest.items() if removed}


def _latest_tenant_actions(entries: Iterable[Entry]) -> dict[str, bool]:
    """Tenant -> whether its applied actions leave it in place. Within one plan a deletion
    wins (actions of one batch are journaled in any order); a later plan's action on a
    tenant an earlier plan deleted made it again (an onboarding after an offboarding)."""
    latest: dict[str, bool] = {}
    deleted_by: dict[str, str] = {}
    for entry in _applied(entries):
        tenant = entry.tenant
        if tenant is None:
            continue
        if entry.key.startswith("delete_tenant:"):
            latest[tenant], deleted_by[tenant] = False, entry.plan
        elif deleted_by.get(tenant) != entry.plan:
            latest[tenant] = True
            deleted_by.pop(tenant, None)
    return latest


def _applied(entries: Iterable[Entry]) -> Iterable[Entry]:
    return (e for e in entries if e.direction == APPLY and e.state == DONE)


def migration_id(account: str, region: str, migration: str) -> str:
    return f"{migration} in {account} {region}"


def migration_journal_path(state_dir: Path, account: str, region: str, migration: str) -> Path:
    """Where a migration's journal lives: beside its cohort membership in the state dir."""
    return state_dir / "migrations" / f"{account}-{region}" / migration / "journal.sqlite"


def legacy_journal_path(state_dir: Path, plan_checksum: str) -> Path:
    """Where versions before the migration journal kept a plan's journal."""
    return state_dir / "journals" / f"{plan_checksum.removeprefix('sha256:')[:32]}.sqlite"
