"""Chaos: kill -9 apply and rollback at random points, resume, and check nothing was lost.

A fresh emulator server (with latency, and optionally injected faults) holds the realistic
account. `sesmigrate apply --cohort all` is started as its own process and killed with
SIGKILL once the journal has recorded a random number of completed actions; then again,
`kills` times; then resumed to the end. The rollback is killed likewise and resumed. After
each phase the journal is compared with the emulator: an action of the plan not done is
*lost*; a tenant of the migration the plan does not name, a tenant whose associations
differ from the plan's, or the plan's monitoring (rule, target, log group, Logs policy) made
more than once, is *doubled*. The final rollback must leave the account's tenants and
monitoring exactly as they were. Run the long version with:

    python -m benchmarks.chaos [--kills 50] [--fault-rate 0.1] [--seed 1]

It prints `N kills, L lost, D doubled, rollback exact: yes/no`.
"""

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.emulator_process import emulator_process

REGION = "us-east-1"


@dataclass
class ChaosResult:
    kills: int
    lost: int
    doubled: int
    exact: bool

    def line(self) -> str:
        exact = "yes" if self.exact else "no"
        return (
            f"{self.kills} kills, {self.lost} lost, {self.doubled} doubled, rollback exact: {exact}"
        )


def _env(folder: Path) -> dict[str, str]:
    """Dummy credentials, and the run's own lock folder: its emulator is an account of its own,
    so another chaos run beside it on this machine is not refused by the account's lock.
    Timeouts fit a local emulator answering in milliseconds: a resume after a kill waits
    them out (calls still in flight), so AWS's defaults would only slow the run down."""
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "chaos",
        "AWS_SECRET_ACCESS_KEY": "chaos",
        "SESMIGRATE_LOCK_DIR": str(folder / "locks"),
        "SESMIGRATE_CONNECT_TIMEOUT": "1",
        "SESMIGRATE_READ_TIMEOUT": "4",
    }


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sesmigrate.cli", *args]


def tenants(url: str) -> dict[str, frozenset[str]]:
    ses: Any = boto3.client(
        "sesv2",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="chaos",
        aws_secret_access_key="chaos",
        # the observer reads through the same injected faults: retry until it gets through
        config=Config(retries={"mode": "standard", "max_attempts": 20}),
    )
    found = {}
    for page in ses.get_paginator("list_tenants").paginate():
        for tenant in page["Tenants"]:
            name = tenant["TenantName"]
            resources = ses.list_tenant_resources(TenantName=name, PageSize=100)["TenantResources"]
            found[name] = frozenset(r["ResourceArn"] for r in resources)
    return found


def monitoring(url: str) -> dict[str, Any]:
    """The account's EventBridge rules (with their targets), log groups and Logs policies."""
    settings = {
        "region_name": REGION,
        "endpoint_url": url,
        "aws_access_key_id": "chaos",
        "aws_secret_access_key": "chaos",
    }
    events: Any = boto3.client("events", **settings)
    logs: Any = boto3.client("logs", **settings)
    rules = [r["Name"] for r in events.list_rules()["Rules"]]
    return {
        "rules": {
            name: sorted(t["Arn"] for t in events.list_targets_by_rule(Rule=name)["Targets"])
            for name in rules
        },
        "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
        "policies": sorted(
            p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]
        ),
    }


def journal_rows(journal: Path, state: str, direction: str) -> int:
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(journal) as db:
            row = db.execute(
                "SELECT count(*) FROM entries WHERE state=? AND direction=?", (state, direction)
            ).fetchone()
            return int(row[0])
    except sqlite3.Error:
        return 0


def wait_until(condition: Any, deadline_s: float = 120.0) -> None:
    """Poll a real condition, bounded by a deadline (never a fixed sleep)."""
    deadline = time.monotonic() + deadline_s
    tick = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition was not reached in time")
        tick.wait(0.01)


def kill_at(
    command: list[str], env: dict[str, str], journal: Path, direction: str, state: str, target: int
) -> None:
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(
        lambda: journal_rows(journal, state, direction) >= target or child.poll() is not None
    )
    child.send_signal(signal.SIGKILL)
    child.wait()


def run_to_end(command: list[str], env: dict[str, str], attempts: int = 5) -> None:
    for _ in range(attempts):
        if subprocess.run(command, env=env, capture_output=True).returncode == 0:
            return
    raise RuntimeError(f"{' '.join(command[3:5])} did not complete in {attempts} attempts")


def chaos(
    kills: int, seed: int, folder: Path, customers: int = 10, fault_rate: float = 0.0
) -> ChaosResult:
    rng = random.Random(seed)
    extra = ["--latency-ms", "15", "--fault-rate", str(fault_rate), "--seed", str(seed)]
    server, url = emulator_process(customers, *extra)
    try:
        common = ["--endpoint-url", url, "--region", REGION, "--state-dir", str(folder / "state")]
        plan = folder / "chaos.plan.json"
        env = _env(folder)
        run_to_end(
            _cli(
                "plan",
                "-o",
                str(plan),
                "--strategy",
                "tiered",
                "--canary",
                "2",
                "--wave-size",
                "3",
                "--monitoring",
                *common,
            ),
            env,
        )
        before, watched = tenants(url), monitoring(url)
        from sesmigrate.planning.plan import read_plan
        from sesmigrate.state.journal import migration_journal_path

        sealed = read_plan(plan.read_text())
        journal = migration_journal_path(
            folder / "state", sealed.account, sealed.region, sealed.migration
        )
        total = len(sealed.steps)
        apply = _cli(
            "apply", str(plan), "--auto-approve", "--cohort", "all", "--parallelism", "3", *common
        )
        rollback = _cli(
            "rollback",
            str(plan),
            "--auto-approve",
            "--allow-irreversible",
            "--cohort",
            "all",
            *common,
        )
        rollback_kills = max(1, kills // 5)
        made = 0
        for target in _targets(rng, kills - rollback_kills, total):
            kill_at(apply, env, journal, "apply", "done", target)
            made += 1
        run_to_end(apply, env)
        lost, doubled = compare(sealed, journal, tenants(url), before)
        doubled += _monitoring_doubled(monitoring(url))
        for target in _targets(rng, rollback_kills, journal_rows(journal, "done", "apply")):
            kill_at(rollback, env, journal, "rollback", "done", target)
            made += 1
        run_to_end(rollback, env)
        exact = tenants(url) == before and monitoring(url) == watched
        return ChaosResult(made, lost, doubled, exact)
    finally:
        server.terminate()
        server.wait()


def _targets(rng: random.Random, kills: int, total: int) -> list[int]:
    """Distinct journal counts, in order, at which to kill: each run dies mid-way, later
    than the one before, and never after the last action."""
    return sorted(rng.sample(range(1, total), min(kills, max(total - 1, 0))))


def _monitoring_doubled(applied: dict[str, Any]) -> int:
    """Monitoring made more than once: extra rules, targets, log groups or policies."""
    return (
        max(0, len(applied["rules"]) - 1)
        + sum(max(0, len(targets) - 1) for targets in applied["rules"].values())
        + max(0, len(applied["log_groups"]) - 1)
        + max(0, len(applied["policies"]) - 1)
    )


def compare(
    plan: Any, journal: Path, live: dict[str, frozenset[str]], before: dict[str, frozenset[str]]
) -> tuple[int, int]:
    """(lost, doubled) after a completed apply: journal and emulator against the plan."""
    with sqlite3.connect(journal) as db:
        done = {
            k
            for (k,) in db.execute(
                "SELECT key FROM entries WHERE direction='apply' AND state='done'"
            )
        }
    lost = sum(step.action.key not in done for step in plan.steps)
    wanted = {t.name: frozenset(t.resources) for t in plan.tenants}
    doubled = sum(1 for name in live if name not in wanted and name not in before)
    doubled += sum(1 for name, resources in wanted.items() if live.get(name) != resources)
    return lost, doubled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = chaos(args.kills, args.seed, Path(folder), args.customers, args.fault_rate)
    print(result.line())


if __name__ == "__main__":
    main()
