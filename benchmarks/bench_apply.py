"""Apply speed at the API's rate: `sesmigrate apply` vs the blog's sequential script vs the floor.

For each size emulators are started with the same realistic account, 50 ms latency
and an account-wide limit of 100 calls a second (HTTP 429 beyond it). On one, the AWS
blog's script runs one call after another: for each customer create its tenant and
associate its identities and configuration sets. On the other, `sesmigrate plan` then
`sesmigrate apply --cohort all --rate 100` runs (its staleness scan included). A third run
adds per-operation limits (`--op-rate`), as real SES may impose about one call a second per
operation, scaled up here so the run stays short. The floor is the calls the server saw
divided by the rate, or with per-operation limits the slowest operation's calls divided by
its rate. Last, a full `sesmigrate rollback` of an applied plan is timed the same way
(the counters restart when it begins). Target: within 1.2x the floor. Run:

    python -m benchmarks.bench_apply [--customers 300 1000]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3

from benchmarks.emulator_process import emulator_process
from benchmarks.table import Table
from sesmigrate.emulator.accounts import realistic_account
from sesmigrate.emulator.control import HttpControl, TrafficSettings
from sesmigrate.planning.naming import tenant_name

OP_RATES = {
    "CreateTenant": 20.0,
    "CreateTenantResourceAssociation": 60.0,
    "GetTenant": 30.0,
    "GetReputationEntity": 30.0,
    "UpdateReputationEntityPolicy": 30.0,
}


def sequential_blog_script(url: str, customers: int) -> int:
    """Part 3 of the AWS blog, one call after another; returns the calls made."""
    ses: Any = boto3.client("sesv2", region_name="us-east-1", endpoint_url=url)
    arn = "arn:aws:ses:us-east-1:123456789012"
    calls = 0
    for customer in realistic_account(customers, 7).customers:
        name = tenant_name(customer.customer_id)
        ses.create_tenant(TenantName=name)
        calls += 1
        resources = [f"{arn}:identity/{i}" for i in customer.identities]
        resources += [f"{arn}:configuration-set/{c}" for c in customer.configuration_sets]
        for resource in resources:
            ses.create_tenant_resource_association(TenantName=name, ResourceArn=resource)
            calls += 1
    return calls


def _env(folder: Path) -> dict[str, str]:
    """The run's emulator is an account of its own: so is its lock."""
    return {**os.environ, "SESMIGRATE_LOCK_DIR": str(folder / "locks")}


def sesmigrate_apply(url: str, folder: Path, rates: list[str]) -> float:
    env = _env(folder)
    common = ["--endpoint-url", url, "--region", "us-east-1"]
    plan = folder / "bench.plan.json"
    subprocess.run(
        [sys.executable, "-m", "sesmigrate.cli", "plan", "-o", str(plan), *common, *rates],
        check=True,
        capture_output=True,
        env=env,
    )
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sesmigrate.cli",
            "apply",
            str(plan),
            "--auto-approve",
            "--cohort",
            "all",
            "--state-dir",
            str(folder / "state"),
            *common,
            *rates,
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - started


def sesmigrate_rollback(url: str, folder: Path, rates: list[str]) -> float:
    """Roll the applied plan back entirely; its wall time."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sesmigrate.cli",
            "rollback",
            str(folder / "bench.plan.json"),
            "--auto-approve",
            "--allow-irreversible",
            "--cohort",
            "all",
            "--state-dir",
            str(folder / "state"),
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            *rates,
        ],
        check=True,
        capture_output=True,
        env=_env(folder),
    )
    return time.perf_counter() - started


def measure(customers: int, traffic: TrafficSettings, run: Any) -> tuple[float, dict[str, int]]:
    process, url = emulator_process(customers, "--tenant-quota", "100000")
    try:
        control = HttpControl(url)
        control.set_traffic(traffic)
        started = time.perf_counter()
        run(url)
        elapsed = time.perf_counter() - started
        return elapsed, control.stats()
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    rate = 100.0
    account_wide = TrafficSettings(latency_ms=50, rate_limit=rate)
    per_op = TrafficSettings(latency_ms=50, rate_limit=rate, op_rates=tuple(OP_RATES.items()))
    op_flags = [f"--op-rate={op}={r:g}" for op, r in OP_RATES.items()]
    table = Table(["customers", "run", "calls", "seconds", "floor s", "x floor"])
    for customers in args.customers:
        with tempfile.TemporaryDirectory() as folder:
            elapsed, stats = measure(
                customers, account_wide, lambda url, n=customers: sequential_blog_script(url, n)
            )
            calls = stats["calls"] - stats["throttled"] - stats["faults"]
            table.row(customers, "blog, sequential", calls, elapsed)
            for label, traffic, flags in (
                ("sesmigrate --rate 100", account_wide, ["--rate", "100"]),
                ("sesmigrate --op-rate", per_op, ["--rate", "100", *op_flags]),
            ):
                seconds = [0.0]

                def run(url: str, flags: list[str] = flags, seconds: list[float] = seconds) -> None:
                    seconds[0] = sesmigrate_apply(url, Path(folder), flags)

                _, stats = measure(customers, traffic, run)
                calls = stats["calls"] - stats["throttled"] - stats["faults"]
                floor = calls / rate
                if traffic.op_rates:
                    ops = Counter(dict(stats.get("by_operation", {})))
                    floor = max([floor, *(ops[op] / r for op, r in OP_RATES.items() if op in ops)])
                table.row(customers, label, calls, seconds[0], floor, seconds[0] / floor)
            rollback = [0.0]

            def apply_then_rollback(url: str, spent: list[float] = rollback) -> None:
                sesmigrate_apply(url, Path(folder), ["--rate", "100"])
                HttpControl(url).set_traffic(account_wide)
                spent[0] = sesmigrate_rollback(url, Path(folder), ["--rate", "100"])

            _, stats = measure(customers, account_wide, apply_then_rollback)
            calls = stats["calls"] - stats["throttled"] - stats["faults"]
            table.row(
                customers,
                "rollback --rate 100",
                calls,
                rollback[0],
                calls / rate,
                rollback[0] / (calls / rate),
            )
    table.note(
        "latency 50 ms, account limit 100 calls/s; apply includes its staleness scan; "
        "target: sesmigrate within 1.2x the floor"
    )


if __name__ == "__main__":
    main()
