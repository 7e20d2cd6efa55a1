"""One cohort's or one customer's part of a plan, for `show --cohort` and `show --customer`.

Pure. A view is a `Plan` again, narrowed to what concerns the cohort or customer (its
steps, cohorts, tenants, customers and notices; plan-wide notices are kept, since they
concern every part), so every format renders it unchanged and says which part it shows.
Its checksum stays the sealed plan's: the view names the plan a reviewer approves, and is
never written as a plan itself.
"""

import difflib
from dataclasses import dataclass, replace

from ..errors import SesmigrateError
from ..listing import first_few
from ..planning.notices import Notice
from ..planning.plan import Plan, Step


class UnknownPartError(SesmigrateError):
    """A cohort or customer the plan does not have."""

    def __init__(self, what: str, name: str, known: list[str]) -> None:
        self.what, self.name = what, name
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = first_few(known, 10)
        super().__init__(f"the plan has no {what} {name!r}{hint} (its {what}s: {listed or 'none'})")


@dataclass(frozen=True, slots=True)
class Part:
    """Which part of the plan a view shows."""

    cohort: str | None = None
    customer: str | None = None

    @property
    def whole(self) -> bool:
        return self.cohort is None and self.customer is None

    def describe(self) -> str:
        said = []
        if self.cohort is not None:
            said.append(f"cohort {self.cohort}")
        if self.customer is not None:
            said.append(f"customer {self.customer}")
        return " and ".join(said)


def plan_part(plan: Plan, part: Part) -> Plan:
    """`plan` narrowed to `part`; an unknown cohort or customer is one error line."""
    if part.cohort is not None:
        names = [c.name for c in plan.cohorts]
        if part.cohort not in names:
            raise UnknownPartError("cohort", part.cohort, names)
        plan = _of_cohort(plan, part.cohort)
    if part.customer is not None:
        ids = sorted(
            {c.id for c in plan.customers} | {m for c in plan.cohorts for m in c.customers}
        )
        if part.customer not in ids:
            raise UnknownPartError("customer", part.customer, ids)
        plan = _of_customer(plan, part.customer)
    return plan


def _of_cohort(plan: Plan, name: str) -> Plan:
    (cohort,) = (c for c in plan.cohorts if c.name == name)
    steps = plan.steps_of(name)
    touched = {s.action.tenant_name for s in steps}
    members = set(cohort.customers)
    return replace(
        plan,
        cohorts=(cohort,),
        steps=steps,
        tenants=tuple(t for t in plan.tenants if t.cohort == name or t.name in touched),
        customers=tuple(c for c in plan.customers if c.id in members),
        notices=tuple(n for n in plan.notices if not n.customers or members & set(n.customers)),
    )


def _of_customer(plan: Plan, customer: str) -> Plan:
    tenant = next((c.tenant for c in plan.customers if c.id == customer), "")

    def concerns(step: Step) -> bool:
        if customer in step.customers:
            return True
        # the tenant's own settings and cleanup, but not another customer's resources
        return (
            bool(tenant)
            and step.action.tenant_name == tenant
            and not (step.action.kind == "attach" and step.customers)
        )

    steps = tuple(s for s in plan.steps if concerns(s))
    keys = {s.action.key for s in steps}
    cohorts = []
    for cohort in plan.cohorts:
        batches = tuple(
            b for b in (tuple(k for k in batch if k in keys) for batch in cohort.batches) if b
        )
        if batches or customer in cohort.customers:
            members = (customer,) if customer in cohort.customers else ()
            cohorts.append(replace(cohort, customers=members, batches=batches))
    return replace(
        plan,
        cohorts=tuple(cohorts),
        steps=steps,
        tenants=tuple(t for t in plan.tenants if t.name == tenant),
        customers=tuple(c for c in plan.customers if c.id == customer),
        notices=tuple(n for n in plan.notices if not n.customers or customer in n.customers),
    )


def cohort_notices(plan: Plan, cohorts: list[str]) -> tuple[Notice, ...]:
    """The notices apply's confirmation shows for `cohorts`: those about their customers,
    and the plan-wide ones."""
    members = {c for cohort in plan.cohorts if cohort.name in cohorts for c in cohort.customers}
    return tuple(n for n in plan.notices if not n.customers or members & set(n.customers))
