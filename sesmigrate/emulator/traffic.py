"""Latency, throttling and transient faults: the API conditions of real SES, on demand.

One `TrafficPolicy` sits in front of dispatch (see `responses.EmulatorResponse`), never in
the backend, so state changes stay deterministic and a fault never half-applies: every
check here runs before the operation touches any state. Rates are token buckets, an
account-wide one (`--rate-limit`) and one per operation (`--op-rate`), answering HTTP 429
TooManyRequestsException as SES does. Time comes from an injectable clock so the buckets
can be tested without sleeping.
"""

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..aws.tokenbucket import Clock, TokenBucket
from .exceptions import InternalFailure, ServiceUnavailable, TooManyRequestsException


@dataclass
class TrafficPolicy:
    """What every call goes through before it reaches the backend."""

    latency_s: float = 0.0
    rate_limit: float | None = None
    op_rates: Mapping[str, float] = field(default_factory=dict)
    fault_rate: float = 0.0
    seed: int | None = None
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, not {self.fault_rate}")
        if self.latency_s < 0:
            raise ValueError(f"latency must not be negative, not {self.latency_s}")
        self._random = random.Random(self.seed)
        self._account_buckets: dict[str, TokenBucket] = {}
        self._op_buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {"calls": 0, "throttled": 0, "faults": 0}
        self.admitted: dict[str, int] = {}
        """Calls let through to the backend, per operation."""

    def admit(self, account: str, operation: str) -> None:
        """Delay the call as a network would, then throttle or fail it, or let it through."""
        if self.latency_s:
            self.clock.sleep(self.latency_s)
        with self._lock:
            self.counts["calls"] += 1
            fault = self.fault_rate and self._random.random() < self.fault_rate
            fault_kind = self._random.random() if fault else 0.0
        if fault:
            self._count("faults")
            if fault_kind < 0.5:
                raise InternalFailure("An internal error occurred (injected fault).")
            raise ServiceUnavailable("Service unavailable (injected fault).")
        for bucket in self._buckets(account, operation):
            if not bucket.try_take():
                self._count("throttled")
                raise TooManyRequestsException("Too many requests.")
        with self._lock:
            self.admitted[operation] = self.admitted.get(operation, 0) + 1

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _buckets(self, account: str, operation: str) -> list[TokenBucket]:
        buckets = []
        with self._lock:
            if self.rate_limit is not None:
                if account not in self._account_buckets:
                    self._account_buckets[account] = TokenBucket(self.rate_limit, self.clock)
                buckets.append(self._account_buckets[account])
            if operation in self.op_rates:
                key = (account, operation)
                if key not in self._op_buckets:
                    self._op_buckets[key] = TokenBucket(self.op_rates[operation], self.clock)
                buckets.append(self._op_buckets[key])
        return buckets


_active = TrafficPolicy()


def active_policy() -> TrafficPolicy:
    return _active


def set_policy(policy: TrafficPolicy) -> TrafficPolicy:
    """Make `policy` the one every call goes through; return the one it replaces."""
    global _active
    previous, _active = _active, policy
    return previous
