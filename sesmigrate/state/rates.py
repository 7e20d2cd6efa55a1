"""What runs learned of each SES operation's limit, per account and region, kept for the next.

SES publishes no per-operation rates for most management calls, and an account's limits
differ from the defaults, so every command learns them from throttling
(`ratelimit.Observation`) and records them in `<state>/rates/<account>-<region>.json`:
a later run, on this machine or with the same state directory, starts at the limit
instead of finding it again with a burst of 429s, and a plan estimates its durations at
it. An operation that was never throttled is recorded as a lower bound only: it says
how fast SES answered, not where the limit is, so it never caps a run.

A limit is forgotten after a day (limits change with the account's quotas and with
what else calls them), and is replaced as soon as a run contradicts it: a run whose
repeated throttling lowered the estimate records the lower one; a run that was answered
faster than a recorded limit, without a throttle, records that as the new lower bound.

Several commands may end at once (operators, CI runners), so the record is rewritten
under a file lock, merged with what is on disk then, and replaced atomically. The file
is a cache: one that cannot be read is ignored (and replaced on the next save), never a
reason to stop a migration.
"""

import json
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from filelock import FileLock

from ..aws.clients import AccountBinding
from ..aws.ratelimit import Observation, RateLimiter
from ..errors import UsageError
from ..files import write_atomically
from ..planning.durations import ASSUMED, DEFAULT_RATE, Rates

MAX_AGE = timedelta(days=1)
LIMIT = "limit"
AT_LEAST = "at_least"
DEFAULT_HEADROOM = 0.8
"""The share of a learned limit sesmigrate uses: the platform's sign-up code shares it."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def checked_headroom(value: float) -> float:
    """`--headroom`, or one line saying what it must be."""
    if not 0 < value <= 1:
        raise UsageError(
            f"--headroom {value:g}: give the share of each learned rate to use, "
            "above 0 and at most 1 (e.g. 0.8)"
        )
    return value


@dataclass(frozen=True, slots=True)
class LearnedRate:
    kind: str
    """LIMIT (estimated from throttling) or AT_LEAST (answered this fast, never throttled)."""
    rate: float
    learned_at: datetime


def record_path(state_dir: Path, account: str, region: str) -> Path:
    return state_dir / "rates" / f"{account}-{region}.json"


def load_rates(
    state_dir: Path, account: str, region: str, now: Callable[[], datetime]
) -> dict[str, LearnedRate]:
    """The record's entries learned within the last day."""
    cutoff = now() - MAX_AGE
    recorded = _read(record_path(state_dir, account, region))
    return {op: r for op, r in recorded.items() if r.learned_at > cutoff}


def known_limits(rates: Mapping[str, LearnedRate]) -> dict[str, float]:
    """The limits a run's limiter starts from (lower bounds start nothing)."""
    return {op: r.rate for op, r in rates.items() if r.kind == LIMIT}


def save_observations(
    state_dir: Path,
    account: str,
    region: str,
    observations: Mapping[str, Observation],
    now: Callable[[], datetime],
) -> None:
    """Merge what a run learned into the record, under its lock, in one atomic step."""
    if not observations:
        return
    path = record_path(state_dir, account, region)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path.with_suffix(".lock"))):
        at = now()
        current = {op: r for op, r in _read(path).items() if r.learned_at > at - MAX_AGE}
        for operation, seen in observations.items():
            merged = _merge(current.get(operation), seen, at)
            if merged is not None:
                current[operation] = merged
        write_atomically(path, _dump(account, region, current))


def _merge(old: LearnedRate | None, seen: Observation, at: datetime) -> LearnedRate | None:
    if seen.limit is not None:
        return LearnedRate(LIMIT, round(seen.limit, 3), at)
    if old is None:
        return LearnedRate(AT_LEAST, seen.at_least, at)
    if old.kind == LIMIT:
        return LearnedRate(AT_LEAST, seen.at_least, at) if seen.at_least > old.rate else None
    return LearnedRate(AT_LEAST, max(old.rate, seen.at_least), at)


def rates_for(
    learned: Mapping[str, LearnedRate],
    *,
    headroom: float,
    rate: float | None,
    op_rates: Mapping[str, float],
) -> Rates:
    """The rates a run estimates with: what the operator gives wins, then what was learned.

    A learned limit counts at `headroom` of it, as the limiter uses it. SES gives its
    management operations like limits (one a second each by default, raised together with
    the account's quotas), so an operation not learned yet -- a scan learns only reads, the
    first apply the writes -- is estimated at the median of the learned limits, not at one
    a second: that made a plan's estimates of its writes 4-6x too long. A lower bound counts
    at itself (the run is not capped there) when higher."""
    if rate is not None or not learned:
        return Rates.given(rate, op_rates)
    limits = sorted(r.rate * headroom for r in learned.values() if r.kind == LIMIT)
    default = round(statistics.median(limits), 3) if limits else DEFAULT_RATE
    by_operation = {
        op: r.rate * headroom if r.kind == LIMIT else max(r.rate, default)
        for op, r in learned.items()
    }
    by_operation.update(op_rates)
    if not by_operation:
        return ASSUMED
    return Rates(
        by_operation=tuple(sorted((op, round(r, 3)) for op, r in by_operation.items())),
        default=default,
        source="learned",
    )


@dataclass(frozen=True)
class RateMemory:
    """Where a command's limiter starts from and what it leaves for the next command."""

    state_dir: Path
    headroom: float = DEFAULT_HEADROOM
    now: Callable[[], datetime] = field(default=utc_now)

    def learned(self, binding: AccountBinding) -> dict[str, LearnedRate]:
        return load_rates(self.state_dir, binding.account, binding.region, self.now)

    def limiter(
        self, binding: AccountBinding, rate: float | None, op_rates: Mapping[str, float]
    ) -> RateLimiter:
        limits = known_limits(self.learned(binding))
        return RateLimiter(rate, op_rates, limits=limits, headroom=self.headroom)

    def remember(self, binding: AccountBinding, limiter: RateLimiter) -> None:
        observations = limiter.observations()
        save_observations(self.state_dir, binding.account, binding.region, observations, self.now)

    def rates(
        self, binding: AccountBinding, rate: float | None, op_rates: Mapping[str, float]
    ) -> Rates:
        learned = self.learned(binding)
        return rates_for(learned, headroom=self.headroom, rate=rate, op_rates=op_rates)


def _read(path: Path) -> dict[str, LearnedRate]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        return {
            op: LearnedRate(entry["kind"], float(entry["rate"]), _instant(entry["learned_at"]))
            for op, entry in body["operations"].items()
            if entry["kind"] in (LIMIT, AT_LEAST) and float(entry["rate"]) > 0
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _dump(account: str, region: str, rates: Mapping[str, LearnedRate]) -> str:
    body = {
        "format": 1,
        "account": account,
        "region": region,
        "operations": {
            op: {
                "kind": r.kind,
                "rate": r.rate,
                "learned_at": r.learned_at.astimezone(UTC).isoformat(timespec="seconds"),
            }
            for op, r in sorted(rates.items())
        },
    }
    return json.dumps(body, indent=2) + "\n"
