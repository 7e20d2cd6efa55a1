"""A cohort's changes while its own resources are read, undone if the reads find it stale.

SES limits each operation on its own, and a cohort's reads (GetEmailIdentity,
GetConfigurationSet, GetEmailTemplate) and its changes (CreateTenant,
CreateTenantResourceAssociation, ...) are different operations: read first and change
after, and a cohort lasts the sum of the two; side by side, the longer. At one call a second
per operation the reads of a wave of 50 customers alone cost a minute and a half, and a
migration of 10,000 customers pays that in every cohort.

So apply judges the lists, the tenants' tags and the names new since the plan before
anything changes (they show a planned name taken, a tenant gone or recreated, a resource
gone, a new resource of a cohort customer), and reads the cohort customers' existing
resources while the changes run. When those reads find the plan stale (a customer's
resource re-tagged or its default configuration set changed), the run stops starting
changes, lets the calls in flight end, and undoes every change it made, newest first, from
the journal, as rollback would: the refusal leaves the account as the run found it, as a
check made before the changes would have. Nobody sends through a cohort's tenants before
its cut-over, so the changes' brief life is seen by no sender. Cleanup takes tenants from
senders, so it never runs this way: its reads come first.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from .executor import RunResult
from .verification import Halted


@dataclass(frozen=True)
class Checked:
    """What the changes did and, when the reads refused them, the refusal and its undo."""

    result: RunResult
    refusal: BaseException | None = None
    undone: RunResult | None = None


def ran(result: RunResult) -> set[str]:
    """The actions a run started: made, found or failed (a failed call may have acted)."""
    return {*result.made, *result.found, *(key for key, _ in result.failed)}


def run_while_checking(
    change: Callable[[threading.Event], RunResult],
    check: Callable[[threading.Event], None],
    undo: Callable[[set[str]], RunResult],
    stop: threading.Event,
) -> Checked:
    """`change(stop)` while `check(halt)` reads in a thread of its own.

    A check that raises sets `stop` (no change starts after it), and once the changes in
    flight have ended, `undo` gets the actions the run started. Changes stopped by the
    operator (Ctrl-C, `stop` set from outside) halt the reads: they have no verdict to give
    and the journal resumes the cohort, whose next run checks again."""
    halt = threading.Event()
    refusals: list[BaseException] = []

    def reading() -> None:
        try:
            check(halt)
        except Halted:
            return
        except BaseException as exc:  # a refusal, or reads that could not be made
            refusals.append(exc)
            stop.set()

    reader = threading.Thread(target=reading, name="cohort-reads", daemon=True)
    reader.start()
    try:
        result = change(stop)
        if result.interrupted and not refusals:
            halt.set()
        reader.join()
    except BaseException:  # the changes failed, or Ctrl-C while waiting for the reads
        halt.set()
        raise
    if not refusals:
        return Checked(result)
    return Checked(result, refusals[0], undo(ran(result)))
