"""Calls a stopped run may still have in flight, waited out before its intents are trusted.

A killed process's last requests can reach SES after it died (a slow link, a proxy, a queue
in front of the service) and land after the next run has looked at what its interrupted
intents made: a tenant created again after a full rollback, a tenant deleted under a canary
applied again. So every request a run sends is dated in the journal first (`Heartbeat`, at
most one write a second, after the rate limiter's wait), and a run that finds interrupted
intents in the migration's journal waits, before it reads or changes anything, until the
last dated send plus that second plus the sender's connect and read timeouts (its
`SESMIGRATE_CONNECT_TIMEOUT` and `SESMIGRATE_READ_TIMEOUT`) have passed: by then the sender
would itself have given every such request up. What it then reads (a creation's tags, an
association's date) includes whatever those requests did. A request SES acts on later than
that after it was sent is beyond what any client can see, and beyond this guarantee.
"""

import threading
from collections.abc import Callable
from typing import Any

from ..state.journal import SqliteJournal

NOTE_EVERY_S = 1.0
"""The longest a dated send may precede the request it stands for."""


class Heartbeat:
    """Dates the requests of one run's clients in its journal before they are sent, with
    how long they may stay in flight (the sender's timeouts: the run that waits may have
    others)."""

    def __init__(
        self, journal: SqliteJournal, now: Callable[[], float], in_flight_s: float
    ) -> None:
        self._journal, self._now, self._in_flight_s = journal, now, in_flight_s
        self._noted = float("-inf")
        self._lock = threading.Lock()

    def attach_all(self, clients: Any) -> None:
        """After the rate limiter, so a send is dated when it leaves, not when it queued."""
        for client in clients.all():
            client.meta.events.register_first("before-send", self._before_send)

    def _before_send(self, **_: Any) -> None:
        with self._lock:
            now = self._now()
            if now - self._noted < NOTE_EVERY_S:
                return
            self._journal.note_in_flight(now + NOTE_EVERY_S + self._in_flight_s)
            self._noted = now


def in_flight_until(journal: SqliteJournal) -> float | None:
    """Until when a stopped run's requests may still land: None when the journal holds no
    interrupted intent (every call it sent was answered) or never dated a send."""
    return journal.in_flight_until() if journal.interrupted() else None
