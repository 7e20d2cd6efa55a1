"""`sesmigrate demo`: the whole journey on the embedded emulator, narrated step by step.

It starts the emulator in this process on a loopback port, loads the realistic ISV
account, and runs the real commands' code paths against it over HTTP with the same
clients a real run uses: scan, plan (with monitoring), show (every format, IAM policies
and the cut-over kit to files), apply the canary (which routes SES tenant events to
CloudWatch Logs), the health gate, apply the waves, a reputation finding injected through
the emulator's knobs, status (health and the tenant's event from the log group), and a
full rollback, then checks that the account's tenants and monitoring are exactly as they
began. Nothing is written outside the demo folder.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from moto.core.base_backend import BackendDict

from . import __version__
from .aws.clients import AwsSettings, make_clients
from .aws.scanner import scan_account
from .emulator.control import HttpControl
from .emulator.server import EmulatorServer, ServerOptions, prepare
from .files import write_atomically
from .planning.build import PlanRequest, make_plan
from .planning.ownership import ownership
from .planning.plan import plan_to_json, read_plan
from .planning.rules import ownership_rules
from .report import render
from .report.files import write_cutover_pages
from .report.kits import iam_document
from .report.summary import ScanSummary, plan_text
from .running.apply import RunOptions, run_apply
from .running.executor import Progress
from .running.rollback import run_rollback
from .running.status import run_status

REGION = "us-east-1"


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    files: tuple[Path, ...]
    tenants_before: dict[str, frozenset[str]]
    tenants_after: dict[str, frozenset[str]]
    monitoring_before: dict[str, list[str]]
    monitoring_after: dict[str, list[str]]

    @property
    def restored(self) -> bool:
        return (
            self.tenants_before == self.tenants_after
            and self.monitoring_before == self.monitoring_after
        )


def _tenants(ses: Any) -> dict[str, frozenset[str]]:
    result = {}
    for tenant in ses.list_tenants()["Tenants"]:
        resources = ses.list_tenant_resources(TenantName=tenant["TenantName"])["TenantResources"]
        result[tenant["TenantName"]] = frozenset(r["ResourceArn"] for r in resources)
    return result


def _monitoring(clients: Any) -> dict[str, list[str]]:
    """The EventBridge rules, log groups and Logs resource policies of the account."""
    return {
        "rules": sorted(r["Name"] for r in clients.events.list_rules()["Rules"]),
        "log_groups": sorted(
            g["logGroupName"] for g in clients.logs.describe_log_groups()["logGroups"]
        ),
        "policies": sorted(
            p["policyName"] for p in clients.logs.describe_resource_policies()["resourcePolicies"]
        ),
    }


def run_demo(
    customers: int,
    seed: int,
    strategy: str,
    folder: Path,
    say: Callable[[str], None],
) -> DemoResult:
    """Run the journey and return what it wrote and the tenants before and after."""
    BackendDict.reset()
    prepare(ServerOptions(demo_account=True, customers=customers, seed=seed, region=REGION))
    files: list[Path] = []
    with EmulatorServer() as server:
        aws = AwsSettings(region=REGION, endpoint_url=server.url, emulator_credentials=True)
        clients = make_clients(aws)
        ses = clients.ses
        before, watched_before = _tenants(ses), _monitoring(clients)
        say(
            f"1. Started the SES emulator at {server.url} with an ISV account of {customers} "
            f"customers (free, pro and vip) and one hand-made tenant."
        )

        inventory = scan_account(aws)
        inventory_file = folder / "inventory.json"
        write_atomically(inventory_file, inventory.to_json(__version__))
        files.append(inventory_file)
        owners = ownership(inventory, ownership_rules(None, [], "customer", "tier"))
        summary = ScanSummary(inventory, owners, str(inventory_file))
        say(
            f"2. Scanned it: {len(inventory.identities)} identities, "
            f"{len(inventory.configuration_sets)} configuration sets, {len(inventory.pools)} "
            f"pools, {len(inventory.templates)} templates, {len(owners.customers)} customers; "
            f"{len(owners.shared)} shared and {len(owners.unowned)} unowned resources "
            f"({inventory_file.name})."
        )
        say(summary.to_text())

        waves = {"canary": 3, "wave_size": max(5, customers // 3), "monitoring": True}
        request = PlanRequest(None, {"strategy": strategy, **waves}, inventory_file, aws)
        result = make_plan(request)
        plan_file = folder / "plans" / f"{result.spec.name}.plan.json"
        write_atomically(plan_file, plan_to_json(result.plan))
        plan = read_plan(plan_file.read_text(encoding="utf-8"), str(plan_file))
        files.append(plan_file)
        say(
            f"3. Planned a {strategy} migration with monitoring, sealed in "
            f"{plan_file.relative_to(folder)}:"
        )
        say(plan_text(plan, str(plan_file)))

        for name, text in (
            ("report.md", render(plan, "markdown")),
            ("report.html", render(plan, "html")),
            ("report.json", render(plan, "json")),
            ("report.txt", render(plan, "text")),
            ("iam.json", iam_document(plan)),
        ):
            write_atomically(folder / name, text)
            files.append(folder / name)
        files += write_cutover_pages(plan, folder / "cutover")
        say(
            "4. Rendered the review reports (Markdown for a pull request, HTML, JSON, text), "
            "the IAM policies and one cut-over page per customer."
        )

        # the emulated account is the demo's own: so is its lock, with everything else in --dir
        state = folder / ".sesmigrate"
        options = RunOptions(
            plan_path=plan_file, aws=aws, state_dir=state, lock_dir=state / "locks"
        )
        canary = run_apply(options, plan, lambda *_: None, say, Progress())
        made = sum(len(r.made) for _, r in canary.cohorts)
        say(
            f"5. Applied the canary cohort: {made} changes, journaled, among them the "
            "EventBridge rule that sends SES tenant events to CloudWatch Logs."
        )
        rest = run_apply(
            replace(options, cohort="all"),
            plan,
            lambda *_: None,
            say,
            Progress(),
        )
        say(
            "6. The health gate checked the canary's tenants, then the waves were applied: "
            + ", ".join(f"{name} {len(r.made)} made" for name, r in rest.cohorts)
            + "."
        )

        paused = plan.tenants[-1].name
        HttpControl(server.url, REGION, inventory.account.account_id).raise_finding(paused, "HIGH")
        status = run_status(options, plan)
        unhealthy = [t for t, h in status.health.items() if h != "healthy"]
        event = status.events.get(paused)
        say(
            f"7. A HIGH reputation finding paused tenant {paused} (injected through the "
            f"emulator's knobs). Status: "
            f"{', '.join(f'{c} {s}' for c, s in status.cohorts.items())}; "
            f"{len(status.health)} tenants, {len(unhealthy)} unhealthy, {len(status.drift)} "
            f"drift; its latest event in {status.monitoring}: "
            + (event.describe() if event else "none")
            + "."
        )

        back = run_rollback(
            replace(options, cohort="all"),
            plan,
            lambda *_: None,
            Progress(),
        )
        after, watched_after = _tenants(ses), _monitoring(clients)
        say(
            f"8. Rolled everything back from the journal: {len(back.result.made)} undone; the "
            "account's tenants are "
            + ("exactly as they began" if after == before else "NOT as they began")
            + "; its monitoring is "
            + ("removed." if watched_after == watched_before else "NOT as it began.")
        )
    say(
        f"Reports and files are in {folder}: report.html, report.md, report.json, report.txt, "
        "iam.json, cutover/, inventory.json, plans/."
    )
    return DemoResult(folder, tuple(files), before, after, watched_before, watched_after)
