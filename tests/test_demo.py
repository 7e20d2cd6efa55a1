"""`sesmigrate demo` runs the whole journey, writes only into its folder, restores the account;
its health gate reads the canary tenants' own mail: a stale list fails it, too little mail
leaves it inconclusive."""

import re
from pathlib import Path

import pytest

from sesmigrate.cli import main
from sesmigrate.planning.plan import read_plan
from sesmigrate.planning.snapshot import read_inventory


def canary_tenants(folder: Path, strategy: str) -> list[str]:
    """The canary's tenants, the first canary customer's (the one the demo sends as) first."""
    plan = read_plan((folder / "plans" / f"{strategy}.plan.json").read_text())
    first = next(c for c in plan.cohorts if c.name == "canary").customers[0]
    bouncing = next(c.tenant for c in plan.customers if c.id == first)
    others = sorted(t.name for t in plan.tenants if t.cohort == "canary" and t.name != bouncing)
    return [bouncing, *others]


def test_demo_gates_the_next_wave_on_the_canary_mail_writes_its_reports_and_restores_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    folder = tmp_path / "demo"

    code = main(["demo", "--customers", "9", "--seed", "3", "--dir", str(folder)])

    out = capsys.readouterr().out
    assert code == 0
    (tenant,) = canary_tenants(folder, "tiered")  # the free tier's, shared by the canary
    # the demo's clock moves on with the wall clock between its steps: 600s, or a second more
    assert re.search(
        re.escape(
            "refused it: health gate failed, 1 over the [gates] maximum rates: "
            f"{tenant} bounce rate 25.00% > 5.00% (5 of 20 sends) over "
        )
        + r"60[01]s since ",
        out,
    )
    assert "Nothing of wave-1 was made: the account's tenants are as the canary left them." in out
    assert (
        "so the gate stops again: health gate inconclusive, 1 tenant(s) without min_sends 20 "
        f"sends to judge: {tenant} low volume (5 sends < min_sends 20) over 3600s since "
    ) in out
    assert "Status: canary applied, wave-1 pending, wave-2 pending; 1 tenants, 1 unhealthy" in out
    assert "its latest event in /aws/ses/tenants: Sending Status Disabled (DISABLED" in out
    assert (
        "rollback read the tenants it would delete and refused, changing nothing: rolling "
        f"back canary would break the senders of 1 tenant(s) that sent in the last 3600s: "
        f"{tenant} (5 sends)"
    ) in out
    assert "rolled the canary back from the journal with --accept-recent-sends" in out
    assert "the account's tenants are exactly as they began; its monitoring is removed." in out
    assert list(elsewhere.iterdir()) == []
    for name in ("report.html", "report.md", "report.json", "report.txt", "iam.json"):
        assert (folder / name).stat().st_size > 0
    inventory = read_inventory((folder / "inventory.json").read_text())
    plan = read_plan((folder / "plans" / "tiered.plan.json").read_text())
    assert plan.fingerprint == inventory.fingerprint()
    assert plan.spec["gates"]["min_sends"] == 20
    assert "min_sends = 20" in (folder / "spec.toml").read_text()
    assert len(list((folder / "cutover").glob("*.md"))) == 9
    steps = [m.group() for line in out.splitlines() if (m := re.match(r"^\d+\. ", line))]
    assert steps == [f"{n}. " for n in range(1, 12)]


def test_demo_with_the_isolated_strategy_judges_each_canary_tenant_and_restores_the_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--customers", "5", "--strategy", "isolated", "--dir", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    bouncing, *quiet = canary_tenants(tmp_path, "isolated")
    assert len(quiet) == 2
    assert f"maximum rates: {bouncing} bounce rate 25.00% > 5.00% (5 of 20 sends)" in out
    assert "health gate inconclusive, 3 tenant(s) without min_sends 20 sends to judge" in out
    assert f"{bouncing} low volume (5 sends < min_sends 20)" in out
    for tenant in quiet:
        assert f"{tenant} no sends yet (its senders have not switched)" in out
    assert "exactly as they began" in out
