"""Client-side limits: fixed caps space calls out, adaptive limits follow throttling."""

from typing import Any

import pytest

from sesmigrate.aws.ratelimit import MIN_ADAPTIVE_RATE, RateLimiter
from sesmigrate.aws.tokenbucket import Clock
from sesmigrate.emulator.control import TrafficSettings


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

    def test_throttle_estimates_the_limit_from_the_answers_of_the_last_seconds(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock(), headroom=0.8)
        for _ in range(30):
            limiter.acquire("GetTenant")
            limiter.observe("GetTenant", throttled=False)
            fake.t += 0.1

        limiter.observe("GetTenant", throttled=True)

        limit = limiter.observations()["GetTenant"].limit
        assert limit == pytest.approx(10.0, rel=0.1)
        assert limiter.current_rate("GetTenant") == pytest.approx(0.8 * limit)
        assert limiter.current_rate("ListTenants") is None
        assert limiter.throttles == 1

    def test_a_stray_throttle_does_not_cut_a_known_limit_but_repeated_ones_do(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock(), limits={"CreateTenant": 10.0}, headroom=0.5)
        for _ in range(12):
            limiter.acquire("CreateTenant")
            limiter.observe("CreateTenant", throttled=False)
            fake.t += 0.25
        limiter.observe("CreateTenant", throttled=True)
        after_one = limiter.current_rate("CreateTenant")

        fake.t += 0.25
        limiter.observe("CreateTenant", throttled=True)

        assert after_one == pytest.approx(5.0)
        limit = limiter.observations()["CreateTenant"].limit
        assert limit == pytest.approx(3.5, rel=0.15)
        assert limiter.current_rate("CreateTenant") == pytest.approx(0.5 * limit)

    def test_cuts_come_at_most_once_a_second_and_never_below_the_floor(self) -> None:
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

    def test_a_learned_limit_caps_the_run_from_its_first_call_at_the_headroom(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock(), limits={"GetEmailIdentity": 5.0}, headroom=0.8)

        for _ in range(9):
            limiter.acquire("GetEmailIdentity")

        assert fake.t == pytest.approx(8 * 0.25)

    def test_successes_alone_never_raise_a_limit_above_the_headroom(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock(), limits={"GetTenant": 4.0}, headroom=0.8)

        for _ in range(50):
            limiter.acquire("GetTenant")
            limiter.observe("GetTenant", throttled=False)

        assert limiter.current_rate("GetTenant") == pytest.approx(3.2)
        assert limiter.observations()["GetTenant"].limit is None

    def test_an_operation_never_throttled_reports_the_rate_it_was_answered_at(self) -> None:
        fake = FakeClock()
        limiter = RateLimiter(clock=fake.clock())
        for _ in range(40):
            limiter.acquire("ListTenants")
            limiter.observe("ListTenants", throttled=False)
            fake.t += 0.05

        seen = limiter.observations()["ListTenants"]

        assert seen.limit is None
        assert seen.at_least == pytest.approx(20.0, rel=0.15)

    def test_headroom_outside_zero_to_one_is_refused(self) -> None:
        with pytest.raises(ValueError, match="headroom"):
            RateLimiter(headroom=1.5)


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
