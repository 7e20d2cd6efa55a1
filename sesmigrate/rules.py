"""Ownership rules from the command line or a spec: mapping file, name patterns, tag keys.

The edge between files and the pure `ownership` module: it reads the mapping CSV and
compiles the patterns, so that a bad file or regex is one line before any AWS call.
"""

from pathlib import Path

from .files import read_text
from .ownership import OwnershipRuleError, OwnershipRules, parse_mapping, parse_pattern


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
