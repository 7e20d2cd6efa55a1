"""Which ownership rules a plan uses: the spec's own, else those its inventory was scanned with."""

import dataclasses

from sesmigrate.planning.ownership import MappingRow, OwnershipRules, parse_pattern
from sesmigrate.planning.rules import chosen_rules, scan_rules, spec_gives_rules
from sesmigrate.planning.snapshot import Inventory
from sesmigrate.planning.spec import OwnershipSpec
from tests.strategies.builders import ACCOUNT

SCANNED = OwnershipRules(
    mapping=(MappingRow("acme.io", "acme", "vip"),),
    patterns=(parse_pattern(r"(?P<customer>[a-z]+)\.mail\.example\.com"),),
    customer_tag="owner",
    tier_tag="plan",
)


def scanned_with(rules: OwnershipRules | None) -> Inventory:
    inventory = Inventory(ACCOUNT, (), (), (), (), ())
    return dataclasses.replace(inventory, rules=scan_rules(rules) if rules else None)


def test_plan_uses_the_inventorys_rules_when_the_spec_gives_none_and_says_so() -> None:
    rules, notes = chosen_rules(OwnershipRules(), False, scanned_with(SCANNED), "inv.json")

    assert scan_rules(rules) == scan_rules(SCANNED)
    assert notes == [
        "ownership: using the rules inv.json was scanned with (tags 'owner'/'plan', "
        "--name-pattern '(?P<customer>[a-z]+)\\\\.mail\\\\.example\\\\.com', 1 mapping row(s)); "
        "the spec gives none beyond the defaults"
    ]


def test_the_specs_own_rules_win_over_the_inventorys_and_the_plan_says_so() -> None:
    own = OwnershipRules(customer_tag="client")

    rules, notes = chosen_rules(own, True, scanned_with(SCANNED), "inv.json")

    assert rules is own
    assert notes[0].startswith("ownership: the spec's rules (tags 'client'/'tier') are used, not")


def test_rules_equal_to_the_inventorys_or_an_inventory_without_rules_say_nothing() -> None:
    assert chosen_rules(SCANNED, True, scanned_with(SCANNED), "inv.json")[1] == []
    assert chosen_rules(SCANNED, True, scanned_with(None), "inv.json") == (SCANNED, [])


def test_only_an_ownership_section_beyond_the_defaults_counts_as_given() -> None:
    assert not spec_gives_rules(OwnershipSpec())
    assert spec_gives_rules(OwnershipSpec(customer_tag="client"))
