"""Token buckets and the clock they read: shared by the emulator and the client limiter.

Time is injected (`Clock`) so that rates can be tested without sleeping. The emulator
asks `try_take` (answer 429 when empty); a client limiter asks `reserve` (wait for the
token instead), so concurrent callers queue in arrival order rather than spin.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Clock:
    """Monotonic time and sleep, injectable for tests."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def stepping_clock(step: float) -> Clock:
    """A clock that counts events, not time: each reading is `step` seconds after the last,
    and a sleep passes at once (it only moves the clock on)."""
    lock = threading.Lock()
    elapsed = [0.0]

    def advance(seconds: float) -> float:
        with lock:
            elapsed[0] += seconds
            return elapsed[0]

    def sleep(seconds: float) -> None:
        advance(seconds)

    return Clock(now=lambda: advance(step), sleep=sleep)


class TokenBucket:
    """`rate` tokens a second, holding at most `burst` (default: one second's worth, >= 1)."""

    def __init__(self, rate: float, clock: Clock, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"a rate must be positive, not {rate}")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock.now()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock.now()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def try_take(self) -> bool:
        """Take a token if one is there."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def reserve(self) -> float:
        """Take a token, possibly ahead of time; return the seconds to wait before using it."""
        with self._lock:
            self._refill()
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def set_rate(self, rate: float) -> None:
        """Change the rate from now on, keeping the tokens already earned."""
        with self._lock:
            self._refill()
            self.rate = rate
