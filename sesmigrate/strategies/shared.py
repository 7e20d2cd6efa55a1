"""`shared`: customers grouped into a few tenants, by a tag or by a fixed group size.

By tag (`group_tag = "segment"`): customers whose identities carry the same value share a
tenant; customers without it share the group `ungrouped`. By size (`group_size = 50`):
groups fill up in customer-id order, but a customer already in a group tenant of this
migration stays there, so a new customer never moves anyone else to another tenant.
"""

from collections import defaultdict
from typing import ClassVar

from ..planning.ownership import Customer, Ownership, holders
from ..planning.snapshot import GROUP_TAG, Inventory
from ..planning.spec import MigrationSpec
from .base import StrategyError, TenantGroup

UNGROUPED = "ungrouped"


class Shared:
    name: ClassVar[str] = "shared"
    options: ClassVar[dict[str, str]] = {
        "group_tag": "identity tag whose value names the customer's group",
        "group_size": "customers per tenant when grouping by size",
    }

    def groups(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec
    ) -> list[TenantGroup]:
        tag, size = spec.option("group_tag"), spec.option("group_size")
        if (tag is None) == (size is None):
            raise StrategyError("strategy 'shared' needs exactly one of group_tag or group_size")
        if tag is not None:
            if not isinstance(tag, str) or not tag:
                raise StrategyError("strategy option group_tag must be a tag key")
            return self._by_tag(owners, inventory, tag)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise StrategyError(f"strategy option group_size must be an integer >= 1, got {size!r}")
        return self._by_size(owners, inventory, spec, size)

    def _by_tag(self, owners: Ownership, inventory: Inventory, tag: str) -> list[TenantGroup]:
        tags_of = {i.name: dict(i.tags) for i in inventory.identities}
        members: dict[str, list[Customer]] = defaultdict(list)
        for customer in owners.customers:
            values = sorted({tags_of[n][tag] for n in customer.identities if tag in tags_of[n]})
            members[values[0] if values else UNGROUPED].append(customer)
        return [TenantGroup("group", key, tuple(group)) for key, group in members.items()]

    def _by_size(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec, size: int
    ) -> list[TenantGroup]:
        placed = _existing_groups(owners, inventory, spec)
        members: dict[str, list[Customer]] = defaultdict(list)
        for customer in owners.customers:
            if customer.id in placed:
                members[placed[customer.id]].append(customer)
        number = 1
        for customer in owners.customers:
            if customer.id in placed:
                continue
            while len(members[f"{number:04d}"]) >= size:
                number += 1
            members[f"{number:04d}"].append(customer)
        return [TenantGroup("group", key, tuple(group)) for key, group in members.items() if group]


def _existing_groups(
    owners: Ownership, inventory: Inventory, spec: MigrationSpec
) -> dict[str, str]:
    """Customer id -> group key, for customers already in a group tenant of this migration.

    A customer is recognised by any resource that is its alone (an identity, or a set or
    template no other customer uses), so one without identities is not moved either.
    """
    used_by = holders(owners.customers, inventory)
    identity_owner = {arn: next(iter(ids)) for arn, ids in used_by.items() if len(ids) == 1}
    placed: dict[str, str] = {}
    for tenant in inventory.tenants:
        if tenant.migration != spec.name:
            continue
        key = dict(tenant.tags).get(GROUP_TAG, "")
        if not key.startswith("group:"):
            continue
        for resource in tenant.resources:
            owner = identity_owner.get(resource.arn)
            if owner is not None:
                placed.setdefault(owner, key.removeprefix("group:"))
    return placed
