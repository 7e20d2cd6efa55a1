"""Which journals a plan has been applied into, kept once per machine beside the locks.

`plan -o` must not replace a plan an apply has started from, wherever that apply kept its
journal: `--journal`, another `--state-dir`, another working directory. The state directory
cannot say so (it is the thing that differs), so every non-dry apply notes its journal here,
in the machine's lock folder, which no flag of a run moves. One small file per plan
checksum lists the journals (absolute paths) it was applied into.
"""

from pathlib import Path

from .home import lock_dir

FOLDER = "applied"


def _record_file(folder: Path | None, checksum: str) -> Path:
    base = folder if folder is not None else lock_dir()
    return base / FOLDER / f"{checksum.removeprefix('sha256:')}.txt"


def note_applied(folder: Path | None, checksum: str, journal: Path) -> None:
    """Remember that the plan `checksum` is being applied into `journal`."""
    record = _record_file(folder, checksum)
    path = journal.resolve()
    if path in applied_journals(folder, checksum, existing_only=False):
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    with record.open("a", encoding="utf-8") as out:
        out.write(f"{path}\n")


def applied_journals(
    folder: Path | None, checksum: str, *, existing_only: bool = True
) -> list[Path]:
    """The journals the plan `checksum` was applied into on this machine (those still there,
    unless `existing_only` is false)."""
    try:
        lines = _record_file(folder, checksum).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    paths = [Path(line) for line in lines if line.strip()]
    return [p for p in paths if p.exists()] if existing_only else paths
