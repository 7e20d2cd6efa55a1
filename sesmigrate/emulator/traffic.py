"""Latency, throttling and transient faults: the API conditions of real SES, on demand.

One `TrafficPolicy` sits around dispatch (see `responses.EmulatorResponse`), never in the
backend, so state changes stay deterministic. Two kinds of fault:

- before the change (`fault_rate`, throttling): `admit` runs before the operation touches
  any state, so such a fault never half-applies: the call made no change at all;
- after the change (`lost_rate`): the operation runs against the backend exactly once and
  then its answer is lost, as when the service commits and the network or a front end
  fails on the way back: a 500 or 503 as if it had failed, a dropped connection, or an
  answer slower than the client's read timeout. The caller sees an error although the
  change was made, which is what a retrying client must be ready for.

Rates are token buckets, an account-wide one (`--rate-limit`) and one per operation
(`--op-rate`), answering HTTP 429 TooManyRequestsException as SES does. Time comes from an
injectable clock so the buckets and slow answers can be tested without sleeping, and every
random choice comes from one seeded generator so a run can be reproduced.
"""

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

from ..aws.tokenbucket import Clock, TokenBucket
from .exceptions import InternalFailure, ServiceUnavailable, TooManyRequestsException

LostKind = Literal["500", "503", "drop", "slow"]
LOST_KINDS: frozenset[str] = frozenset(get_args(LostKind))
"""How an answer is lost after the change: answered 500 InternalFailure or 503
ServiceUnavailable, the connection dropped with no answer, or the answer sent too late."""

READ_PREFIXES = ("Get", "List", "Describe")
"""Operations named so change nothing: by default their answers are never lost."""

DEFAULT_SLOW_S = 61.0
"""Longer than botocore's default read timeout (60 s), so a slow answer is a timeout."""


def check_rate(what: str, rate: float) -> None:
    """Refuse a probability outside 0..1 (the policy, the control path and the CLI agree)."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{what} must be between 0 and 1, not {rate}")


def check_lost_kinds(kinds: frozenset[str]) -> None:
    """Refuse an unknown kind, or none at all: a lost rate with no way to lose is a typo."""
    unknown = sorted(kinds - LOST_KINDS)
    if unknown or not kinds:
        raise ValueError(
            f"lost kinds must be one or more of {', '.join(sorted(LOST_KINDS))}"
            + (f", not {', '.join(unknown)}" if unknown else "")
        )


@dataclass
class TrafficPolicy:
    """What every call goes through before it reaches the backend, and after."""

    latency_s: float = 0.0
    rate_limit: float | None = None
    op_rates: Mapping[str, float] = field(default_factory=dict)
    fault_rate: float = 0.0
    seed: int | None = None
    clock: Clock = field(default_factory=Clock)
    lost_rate: float = 0.0
    """Fraction of eligible calls that make their change and then lose their answer."""
    lost_kinds: frozenset[str] = LOST_KINDS
    """The ways an answer is lost (`LOST_KINDS`), chosen among evenly."""
    lost_operations: frozenset[str] | None = None
    """Operations whose answers may be lost; None: every one not named Get/List/Describe."""
    slow_s: float = DEFAULT_SLOW_S
    """How late a "slow" answer is sent, on `clock`."""

    def __post_init__(self) -> None:
        check_rate("fault rate", self.fault_rate)
        check_rate("lost rate", self.lost_rate)
        self.lost_kinds = frozenset(self.lost_kinds)
        check_lost_kinds(self.lost_kinds)
        if self.latency_s < 0:
            raise ValueError(f"latency must not be negative, not {self.latency_s}")
        if self.slow_s < 0:
            raise ValueError(f"slow answer delay must not be negative, not {self.slow_s}")
        self._random = random.Random(self.seed)
        self._sorted_kinds = sorted(self.lost_kinds)
        self._account_buckets: dict[str, TokenBucket] = {}
        self._op_buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {"calls": 0, "throttled": 0, "faults": 0, "lost": 0}
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

    def lose(self, operation: str) -> LostKind | None:
        """After `operation` made its change: how to lose its answer, or None to send it.

        Asked only of calls that succeeded (a failed call made no change, so losing its
        answer is no different from a fault before the change)."""
        if not self.lost_rate or not self.may_lose(operation):
            return None
        with self._lock:
            if self._random.random() >= self.lost_rate:
                return None
            kind = self._random.choice(self._sorted_kinds)
            self.counts["lost"] += 1
        return cast(LostKind, kind)

    def may_lose(self, operation: str) -> bool:
        if self.lost_operations is not None:
            return operation in self.lost_operations
        return not operation.startswith(READ_PREFIXES)

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
