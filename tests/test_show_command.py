"""`sesmigrate show`: every report format, the IAM policies and the cut-over kit from a plan
file, offline; and the one-line refusals of a tampered, missing or foreign file."""

import json
import os
import re
import socket
from pathlib import Path

import pytest

from sesmigrate.cli import main
from sesmigrate.planning.naming import tenant_name
from sesmigrate.planning.plan import Plan, plan_to_json
from sesmigrate.report import FORMATS, render
from sesmigrate.report.kits import (
    cutover_combined,
    cutover_pages,
    iam_document,
    onboarding_policy,
)
from tests.report.conftest import MULLER, SCRIPT, small_plan

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def plan() -> Plan:
    return small_plan()


@pytest.fixture
def plan_file(tmp_path: Path, plan: Plan) -> Path:
    path = tmp_path / "golden.plan.json"
    path.write_text(plan_to_json(plan), encoding="utf-8")
    return path


def one_line(err: str) -> str:
    """The error's only line; fails if there is none or more than one."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


class TestShowReports:
    @pytest.mark.parametrize("fmt", FORMATS)
    def test_show_prints_each_format_to_stdout(
        self, plan: Plan, plan_file: Path, fmt: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", str(plan_file), "--format", fmt]) == 0

        captured = capsys.readouterr()
        assert ANSI.sub("", captured.out) == render(plan, fmt, source=str(plan_file))
        assert captured.err == ""

    def test_show_prints_the_text_report_by_default(
        self, plan: Plan, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", str(plan_file)]) == 0

        out = ANSI.sub("", capsys.readouterr().out)
        assert out == render(plan, "text")
        assert "[IRREVERSIBLE]" in out

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_show_writes_each_format_to_the_output_file(
        self,
        plan: Plan,
        plan_file: Path,
        tmp_path: Path,
        fmt: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        target = tmp_path / "out" / f"report.{fmt}"

        assert main(["show", str(plan_file), "--format", fmt, "-o", str(target)]) == 0

        text = render(plan, fmt, source=str(plan_file))
        assert target.read_text(encoding="utf-8") == text
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == f"Wrote the {fmt} report ({len(text):,} characters) to {target}\n"

    def test_show_json_report_is_machine_readable(
        self, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", str(plan_file), "--format", "json"]) == 0

        document = json.loads(capsys.readouterr().out)
        assert document["format_version"] == 6
        assert [c["name"] for c in document["cohorts"]] == ["canary", "wave-1", "cleanup"]
        assert all(c["estimate"]["seconds"] > 0 for c in document["cohorts"])


class TestShowKits:
    def test_show_iam_prints_the_iam_document(
        self, plan: Plan, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", str(plan_file), "--iam"]) == 0

        out = capsys.readouterr().out
        assert out == iam_document(plan)
        assert json.loads(out)["operator_policy"]["Version"] == "2012-10-17"

    def test_show_iam_prints_the_onboarding_roles_policy(
        self, plan: Plan, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", str(plan_file), "--iam"]) == 0

        shown = json.loads(capsys.readouterr().out)["onboarding_role_policy"]
        assert shown == onboarding_policy(plan)
        assert "ses:CreateTenant" in json.dumps(shown)

    def test_show_iam_writes_the_iam_document_to_the_output_file(
        self, plan: Plan, plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "iam.json"

        assert main(["show", str(plan_file), "--iam", "-o", str(target)]) == 0

        assert target.read_text(encoding="utf-8") == iam_document(plan)
        captured = capsys.readouterr()
        assert captured.out == ""
        assert one_line(captured.err).startswith("Wrote the IAM policies (")
        assert captured.err.rstrip().endswith(f"to {target}")

    def test_show_cutover_writes_one_page_per_customer_into_the_folder(
        self, plan: Plan, plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        folder = tmp_path / "kit"

        assert main(["show", str(plan_file), "--cutover", str(folder)]) == 0

        written = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
        assert written == {
            f"{tenant_name(customer)}.md": page for customer, page in cutover_pages(plan).items()
        }
        assert f"{tenant_name(SCRIPT)}.md" in written
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == (
            f"Wrote {len(written)} cut-over page(s), one per customer, into {folder}\n"
        )

    def test_show_cutover_file_writes_the_combined_kit(
        self, plan: Plan, plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "cutover.md"

        assert main(["show", str(plan_file), "--cutover-file", str(target)]) == 0

        text = target.read_text(encoding="utf-8")
        assert text == cutover_combined(plan)
        assert "## Customer `Müller & Söhne`" in text
        captured = capsys.readouterr()
        assert MULLER not in captured.out
        assert captured.err == f"Wrote the cut-over kit ({len(text):,} characters) to {target}\n"

    def test_show_cutover_with_a_format_also_prints_that_report(
        self, plan: Plan, plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        folder = tmp_path / "kit"

        assert main(["show", str(plan_file), "--cutover", str(folder), "--format", "markdown"]) == 0

        assert capsys.readouterr().out == render(plan, "markdown", source=str(plan_file))
        assert len(list(folder.iterdir())) == 3


class TestShowRefusals:
    def test_show_refuses_a_plan_changed_by_one_byte(
        self, plan_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        text = plan_file.read_text(encoding="utf-8")
        tampered = text.replace("2026-01-01T00:00:00", "2026-01-02T00:00:00", 1)
        assert len(tampered) == len(text)
        assert sum(a != b for a, b in zip(text, tampered, strict=True)) == 1
        plan_file.write_text(tampered, encoding="utf-8")
        target = tmp_path / "report.html"

        assert main(["show", str(plan_file), "--format", "html", "-o", str(target)]) == 1

        captured = capsys.readouterr()
        assert "checksum does not match" in one_line(captured.err)
        assert str(plan_file) in captured.err
        assert captured.out == ""
        assert not target.exists()

    def test_show_refuses_a_missing_plan_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        missing = tmp_path / "nowhere.plan.json"

        assert main(["show", str(missing)]) == 1

        assert f"plan {missing} does not exist" in one_line(capsys.readouterr().err)

    def test_show_refuses_json_that_is_not_a_plan(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        other = tmp_path / "inventory.json"
        other.write_text('{"format": "sesmigrate-inventory", "resources": []}\n', "utf-8")

        assert main(["show", str(other)]) == 1

        assert "not a sesmigrate plan" in one_line(capsys.readouterr().err)

    def test_show_refuses_a_file_that_is_not_json(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        other = tmp_path / "notes.txt"
        other.write_text("plan: yes\n", "utf-8")

        assert main(["show", str(other)]) == 1

        assert "not valid JSON" in one_line(capsys.readouterr().err)

    def test_show_refuses_an_unknown_format(
        self, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["show", str(plan_file), "--format", "pdf"]) == 1

        captured = capsys.readouterr()
        line = one_line(captured.err)
        assert "'pdf' is not one of" in line
        assert "--format" in line
        assert captured.out == ""


def test_show_needs_no_aws_credentials_or_network(
    plan: Plan, plan_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(plan_file.parent))
    connections: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        connections.append(args)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    for argv in (["--format", "html"], ["--iam"], ["--format", "json"]):
        assert main(["show", str(plan_file), *argv]) == 0

    captured = capsys.readouterr()
    assert captured.out == render(plan, "html") + iam_document(plan) + render(plan, "json")
    assert captured.err == ""
    assert connections == []


@pytest.fixture(scope="module")
def tiered_plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`plans/tiered.toml` (associate-all, vip suppression, monitoring) planned through the
    CLI over a realistic 150-customer inventory with unowned and shared resources."""
    from sesmigrate.emulator.accounts import as_inventory, realistic_account

    folder = tmp_path_factory.mktemp("tiered")
    inventory = folder / "inventory.json"
    inventory.write_text(as_inventory(realistic_account(150, 1)).to_json("t"), encoding="utf-8")
    target = folder / "tiered.plan.json"
    spec = Path(__file__).parent.parent / "plans" / "tiered.toml"
    argv = ["plan", str(spec), "--inventory", str(inventory), "-o", str(target)]
    assert main([*argv, "--state-dir", str(folder / "state")]) == 0
    return target


def shown(plan_file: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["show", str(plan_file), *args]) == 0
    return ANSI.sub("", capsys.readouterr().out)


class TestShowNotices:
    def test_plan_file_seals_the_ownership_findings_plan_printed(
        self, tiered_plan_file: Path
    ) -> None:
        document = json.loads(tiered_plan_file.read_text(encoding="utf-8"))
        subjects = {n["subject"] for n in document["notices"]}

        assert "identity ops-alerts@example.org" in subjects
        assert "configuration-set free-tier-shared" in subjects
        assert "warnings" not in document

    @pytest.mark.parametrize("args", [(), ("--format", "html"), ("--format", "markdown", "--full")])
    def test_show_lists_each_notice_with_its_consequence(
        self, tiered_plan_file: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
    ) -> None:
        out = re.sub(r"<[^>]+>", "", shown(tiered_plan_file, capsys, *args))
        out = out.replace("&#64;", "@").replace("&#39;", "'")

        assert "ops-alerts@example.org: not migrated: it keeps sending without a tenant" in out
        assert "free-tier-shared: shared by" in out
        assert "associated with each of their tenants" in out

    def test_show_json_lists_notices_by_severity_with_customers_of_shared_resources(
        self, tiered_plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        report = json.loads(shown(tiered_plan_file, capsys, "--format", "json"))
        shared = next(n for n in report["notices"] if n["kind"] == "shared configuration-set")

        assert report["summary"]["notices"]["warning"] >= 4
        assert len(shared["customers"]) > 1
        assert [n["severity"] for n in report["notices"]] == sorted(
            (n["severity"] for n in report["notices"]),
            key=["blocker", "warning", "note"].index,
        )

    @pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
    def test_show_never_warns_that_templates_associate_all_associates_are_rejected(
        self, tiered_plan_file: Path, capsys: pytest.CaptureFixture[str], fmt: str
    ) -> None:
        out = shown(tiered_plan_file, capsys, "--format", fmt)
        full = shown(tiered_plan_file, capsys, "--format", fmt, "--full")

        assert "rejected unless" not in out + full
        assert "associates it with every tenant" in full

    def test_show_gives_every_tenant_its_policy_suppression_templates_and_monitoring(
        self, tiered_plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        report = json.loads(shown(tiered_plan_file, capsys, "--format", "json"))
        text = shown(tiered_plan_file, capsys)
        vip = next(t for t in report["tenants"] if t["tier"] == "vip")
        line = next(line for line in text.splitlines() if line.startswith(f"  {vip['name']} ("))

        assert vip["suppression"] == {"reasons": ["BOUNCE", "COMPLAINT"], "scope": "TENANT"}
        assert {"invoice-ready", "password-reset"} <= set(vip["associated"]["templates"])
        assert all(t["monitored"] for t in report["tenants"])
        assert "strict reputation policy; suppressing BOUNCE, COMPLAINT at TENANT scope" in line
        assert "events monitored" in line
        assert "invoice-ready" in line and "password-reset" in line


class TestShowParts:
    @pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
    def test_show_cohort_shows_only_that_cohort_in_every_format(
        self, plan_file: Path, capsys: pytest.CaptureFixture[str], fmt: str
    ) -> None:
        out = shown(plan_file, capsys, "--cohort", "canary", "--format", fmt, "--full")

        assert "tier-free" in out
        assert "script-alert-1-script" not in out
        assert "old-promo" not in out.replace("tenant old-promo is managed", "")

    def test_show_customer_keeps_its_tenant_its_cohort_and_its_notices(
        self, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        report = json.loads(shown(plan_file, capsys, "--customer", MULLER, "--format", "json"))
        subjects = {n["subject"] for n in report["notices"]}

        assert report["part"] == {"cohort": None, "customer": MULLER}
        assert [t["name"] for t in report["tenants"]] == ["tier-free"]
        assert [c["name"] for c in report["cohorts"]] == ["canary", "cleanup"]  # its tenant's
        assert [c["customers"] for c in report["cohorts"]] == [[MULLER], []]
        assert "configuration-set bold-mail" in subjects  # shared with MULLER
        assert "identity ops@bold.example" not in subjects  # another customer's blocker

    @pytest.mark.parametrize(
        ("flag", "name", "words"),
        [
            ("--cohort", "wave1", "the plan has no cohort 'wave1'; did you mean 'wave-1'?"),
            ("--customer", "Muller & Sohne", f"did you mean {MULLER!r}?"),
        ],
    )
    def test_show_refuses_an_unknown_part_with_one_line_and_a_suggestion(
        self,
        plan_file: Path,
        capsys: pytest.CaptureFixture[str],
        flag: str,
        name: str,
        words: str,
    ) -> None:
        assert main(["show", str(plan_file), flag, name, "--format", "json"]) == 1

        captured = capsys.readouterr()
        assert words in one_line(captured.err)
        assert captured.out == ""


class TestShowMarkdownSummary:
    def test_show_markdown_is_a_summary_pointing_at_the_full_report(
        self, plan_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        summary = shown(plan_file, capsys, "--format", "markdown")
        full = shown(plan_file, capsys, "--format", "markdown", "--full")

        assert len(summary) < len(full)
        assert "<details>" not in summary and "<details>" in full
        assert f"`sesmigrate show {plan_file} --format markdown --full`" in summary
        assert "### Irreversible actions (1)" in summary
        assert "- delete tenant old-promo" in summary
        assert "### Blockers (1)" in summary
        assert "| warning | unowned identity | 1 |" in summary
        assert "| tier-free | 2 | standard reputation policy;" in summary
        assert re.search(r"Plan sha256:[0-9a-f]{64}", summary)
