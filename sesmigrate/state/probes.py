"""What a probe found, as the migration's state keeps it.

A probe sends one message through a tenant to the SES mailbox simulator (see
`running.probe`). Its result is state, like the journal's entries: the next cohort's gate
reads it, so a failed probe blocks that gate until a later probe of the tenant passes or the
operator accepts the failure. The results live in the migration's journal database (table
`probes`, added to older journals when they are opened: nothing else in them changes), one
row per tenant and probe, oldest first.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PASSED, FAILED, CANNOT = "passed", "failed", "cannot probe"
"""Sent and accepted; refused by SES; not sent because the cohort gives nothing to send as
(no verified identity, no configuration set): a result of its own, not a failure."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS probes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    plan TEXT NOT NULL,
    cohort TEXT NOT NULL,
    tenant TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    customer TEXT,
    sender TEXT,
    configuration_set TEXT,
    at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One tenant's probe after one cohort."""

    cohort: str
    """The cohort whose customer the probe sent as."""
    tenant: str
    outcome: str
    """PASSED, FAILED or CANNOT."""
    detail: str
    """The message id, SES's error (code: message), or why nothing could be sent."""
    customer: str | None = None
    """The customer sent as; None when nothing was sent."""
    sender: str | None = None
    """The From address, of one of that customer's verified identities."""
    configuration_set: str | None = None
    """That customer's configuration set the message went through."""
    plan: str = ""
    """The checksum of the plan whose run probed (set when read back from the state)."""
    at: float = 0.0
    """When it was recorded (set when read back from the state)."""

    def describe(self) -> str:
        if self.outcome == PASSED:
            return (
                f"probe of {self.tenant} ({self.cohort}) passed: sent as {self.customer} from "
                f"{self.sender} through {self.configuration_set}"
            )
        if self.outcome == FAILED:
            via = f" (as {self.customer} from {self.sender} through {self.configuration_set})"
            return f"probe of {self.tenant} ({self.cohort}) failed: {self.detail}{via}"
        return f"{self.tenant} ({self.cohort}): cannot probe: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "tenant": self.tenant,
            "outcome": self.outcome,
            "detail": self.detail,
            "customer": self.customer,
            "sender": self.sender,
            "configuration_set": self.configuration_set,
        }


def standing_failures(results: Iterable[ProbeResult], tenants: set[str]) -> list[ProbeResult]:
    """The failed probes that still stand for `tenants`: each tenant's latest result that
    sent something (a "cannot probe" proves nothing either way), when it failed. `results`
    oldest first, as the state returns them."""
    latest: dict[str, ProbeResult] = {}
    for result in results:
        if result.tenant in tenants and result.outcome != CANNOT:
            latest[result.tenant] = result
    return [latest[name] for name in sorted(latest) if latest[name].outcome == FAILED]
