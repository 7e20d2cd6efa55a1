"""`sesmigrate emulator --demo-account` as a separate process, for benchmarks and chaos runs.

A separate process, not a thread, so that the emulator's CPU work never shares the
measured process's interpreter lock: the figures are the client's, as against AWS.
"""

import os
import subprocess
import sys


def emulator_process(
    customers: int, *extra: str, demo_account: bool = True
) -> tuple[subprocess.Popen[str], str]:
    """The running emulator with the realistic account of `customers` (or none), and its URL."""
    account = ["--demo-account", "--customers", str(customers)] if demo_account else []
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sesmigrate.cli",
            "emulator",
            "--port",
            "0",
            *account,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"},
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()
