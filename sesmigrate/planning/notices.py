"""What a plan tells its reviewers beyond its actions: blockers, warnings and notes.

Pure. Everything found while planning -- what ownership leaves unowned or shared, rules that
disagree, what would make sends fail, and the strategy's, diff's and monitoring's own
warnings -- becomes one `Notice` with the consequence spelled out, and is sealed in the plan
(format 3), so every `show` format and apply's confirmation say the same as `plan` did.
A notice never contradicts what the plan does: with `unowned_templates = "associate-all"`
an unowned template is associated with every tenant, and its notice says so.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..listing import first_few
from .ownership import IDENTITY, POOL, TEMPLATE, Ownership
from .spec import GateSpec, MigrationSpec

VERIFIED = "SUCCESS"
"""The verification status SES gives an identity that may send."""
SEVERITIES = ("blocker", "warning", "note")
"""Most serious first: the order reports list them in."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One finding of the plan, for reviewers only: apply never reads it."""

    severity: str
    """blocker (sends would fail until it is fixed), warning, or note."""
    kind: str
    """What it is about, the key reports group by: `unowned identity`, `shared
    configuration-set`, `ownership conflict`, `blocker`, `plan`, ..."""
    subject: str
    """The resource it is about (`identity ops@example.org`), or empty for the plan."""
    message: str
    """What follows from it."""
    customers: tuple[str, ...] = ()
    """The customers it concerns (what `show --customer` and `--cohort` keep); empty for
    the plan as a whole."""

    @property
    def text(self) -> str:
        return f"{self.subject}: {self.message}" if self.subject else self.message

    def to_dict(self) -> dict[str, Any]:
        """Its JSON form, as the plan file seals it and the JSON report gives it."""
        return {
            "severity": self.severity,
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "customers": list(self.customers),
        }


def plan_notices(
    owners: Ownership | None, warnings: tuple[str, ...], spec: MigrationSpec
) -> tuple[Notice, ...]:
    """The plan's notices, most serious first, each group in a stable order."""
    found: list[Notice] = []
    if owners is not None:
        found += _ownership_notices(owners, spec)
    found += [Notice("warning", "plan", "", warning) for warning in warnings]
    rank = {severity: n for n, severity in enumerate(SEVERITIES)}
    return tuple(sorted(found, key=lambda n: rank[n.severity]))


def unverified_notices(
    tenants: Iterable[tuple[str, tuple[str, ...], tuple[str, ...]]],
    status: Mapping[str, str],
) -> tuple[Notice, ...]:
    """A warning for each planned tenant (name, customers, identity names) none of whose
    identities is verified: SES lets them be associated but refuses the tenant's sends."""
    found = []
    for name, customers, identities in tenants:
        known = [i for i in identities if i in status]
        if not known or any(status[i] == VERIFIED for i in known):
            continue
        shown = first_few([f"{i} ({status[i] or 'unknown'})" for i in known], 3)
        found.append(
            Notice(
                "warning",
                "unverified identities",
                f"tenant {name}",
                f"none of its {len(known)} identities is verified ({shown}): SES "
                "refuses the tenant's sends until one is; the plan associates them anyway",
                customers,
            )
        )
    return tuple(found)


DAY_SECONDS = 86_400.0


def volume_notices(
    judged: Iterable[tuple[str, tuple[str, ...]]],
    customers: int,
    sent_last_24_hours: float | None,
    gates: GateSpec,
) -> tuple[Notice, ...]:
    """A warning for each cohort a later gate judges (name, customers) that, at the
    account's average volume per customer (the scan's last 24 hours), sends fewer than
    `min_sends` in the gate's window: its gate will be inconclusive. A guess -- SES reports
    no volume per customer before it has tenants -- so it warns, never refuses."""
    if not gates.metrics or sent_last_24_hours is None or not customers:
        return ()
    judged = list(judged)
    if not sent_last_24_hours and judged:  # one line says it for every cohort
        return (
            Notice(
                "warning",
                "low volume",
                "",
                "the account sent nothing in the 24 hours before the scan: each gate's "
                "metric conditions will be inconclusive until the cohorts' senders switch "
                f"and send min_sends {gates.min_sends} within window_seconds "
                f"{gates.window_seconds:g}",
            ),
        )
    share = gates.window_seconds / DAY_SECONDS
    found = []
    for name, members in judged:
        expected = sent_last_24_hours * len(members) / customers * share
        if not members or expected >= gates.min_sends:
            continue
        found.append(
            Notice(
                "warning",
                "low volume",
                f"cohort {name}",
                f"at the account's average volume ({sent_last_24_hours:g} sends in the 24 "
                f"hours before the scan, over {customers} customers) its {len(members)} "
                f"customer(s) send about {expected:.0f} in the gate's "
                f"{gates.window_seconds:g}s window, below min_sends {gates.min_sends}: the "
                "gate after it will be inconclusive unless they send more; give it more "
                "customers, lower min_sends or widen window_seconds",
                members,
            )
        )
    return tuple(found)


def _ownership_notices(owners: Ownership, spec: MigrationSpec) -> list[Notice]:
    owner_of: dict[tuple[str, str], set[str]] = {}
    for customer in owners.customers:
        for kind, names in (
            (IDENTITY, customer.identities),
            ("configuration-set", customer.configuration_sets),
            (TEMPLATE, customer.templates),
            (POOL, customer.pools),
        ):
            for name in names:
                owner_of.setdefault((kind, name), set()).add(customer.id)

    def who(kind: str, name: str) -> tuple[str, ...]:
        if kind == "customer":
            return (name,)
        return tuple(sorted(owner_of.get((kind, name), ())))

    associate_all = spec.unowned_templates == "associate-all"
    found = [
        Notice("blocker", "blocker", f"{f.kind} {f.name}", f.message, who(f.kind, f.name))
        for f in owners.blockers
    ]
    for unowned in owners.unowned:
        if unowned.kind == TEMPLATE and associate_all:
            found.append(
                Notice(
                    "note",
                    "unowned template",
                    f"template {unowned.name}",
                    'no rule assigns it to a customer: unowned_templates = "associate-all" '
                    "associates it with every tenant",
                )
            )
            continue
        message = unowned.consequence
        if unowned.kind == TEMPLATE:
            message += '; unowned_templates = "associate-all" would associate it with every tenant'
        found.append(
            Notice("warning", f"unowned {unowned.kind}", f"{unowned.kind} {unowned.name}", message)
        )
    for shared in owners.shared:
        follows = (
            "it comes with their configuration sets into each of their tenants"
            if shared.kind == POOL
            else "it is associated with each of their tenants, which share its settings"
        )
        found.append(
            Notice(
                "note",
                f"shared {shared.kind}",
                f"{shared.kind} {shared.name}",
                f"shared by {len(shared.customers)} customers: {follows}",
                shared.customers,
            )
        )
    found += [
        Notice(
            "warning", "ownership conflict", f"{f.kind} {f.name}", f.message, who(f.kind, f.name)
        )
        for f in owners.conflicts
    ]
    found += [
        Notice("warning", f"{f.kind} warning", f"{f.kind} {f.name}", f.message, who(f.kind, f.name))
        for f in owners.warnings
    ]
    return found
