"""A peer suite: moto's own SES v2 tests, run against the emulator's HTTP server.

`moto_sesv2/` holds moto 5.2.5's `tests/test_sesv2/test_sesv2.py`, vendored byte for byte
(source, licence and checksum in `moto_sesv2/README.md`). This module starts one
`sesmigrate emulator --auto-verify` server (moto's tests verify an identity and send at once,
as SES allows only after its checks) and runs that file with pytest in a subprocess in
moto's server mode (`TEST_SERVER_MODE=true`: every `mock_aws` resets the server through
`/moto-api/reset` and points boto3 at `TEST_SERVER_MODE_ENDPOINT`).

Every test passes but those in `DIFFERENCES`, the one list of where the emulator means to
answer otherwise than moto: it follows SES (the botocore model, ses-tenants.md §7) where
moto does not. The main run names every other test (exact node ids), and a second run
checks that each listed one still fails, so a difference that goes away is noticed and
taken off the list.
"""

import hashlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunningServer, start_server, stop_server

pytestmark = pytest.mark.server

VENDORED = Path(__file__).parent / "moto_sesv2"
SUITE = "tests/test_sesv2/test_sesv2.py"
SUITE_SHA256 = "ae5ad250ae540cfeb096290047c1c180262e93e2439c885413d651961e338eb1"
TESTS_IN_SUITE = 48

_MISSING_CONFIGURATION_SET = (
    "CreateEmailIdentity names a configuration set that does not exist: the emulator answers "
    "NotFoundException (a modeled error), moto keeps the dangling reference"
)
_MISSING_POOL = (
    "CreateConfigurationSet names, in DeliveryOptions.SendingPoolName, a dedicated IP pool "
    "that does not exist: the emulator answers NotFoundException, moto keeps the dangling "
    "reference (with the pool created first, the test passes)"
)

DIFFERENCES: dict[str, str] = {
    "test_send_raw_email": (
        "SentLast24Hours after one raw message with a Destination of 2 addresses (the same 2 "
        "as its To header): the emulator counts the 2 recipients SES sends to, moto adds the "
        "header's 2 to the Destination's 2 and counts 4"
    ),
    "test_create_email_identity": (
        "a new domain gets Easy DKIM as in SES (SigningEnabled, 3 tokens, RSA_2048_BIT, "
        "status PENDING until verified), where moto reports DKIM NOT_STARTED, disabled, "
        "RSA_1024_BIT; the test also expects the domain unverified, which --auto-verify "
        "changes, but it fails on DKIM without --auto-verify too"
    ),
    "test_delete_no_email_identity": (
        "DeleteEmailIdentity of an identity that does not exist answers NotFoundException "
        "(a modeled error), where moto succeeds"
    ),
    "test_get_email_identity": _MISSING_CONFIGURATION_SET
    + "; with the set created first, it still expects moto's DKIM NOT_STARTED (see "
    "test_create_email_identity)",
    "test_get_email_identity_w_dkim": _MISSING_CONFIGURATION_SET
    + " (with the set created first, the test passes)",
    "test_create_configuration_set": _MISSING_POOL,
    "test_get_configuration_set": _MISSING_POOL,
    "test_list_configuration_sets": _MISSING_POOL,
    "test_delete_configuration_set": _MISSING_POOL,
}
"""Test name in the vendored file -> why the emulator deliberately answers otherwise."""


@pytest.fixture(scope="module")
def peer_server() -> Iterator[RunningServer]:
    """An emulator of its own: the suite resets the server before each test."""
    running = start_server("--auto-verify")
    yield running
    stop_server(running)


def run_suite(url: str, report: Path, *args: str) -> tuple[dict[str, str], str]:
    """Run the vendored file in server mode: each test's outcome (from the JUnit report) and
    the tail of pytest's output, for the assertion message."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "MOTO_", "TEST_")) and key != "PYTHONPATH"
    }
    env.update(
        TEST_SERVER_MODE="true",
        TEST_SERVER_MODE_ENDPOINT=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    done = subprocess.run(
        [*command, "--junitxml", str(report), *args],
        cwd=VENDORED,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if not report.exists():
        raise AssertionError(f"the suite did not run:\n{done.stdout}\n{done.stderr}")
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcomes[case.get("name", "")] = "failed" if failed else "skipped" if skipped else "passed"
    return outcomes, done.stdout[-6000:]


def suite_tests() -> list[str]:
    """The names of the vendored file's tests, in order."""
    lines = (VENDORED / SUITE).read_text().splitlines()
    return [line[4:].split("(")[0] for line in lines if line.startswith("def test_")]


def node_ids(names: list[str]) -> list[str]:
    """Exact node ids: `--deselect` would match by prefix (test_get_email_identity would
    take test_get_email_identity_policies with it)."""
    return [f"{SUITE}::{name}" for name in names]


def test_the_vendored_file_is_moto_s_unmodified() -> None:
    assert hashlib.sha256((VENDORED / SUITE).read_bytes()).hexdigest() == SUITE_SHA256
    assert len(suite_tests()) == len(set(suite_tests())) == TESTS_IN_SUITE
    assert set(DIFFERENCES) <= set(suite_tests())


def test_moto_s_sesv2_tests_pass_against_the_emulator_but_the_listed_differences(
    peer_server: RunningServer, tmp_path: Path
) -> None:
    others = [name for name in suite_tests() if name not in DIFFERENCES]
    outcomes, output = run_suite(peer_server.url, tmp_path / "suite.xml", *node_ids(others))

    assert outcomes == dict.fromkeys(others, "passed"), output


def test_each_listed_difference_is_still_one(peer_server: RunningServer, tmp_path: Path) -> None:
    outcomes, output = run_suite(
        peer_server.url, tmp_path / "differences.xml", *node_ids(list(DIFFERENCES))
    )

    assert outcomes == dict.fromkeys(DIFFERENCES, "failed"), output
