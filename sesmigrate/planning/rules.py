"""Ownership rules from the command line or a spec: mapping file, name patterns, tag keys.

The edge between files and the pure `ownership` module: it reads the mapping CSV and
compiles the patterns, so that a bad file or regex is one line before any AWS call. A plan
seals the rules it was made with, so apply and status judge by those, never by files.
"""

from pathlib import Path

from ..files import read_text
from .ownership import OwnershipRuleError, OwnershipRules, parse_mapping, parse_pattern
from .plan import Plan
from .spec import spec_from_mapping


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
