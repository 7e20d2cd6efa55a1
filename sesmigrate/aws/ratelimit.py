"""Client-side rate limits per SES operation, fixed or adaptive, hooked into botocore.

Real SES allows many non-send operations about one call a second each, and documents no
rate at all for the tenant operations. So every HTTP attempt (botocore's retries included)
first takes a token: from the account-wide bucket if `--rate` set one, from its
operation's fixed bucket if `--op-rate` set one, and from its operation's adaptive bucket
once that operation's limit is known.

An adaptive operation runs unlimited until it is first throttled (or from the limit an
earlier run learned, `state.rates`). A throttle means SES's bucket for it is empty, so
the calls it answered over the last seconds are its limit: that becomes the estimate,
and the operation runs at `headroom` of it, leaving the rest to the platform's own
software, which shares every per-operation limit. The estimate only goes down within a
run, and only on repeated throttling (two within five seconds, at most once a second), so
a stray 429 from two clocks disagreeing is retried, not paid for with a cut: going back
up is for the next day's relearning, because probing upwards would take the platform's
share. It is per operation, not per client as botocore's adaptive mode is, so that a
throttled CreateTenant does not slow down ListTenants. An operation under a cap the user
gave is not adapted: the cap is the user's knowledge of the account.
"""

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .tokenbucket import Clock, TokenBucket

MIN_ADAPTIVE_RATE = 0.5
THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})
WINDOW = 2.0
"""Seconds of answers a rate is measured over: long enough to amortise SES's burst."""
MIN_SPAN = 0.5
"""An operation younger than this is measured as if it had run this long."""
REPEATED = 5.0
"""Two throttles within this many seconds contradict a limit already estimated."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What a run learned of one operation's limit."""

    limit: float | None
    """The limit estimated from this run's throttling; None if it was never throttled."""
    at_least: float
    """The highest rate SES answered at in this run: the limit is no lower (if not capped)."""


class _Adaptive:
    """One operation's adaptive limit: inactive until its limit is estimated."""

    def __init__(self, clock: Clock, headroom: float, limit: float | None) -> None:
        self.clock = clock
        self.headroom = headroom
        self.limit = limit
        self.bucket = TokenBucket(self._share(limit), clock, 1.0) if limit else None
        self.learned = False
        self.first: float | None = None
        self.answered: deque[float] = deque()
        self.peak = 0.0
        self.throttled_at: deque[float] = deque()
        self.last_cut = float("-inf")
        self.lock = threading.Lock()

    def _share(self, limit: float) -> float:
        return max(MIN_ADAPTIVE_RATE, limit) * self.headroom

    def _rate(self, now: float) -> float:
        while self.answered and self.answered[0] < now - WINDOW:
            self.answered.popleft()
        started = self.first if self.first is not None else now
        return len(self.answered) / max(MIN_SPAN, min(WINDOW, now - started))

    def note_send(self) -> None:
        with self.lock:
            if self.first is None:
                self.first = self.clock.now()

    def succeeded(self) -> None:
        with self.lock:
            now = self.clock.now()
            self.answered.append(now)
            self.peak = max(self.peak, self._rate(now))

    def throttled(self) -> None:
        with self.lock:
            now = self.clock.now()
            self.throttled_at.append(now)
            while self.throttled_at[0] < now - REPEATED:
                self.throttled_at.popleft()
            repeated = len(self.throttled_at) >= 2 and now - self.last_cut >= 1.0
            if self.limit is not None and not repeated:
                return
            measured = max(MIN_ADAPTIVE_RATE, self._rate(now))
            self.limit = measured if self.limit is None else min(self.limit, measured)
            if self.bucket is None:
                self.bucket = TokenBucket(self._share(self.limit), self.clock, 1.0)
            else:
                self.bucket.set_rate(self._share(self.limit))
            self.learned = True
            self.last_cut = now
            self.throttled_at.clear()

    def observation(self) -> Observation:
        with self.lock:
            return Observation(self.limit if self.learned else None, round(self.peak, 3))


class RateLimiter:
    """Per-operation limits for one or more clients; attach it to each client it governs.

    `limits`: each operation's limit as learned before (it starts capped at `headroom` of
    it); `headroom`: the share of a learned limit this run uses, in (0, 1]."""

    def __init__(
        self,
        rate: float | None = None,
        op_rates: Mapping[str, float] | None = None,
        adaptive: bool = True,
        clock: Clock | None = None,
        limits: Mapping[str, float] | None = None,
        headroom: float = 1.0,
    ) -> None:
        if not 0 < headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], not {headroom}")
        self.clock = clock or Clock()
        self.headroom = headroom
        self._account = TokenBucket(rate, self.clock) if rate else None
        self._fixed = {op: TokenBucket(r, self.clock) for op, r in (op_rates or {}).items()}
        self._limits = dict(limits or {})
        self._adaptive_enabled = adaptive
        self._adaptive: dict[str, _Adaptive] = {}
        self._lock = threading.Lock()
        self.throttles = 0

    def _adapts(self, operation: str) -> bool:
        return self._adaptive_enabled and self._account is None and operation not in self._fixed

    def _adaptive_for(self, operation: str) -> _Adaptive:
        with self._lock:
            if operation not in self._adaptive:
                self._adaptive[operation] = _Adaptive(
                    self.clock, self.headroom, self._limits.get(operation)
                )
            return self._adaptive[operation]

    def acquire(self, operation: str) -> None:
        """Block until `operation` may send one request."""
        waits = [bucket.reserve() for bucket in self._buckets(operation)]
        wait = max(waits, default=0.0)
        if wait > 0:
            self.clock.sleep(wait)
        if self._adapts(operation):
            self._adaptive_for(operation).note_send()

    def _buckets(self, operation: str) -> list[TokenBucket]:
        buckets = [b for b in (self._account, self._fixed.get(operation)) if b is not None]
        if self._adapts(operation):
            adaptive = self._adaptive_for(operation).bucket
            if adaptive is not None:
                buckets.append(adaptive)
        return buckets

    def observe(self, operation: str, throttled: bool) -> None:
        """Learn from one response: estimate or lower the limit on throttling."""
        if throttled:
            with self._lock:
                self.throttles += 1
        if not self._adapts(operation):
            return
        if throttled:
            self._adaptive_for(operation).throttled()
        else:
            self._adaptive_for(operation).succeeded()

    def current_rate(self, operation: str) -> float | None:
        """The adaptive limit now in force for `operation`, if its limit is known."""
        bucket = self._adaptive_for(operation).bucket
        return bucket.rate if bucket else None

    def observations(self) -> dict[str, Observation]:
        """What this run learned, for every adaptive operation SES answered."""
        with self._lock:
            adaptive = dict(self._adaptive)
        seen = {op: a.observation() for op, a in adaptive.items()}
        return {op: o for op, o in seen.items() if o.limit is not None or o.at_least > 0}

    def attach(self, client: Any) -> Any:
        """Make every HTTP attempt of `client`, retries included, go through this limiter."""
        events = client.meta.events
        # first: an in-process mock answers from before-send and would skip a later handler
        events.register_first("before-send", self._before_send)
        events.register("needs-retry", self._after_attempt)
        return client

    def attach_all(self, clients: Any) -> None:
        """One limiter for every rate-limited client of `clients` (an `aws.Clients`)."""
        for client in clients.all():
            self.attach(client)

    def _before_send(self, request: Any = None, **kwargs: Any) -> None:
        self.acquire(_operation(kwargs))

    def _after_attempt(self, response: Any = None, **kwargs: Any) -> None:
        if response is None:
            return
        http, parsed = response
        code = (parsed or {}).get("Error", {}).get("Code", "")
        self.observe(_operation(kwargs), http.status_code == 429 or code in THROTTLE_CODES)


def _operation(kwargs: dict[str, Any]) -> str:
    return str(kwargs.get("event_name", "")).rsplit(".", 1)[-1]
