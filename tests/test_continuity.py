"""Mail continuity: senders keep sending through a whole migration and its rollback.

A background sender mails for every customer, over and over, while the plan is applied
cohort by cohort. A customer switches to `TenantName` once its cohort is applied (as the
cut-over kit tells it to) and back to no tenant before its cohort is rolled back (as the
rollback warning tells it to). Not one send may be rejected. The probe is checked too.
"""

import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import plan_to_json, read_plan
from sesmigrate.running.probe import probe_cohort
from sesmigrate.state.probes import FAILED

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)


class Senders:
    """One thread sending for every customer until stopped; counts sends and rejections."""

    def __init__(self, emulator: Any, plan: Any) -> None:
        self.ses = emulator.client("sesv2")
        self.plan = plan
        self.tenant_of: dict[str, str | None] = {c.id: None for c in plan.customers}
        self.sent = 0
        self.rejected: list[str] = []
        self.stop = threading.Event()
        self.rounds = threading.Semaphore(0)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sender(self, customer: Any) -> str:
        domain = next(i for i in customer.identities if "@" not in i)
        return f"news@{domain}"

    def run(self) -> None:
        while not self.stop.is_set():
            for customer in self.plan.customers:
                tenant = self.tenant_of[customer.id]
                try:
                    self.ses.send_email(
                        FromEmailAddress=self.sender(customer),
                        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
                        Content={
                            "Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}
                        },
                        **({"TenantName": tenant} if tenant else {}),
                    )
                    self.sent += 1
                except ClientError as exc:
                    self.rejected.append(f"{customer.id} via {tenant}: {exc}")
            self.rounds.release()

    def round_done(self) -> None:
        """Wait for one full round of sends to finish (a real event, not a duration)."""
        assert self.rounds.acquire(timeout=120)

    def switch(self, customers: tuple[str, ...], to_tenant: bool) -> None:
        for customer in customers:
            view = next(c for c in self.plan.customers if c.id == customer)
            self.tenant_of[customer] = view.tenant if to_tenant else None
        self.round_done()
        self.round_done()


def test_no_send_is_rejected_through_a_whole_apply_and_rollback(
    emulator: Any, tmp_path: Path
) -> None:
    emulator.control.load_realistic_account(12, 8)
    aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
    made = make_plan(
        PlanRequest(None, {"strategy": "tiered", "canary": 2, "wave_size": 4}, None, aws)
    )
    path = tmp_path / "m.plan.json"
    path.write_text(plan_to_json(made.plan))
    plan = read_plan(path.read_text())
    common = [
        "--endpoint-url",
        emulator.endpoint_url,
        "--region",
        "us-east-1",
        "--state-dir",
        str(tmp_path / "state"),
    ]
    senders = Senders(emulator, plan)
    senders.thread.start()
    cohorts = [c for c in plan.cohorts if c.name != "cleanup"]
    try:
        senders.round_done()
        for cohort in cohorts:
            assert (
                main(["apply", str(path), "--auto-approve", "--cohort", cohort.name, *common]) == 0
            )
            senders.switch(cohort.customers, to_tenant=True)
        for cohort in reversed(cohorts):
            senders.switch(cohort.customers, to_tenant=False)
            assert (
                main(
                    [
                        "rollback",
                        str(path),
                        "--auto-approve",
                        "--allow-irreversible",
                        "--cohort",
                        cohort.name,
                        *common,
                    ]
                )
                == 0
            )
        senders.round_done()
    finally:
        senders.stop.set()
        senders.thread.join(timeout=120)

    assert senders.rejected == []
    assert senders.sent >= len(plan.customers) * (2 * len(cohorts) + 2)


def test_probe_sends_through_each_new_tenant_of_the_cohort(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.control.load_realistic_account(8, 4)
    aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
    plan = make_plan(PlanRequest(None, {"strategy": "isolated", "canary": 2}, None, aws)).plan
    path = tmp_path / "p.plan.json"
    path.write_text(plan_to_json(plan))
    before = len(emulator.control.sent_messages())

    code = main(
        [
            "apply",
            str(path),
            "--auto-approve",
            "--probe",
            "--endpoint-url",
            emulator.endpoint_url,
            "--region",
            "us-east-1",
            "--state-dir",
            str(tmp_path),
        ]
    )

    probes = [m for m in emulator.control.sent_messages()[before:] if m.tenant]
    assert code == 0
    assert {m.tenant for m in probes} == {
        c.tenant
        for c in read_plan(path.read_text()).customers
        if c.id in read_plan(path.read_text()).cohorts[0].customers
    }
    assert all(m.recipients == ("success@simulator.amazonses.com",) for m in probes)
    assert capsys.readouterr().err.count("passed: sent as") == 2


def test_probe_fails_when_a_tenant_cannot_send(emulator: Any, tmp_path: Path) -> None:
    emulator.control.load_realistic_account(6, 4)
    aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
    plan = read_plan(plan_to_json(make_plan(PlanRequest(None, {"canary": 1}, None, aws)).plan))
    path = tmp_path / "p.plan.json"
    path.write_text(plan_to_json(plan))
    assert (
        main(
            [
                "apply",
                str(path),
                "--auto-approve",
                "--endpoint-url",
                emulator.endpoint_url,
                "--region",
                "us-east-1",
                "--state-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    tenant = plan.customers[[c.id for c in plan.customers].index(plan.cohorts[0].customers[0])]
    emulator.control.set_aws_managed_status(tenant.tenant, "DISABLED", "review")

    (result,) = probe_cohort(plan, emulator.ses, "canary")

    assert (result.tenant, result.outcome) == (tenant.tenant, FAILED)
    assert result.detail.startswith("SendingPausedException")
