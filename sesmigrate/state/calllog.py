"""A structured log of every AWS call a run makes: one JSON object a line, hooked into
botocore's events (as `aws.ratelimit` is), for `--log-file` and `-v`.

Each record says when, which service and operation, its outcome (ok, the error code, or
the exception that ended it), the HTTP status, the duration and botocore's retries, and
the names the call was about (tenant, identity, configuration set, template, resource
ARN), which are the customers' data. It never holds a credential: request headers,
signatures and parameters other than those names are never read.
"""

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..redaction import redact

SUBJECTS = (
    "TenantName",
    "EmailIdentity",
    "ConfigurationSetName",
    "TemplateName",
    "ResourceArn",
    "Name",
    "logGroupName",
)
"""The parameters a record names its call by: names, never secrets or message content."""
_STARTED = "sesmigrate_call_started"


class CallLog:
    """Writes one record per call to each sink; attach it to every client of a run."""

    def __init__(
        self,
        sinks: list[Callable[[dict[str, Any]], None]],
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._sinks = sinks
        self._monotonic, self._wall = monotonic, wall
        self._lock = threading.Lock()

    def attach(self, client: Any) -> Any:
        events = client.meta.events
        events.register("before-parameter-build", self._started)
        events.register("after-call", self._answered)
        events.register("after-call-error", self._broke)
        return client

    def attach_all(self, clients: Any) -> None:
        """Every client of `clients` (an `aws.Clients`), STS included."""
        for client in (clients.sts, *clients.all()):
            self.attach(client)

    def _started(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        context[_STARTED] = (
            self._monotonic(),
            model.service_model.service_name,
            model.name,
            {k: str(params[k]) for k in SUBJECTS if isinstance(params.get(k), str)},
        )

    def _answered(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        code = (parsed or {}).get("Error", {}).get("Code")
        status = http_response.status_code
        retries = (parsed or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0)
        self._emit(context, code or ("ok" if status < 300 else "error"), status, retries)

    def _broke(self, exception: BaseException, context: dict[str, Any], **_: Any) -> None:
        self._emit(context, type(exception).__name__, None, None)

    def _emit(
        self, context: dict[str, Any], outcome: str, status: int | None, retries: int | None
    ) -> None:
        started, service, operation, subjects = context.get(_STARTED, (None, "", "", {}))
        record = {
            "time": round(self._wall(), 3),
            "service": service,
            "operation": operation,
            "outcome": outcome,
            "http_status": status,
            "ms": None if started is None else round((self._monotonic() - started) * 1000, 1),
            "retries": retries,
            **({"subject": subjects} if subjects else {}),
        }
        with self._lock:
            for sink in self._sinks:
                sink(record)


def json_lines(stream: TextIO) -> Callable[[dict[str, Any]], None]:
    """A sink writing each record as one JSON line, flushed (a killed run keeps its log)."""

    def write(record: dict[str, Any]) -> None:
        stream.write(redact(json.dumps(record, sort_keys=True)) + "\n")
        stream.flush()

    return write


def one_line(record: dict[str, Any]) -> str:
    """A record for people (`-v`): service, operation, status, outcome, duration."""
    ms = "" if record["ms"] is None else f" {record['ms']:.0f}ms"
    status = "" if record["http_status"] is None else f" {record['http_status']}"
    retries = f" after {record['retries']} retries" if record.get("retries") else ""
    return redact(
        f"AWS {record['service']} {record['operation']}{status} {record['outcome']}{ms}{retries}"
    )
