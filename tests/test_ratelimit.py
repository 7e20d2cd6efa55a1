"""Client-side limits: fixed caps space calls out, adaptive limits follow throttling."""

from typing import Any

import pytest

from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.ratelimit import MIN_ADAPTIVE_RATE, RateLimiter
from sesmigrate.tokenbucket import Clock


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.t += seconds

    def clock(self) -> Clock:
        return Clock(self.now, self.sleep)


class TestFixedLimits:
    def test_account_rate_spaces_calls_after_the_first_seconds_burst(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(rate=2, adaptive=False, clock=fake.clock())

        for _ in range(4):
            limiter.acquire("GetTenant")

        assert fake.slept == [0.5, 0.5]
        assert fake.t == pytest.approx(1.0)

    def test_operation_rate_limits_only_that_operation(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(op_rates={"CreateTenant": 1}, adaptive=False, clock=fake.clock())

        for _ in range(3):
            limiter.acquire("CreateTenant")
        for _ in range(10):
            limiter.acquire("ListTenants")

        assert fake.slept == [1.0, 1.0]


class TestAdaptiveLimits:
    def test_operation_is_unlimited_until_first_throttled(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock())

        for _ in range(50):
            limiter.acquire("GetTenant")

        assert fake.slept == []
        assert limiter.current_rate("GetTenant") is None

    def test_throttle_starts_a_limit_at_seventy_percent_of_the_measured_rate(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock())
        for _ in range(10):
            limiter.acquire("GetTenant")
            fake.t += 0.05

        limiter.observe("GetTenant", throttled=True)

        assert limiter.current_rate("GetTenant") == pytest.approx(7.0)
        assert limiter.current_rate("ListTenants") is None
        assert limiter.throttles == 1

    def test_repeated_throttles_cut_once_a_second_and_never_below_the_floor(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock())
        limiter.acquire("CreateTenant")
        limiter.observe("CreateTenant", throttled=True)
        first = limiter.current_rate("CreateTenant")

        limiter.observe("CreateTenant", throttled=True)
        same_second = limiter.current_rate("CreateTenant")
        for _ in range(20):
            fake.t += 1.0
            limiter.observe("CreateTenant", throttled=True)

        assert same_second == first
        assert limiter.current_rate("CreateTenant") == MIN_ADAPTIVE_RATE

    def test_successes_grow_the_limit_back_a_tenth_a_second(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock())
        for _ in range(10):
            limiter.acquire("GetTenant")
        limiter.observe("GetTenant", throttled=True)

        fake.t += 1.0
        limiter.observe("GetTenant", throttled=False)
        limiter.observe("GetTenant", throttled=False)

        assert limiter.current_rate("GetTenant") == pytest.approx(7.7)


def test_attached_limiter_sees_throttles_and_the_calls_still_succeed(emulator: Any) -> None:
    limiter = RateLimiter()
    ses = limiter.attach(
        emulator.client("sesv2", retries={"mode": "standard", "total_max_attempts": 10})
    )
    emulator.control.set_traffic(TrafficSettings(op_rates=(("CreateTenant", 4.0),), tick_ms=100))

    for i in range(8):
        ses.create_tenant(TenantName=f"t{i}")

    emulator.control.set_traffic(TrafficSettings())
    assert limiter.throttles > 0
    assert limiter.current_rate("CreateTenant") is not None
    assert len(ses.list_tenants()["Tenants"]) == 8
