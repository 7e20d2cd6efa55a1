"""What SES publishes to CloudWatch about sending, and the account's enforcement status.

Every accepted SendEmail and SendBulkEmail entry (`sending.TenantSending._record`) puts data
points into moto's CloudWatch backend of the same account and region, namespace `AWS/SES`,
so health gates can be tested with the CloudWatch calls they make against AWS:

- **Per tenant** (a send naming `TenantName`): `Send`, `Bounce` and `Complaint`, unit
  `Count`, with the dimensions `TenantName` and `TenantId` together (one dimension set; a
  query names both, as CloudWatch matches a dimension set exactly). The tenants guide says
  SES publishes "Sends, Bounces, Complaints" "by TenantId and TenantName"; the plural words
  are prose, as in the guide's list of sending events ("Sends", "Bounces"), and the metric
  names SES uses in `AWS/SES` (CloudWatch's SES metrics page, and configuration-set event
  publishing) are the singular `Send`, `Bounce`, `Complaint`: the emulator uses those.
- **Counted per recipient**, as SES counts sends against the quota and bounces and
  complaints per recipient: a message to three recipients adds 3 to `Send`. One data point
  per message and metric, its value the count; `Bounce` and `Complaint` only when not 0 (SES
  publishes no zero data points), so read them with the `Sum` statistic.
- **Bounces and complaints** come from the SES mailbox simulator's addresses at
  `simulator.amazonses.com` (a `+label` after the local part is allowed, as SES allows):
  `bounce@` and `suppressionlist@` are hard bounces (SES answers the latter as if the
  address were on its global suppression list: a hard bounce); `complaint@` is delivered and
  then complained about; `success@`, `ooto@` (an auto-reply, not a bounce) and every other
  address are delivered. Deviation: real SES leaves simulator sends out of the account's
  reputation rates; the emulator counts them, since they are the only way a test makes
  bounces and complaints.
- **Account level**: `Reputation.BounceRate` and `Reputation.ComplaintRate`, without
  dimensions, over every send of the account (tenant or not: tenant traffic counts towards
  the account's reputation). Each send publishes both rates as they stand after it:
  cumulative bounced (complained) recipients / recipients sent so far, a fraction (0.05 is
  5%), so read them with `Maximum` or `Average`, not `Sum`. The account-level `Send`,
  `Bounce` and `Complaint` counts are not published: moto's CloudWatch matches a query
  without dimensions against every dimension set of the name, so they would add the
  tenants' data points in.
- **Time**: each data point's timestamp comes from the backend's `clock` (a
  `..aws.tokenbucket.Clock` whose `now` is epoch seconds): the machine's time by default;
  the `clock/set` knob pins it at a given time and `clock/advance` moves it on, so a test can
  build hours of history without sleeping. The knob `metrics/put` adds any data point
  directly (at the clock's time unless it names one), for tests that need history.

`EnforcementStatus` (GetAccount) is HEALTHY until the `account/enforcement` knob sets
PROBATION or SHUTDOWN; under SHUTDOWN every send is refused with SendingPausedException, the
error SendEmail models for "the account's ability to send email is currently paused".

moto 5.2's `Dimension.__lt__` compares a name with a value, so GetMetricData's sorting of a
query's dimensions depends on their order and a two-dimension query finds nothing:
`install_corrections` makes it order by name, then value.
"""

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

import moto.cloudwatch.models
from moto.cloudwatch.models import cloudwatch_backends

from ..aws.tokenbucket import Clock

if TYPE_CHECKING:
    from .models import EmulatorBackend

    _Base = EmulatorBackend
else:
    _Base = object

NAMESPACE = "AWS/SES"
SEND, BOUNCE, COMPLAINT = "Send", "Bounce", "Complaint"
BOUNCE_RATE, COMPLAINT_RATE = "Reputation.BounceRate", "Reputation.ComplaintRate"
TENANT_NAME, TENANT_ID = "TenantName", "TenantId"
ENFORCEMENT_STATUSES = ("HEALTHY", "PROBATION", "SHUTDOWN")

SIMULATOR_DOMAIN = "simulator.amazonses.com"
BOUNCING = frozenset({"bounce", "suppressionlist"})
COMPLAINING = frozenset({"complaint"})

WALL_CLOCK = Clock(now=time.time, sleep=time.sleep)
"""The machine's time, in epoch seconds (picklable, so a saved state keeps it)."""


class ManualClock:
    """Time that stands still until moved: `sleep` and `advance` move it on at once."""

    def __init__(self, epoch: float) -> None:
        self.epoch = float(epoch)

    def now(self) -> float:
        return self.epoch

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.epoch += seconds


def simulated_outcome(recipient: str) -> str | None:
    """`bounce` or `complaint` for a mailbox simulator address that makes one, else None."""
    address = parseaddr(recipient)[1].lower()
    local, _, domain = address.rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    local = local.split("+", 1)[0]
    if local in BOUNCING:
        return "bounce"
    if local in COMPLAINING:
        return "complaint"
    return None


def datapoint_time(epoch: float) -> datetime:
    """A timestamp as moto's CloudWatch stores one: naive UTC, whole microseconds."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def install_corrections() -> None:
    """Order moto's CloudWatch dimensions by name, then value (see the module docstring)."""
    moto.cloudwatch.models.Dimension.__lt__ = _dimension_lt  # type: ignore[method-assign]


def _dimension_lt(self: Any, other: Any) -> bool:
    return (self.name or "", self.value or "") < (other.name or "", other.value or "")


class SendMetrics(_Base):
    """The account's sending counts, enforcement status and clock, and what they publish."""

    enforcement_status = "HEALTHY"
    clock: Any = WALL_CLOCK
    """Anything with `now() -> epoch seconds`; the `clock/...` knobs replace it."""
    account_sent = 0
    account_bounced = 0
    account_complained = 0
    """Recipients so far, for the account's reputation rates (class defaults: a state saved
    before these existed still loads)."""

    def set_enforcement_status(self, status: str) -> None:
        if status not in ENFORCEMENT_STATUSES:
            raise ValueError(
                f"enforcement status must be one of {', '.join(ENFORCEMENT_STATUSES)}, "
                f"not {status!r}"
            )
        self.enforcement_status = status

    def set_clock(self, epoch: float | None) -> None:
        """Pin the clock at `epoch` (seconds), or give it back to the machine (None)."""
        if epoch is None:
            self.clock = WALL_CLOCK
            return
        self.clock = ManualClock(_number("epoch", epoch))

    def advance_clock(self, seconds: float) -> None:
        """Move the clock on; a machine clock is pinned at its current time first."""
        seconds = _number("seconds", seconds)
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, not by {seconds}")
        if not isinstance(self.clock, ManualClock):
            self.clock = ManualClock(self.clock.now())
        self.clock.advance(seconds)

    def publish_send(self, tenant_name: str | None, recipients: list[str]) -> None:
        """The data points SES would publish for one accepted message."""
        outcomes = [simulated_outcome(recipient) for recipient in recipients]
        bounced, complained = outcomes.count("bounce"), outcomes.count("complaint")
        self.account_sent += len(recipients)
        self.account_bounced += bounced
        self.account_complained += complained
        data: list[dict[str, Any]] = []
        if tenant_name is not None:
            tenant = self.get_tenant(tenant_name)
            dimensions = {TENANT_NAME: tenant.name, TENANT_ID: tenant.tenant_id}
            counts = ((SEND, len(recipients)), (BOUNCE, bounced), (COMPLAINT, complained))
            for name, count in counts:
                if count:
                    data.append(_datum(name, count, dimensions, "Count"))
        data.append(_datum(BOUNCE_RATE, self.account_bounced / self.account_sent, {}, None))
        data.append(_datum(COMPLAINT_RATE, self.account_complained / self.account_sent, {}, None))
        self._put(NAMESPACE, data, self.clock.now())

    def put_metric_datum(
        self,
        metric: str,
        value: float,
        dimensions: Mapping[str, str] | None = None,
        timestamp: float | None = None,
        namespace: str = NAMESPACE,
        unit: str | None = None,
        tenant: str | None = None,
    ) -> None:
        """The `metrics/put` knob: one data point, at `timestamp` (epoch seconds) or now.

        `tenant` adds that tenant's `TenantName` and `TenantId` dimensions."""
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"metric must be a metric name, not {metric!r}")
        if not isinstance(namespace, str) or not namespace:
            raise ValueError(f"namespace must be a namespace, not {namespace!r}")
        value = _number("value", value)
        dims = dict(dimensions or {})
        if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in dims.items()):
            raise ValueError(f"dimensions must map names to string values, not {dimensions!r}")
        if tenant is not None:
            found = self.get_tenant(tenant)
            dims.update({TENANT_NAME: found.name, TENANT_ID: found.tenant_id})
        when = self.clock.now() if timestamp is None else _number("timestamp", timestamp)
        self._put(namespace, [_datum(metric, value, dims, unit)], when)

    def _put(self, namespace: str, data: list[dict[str, Any]], epoch: float) -> None:
        stamp = datapoint_time(epoch)
        for datum in data:
            datum["Timestamp"] = stamp
        cloudwatch_backends[self.account_id][self.region_name].put_metric_data(namespace, data)


def _datum(
    name: str, value: float, dimensions: Mapping[str, str], unit: str | None
) -> dict[str, Any]:
    datum: dict[str, Any] = {
        "MetricName": name,
        "Value": float(value),
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
    }
    if unit is not None:
        datum["Unit"] = unit
    return datum


def _number(what: str, value: Any) -> float:
    """A finite number from a knob's body (a bool or a string is a mistake, not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return float(value)
