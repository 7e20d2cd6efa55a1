"""Operator knobs that SES has no API for: findings, AWS-managed pauses, quotas, traffic,
the account's enforcement status, metric history and the clock its data points follow.

Health gates and continuity tests need to make a tenant unhealthy the way AWS would.
`LocalControl` turns the knobs of an in-process emulator; `HttpControl` turns the same
knobs of a server through its control path, `/_sesmigrate/`, a prefix no AWS API uses.
Both expose the same methods, so a test can run against either.
"""

import json
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from moto.core import DEFAULT_ACCOUNT_ID

from ..aws.tokenbucket import Clock, stepping_clock
from .accounts import load_account, realistic_account
from .metrics import NAMESPACE
from .models import emulator_backends, set_auto_verify
from .records import SentMessage
from .traffic import DEFAULT_SLOW_S, LOST_KINDS, TrafficPolicy, active_policy, set_policy

CONTROL_PREFIX = "/_sesmigrate/"


class UnknownControlCommand(LookupError):
    """A control path the emulator does not have."""


class Control(Protocol):
    def raise_finding(self, tenant: str, impact: str) -> None: ...
    def clear_findings(self, tenant: str) -> None: ...
    def set_aws_managed_status(
        self, tenant: str, status: str, cause: str | None = None
    ) -> None: ...
    def set_tenant_quota(self, quota: int) -> None: ...
    def verify_identity(self, identity: str, status: str = "SUCCESS") -> None: ...
    def set_auto_verify(self, on: bool) -> None: ...
    def load_realistic_account(self, customers: int, seed: int) -> None: ...
    def set_traffic(self, settings: "TrafficSettings") -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def sent_messages(self) -> list[SentMessage]: ...
    def set_enforcement_status(self, status: str) -> None: ...
    def set_clock(self, at: "datetime | float | None") -> None: ...
    def advance_clock(self, seconds: float) -> None: ...
    def put_metric_data(
        self,
        metric: str,
        value: float,
        dimensions: Mapping[str, str] | None = None,
        timestamp: "datetime | float | None" = None,
        namespace: str = NAMESPACE,
        unit: str | None = None,
        tenant: str | None = None,
    ) -> None: ...


def _epoch(at: datetime | float | None) -> float | None:
    """Epoch seconds for the control path: a naive datetime is taken as UTC, as boto3 does."""
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
    return at


class _MetricKnobs(ABC):
    """The enforcement, clock and metric knobs, the same over either transport."""

    @abstractmethod
    def _do(self, command: str, **body: Any) -> Any:
        """Run one control command: in this process, or over HTTP."""

    def set_enforcement_status(self, status: str) -> None:
        """GetAccount's EnforcementStatus: HEALTHY, PROBATION or SHUTDOWN (no sending)."""
        self._do("account/enforcement", status=status)

    def set_clock(self, at: datetime | float | None) -> None:
        """Pin the clock metric data points follow (a datetime or epoch seconds), or give
        it back to the machine (None)."""
        self._do("clock/set", epoch=_epoch(at))

    def advance_clock(self, seconds: float) -> None:
        """Move the clock on by `seconds` (pinning it first if it was the machine's)."""
        self._do("clock/advance", seconds=seconds)

    def put_metric_data(
        self,
        metric: str,
        value: float,
        dimensions: Mapping[str, str] | None = None,
        timestamp: datetime | float | None = None,
        namespace: str = NAMESPACE,
        unit: str | None = None,
        tenant: str | None = None,
    ) -> None:
        """Add one data point to the account's CloudWatch, at `timestamp` or the clock's now;
        `tenant` adds that tenant's TenantName and TenantId dimensions."""
        self._do(
            "metrics/put",
            metric=metric,
            value=value,
            dimensions=dict(dimensions or {}),
            timestamp=_epoch(timestamp),
            namespace=namespace,
            unit=unit,
            tenant=tenant,
        )


@dataclass(frozen=True)
class TrafficSettings:
    """The serialisable part of a `TrafficPolicy`, as the control path takes it."""

    latency_ms: float = 0.0
    rate_limit: float | None = None
    op_rates: tuple[tuple[str, float], ...] = ()
    fault_rate: float = 0.0
    seed: int | None = None
    tick_ms: float | None = None
    """Simulated time instead of the machine's: each reading of the clock advances it by
    this much (and latency passes instantly), so a burst throttles exactly as often on a
    loaded machine as on an idle one."""
    lost_rate: float = 0.0
    """Fraction of changing calls whose answer is lost after the change was made."""
    lost_kinds: tuple[str, ...] = tuple(sorted(LOST_KINDS))
    lost_operations: tuple[str, ...] | None = None
    """Operations whose answers may be lost; None: all but Get/List/Describe ones."""
    slow_ms: float = DEFAULT_SLOW_S * 1000.0
    """How late a "slow" lost answer comes. With `tick_ms` set it passes at once on the
    simulated clock: over HTTP the answer is then not late at all."""

    def policy(self) -> TrafficPolicy:
        clock = Clock() if self.tick_ms is None else stepping_clock(self.tick_ms / 1000.0)
        return TrafficPolicy(
            latency_s=self.latency_ms / 1000.0,
            rate_limit=self.rate_limit,
            op_rates=dict(self.op_rates),
            fault_rate=self.fault_rate,
            seed=self.seed,
            clock=clock,
            lost_rate=self.lost_rate,
            lost_kinds=frozenset(self.lost_kinds),
            lost_operations=None
            if self.lost_operations is None
            else frozenset(self.lost_operations),
            slow_s=self.slow_ms / 1000.0,
        )

    def to_body(self) -> dict[str, Any]:
        """The control path's `traffic` body for these settings."""
        body = asdict(self)
        body["op_rates"] = dict(self.op_rates)
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> "TrafficSettings":
        """The settings a `traffic` body asks for; a key left out keeps its default."""
        default = cls()
        operations = body.get("lost_operations")
        return cls(
            latency_ms=float(body.get("latency_ms", 0.0)),
            rate_limit=body.get("rate_limit"),
            op_rates=tuple(sorted((body.get("op_rates") or {}).items())),
            fault_rate=float(body.get("fault_rate", 0.0)),
            seed=body.get("seed"),
            tick_ms=body.get("tick_ms"),
            lost_rate=float(body.get("lost_rate", 0.0)),
            lost_kinds=_names("lost_kinds", body.get("lost_kinds", default.lost_kinds)),
            lost_operations=None if operations is None else _names("lost_operations", operations),
            slow_ms=float(body.get("slow_ms", default.slow_ms)),
        )


def _names(key: str, value: Any) -> tuple[str, ...]:
    """A list of names from a JSON body (a bare string would split into its letters)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of names, not {value!r}")
    return tuple(sorted(value))


def _dimensions(value: Any) -> dict[str, str]:
    """A `metrics/put` body's dimensions: an object of names to values (or absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"dimensions must be an object of names to values, not {value!r}")
    return value


def handle(command: str, region: str, account: str, body: dict[str, Any]) -> Any:
    """Run one control command against the emulator in this process; the server calls this."""
    backend = emulator_backends[account][region]
    if command == "reputation/finding":
        backend.raise_reputation_finding(body["tenant"], body["impact"])
    elif command == "reputation/clear":
        backend.clear_reputation_findings(body["tenant"])
    elif command == "reputation/aws-status":
        backend.set_aws_managed_status(body["tenant"], body["status"], body.get("cause"))
    elif command == "identity/verify":
        backend.verify_email_identity(body["identity"], body.get("status", "SUCCESS"))
    elif command == "auto-verify":
        set_auto_verify(bool(body["on"]))
    elif command == "tenant-quota":
        backend.tenant_quota = int(body["quota"])
    elif command == "traffic":
        set_policy(TrafficSettings.from_body(body).policy())
    elif command == "account/load":
        load_account(backend, realistic_account(int(body["customers"]), int(body["seed"])))
    elif command == "stats":
        policy = active_policy()
        return {**policy.counts, "by_operation": dict(sorted(policy.admitted.items()))}
    elif command == "sent":
        return [asdict(message) for message in backend.sent]
    elif command == "account/enforcement":
        backend.set_enforcement_status(body["status"])
    elif command == "clock/set":
        backend.set_clock(body["epoch"])
    elif command == "clock/advance":
        backend.advance_clock(body["seconds"])
    elif command == "metrics/put":
        backend.put_metric_datum(
            body["metric"],
            body["value"],
            dimensions=_dimensions(body.get("dimensions")),
            timestamp=body.get("timestamp"),
            namespace=body.get("namespace") or NAMESPACE,
            unit=body.get("unit"),
            tenant=body.get("tenant"),
        )
    else:
        raise UnknownControlCommand(command)
    return None


@dataclass(frozen=True)
class LocalControl(_MetricKnobs):
    """The knobs of the emulator running in this process (under `moto.mock_aws`)."""

    region: str = "us-east-1"
    account: str = DEFAULT_ACCOUNT_ID

    def _do(self, command: str, **body: Any) -> Any:
        return handle(command, self.region, self.account, body)

    def raise_finding(self, tenant: str, impact: str) -> None:
        self._do("reputation/finding", tenant=tenant, impact=impact)

    def clear_findings(self, tenant: str) -> None:
        self._do("reputation/clear", tenant=tenant)

    def set_aws_managed_status(self, tenant: str, status: str, cause: str | None = None) -> None:
        self._do("reputation/aws-status", tenant=tenant, status=status, cause=cause)

    def set_tenant_quota(self, quota: int) -> None:
        self._do("tenant-quota", quota=quota)

    def verify_identity(self, identity: str, status: str = "SUCCESS") -> None:
        """Conclude an identity's verification as SES's DNS or mail check would."""
        self._do("identity/verify", identity=identity, status=status)

    def set_auto_verify(self, on: bool) -> None:
        self._do("auto-verify", on=on)

    def load_realistic_account(self, customers: int, seed: int) -> None:
        self._do("account/load", customers=customers, seed=seed)

    def set_traffic(self, settings: TrafficSettings) -> None:
        """Through the control path's `traffic` command, as `HttpControl` sends it."""
        self._do("traffic", **settings.to_body())

    def stats(self) -> dict[str, Any]:
        """Calls seen since the traffic was last set, and those admitted per operation."""
        return dict(self._do("stats"))

    def sent_messages(self) -> list[SentMessage]:
        return list(emulator_backends[self.account][self.region].sent)


@dataclass(frozen=True)
class HttpControl(_MetricKnobs):
    """The knobs of an emulator server at `endpoint_url`."""

    endpoint_url: str
    region: str = "us-east-1"
    account: str = DEFAULT_ACCOUNT_ID

    def _do(self, command: str, **body: Any) -> Any:
        url = f"{self.endpoint_url.rstrip('/')}{CONTROL_PREFIX}{command}"
        payload = json.dumps({"region": self.region, "account": self.account, **body}).encode()
        request = urllib.request.Request(
            url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(
                f"emulator control {command} failed: {exc.read().decode()}"
            ) from None

    def raise_finding(self, tenant: str, impact: str) -> None:
        self._do("reputation/finding", tenant=tenant, impact=impact)

    def clear_findings(self, tenant: str) -> None:
        self._do("reputation/clear", tenant=tenant)

    def set_aws_managed_status(self, tenant: str, status: str, cause: str | None = None) -> None:
        self._do("reputation/aws-status", tenant=tenant, status=status, cause=cause)

    def set_tenant_quota(self, quota: int) -> None:
        self._do("tenant-quota", quota=quota)

    def verify_identity(self, identity: str, status: str = "SUCCESS") -> None:
        """Conclude an identity's verification as SES's DNS or mail check would."""
        self._do("identity/verify", identity=identity, status=status)

    def set_auto_verify(self, on: bool) -> None:
        self._do("auto-verify", on=on)

    def load_realistic_account(self, customers: int, seed: int) -> None:
        self._do("account/load", customers=customers, seed=seed)

    def set_traffic(self, settings: TrafficSettings) -> None:
        self._do("traffic", **settings.to_body())

    def stats(self) -> dict[str, Any]:
        """Calls the server has seen since its traffic policy was last set, and how many failed."""
        return self._do("stats")

    def sent_messages(self) -> list[SentMessage]:
        raw = self._do("sent")
        return [SentMessage(**{**item, "recipients": tuple(item["recipients"])}) for item in raw]
