"""Who owns each resource of an inventory: customer and tier, by rules, with what is shared.

Pure: no AWS, no I/O (the CLI reads the mapping file; this module parses its text).
Rules apply in this precedence: an explicit mapping (CSV `resource,customer,tier`), then
name patterns (regexes with named groups `customer` and optionally `tier`), then tags
(keys `customer` and `tier` by default). Where two rules disagree the stronger one wins
and the disagreement is reported as a conflict the user can resolve.

Identities and templates are owned by the rules alone. A configuration set is owned by
its rule, or else by the customers whose identities use it as their default: one customer
owns it, several share it. A dedicated IP pool follows the configuration sets that name it
the same way, since a pool reaches a tenant only through its configuration sets.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from ..errors import SesmigrateError
from .snapshot import Inventory, Tags

IDENTITY, CONFIGURATION_SET, TEMPLATE, POOL = (
    "identity",
    "configuration-set",
    "template",
    "dedicated-ip-pool",
)
UNOWNED_TEMPLATE = (
    "no rule assigns it to a customer: a customer who sends with it through a tenant is "
    "rejected unless it is associated with that tenant"
)


class OwnershipRuleError(SesmigrateError):
    """A mapping file or name pattern that cannot be used."""


@dataclass(frozen=True, slots=True)
class MappingRow:
    resource: str
    """A resource name or ARN."""
    customer: str
    tier: str | None


@dataclass(frozen=True, slots=True)
class OwnershipRules:
    mapping: tuple[MappingRow, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    customer_tag: str = "customer"
    tier_tag: str = "tier"


@dataclass(frozen=True, slots=True)
class Claim:
    customer: str
    tier: str | None
    source: str
    """mapping, pattern or tags: which rule made the claim."""


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    """The customer id as the account's rules name it (tag value, CSV cell, regex group)."""
    tier: str | None
    identities: tuple[str, ...]
    configuration_sets: tuple[str, ...]
    """Every set the customer's tenant needs: its own and the shared ones it uses."""
    templates: tuple[str, ...]
    pools: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharedResource:
    kind: str
    name: str
    customers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnownedResource:
    kind: str
    name: str
    consequence: str


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    name: str
    message: str


@dataclass(frozen=True, slots=True)
class Ownership:
    customers: tuple[Customer, ...]
    shared: tuple[SharedResource, ...]
    unowned: tuple[UnownedResource, ...]
    conflicts: tuple[Finding, ...]
    """Rules that disagree; the stronger rule won."""
    blockers: tuple[Finding, ...]
    """What would make sends through a tenant fail (a missing configuration set, ...)."""
    warnings: tuple[Finding, ...]

    def customer(self, customer_id: str) -> Customer:
        return next(c for c in self.customers if c.id == customer_id)


def parse_mapping(text: str, source: str) -> tuple[MappingRow, ...]:
    """Rows of a `resource,customer,tier` CSV (header optional, tier may be empty)."""
    rows: list[MappingRow] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    try:
        for cells in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in cells]
            if not any(cells) or cells[0].startswith("#"):
                continue
            header = [c.lower() for c in cells] == ["resource", "customer", "tier"][: len(cells)]
            if first and header:
                first = False
                continue
            first = False
            if len(cells) not in (2, 3) or not cells[0] or not cells[1]:
                raise OwnershipRuleError(
                    f"{source}, line {line}: expected 'resource,customer[,tier]', "
                    f"got {','.join(cells)!r}"
                )
            if cells[0] in seen:
                raise OwnershipRuleError(
                    f"{source}, line {line}: {cells[0]!r} is already mapped on line "
                    f"{seen[cells[0]]}"
                )
            seen[cells[0]] = line
            tier = cells[2] if len(cells) == 3 and cells[2] else None
            rows.append(MappingRow(cells[0], cells[1], tier))
    except csv.Error as exc:
        raise OwnershipRuleError(
            f"{source}, line {reader.line_num}: not valid CSV ({exc})"
        ) from None
    return tuple(rows)


def parse_pattern(text: str) -> re.Pattern[str]:
    """A name pattern: a regex with a named group `customer` and optionally `tier`."""
    try:
        pattern = re.compile(text)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise OwnershipRuleError(f"name pattern {text!r} is not a valid regex: {problem}") from None
    if "customer" not in pattern.groupindex:
        raise OwnershipRuleError(
            f"name pattern {text!r} has no named group 'customer': write (?P<customer>...)"
        )
    unknown = set(pattern.groupindex) - {"customer", "tier"}
    if unknown:
        raise OwnershipRuleError(
            f"name pattern {text!r} has unknown group(s) {sorted(unknown)}: use customer and tier"
        )
    return pattern


def claims(rules: OwnershipRules, name: str, arn: str, tags: Tags) -> list[Claim]:
    """Every rule's claim on a resource, strongest first."""
    found: list[Claim] = []
    for row in rules.mapping:
        if row.resource in (name, arn):
            found.append(Claim(row.customer, row.tier, "mapping"))
            break
    for pattern in rules.patterns:
        match = pattern.fullmatch(name)
        if match and match.group("customer"):
            tier = match.group("tier") if "tier" in pattern.groupindex else None
            found.append(Claim(match.group("customer"), tier or None, "pattern"))
            break
    tag_map = dict(tags)
    if tag_map.get(rules.customer_tag):
        found.append(
            Claim(tag_map[rules.customer_tag], tag_map.get(rules.tier_tag) or None, "tags")
        )
    return found


class _Resolver:
    """Accumulates owners and findings while `ownership` walks the inventory."""

    def __init__(self, inventory: Inventory, rules: OwnershipRules) -> None:
        self.inventory, self.rules = inventory, rules
        self.conflicts: list[Finding] = []

    def owner(self, kind: str, name: str, tags: Tags) -> Claim | None:
        found = claims(self.rules, name, self.inventory.arn(kind, name), tags)
        if not found:
            return None
        winner = found[0]
        for other in found[1:]:
            if other.customer != winner.customer or (
                other.tier and winner.tier and other.tier != winner.tier
            ):
                self.conflicts.append(
                    Finding(
                        kind,
                        name,
                        f"{winner.source} says {_who(winner)}, {other.source} says {_who(other)}; "
                        f"{winner.source} wins",
                    )
                )
        tier = winner.tier or next(
            (c.tier for c in found[1:] if c.customer == winner.customer and c.tier), None
        )
        return Claim(winner.customer, tier, winner.source)


def _who(claim: Claim) -> str:
    return f"customer {claim.customer!r}" + (f" tier {claim.tier!r}" if claim.tier else "")


def ownership(inventory: Inventory, rules: OwnershipRules) -> Ownership:
    """Customers with their resources, plus what is shared, unowned, conflicting or blocking."""
    resolve = _Resolver(inventory, rules)
    unowned: list[UnownedResource] = []
    shared: list[SharedResource] = []
    blockers: list[Finding] = []
    warnings: list[Finding] = []
    owned: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    tiers: dict[str, Counter[str]] = defaultdict(Counter)
    set_names = {c.name for c in inventory.configuration_sets}
    pool_names = {p.name for p in inventory.pools}
    set_users: dict[str, set[str]] = defaultdict(set)

    for identity in sorted(inventory.identities, key=lambda i: i.name):
        claim = resolve.owner(IDENTITY, identity.name, identity.tags)
        if claim is None:
            unowned.append(
                UnownedResource(
                    IDENTITY, identity.name, "not migrated: it keeps sending without a tenant"
                )
            )
            continue
        owned[claim.customer][IDENTITY].add(identity.name)
        if claim.tier:
            tiers[claim.customer][claim.tier] += 1
        if identity.configuration_set is None:
            warnings.append(
                Finding(
                    IDENTITY,
                    identity.name,
                    "has no default configuration set: its senders must name one, associated "
                    "with their tenant, when they send with a tenant",
                )
            )
        elif identity.configuration_set not in set_names:
            blockers.append(
                Finding(
                    IDENTITY,
                    identity.name,
                    f"names configuration set {identity.configuration_set!r}, which does not "
                    "exist: sends through a tenant would fail until it is fixed",
                )
            )
        else:
            set_users[identity.configuration_set].add(claim.customer)
        if not identity.verified_for_sending:
            warnings.append(
                Finding(
                    IDENTITY,
                    identity.name,
                    f"is not verified for sending ({identity.verification_status})",
                )
            )

    pool_users: dict[str, set[str]] = defaultdict(set)
    for config_set in sorted(inventory.configuration_sets, key=lambda c: c.name):
        users = _settle(
            resolve,
            CONFIGURATION_SET,
            config_set.name,
            config_set.tags,
            set_users[config_set.name],
            owned,
            tiers,
            shared,
            unowned,
            "not migrated: no rule assigns it and no customer's identity uses it by default",
        )
        if config_set.sending_pool is not None:
            if config_set.sending_pool not in pool_names:
                blockers.append(
                    Finding(
                        CONFIGURATION_SET,
                        config_set.name,
                        f"sends through dedicated IP pool {config_set.sending_pool!r}, which "
                        "does not exist",
                    )
                )
            else:
                pool_users[config_set.sending_pool] |= users

    for pool in sorted(inventory.pools, key=lambda p: p.name):
        _settle(
            resolve,
            POOL,
            pool.name,
            pool.tags,
            pool_users[pool.name],
            owned,
            tiers,
            shared,
            unowned,
            "no configuration set of a customer sends through it",
        )

    for template in sorted(inventory.templates, key=lambda t: t.name):
        claim = resolve.owner(TEMPLATE, template.name, template.tags)
        if claim is None:
            unowned.append(UnownedResource(TEMPLATE, template.name, UNOWNED_TEMPLATE))
        else:
            owned[claim.customer][TEMPLATE].add(template.name)

    customers = []
    for customer_id in sorted(owned):
        resources = owned[customer_id]
        tier = _tier_of(customer_id, tiers[customer_id], resolve.conflicts)
        customers.append(
            Customer(
                id=customer_id,
                tier=tier,
                identities=tuple(sorted(resources[IDENTITY])),
                configuration_sets=tuple(sorted(resources[CONFIGURATION_SET])),
                templates=tuple(sorted(resources[TEMPLATE])),
                pools=tuple(sorted(resources[POOL])),
            )
        )
    return Ownership(
        customers=tuple(customers),
        shared=tuple(shared),
        unowned=tuple(unowned),
        conflicts=tuple(resolve.conflicts),
        blockers=tuple(blockers),
        warnings=tuple(warnings),
    )


def _settle(
    resolve: _Resolver,
    kind: str,
    name: str,
    tags: Tags,
    users: set[str],
    owned: dict[str, dict[str, set[str]]],
    tiers: dict[str, Counter[str]],
    shared: list[SharedResource],
    unowned: list[UnownedResource],
    unowned_reason: str,
) -> set[str]:
    """Own a set or pool by its rule or its users; return the customers who end up with it."""
    claim = resolve.owner(kind, name, tags)
    holders = set(users) | ({claim.customer} if claim else set())
    if claim is not None and users - {claim.customer}:
        resolve.conflicts.append(
            Finding(
                kind,
                name,
                f"{claim.source} says customer {claim.customer!r}, but it is used by "
                f"{', '.join(sorted(users - {claim.customer}))} as well; treated as shared",
            )
        )
    if not holders:
        unowned.append(UnownedResource(kind, name, unowned_reason))
    elif len(holders) > 1:
        shared.append(SharedResource(kind, name, tuple(sorted(holders))))
    elif claim is not None and claim.tier:
        tiers[claim.customer][claim.tier] += 1
    for customer in holders:
        owned[customer][kind].add(name)
    return holders


def _tier_of(customer: str, counts: Counter[str], conflicts: list[Finding]) -> str | None:
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > 1:
        conflicts.append(
            Finding(
                "customer",
                customer,
                f"resources are in tiers {', '.join(t for t, _ in ranked)}; using {ranked[0][0]!r}",
            )
        )
    return ranked[0][0]


def holders(customers: tuple[Customer, ...], inventory: Inventory) -> dict[str, set[str]]:
    """Each identity, configuration set and template ARN with the customers that use it."""
    found: dict[str, set[str]] = defaultdict(set)
    for customer in customers:
        for kind, names in (
            (IDENTITY, customer.identities),
            (CONFIGURATION_SET, customer.configuration_sets),
            (TEMPLATE, customer.templates),
        ):
            for name in names:
                found[inventory.arn(kind, name)].add(customer.id)
    return found
