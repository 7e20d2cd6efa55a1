"""Reads queued by the SES operation they call, each operation with workers of its own.

SES limits each operation on its own, and the rate limiter holds a worker until its
operation may send. With one shared pool the reads of the first long list queue ahead of
every other operation's and take every worker while they wait for their tokens, so the
operations run one after the other: a scan of 150 identities and 100 configuration sets
at ten calls a second each took the sum of their times, 25 s, instead of the longer, 15 s.
A pool per operation (a lane) lets each operation run at its own limit at once.
"""

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from threading import Lock
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


class Lanes:
    """Thread pools by lane name, `width` workers each, made when first used."""

    def __init__(self, width: int) -> None:
        if width < 1:
            raise ValueError(f"width must be at least 1, not {width}")
        self.width = width
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = Lock()

    def pool(self, lane: str) -> ThreadPoolExecutor:
        with self._lock:
            if lane not in self._pools:
                self._pools[lane] = ThreadPoolExecutor(self.width, thread_name_prefix=lane)
            return self._pools[lane]

    def submit(self, lane: str, call: Callable[..., T], *args: Any) -> Future[T]:
        return self.pool(lane).submit(call, *args)

    def map(self, lane: str, call: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
        """`call` of each item in `lane`, in order."""
        return [f.result() for f in [self.submit(lane, call, item) for item in items]]

    def __enter__(self) -> "Lanes":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Wait for every lane; on an error drop what has not started (it would be thrown away),
        and on Ctrl-C do not wait for what has (see `interruptible_pool`)."""
        with self._lock:
            pools = list(self._pools.values())
        for pool in pools:
            pool.shutdown(wait=not _interrupted(kind), cancel_futures=kind is not None)


def _interrupted(kind: type[BaseException] | None) -> bool:
    return kind is not None and issubclass(kind, KeyboardInterrupt)


@contextmanager
def interruptible_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A thread pool that Ctrl-C does not wait for: what has not started is dropped, what
    runs ends with its current call (reads only: nothing is left half done), and the
    command says it stopped at once instead of after every queued read."""
    pool = ThreadPoolExecutor(workers)
    try:
        yield pool
    except BaseException as exc:
        stopped = isinstance(exc, KeyboardInterrupt)
        pool.shutdown(wait=not stopped, cancel_futures=stopped)
        raise
    pool.shutdown(wait=True)
