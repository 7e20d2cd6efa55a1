"""`apply --probe` on a tiered canary: a tier tenant holding customers of several waves.

The probe must send as a customer of the applied cohort (a later wave's resources are not
associated yet), from a verified identity, through that customer's configuration set; its
result is kept in the migration's state and a failed one closes the next cohort's gate.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import CustomerView, plan_to_json, read_plan
from sesmigrate.state.journal import SqliteJournal, migration_journal_path
from sesmigrate.state.probes import CANNOT, FAILED, PASSED, ProbeResult

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)
TIER = "tier-free"
SIMULATOR = ("success@simulator.amazonses.com",)


class TieredCanary:
    """A tiered plan whose canary holds two free customers of the tier-free tenant, which
    also carries free customers of later waves."""

    def __init__(self, emulator: Any, tmp_path: Path) -> None:
        emulator.control.load_realistic_account(12, 5)
        self.emulator, self.state = emulator, tmp_path / "state"
        aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
        overrides = {"strategy": "tiered", "canary": 2, "wave_size": 4}
        made = make_plan(PlanRequest(None, overrides, None, aws)).plan
        self.path = tmp_path / "tiered.plan.json"
        self.path.write_text(plan_to_json(made))
        self.plan = read_plan(self.path.read_text())
        self.cohort_of = {c: cohort.name for cohort in self.plan.cohorts for c in cohort.customers}
        in_tier = [c for c in self.plan.customers if c.tenant == TIER]
        assert {self.cohort_of[c.id] for c in in_tier} > {"canary"}, "a tier of several waves"

    def customers(self, cohort: str) -> list[CustomerView]:
        return sorted(
            (c for c in self.plan.customers if c.tenant == TIER and self.cohort_of[c.id] == cohort),
            key=lambda c: c.id,
        )

    def run(self, *args: str) -> int:
        where = ["--region", "us-east-1", "--state-dir", str(self.state)]
        return main(
            ["apply", str(self.path), *args, "--endpoint-url", self.emulator.endpoint_url, *where]
        )

    def probes(self) -> list[ProbeResult]:
        path = migration_journal_path(
            self.state, self.plan.account, self.plan.region, self.plan.migration
        )
        journal = SqliteJournal(path, self.plan.checksum)
        try:
            return journal.probes()
        finally:
            journal.close()

    def probe_messages(self, since: int) -> list[Any]:
        return [m for m in self.emulator.control.sent_messages()[since:] if m.tenant == TIER]

    def tenants(self) -> set[str]:
        return {t["TenantName"] for t in self.emulator.ses.list_tenants()["Tenants"]}


def test_probe_of_a_tier_tenant_sends_as_a_canary_customer_through_its_configuration_set(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = TieredCanary(emulator, tmp_path)
    before = len(emulator.control.sent_messages())

    assert canary.run("--auto-approve", "--probe", "--format", "json") == 0

    [message] = canary.probe_messages(before)
    [sender] = [c for c in canary.customers("canary") if message.identity in c.identities]
    assert message.configuration_set in sender.configuration_sets
    assert message.recipients == SIMULATOR
    [recorded] = [r for r in canary.probes() if r.tenant == TIER]
    assert (recorded.cohort, recorded.outcome, recorded.customer) == ("canary", PASSED, sender.id)
    result = json.loads(capsys.readouterr().out)
    assert [(p["tenant"], p["outcome"]) for p in result["probes"]] == [(TIER, PASSED)]


def test_probe_skips_a_canary_identity_still_pending_verification(
    emulator: Any, tmp_path: Path
) -> None:
    canary = TieredCanary(emulator, tmp_path)
    first, second = canary.customers("canary")
    for identity in first.identities:
        emulator.control.verify_identity(identity, "PENDING")
    before = len(emulator.control.sent_messages())

    assert canary.run("--auto-approve", "--probe") == 0

    [message] = canary.probe_messages(before)
    assert message.identity in second.identities
    assert [r.customer for r in canary.probes()] == [second.id]


def test_probe_without_a_verified_canary_identity_is_its_own_result_and_no_failure(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = TieredCanary(emulator, tmp_path)
    for customer in canary.customers("canary"):
        for identity in customer.identities:
            emulator.control.verify_identity(identity, "PENDING")
    before = len(emulator.control.sent_messages())

    assert canary.run("--auto-approve", "--probe") == 0

    assert canary.probe_messages(before) == []
    assert f"{TIER} (canary): cannot probe: no verified identity" in capsys.readouterr().err
    assert [(r.tenant, r.outcome) for r in canary.probes()] == [(TIER, CANNOT)]
    assert canary.run("--auto-approve") == 0  # the next cohort's gate stays open


def test_failed_probe_closes_the_next_gate_until_a_probe_of_the_cohort_passes(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = TieredCanary(emulator, tmp_path)
    [shared] = {s for c in canary.customers("canary") for s in c.configuration_sets}
    ses = emulator.ses
    ses.put_configuration_set_sending_options(ConfigurationSetName=shared, SendingEnabled=False)

    assert canary.run("--auto-approve", "--probe") == 1
    err = capsys.readouterr().err
    assert f"probe failed for 1 tenant(s): {TIER}: SendingPausedException" in err
    assert "--probe --cohort canary" in err
    after_canary = canary.tenants()

    assert canary.run("--auto-approve") == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"the last probe of 1 tenant(s) failed: {TIER} after canary" in err
    assert "--accept-failed-probe" in err
    assert canary.tenants() == after_canary

    ses.put_configuration_set_sending_options(ConfigurationSetName=shared, SendingEnabled=True)
    assert canary.run("--auto-approve", "--probe", "--cohort", "canary") == 0
    assert "nothing left to apply; probing the tenants again" in capsys.readouterr().err
    assert [r.outcome for r in canary.probes()] == [FAILED, PASSED]

    assert canary.run("--auto-approve") == 0
    assert "Health gate passed" in capsys.readouterr().err


def test_accept_failed_probe_lets_the_next_cohort_through_and_says_so(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = TieredCanary(emulator, tmp_path)
    [shared] = {s for c in canary.customers("canary") for s in c.configuration_sets}
    emulator.ses.put_configuration_set_sending_options(
        ConfigurationSetName=shared, SendingEnabled=False
    )
    assert canary.run("--auto-approve", "--probe") == 1
    capsys.readouterr()

    assert canary.run("--auto-approve", "--accept-failed-probe", "--format", "json") == 0

    captured = capsys.readouterr()
    assert "the gate lets it pass (--accept-failed-probe)" in captured.err
    accepted = json.loads(captured.out)["accepted_failed_probes"]
    assert [(p["tenant"], p["outcome"]) for p in accepted] == [(TIER, FAILED)]
