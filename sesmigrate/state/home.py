"""Where a machine keeps sesmigrate's state and its locks: not in the working directory.

A migration's state (journal, cohort membership, audit trail, learned rates) must be found
by every run of it on the machine, from any directory, and lives with the lock that keeps
its runs apart. Both follow the XDG base-directory rule (computed here rather than through
a dependency): `$XDG_STATE_HOME/sesmigrate`, by default `~/.local/state/sesmigrate`, with the
state directly in it and the locks in `locks/`. `SESMIGRATE_STATE_DIR` (or `--state-dir`)
moves the state; `SESMIGRATE_LOCK_DIR` moves the locks, and `--state-dir` never does (tests
isolate themselves with both). Earlier versions kept the state in `./.sesmigrate`; a plan's
journal found there is imported into its migration's state on first use.
"""

import os
from pathlib import Path

from ..errors import SesmigrateError

STATE_DIR_VARIABLE = "SESMIGRATE_STATE_DIR"
LOCK_DIR_VARIABLE = "SESMIGRATE_LOCK_DIR"
OLD_STATE_DIR = Path(".sesmigrate")
"""The state directory of versions before the migration state: relative to the working
directory."""


def _xdg_state() -> Path:
    state = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state) if Path(state).is_absolute() else Path.home() / ".local" / "state"
    return base / "sesmigrate"


def state_dir(given: Path | None = None) -> Path:
    """The state directory: `given` (--state-dir), else SESMIGRATE_STATE_DIR, else the
    machine's."""
    if given is not None:
        return given
    named = os.environ.get(STATE_DIR_VARIABLE)
    return Path(named).expanduser() if named else _xdg_state()


def lock_dir() -> Path:
    """The machine's lock folder; never relative to the working directory unless
    SESMIGRATE_LOCK_DIR says so."""
    given = os.environ.get(LOCK_DIR_VARIABLE)
    return Path(given).expanduser() if given else _xdg_state() / "locks"


def writable_state_dir(given: Path | None = None) -> Path:
    """The state directory (as `state_dir`), checked before a command does any work: it, or
    the folder it would be made in, must be a directory this user may write. A run that
    scanned for an hour must not then fail to keep what it learned."""
    path = state_dir(given)
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    where = f"state directory {path} (--state-dir or {STATE_DIR_VARIABLE})"
    if not existing.is_dir():
        raise SesmigrateError(f"{where}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SesmigrateError(f"{where}: {existing} is not writable")
    return path
