"""Latency, throttling and faults: on demand, before state, and absorbed by botocore's retries;
and lost answers: after the change, applied exactly once although the caller saw an error."""

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from sesmigrate.aws.tokenbucket import Clock, TokenBucket
from sesmigrate.emulator.control import LocalControl, TrafficSettings
from sesmigrate.emulator.exceptions import (
    InternalFailure,
    ServiceUnavailable,
    TooManyRequestsException,
)
from sesmigrate.emulator.traffic import LOST_KINDS, TrafficPolicy, set_policy
from tests.conftest import client, start_server, stop_server


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

        assert policy.counts == {"calls": 4, "throttled": 1, "faults": 0, "lost": 0}

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

    def test_traffic_settings_convert_the_lost_answer_fields(self) -> None:
        policy = TrafficSettings(
            lost_rate=0.2, lost_kinds=("drop", "500"), lost_operations=("GetTenant",), slow_ms=250
        ).policy()

        assert policy.lost_rate == 0.2
        assert policy.lost_kinds == {"500", "drop"}
        assert policy.lost_operations == {"GetTenant"}
        assert policy.slow_s == 0.25

    def test_traffic_settings_by_default_lose_nothing_in_any_kind_too_slow_for_botocore(
        self,
    ) -> None:
        policy = TrafficSettings().policy()

        assert policy.lost_rate == 0.0
        assert policy.lost_kinds == LOST_KINDS
        assert policy.lost_operations is None
        assert policy.slow_s > 60  # botocore's default read timeout

    def test_traffic_settings_round_trip_through_the_control_body(self) -> None:
        settings = TrafficSettings(
            op_rates=(("CreateTenant", 2.0),),
            lost_rate=0.5,
            lost_kinds=("503", "slow"),
            lost_operations=("CreateTenant", "GetTenant"),
            slow_ms=1500,
            seed=4,
        )

        body = json.loads(json.dumps(settings.to_body()))

        assert TrafficSettings.from_body(body) == settings

    @pytest.mark.parametrize("key", ["lost_kinds", "lost_operations"])
    def test_traffic_body_refuses_a_bare_string_for_a_list_of_names(self, key: str) -> None:
        with pytest.raises(ValueError, match=key):
            TrafficSettings.from_body({key: "drop"})


class TestLostAnswers:
    def test_only_changing_operations_lose_their_answer_by_default(self) -> None:
        policy = TrafficPolicy(lost_rate=1.0, seed=1, clock=FakeClock().clock())

        lost = {
            operation: policy.lose(operation)
            for operation in ("CreateTenant", "GetTenant", "ListTenants", "DescribeThing")
        }

        assert lost["CreateTenant"] in LOST_KINDS
        assert [lost[op] for op in ("GetTenant", "ListTenants", "DescribeThing")] == [None] * 3
        assert policy.counts["lost"] == 1

    def test_lost_operations_names_the_operations_that_may_lose_their_answer(self) -> None:
        policy = TrafficPolicy(
            lost_rate=1.0, lost_operations=frozenset({"GetTenant"}), clock=FakeClock().clock()
        )

        assert policy.lose("GetTenant") in LOST_KINDS
        assert policy.lose("CreateTenant") is None

    def test_lost_kinds_are_the_only_ones_chosen(self) -> None:
        policy = TrafficPolicy(lost_rate=1.0, lost_kinds=frozenset({"drop"}), seed=2)

        assert {policy.lose("CreateTenant") for _ in range(20)} == {"drop"}

    def test_lost_answers_are_reproducible_from_the_seed(self) -> None:
        def run(seed: int) -> list[str | None]:
            policy = TrafficPolicy(lost_rate=0.5, seed=seed)
            return [policy.lose("CreateTenant") for _ in range(60)]

        first = run(9)

        assert run(9) == first
        assert run(10) != first
        assert set(first) == {None, *LOST_KINDS}

    def test_a_lost_rate_draws_nothing_before_the_change(self) -> None:
        """Faults before the change come out as they did before lost answers existed."""

        def faults(**lost: Any) -> list[str]:
            policy = TrafficPolicy(fault_rate=0.5, seed=5, **lost)
            outcomes = []
            for _ in range(30):
                try:
                    policy.admit("acct", "GetTenant")
                    outcomes.append("ok")
                except (InternalFailure, ServiceUnavailable) as exc:
                    outcomes.append(type(exc).__name__)
            return outcomes

        assert faults(lost_rate=1.0) == faults()

    @pytest.mark.parametrize(
        ("fields", "words"),
        [
            ({"lost_rate": 1.5}, "lost rate"),
            ({"lost_rate": -0.1}, "lost rate"),
            ({"lost_kinds": frozenset({"500", "504"})}, "not 504"),
            ({"lost_kinds": frozenset()}, "one or more"),
            ({"slow_s": -1.0}, "negative"),
        ],
    )
    def test_policy_refuses_bad_lost_answer_settings(
        self, fields: dict[str, Any], words: str
    ) -> None:
        with pytest.raises(ValueError, match=words):
            TrafficPolicy(**fields)


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


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Poll a real condition (not a duration) until it holds, within a deadline."""
    deadline = time.monotonic() + seconds
    tick = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        tick.wait(0.01)


def lose_every_answer(emulator: Any, kind: str, **settings: Any) -> None:
    emulator.control.set_traffic(
        TrafficSettings(lost_rate=1.0, lost_kinds=(kind,), seed=1, **settings)
    )


class TestLostAnswersThroughBoto3:
    @pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503)])
    def test_answer_lost_as_a_5xx_after_the_change_was_made(
        self, emulator: Any, kind: str, status: int
    ) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        lose_every_answer(emulator, kind)

        with pytest.raises(ClientError) as exc:
            ses.create_tenant(TenantName="acme")
        lost = emulator.control.stats()["lost"]

        emulator.control.set_traffic(TrafficSettings())
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert exc.value.response["Error"]["Code"] in {"InternalFailure", "ServiceUnavailable"}
        assert lost == 1
        assert tenant_names(emulator.ses) == ["acme"]

    def test_dropped_connection_after_the_change_was_made(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        emulator.ses.create_email_identity(EmailIdentity="acme.example.com")
        lose_every_answer(emulator, "drop")

        with pytest.raises(ConnectionClosedError):
            ses.create_tenant(TenantName="acme")
        with pytest.raises(ConnectionClosedError):
            ses.delete_email_identity(EmailIdentity="acme.example.com")
        listed = tenant_names(ses)  # a read keeps its answer, on the same client

        emulator.control.set_traffic(TrafficSettings())
        assert listed == ["acme"]
        assert tenant_names(emulator.ses) == ["acme"]
        assert emulator.ses.list_email_identities()["EmailIdentities"] == []

    @pytest.mark.parametrize("emulator", ["memory"], indirect=True)
    def test_slow_answer_in_process_waits_on_the_policy_clock_then_times_out(
        self, emulator: Any
    ) -> None:
        fake = FakeClock()
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        set_policy(
            TrafficPolicy(
                lost_rate=1.0, lost_kinds=frozenset({"slow"}), slow_s=90.0, clock=fake.clock()
            )
        )

        with pytest.raises(ReadTimeoutError):
            ses.create_tenant(TenantName="acme")

        set_policy(TrafficPolicy())
        assert fake.slept == [90.0]
        assert tenant_names(emulator.ses) == ["acme"]

    @pytest.mark.parametrize("emulator", ["http"], indirect=True)
    def test_slow_answer_over_http_outlasts_the_read_timeout(self, emulator: Any) -> None:
        # A real 0.5 s against a 0.1 s read timeout: the client gives up first however
        # slow the machine; when the change lands is then read from the server's count.
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1}, read_timeout=0.1)
        lose_every_answer(emulator, "slow", slow_ms=500)

        with pytest.raises(ReadTimeoutError):
            ses.create_tenant(TenantName="acme")
        wait_for(lambda: emulator.control.stats()["lost"] == 1)

        emulator.control.set_traffic(TrafficSettings())
        assert tenant_names(emulator.ses) == ["acme"]

    def test_failed_call_keeps_its_answer(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        emulator.ses.create_tenant(TenantName="acme")
        lose_every_answer(emulator, "500")

        with pytest.raises(ClientError) as exc:
            ses.create_tenant(TenantName="acme")
        lost = emulator.control.stats()["lost"]

        emulator.control.set_traffic(TrafficSettings())
        assert exc.value.response["Error"]["Code"] == "AlreadyExistsException"
        assert lost == 0

    def test_lost_answers_through_boto3_are_reproducible_from_the_seed(self, emulator: Any) -> None:
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})

        def run(prefix: str) -> list[str]:
            emulator.control.set_traffic(
                TrafficSettings(lost_rate=0.5, lost_kinds=("500", "503", "drop"), seed=21)
            )
            outcomes = []
            for i in range(12):
                try:
                    ses.create_tenant(TenantName=f"{prefix}{i:02d}")
                    outcomes.append("answered")
                except ClientError as exc:
                    outcomes.append(exc.response["Error"]["Code"])
                except ConnectionClosedError:
                    outcomes.append("dropped")
            return outcomes

        first, second = run("a"), run("b")

        emulator.control.set_traffic(TrafficSettings())
        assert first == second
        assert set(first) == {"answered", "InternalFailure", "ServiceUnavailable", "dropped"}
        assert tenant_names(emulator.ses) == sorted(
            f"{prefix}{i:02d}" for prefix in "ab" for i in range(12)
        )

    def test_standard_retries_meet_the_change_their_lost_attempt_made(self, emulator: Any) -> None:
        """Why a migration tool must treat AlreadyExists after a retry as its own doing."""
        ses = emulator.client("sesv2", retries={"mode": "standard", "total_max_attempts": 3})
        lose_every_answer(emulator, "503", lost_operations=("CreateTenant",))

        with pytest.raises(ClientError) as exc:
            ses.create_tenant(TenantName="acme")

        emulator.control.set_traffic(TrafficSettings())
        assert exc.value.response["Error"]["Code"] == "AlreadyExistsException"
        assert exc.value.response["ResponseMetadata"]["RetryAttempts"] == 1
        assert tenant_names(emulator.ses) == ["acme"]


class TestLostAnswerControl:
    def test_local_control_refuses_bad_kinds(self) -> None:
        with pytest.raises(ValueError, match="not 504"):
            LocalControl().set_traffic(TrafficSettings(lost_rate=0.5, lost_kinds=("504",)))

    @pytest.mark.parametrize(
        ("body", "words"),
        [
            ({"lost_rate": 2}, "lost rate"),
            ({"lost_kinds": ["drop", "slowly"]}, "not slowly"),
            ({"lost_kinds": "drop"}, "list of names"),
            ({"slow_ms": -5}, "negative"),
        ],
    )
    def test_control_path_refuses_bad_lost_answer_settings(
        self, server: Any, body: dict[str, Any], words: str
    ) -> None:
        request = urllib.request.Request(
            f"{server.url}/_sesmigrate/traffic", data=json.dumps(body).encode()
        )

        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(request, timeout=10)

        assert exc.value.code == 400
        assert words in json.loads(exc.value.read())["error"]

    def test_emulator_flags_lose_answers_from_the_start(self) -> None:
        running = start_server(
            "--lost-response-rate", "1", "--lost-response-kinds", "drop", "--slow-response-ms", "5"
        )
        try:
            ses = client("sesv2", running.url, retries={"total_max_attempts": 1})
            with pytest.raises(ConnectionClosedError):
                ses.create_tenant(TenantName="acme")
            listed = tenant_names(ses)
        finally:
            stop_server(running)

        assert listed == ["acme"]
