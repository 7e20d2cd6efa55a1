"""Run a plan's actions: each as soon as what it needs is done, journaled, resumable, interruptible.

Cohorts run one after another, in the order given. Within a cohort an action starts as soon
as every action it depends on has succeeded (a tenant's associations do not wait for the
other tenants' creations), up to `parallelism` at once: SES limits each operation on its
own, so the busiest operation, not a barrier between batches, sets the cohort's time. The
batches' order is only the preference among actions ready together; an action whose
predecessor just finished goes first, so the calls it unlocks start soon. Every HTTP
attempt passes the client's `RateLimiter` (per-operation, adaptive), and botocore's
retries absorb throttling and transient faults. An action whose retries ran out on a
transient error is put back in the queue (every action is idempotent) a few times before
it counts as failed. A failed action's dependents are reported once, as skipped, and the
journal keeps everything needed to resume. Ctrl-C stops submitting, lets the calls in
flight finish and be journaled, and returns `interrupted`.
"""

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from graphlib import TopologicalSorter
from itertools import groupby
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ..actions.tenant import Action, ActionConflict, retried
from ..aws.clients import error_parts
from ..errors import SesmigrateError
from ..redaction import redact
from ..state.journal import Journal, JournalError

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
    """A failed action's error for the journal and the result: one line, no credential
    (a connection error repeats the endpoint URL, user and password included)."""
    if isinstance(exc, ClientError):
        return redact(": ".join(error_parts(exc.response)))
    return redact(f"{type(exc).__name__}: {exc}")


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
    """Progress nobody watches (a pipe, a test): the calls are counted nowhere, and its
    phases (see `report.progress.Phases`) are itself."""

    def expect(self, calls: int) -> None:
        """Nothing to show."""

    def advance(self, calls: int = 1) -> None:
        """Nothing to show."""

    @contextmanager
    def phase(self, description: str) -> Iterator["Progress"]:
        yield self


@dataclass
class _Reach:
    """The actions of the run that `key` reaches through `relation`, passing over the others:
    an action already done, or of a cohort not in this run, still passes on the order of the
    actions around it."""

    relation: Callable[[str], Iterable[str]]
    members: frozenset[str]
    memo: dict[str, frozenset[str]] = field(default_factory=dict)

    def __call__(self, key: str) -> frozenset[str]:
        if key not in self.memo:
            self.memo[key] = frozenset()  # a cycle ends here instead of recursing forever
            self.memo[key] = frozenset().union(
                *({d} if d in self.members else self(d) for d in self.relation(key))
            )
        return self.memo[key]


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
        after: Callable[[str], Iterable[str]] = lambda key: (),
    ) -> RunResult:
        """Run (action, cohort) batches, one cohort after the other.

        `depends_on(key)` gives what the action needs: it starts once they all succeeded and
        is skipped if one failed. `after(key)` gives what must merely have finished first
        (rollback's order: an inverse after the inverses of what depended on it).
        """
        result = RunResult()
        broken: dict[str, str] = {}
        planned = [item for batch in batches for item in batch]
        keys = frozenset(action.key for action, _ in planned)
        needs, follows = _Reach(depends_on, keys), _Reach(after, keys)
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            for _, cohort in groupby(planned, key=lambda item: item[1]):
                self._run_cohort(pool, list(cohort), needs, follows, result, broken)
                if self.stop.is_set():
                    result.interrupted = True
                    break
        return result

    def _run_cohort(
        self,
        pool: ThreadPoolExecutor,
        cohort: list[tuple[Action, str]],
        needs: _Reach,
        follows: _Reach,
        result: RunResult,
        broken: dict[str, str],
    ) -> None:
        items = {action.key: (action, name) for action, name in cohort}
        position = {key: n for n, key in enumerate(items)}
        order = TopologicalSorter(
            {key: (needs(key) | follows(key)) & items.keys() for key in items}
        )
        order.prepare()

        def release() -> list[str]:
            """The actions now free to start, in the batches' order; skip those a failure blocks."""
            startable = []
            ready = order.get_ready()
            while ready:
                blocked = []
                for key in sorted(ready, key=position.__getitem__):
                    blocker = next((broken[d] for d in needs(key) if d in broken), None)
                    if blocker is None:
                        startable.append(key)
                        continue
                    result.skipped.append((key, blocker))
                    broken[key] = blocker
                    self.progress.advance()
                    blocked.append(key)
                order.done(*blocked)
                ready = order.get_ready()
            return startable

        queue = deque(release())
        tries: dict[str, int] = {}
        running: dict[Future[Any], tuple[Action, str]] = {}
        while queue or running:
            while queue and len(running) < self.parallelism and not self.stop.is_set():
                action, name = items[queue.popleft()]
                running[pool.submit(self._one, action, name)] = (action, name)
            if not running:
                break
            try:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                self.stop.set()
                continue
            for future in finished:
                action, name = running.pop(future)
                error = future.exception()
                if error is None:
                    made = future.result()
                    (result.made if made else result.found).append(action.key)
                    self.progress.advance()
                    order.done(action.key)
                    continue
                if isinstance(error, JournalError):
                    raise error  # journaling the failure would fail too, and hide why
                tries[action.key] = tries.get(action.key, 0) + 1
                if is_transient(error) and tries[action.key] <= self.requeues:
                    queue.append(action.key)
                    continue
                message = describe_error(error)
                self.journal.failed(action.key, self.direction, message)
                result.failed.append((action.key, message))
                broken[action.key] = action.key
                self.progress.advance()
                order.done(action.key)
                if not isinstance(error, ClientError | ActionConflict) and not is_transient(error):
                    raise error
            if not self.stop.is_set():
                queue.extendleft(reversed(release()))

    def _one(self, action: Action, cohort: str) -> bool:
        attempted = self.journal.intent(action.key, self.direction, cohort)
        memory = self.journal.memory(action.key, self.direction)
        if (tenant := action.tenant_name) is not None:
            memory = replace(memory, known=self.journal.known(tenant))
        try:
            outcome = action.apply(self.client_for(action), attempted, memory)
        except ClientError as exc:
            if is_throttling(exc) and not (attempted or retried(exc)) and memory.recalled is None:
                # SES refused the only attempt before acting: it never was an attempt. After
                # a retry an earlier attempt may have acted, its answer lost: the intent stays.
                self.journal.retract(action.key, self.direction)
            raise
        self.journal.done(action.key, self.direction, outcome)
        return outcome.made
