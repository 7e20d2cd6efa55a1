"""`isolated`: a tenant per customer, the AWS blog's recommendation for full isolation."""

from typing import ClassVar

from ..planning.ownership import Ownership
from ..planning.snapshot import Inventory
from ..planning.spec import MigrationSpec
from .base import TenantGroup


class Isolated:
    name: ClassVar[str] = "isolated"
    options: ClassVar[dict[str, str]] = {}

    def groups(
        self, owners: Ownership, inventory: Inventory, spec: MigrationSpec
    ) -> list[TenantGroup]:
        return [TenantGroup("customer", c.id, (c,)) for c in owners.customers]
