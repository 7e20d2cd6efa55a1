"""How a journaled action is undone: its inverse from the value it replaced, in reverse order.

Rollback runs these for the cohorts it undoes; apply runs them for the changes of a run it
stops because the cohort's reads, made while the changes ran, found the plan stale.
"""

from dataclasses import dataclass, replace
from typing import Any

from ..actions.tenant import (
    Action,
    AttachResource,
    DeleteCreatedTenant,
    Known,
    Memory,
    Outcome,
)
from ..planning.plan import Plan
from ..state.journal import DONE, Entry


def maybe_applied(entry: Entry) -> bool:
    """Done, or attempted and perhaps done (an interrupted or failed call may have reached
    AWS); a conflict refused before any change is not."""
    if entry.state == "failed":
        return not (entry.error or "").startswith("ActionConflict")
    return entry.state in (DONE, "intent")


def reverse_batches(
    plan: Plan, undo: list[tuple[Entry, Action]], foreign_allowed: bool = False
) -> list[list[tuple[Any, str]]]:
    """Inverses grouped by the batch their actions ran in, latest cohort and batch first.

    The executor undoes the cohorts one after another in this order; within a cohort an
    inverse waits only for the inverses of what depended on its action (`successors`), so
    nothing is removed before what depends on it, and the order here is the preference
    among inverses free to run together.
    """
    position = {
        key: (c, b)
        for c, cohort in enumerate(plan.cohorts)
        for b, batch in enumerate(cohort.batches)
        for key in batch
    }
    ours: dict[str, set[str]] = {}  # an association only found, or not dated ours, is not
    for entry, action in undo:
        if isinstance(action, AttachResource) and entry.state == DONE and entry.made:
            ours.setdefault(action.tenant, set()).add(action.resource_arn)
    groups: dict[tuple[int, int], list[tuple[Any, str]]] = {}
    for entry, action in undo:
        inverse = Inverse(
            action, entry, frozenset(ours.get(action.tenant_name or "", ())), foreign_allowed
        )
        groups.setdefault(position[entry.key], []).append((inverse, entry.cohort))
    return [groups[place] for place in sorted(groups, reverse=True)]


def successors(graph: Any, key: str) -> list[str]:
    return list(graph.successors(key)) if key in graph else []


@dataclass(frozen=True)
class Inverse:
    """Undo one journaled action: its inverse, keyed like it so the journal pairs them."""

    action: Action
    entry: Entry
    ours: frozenset[str] = frozenset()
    """The associations of the action's tenant that this rollback undoes: made by us."""
    foreign_allowed: bool = False
    """Delete a created tenant though it holds associations we did not make."""

    @property
    def key(self) -> str:
        return self.action.key

    @property
    def service(self) -> str:
        return self.action.service

    @property
    def tenant_name(self) -> str | None:
        return self.action.tenant_name

    def apply(self, ses: Any, attempted_before: bool, memory: Memory | None = None) -> Outcome:
        if self.entry.state != DONE:
            if not self.action.is_ours(ses, self.entry.started):
                return Outcome(made=False)
            outcome = Outcome(made=True, previous=self.entry.noted)
        else:
            outcome = Outcome(made=self.entry.made, previous=self.entry.previous)
        inverse = self.action.inverse(outcome)
        if inverse is None:
            return Outcome(made=False)
        if isinstance(inverse, DeleteCreatedTenant):
            inverse = replace(inverse, ours=self.ours, foreign_allowed=self.foreign_allowed)
        # the tenant's ARN still holds; its settings are ours now, not the creation defaults
        arn = memory.known.tenant_arn if memory else None
        return inverse.apply(ses, attempted_before, Memory(known=Known(tenant_arn=arn)))
