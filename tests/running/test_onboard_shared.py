"""onboard under `shared`: a stable group, by the customer's tag or the recorded group sizes."""

from pathlib import Path
from typing import Any

import pytest

from sesmigrate.cli import main
from tests.running.test_apply import Journey
from tests.running.test_onboard import api, new_customer, sends, where

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)

BY_SIZE = 'name = "pooled"\nstrategy = "shared"\n[strategy_options]\ngroup_size = 5\n'


def pooled(emulator: Any, tmp_path: Path, spec: str = BY_SIZE) -> Journey:
    journey = Journey(emulator, tmp_path, spec=spec, strategy="shared")
    assert journey.run("apply", "--auto-approve", "--cohort", "all") == 0
    return journey


def members(journey: Journey) -> dict[str, int]:
    """Group tenant -> how many customers the migration's plan placed in it."""
    counts: dict[str, int] = {}
    for customer in journey.plan.customers:
        counts[customer.tenant] = counts.get(customer.tenant, 0) + 1
    return counts


def test_new_customers_fill_the_group_with_room_then_open_the_next(
    emulator: Any, tmp_path: Path
) -> None:
    journey = pooled(emulator, tmp_path)
    counts = members(journey)
    assert sorted(counts.values()) == [2, 5, 5]  # 12 customers in groups of 5
    partial = next(t for t, n in counts.items() if n == 2)
    placed = []
    for number in range(4):
        new_customer(journey, f"joiner{number}")
        placed.append(api(journey, f"joiner{number}").tenant_name)

    assert placed[:3] == [partial] * 3
    assert placed[3] not in counts  # the fourth opens a new group
    assert api(journey, "joiner0").made == () and api(journey, "joiner0").tenant_name == partial
    replanned = tmp_path / "again.plan.json"
    again = ["plan", str(tmp_path / "migration.toml"), "-o", str(replanned)]
    assert main([*again, "--detailed-exitcode", *where(journey)]) == 0


def test_a_customer_goes_to_the_group_its_identities_are_tagged_with(
    emulator: Any, tmp_path: Path
) -> None:
    spec = 'name = "segments"\nstrategy = "shared"\n[strategy_options]\ngroup_tag = "segment"\n'
    journey = pooled(emulator, tmp_path, spec)
    domain = new_customer(journey, "segmented")
    identity = journey.ses.get_email_identity(EmailIdentity=domain)
    arn = identity.get("IdentityArn") or (
        f"arn:aws:ses:us-east-1:{journey.plan.account}:identity/{domain}"
    )
    journey.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "segment", "Value": "retail"}])

    result = api(journey, "segmented")

    assert result.tenant_name.endswith("retail") and "retail" in result.tenant_name
    sends(journey, domain, result.tenant_name)
