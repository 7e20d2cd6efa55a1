"""`sesmigrate demo` runs the whole journey, writes only into its folder, restores the account."""

import re
from pathlib import Path

import pytest

from sesmigrate.cli import main
from sesmigrate.planning.plan import read_plan
from sesmigrate.planning.snapshot import read_inventory


def test_demo_runs_the_journey_with_monitoring_writes_its_reports_and_restores_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    folder = tmp_path / "demo"

    code = main(["demo", "--customers", "9", "--seed", "3", "--dir", str(folder)])

    out = capsys.readouterr().out
    assert code == 0
    assert "the account's tenants are exactly as they began; its monitoring is removed." in out
    assert "its latest event in /aws/ses/tenants: Sending Status Disabled (DISABLED" in out
    assert list(elsewhere.iterdir()) == []
    for name in ("report.html", "report.md", "report.json", "report.txt", "iam.json"):
        assert (folder / name).stat().st_size > 0
    inventory = read_inventory((folder / "inventory.json").read_text())
    plan = read_plan((folder / "plans" / "tiered.plan.json").read_text())
    assert plan.fingerprint == inventory.fingerprint()
    assert len(list((folder / "cutover").glob("*.md"))) == 9
    steps = [line[:3] for line in out.splitlines() if re.match(r"^\d\. ", line)]
    assert steps == [f"{n}. " for n in range(1, 9)]


def test_demo_with_the_isolated_strategy_also_restores_the_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--customers", "5", "--strategy", "isolated", "--dir", str(tmp_path)])

    assert code == 0
    assert "exactly as they began" in capsys.readouterr().out
