"""One apply or rollback at a time per account and region, with its holder named.

An OS file lock (filelock) is held for the whole run, so a crashed or killed holder
releases it by itself; beside it a small JSON file names the holder (host, pid, plan,
start time) for whoever is refused. `sesmigrate unlock` only clears that record, and
only when no live process holds the lock.

The lock lives once per machine, not in the state directory: two runs from different
working directories or `--state-dir`s must still exclude each other. Its home is
`SESMIGRATE_LOCK_DIR` when set (tests isolate themselves with it; `--state-dir` never
moves it), else the user's XDG state directory: `$XDG_STATE_HOME/sesmigrate/locks`, by
default `~/.local/state/sesmigrate/locks` (the XDG base-directory rule, computed here
rather than through a dependency). One machine user's runs exclude each other; another
user's or another machine's need the shared backend a later issue brings behind this
same interface.
"""

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import SesmigrateError
from .home import lock_dir


class ApplyLockedError(SesmigrateError):
    def __init__(self, account: str, region: str, holder: str, waited: float = 0.0) -> None:
        self.account, self.region, self.holder = account, region, holder
        after = f" after waiting {waited:g}s" if waited else ""
        super().__init__(
            f"another apply or rollback holds account {account} in {region} ({holder}){after}; "
            "wait for it, or run 'sesmigrate unlock' if that process is gone"
        )


@dataclass
class ApplyLock:
    account: str
    region: str
    plan: str = ""
    folder: Path | None = None
    """Default: `lock_dir()`, read when the lock is made."""
    wait: float = 0.0
    """Seconds to wait for a holder to finish: an onboarding (a sign-up) may wait a little
    for a short run; apply and rollback refuse at once, since theirs last hours."""

    def __post_init__(self) -> None:
        folder = self.folder if self.folder is not None else lock_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.account}-{self.region}"
        self._lock = FileLock(str(folder / f"{stem}.lock"))
        self.holder_file = folder / f"{stem}.holder.json"

    def holder(self) -> str:
        try:
            data = json.loads(self.holder_file.read_text())
        except (OSError, ValueError):
            return "holder unknown"
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(data.get("started", 0)))
        return (
            f"pid {data.get('pid')} on {data.get('host')}, plan {data.get('plan')}, "
            f"since {started} UTC"
        )

    def __enter__(self) -> "ApplyLock":
        try:
            self._lock.acquire(timeout=self.wait)
        except Timeout:
            raise ApplyLockedError(self.account, self.region, self.holder(), self.wait) from None
        record = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "plan": self.plan,
            "started": time.time(),
        }
        self.holder_file.write_text(json.dumps(record))
        return self

    def __exit__(self, *exc: object) -> None:
        self.holder_file.unlink(missing_ok=True)
        self._lock.release()

    def clear(self) -> str:
        """Remove a stale holder record; refuse while a live process holds the lock."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise ApplyLockedError(self.account, self.region, self.holder()) from None
        try:
            stale = self.holder_file.exists()
            self.holder_file.unlink(missing_ok=True)
        finally:
            self._lock.release()
        return "cleared a stale lock record" if stale else "no lock was held"
