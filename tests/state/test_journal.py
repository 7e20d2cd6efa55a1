"""The SQLite journal: intent before, outcome after, one row per action and direction."""

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sesmigrate.actions.tenant import CreateTenant, Known, Outcome
from sesmigrate.state.journal import (
    APPLY,
    DONE,
    FAILED,
    INTENT,
    ROLLBACK,
    UNDONE,
    Entry,
    JournalError,
    SqliteJournal,
    applied_tenants,
    deleted_tenants,
    legacy_journal_path,
    migration_id,
    migration_journal_path,
    removed_associations,
)
from sesmigrate.state.probes import FAILED as PROBE_FAILED
from sesmigrate.state.probes import PASSED, ProbeResult

CHECKSUM = "sha256:" + "a1" * 32
OTHER_CHECKSUM = "sha256:" + "b2" * 32
KEY = "attach:acme|arn:aws:ses:us-east-1:123456789012:identity/acme.example.com|EMAIL_IDENTITY"
CREATE = CreateTenant("acme").key
TENANT_ARN = "arn:aws:ses:us-east-1:123456789012:tenant/acme/tn-1"
OLD_LAYOUT = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (
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
    UNIQUE (key, direction)
);
"""
"""The journal as versions before the tenant ARN column wrote it."""


class FakeClock:
    """Seconds that advance by one per reading, so rows get distinct, known times."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return migration_journal_path(tmp_path / "state", "123456789012", "us-east-1", "acme")


@pytest.fixture
def journal(path: Path) -> Iterator[SqliteJournal]:
    opened = SqliteJournal(path, CHECKSUM, clock=FakeClock())
    yield opened
    opened.close()


def row(journal: SqliteJournal, key: str = KEY, direction: str = APPLY) -> Entry | None:
    matches = [e for e in journal.entries() if e.key == key and e.direction == direction]
    assert len(matches) <= 1
    return matches[0] if matches else None


def present(journal: SqliteJournal, key: str, direction: str = APPLY) -> Entry:
    found = row(journal, key, direction)
    assert found is not None
    return found


class TestIntent:
    def test_intent_is_new_on_first_attempt_and_seen_on_retry(self, journal: SqliteJournal) -> None:
        first = journal.intent(KEY, APPLY, "canary")
        second = journal.intent(KEY, APPLY, "canary")

        assert first is False
        assert second is True
        entry = row(journal)
        assert entry is not None
        assert (entry.state, entry.cohort) == (INTENT, "canary")

    def test_intent_is_seen_by_a_new_journal_on_the_same_file_after_a_crash(
        self, journal: SqliteJournal, path: Path
    ) -> None:
        journal.intent(KEY, APPLY, "canary")

        restarted = SqliteJournal(path, CHECKSUM)
        try:
            assert restarted.intent(KEY, APPLY, "canary") is True
        finally:
            restarted.close()


class TestOutcome:
    def test_done_records_made_and_previous(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, APPLY, "canary")

        journal.done(KEY, APPLY, Outcome(made=True, previous="standard"))

        entry = row(journal)
        assert entry is not None
        assert (entry.state, entry.made, entry.previous, entry.error) == (
            DONE,
            True,
            "standard",
            None,
        )

    def test_done_records_found_as_not_made(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, APPLY, "canary")

        journal.done(KEY, APPLY, Outcome(made=False))

        entry = row(journal)
        assert entry is not None
        assert (entry.state, entry.made) == (DONE, False)

    def test_failed_records_the_error_and_a_retry_sees_the_earlier_intent(
        self, journal: SqliteJournal
    ) -> None:
        journal.intent(KEY, APPLY, "canary")

        journal.failed(KEY, APPLY, "NotFoundException: Tenant acme does not exist.")

        entry = row(journal)
        assert entry is not None
        assert (entry.state, entry.error) == (
            FAILED,
            "NotFoundException: Tenant acme does not exist.",
        )
        assert journal.intent(KEY, APPLY, "canary") is True
        retried = row(journal)
        assert retried is not None
        assert (retried.state, retried.error) == (INTENT, None)

    def test_done_refuses_a_key_with_no_intent(self, journal: SqliteJournal) -> None:
        with pytest.raises(JournalError, match=r"no entry to complete for never-intended"):
            journal.done("never-intended", APPLY, Outcome(made=True))

        assert journal.entries() == []

    def test_failed_refuses_a_key_with_no_intent(self, journal: SqliteJournal) -> None:
        with pytest.raises(JournalError, match=r"expected to change one row, changed 0"):
            journal.failed("never-intended", APPLY, "boom")

        assert journal.entries() == []


class TestMemory:
    def test_memory_recalls_nothing_before_a_note(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, APPLY, "canary")

        assert journal.memory(KEY, APPLY).recalled is None

    def test_memory_note_is_recalled_by_a_new_journal_after_kill(
        self, journal: SqliteJournal, path: Path
    ) -> None:
        journal.intent(KEY, APPLY, "canary")
        journal.memory(KEY, APPLY).note("arn:aws:ses:us-east-1:aws:reputation-policy/none")
        # No close(): the process "dies" here, with only what was committed on disk.

        restarted = SqliteJournal(path, CHECKSUM)
        try:
            memory = restarted.memory(KEY, APPLY)
            assert memory.recalled == "arn:aws:ses:us-east-1:aws:reputation-policy/none"
            # a resumed attempt restores the noted value, not what it finds now
            assert (
                memory.previous(True, "arn:aws:ses:us-east-1:aws:reputation-policy/strict")
                == "arn:aws:ses:us-east-1:aws:reputation-policy/none"
            )
        finally:
            restarted.close()


class TestRollback:
    def test_rollback_done_marks_the_apply_row_undone(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, APPLY, "canary")
        journal.done(KEY, APPLY, Outcome(made=True))
        journal.intent(KEY, ROLLBACK, "canary")

        journal.done(KEY, ROLLBACK, Outcome(made=True))

        applied, rolled_back = row(journal, direction=APPLY), row(journal, direction=ROLLBACK)
        assert applied is not None and rolled_back is not None
        assert applied.state == UNDONE
        assert rolled_back.state == DONE

    def test_apply_intent_after_rollback_starts_fresh(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, APPLY, "canary")
        journal.memory(KEY, APPLY).note("ENABLED")
        journal.done(KEY, APPLY, Outcome(made=True, previous="ENABLED"))
        journal.intent(KEY, ROLLBACK, "canary")
        journal.done(KEY, ROLLBACK, Outcome(made=True))

        attempted = journal.intent(KEY, APPLY, "canary")

        assert attempted is False
        entries = journal.entries()
        assert [(e.key, e.direction) for e in entries] == [(KEY, APPLY)]
        fresh = entries[0]
        assert (fresh.state, fresh.made, fresh.previous, fresh.noted, fresh.error) == (
            INTENT,
            False,
            None,
            None,
            None,
        )

    def test_rollback_done_without_an_apply_row_is_refused(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, ROLLBACK, "canary")

        with pytest.raises(JournalError, match="no entry to complete"):
            journal.done(KEY, ROLLBACK, Outcome(made=True))

        rolled_back = row(journal, direction=ROLLBACK)
        assert rolled_back is not None
        assert rolled_back.state == INTENT


class TestEntries:
    def test_entries_are_ordered_by_sequence(self, journal: SqliteJournal) -> None:
        keys = ["create_tenant:zeta", "create_tenant:alpha", "create_tenant:mid"]
        for key in keys:
            journal.intent(key, APPLY, "canary")
        journal.done("create_tenant:alpha", APPLY, Outcome(made=True))

        entries = journal.entries()

        assert [e.key for e in entries] == keys
        assert [e.seq for e in entries] == sorted(e.seq for e in entries)
        assert len({e.seq for e in entries}) == 3

    def test_entries_from_eight_threads_on_distinct_keys_all_land(
        self, journal: SqliteJournal
    ) -> None:
        threads, per_thread = 8, 25
        start = threading.Barrier(threads)
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            start.wait()
            try:
                for n in range(per_thread):
                    key = f"attach:t{worker}|r{n}"
                    journal.intent(key, APPLY, f"wave-{worker}")
                    journal.done(key, APPLY, Outcome(made=n % 2 == 0, previous=str(n)))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

        assert errors == []
        entries = journal.entries()
        assert len(entries) == threads * per_thread
        assert {e.key for e in entries} == {
            f"attach:t{w}|r{n}" for w in range(threads) for n in range(per_thread)
        }
        assert all(e.state == DONE for e in entries)
        assert all(e.made == (int(e.previous or "1") % 2 == 0) for e in entries)


class TestKnown:
    def test_known_holds_the_arn_a_finished_creation_journaled(
        self, journal: SqliteJournal
    ) -> None:
        journal.intent(CREATE, APPLY, "canary")
        journal.done(CREATE, APPLY, Outcome(made=True, tenant_arn=TENANT_ARN))

        assert journal.known("acme") == Known(tenant_arn=TENANT_ARN, created=True)
        assert present(journal, CREATE).tenant_arn == TENANT_ARN

    def test_known_marks_a_tenant_found_in_place_as_not_created(
        self, journal: SqliteJournal
    ) -> None:
        journal.intent(CREATE, APPLY, "canary")
        journal.done(CREATE, APPLY, Outcome(made=False, tenant_arn=TENANT_ARN))

        assert journal.known("acme") == Known(tenant_arn=TENANT_ARN, created=False)

    def test_known_is_empty_for_an_interrupted_or_unplanned_creation(
        self, journal: SqliteJournal
    ) -> None:
        journal.intent(CREATE, APPLY, "canary")

        assert journal.known("acme") == Known()
        assert journal.known("other") == Known()

    def test_known_forgets_a_creation_that_was_rolled_back(self, journal: SqliteJournal) -> None:
        journal.intent(CREATE, APPLY, "canary")
        journal.done(CREATE, APPLY, Outcome(made=True, tenant_arn=TENANT_ARN))
        journal.intent(CREATE, ROLLBACK, "canary")
        journal.done(CREATE, ROLLBACK, Outcome(made=True))

        assert journal.known("acme") == Known()
        journal.intent(CREATE, APPLY, "canary")
        assert present(journal, CREATE).tenant_arn is None


class TestCohortFinished:
    def test_a_finished_cohort_records_the_clock_reading(self, journal: SqliteJournal) -> None:
        journal.finish_cohort("canary")

        assert journal.cohort_finished("canary") == 1001.0
        assert journal.cohort_finished("wave-1") is None

    def test_finishing_a_cohort_again_moves_its_time_on(self, journal: SqliteJournal) -> None:
        journal.finish_cohort("canary")
        journal.finish_cohort("canary")

        assert journal.cohort_finished("canary") == 1002.0

    def test_the_finish_time_is_seen_by_a_new_journal_on_the_same_file(
        self, journal: SqliteJournal, path: Path
    ) -> None:
        journal.finish_cohort("canary")

        again = SqliteJournal(path, CHECKSUM)
        try:
            assert again.cohort_finished("canary") == 1001.0
        finally:
            again.close()


def old_layout_journal(path: Path) -> None:
    """A journal file as an earlier version left it: a created tenant, a policy noted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(OLD_LAYOUT)
        db.execute("INSERT INTO meta VALUES ('plan', ?)", (CHECKSUM,))
        db.execute(
            "INSERT INTO entries (key, direction, cohort, state, made, started, finished) "
            "VALUES (?, 'apply', 'canary', 'done', 1, 1.0, 2.0)",
            (CREATE,),
        )
        db.execute(
            "INSERT INTO entries (key, direction, cohort, state, noted, started) "
            "VALUES ('set_policy:acme', 'apply', 'canary', 'intent', 'standard', 3.0)"
        )
    db.close()


class TestOldLayout:
    def test_a_journal_without_the_arn_column_opens_and_keeps_its_entries(self, path: Path) -> None:
        old_layout_journal(path)

        journal = SqliteJournal(path, CHECKSUM)
        try:
            entries = journal.entries()
            assert [(e.key, e.state, e.made, e.tenant_arn) for e in entries] == [
                (CREATE, DONE, True, None),
                ("set_policy:acme", INTENT, False, None),
            ]
            assert journal.known("acme") == Known(tenant_arn=None, created=True)
            assert journal.memory("set_policy:acme", APPLY).recalled == "standard"
        finally:
            journal.close()

    def test_an_old_journal_dates_a_cohort_by_its_last_applied_action(self, path: Path) -> None:
        old_layout_journal(path)

        journal = SqliteJournal(path, CHECKSUM, clock=FakeClock())
        try:
            assert journal.cohort_finished("canary") == 2.0
            journal.finish_cohort("canary")
            assert journal.cohort_finished("canary") == 1001.0
        finally:
            journal.close()

    def test_an_upgraded_old_journal_resumes_and_rolls_back(self, path: Path) -> None:
        old_layout_journal(path)
        SqliteJournal(path, CHECKSUM).close()  # a second open finds the column in place
        journal = SqliteJournal(path, CHECKSUM)
        try:
            assert journal.intent("set_policy:acme", APPLY, "canary") is True
            journal.done("set_policy:acme", APPLY, Outcome(made=True, previous="standard"))
            journal.intent(CREATE, ROLLBACK, "canary")
            journal.done(CREATE, ROLLBACK, Outcome(made=True))

            assert present(journal, CREATE).state == UNDONE
            assert present(journal, "set_policy:acme").previous == "standard"
        finally:
            journal.close()


class TestFile:
    def test_journal_refuses_a_file_of_another_migration(self, path: Path) -> None:
        SqliteJournal(path, CHECKSUM, migration=migration_id("1", "us-east-1", "acme")).close()

        with pytest.raises(JournalError) as caught:
            SqliteJournal(path, OTHER_CHECKSUM, migration=migration_id("1", "us-east-1", "beta"))

        message = str(caught.value)
        assert "\n" not in message
        assert "belongs to migration acme in 1 us-east-1, not beta in 1 us-east-1" in message
        assert "--journal" in message

    def test_journal_reopens_a_file_bound_to_the_same_plan(self, path: Path) -> None:
        first = SqliteJournal(path, CHECKSUM)
        first.intent(KEY, APPLY, "canary")
        first.close()

        again = SqliteJournal(path, CHECKSUM)
        try:
            assert [e.key for e in again.entries()] == [KEY]
        finally:
            again.close()

    def test_journal_file_uses_wal(self, journal: SqliteJournal, path: Path) -> None:
        reader = sqlite3.connect(path)
        try:
            (mode,) = reader.execute("PRAGMA journal_mode").fetchone()
        finally:
            reader.close()

        assert mode == "wal"

    def test_a_migration_journal_lives_beside_its_cohort_membership(self, tmp_path: Path) -> None:
        path = migration_journal_path(tmp_path, "123456789012", "us-east-1", "acme")

        assert (
            path == tmp_path / "migrations" / "123456789012-us-east-1" / "acme" / "journal.sqlite"
        )
        assert migration_journal_path(tmp_path, "123456789012", "eu-west-1", "acme") != path

    def test_an_earlier_versions_journal_was_named_by_plan_checksum(self, tmp_path: Path) -> None:
        path = legacy_journal_path(tmp_path, CHECKSUM)

        assert path == tmp_path / "journals" / ("a1" * 16 + ".sqlite")

    def test_journal_creates_its_folder(self, tmp_path: Path) -> None:
        path = tmp_path / "fresh-state" / "deeper" / "journal.sqlite"

        SqliteJournal(path, CHECKSUM).close()

        assert path.is_file()


class TestProbes:
    """The probes' results are the migration's state, beside its entries."""

    FAILURE = ProbeResult("canary", "tier-free", PROBE_FAILED, "SendingPausedException", "a")
    SUCCESS = ProbeResult("canary", "tier-free", PASSED, "message m-1", "a", "x@a.example", "cs")

    def test_probe_results_are_kept_oldest_first_with_their_plan_and_time(
        self, journal: SqliteJournal
    ) -> None:
        journal.record_probe(self.FAILURE)
        journal.for_plan(OTHER_CHECKSUM).record_probe(self.SUCCESS)

        kept = journal.probes()

        assert [(r.outcome, r.plan, r.at) for r in kept] == [
            (PROBE_FAILED, CHECKSUM, 1001.0),
            (PASSED, OTHER_CHECKSUM, 1002.0),
        ]
        assert [r.to_dict() for r in kept] == [self.FAILURE.to_dict(), self.SUCCESS.to_dict()]

    def test_probe_results_survive_reopening_the_file(self, path: Path) -> None:
        first = SqliteJournal(path, CHECKSUM)
        first.record_probe(self.FAILURE)
        first.close()

        again = SqliteJournal(path, CHECKSUM)
        try:
            assert [r.detail for r in again.probes()] == ["SendingPausedException"]
        finally:
            again.close()

    def test_a_journal_made_before_probes_were_kept_opens_and_takes_them(self, path: Path) -> None:
        made = SqliteJournal(path, CHECKSUM)
        made.intent(CREATE, APPLY, "canary")
        made.close()
        with sqlite3.connect(path) as db:
            db.execute("DROP TABLE probes")  # as the previous version left the file
        db.close()

        journal = SqliteJournal(path, CHECKSUM)
        try:
            assert journal.probes() == []
            assert [e.key for e in journal.entries()] == [CREATE]
            journal.record_probe(self.SUCCESS)
            assert [r.outcome for r in journal.probes()] == [PASSED]
        finally:
            journal.close()

    def test_a_one_plan_journal_of_an_earlier_version_has_no_probes(self, path: Path) -> None:
        old_layout_journal(path)

        journal = SqliteJournal(path, CHECKSUM)
        try:
            assert journal.probes() == []
        finally:
            journal.close()


class TestMigration:
    """One database holds every plan of a migration, each plan a view of its own rows."""

    def test_two_plans_keep_their_own_rows_of_the_same_action(self, journal: SqliteJournal) -> None:
        other = journal.for_plan(OTHER_CHECKSUM)
        journal.intent(CREATE, APPLY, "canary")
        journal.done(CREATE, APPLY, Outcome(made=True, tenant_arn=TENANT_ARN))
        other.intent(CREATE, APPLY, "wave-1")

        assert [(e.plan, e.state) for e in journal.entries()] == [(CHECKSUM, DONE)]
        assert [(e.plan, e.state) for e in other.entries()] == [(OTHER_CHECKSUM, INTENT)]
        assert [e.plan for e in journal.migration_entries()] == [CHECKSUM, OTHER_CHECKSUM]
        assert other.known("acme") == Known()

    def test_entries_name_the_tenant_their_action_acts_on(self, journal: SqliteJournal) -> None:
        journal.intent(KEY, APPLY, "canary")
        journal.intent("create_log_group:/aws/ses/tenants", APPLY, "canary")

        assert [e.tenant for e in journal.entries()] == ["acme", None]

    def test_applied_tenants_are_those_with_done_actions_less_the_deleted(
        self, journal: SqliteJournal
    ) -> None:
        for key in (CREATE, "set_policy:beta", "delete_tenant:gone", "attach:gone|x|y"):
            journal.intent(key, APPLY, "canary")
            journal.done(key, APPLY, Outcome(made=True))
        journal.intent("set_policy:later", APPLY, "wave-1")
        journal.intent(CREATE, ROLLBACK, "canary")
        journal.done(CREATE, ROLLBACK, Outcome(made=True))

        assert applied_tenants(journal.entries()) == {"beta"}

    def test_a_tenant_a_later_plan_acts_on_after_an_earlier_deleted_it_is_applied_again(
        self, journal: SqliteJournal
    ) -> None:
        gone = "delete_tenant:acme"
        journal.intent(gone, APPLY, "offboard-acme")
        journal.done(gone, APPLY, Outcome(made=True))
        assert deleted_tenants(journal.migration_entries()) == {"acme"}
        later = journal.for_plan(OTHER_CHECKSUM)
        later.intent(CREATE, APPLY, "onboard-acme")
        later.done(CREATE, APPLY, Outcome(made=True))

        assert applied_tenants(journal.migration_entries()) == {"acme"}
        assert deleted_tenants(journal.migration_entries()) == set()

    def test_an_associations_latest_change_says_whether_it_was_removed_on_purpose(
        self, journal: SqliteJournal
    ) -> None:
        for key in ("attach:acme|arn-1|IDENTITY", "attach:acme|arn-2|IDENTITY"):
            journal.intent(key, APPLY, "canary")
            journal.done(key, APPLY, Outcome(made=True))
        later = journal.for_plan(OTHER_CHECKSUM)
        later.intent("detach:acme|arn-1|IDENTITY", APPLY, "offboard-x")
        later.done("detach:acme|arn-1|IDENTITY", APPLY, Outcome(made=True))
        later.intent("detach:acme|arn-2|IDENTITY", APPLY, "offboard-x")

        assert removed_associations(journal.migration_entries()) == {("acme", "arn-1")}

    def test_plans_keep_their_documents_and_last_source(self, journal: SqliteJournal) -> None:
        journal.register('{"plan": 1}', "plans/a.plan.json")
        journal.register('{"plan": 1}', "moved/a.plan.json")
        journal.for_plan(OTHER_CHECKSUM).register('{"plan": 2}', "plans/b.plan.json")

        assert journal.plans() == {
            CHECKSUM: ('{"plan": 1}', "moved/a.plan.json"),
            OTHER_CHECKSUM: ('{"plan": 2}', "plans/b.plan.json"),
        }

    def test_the_last_finished_cohort_of_any_plan_dates_the_migration(
        self, journal: SqliteJournal
    ) -> None:
        assert journal.last_finished() is None
        journal.finish_cohort("canary")
        journal.for_plan(OTHER_CHECKSUM).finish_cohort("wave-1")

        assert journal.last_finished() == 1002.0
        assert journal.cohort_finished("wave-1") is None


class TestLegacy:
    """Journals of earlier versions: one file per plan, no plan column."""

    def test_an_old_journal_is_imported_into_its_plans_view_once(
        self, journal: SqliteJournal, tmp_path: Path
    ) -> None:
        old = legacy_journal_path(tmp_path / "old", CHECKSUM)
        old_layout_journal(old)

        first = journal.import_legacy(old)
        second = journal.import_legacy(old)

        assert (first, second) == (2, 0)
        assert [(e.key, e.state, e.plan) for e in journal.entries()] == [
            (CREATE, DONE, CHECKSUM),
            ("set_policy:acme", INTENT, CHECKSUM),
        ]
        assert journal.known("acme") == Known(tenant_arn=None, created=True)
        assert journal.memory("set_policy:acme", APPLY).recalled == "standard"

    def test_an_old_journal_given_as_the_journal_is_upgraded_in_place(self, tmp_path: Path) -> None:
        old = tmp_path / "given.sqlite"
        old_layout_journal(old)

        upgraded = SqliteJournal(old, CHECKSUM)
        try:
            upgraded.intent("set_policy:acme", APPLY, "canary")
            upgraded.for_plan(OTHER_CHECKSUM).intent("set_policy:acme", APPLY, "wave-1")
            rows = [(e.plan, e.key) for e in upgraded.migration_entries()]
        finally:
            upgraded.close()

        assert rows == [
            (CHECKSUM, CREATE),
            (CHECKSUM, "set_policy:acme"),
            (OTHER_CHECKSUM, "set_policy:acme"),
        ]
