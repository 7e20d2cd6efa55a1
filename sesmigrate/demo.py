"""`sesmigrate demo`: the whole journey on the embedded emulator, narrated step by step.

It starts the emulator in this process on a loopback port, loads the realistic ISV
account, and runs the real commands' code paths against it over HTTP with the same
clients a real run uses: scan, plan (with monitoring), show (every format, IAM policies
and the cut-over kit to files), apply the canary (which routes SES tenant events to
CloudWatch Logs), then the metric health gate on real mail: a canary customer sends through
its tenant (SendEmail naming it, to the SES mailbox simulator) with a stale list, so applying
the next wave fails the gate naming the tenant and changes nothing; an hour later (the
demo's clock and the emulator's moved on, no waiting) the cleaned list has sent too little to
judge, so the gate stops inconclusive. A reputation finding injected through the emulator's
knobs pauses the tenant, status shows it (health and the tenant's event from the log group),
and the operator rolls the canary back, which must leave the account's tenants and
monitoring exactly as they began. Nothing is written outside the demo folder.
"""

import time
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
from .errors import SesmigrateError
from .files import write_atomically
from .planning.build import PlanRequest, make_plan
from .planning.graph import CANARY
from .planning.ownership import ownership
from .planning.plan import Plan, plan_to_json, read_plan
from .planning.rules import ownership_rules
from .report import render
from .report.files import write_cutover_pages
from .report.kits import iam_document
from .report.summary import ScanSummary, plan_text
from .running.apply import ApplyReport, RunOptions, run_apply
from .running.executor import Progress
from .running.gates import InconclusiveGateError, MetricGateFailedError, RecentSendsError
from .running.rollback import RollbackReport, run_rollback
from .running.soak import WallClock
from .running.status import run_status

REGION = "us-east-1"
BOUNCE_RATE_MAX = 0.05
MIN_SENDS = 20
WINDOW_SECONDS = 3600
STALE_SENDS, STALE_BOUNCES = 20, 5
"""The stale list's first sends: 25% bounced, judged (20 sends reach min_sends) and failed."""
CLEAN_SENDS = 5
"""The cleaned list's sends in the next hour: too few to judge."""
ACCOUNT_BOUNCE_RATE_MAX = 0.3
"""Above the account's rate after the stale list (5 of 20) and the cleaned one (5 of 25), so
the story's gates stop on the tenant, not on the account guard."""
FIRST_SENDS_AFTER = 600
"""Seconds from the canary's end to the stale list's sends (and the first gate)."""


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


def demo_spec(strategy: str, customers: int) -> str:
    """The spec the demo plans from, written to its folder for the reader: its gate values
    are sized so that a handful of messages make the story, where a real account's
    min_sends is in the hundreds."""
    return f"""# The spec `sesmigrate demo` planned from; `sesmigrate plan spec.toml` reads it too.
strategy = "{strategy}"

[cohorts]
canary = {min(3, customers - 1)}  # the lowest-risk customers, leaving some for a wave
wave_size = {max(5, customers // 3)}

[gates]
# Setting these turns on the gate's metric conditions: each tenant's Send, Bounce and
# Complaint from CloudWatch since its cohort finished, judged before the next cohort.
bounce_rate_max = {BOUNCE_RATE_MAX}  # a tenant bouncing more of its sends fails the gate
complaint_rate_max = 0.001
min_sends = {MIN_SENDS}  # fewer sends are inconclusive (the demo's small volumes; default 200)
window_seconds = {WINDOW_SECONDS}  # at most the last hour
# The account's Reputation.BounceRate: the demo account's few sends keep its 5 bounces in
# it all story long (20% after the cleaned list); a real account keeps the default 0.05.
account_bounce_rate_max = {ACCOUNT_BOUNCE_RATE_MAX}

[monitoring]
enabled = true
"""


@dataclass
class DemoClock:
    """The wall clock the demo's runs read, which it moves on to show the gate an hour
    later without waiting that hour (the emulator's metric clock is moved with it)."""

    ahead: float = 0.0

    def now(self) -> float:
        return time.time() + self.ahead


@dataclass(frozen=True)
class Sender:
    """A canary customer who sends through its tenant, as its cut-over page tells it to."""

    customer: str
    tenant: str
    address: str


def canary_sender(plan: Plan) -> Sender:
    """The canary's first customer, sending from its first domain (else its address)."""
    canary = next(c for c in plan.cohorts if c.name == CANARY)
    view = next(c for c in plan.customers if c.id == canary.customers[0])
    domains = [i for i in view.identities if "@" not in i]
    address = f"news@{domains[0]}" if domains else view.identities[0]
    return Sender(view.id, view.tenant, address)


def send(ses: Any, sender: Sender, delivered: int, bounced: int = 0) -> None:
    """One message through the sender's tenant to `delivered` + `bounced` recipients of the
    SES mailbox simulator: SES counts a send per recipient."""
    to = [f"success+{n}@simulator.amazonses.com" for n in range(delivered)]
    to += [f"bounce+{n}@simulator.amazonses.com" for n in range(bounced)]
    ses.send_email(
        FromEmailAddress=sender.address,
        Destination={"ToAddresses": to},
        Content={"Simple": {"Subject": {"Data": "News"}, "Body": {"Text": {"Data": "Hi"}}}},
        TenantName=sender.tenant,
    )


def gate_stop(run: Callable[[], object], expected: type[SesmigrateError]) -> str:
    """The one line a safety check stops `run` with: the story needs that stop, so a run
    let through is the demo failing, said as such."""
    try:
        run()
    except expected as stop:
        return str(stop)
    raise SesmigrateError(f"the demo's safety check did not stop the run ({expected.__name__})")


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

        spec_file = folder / "spec.toml"
        write_atomically(spec_file, demo_spec(strategy, customers))
        files.append(spec_file)
        result = make_plan(PlanRequest(spec_file, {}, inventory_file, aws))
        plan_file = folder / "plans" / f"{result.spec.name}.plan.json"
        write_atomically(plan_file, plan_to_json(result.plan))
        plan = read_plan(plan_file.read_text(encoding="utf-8"), str(plan_file))
        files.append(plan_file)
        say(
            f"3. Planned a {strategy} migration from {spec_file.name}, with monitoring and "
            f"the gate's metric conditions (at most {BOUNCE_RATE_MAX:.0%} of a tenant's sends "
            f"bounced, judged from {MIN_SENDS} sends), sealed in "
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
        clock = DemoClock()
        options = RunOptions(
            plan_path=plan_file,
            aws=aws,
            state_dir=state,
            lock_dir=state / "locks",
            clock=WallClock(now=clock.now),
        )

        def apply_next() -> ApplyReport:
            return run_apply(options, plan, lambda *_: None, say, Progress())

        canary = apply_next()
        made = sum(len(r.made) for _, r in canary.cohorts)
        say(
            f"5. Applied the canary cohort: {made} changes, journaled, among them the "
            "EventBridge rule that sends SES tenant events to CloudWatch Logs."
        )

        clock.ahead = FIRST_SENDS_AFTER
        control = HttpControl(server.url, REGION, inventory.account.account_id)
        control.set_clock(clock.now())
        sender = canary_sender(plan)
        send(ses, sender, STALE_SENDS - STALE_BOUNCES, STALE_BOUNCES)
        say(
            f"6. The canary's senders switched to their tenants; in the first "
            f"{FIRST_SENDS_AFTER // 60} minutes {sender.customer} sent "
            f"{STALE_SENDS} messages through tenant {sender.tenant} (SendEmail naming it, "
            f"with boto3 over HTTP), {STALE_BOUNCES} of them to the SES mailbox simulator's "
            "bounce address: a stale list."
        )

        wave = plan.cohorts[1].name
        canary_left = _tenants(ses)
        failed = gate_stop(apply_next, MetricGateFailedError)
        say(
            f"7. Applying {wave}, the health gate read the canary's tenants' Send and Bounce "
            f"from CloudWatch and refused it: {failed}. Nothing of {wave} was made: the "
            "account's tenants are "
            + ("as the canary left them." if _tenants(ses) == canary_left else "CHANGED.")
        )

        clock.ahead += WINDOW_SECONDS + 60
        control.set_clock(clock.now())
        send(ses, sender, CLEAN_SENDS)
        inconclusive = gate_stop(apply_next, InconclusiveGateError)
        say(
            f"8. {sender.customer} cleaned its list. An hour later (the demo's clock and the "
            f"emulator's moved on) its bounces are out of the gate's {WINDOW_SECONDS}s window "
            f"and it has sent {CLEAN_SENDS} messages since, all delivered: too few to judge, "
            f"so the gate stops again: {inconclusive}."
        )

        control.raise_finding(sender.tenant, "HIGH")
        status = run_status(options, plan)
        unhealthy = [t for t, h in status.health.items() if h != "healthy"]
        event = status.events.get(sender.tenant)
        say(
            f"9. SES's reputation policy caught up with the bounces: a HIGH finding paused "
            f"tenant {sender.tenant} (injected through the emulator's knobs). Status: "
            f"{', '.join(f'{c} {s}' for c, s in status.cohorts.items())}; "
            f"{len(status.health)} tenants, {len(unhealthy)} unhealthy, {len(status.drift)} "
            f"drift; its latest event in {status.monitoring}: "
            + (event.describe() if event else "none")
            + "."
        )

        def roll_back(**flags: bool) -> RollbackReport:
            chosen = replace(options, cohort=CANARY, **flags)
            return run_rollback(chosen, plan, lambda *_: None, Progress())

        refused = gate_stop(roll_back, RecentSendsError)
        say(
            f"10. The operator asked to roll the canary back; rollback read the tenants it "
            f"would delete and refused, changing nothing: {refused}."
        )

        back = roll_back(accept_recent_sends=True)
        after, watched_after = _tenants(ses), _monitoring(clients)
        say(
            f"11. {sender.customer}'s senders went back to sending without a tenant, and the "
            "operator rolled the canary back from the journal with --accept-recent-sends, as "
            f"the gate's line says: {len(back.result.made)} undone; the account's tenants are "
            + ("exactly as they began" if after == before else "NOT as they began")
            + "; its monitoring is "
            + ("removed." if watched_after == watched_before else "NOT as it began.")
        )
    say(
        f"Reports and files are in {folder}: report.html, report.md, report.json, report.txt, "
        "iam.json, cutover/, inventory.json, spec.toml, plans/."
    )
    return DemoResult(folder, tuple(files), before, after, watched_before, watched_after)
