"""Rendering speed: a plan of N customers to HTML, Markdown, text and JSON.

The plan is made once per size from a synthetic inventory (isolated strategy, one tenant
per customer); then each format is rendered three times and the best time printed, next
to the output's size. Target: 10,000 customers to HTML in <= 2 s. Run:

    python -m benchmarks.bench_render [--customers 1000 10000]
"""

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.table import Table
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.emulator.accounts import as_inventory, realistic_account
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import plan_to_json, read_plan
from sesmigrate.report import FORMATS, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    args = parser.parse_args()
    table = Table(["customers", "format", "best s", "MB"])
    with tempfile.TemporaryDirectory() as folder:
        for customers in args.customers:
            inventory = Path(folder) / "inventory.json"
            inventory.write_text(as_inventory(realistic_account(customers, 1)).to_json("bench"))
            spec = Path(folder) / "spec.toml"
            spec.write_text('strategy = "isolated"\ntenant_quota = 1000000\n')
            made = make_plan(PlanRequest(spec, {}, inventory, AwsSettings())).plan
            plan = read_plan(plan_to_json(made))
            for fmt in FORMATS:
                best, size = float("inf"), 0
                for _ in range(3):
                    started = time.perf_counter()
                    size = len(render(plan, fmt).encode())
                    best = min(best, time.perf_counter() - started)
                table.row(customers, fmt, best, round(size / 1e6, 1))
    table.note("target: 10,000 customers to HTML <= 2 s")


if __name__ == "__main__":
    main()
