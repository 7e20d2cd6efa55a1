"""Client-side rate limits per SES operation, fixed or adaptive, hooked into botocore.

Real SES allows many non-send operations about one call a second each, and documents no
rate at all for the tenant operations. So every HTTP attempt (botocore's retries included)
first takes a token: from the account-wide bucket if `--rate` set one, from its
operation's fixed bucket if `--op-rate` set one, and from its operation's adaptive bucket
once that operation has been throttled. An adaptive bucket starts at 70% of the rate the
operation was running at when the first 429 came back, cuts to 70% on each further
throttle (at most once a second), and grows back by 10% for each second without one,
the way botocore's adaptive mode behaves per client, but per operation, so that a
throttled CreateTenant does not slow down ListTenants. An operation under a cap the user
gave is not adapted: the cap is the user's knowledge of the account, and a stray 429 from
two clocks disagreeing is cheaper to retry than a 30% cut. botocore's retries still absorb
the throttles themselves; this only keeps them rare.
"""

import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from .tokenbucket import Clock, TokenBucket

MIN_ADAPTIVE_RATE = 0.5
THROTTLE_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})


class _Adaptive:
    """One operation's adaptive limit; inactive until the operation is first throttled."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.bucket: TokenBucket | None = None
        self.sent: deque[float] = deque()
        self.last_change = 0.0
        self.lock = threading.Lock()

    def note_send(self) -> None:
        with self.lock:
            now = self.clock.now()
            self.sent.append(now)
            while self.sent and self.sent[0] < now - 1.0:
                self.sent.popleft()

    def throttled(self) -> None:
        with self.lock:
            now = self.clock.now()
            if self.bucket is None:
                measured = max(float(len(self.sent)), MIN_ADAPTIVE_RATE)
                self.bucket = TokenBucket(max(MIN_ADAPTIVE_RATE, 0.7 * measured), self.clock, 1.0)
            elif now - self.last_change >= 1.0:
                self.bucket.set_rate(max(MIN_ADAPTIVE_RATE, 0.7 * self.bucket.rate))
            else:
                return
            self.last_change = now

    def succeeded(self) -> None:
        with self.lock:
            now = self.clock.now()
            if self.bucket is not None and now - self.last_change >= 1.0:
                self.bucket.set_rate(self.bucket.rate * 1.1)
                self.last_change = now


class RateLimiter:
    """Per-operation limits for one or more clients; attach it to each client it governs."""

    def __init__(
        self,
        rate: float | None = None,
        op_rates: Mapping[str, float] | None = None,
        adaptive: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self._account = TokenBucket(rate, self.clock) if rate else None
        self._fixed = {op: TokenBucket(r, self.clock) for op, r in (op_rates or {}).items()}
        self._adaptive_enabled = adaptive
        self._adaptive: dict[str, _Adaptive] = {}
        self._lock = threading.Lock()
        self.throttles = 0

    def _adapts(self, operation: str) -> bool:
        return self._adaptive_enabled and self._account is None and operation not in self._fixed

    def _adaptive_for(self, operation: str) -> _Adaptive:
        with self._lock:
            if operation not in self._adaptive:
                self._adaptive[operation] = _Adaptive(self.clock)
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
        """Learn from one response: slow down on a throttle, recover on success."""
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
        """The adaptive limit now in force for `operation`, if it has been throttled."""
        bucket = self._adaptive_for(operation).bucket
        return bucket.rate if bucket else None

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
