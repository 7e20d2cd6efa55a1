"""Soak as elapsed time: the next cohort waits until `soak_seconds` have passed since the
cohorts before it finished, as the journal recorded, not for a sleep of this process.

So a canary applied yesterday under a 24-hour soak needs no wait today, and a soak still
running is either reported (`apply` exits with its own status, saying how long remains) or
waited out with `--wait`, without holding the apply lock. The clock is wall time (it is
compared with times other processes wrote) and injectable, so tests never sleep.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import SesmigrateError
from ..planning.durations import duration

SOAK_EXIT_STATUS = 3
"""`apply`'s exit status while a soak is still running (0, 1 and 2 are taken)."""


@dataclass(frozen=True, slots=True)
class WallClock:
    """Wall time (comparable across processes and days) and sleep, injectable for tests."""

    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


class SoakPendingError(SesmigrateError):
    """The soak before `cohort` has `remaining` seconds to run; nothing was changed for it."""

    exit_status = SOAK_EXIT_STATUS

    def __init__(self, cohort: str, remaining: float, soak: float) -> None:
        self.cohort, self.remaining, self.soak = cohort, remaining, soak
        super().__init__(
            f"the {duration(soak)} soak before {cohort} has {duration(remaining)} to run; "
            "re-run sesmigrate apply then, or pass --wait to wait for it"
        )


def soak_of(spec: dict[str, object]) -> float:
    """The plan's soak in seconds (its spec's gates.soak_seconds)."""
    gates = spec.get("gates", {})
    return float(gates.get("soak_seconds", 0.0)) if isinstance(gates, dict) else 0.0


def remaining(soak: float, finished: list[float], now: float) -> float:
    """Seconds left of the soak since the last of the earlier cohorts finished (0: done).
    Earlier cohorts that never finished anything (no actions) start no soak."""
    if not soak or not finished:
        return 0.0
    return max(0.0, max(finished) + soak - now)


def wait_out(seconds: float, clock: WallClock, tick: Callable[[float], None]) -> None:
    """Sleep until `seconds` have passed by `clock`, telling `tick` what remains each second."""
    deadline = clock.now() + seconds
    while (left := deadline - clock.now()) > 0:
        tick(left)
        clock.sleep(min(1.0, left))
    tick(0.0)
