"""A phased migration as an operator runs it, at SES's per-operation rates, against its floor.

For each size an emulator is started in its own process with an account of that many
customers (1.5 identities and one configuration set each, tagged `customer`/`tier`), 50 ms
latency, and a limit of 10 calls a second on every SES operation, each on its own (HTTP
429 beyond it). Then the installed CLI runs in subprocesses, told no rate: `sesmigrate
scan`, `plan --inventory` (isolated, `--canary 3 --wave-size 25`), and `apply --cohort NAME
--auto-approve` for each cohort in turn. On a second emulator with the same account the AWS
blog's sequential script runs (benchmarks/blog_script.py). The same journey then runs under
an account-wide limit instead (100 calls a second).

Each phase's time is set against its floor: its necessary calls (benchmarks/necessary.py:
the scan's full read, each cohort's verification lists and reads of its own resources, its
changes; not what sesmigrate happens to call) of its busiest operation over that
operation's rate times the headroom a client may use. Calls per operation come from the
emulator's own counts. Targets: the journey within 1.2x its floor and faster than the blog
script at every size, the ratio not growing with size; under the account-wide limit,
apply within 1.1x its floor. Each cohort's `estimate.seconds` from `sesmigrate show --format
json` is set against its measured time, when the plan has one. Run:

    python -m benchmarks.bench_phased [--sizes 100,300] [--quick] [--out benchmarks/RESULTS.md]
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session

from benchmarks.blog_script import run_blog_script
from benchmarks.emulator_process import emulator_process
from benchmarks.necessary import (
    FORMULA,
    AccountShape,
    CohortShape,
    Limits,
    Phase,
    floor,
    journey,
    phase_floor,
    total_calls,
)
from benchmarks.table import Table
from sesmigrate.emulator.control import HttpControl, TrafficSettings

REGION = "us-east-1"
JOURNEY_TARGET = 1.2
APPLY_TARGET = 1.1
ESTIMATE_TOLERANCE = 0.2
GROWTH_TOLERANCE = 1.05
"""A ratio at the largest size within 5% of the smallest's counts as not growing."""
QUICK_SIZES = (30, 60)


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    identities: tuple[str, ...]
    configuration_sets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    customers: int
    label: str
    traffic: TrafficSettings
    limits: Limits
    """The server's limits at headroom 1; the floor at the headroom is computed from them."""
    plan_flags: tuple[str, ...]
    headroom: float
    blog: bool


@dataclass(frozen=True, slots=True)
class PhaseRun:
    name: str
    seconds: float
    calls: Counter[str]
    throttled: int
    necessary: tuple[Phase, ...] = ()
    estimate: float | None = None


@dataclass(frozen=True, slots=True)
class JourneyRun:
    scenario: Scenario
    account: AccountShape
    phases: tuple[PhaseRun, ...]
    blog: PhaseRun | None

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    @property
    def apply_seconds(self) -> float:
        return sum(p.seconds for p in self.phases if p.name not in ("scan", "plan"))

    def floor(self, headroom: float, applies_only: bool = False) -> float:
        limits = Limits(self.scenario.limits.op_rate, self.scenario.limits.account_rate, headroom)
        return sum(
            floor(p.necessary, limits)
            for p in self.phases
            if not (applies_only and p.name in ("scan", "plan"))
        )

    def ratio(self) -> float:
        return self.seconds / self.floor(self.scenario.headroom)

    def apply_ratio(self) -> float:
        return self.apply_seconds / self.floor(self.scenario.headroom, applies_only=True)


def customers_of(count: int) -> list[Customer]:
    """One domain identity and one configuration set each, every other one a second identity."""
    made = []
    for n in range(1, count + 1):
        customer = f"cust-{n:05d}"
        identities = [f"{customer}.example.com"]
        if n % 2:
            identities.append(f"notify@{customer}-mail.example.net")
        made.append(Customer(customer, tuple(identities), (f"{customer}-events",)))
    return made


def populate(url: str, customers: list[Customer]) -> None:
    """Create the account through the API, before any limit is set."""
    ses: Any = boto3.client("sesv2", region_name=REGION, endpoint_url=url)

    def create(customer: Customer) -> None:
        tags = [
            {"Key": "customer", "Value": customer.customer_id},
            {"Key": "tier", "Value": "pro"},
        ]
        for name in customer.configuration_sets:
            ses.create_configuration_set(ConfigurationSetName=name, Tags=tags)
        for identity in customer.identities:
            ses.create_email_identity(
                EmailIdentity=identity,
                Tags=tags,
                ConfigurationSetName=customer.configuration_sets[0],
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, customers))


def ses_operations() -> tuple[str, ...]:
    return tuple(botocore.session.get_session().get_service_model("sesv2").operation_names)


def cli() -> list[str]:
    """The installed `sesmigrate`, as an operator runs it."""
    script = Path(sys.executable).with_name("sesmigrate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sesmigrate.cli"]


def run_cli(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [*cli(), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        # the run's emulator is an account of its own: so are its state and its lock
        env={
            **os.environ,
            "SESMIGRATE_STATE_DIR": str(folder / ".sesmigrate"),
            "SESMIGRATE_LOCK_DIR": str(folder / ".sesmigrate" / "locks"),
        },
    )
    if done.returncode != 0:
        raise RuntimeError(f"sesmigrate {args[0]} failed: {done.stderr.strip()[-1500:]}")
    return done.stdout


def takes_headroom() -> bool:
    """Whether this sesmigrate has `--headroom` (another change adds it)."""
    return "--headroom" in run_cli(Path.cwd(), "apply", "--help")


class Counts:
    """The emulator's per-operation counts, read before and after each phase."""

    def __init__(self, control: HttpControl) -> None:
        self.control = control
        self.last: Counter[str] = Counter()
        self.throttled = 0

    def since_last(self) -> tuple[Counter[str], int]:
        stats = self.control.stats()
        now = Counter(stats.get("by_operation", {}))
        calls, throttled = now - self.last, stats["throttled"] - self.throttled
        self.last, self.throttled = now, stats["throttled"]
        return calls, throttled


def timed(counts: Counts, name: str, run: Callable[[], object], **extra: Any) -> PhaseRun:
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    calls, throttled = counts.since_last()
    print(f"  {name}: {seconds:.1f} s, {sum(calls.values())} calls", file=sys.stderr, flush=True)
    return PhaseRun(name, seconds, calls, throttled, **extra)


def with_emulator(
    customers: list[Customer], traffic: TrafficSettings, run: Callable[..., Any]
) -> Any:
    process, url = emulator_process(0, "--tenant-quota", "100000", demo_account=False)
    try:
        populate(url, customers)
        control = HttpControl(url)
        control.set_traffic(traffic)
        return run(url, Counts(control))
    finally:
        process.terminate()
        process.wait()


def cohort_shapes(plan: dict[str, Any], customers: list[Customer]) -> list[CohortShape]:
    owned = {c.customer_id: c for c in customers}
    shapes = []
    for cohort in plan["cohorts"]:
        members = [owned[c] for c in cohort.get("customers", []) if c in owned]
        shapes.append(
            CohortShape(
                cohort["name"],
                tenants=cohort.get("counts", {}).get("create_tenant", 0),
                identities=sum(len(c.identities) for c in members),
                configuration_sets=sum(len(c.configuration_sets) for c in members),
            )
        )
    return shapes


def sesmigrate_journey(scenario: Scenario, customers: list[Customer], headroom_flag: bool) -> Any:
    account = AccountShape(
        identities=sum(len(c.identities) for c in customers),
        configuration_sets=sum(len(c.configuration_sets) for c in customers),
    )
    rates = ["--headroom", f"{scenario.headroom:g}"] if headroom_flag else []

    def run(url: str, counts: Counts) -> JourneyRun:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            where = ["--endpoint-url", url, "--region", REGION]
            phases = [
                timed(
                    counts,
                    "scan",
                    lambda: run_cli(folder, "scan", "-o", "inventory.json", *where, *rates),
                )
            ]
            phases.append(
                timed(
                    counts,
                    "plan",
                    lambda: run_cli(
                        folder,
                        "plan",
                        "--inventory",
                        "inventory.json",
                        "--strategy",
                        "isolated",
                        *scenario.plan_flags,
                        "-o",
                        "migration.plan.json",
                        *where,
                        *rates,
                    ),
                )
            )
            plan = json.loads(run_cli(folder, "show", "migration.plan.json", "--format", "json"))
            shapes = cohort_shapes(plan, customers)
            necessary = journey(account, shapes)
            phases[0] = replace(phases[0], necessary=(necessary[0],))
            for index, (cohort, shape) in enumerate(zip(plan["cohorts"], shapes, strict=True)):
                estimate = (cohort.get("estimate") or {}).get("seconds")
                phases.append(
                    timed(
                        counts,
                        f"apply {shape.name}",
                        lambda name=shape.name: run_cli(
                            folder,
                            "apply",
                            "migration.plan.json",
                            "--cohort",
                            name,
                            "--auto-approve",
                            *where,
                            *rates,
                        ),
                        necessary=tuple(necessary[1 + 2 * index : 3 + 2 * index]),
                        estimate=float(estimate) if estimate is not None else None,
                    )
                )
            return JourneyRun(scenario, account, tuple(phases), None)

    return with_emulator(customers, scenario.traffic, run)


def blog_run(scenario: Scenario, customers: list[Customer]) -> PhaseRun:
    def run(url: str, counts: Counts) -> PhaseRun:
        return timed(counts, "blog script", lambda: run_blog_script(url, REGION))

    result: PhaseRun = with_emulator(customers, scenario.traffic, run)
    return result


def measure(scenario: Scenario, headroom_flag: bool) -> JourneyRun:
    customers = customers_of(scenario.customers)
    print(f"{scenario.customers} customers, {scenario.label}", file=sys.stderr, flush=True)
    run: JourneyRun = sesmigrate_journey(scenario, customers, headroom_flag)
    if scenario.blog:
        run = JourneyRun(run.scenario, run.account, run.phases, blog_run(scenario, customers))
    return run


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render_journey(run: JourneyRun, markdown: bool) -> None:
    scenario, h = run.scenario, run.scenario.headroom
    print(
        f"\n{'### ' if markdown else ''}{scenario.customers} customers, {scenario.label}: "
        f"{run.account.identities} identities, {run.account.configuration_sets} configuration "
        f"sets, {len(run.phases) - 2} cohorts\n"
    )
    table = Table(
        [
            "phase",
            "seconds",
            "floor s @1.0",
            f"floor s @{h:g}",
            "x floor",
            "calls",
            "necessary",
            "429s",
            "estimate s",
            "est/measured",
            "busiest measured/necessary",
        ],
        markdown=markdown,
    )
    limits = Limits(scenario.limits.op_rate, scenario.limits.account_rate, h)
    full = Limits(scenario.limits.op_rate, scenario.limits.account_rate, 1.0)
    for phase in [*run.phases, *([run.blog] if run.blog else [])]:
        needed = total_calls(phase.necessary)
        at_h = sum(phase_floor(p.calls, limits) for p in phase.necessary)
        estimate = ""
        if phase.estimate is not None:
            off = phase.estimate / phase.seconds
            flag = "" if abs(off - 1) <= ESTIMATE_TOLERANCE else " OFF"
            estimate = f"{off:.2f}x{flag}"
        table.row(
            phase.name,
            phase.seconds,
            sum(phase_floor(p.calls, full) for p in phase.necessary) if phase.necessary else "",
            at_h if phase.necessary else "",
            f"{phase.seconds / at_h:.2f}" if at_h else "",
            sum(phase.calls.values()),
            sum(needed.values()) if phase.necessary else "",
            phase.throttled,
            phase.estimate if phase.estimate is not None else "",
            estimate,
            _busiest(phase, needed),
        )
    table.row(
        "sesmigrate total",
        run.seconds,
        run.floor(1.0),
        run.floor(h),
        f"{run.ratio():.2f}",
        sum(sum(p.calls.values()) for p in run.phases),
        sum(total_calls(p for phase in run.phases for p in phase.necessary).values()),
    )
    if not any(p.estimate is not None for p in run.phases):
        table.note("the plan has no cohorts[].estimate: estimate against measured skipped")
    print()
    render_calls(run, markdown)
    print()
    if scenario.blog and run.blog:
        print(
            f"- journey {run.seconds:.1f} s <= {JOURNEY_TARGET}x floor ({run.floor(h):.1f} s): "
            f"{verdict(run.ratio() <= JOURNEY_TARGET)} ({run.ratio():.2f}x)"
        )
        print(
            f"- journey faster than the blog script ({run.blog.seconds:.1f} s): "
            f"{verdict(run.seconds < run.blog.seconds)}"
        )
    else:
        apply_floor = run.floor(h, applies_only=True)
        print(
            f"- apply {run.apply_seconds:.1f} s <= {APPLY_TARGET}x its floor ({apply_floor:.1f} s):"
            f" {verdict(run.apply_ratio() <= APPLY_TARGET)} ({run.apply_ratio():.2f}x)"
        )


def _busiest(phase: PhaseRun, needed: Counter[str]) -> str:
    top = max(phase.calls, key=lambda op: (phase.calls[op], op), default=None)
    if top is None:
        return ""
    return f"{top} {phase.calls[top]}" + (f"/{needed[top]}" if phase.necessary else "")


def render_calls(run: JourneyRun, markdown: bool) -> None:
    measured: Counter[str] = Counter()
    for phase in run.phases:
        measured.update(phase.calls)
    needed = total_calls(p for phase in run.phases for p in phase.necessary)
    table = Table(["operation", "measured", "necessary", "x necessary"], markdown=markdown)
    for op in sorted(measured.keys() | needed.keys(), key=lambda op: (-measured[op], op)):
        table.row(
            op, measured[op], needed[op], f"{measured[op] / needed[op]:.2f}" if needed[op] else ""
        )


def render_summary(runs: list[JourneyRun], markdown: bool) -> None:
    print(f"\n{'### ' if markdown else ''}Summary\n")
    table = Table(
        ["customers", "limits", "journey s", "floor s", "x floor", "apply x floor", "blog s"],
        markdown=markdown,
    )
    for run in runs:
        table.row(
            run.scenario.customers,
            run.scenario.label,
            run.seconds,
            run.floor(run.scenario.headroom),
            f"{run.ratio():.2f}",
            f"{run.apply_ratio():.2f}",
            run.blog.seconds if run.blog else "",
        )
    print()
    per_op = [r for r in runs if r.scenario.blog]
    if len(per_op) >= 2:
        first, last = per_op[0].ratio(), per_op[-1].ratio()
        print(
            f"- x floor does not grow with size ({first:.2f} at {per_op[0].scenario.customers}, "
            f"{last:.2f} at {per_op[-1].scenario.customers}, tolerance "
            f"{GROWTH_TOLERANCE - 1:.0%}): {verdict(last <= first * GROWTH_TOLERANCE)}"
        )
    print(f"\nFormula: {FORMULA}")


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    plan_flags: tuple[str, ...] = ()
    if not args.plan_defaults:
        plan_flags = ("--canary", str(args.canary), "--wave-size", str(args.wave_size))
    per_op = TrafficSettings(
        latency_ms=args.latency_ms, op_rates=tuple((op, args.op_rate) for op in ses_operations())
    )
    account = TrafficSettings(latency_ms=args.latency_ms, rate_limit=args.account_rate)
    made = []
    for customers in args.sizes if args.limits != "account" else ():
        made.append(
            Scenario(
                customers,
                f"{args.op_rate:g} calls/s per operation",
                per_op,
                Limits(op_rate=args.op_rate),
                plan_flags,
                args.headroom,
                blog=True,
            )
        )
    for customers in args.sizes if args.limits != "operation" else ():
        made.append(
            Scenario(
                customers,
                f"{args.account_rate:g} calls/s account-wide",
                account,
                Limits(account_rate=args.account_rate),
                plan_flags,
                args.headroom,
                blog=False,
            )
        )
    return made


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, default=[100, 300], help="Customers, e.g. 100,300.")
    parser.add_argument("--quick", action="store_true", help=f"Sizes {QUICK_SIZES}: minutes.")
    parser.add_argument("--op-rate", type=float, default=10.0, help="Calls/s of each operation.")
    parser.add_argument("--account-rate", type=float, default=100.0, help="Account-wide calls/s.")
    parser.add_argument(
        "--limits",
        choices=("both", "operation", "account"),
        default="both",
        help="Run the per-operation limits, the account-wide one, or both.",
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--headroom", type=float, default=0.8, help="Share of a limit to use.")
    parser.add_argument("--canary", type=int, default=3)
    parser.add_argument("--wave-size", type=int, default=25)
    parser.add_argument(
        "--plan-defaults", action="store_true", help="Leave --canary and --wave-size to the plan."
    )
    parser.add_argument("--out", type=Path, help="Append a Markdown section to this file.")
    parser.add_argument("--markdown", action="store_true", help="Print Markdown tables.")
    args = parser.parse_args()
    if args.quick:
        args.sizes = list(QUICK_SIZES)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    headroom_flag = takes_headroom()
    runs = []
    for scenario in scenarios(args):
        runs.append(measure(scenario, headroom_flag))
        render_journey(runs[-1], args.markdown)
    render_summary(runs, args.markdown)
    if args.out:
        section = io.StringIO()
        with contextlib.redirect_stdout(section):
            print(
                f"\n## phased journey ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, sizes "
                f"{','.join(map(str, args.sizes))}, latency {args.latency_ms:g} ms, headroom "
                f"{args.headroom:g}{'' if headroom_flag else ' (sesmigrate has no --headroom)'})"
            )
            for run in runs:
                render_journey(run, True)
            render_summary(runs, True)
        with args.out.open("a") as out:
            out.write(section.getvalue())


if __name__ == "__main__":
    main()
