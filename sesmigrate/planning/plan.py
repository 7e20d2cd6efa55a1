"""The saved plan: the only place that builds, writes and reads `*.plan.json`.

A plan is a value that holds everything apply needs -- the binding (account, region, tool
version, inventory fingerprint), the spec used, the ownership rules with the mapping's rows
(so apply never reads the spec's files again, from whichever directory or machine), every
resource name the scan saw (so apply reads only what is new), cohorts with their batches,
and every action with its expectations -- so apply never calls a strategy or the diff again.
Format 1 plans (without the rules and names) stay readable: apply, status and rollback of
a plan made by an older version go on, judging ownership by the spec's mapping file and
reading every name as new. Format 2 plans (without notices and tenants' suppression) stay
readable too: their warnings become notices of the plan, and each tenant's suppression is
the one its spec gives its tier. Its
JSON is canonical and sealed: a sha256 checksum over the body. `read_plan` checks the
format, its version and the checksum *before* building anything, and refuses a plan that
fails with one line; it needs no network, so `show` can use it.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..actions.kinds import action_from_dict
from ..actions.tenant import Action
from ..errors import SesmigrateError
from ..jsondoc import Fields, load
from .diff import Changes, Expectation
from .durations import ASSUMED, DEFAULT_RATE, Rates
from .graph import CLEANUP, Cohort
from .notices import SEVERITIES, Notice, plan_notices, unverified_notices, volume_notices
from .ownership import MappingRow, Ownership, OwnershipRules, parse_pattern
from .snapshot import Inventory, canonical_json
from .spec import MigrationSpec, Suppression, spec_from_mapping

FORMAT = "sesmigrate-plan"
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
"""3: `notices` (every blocker, warning and note found while planning, with its
consequence and customers) instead of `warnings`; each tenant's `suppression`."""
RATE_SOURCES = ("given", "learned", "assumed")


class PlanFileError(SesmigrateError):
    """A plan file that is malformed, tampered with, or of another version."""

    def __init__(self, source: str, problem: str) -> None:
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True, slots=True)
class Step:
    """One action of the plan with what apply needs to know about it."""

    action: Action
    cohort: str
    customers: tuple[str, ...]
    reason: str
    """Why: for reviewers only, never read by apply."""
    expectations: tuple[Expectation, ...]


@dataclass(frozen=True, slots=True)
class TenantView:
    """A tenant of the desired state, for reports."""

    name: str
    kind: str
    key: str
    customers: tuple[str, ...]
    tier: str | None
    policy: str | None
    resources: tuple[str, ...]
    """ARNs of the identities, configuration sets and templates it should hold."""
    cohort: str
    suppression: Suppression | None = None
    """The suppression attributes the plan gives it; None leaves the account's."""


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A customer as the plan saw it: what apply checks for staleness, what senders change."""

    id: str
    tier: str | None
    tenant: str
    identities: tuple[str, ...]
    configuration_sets: tuple[str, ...]
    templates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Seen:
    """Every resource name the plan's scan saw: what apply finds beyond it is new."""

    identities: frozenset[str]
    configuration_sets: frozenset[str]
    templates: frozenset[str]
    tenants: int = 0
    """How many tenants the account held: the length of apply's ListTenants."""

    @classmethod
    def of(cls, inventory: Inventory) -> "Seen":
        return cls(
            frozenset(i.name for i in inventory.identities),
            frozenset(c.name for c in inventory.configuration_sets),
            frozenset(t.name for t in inventory.templates),
            len(inventory.tenants),
        )


@dataclass(frozen=True, slots=True)
class Plan:
    tool_version: str
    created_at: str
    account: str
    region: str
    fingerprint: str
    spec: dict[str, Any]
    cohorts: tuple[Cohort, ...]
    steps: tuple[Step, ...]
    tenants: tuple[TenantView, ...]
    customers: tuple[CustomerView, ...]
    unmanaged: tuple[str, ...]
    adopted: tuple[str, ...]
    notices: tuple[Notice, ...]
    """Blockers, warnings and notes found while planning: for reviewers only."""
    rates: Rates
    """The rates known when the plan was made: its durations are estimated at these."""
    seen: Seen | None = None
    """None when unknown (a format 1 plan): every name is then new to apply."""
    rules: OwnershipRules | None = None
    """The ownership rules, mapping rows included; None when unknown (a format 1 plan):
    they are then built from the spec."""
    checksum: str = ""

    @property
    def migration(self) -> str:
        return str(self.spec["name"])

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every notice as one line."""
        return tuple(n.text for n in self.notices)

    @property
    def has_changes(self) -> bool:
        return bool(self.steps)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.action.key == key)

    def steps_of(self, cohort: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.cohort == cohort)


def build_plan(
    inventory: Inventory,
    spec: MigrationSpec,
    changes: Changes,
    cohorts: tuple[Cohort, ...],
    tool_version: str,
    created_at: str,
    rates: Rates = ASSUMED,
    owners: Ownership | None = None,
    rules: OwnershipRules | None = None,
) -> Plan:
    cohort_of = {key: c.name for c in cohorts for batch in c.batches for key in batch}
    customer_cohort = {customer: c.name for c in cohorts for customer in c.customers}
    steps = tuple(
        Step(p.action, cohort_of[p.action.key], p.customers, p.reason, p.expectations)
        for p in changes.actions
    )
    order = {c.name: n for n, c in enumerate(cohorts)}
    tenants = tuple(
        TenantView(
            name=name,
            kind=wanted.kind,
            key=wanted.key,
            customers=wanted.customers,
            tier=wanted.tier,
            policy=wanted.policy,
            resources=tuple(arn for _, arn in wanted.resources),
            suppression=wanted.suppression,
            cohort=min(
                (customer_cohort[c] for c in wanted.customers if c in customer_cohort),
                key=order.__getitem__,
                default="",
            ),
        )
        for name, wanted in changes.tenants
    )
    tenant_of = {
        customer: name for name, wanted in changes.tenants for customer in wanted.customers
    }
    customers = tuple(
        CustomerView(
            c.id, c.tier, tenant_of.get(c.id, ""), c.identities, c.configuration_sets, c.templates
        )
        for c in (owners.customers if owners else ())
    )
    return Plan(
        tool_version=tool_version,
        created_at=created_at,
        account=inventory.account.account_id,
        region=inventory.account.region,
        fingerprint=inventory.fingerprint(),
        spec=spec.to_dict(),
        cohorts=cohorts,
        steps=steps,
        tenants=tenants,
        customers=customers,
        unmanaged=changes.unmanaged,
        adopted=changes.adopted,
        notices=plan_notices(owners, changes.warnings, spec)
        + unverified_notices(
            ((t.name, t.customers, _identity_names(t.resources)) for t in tenants),
            {i.name: i.verification_status for i in inventory.identities},
        )
        + volume_notices(
            _judged(cohorts),
            len(customers),
            inventory.sent_last_24_hours,
            spec.gates,
        ),
        rates=rates,
        seen=Seen.of(inventory),
        rules=rules or OwnershipRules(),
    )


def _judged(cohorts: tuple[Cohort, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """The cohorts a later cohort's gate judges: all but the last (cleanup judges every
    other) with their customers."""
    others = [c for c in cohorts if c.name != CLEANUP]
    last = len(others) if len(others) < len(cohorts) else len(others) - 1
    return [(c.name, c.customers) for c in others[:last]]


def _identity_names(resources: tuple[str, ...]) -> tuple[str, ...]:
    named = (arn.rsplit(":", 1)[-1].partition("/") for arn in resources)
    return tuple(name for kind, _, name in named if kind == "identity")


def _body(plan: Plan) -> dict[str, Any]:
    """The sealed content; batches name steps by their index in `steps`."""
    seen, rules = plan.seen, plan.rules
    index = {step.action.key: n for n, step in enumerate(plan.steps)}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "account": plan.account,
        "region": plan.region,
        "inventory_fingerprint": plan.fingerprint,
        "spec": plan.spec,
        "cohorts": [
            {
                "name": c.name,
                "customers": list(c.customers),
                "batches": [[index[key] for key in batch] for batch in c.batches],
            }
            for c in plan.cohorts
        ],
        "steps": [
            {
                "action": s.action.to_dict(),
                "cohort": s.cohort,
                "customers": list(s.customers),
                "reason": s.reason,
                "irreversible": s.action.irreversible,
                "expectations": [[e.kind, e.subject, e.detail] for e in s.expectations],
            }
            for s in plan.steps
        ],
        "tenants": [
            {
                "name": t.name,
                "kind": t.kind,
                "key": t.key,
                "customers": list(t.customers),
                "tier": t.tier,
                "policy": t.policy,
                "resources": list(t.resources),
                "cohort": t.cohort,
                "suppression": None
                if t.suppression is None
                else {"reasons": list(t.suppression.reasons), "scope": t.suppression.scope},
            }
            for t in plan.tenants
        ],
        "customers": [
            {
                "id": c.id,
                "tier": c.tier,
                "tenant": c.tenant,
                "identities": list(c.identities),
                "configuration_sets": list(c.configuration_sets),
                "templates": list(c.templates),
            }
            for c in plan.customers
        ],
        "unmanaged_tenants": list(plan.unmanaged),
        "adopted_tenants": list(plan.adopted),
        "notices": [n.to_dict() for n in plan.notices],
        "rates": {
            "by_operation": dict(plan.rates.by_operation),
            "default": plan.rates.default,
            "account": plan.rates.account,
            "source": plan.rates.source,
        },
        "seen": None
        if seen is None
        else {
            "identities": sorted(seen.identities),
            "configuration_sets": sorted(seen.configuration_sets),
            "templates": sorted(seen.templates),
            "tenants": seen.tenants,
        },
        "ownership_rules": None
        if rules is None
        else {
            "mapping": [[r.resource, r.customer, r.tier] for r in rules.mapping],
            "patterns": [p.pattern for p in rules.patterns],
            "customer_tag": rules.customer_tag,
            "tier_tag": rules.tier_tag,
        },
    }


def checksum_of(body: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def plan_to_json(plan: Plan) -> str:
    """The sealed plan file: canonical compact JSON (`sesmigrate show` renders it for people)."""
    text = canonical_json(_body(plan))
    checksum = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f'{text[:-1]},"checksum":"{checksum}"}}\n'


def read_plan(text: str, source: str = "plan") -> Plan:
    """The plan in `text`, or one line saying why it cannot be trusted."""
    try:
        document = load(text)
    except ValueError as exc:
        raise PlanFileError(source, str(exc)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PlanFileError(source, "not a sesmigrate plan")
    if (
        type(document.get("format_version")) is not int
        or document["format_version"] not in READABLE_VERSIONS
    ):
        raise PlanFileError(
            source,
            f"plan format version {document.get('format_version')!r} is not one of "
            f"{', '.join(map(str, READABLE_VERSIONS))}; re-run sesmigrate plan with this version",
        )
    body = {k: v for k, v in document.items() if k != "checksum"}
    try:
        sealed = document.get("checksum") == checksum_of(body)
    except (ValueError, UnicodeEncodeError, RecursionError):
        sealed = False
    if not sealed:
        raise PlanFileError(
            source,
            "checksum does not match: the plan was changed after it was written; "
            "re-run sesmigrate plan",
        )
    try:
        return _plan_from(Fields(body, "plan"), str(document["checksum"]))
    except (ValueError, SesmigrateError) as exc:
        raise PlanFileError(source, f"malformed plan: {' '.join(str(exc).split())}") from None


def _plan_from(body: Fields, checksum: str) -> Plan:
    """Build the plan, checking every value's type and every cross-reference."""
    parsed = spec_from_mapping(body.object("spec").data, "plan.spec")
    spec = parsed.to_dict()
    steps = tuple(
        _step(Fields(raw, f"plan.steps[{n}]")) for n, raw in enumerate(body.list("steps"))
    )
    cohorts = []
    placed: set[int] = set()
    for n, raw in enumerate(body.list("cohorts")):
        cohort = Fields(raw, f"plan.cohorts[{n}]")
        batches = []
        for batch in cohort.list("batches"):
            if not isinstance(batch, list) or not all(
                type(i) is int and 0 <= i < len(steps) and i not in placed for i in batch
            ):
                raise ValueError(f"plan.cohorts[{n}] has a batch with an invalid step index")
            placed.update(batch)
            batches.append(tuple(steps[i].action.key for i in batch))
        name = cohort.str("name")
        if any(steps[i].cohort != name for batch in cohort.list("batches") for i in batch):
            raise ValueError(f"plan.cohorts[{n}] holds steps of another cohort")
        cohorts.append(Cohort(name, cohort.strs("customers"), tuple(batches)))
    if len(placed) != len(steps):
        raise ValueError("some steps are in no batch")
    created_at = body.str("created_at")
    try:
        zoned = datetime.fromisoformat(created_at).tzinfo is not None
    except ValueError:
        zoned = False
    if not zoned:
        raise ValueError(f"plan.created_at {created_at!r} is not an ISO 8601 time with a zone")
    version = body.data["format_version"]
    current = version >= 2
    seen = body.data.get("seen") if current else None
    rules = body.data.get("ownership_rules") if current else None
    return Plan(
        tool_version=body.str("tool_version"),
        created_at=created_at,
        account=body.str("account"),
        region=body.str("region"),
        fingerprint=body.str("inventory_fingerprint"),
        spec=dict(spec),
        cohorts=tuple(cohorts),
        steps=steps,
        tenants=tuple(
            _tenant(Fields(t, "plan.tenants[]"), None if version >= 3 else parsed)
            for t in body.list("tenants")
        ),
        customers=tuple(_customer(Fields(c, "plan.customers[]")) for c in body.list("customers")),
        unmanaged=body.strs("unmanaged_tenants"),
        adopted=body.strs("adopted_tenants"),
        notices=_notices(body)
        if version >= 3
        else tuple(Notice("warning", "plan", "", w) for w in body.strs("warnings")),
        rates=_rates(body.object("rates")) if current else _format_1_rates(body),
        seen=None if seen is None else _seen(body.object("seen")),
        rules=None if rules is None else _rules(body.object("ownership_rules")),
        checksum=checksum,
    )


def _seen(seen: Fields) -> Seen:
    return Seen(
        frozenset(seen.strs("identities")),
        frozenset(seen.strs("configuration_sets")),
        frozenset(seen.strs("templates")),
        seen.int("tenants"),
    )


def _rates(rates: Fields) -> Rates:
    by_operation = rates.numbers("by_operation")
    account = rates.data.get("account")
    source = rates.str("source")
    if source not in RATE_SOURCES:
        raise ValueError(f"plan.rates.source {source!r} is not one of {', '.join(RATE_SOURCES)}")
    if not all(r > 0 for r in (*by_operation.values(), rates.number("default"))):
        raise ValueError("plan.rates must be positive")
    return Rates(
        by_operation=tuple(sorted(by_operation.items())),
        default=rates.number("default"),
        account=None if account is None else rates.number("account"),
        source=source,
    )


def _format_1_rates(body: Fields) -> Rates:
    """A format 1 plan's estimate held the rates given: per operation, the default for all."""
    estimate = body.object("estimate")
    by_operation = estimate.numbers("rates")
    default = estimate.number("default_rate")
    if not all(r > 0 for r in (*by_operation.values(), default)):
        raise ValueError("plan.estimate's rates must be positive")
    if not by_operation and default == DEFAULT_RATE:
        return ASSUMED
    return Rates(tuple(sorted(by_operation.items())), default, None, "given")


def _rules(rules: Fields) -> OwnershipRules:
    mapping = []
    for raw in rules.list("mapping"):
        if (
            not isinstance(raw, list)
            or len(raw) != 3
            or not all(isinstance(v, str) for v in raw[:2])
            or not (raw[2] is None or isinstance(raw[2], str))
        ):
            raise ValueError("plan.ownership_rules.mapping must hold [resource, customer, tier]")
        mapping.append(MappingRow(raw[0], raw[1], raw[2]))
    return OwnershipRules(
        mapping=tuple(mapping),
        patterns=tuple(parse_pattern(p) for p in rules.strs("patterns")),
        customer_tag=rules.str("customer_tag"),
        tier_tag=rules.str("tier_tag"),
    )


def _step(step: Fields) -> Step:
    expectations = []
    for raw in step.list("expectations"):
        if not isinstance(raw, list) or len(raw) != 3 or not all(isinstance(v, str) for v in raw):
            raise ValueError(f"{step.where}.expectations must hold [kind, subject, detail] strings")
        expectations.append(Expectation(*raw))
    return Step(
        action=action_from_dict(step.object("action").data),
        cohort=step.str("cohort"),
        customers=step.strs("customers"),
        reason=step.str("reason"),
        expectations=tuple(expectations),
    )


def _tenant(tenant: Fields, older: MigrationSpec | None) -> TenantView:
    """A tenant; `older` is the spec of a plan from before format 3, whose tenants'
    suppression is the one the spec gives their tier."""
    tier = tenant.optional_str("tier")
    if older is not None:
        suppression = older.suppression_for(tier)
    elif "suppression" not in tenant.data:
        raise ValueError(f"{tenant.where} has no 'suppression'")
    elif tenant.data["suppression"] is None:
        suppression = None
    else:
        raw = tenant.object("suppression")
        suppression = Suppression(raw.strs("reasons"), raw.optional_str("scope"))
    return TenantView(
        tenant.str("name"),
        tenant.str("kind"),
        tenant.str("key"),
        tenant.strs("customers"),
        tier,
        tenant.optional_str("policy"),
        tenant.strs("resources"),
        tenant.str("cohort"),
        suppression,
    )


def _notices(body: Fields) -> tuple[Notice, ...]:
    notices = []
    for n, raw in enumerate(body.list("notices")):
        notice = Fields(raw, f"plan.notices[{n}]")
        severity = notice.str("severity")
        if severity not in SEVERITIES:
            raise ValueError(f"{notice.where}.severity must be one of {', '.join(SEVERITIES)}")
        notices.append(
            Notice(
                severity,
                notice.str("kind"),
                notice.str("subject"),
                notice.str("message"),
                notice.strs("customers"),
            )
        )
    return tuple(notices)


def _customer(customer: Fields) -> CustomerView:
    return CustomerView(
        customer.str("id"),
        customer.optional_str("tier"),
        customer.str("tenant"),
        customer.strs("identities"),
        customer.strs("configuration_sets"),
        customer.strs("templates"),
    )
