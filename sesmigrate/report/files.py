"""Writing the cut-over kit: one page per customer, named so any customer id is a safe file."""

from pathlib import Path

from ..files import write_atomically
from ..planning.naming import tenant_name
from ..planning.plan import Plan
from .kits import cutover_pages


def write_cutover_pages(plan: Plan, folder: Path) -> list[Path]:
    """`folder/<safe name of the customer>.md` for every customer with a tenant."""
    written = []
    for customer, page in sorted(cutover_pages(plan).items()):
        path = folder / f"{tenant_name(customer)}.md"
        write_atomically(path, page)
        written.append(path)
    return written
