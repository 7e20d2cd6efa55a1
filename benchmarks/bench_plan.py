"""Planning speed and memory: plan from an inventory file and write it, at growing sizes.

For each size a synthetic inventory of the realistic ISV account shape is written to a
temporary file, then a fresh Python process runs `make_plan` on it (isolated strategy, the
tenant quota raised so that 100,000 tenants are allowed) and writes the plan, reporting
wall time and peak RSS, so that sizes do not share memory.
Target: 10,000 customers in <= 2 s and <= 300 MB, growing linearly. Run:

    python -m benchmarks.bench_plan [--customers 1000 10000 100000] [--strategy isolated]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.table import Table
from sesmigrate import __version__
from sesmigrate.emulator.accounts import as_inventory, realistic_account

CHILD = """
import json, resource, sys, time
from pathlib import Path
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.planning.plan import plan_to_json
from sesmigrate.planning.build import PlanRequest, make_plan
inventory, out, spec = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.perf_counter()
result = make_plan(PlanRequest(Path(spec), {}, Path(inventory), AwsSettings()))
Path(out).write_text(plan_to_json(result.plan))
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": peak, "actions": len(result.plan.steps)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--strategy", default="isolated")
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    args = parser.parse_args()
    table = Table(["customers", "actions", "seconds", "peak MB", "us/customer"])
    with tempfile.TemporaryDirectory() as folder:
        for customers in args.customers:
            inventory = Path(folder) / f"inventory-{customers}.json"
            inventory.write_text(as_inventory(realistic_account(customers, 1)).to_json(__version__))
            out = Path(folder) / f"plan-{customers}.json"
            spec = Path(folder) / "spec.toml"
            spec.write_text(f'strategy = "{args.strategy}"\ntenant_quota = 1000000\n')
            child = subprocess.run(
                [sys.executable, "-c", CHILD, str(inventory), str(out), str(spec)],
                capture_output=True,
                text=True,
            )
            if child.returncode:
                raise SystemExit(f"planning {customers} customers failed: {child.stderr}")
            figures = json.loads(child.stdout)
            table.row(
                customers,
                figures["actions"],
                figures["seconds"],
                round(figures["peak_mb"]),
                round(1e6 * figures["seconds"] / customers, 1),
            )
    table.note(
        f"strategy {args.strategy}, plan from an inventory file and write it, fresh process "
        "each; target: 10,000 customers <= 2 s and <= 300 MB, growing linearly"
    )


if __name__ == "__main__":
    main()
