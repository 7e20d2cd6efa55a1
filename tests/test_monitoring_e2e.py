"""Monitoring end to end through the CLI: plan, apply, a paused tenant's event, status, rollback.

The chain under test is the one an operator relies on: the plan's monitoring actions make
the rule, its target, the log group and its resource policy; SES (the emulator) puts a
tenant's pause on the default bus; EventBridge delivers it to the log group; `status`
shows it; rollback removes what the migration made and nothing else.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.cli import main
from sesmigrate.planning.plan import checksum_of, read_plan
from sesmigrate.state.journal import APPLY, SqliteJournal, migration_journal_path

LOG_GROUP = "/aws/ses/tenants"
RULE = "sesmigrate-watched"


def spec_file(tmp_path: Path, log_group: str = LOG_GROUP) -> Path:
    path = tmp_path / "watched.toml"
    path.write_text(
        'name = "watched"\nstrategy = "isolated"\n\n[cohorts]\ncanary = 2\nwave_size = 3\n\n'
        f'[monitoring]\nlog_group = "{log_group}"\n'
    )
    return path


class Cli:
    """`sesmigrate` as a user runs it, against the test's emulator."""

    def __init__(self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
        self.capsys = capsys
        self.common = ["--region", "us-east-1", "--state-dir", str(tmp_path / "state")]
        if emulator.endpoint_url:
            self.common += ["--endpoint-url", emulator.endpoint_url]

    def __call__(self, *argv: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([*argv, *(self.common if argv[0] != "show" else ())])
        captured = self.capsys.readouterr()
        self.err = captured.err
        return code, captured.out


def planned(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], customers: int
) -> tuple[Cli, Path]:
    """An account of `customers`, and the monitored plan a user writes for it."""
    emulator.control.load_realistic_account(customers, 4)
    cli = Cli(emulator, tmp_path, capsys)
    plan = tmp_path / "watched.plan.json"
    assert cli("plan", str(spec_file(tmp_path)), "-o", str(plan))[0] == 0
    return cli, plan


def monitoring_state(emulator: Any) -> dict[str, Any]:
    events, logs = emulator.client("events"), emulator.client("logs")
    rules = {r["Name"]: r for r in events.list_rules(EventBusName="default")["Rules"]}
    return {
        "rules": sorted(rules),
        "targets": {
            name: sorted(t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"])
            for name in rules
        },
        "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
        "policies": sorted(
            p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]
        ),
    }


def foreign_monitoring(emulator: Any) -> None:
    """Someone else's rule, log group and logs policy, which the migration must not touch."""
    events, logs = emulator.client("events"), emulator.client("logs")
    logs.create_log_group(logGroupName="/team/app")
    events.put_rule(Name="team-ec2", EventPattern=json.dumps({"source": ["aws.ec2"]}))
    events.put_targets(
        Rule="team-ec2",
        Targets=[{"Id": "app", "Arn": "arn:aws:logs:us-east-1:123456789012:log-group:/team/app"}],
    )
    logs.put_resource_policy(policyName="team-policy", policyDocument='{"Statement": []}')


def canary_tenant(plan_path: Path) -> str:
    plan = read_plan(plan_path.read_text())
    first = plan.cohorts[0].customers[0]
    return next(c.tenant for c in plan.customers if c.id == first)


def test_monitoring_is_made_by_the_canary_reports_a_pause_and_is_removed_by_rollback(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.control.load_realistic_account(8, 4)
    foreign_monitoring(emulator)
    before = monitoring_state(emulator)
    cli = Cli(emulator, tmp_path, capsys)
    plan = tmp_path / "watched.plan.json"

    code, _ = cli("plan", str(spec_file(tmp_path)), "-o", str(plan))
    assert code == 0
    code, shown = cli("show", str(plan), "--format", "json")
    report = json.loads(shown)
    canary = report["cohorts"][0]
    assert canary["name"] == "canary"
    assert {a["kind"] for a in canary["actions"] if a["tenant"] is None} == {
        "create_log_group",
        "put_logs_policy",
        "put_rule",
        "put_target",
    }
    assert report["monitoring"] == {
        "log_group": LOG_GROUP,
        "rule": RULE,
        "changes": 4,
        "cohort": "canary",
    }

    code, _ = cli("apply", str(plan), "--auto-approve")
    assert code == 0
    after_apply = monitoring_state(emulator)
    assert after_apply["rules"] == sorted([*before["rules"], RULE])
    assert after_apply["targets"][RULE] == ["sesmigrate-log-group"]
    assert LOG_GROUP in after_apply["log_groups"]
    assert after_apply["policies"] == sorted([*before["policies"], RULE])

    code, replanned = cli("plan", str(spec_file(tmp_path)), "-o", str(tmp_path / "again.json"))
    assert code == 0
    assert "already in place" in replanned

    paused = canary_tenant(plan)
    emulator.control.raise_finding(paused, "HIGH")
    logged = emulator.client("logs").filter_log_events(logGroupName=LOG_GROUP)["events"]
    assert any(
        json.loads(e["message"])["detail-type"] == "Sending Status Disabled"
        and paused in json.loads(e["message"])["resources"][0]
        for e in logged
    )
    code, text = cli("status", str(plan))
    assert code == 0
    assert f"tenant {paused}: Sending Status Disabled (DISABLED, REPUTATION_POLICY)" in text
    code, as_json = cli("status", str(plan), "--format", "json")
    latest = json.loads(as_json)["monitoring"]["latest_events"]
    assert list(latest) == [paused]
    assert latest[paused]["detail_type"] == "Sending Status Disabled"
    assert latest[paused]["origin"] == "REPUTATION_POLICY"

    code, _ = cli("rollback", str(plan), "--auto-approve", "--allow-irreversible")
    assert code == 0
    assert monitoring_state(emulator) == before
    warned = cli.err
    assert f"rollback will delete CloudWatch Logs group {LOG_GROUP} and the events it holds" in (
        " ".join(warned.split())
    )


def test_rollback_keeps_an_existing_log_group_it_adopted(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.control.load_realistic_account(6, 4)
    emulator.client("logs").create_log_group(logGroupName=LOG_GROUP)
    cli = Cli(emulator, tmp_path, capsys)
    plan = tmp_path / "watched.plan.json"

    assert cli("plan", str(spec_file(tmp_path)), "-o", str(plan))[0] == 0
    kinds = {s.action.kind for s in read_plan(plan.read_text()).steps}
    assert "create_log_group" not in kinds
    assert cli("apply", str(plan), "--auto-approve")[0] == 0
    assert cli("rollback", str(plan), "--auto-approve", "--allow-irreversible")[0] == 0

    state = monitoring_state(emulator)
    assert state["log_groups"] == [LOG_GROUP]
    assert state["rules"] == []
    assert state["policies"] == []


def test_rolling_back_the_canary_keeps_monitoring_while_a_wave_stays_applied(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, plan = planned(emulator, tmp_path, capsys, customers=8)
    assert cli("apply", str(plan), "--auto-approve", "--cohort", "canary")[0] == 0
    assert cli("apply", str(plan), "--auto-approve", "--cohort", "wave-1")[0] == 0

    assert (
        cli("rollback", str(plan), "--auto-approve", "--allow-irreversible", "--cohort", "canary")[
            0
        ]
        == 0
    )
    kept = monitoring_state(emulator)
    assert (
        cli("rollback", str(plan), "--auto-approve", "--allow-irreversible", "--cohort", "all")[0]
        == 0
    )

    assert kept["rules"] == [RULE]
    assert LOG_GROUP in kept["log_groups"]
    assert monitoring_state(emulator)["rules"] == []
    assert LOG_GROUP not in monitoring_state(emulator)["log_groups"]


def test_monitoring_added_after_a_migration_is_removed_by_its_own_rollback(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.control.load_realistic_account(6, 4)
    cli = Cli(emulator, tmp_path, capsys)
    first, second = tmp_path / "first.plan.json", tmp_path / "second.plan.json"
    spec = spec_file(tmp_path)
    unwatched = tmp_path / "unwatched.toml"
    unwatched.write_text(spec.read_text().replace("[monitoring]", "[monitoring]\nenabled = false"))
    assert cli("plan", str(unwatched), "-o", str(first))[0] == 0
    assert cli("apply", str(first), "--auto-approve", "--cohort", "all")[0] == 0
    before = monitoring_state(emulator)

    assert cli("plan", str(spec), "-o", str(second))[0] == 0
    steps = read_plan(second.read_text()).steps
    assert {s.cohort for s in steps} == {"canary"}
    assert all(s.action.tenant_name is None for s in steps)
    assert cli("apply", str(second), "--auto-approve")[0] == 0
    assert cli("rollback", str(second), "--auto-approve", "--allow-irreversible")[0] == 0

    assert monitoring_state(emulator) == before


def test_an_existing_log_group_outside_aws_ses_is_adopted_not_created(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.control.load_realistic_account(4, 4)
    emulator.client("logs").create_log_group(logGroupName="/team/ses-events")
    cli = Cli(emulator, tmp_path, capsys)
    plan = tmp_path / "watched.plan.json"

    assert cli("plan", str(spec_file(tmp_path, "/team/ses-events")), "-o", str(plan))[0] == 0

    kinds = {s.action.kind for s in read_plan(plan.read_text()).steps}
    assert "create_log_group" not in kinds
    assert {"put_logs_policy", "put_rule", "put_target"} <= kinds


def test_apply_refuses_a_resealed_plan_whose_target_points_elsewhere_and_changes_nothing(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, plan = planned(emulator, tmp_path, capsys, customers=4)
    document = json.loads(plan.read_text())
    step = next(s for s in document["steps"] if s["action"]["kind"] == "put_target")
    spy = {"Arn": "arn:aws:sns:us-east-1:999999999999:spy", "Id": "sesmigrate-log-group"}
    step["action"]["target"] = json.dumps(spy, sort_keys=True, separators=(",", ":"))
    body = {k: v for k, v in document.items() if k != "checksum"}
    plan.write_text(json.dumps({**body, "checksum": checksum_of(body)}))
    before = monitoring_state(emulator)

    code, _ = cli("apply", str(plan), "--auto-approve")

    lines = [line for line in cli.err.splitlines() if line.strip()]
    assert code == 1
    assert len(lines) == 1
    assert "put_target is not what this sesmigrate makes of its spec" in lines[0]
    assert monitoring_state(emulator) == before
    assert cli("show", str(plan))[0] == 0


def test_rolling_back_the_canary_keeps_monitoring_while_a_wave_was_interrupted(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, plan = planned(emulator, tmp_path, capsys, customers=8)
    assert cli("apply", str(plan), "--auto-approve", "--cohort", "canary")[0] == 0
    sealed = read_plan(plan.read_text())
    interrupted = next(s for s in sealed.steps if s.cohort == "wave-1")
    journal = SqliteJournal(
        migration_journal_path(tmp_path / "state", sealed.account, sealed.region, sealed.migration),
        sealed.checksum,
    )
    journal.intent(interrupted.action.key, APPLY, "wave-1")
    journal.close()

    assert (
        cli("rollback", str(plan), "--auto-approve", "--allow-irreversible", "--cohort", "canary")[
            0
        ]
        == 0
    )

    assert monitoring_state(emulator)["rules"] == [RULE]
