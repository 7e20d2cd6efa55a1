"""What the plan's inputs reach: names in the spec or flags that match nothing, an empty
account or region, ownership rules that own nothing, tenants `--adopt` cannot take.

Pure: inventory, ownership and spec in, warnings out or one `UnmatchedNameError`. Nothing
the user names is accepted silently. A tier name close to one the account has is taken for
a typo and refused with "did you mean" (`vipp` would give every vip the default policy
and one shared tenant); a tier like none the account has is a warning, since it may be
meant for customers who come later. A mapping row naming no resource is a warning with
the closest name; a tenant to adopt that no desired tenant uses is refused, saying what
adoption takes (a desired tenant of that name).
"""

from collections.abc import Iterable

from ..errors import SesmigrateError
from .diff import Changes
from .naming import PLACEHOLDER
from .ownership import MappingRow, Ownership, OwnershipRules
from .snapshot import Inventory
from .spec import MigrationSpec
from .suggest import closest

UNTIERED = "untiered"
"""The tier a tiered migration gives customers without one (strategies/tiered.py)."""


class UnmatchedNameError(SesmigrateError):
    """Names in the spec or flags that match nothing in the account; the message names
    each of them, with the closest known name where there is one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


def _listed(names: Iterable[str], shown: int = 8) -> str:
    ordered = sorted(names)
    head = ", ".join(ordered[:shown])
    return f"{head} and {len(ordered) - shown} more" if len(ordered) > shown else head or "none"


def empty_account(inventory: Inventory, owners: Ownership, rules: OwnershipRules) -> str | None:
    """Why there is nothing to migrate, when there is nothing: an empty account or region
    (the wrong `--region` or `--profile`, most likely), or rules that own nothing."""
    account = inventory.account
    if not inventory.identities and not inventory.configuration_sets:
        return (
            f"account {account.account_id} has no identities and no configuration sets in "
            f"{account.region}, so there is nothing to migrate: check --region (or AWS_REGION) "
            "and --profile"
        )
    if owners.customers:
        return None
    ways = [f"tags {rules.customer_tag!r}/{rules.tier_tag!r}"]
    if rules.patterns:
        ways.append(f"{len(rules.patterns)} name pattern(s)")
    if rules.mapping:
        ways.append(f"{len(rules.mapping)} mapping row(s)")
    return (
        f"no customer found: none of the {len(inventory.identities)} identities and "
        f"{len(inventory.configuration_sets)} configuration sets in {account.region} has an "
        f"owner by the rules used ({', '.join(ways)}); give the account's own with "
        "--customer-tag/--tier-tag, --name-pattern or --mapping (or [ownership] in the spec)"
    )


def named_tiers(spec: MigrationSpec, dedicated_flag: bool) -> list[tuple[str, str]]:
    """(where it is named, tier) for every tier the spec or a flag names."""
    named = [("[reputation] tiers", tier) for tier, _ in spec.tier_policies]
    named += [(f"[suppression.{tier}]", tier) for tier, _ in spec.suppression if tier != "default"]
    named += [(f"[gates.tiers.{tier}]", tier) for tier, _ in spec.gates.tiers]
    dedicated = spec.option("dedicated_tiers")
    if isinstance(dedicated, str):
        dedicated = tuple(t.strip() for t in dedicated.split(",") if t.strip())
    if isinstance(dedicated, tuple):
        where = "--dedicated-tiers" if dedicated_flag else "dedicated_tiers"
        named += [(where, tier) for tier in dedicated if isinstance(tier, str)]
    return named


def tier_warnings(spec: MigrationSpec, owners: Ownership, dedicated_flag: bool) -> list[str]:
    """Warnings for tiers no customer has; a tier that looks like a typo of one is an error."""
    if not owners.customers:
        return []
    known = {c.tier for c in owners.customers if c.tier}
    if any(c.tier is None for c in owners.customers):
        known.add(UNTIERED)
    errors, warnings = [], []
    for where, tier in named_tiers(spec, dedicated_flag):
        if tier in known:
            continue
        typo = closest(tier, known)
        said = f"{where} names tier {tier!r}, which no customer has"
        tiers = f"the account's tiers are {_listed(known)}"
        if typo is not None:
            errors.append(f"{said} (did you mean {typo!r}? {tiers})")
        else:
            warnings.append(f"{said} ({tiers}): it applies to no one")
    if errors:
        raise UnmatchedNameError(errors)
    return warnings


def mapping_warnings(rules: OwnershipRules, inventory: Inventory) -> list[str]:
    """A mapping row that names no resource of the account owns nothing: say which."""
    return [
        f"mapping row {row.resource!r} {said}" for row, said in unmatched_rows(rules, inventory)
    ]


def unmatched_rows(rules: OwnershipRules, inventory: Inventory) -> list[tuple[MappingRow, str]]:
    """Each mapping row that names no resource of the account, with what to say of it."""
    names: set[str] = set()
    for kind, items in (
        ("identity", inventory.identities),
        ("configuration-set", inventory.configuration_sets),
        ("template", inventory.templates),
    ):
        for item in items:
            names |= {item.name, inventory.arn(kind, item.name)}
    plain = {n for n in names if not n.startswith("arn:")}
    return [
        (
            row,
            f"(customer {row.customer!r}) names no identity, configuration set or template "
            f"of the account{_hint(row.resource, plain)}",
        )
        for row in rules.mapping
        if row.resource not in names
    ]


def _hint(name: str, known: set[str]) -> str:
    match = closest(name, known)
    return f" (did you mean {match!r}?)" if match is not None else ""


def check_adoptions(
    spec: MigrationSpec, changes: Changes, inventory: Inventory, flagged: Iterable[str] = ()
) -> None:
    """Every tenant to adopt must be one a desired tenant takes over; else say what it takes.
    `flagged` are the names given with `--adopt` (the others come from the spec's `adopt`)."""
    flags = set(flagged)
    used = {name for name, _ in changes.tenants}
    existing = {t.name: t for t in inventory.tenants}
    unmanaged = sorted(n for n, t in existing.items() if t.migration is None)
    problems = []
    for name in spec.adopt:
        if name in used:
            continue
        where = f"--adopt {name}" if name in flags else f"adopt = [{name!r}]"
        if name not in existing:
            problems.append(
                f"{where}: the account has no tenant {name!r}"
                + _hint(name, set(unmanaged))
                + f" (unmanaged tenants: {_listed(unmanaged)})"
            )
            continue
        problems.append(
            f"{where}: no desired tenant is named {name!r}, so adopting it would do "
            f"nothing; a tenant is adopted when the tenant name template "
            f"({spec.tenant_name_template!r}) gives its name to a customer's tenant: "
            + _adoption_needs(name, spec.tenant_name_template)
        )
    if problems:
        raise UnmatchedNameError(problems)


def _adoption_needs(name: str, template: str) -> str:
    prefix, _, suffix = template.partition(PLACEHOLDER)
    fits = name.startswith(prefix) and name.endswith(suffix)
    if not fits or len(name) <= len(prefix) + len(suffix):
        return (
            f"no customer id gives {name!r} under this template; change tenant_name_template "
            "or leave the tenant unmanaged"
        )
    core = name[len(prefix) : len(name) - len(suffix)] if suffix else name[len(prefix) :]
    return (
        f"a customer with id {core!r} (by --customer-tag, --name-pattern or --mapping) "
        "would take it over"
    )
