"""The command line contract: exit codes and one-line errors."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sesmigrate import __version__, cli
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import _fail_on, _resume, main
from sesmigrate.errors import SesmigrateError
from sesmigrate.planning.snapshot import read_inventory
from sesmigrate.running.apply import ApplyReport, RunOptions
from sesmigrate.running.executor import RunResult
from sesmigrate.running.soak import SOAK_EXIT_STATUS

CONTRACT = ("scan", "plan", "show", "apply", "rollback", "status", "unlock", "demo", "emulator")


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {text!r}"
    return lines[0]


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0

    assert capsys.readouterr().out.strip() == f"sesmigrate {__version__}"


def test_no_arguments_shows_help_listing_every_contract_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0

    out = capsys.readouterr().out
    assert all(command in out for command in CONTRACT)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["no-such-command"], "No such command"),
        (["emulator", "--port", "abc"], "--port"),
        (["emulator", "--op-rate", "CreateTenant"], "OPERATION=RATE"),
        (["emulator", "--op-rate", "CreateTenants=1"], "not an SES v2 operation"),
        (["emulator", "--op-rate", "CreateTenant=-1"], "positive"),
        (["emulator", "--fault-rate", "2"], "--fault-rate"),
        (["emulator", "--lost-response-rate", "1.5"], "--lost-response-rate"),
        (["emulator", "--lost-response-kinds", "500,timeout"], "not timeout"),
        (["emulator", "--lost-response-kinds", ","], "--lost-response-kinds"),
        (["emulator", "--slow-response-ms", "-1"], "--slow-response-ms"),
        (["demo", "--customers", "0"], "--customers"),
        (["demo", "--customers", "1"], "--customers"),
    ],
)
def test_usage_error_exits_1_with_one_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1

    assert words in one_line(capsys.readouterr().err)


def test_console_script_maps_errors_to_exit_1() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sesmigrate.cli", "show", "/nonexistent.plan.json"],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert one_line(result.stderr).startswith("Error:")


class TestScan:
    pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)

    def scan(self, emulator, tmp_path, *extra: str) -> int:
        return main(
            [
                "scan",
                "--endpoint-url",
                emulator.endpoint_url,
                "--region",
                "us-east-1",
                "-o",
                str(tmp_path / "inventory.json"),
                *extra,
            ]
        )

    def test_scan_writes_the_inventory_and_prints_the_summary(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(12, 3)

        assert self.scan(emulator, tmp_path) == 0

        out = capsys.readouterr().out
        inventory = read_inventory((tmp_path / "inventory.json").read_text())
        assert len(inventory.identities) >= 12
        assert f"inventory written to {tmp_path / 'inventory.json'}" in out
        assert "legacy-handmade: not managed by sesmigrate" in out
        assert "free-tier-shared" in out
        assert "template password-reset: no rule assigns it" in out

    def test_scan_names_the_identities_that_are_not_verified(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(3, 3)
        emulator.control.set_auto_verify(False)
        emulator.ses.create_email_identity(EmailIdentity="pending.example.com")

        assert self.scan(emulator, tmp_path, "--format", "json") == 0

        summary = json.loads(capsys.readouterr().out)
        assert {"name": "pending.example.com", "status": "PENDING"} in summary["unverified"]
        assert self.scan(emulator, tmp_path) == 0
        assert "  identity pending.example.com: PENDING" in capsys.readouterr().out

    def test_scan_json_summary_is_machine_readable(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(12, 3)

        assert self.scan(emulator, tmp_path, "--format", "json") == 0

        summary = json.loads(capsys.readouterr().out)
        inventory = read_inventory((tmp_path / "inventory.json").read_text())
        assert summary["fingerprint"] == inventory.fingerprint()
        assert summary["counts"]["customers"] == 12
        assert sum(summary["customers_per_tier"].values()) == 12
        assert [t["name"] for t in summary["tenants"]] == ["legacy-handmade"]

    def test_scan_lists_the_rules_that_route_ses_events_and_their_targets(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        events = emulator.client("events")
        events.put_rule(Name="ses-watch", EventPattern=json.dumps({"source": ["aws.ses"]}))
        events.put_rule(Name="ec2-watch", EventPattern=json.dumps({"source": ["aws.ec2"]}))
        target = "arn:aws:logs:us-east-1:123456789012:log-group:/ops/ses"
        events.put_targets(Rule="ses-watch", Targets=[{"Id": "ops", "Arn": target}])

        assert self.scan(emulator, tmp_path) == 0
        out = capsys.readouterr().out
        assert self.scan(emulator, tmp_path, "--format", "json") == 0
        summary = json.loads(capsys.readouterr().out)

        assert f"EventBridge rules routing SES events:\n  ses-watch -> {target}" in out
        assert "ec2-watch" not in out
        assert summary["monitoring"] == {
            "scanned": True,
            "rules": [{"name": "ses-watch", "targets": [target]}],
        }

    def test_scan_reports_a_missing_configuration_set_as_a_blocker(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        ses = emulator.ses
        ses.create_configuration_set(ConfigurationSetName="doomed")
        ses.create_email_identity(
            EmailIdentity="acme.example.com",
            ConfigurationSetName="doomed",
            Tags=[{"Key": "customer", "Value": "acme"}],
        )
        ses.delete_configuration_set(ConfigurationSetName="doomed")

        assert self.scan(emulator, tmp_path) == 0

        out = capsys.readouterr().out
        assert "Blocks a migration:" in out
        assert "names configuration set 'doomed', which does not exist" in out

    def test_scan_applies_mapping_and_name_patterns(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        ses = emulator.ses
        ses.create_email_identity(EmailIdentity="acme.example.com")
        ses.create_email_template(TemplateName="globex--welcome", TemplateContent={"Subject": "s"})
        mapping = tmp_path / "owners.csv"
        mapping.write_text("resource,customer,tier\nacme.example.com,acme,pro\n")

        code = self.scan(
            emulator,
            tmp_path,
            "--format",
            "json",
            "--mapping",
            str(mapping),
            "--name-pattern",
            r"(?P<customer>[a-z]+)--.*",
        )

        summary = json.loads(capsys.readouterr().out)
        assert code == 0
        assert summary["counts"]["customers"] == 2
        assert summary["customers_per_tier"] == {"(none)": 1, "pro": 1}

    @pytest.mark.parametrize(
        ("content", "pattern", "words"),
        [
            ("a,b,c,d\n", None, "line 1: expected 'resource,customer[,tier]'"),
            (None, "(?P<customer>[a-z", "is not a valid regex"),
            (None, "(?P<owner>.*)", "no named group 'customer'"),
        ],
    )
    def test_scan_refuses_bad_rules_before_any_call_and_writes_nothing(
        self,
        emulator,
        tmp_path,
        capsys: pytest.CaptureFixture[str],
        content: str | None,
        pattern: str | None,
        words: str,
    ) -> None:
        extra = []
        if content is not None:
            (tmp_path / "owners.csv").write_text(content)
            extra += ["--mapping", str(tmp_path / "owners.csv")]
        if pattern is not None:
            extra += ["--name-pattern", pattern]

        assert self.scan(emulator, tmp_path, *extra) == 1

        assert words in one_line(capsys.readouterr().err)
        assert not (tmp_path / "inventory.json").exists()

    def test_scan_of_missing_mapping_file_is_one_line(
        self, emulator, tmp_path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert self.scan(emulator, tmp_path, "--mapping", str(tmp_path / "nope.csv")) == 1

        assert "does not exist" in one_line(capsys.readouterr().err)


def test_scan_without_credentials_is_one_line(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    assert main(["scan", "--region", "us-east-1", "-o", str(tmp_path / "i.json")]) == 1

    assert "no AWS credentials found" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "i.json").exists()


class TestResume:
    """The line that tells an interrupted or failed run's operator how to resume it."""

    def options(self, **given: object) -> RunOptions:
        settings = {k: given.pop(k) for k in ("region", "profile", "endpoint_url") if k in given}
        return RunOptions(Path("p.plan.json"), AwsSettings(**settings), **given)  # type: ignore[arg-type]

    def test_resume_repeats_plan_and_cohort_and_omits_default_state(self) -> None:
        line = _resume("rollback", Path("p.plan.json"), "all", self.options())

        assert line == "sesmigrate rollback p.plan.json --cohort all"

    def test_resume_repeats_state_journal_and_aws_target_quoted(self) -> None:
        options = self.options(
            state_dir=Path("my state"),
            journal=Path("j.sqlite"),
            region="eu-west-1",
            profile="ops",
            endpoint_url="http://127.0.0.1:4566",
        )

        line = _resume("apply", Path("p.plan.json"), None, options, skip_gates=True)

        assert line == (
            "sesmigrate apply p.plan.json --state-dir 'my state' --journal j.sqlite "
            "--skip-gates --region eu-west-1 --profile ops --endpoint-url http://127.0.0.1:4566"
        )

    def test_resume_never_repeats_an_endpoint_carrying_credentials(self) -> None:
        options = self.options(endpoint_url="https://key:secret@ses.example")

        assert "secret" not in _resume("apply", Path("p.plan.json"), None, options)

    def test_interrupted_message_names_the_resume_line(self) -> None:
        with pytest.raises(SesmigrateError) as caught:
            _fail_on(RunResult(interrupted=True), "sesmigrate apply p.plan.json --cohort all")

        assert str(caught.value) == (
            "interrupted; the journal is intact: re-run sesmigrate apply p.plan.json "
            "--cohort all to resume"
        )

    def test_failed_message_names_the_resume_line(self) -> None:
        with pytest.raises(SesmigrateError) as caught:
            _fail_on(RunResult(failed=[("k", "boom")]), "sesmigrate rollback p.plan.json")

        assert "re-run sesmigrate rollback p.plan.json to resume" in str(caught.value)


def test_apply_report_counts_the_actions_an_interrupted_run_did_not_reach() -> None:
    report = ApplyReport(
        cohorts=[("canary", RunResult(made=["a"], found=["b"], interrupted=True))],
        pending={"canary": 5, "wave-1": 7},
    )

    assert (report.not_run("canary"), report.not_run("wave-1")) == (3, 7)


@pytest.mark.parametrize("html_endpoint", [403], indirect=True)
@pytest.mark.parametrize("command", ["scan", "unlock"])
def test_an_endpoint_answering_html_is_one_short_error_line(
    html_endpoint: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["-o", str(tmp_path / "inventory.json")] if command == "scan" else []

    assert main([command, "--endpoint-url", html_endpoint, "--region", "us-east-1", *extra]) == 1

    line = one_line(capsys.readouterr().err)
    assert line.startswith("Error:") and "HTTP 403" in line
    assert "<" not in line and len(line) < 200
    assert not (tmp_path / "inventory.json").exists()


def test_readme_exit_code_table_lists_every_code_the_cli_returns() -> None:
    """The table is complete: every code a command can end with, and no other."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    table = {int(code) for code in re.findall(r"^\| `(\d+)` \|", section, re.MULTILINE)}
    source = Path(cli.__file__).read_text(encoding="utf-8")
    found = re.findall(r"typer\.Exit\((\d+)\)|return (\d+)\b", source)
    literal = {int(number) for pair in found for number in pair if number}

    assert table == {0, 1, 2, SOAK_EXIT_STATUS, cli.INTERRUPTED}
    assert literal <= table


def _broken(*_: object, **__: object) -> None:
    raise RuntimeError("unexpected state at https://user:secret@example.com/x")


def test_an_internal_error_is_one_redacted_line_naming_it_a_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    monkeypatch.setattr(cli, "load_plan", _broken)

    code = main(["status", str(tmp_path / "p.plan.json"), "--state-dir", str(tmp_path / "s")])

    line = one_line(capsys.readouterr().err)
    assert code == 1
    assert "internal error: RuntimeError: unexpected state at" in line
    assert "this is a bug in sesmigrate" in line and "SESMIGRATE_DEBUG=1" in line
    assert "secret" not in line


def test_sesmigrate_debug_shows_an_internal_errors_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    monkeypatch.setattr(cli, "load_plan", _broken)

    with pytest.raises(RuntimeError, match="unexpected state"):
        main(["status", str(tmp_path / "p.plan.json"), "--state-dir", str(tmp_path / "s")])
