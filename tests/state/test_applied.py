from pathlib import Path

from sesmigrate.state.applied import applied_journals, note_applied

CHECKSUM = "sha256:" + "ab" * 32


def test_a_journal_noted_twice_is_listed_once(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    journal.touch()

    note_applied(tmp_path / "locks", CHECKSUM, journal)
    note_applied(tmp_path / "locks", CHECKSUM, journal)

    assert applied_journals(tmp_path / "locks", CHECKSUM) == [journal.resolve()]


def test_a_journal_that_is_gone_is_not_listed(tmp_path: Path) -> None:
    kept, gone = tmp_path / "kept.db", tmp_path / "gone.db"
    kept.touch()
    note_applied(tmp_path, CHECKSUM, kept)
    note_applied(tmp_path, CHECKSUM, gone)

    assert applied_journals(tmp_path, CHECKSUM) == [kept.resolve()]
    assert len(applied_journals(tmp_path, CHECKSUM, existing_only=False)) == 2


def test_another_plan_has_no_journals(tmp_path: Path) -> None:
    note_applied(tmp_path, CHECKSUM, tmp_path / "j.db")

    assert applied_journals(tmp_path, "sha256:" + "cd" * 32, existing_only=False) == []
