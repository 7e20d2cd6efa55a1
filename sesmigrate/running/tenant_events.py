"""The SES tenant events the migration's monitoring kept: the latest one per tenant.

EventBridge writes each matched event to the log group as its JSON (`source`,
`detail-type`, `time`, `resources` holding the tenant ARN, `detail` with `status`,
`origin`, `cause` or `impact`). Delivery is best-effort and may be out of order, so the
latest event of a tenant is the one with the latest event `time`, not the last one read.
Reading is bounded (`max_pages`) so a busy log group cannot make `status` run for ever,
and a log group that cannot be read is a note: health and drift still come out.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

SOURCE = "aws.ses"
MAX_PAGES = 20


@dataclass(frozen=True, slots=True)
class TenantEvent:
    tenant: str
    time: str
    """When SES emitted it (ISO 8601, from the event)."""
    detail_type: str
    status: str | None = None
    origin: str | None = None
    cause: str | None = None
    impact: str | None = None

    def describe(self) -> str:
        facts = [f for f in (self.status, self.origin, self.impact) if f]
        cause = f": {self.cause}" if self.cause else ""
        return f"{self.detail_type} ({', '.join(facts)}){cause} at {self.time}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "detail_type": self.detail_type,
            "status": self.status,
            "origin": self.origin,
            "cause": self.cause,
            "impact": self.impact,
        }


@dataclass(frozen=True, slots=True)
class EventsRead:
    latest: dict[str, TenantEvent]
    """Tenant name -> its latest event."""
    note: str | None = None
    """Why nothing could be read (no log group yet, no permission), if so."""


def tenant_of(arn: str) -> str | None:
    """The tenant name in `arn:...:ses:REGION:ACCOUNT:tenant/NAME/ID`."""
    _, _, resource = arn.rpartition(":")
    parts = resource.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "tenant" else None


def parse(message: str) -> TenantEvent | None:
    """One SES tenant event from a log line, or None for anything else."""
    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("source") != SOURCE:
        return None
    resources = event.get("resources")
    tenant = (
        next((t for r in resources if isinstance(r, str) and (t := tenant_of(r))), None)
        if isinstance(resources, list)
        else None
    )
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    if tenant is None or not isinstance(event.get("detail-type"), str):
        return None

    def text(key: str) -> str | None:
        value = detail.get(key)
        return str(value) if value not in (None, "") else None

    return TenantEvent(
        tenant=tenant,
        time=str(event.get("time", "")),
        detail_type=event["detail-type"],
        status=text("status"),
        origin=text("origin"),
        cause=text("cause"),
        impact=text("impact"),
    )


def latest_per_tenant(events: Iterable[TenantEvent]) -> dict[str, TenantEvent]:
    latest: dict[str, TenantEvent] = {}
    for event in events:
        if event.tenant not in latest or event.time >= latest[event.tenant].time:
            latest[event.tenant] = event
    return dict(sorted(latest.items()))


def read_latest(
    logs: Any, log_group: str, tenants: set[str], since: str, max_pages: int = MAX_PAGES
) -> EventsRead:
    """The latest event of each of `tenants` logged in `log_group` since `since` (ISO 8601)."""
    start = int(datetime.fromisoformat(since).timestamp() * 1000)  # read_plan checked it
    found: list[TenantEvent] = []
    token: str | None = None
    try:
        for _ in range(max_pages):
            page = logs.filter_log_events(
                logGroupName=log_group, startTime=start, **({"nextToken": token} if token else {})
            )
            found += [
                event
                for line in page.get("events", [])
                if (event := parse(str(line.get("message", "")))) and event.tenant in tenants
            ]
            token = page.get("nextToken")
            if not token:
                break
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            return EventsRead({}, f"log group {log_group} does not exist (yet)")
        if code in ("AccessDenied", "AccessDeniedException"):
            return EventsRead({}, f"not allowed to read log group {log_group} (FilterLogEvents)")
        return EventsRead({}, f"could not read log group {log_group}: {code or 'error'}")
    except BotoCoreError as exc:
        return EventsRead({}, f"could not read log group {log_group}: {type(exc).__name__}")
    note = f"read only the first {max_pages} pages of {log_group}" if token else None
    return EventsRead(latest_per_tenant(found), note)
