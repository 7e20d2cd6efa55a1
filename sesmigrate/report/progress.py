"""Progress bars on a terminal, silence in a pipe.

Long work (a scan at one call a second per operation, an apply of thousands of tenants)
shows a rich progress bar with ETA on stderr when stderr is a terminal, and nothing when
it is piped, so that output stays machine-friendly.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class CallProgress:
    """A bar whose total grows as work is discovered (lists reveal items page by page)."""

    def __init__(self, progress: Progress | None, description: str) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=0) if progress else None
        self._total = 0
        self._lock = threading.Lock()

    def expect(self, calls: int) -> None:
        if self._progress is not None and self._task is not None:
            with self._lock:
                self._total += calls
                self._progress.update(self._task, total=self._total)

    def advance(self, calls: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, calls)


@contextmanager
def call_progress(console: Console, description: str) -> Iterator[CallProgress]:
    if not console.is_terminal:
        yield CallProgress(None, description)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield CallProgress(progress, description)
