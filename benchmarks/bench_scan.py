"""Scan speed at the API's rate: sesmigrate's scanner vs a sequential boto3 read vs the floor.

For each account size it starts `sesmigrate emulator --demo-account` with 50 ms latency and
an account-wide limit of 100 calls a second (HTTP 429 beyond it, as SES answers), then
times three reads of the same facts:

- sequential: the AWS blog's way, one boto3 call after another;
- sesmigrate --rate: the scanner told the account's rate (what an operator who knows it does);
- sesmigrate adaptive: the scanner with no rate given, learning it from the 429s and
  recording it in a fresh state directory;
- sesmigrate learned: the same scan again, starting from that record.

The floor is the scanner's successful calls divided by the rate limit (for the adaptive
scans, by the `--headroom` share of it they may use). Targets: the scan within 1.2x the
floor and at least 4x faster than the sequential read, also without a rate given. Run:

    python -m benchmarks.bench_scan [--customers 500 2000] [--latency-ms 50] [--rate-limit 100]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.emulator_process import emulator_process
from benchmarks.table import Table
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.aws.scanner import scan_account
from sesmigrate.emulator.control import HttpControl, TrafficSettings
from sesmigrate.state.rates import DEFAULT_HEADROOM, RateMemory

REGION = "us-east-1"


def sequential_read(url: str) -> int:
    """Every fact the scanner reads, one call after another; returns the calls made."""
    ses: Any = boto3.client(
        "sesv2", region_name=REGION, endpoint_url=url, config=Config(retries={"mode": "standard"})
    )
    calls = 0

    def call(method: str, **kwargs: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return getattr(ses, method)(**kwargs)

    def listed(method: str, key: str, size: int, **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        token = None
        while True:
            page = call(method, PageSize=size, **kwargs, **({"NextToken": token} if token else {}))
            items += page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return items

    call("get_account")
    for identity in listed("list_email_identities", "EmailIdentities", 1000):
        call("get_email_identity", EmailIdentity=identity["IdentityName"])
    for name in listed("list_configuration_sets", "ConfigurationSets", 1000):
        call("get_configuration_set", ConfigurationSetName=name)
    for name in listed("list_dedicated_ip_pools", "DedicatedIpPools", 1000):
        call("get_dedicated_ip_pool", PoolName=name)
        arn = f"arn:aws:ses:{REGION}:123456789012:dedicated-ip-pool/{name}"
        call("list_tags_for_resource", ResourceArn=arn)
    for template in listed("list_email_templates", "TemplatesMetadata", 100):
        call("get_email_template", TemplateName=template["TemplateName"])
    listed("list_reputation_entities", "ReputationEntities", 100)
    for tenant in listed("list_tenants", "Tenants", 100):
        call("get_tenant", TenantName=tenant["TenantName"])
        listed("list_tenant_resources", "TenantResources", 100, TenantName=tenant["TenantName"])
    return calls


def timed_scan(
    url: str,
    control: HttpControl,
    traffic: TrafficSettings,
    rate: float | None,
    memory: RateMemory | None = None,
) -> tuple[float, int, int]:
    control.set_traffic(traffic)
    started = time.perf_counter()
    settings = AwsSettings(region=REGION, endpoint_url=url)
    scan_account(settings, rate=rate, parallelism=16, memory=memory)
    elapsed = time.perf_counter() - started
    stats = control.stats()
    return elapsed, stats["calls"] - stats["throttled"] - stats["faults"], stats["throttled"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate-limit", type=float, default=100.0)
    parser.add_argument("--headroom", type=float, default=DEFAULT_HEADROOM)
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    traffic = TrafficSettings(latency_ms=args.latency_ms, rate_limit=args.rate_limit)
    table = Table(
        [
            "customers",
            "calls",
            "floor s",
            "sequential s",
            "rated s",
            "x floor",
            "x faster",
            "adaptive s",
            "learned s",
            "learned x floor",
            "learned x faster",
            "429s learning / learned",
        ]
    )
    for customers in args.customers:
        process, url = emulator_process(customers)
        try:
            control = HttpControl(url)
            control.set_traffic(traffic)
            started = time.perf_counter()
            sequential_read(url)
            sequential = time.perf_counter() - started
            rated, calls, _ = timed_scan(url, control, traffic, args.rate_limit)
            with tempfile.TemporaryDirectory() as state:
                memory = RateMemory(Path(state), args.headroom)
                adaptive, _, throttled = timed_scan(url, control, traffic, None, memory)
                learned, _, relearned = timed_scan(url, control, traffic, None, memory)
        finally:
            process.terminate()
            process.wait()
        floor = calls / args.rate_limit
        share = floor / args.headroom
        table.row(
            customers,
            calls,
            floor,
            sequential,
            rated,
            rated / floor,
            sequential / rated,
            adaptive,
            learned,
            learned / share,
            sequential / learned,
            f"{throttled} / {relearned}",
        )
    table.note(
        f"latency {args.latency_ms:.0f} ms, account limit {args.rate_limit:.0f}/s, 16 workers; "
        f"learned x floor at headroom {args.headroom:g}; "
        "targets: <= 1.20x floor, >= 4x faster than sequential"
    )


if __name__ == "__main__":
    main()
