"""Run batches of actions: concurrent within a batch, journaled, resumable, interruptible.

Within a batch the actions are independent, so up to `parallelism` run at once; every
HTTP attempt passes the client's `RateLimiter` (per-operation, adaptive), and botocore's
retries absorb throttling and transient faults. An action whose retries ran out on a
transient error is put back in the queue (every action is idempotent) a few times before
it counts as failed. A failed action's dependents are reported once, as skipped, and the
journal keeps everything needed to resume. Ctrl-C stops submitting, lets the calls in
flight finish and be journaled, and returns `interrupted`.
"""

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from .actions import Action, ActionConflict
from .errors import SesmigrateError
from .journal import Journal

TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "InternalFailure",
        "InternalServerError",
        "ConcurrentModificationException",
        "InternalException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
    }
)


THROTTLING_CODES = frozenset({"TooManyRequestsException", "ThrottlingException"})


def is_throttling(exc: BaseException) -> bool:
    """SES refused the call before acting on it: the attempt never reached the account."""
    return (
        isinstance(exc, ClientError)
        and exc.response.get("Error", {}).get("Code") in THROTTLING_CODES
    )


def is_transient(exc: BaseException) -> bool:
    """Worth another try: throttling, a 5xx, a dropped or timed-out connection."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return exc.response.get("Error", {}).get("Code") in TRANSIENT_CODES or status >= 500
    return isinstance(exc, EndpointConnectionError | ReadTimeoutError | ConnectionClosedError)


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class RunResult:
    made: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(action key, the failed action it depends on)."""
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.interrupted


class Progress:
    """Progress nobody watches (a pipe, a test): the calls are counted nowhere."""

    def expect(self, calls: int) -> None:
        """Nothing to show."""

    def advance(self, calls: int = 1) -> None:
        """Nothing to show."""


@dataclass
class Executor:
    ses: Any
    journal: Journal
    direction: str
    parallelism: int = 10
    requeues: int = 3
    progress: Any = field(default_factory=Progress)
    stop: threading.Event = field(default_factory=threading.Event)
    services: Mapping[str, Any] = field(default_factory=dict)
    """Clients of the other services actions may use (`events`, `logs`), by name."""

    def client_for(self, action: Action) -> Any:
        if action.service == "sesv2":
            return self.ses
        if action.service not in self.services:
            raise SesmigrateError(f"{action.key}: no {action.service} client to run it")
        return self.services[action.service]

    def run(
        self,
        batches: Iterable[list[tuple[Action, str]]],
        depends_on: Callable[[str], Iterable[str]],
    ) -> RunResult:
        """Run (action, cohort) batches in order; `depends_on(key)` gives what it needs."""
        result = RunResult()
        broken: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            for batch in batches:
                runnable = []
                for action, cohort in batch:
                    blocker = next((broken[d] for d in depends_on(action.key) if d in broken), None)
                    if blocker is not None:
                        result.skipped.append((action.key, blocker))
                        broken[action.key] = blocker
                        self.progress.advance()
                    else:
                        runnable.append((action, cohort))
                self._run_batch(pool, runnable, result, broken)
                if self.stop.is_set():
                    result.interrupted = True
                    break
        return result

    def _run_batch(
        self,
        pool: ThreadPoolExecutor,
        batch: list[tuple[Action, str]],
        result: RunResult,
        broken: dict[str, str],
    ) -> None:
        queue = list(batch)
        tries: dict[str, int] = {}
        running: dict[Future[Any], tuple[Action, str]] = {}
        while queue or running:
            while queue and len(running) < self.parallelism and not self.stop.is_set():
                action, cohort = queue.pop(0)
                running[pool.submit(self._one, action, cohort)] = (action, cohort)
            if not running:
                break
            try:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                self.stop.set()
                continue
            for future in finished:
                action, cohort = running.pop(future)
                error = future.exception()
                if error is None:
                    made = future.result()
                    (result.made if made else result.found).append(action.key)
                    self.progress.advance()
                    continue
                tries[action.key] = tries.get(action.key, 0) + 1
                if is_transient(error) and tries[action.key] <= self.requeues:
                    queue.append((action, cohort))
                    continue
                message = describe_error(error)
                self.journal.failed(action.key, self.direction, message)
                result.failed.append((action.key, message))
                broken[action.key] = action.key
                self.progress.advance()
                if not isinstance(error, ClientError | ActionConflict) and not is_transient(error):
                    raise error

    def _one(self, action: Action, cohort: str) -> bool:
        attempted = self.journal.intent(action.key, self.direction, cohort)
        memory = self.journal.memory(action.key, self.direction)
        if (tenant := action.tenant_name) is not None:
            memory = replace(memory, known=self.journal.known(tenant))
        try:
            outcome = action.apply(self.client_for(action), attempted, memory)
        except ClientError as exc:
            if is_throttling(exc) and not attempted and memory.recalled is None:
                # SES refused this first attempt before acting: it never was an attempt
                self.journal.retract(action.key, self.direction)
            raise
        self.journal.done(action.key, self.direction, outcome)
        return outcome.made
