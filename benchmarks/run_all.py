"""Run every benchmark and print one Markdown report of their figures, with machine facts.

    python -m benchmarks.run_all [--quick] > benchmarks/RESULTS.md

`--quick` uses small sizes (a few minutes); without it the sizes the targets name are used
(scan at 500 and 2,000 customers, plan up to 100,000, apply at 300 and 1,000, render at
10,000, the phased journey at 100 and 300, onboarding 20 and 50 sign-ups), which takes
most of an hour on this project's 2-core machines.
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime

from sesmigrate import __version__

BENCHMARKS = {
    "scan": (["--customers", "500", "2000"], ["--customers", "100"]),
    "plan": (["--customers", "1000", "10000", "100000"], ["--customers", "1000", "10000"]),
    "render": (["--customers", "1000", "10000"], ["--customers", "1000"]),
    "apply": (["--customers", "300", "1000"], ["--customers", "100"]),
    "phased": (["--sizes", "100,300"], ["--quick"]),
    "onboard": (["--sizes", "20,50"], ["--quick"]),
}


def machine() -> list[tuple[str, str]]:
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("sesmigrate", __version__),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("processor", platform.processor() or platform.machine()),
        ("cores", str(os.cpu_count())),
        ("memory", memory),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes, a few minutes.")
    args = parser.parse_args()
    print("# sesmigrate benchmarks\n")
    print("| machine | |\n|---|---|")
    for key, value in machine():
        print(f"| {key} | {value} |")
    for name, (full, quick) in BENCHMARKS.items():
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                f"benchmarks.bench_{name}",
                "--markdown",
                *(quick if args.quick else full),
            ],
            capture_output=True,
            text=True,
        )
        print(f"\n## {name} ({time.perf_counter() - started:.0f} s)\n")
        print(
            done.stdout.strip()
            if done.returncode == 0
            else f"failed:\n\n```\n{done.stderr[-2000:]}\n```"
        )


if __name__ == "__main__":
    main()
