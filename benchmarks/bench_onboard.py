"""Sign-ups onboarded after a migration, one after another and side by side, against the floor.

For each size N an emulator is started in its own process with an account of 20 customers
(benchmarks/bench_phased.py's: 1.5 identities and one configuration set each), which the
installed CLI migrates with no limit set (`scan`, `plan --strategy isolated`, `apply --cohort
all`). Then 50 ms latency and a limit of 10 calls a second on every SES operation are set,
and N sign-ups run: each creates its customer with plain boto3 (an identity and its default
configuration set, tagged `customer=ID`), then calls `sesmigrate.onboard(...)`, as a
platform's sign-up worker would. Each worker is a process of its own (spawned and warm before
the clock starts). Mode `one after another`: one worker. Mode `side by side`: K workers at
once, each onboarding taking the account's lock with a bounded wait long enough for the
others (`--lock-wait`), so they serialise. Mode `side by side, each delivered twice`: the
same, with every sign-up queued twice next to itself (a retried webhook), so two workers
onboard the same customer at once. A fresh emulator and migration for each mode.

Each mode's time is set against its floor (benchmarks/necessary.py `sign_ups`: the busiest
operation's necessary calls over its rate; not what sesmigrate happens to call). Calls per
operation come from the emulator's own counts. Afterwards the account is read back and the
run fails loudly if anything was doubled or missed: every new customer must have exactly one
tenant, holding exactly its identity and configuration set, each of which no other tenant
holds, made by exactly one of its deliveries, and the account exactly one tenant more per
customer. Run:

    python -m benchmarks.bench_onboard [--sizes 20,50] [--workers 4] [--quick]
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.bench_phased import REGION, customers_of, populate, run_cli, ses_operations
from benchmarks.emulator_process import emulator_process
from benchmarks.necessary import (
    ONBOARD_FORMULA,
    AccountShape,
    Limits,
    phase_floor,
    redelivered_calls,
    sign_ups,
)
from benchmarks.table import Table
from sesmigrate import onboard
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.emulator.control import HttpControl, TrafficSettings
from sesmigrate.errors import SesmigrateError

MIGRATED = 20
"""Customers of the account the migration places before any sign-up."""
QUICK_SIZES = (5,)
RETRIES = Config(retries={"mode": "standard", "max_attempts": 20})
"""The platform's own client: its creation calls meet the same limits."""


@dataclass(frozen=True, slots=True)
class Mode:
    name: str
    workers: int
    copies: int = 1


def modes(workers: int) -> tuple[Mode, ...]:
    return (
        Mode("one after another", 1),
        Mode("side by side", workers),
        Mode("side by side, each delivered twice", workers, copies=2),
    )


@dataclass(frozen=True, slots=True)
class SignUp:
    """One customer's sign-up, as a worker process is handed it."""

    url: str
    plan: Path
    state_dir: Path
    lock_dir: Path
    customer: str
    lock_wait: float


@dataclass(frozen=True, slots=True)
class SignedUp:
    customer: str
    tenant: str
    made: tuple[str, ...]
    found: tuple[str, ...]
    seconds: float
    """From the creation of the customer to the onboarding's return, lock wait included."""
    error: str = ""


@dataclass(frozen=True, slots=True)
class ModeRun:
    mode: str
    workers: int
    copies: int
    """Deliveries of each sign-up (2: a retried webhook onboards the customer twice at once)."""
    customers: int
    seconds: float
    calls: Counter[str]
    necessary: Counter[str]
    throttled: int
    done: tuple[SignedUp, ...]
    problems: tuple[str, ...]

    def floor(self, limits: Limits) -> float:
        return phase_floor(self.necessary, limits)


def identity_of(customer: str) -> str:
    return f"{customer}.example.com"


def configuration_set_of(customer: str) -> str:
    return f"{customer}-cs"


def sign_up(job: SignUp) -> SignedUp:
    """Create the customer as the platform does, then onboard it: one worker's task."""
    started = time.perf_counter()
    ses: Any = boto3.client("sesv2", region_name=REGION, endpoint_url=job.url, config=RETRIES)
    tags = [{"Key": "customer", "Value": job.customer}]
    # a sign-up delivered twice creates once: the other delivery finds them made
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_configuration_set(
            ConfigurationSetName=configuration_set_of(job.customer), Tags=tags
        )
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_email_identity(
            EmailIdentity=identity_of(job.customer),
            ConfigurationSetName=configuration_set_of(job.customer),
            Tags=tags,
        )
    try:
        result = onboard(
            plan=job.plan,
            customer=job.customer,
            aws=AwsSettings(region=REGION, endpoint_url=job.url),
            state_dir=job.state_dir,
            lock_dir=job.lock_dir,
            lock_wait=job.lock_wait,
        )
    except SesmigrateError as exc:  # reported and counted as a failed sign-up, not raised
        return SignedUp(job.customer, "", (), (), time.perf_counter() - started, str(exc))
    return SignedUp(
        job.customer, result.tenant_name, result.made, result.found, time.perf_counter() - started
    )


_started: Any = None
"""The pool's barrier, in each worker (see `warm`)."""


def _hold(barrier: Any) -> None:
    global _started
    _started = barrier


def warm(_: int) -> int:
    """Returns once every worker of the pool has started (and imported): one task each,
    none taking a second while the others are still starting."""
    _started.wait(timeout=300)
    return os.getpid()


@dataclass(frozen=True, slots=True)
class AccountView:
    """What the account holds after the sign-ups, as the check below reads it."""

    tenants: tuple[str, ...]
    """Every tenant name ListTenants gives, in its order (a name twice is a doubling)."""
    held: dict[str, tuple[str, ...]]
    """Each new customer's tenant: the resource ARNs it holds."""
    holders: dict[str, tuple[str, ...]]
    """Each new customer's identity and configuration set (by name): the tenants holding it."""


def problems_of(
    view: AccountView, done: Iterable[SignedUp], tenants_before: int
) -> tuple[str, ...]:
    """Everything doubled, missed or failed: empty when each customer got exactly one tenant
    holding exactly its resources, made by exactly one of its sign-up's deliveries."""
    done = list(done)
    found = [f"{d.customer}: onboarding failed: {d.error}" for d in done if d.error]
    twice = sorted(n for n, count in Counter(view.tenants).items() if count > 1)
    found += [f"tenant {n} listed more than once" for n in twice]
    by_customer: dict[str, list[SignedUp]] = {}
    for d in done:
        by_customer.setdefault(d.customer, []).append(d)
    wanted = tenants_before + len(by_customer)
    if len(set(view.tenants)) != wanted:
        found.append(f"{len(set(view.tenants))} tenants, not {wanted} (one more per customer)")
    for customer, deliveries in sorted(by_customer.items()):
        creates = sum(1 for d in deliveries for line in d.made if line.startswith("create tenant"))
        if creates != 1:
            found.append(f"{customer}: its onboardings created {creates} tenants, not 1")
        tenants = sorted({d.tenant for d in deliveries if not d.error})
        if len(tenants) > 1:
            found.append(f"{customer}: onboarded into {tenants}, not one tenant")
        mine = {identity_of(customer), configuration_set_of(customer)}
        for tenant in tenants:
            arns = view.held.get(tenant, ())
            held = {arn.rsplit("/", 1)[-1] for arn in arns}
            if held != mine or len(arns) != len(mine):
                found.append(
                    f"{customer}: tenant {tenant} holds {sorted(held)}, not {sorted(mine)}"
                )
            for name in sorted(mine):
                holders = view.holders.get(name, ())
                if tuple(holders) != (tenant,):
                    found.append(f"{customer}: {name} is held by {list(holders)}, not [{tenant}]")
    tenant_of = Counter(
        t for ds in by_customer.values() for t in {d.tenant for d in ds if d.tenant}
    )
    found += [f"tenant {t} given to {n} customers" for t, n in sorted(tenant_of.items()) if n > 1]
    return tuple(found)


def read_back(url: str, done: Iterable[SignedUp]) -> AccountView:
    ses: Any = boto3.client("sesv2", region_name=REGION, endpoint_url=url, config=RETRIES)
    names = [
        t["TenantName"]
        for page in ses.get_paginator("list_tenants").paginate()
        for t in page.get("Tenants", [])
    ]
    held, holders = {}, {}
    for d in (d for d in done if not d.error):
        arns = [
            r["ResourceArn"]
            for page in ses.get_paginator("list_tenant_resources").paginate(TenantName=d.tenant)
            for r in page.get("TenantResources", [])
        ]
        held[d.tenant] = tuple(arns)
        for arn in arns:
            holders[arn.rsplit("/", 1)[-1]] = tuple(
                t["TenantName"]
                for page in ses.get_paginator("list_resource_tenants").paginate(ResourceArn=arn)
                for t in page.get("ResourceTenants", [])
            )
    return AccountView(tuple(names), held, holders)


def migrated(url: str, folder: Path) -> Path:
    """The account's migration, made and applied by the CLI before any limit is set."""
    where = ["--endpoint-url", url, "--region", REGION]
    run_cli(folder, "scan", "-o", "inventory.json", *where)
    plan = ["plan", "--inventory", "inventory.json", "--strategy", "isolated"]
    run_cli(folder, *plan, "-o", "migration.plan.json", *where)
    run_cli(folder, "apply", "migration.plan.json", "--cohort", "all", "--auto-approve", *where)
    return folder / "migration.plan.json"


def run_mode(
    mode: Mode,
    customers: int,
    traffic: TrafficSettings,
    lock_wait: float,
    account_customers: int = MIGRATED,
) -> ModeRun:
    """One mode on a fresh emulator and migration: N sign-ups (each delivered `copies`
    times, the copies next to each other in the queue) over `workers` processes."""
    account = customers_of(account_customers)
    shape = AccountShape(
        identities=sum(len(c.identities) for c in account),
        configuration_sets=len(account),
        tenants=len(account),
    )
    process, url = emulator_process(0, "--tenant-quota", "100000", demo_account=False)
    try:
        populate(url, account)
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            plan = migrated(url, folder)
            state = folder / ".sesmigrate"
            jobs = [
                SignUp(url, plan, state, state / "locks", f"signup-{n:04d}", lock_wait)
                for n in range(1, customers + 1)
                for _ in range(mode.copies)
            ]
            spawn = get_context("spawn")
            barrier = spawn.Barrier(mode.workers)
            with ProcessPoolExecutor(
                mode.workers, mp_context=spawn, initializer=_hold, initargs=(barrier,)
            ) as pool:
                assert len(set(pool.map(warm, range(mode.workers)))) == mode.workers
                control = HttpControl(url)
                control.set_traffic(traffic)  # and the emulator's counts start again
                started = time.perf_counter()
                done = tuple(pool.map(sign_up, jobs))
                seconds = time.perf_counter() - started
            stats = control.stats()
            control.set_traffic(TrafficSettings())
            problems = problems_of(read_back(url, done), done, len(account))
    finally:
        process.terminate()
        process.wait()
    calls = Counter(stats.get("by_operation", {}))
    necessary = sign_ups(shape, customers)
    for _ in range(customers * (mode.copies - 1)):
        necessary.update(redelivered_calls())
    run = ModeRun(
        mode.name,
        mode.workers,
        mode.copies,
        customers,
        seconds,
        calls,
        necessary,
        stats["throttled"],
        done,
        problems,
    )
    print(
        f"  {mode.name}: {seconds:.1f} s, {sum(calls.values())} calls", file=sys.stderr, flush=True
    )
    return run


def render(runs: list[ModeRun], limits: Limits, markdown: bool) -> None:
    h = "### " if markdown else ""
    print(f"\n{h}Sign-ups after a migration of {MIGRATED} customers (isolated)\n")
    table = Table(
        [
            "mode",
            "workers",
            "sign-ups",
            "seconds",
            "s/sign-up",
            "slowest s",
            "floor s",
            "x floor",
            "calls",
            "necessary",
            "429s",
            "busiest measured/necessary",
            "doubled",
        ],
        markdown=markdown,
    )
    for run in runs:
        at = run.floor(limits)
        top = max(run.calls, key=lambda op: (run.calls[op], op), default="")
        table.row(
            run.mode,
            run.workers,
            run.customers,
            run.seconds,
            run.seconds / run.customers,
            max(d.seconds for d in run.done),
            at,
            f"{run.seconds / at:.2f}",
            sum(run.calls.values()),
            sum(run.necessary.values()),
            run.throttled,
            f"{top} {run.calls[top]}/{run.necessary[top]}" if top else "",
            "none" if not run.problems else f"{len(run.problems)} PROBLEMS",
        )
    for run in runs:
        print(f"\n{h}Calls per operation, {run.mode}, {run.customers} sign-ups\n")
        ops = Table(["operation", "measured", "necessary", "x necessary"], markdown=markdown)
        for op in sorted(run.calls.keys() | run.necessary.keys(), key=lambda o: (-run.calls[o], o)):
            need = run.necessary[op]
            ops.row(op, run.calls[op], need, f"{run.calls[op] / need:.2f}" if need else "")
    print()
    for run in runs:
        verdict = "PASS" if not run.problems else "FAIL"
        print(f"- {run.mode}, {run.customers} sign-ups: nothing doubled or missed: {verdict}")
        for line in run.problems[:20]:
            print(f"  - {line}")
    print(f"\nFormula: {ONBOARD_FORMULA}; limit(o) = {limits.op_rate:g} calls/s")


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, default=[20, 50], help="Sign-ups, e.g. 20,50.")
    parser.add_argument("--quick", action="store_true", help=f"Sizes {QUICK_SIZES}: a minute.")
    parser.add_argument("--workers", type=int, default=4, help="Side-by-side sign-up workers.")
    parser.add_argument("--op-rate", type=float, default=10.0, help="Calls/s of each operation.")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--lock-wait", type=float, default=900.0, help="Each onboarding's.")
    parser.add_argument("--markdown", action="store_true", help="Print Markdown tables.")
    args = parser.parse_args()
    if args.quick:
        args.sizes = list(QUICK_SIZES)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    traffic = TrafficSettings(
        latency_ms=args.latency_ms, op_rates=tuple((op, args.op_rate) for op in ses_operations())
    )
    runs = []
    for customers in args.sizes:
        for mode in modes(args.workers):
            print(f"{customers} sign-ups, {mode.name}", file=sys.stderr, flush=True)
            runs.append(run_mode(mode, customers, traffic, args.lock_wait))
    render(runs, Limits(op_rate=args.op_rate), args.markdown)
    if any(run.problems for run in runs):
        raise SystemExit("onboarding doubled or missed something: see the FAIL lines above")


if __name__ == "__main__":
    main()
