"""Latency, throttling and faults: on demand, before state, and absorbed by botocore's retries."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sesmigrate.aws.tokenbucket import Clock, TokenBucket
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.emulator.exceptions import (
    InternalFailure,
    ServiceUnavailable,
    TooManyRequestsException,
)
from sesmigrate.emulator.traffic import TrafficPolicy


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    def clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep)


class TestTokenBucket:
    def test_bucket_allows_one_seconds_burst_then_refuses(self) -> None:
        fake = FakeClock()
        bucket = TokenBucket(3, fake.clock())

        assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]

    def test_bucket_refills_at_its_rate(self) -> None:
        fake = FakeClock()
        bucket = TokenBucket(2, fake.clock())
        while bucket.try_take():
            pass

        fake.t += 0.5

        assert [bucket.try_take() for _ in range(2)] == [True, False]

    def test_bucket_below_one_per_second_still_allows_a_single_call(self) -> None:
        fake = FakeClock()
        bucket = TokenBucket(0.5, fake.clock())

        assert [bucket.try_take() for _ in range(2)] == [True, False]
        fake.t += 2.0
        assert bucket.try_take() is True

    def test_bucket_rejects_a_non_positive_rate(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            TokenBucket(0, FakeClock().clock())


class TestTrafficPolicy:
    def test_policy_throttles_each_operation_on_its_own_bucket(self) -> None:
        fake = FakeClock()
        policy = TrafficPolicy(op_rates={"CreateTenant": 1}, clock=fake.clock())

        policy.admit("acct", "CreateTenant")
        with pytest.raises(TooManyRequestsException):
            policy.admit("acct", "CreateTenant")
        policy.admit("acct", "ListTenants")
        policy.admit("other-acct", "CreateTenant")

        assert policy.counts == {"calls": 4, "throttled": 1, "faults": 0}

    def test_policy_account_limit_covers_every_operation(self) -> None:
        policy = TrafficPolicy(rate_limit=2, clock=FakeClock().clock())

        policy.admit("acct", "GetTenant")
        policy.admit("acct", "ListTenants")

        with pytest.raises(TooManyRequestsException):
            policy.admit("acct", "CreateTenant")

    def test_policy_delays_every_call_by_the_latency(self) -> None:
        fake = FakeClock()
        policy = TrafficPolicy(latency_s=0.05, clock=fake.clock())

        for _ in range(3):
            policy.admit("acct", "GetTenant")

        assert fake.slept == [0.05] * 3

    def test_policy_fault_rate_one_fails_every_call_with_a_transient_error(self) -> None:
        policy = TrafficPolicy(fault_rate=1.0, seed=3, clock=FakeClock().clock())

        for _ in range(10):
            with pytest.raises((InternalFailure, ServiceUnavailable)):
                policy.admit("acct", "CreateTenant")
        assert policy.counts["faults"] == 10

    def test_policy_rejects_fault_rate_outside_zero_and_one(self) -> None:
        with pytest.raises(ValueError, match="fault rate"):
            TrafficPolicy(fault_rate=1.5)

    def test_traffic_settings_convert_milliseconds_and_rates(self) -> None:
        policy = TrafficSettings(
            latency_ms=50, rate_limit=100, op_rates=(("CreateTenant", 1.0),), fault_rate=0.1
        ).policy()

        assert policy.latency_s == 0.05
        assert policy.rate_limit == 100
        assert dict(policy.op_rates) == {"CreateTenant": 1.0}
        assert policy.fault_rate == 0.1


def tenant_names(ses: Any) -> list[str]:
    return [t["TenantName"] for t in ses.list_tenants()["Tenants"]]


class TestThroughBoto3:
    def test_burst_over_rate_limit_sees_429_without_retries(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        emulator.control.set_traffic(TrafficSettings(rate_limit=5, tick_ms=1))

        outcomes = []
        for i in range(20):
            try:
                ses.create_tenant(TenantName=f"t{i:02d}")
                outcomes.append("made")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429

        emulator.control.set_traffic(TrafficSettings())
        assert "TooManyRequestsException" in outcomes
        assert set(outcomes) == {"made", "TooManyRequestsException"}
        assert outcomes[:6] == ["made"] * 5 + ["TooManyRequestsException"]
        made = [f"t{i:02d}" for i, outcome in enumerate(outcomes) if outcome == "made"]
        assert tenant_names(emulator.ses) == made

    def test_burst_over_rate_limit_completes_with_standard_retries(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"mode": "standard", "total_max_attempts": 10})
        # 20 ms of simulated time per call: 15 calls earn 10 + 3 tokens, so some throttle
        # and each retry earns 0.2 more, however fast or loaded the machine is.
        emulator.control.set_traffic(TrafficSettings(rate_limit=10, tick_ms=20))

        retries = [
            ses.create_tenant(TenantName=f"t{i:02d}")["ResponseMetadata"]["RetryAttempts"]
            for i in range(15)
        ]

        emulator.control.set_traffic(TrafficSettings())
        assert sum(retries) > 0
        assert tenant_names(emulator.ses) == [f"t{i:02d}" for i in range(15)]

    def test_per_operation_rate_throttles_only_that_operation(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        emulator.control.set_traffic(TrafficSettings(op_rates=(("CreateTenant", 1.0),), tick_ms=1))
        ses.create_tenant(TenantName="first")

        with pytest.raises(ClientError) as exc:
            ses.create_tenant(TenantName="second")
        listed = [tenant_names(ses) for _ in range(5)]

        emulator.control.set_traffic(TrafficSettings())
        assert exc.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert listed == [["first"]] * 5

    def test_fault_never_half_applies(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        emulator.ses.create_email_identity(EmailIdentity="acme.example.com")
        emulator.control.set_traffic(TrafficSettings(fault_rate=1.0, seed=1))

        codes = set()
        for call in (
            lambda: ses.create_tenant(TenantName="acme"),
            lambda: ses.delete_email_identity(EmailIdentity="acme.example.com"),
        ):
            with pytest.raises(ClientError) as exc:
                call()
            codes.add(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])

        emulator.control.set_traffic(TrafficSettings())
        assert codes <= {500, 503}
        assert tenant_names(emulator.ses) == []
        assert emulator.ses.get_email_identity(EmailIdentity="acme.example.com")["IdentityType"]

    def test_faults_are_absorbed_by_standard_retries_without_doubling(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"mode": "standard", "total_max_attempts": 10})
        emulator.control.set_traffic(TrafficSettings(fault_rate=0.3, seed=11))

        retries = [
            ses.create_tenant(TenantName=f"t{i:02d}")["ResponseMetadata"]["RetryAttempts"]
            for i in range(20)
        ]

        emulator.control.set_traffic(TrafficSettings())
        assert sum(retries) > 0
        assert tenant_names(emulator.ses) == [f"t{i:02d}" for i in range(20)]
