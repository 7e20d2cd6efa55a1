"""Ownership rules from the command line or a spec: mapping file, name patterns, tag keys.

The edge between files and the pure `ownership` module: it reads the mapping CSV and
compiles the patterns, so that a bad file or regex is one line before any AWS call. A plan
seals the rules it was made with, so apply and status judge by those, never by files.
"""

from pathlib import Path

from ..files import read_text
from .ownership import (
    MappingRow,
    OwnershipRuleError,
    OwnershipRules,
    parse_mapping,
    parse_pattern,
)
from .plan import Plan
from .snapshot import Inventory, ScanRules
from .spec import OwnershipSpec, spec_from_mapping


def ownership_rules(
    mapping: Path | None, patterns: list[str], customer_tag: str, tier_tag: str
) -> OwnershipRules:
    if not customer_tag or not tier_tag:
        raise OwnershipRuleError("--customer-tag and --tier-tag must not be empty")
    rows = parse_mapping(read_text(mapping, "mapping file"), str(mapping)) if mapping else ()
    return OwnershipRules(
        mapping=rows,
        patterns=tuple(parse_pattern(p) for p in patterns),
        customer_tag=customer_tag,
        tier_tag=tier_tag,
    )


def plan_rules(plan: Plan) -> OwnershipRules:
    """The ownership rules a plan was made with: sealed in it, or for a format 1 plan, which
    sealed only the spec, built from the spec (its mapping file read from the working
    directory, as that version did)."""
    if plan.rules is not None:
        return plan.rules
    spec = spec_from_mapping(plan.spec, "the plan's spec")
    return ownership_rules(
        Path(spec.ownership.mapping) if spec.ownership.mapping else None,
        list(spec.ownership.name_patterns),
        spec.ownership.customer_tag,
        spec.ownership.tier_tag,
    )


def scan_rules(rules: OwnershipRules) -> ScanRules:
    """The rules as an inventory records them."""
    return ScanRules(
        mapping=tuple((r.resource, r.customer, r.tier) for r in rules.mapping),
        patterns=tuple(p.pattern for p in rules.patterns),
        customer_tag=rules.customer_tag,
        tier_tag=rules.tier_tag,
    )


def describe(rules: OwnershipRules) -> str:
    """The rules in a few words, for notes: tag keys, then patterns and mapping rows."""
    words = [f"tags {rules.customer_tag!r}/{rules.tier_tag!r}"]
    words += [f"--name-pattern {p.pattern!r}" for p in rules.patterns]
    if rules.mapping:
        words.append(f"{len(rules.mapping)} mapping row(s)")
    return ", ".join(words)


def chosen_rules(
    spec_rules: OwnershipRules, spec_gives: bool, inventory: Inventory, source: str
) -> tuple[OwnershipRules, list[str]]:
    """The rules to plan with, and what to say about them: the spec's when it gives an
    `[ownership]` of its own, else those the inventory was scanned with (so `plan
    --inventory` finds the customers `scan` reported), else the defaults."""
    recorded = inventory.rules
    if recorded is None:
        return spec_rules, []
    scanned = OwnershipRules(
        mapping=tuple(MappingRow(*row) for row in recorded.mapping),
        patterns=tuple(parse_pattern(p) for p in recorded.patterns),
        customer_tag=recorded.customer_tag,
        tier_tag=recorded.tier_tag,
    )
    if scan_rules(scanned) == scan_rules(spec_rules):
        return spec_rules, []
    if spec_gives:
        return spec_rules, [
            f"ownership: the spec's rules ({describe(spec_rules)}) are used, not those "
            f"{source} was scanned with ({describe(scanned)})"
        ]
    return scanned, [
        f"ownership: using the rules {source} was scanned with ({describe(scanned)}); "
        "the spec gives none beyond the defaults"
    ]


def spec_gives_rules(ownership: OwnershipSpec) -> bool:
    """Whether the spec's `[ownership]` says anything beyond the defaults."""
    return ownership != OwnershipSpec()
