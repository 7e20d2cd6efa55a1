"""Chaos: kill -9 apply and rollback at random points, resume, and check nothing was lost.

A fresh emulator server (with latency, and optionally both kinds of injected trouble:
faults *before* the change, `--fault-rate`, and answers lost *after* it, `--lost-rate`:
500, 503, a dropped connection or an answer slower than the clients' read timeout, once
SES has acted) holds the realistic account, plus a tenant made by hand that the plan adopts
(`ADOPTED`: its policy and suppression change, associations are added). `sesmigrate apply
--cohort all` is started as its own process and killed with SIGKILL once the journal has
recorded a random number of completed actions; then again, `kills` times; then resumed to
the end. The rollback is killed likewise and resumed. After the apply the journal is
compared with the emulator: an action of the plan not done is *lost*; a tenant of the
migration the plan does not name, a tenant whose associations differ from the plan's, or
the plan's monitoring (rule, target, log group, Logs policy) made more than once, is
*doubled*. The final rollback must leave the account exactly as it was, compared in full
(`account`): every tenant's id, tags, sending status, reputation policy, customer-managed
status, suppression attributes and associations (all pages), and the EventBridge rules
(pattern, state, targets by id and ARN), log groups (with their tags) and Logs resource
policies (with their documents). Tenants the migration created are deleted, so only those
that existed before are compared, and they must keep their ids. Run the long version with:

    python -m benchmarks.chaos [--kills 50] [--fault-rate 0.1] [--lost-rate 0.2] [--seed 1]

It prints `N kills, L lost, D doubled, rollback exact: yes/no (F faults, A lost answers
injected)`, then any differences the rollback left, one a line.
"""

import argparse
import contextlib
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
from sesmigrate.emulator.control import HttpControl

REGION = "us-east-1"


@dataclass
class ChaosResult:
    kills: int
    lost: int
    doubled: int
    exact: bool
    differences: tuple[str, ...] = ()
    """Where the account after the final rollback differs from before the apply."""
    injected: tuple[int, int] = (0, 0)
    """The emulator's injected faults (before the change) and lost answers (after it)."""

    def line(self) -> str:
        exact = "yes" if self.exact else "no"
        faults, lost_answers = self.injected
        return (
            f"{self.kills} kills, {self.lost} lost, {self.doubled} doubled, rollback exact: {exact}"
            f" ({faults} faults, {lost_answers} lost answers injected)"
        )

    def explain(self) -> str:
        """The line, then the first differences, one a line."""
        shown = [f"  {d}" for d in self.differences[:20]]
        more = len(self.differences) - len(shown)
        return "\n".join([self.line(), *shown, *([f"  and {more} more"] if more > 0 else [])])


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


def _client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="chaos",
        aws_secret_access_key="chaos",
        # the observer reads through the same injected faults: retry until it gets through
        # (lost answers hit only changing operations, so its reads are not lost)
        config=Config(retries={"mode": "standard", "max_attempts": 20}),
    )


def tenants(url: str) -> dict[str, frozenset[str]]:
    """Every tenant's name and the ARNs of its associations (all pages)."""
    ses = _client("sesv2", url)
    return {
        tenant["TenantName"]: frozenset(_associations(ses, tenant["TenantName"]))
        for page in ses.get_paginator("list_tenants").paginate()
        for tenant in page["Tenants"]
    }


def _associations(ses: Any, name: str) -> list[str]:
    pages = ses.get_paginator("list_tenant_resources").paginate(TenantName=name)
    return sorted(r["ResourceArn"] for page in pages for r in page.get("TenantResources", []))


def _tenant(ses: Any, name: str) -> dict[str, Any]:
    """What rollback must restore of one tenant: its id, tags, status, reputation policy and
    customer-managed status, suppression attributes and associations."""
    got = ses.get_tenant(TenantName=name)["Tenant"]
    try:
        entity = ses.get_reputation_entity(
            ReputationEntityType="RESOURCE", ReputationEntityReference=got["TenantArn"]
        )["ReputationEntity"]
    except ses.exceptions.NotFoundException:
        entity = {}
    suppression = got.get("SuppressionAttributes") or {}
    return {
        "id": got["TenantId"],
        "tags": sorted((t["Key"], t["Value"]) for t in got.get("Tags") or []),
        "sending_status": got.get("SendingStatus"),
        "policy": entity.get("ReputationManagementPolicy"),
        "customer_status": (entity.get("CustomerManagedStatus") or {}).get("Status"),
        "suppressed_reasons": sorted(suppression.get("SuppressedReasons") or []),
        "suppression_scope": suppression.get("SuppressionScope"),
        "associations": _associations(ses, name),
    }


def _pages(call: Any, key: str, token_name: str, **kwargs: Any) -> list[Any]:
    """Every item of a list paged by `token_name` (EventBridge: NextToken, Logs: nextToken)."""
    items: list[Any] = []
    token: str | None = None
    while True:
        page = call(**kwargs, **({token_name: token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get(token_name)
        if not token:
            return items


def monitoring(url: str) -> dict[str, Any]:
    """The account's EventBridge rules (pattern, state and targets by id and ARN), log groups
    (with their tags) and Logs resource policies (with their documents)."""
    events, logs = _client("events", url), _client("logs", url)
    rules = {}
    for rule in _pages(events.list_rules, "Rules", "NextToken"):
        name = rule["Name"]
        targets = _pages(events.list_targets_by_rule, "Targets", "NextToken", Rule=name)
        rules[name] = {
            "pattern": rule.get("EventPattern"),
            "state": rule.get("State"),
            "targets": sorted((t["Id"], t["Arn"]) for t in targets),
        }
    groups = {}
    for group in _pages(logs.describe_log_groups, "logGroups", "nextToken"):
        name = group["logGroupName"]
        arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
        tags = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
        groups[name] = sorted(tags.items())
    policies = {
        policy["policyName"]: policy.get("policyDocument")
        for policy in _pages(logs.describe_resource_policies, "resourcePolicies", "nextToken")
    }
    return {"rules": rules, "log_groups": groups, "policies": policies}


def account(url: str) -> dict[str, Any]:
    """The full snapshot the final rollback is compared on: every tenant (`_tenant`) by name,
    and the monitoring. A tenant that existed before keeps its id; one the migration created
    is deleted, so it is absent from both sides."""
    ses = _client("sesv2", url)
    names = [
        tenant["TenantName"]
        for page in ses.get_paginator("list_tenants").paginate()
        for tenant in page["Tenants"]
    ]
    return {"tenants": {name: _tenant(ses, name) for name in names}, "monitoring": monitoring(url)}


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Each place where `after` differs from `before`, as `path: before -> after`."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                found.append(f"{where}: gone (was {before[key]!r})")
            elif key not in before:
                found.append(f"{where}: new ({after[key]!r})")
            else:
                found.extend(differences(before[key], after[key], where))
        return found
    return [] if before == after else [f"{path}: {before!r} -> {after!r}"]


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


ADOPTED = "tier-pro"
"""A tenant made by hand before the migration, under the name the tiered strategy gives the
pro tier's tenant, and adopted: the plan changes its reputation policy and suppression
attributes and adds associations, so the final rollback must restore them on a tenant
that keeps its id."""

SPEC = f"""name = "chaos"
adopt = ["{ADOPTED}"]

[reputation]
tiers = {{ pro = "strict", free = "strict" }}

[suppression.pro]
reasons = ["BOUNCE", "COMPLAINT"]
scope = "TENANT"

[suppression.free]
reasons = ["COMPLAINT"]
scope = "TENANT"
"""
"""The chaos migration: policy changes on a created and an adopted tenant, suppression set
at creation and changed on the adopted one."""


def hand_made(url: str) -> None:
    """`ADOPTED`, as someone made it by hand: its own tag, the `none` reputation policy and
    bounce suppression at account scope. Through the faulty server too: an answer lost
    after CreateTenant leaves it made."""
    ses = _client("sesv2", url)
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_tenant(
            TenantName=ADOPTED,
            Tags=[{"Key": "owner", "Value": "chaos-hand"}],
            SuppressionAttributes={"SuppressedReasons": ["BOUNCE"], "SuppressionScope": "ACCOUNT"},
        )
    arn = ses.get_tenant(TenantName=ADOPTED)["Tenant"]["TenantArn"]
    ses.update_reputation_entity_policy(
        ReputationEntityType="RESOURCE",
        ReputationEntityReference=arn,
        ReputationEntityPolicy=f"arn:aws:ses:{REGION}:aws:reputation-policy/none",
    )


SLOW_RESPONSE_MS = 4500
"""A slow lost answer comes just after the read timeout `_env` gives the clients (4 s)."""


def chaos(
    kills: int,
    seed: int,
    folder: Path,
    customers: int = 10,
    fault_rate: float = 0.0,
    lost_rate: float = 0.0,
) -> ChaosResult:
    rng = random.Random(seed)
    extra = ["--latency-ms", "15", "--fault-rate", str(fault_rate), "--seed", str(seed)]
    if lost_rate:
        extra += [
            "--lost-response-rate",
            str(lost_rate),
            "--lost-response-kinds",
            "500,503,drop,slow",
            "--slow-response-ms",
            str(SLOW_RESPONSE_MS),
        ]
    server, url = emulator_process(customers, *extra)
    try:
        common = ["--endpoint-url", url, "--region", REGION, "--state-dir", str(folder / "state")]
        plan = folder / "chaos.plan.json"
        env = _env(folder)
        spec = folder / "chaos.toml"
        spec.write_text(SPEC)
        hand_made(url)
        run_to_end(
            _cli(
                "plan",
                str(spec),
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
        before, snapshot = tenants(url), account(url)
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
        found = tuple(differences(snapshot, account(url)))
        stats = HttpControl(url).stats()
        injected = (int(stats.get("faults", 0)), int(stats.get("lost", 0)))
        return ChaosResult(made, lost, doubled, not found, found, injected)
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
        + sum(max(0, len(rule["targets"]) - 1) for rule in applied["rules"].values())
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
    parser.add_argument("--lost-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = chaos(
            args.kills, args.seed, Path(folder), args.customers, args.fault_rate, args.lost_rate
        )
    print(result.explain())


if __name__ == "__main__":
    main()
