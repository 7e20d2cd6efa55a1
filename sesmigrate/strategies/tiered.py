"""`tiered`: a tenant per customer of the dedicated tiers, one shared tenant per other tier.

Free and pro customers share their tier's tenant (and so its reputation); vips get their
own. Customers with no tier share a tenant named for the tier `untiered`.
"""

from collections import defaultdict
from typing import ClassVar

from ..planning.ownership import Customer, Ownership
from ..planning.snapshot import Inventory
from ..planning.spec import MigrationSpec
from .base import TenantGroup, option_list

UNTIERED = "untiered"


class Tiered:
    name: ClassVar[str] = "tiered"
    options: ClassVar[dict[str, str]] = {
        "dedicated_tiers": "tiers whose customers each get a tenant (default: vip)"
    }

    def groups(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec
    ) -> list[TenantGroup]:
        given = spec.option("dedicated_tiers")
        dedicated = set(option_list(spec, "dedicated_tiers") if given is not None else ("vip",))
        groups: list[TenantGroup] = []
        shared: dict[str, list[Customer]] = defaultdict(list)
        for customer in owners.customers:
            if customer.tier in dedicated:
                groups.append(TenantGroup("customer", customer.id, (customer,)))
            else:
                shared[customer.tier or UNTIERED].append(customer)
        groups += [TenantGroup("tier", tier, tuple(members)) for tier, members in shared.items()]
        return groups
