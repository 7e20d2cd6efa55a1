"""Progress bars on a terminal, silence in a pipe.

Long work (a scan at one call a second per operation, an apply of thousands of tenants)
shows a rich progress bar with counts and ETA on stderr when stderr is a terminal, and
nothing when it is piped, so that output stays machine-friendly.

A bar is drawn only while its work runs: `Phases.phase` starts one (transient) for a long
phase -- a cohort's checks, its changes, a rollback, status's reads -- and stops it when the
phase ends, so nothing is live on the terminal between phases. That is where a command
prints its listing and asks: a live display would redraw over the prompt (and hold back a
prompt that ends without a newline), so a command never prompts inside a phase.
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

COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
    TextColumn("ETA"),
    TimeRemainingColumn(),
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
    """One bar for the whole block (a scan: nothing in it asks anything)."""
    if not console.is_terminal:
        yield CallProgress(None, description)
        return
    with Progress(*COLUMNS, console=console, transient=True) as progress:
        yield CallProgress(progress, description)


class Phases:
    """The bars of one run's long phases, each drawn only while its phase runs."""

    def __init__(self, console: Console | None = None) -> None:
        """`console` None, or not a terminal: phases are counted by nobody, drawn nowhere."""
        self.console = console
        self.drawing: str | None = None
        """The phase whose bar is live now, if any (a prompt must wait for None)."""

    @contextmanager
    def phase(self, description: str) -> Iterator[CallProgress]:
        if self.console is None or not self.console.is_terminal:
            yield CallProgress(None, description)
            return
        with Progress(*COLUMNS, console=self.console, transient=True) as progress:
            self.drawing = description
            try:
                yield CallProgress(progress, description)
            finally:
                self.drawing = None
