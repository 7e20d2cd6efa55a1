"""The HTML report in a real browser: headless Chromium renders it without console errors.

Chromium comes from the distribution's packages: the fixture installs it with apt-get
when it is missing and this user may (root, apt-get present); anywhere it cannot be
installed, the tests are skipped with the reason.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.emulator.accounts import as_inventory, realistic_account
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import plan_to_json, read_plan
from sesmigrate.report import render

ROOT = Path(__file__).resolve().parents[2]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2000",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and cannot be: needs root and apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode:
            pytest.skip(f"Chromium could not be installed: {done.stderr.strip()[-300:]}")
    return shutil.which("chromium") or pytest.skip("apt-get installed no chromium binary")


def open_in_browser(chromium: str, page: Path, screenshot: Path) -> str:
    """Load `page`, save a screenshot, and return what the browser logged."""
    done = subprocess.run(
        [
            chromium,
            *FLAGS,
            f"--user-data-dir={page.parent / 'profile'}",
            f"--screenshot={screenshot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def console_errors(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if "CONSOLE" in line and ("Uncaught" in line or "Error" in line or "error" in line)
    ]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    inventory = folder / "inventory.json"
    inventory.write_text(as_inventory(realistic_account(25, 3)).to_json("test"))
    result = make_plan(
        PlanRequest(ROOT / "plans" / "tiered.toml", {}, inventory, AwsSettings(region="us-east-1"))
    )
    page = folder / "report.html"
    page.write_text(render(read_plan(plan_to_json(result.plan)), "html"))
    return page


def test_html_report_renders_in_chromium_without_console_errors(
    chromium: str, report_page: Path
) -> None:
    screenshot = report_page.parent / "report.png"

    log = open_in_browser(chromium, report_page, screenshot)

    assert console_errors(log) == []
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000


def test_console_error_check_sees_a_script_error(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>"
    )

    log = open_in_browser(chromium, page, tmp_path / "broken.png")

    assert console_errors(log)
