"""Writing the files sesmigrate produces: whole or not at all, and failures said in words.

A crash or Ctrl-C while writing must never leave half an inventory or plan behind, so
each file is written beside its target and renamed over it. A run killed between the two
leaves its temporary file; the next write of the same target removes it (ours only: the
name carries our mark and the writer's pid). Every file-system failure becomes one line
naming the path and the cause, a full disk as "disk full".
"""

import errno
import glob
import os
import re
import secrets
import sqlite3
import time
from contextlib import suppress
from pathlib import Path

from .errors import SesmigrateError

TEMP_MARK = ".sesmigrate-tmp-"
"""What names a temporary file of ours: `.NAME.sesmigrate-tmp-PID-RANDOM` beside NAME."""
STALE_AFTER = 3600.0
"""Seconds after which a temporary file of ours is stale even if its pid is alive again
(pids are reused, and no write takes an hour)."""
_LEGACY_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.tmp")
"""Earlier versions' temporary name, `.NAME.PID.tmp`."""
FULL = (errno.ENOSPC, errno.EDQUOT)


def reason(exc: OSError | sqlite3.Error) -> str:
    """Why a file-system (or SQLite) operation failed, in words; a full disk or quota is
    "disk full", whatever layer noticed it."""
    if isinstance(exc, FileExistsError):  # mkdir's words for a file where a folder must be
        return f"{exc.filename} is not a directory" if exc.filename else "not a directory"
    if isinstance(exc, OSError):
        return "disk full" if exc.errno in FULL else (exc.strerror or str(exc))
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc):
        return "disk full"
    return str(exc)


def failure_line(exc: OSError | sqlite3.Error) -> str:
    """One line for a file-system failure no caller foresaw: the path (when known) and why."""
    where, why = getattr(exc, "filename", None), reason(exc)
    if not where or why.startswith(str(where)):
        return f"file system: {why}"
    return f"cannot use {where}: {why}"


def writable_target(path: Path) -> Path:
    """`path` if a file can be written there: not a folder, and its nearest existing parent
    a folder. Checked before long work (a scan) so that it does not end in vain."""
    if not path.name or path.is_dir():
        raise SesmigrateError(f"cannot write {path}: it is a directory; give a file name")
    existing = path.parent
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise SesmigrateError(f"cannot write {path}: {existing} is not a directory")
    return path


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step, or raise a one-line error and change nothing."""
    writable_target(path)
    temporary = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SesmigrateError(f"cannot write {path}: {reason(exc)}") from None
    try:
        remove_stale_temporaries(path)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        with suppress(OSError):  # the cleanup must not hide why the write failed
            temporary.unlink(missing_ok=True)
        raise SesmigrateError(f"cannot write {path}: {reason(exc)}") from None


def remove_stale_temporaries(path: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files a killed write of `path` left: ours by name, and whose
    writer is gone or which are older than `STALE_AFTER`; the paths removed."""
    now = time.time() if now is None else now
    removed = []
    for candidate in path.parent.glob(f".{glob.escape(path.name)}*"):
        pid = _writer_pid(candidate.name, path.name)
        if pid is None:
            continue
        with suppress(OSError):
            if not _alive(pid) or now - candidate.stat().st_mtime > STALE_AFTER:
                candidate.unlink()
                removed.append(candidate)
    return removed


def _writer_pid(name: str, target: str) -> int | None:
    """The pid in a temporary file name of ours for `target`; None for any other file."""
    ours = f".{target}{TEMP_MARK}"
    if name.startswith(ours):
        pid = name[len(ours) :].split("-", 1)[0]
        return int(pid) if pid.isdigit() else None
    legacy = _LEGACY_TEMP.fullmatch(name)
    if legacy and legacy["name"] == target:
        return int(legacy["pid"])
    return None


def _alive(pid: int) -> bool:
    """Whether process `pid` exists; where that cannot be asked, only age decides."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def read_text(path: Path, what: str) -> str:
    """A file's text, or a one-line error saying which file could not be read and why."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SesmigrateError(f"{what} {path} does not exist") from None
    except UnicodeDecodeError:
        raise SesmigrateError(f"{what} {path} is not UTF-8 text") from None
    except OSError as exc:
        raise SesmigrateError(f"cannot read {what} {path}: {reason(exc)}") from None
