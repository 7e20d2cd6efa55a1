"""`sesmigrate plan` end to end against the emulator's realistic account."""

import json
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.actions.tenant import Action
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.plan import Plan, read_plan
from sesmigrate.planning.snapshot import read_inventory

PLANS = Path(__file__).resolve().parents[2] / "plans"


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {text!r}"
    return lines[0]


def request(emulator: Any, spec: Path | None = None, **overrides: Any) -> PlanRequest:
    return PlanRequest(
        spec_path=spec,
        overrides=overrides,
        inventory_path=None,
        aws=AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
    )


def apply_everything(ses: Any, plan: Plan) -> None:
    """Run every step in plan order, as apply will (without its journal and gates)."""
    for cohort in plan.cohorts:
        for batch in cohort.batches:
            for key in batch:
                action: Action = plan.step(key).action
                action.apply(ses, attempted_before=False)


http_only = pytest.mark.parametrize("emulator", ["http"], indirect=True)


@http_only
@pytest.mark.parametrize("spec", ["isolated.toml", "tiered.toml", "shared.toml"])
def test_plan_puts_every_owned_customer_in_exactly_one_cohort_canary_first(
    emulator: Any, spec: str
) -> None:
    emulator.control.load_realistic_account(30, 11)

    result = make_plan(request(emulator, PLANS / spec))

    cohorts = [c.name for c in result.plan.cohorts]
    listed = [customer for c in result.plan.cohorts for customer in c.customers]
    assert cohorts[0] == "canary"
    assert sorted(listed) == sorted(c.id for c in result.ownership.customers)
    assert len(listed) == len(set(listed)) == 30
    assert result.plan.has_changes


@http_only
@pytest.mark.parametrize("strategy", ["isolated", "tiered"])
def test_replan_after_a_full_apply_has_no_changes(emulator: Any, strategy: str) -> None:
    emulator.control.load_realistic_account(20, 2)
    first = make_plan(request(emulator, strategy=strategy)).plan

    apply_everything(emulator.ses, first)
    again = make_plan(request(emulator, strategy=strategy)).plan

    assert first.has_changes
    assert again.steps == ()
    assert {t.name for t in again.tenants} == {t.name for t in first.tenants}


@http_only
def test_every_customer_can_send_through_its_tenant_after_a_full_apply(emulator: Any) -> None:
    emulator.control.load_realistic_account(12, 5)
    result = make_plan(request(emulator, strategy="isolated"))

    apply_everything(emulator.ses, result.plan)

    tenant_of = {t.customers[0]: t.name for t in result.plan.tenants}
    for customer in result.ownership.customers:
        sender = next(i for i in customer.identities if "@" not in i)
        emulator.ses.send_email(
            FromEmailAddress=f"news@{sender}",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}},
            TenantName=tenant_of[customer.id],
        )
    assert len(emulator.control.sent_messages()) == len(result.ownership.customers)


@http_only
def test_plan_leaves_the_handmade_tenant_alone_and_reports_it(emulator: Any) -> None:
    emulator.control.load_realistic_account(10, 3)

    plan = make_plan(request(emulator, strategy="isolated")).plan

    assert plan.unmanaged == ("legacy-handmade",)
    assert all(step.action.tenant != "legacy-handmade" for step in plan.steps)


def test_plan_warns_about_a_tenant_whose_identities_are_all_unverified(emulator: Any) -> None:
    emulator.control.load_realistic_account(4, 3)
    emulator.control.set_auto_verify(False)
    emulator.ses.create_email_identity(
        EmailIdentity="newco.example.com", Tags=[{"Key": "customer", "Value": "newco"}]
    )

    plan = make_plan(request(emulator, strategy="isolated")).plan

    [notice] = [n for n in plan.notices if n.kind == "unverified identities"]
    tenant = next(c.tenant for c in plan.customers if c.id == "newco")
    assert (notice.subject, notice.customers) == (f"tenant {tenant}", ("newco",))
    assert "newco.example.com (PENDING)" in notice.message


class TestCommand:
    pytestmark = http_only

    def plan(self, emulator: Any, tmp_path: Path, *args: str) -> int:
        return main(
            [
                "plan",
                *args,
                "--endpoint-url",
                emulator.endpoint_url,
                "--region",
                "us-east-1",
                "-o",
                str(tmp_path / "out.plan.json"),
            ]
        )

    def test_plan_writes_a_sealed_plan_and_exits_2_with_changes(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(10, 3)

        code = self.plan(emulator, tmp_path, "--strategy", "tiered", "--detailed-exitcode")

        plan = read_plan((tmp_path / "out.plan.json").read_text())
        out = capsys.readouterr().out
        assert code == 2
        assert plan.spec["strategy"] == "tiered"
        assert "canary" in out
        assert "Unmanaged tenants left alone: legacy-handmade" in out

    def test_plan_from_an_inventory_file_needs_no_aws(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(8, 3)
        inventory = tmp_path / "inventory.json"
        assert (
            main(
                [
                    "scan",
                    "--endpoint-url",
                    emulator.endpoint_url,
                    "--region",
                    "us-east-1",
                    "-o",
                    str(inventory),
                ]
            )
            == 0
        )

        code = main(
            [
                "plan",
                "--inventory",
                str(inventory),
                "-o",
                str(tmp_path / "p.json"),
                "--endpoint-url",
                "http://127.0.0.1:9",
            ]
        )

        plan = read_plan((tmp_path / "p.json").read_text())
        assert code == 0
        assert plan.fingerprint == read_inventory(inventory.read_text()).fingerprint()

    def test_plan_exits_0_with_detailed_exitcode_when_nothing_changes(
        self, emulator: Any, tmp_path: Path
    ) -> None:
        emulator.control.load_realistic_account(6, 3)
        assert self.plan(emulator, tmp_path) == 0
        where = ("--endpoint-url", emulator.endpoint_url, "--region", "us-east-1")
        applied = main(
            ["apply", str(tmp_path / "out.plan.json"), "--cohort", "all", "--auto-approve", *where]
        )
        assert applied == 0
        (tmp_path / "out.plan.json").rename(tmp_path / "applied.plan.json")

        assert self.plan(emulator, tmp_path, "--detailed-exitcode") == 0

    def test_tenants_of_the_migration_made_without_this_state_refuse_the_plan(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(6, 3)
        apply_everything(emulator.ses, make_plan(request(emulator)).plan)
        capsys.readouterr()

        assert self.plan(emulator, tmp_path) == 1
        assert "this migration's state is elsewhere" in capsys.readouterr().err
        assert not (tmp_path / "out.plan.json").exists()

    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (["--strategy", "nonesuch"], "unknown strategy 'nonesuch'"),
            (["--inventory", "/nonexistent/inventory.json"], "does not exist"),
            (["--strategy", "shared"], "needs exactly one of group_tag or group_size"),
        ],
    )
    def test_plan_refuses_bad_input_with_one_line_and_writes_nothing(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        args: list[str],
        words: str,
    ) -> None:
        emulator.control.load_realistic_account(5, 3)

        assert self.plan(emulator, tmp_path, *args) == 1

        assert words in one_line(capsys.readouterr().err)
        assert not (tmp_path / "out.plan.json").exists()

    @pytest.mark.parametrize(
        ("content", "words"),
        [
            ("strategy = 'isolated'\nwave = 3\n", "unknown key wave"),
            ("[cohorts]\nwave_size = 'ten'\n", "cohorts.wave_size must be an integer"),
            ("strategy = \n", "not valid TOML"),
        ],
    )
    def test_plan_refuses_a_bad_spec_naming_the_key(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        content: str,
        words: str,
    ) -> None:
        spec = tmp_path / "bad.toml"
        spec.write_text(content)

        assert self.plan(emulator, tmp_path, str(spec)) == 1

        assert words in one_line(capsys.readouterr().err)
        assert not (tmp_path / "out.plan.json").exists()

    def test_plan_refuses_a_malformed_inventory(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        broken = tmp_path / "inventory.json"
        broken.write_text(json.dumps({"format": "sesmigrate-inventory", "format_version": 1}))

        assert self.plan(emulator, tmp_path, "--inventory", str(broken)) == 1

        assert "re-run 'sesmigrate scan'" in one_line(capsys.readouterr().err)


class TestNothingAcceptedSilently:
    """#18: a name that matches nothing, an empty region, a flag that drops spec keys."""

    pytestmark = http_only

    @staticmethod
    def where(emulator: Any) -> list[str]:
        return ["--endpoint-url", emulator.endpoint_url, "--region", "us-east-1"]

    def test_a_mistyped_tier_in_the_spec_is_one_line_with_did_you_mean_and_no_plan(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(12, 3)
        spec = tmp_path / "typo.toml"
        spec.write_text('strategy = "tiered"\n[reputation]\ntiers = { vipp = "strict" }\n')
        out = tmp_path / "p.plan.json"

        assert main(["plan", str(spec), "-o", str(out), *self.where(emulator)]) == 1

        line = one_line(capsys.readouterr().err)
        assert "[reputation] tiers names tier 'vipp'" in line
        assert "(did you mean 'vip'?" in line
        assert not out.exists()

    def test_a_mistyped_dedicated_tier_flag_is_refused(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(12, 3)
        argv = ["plan", "--strategy", "tiered", "--dedicated-tiers", "vipp"]

        assert main([*argv, "-o", str(tmp_path / "p.json"), *self.where(emulator)]) == 1

        assert "--dedicated-tiers names tier 'vipp'" in one_line(capsys.readouterr().err)

    def test_adopting_a_tenant_no_desired_tenant_uses_says_what_it_takes(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(8, 3)
        argv = ["plan", "--adopt", "legacy-handmade", "-o", str(tmp_path / "p.json")]

        assert main([*argv, *self.where(emulator)]) == 1

        line = one_line(capsys.readouterr().err)
        assert "--adopt legacy-handmade: no desired tenant is named 'legacy-handmade'" in line
        assert "a customer with id 'legacy-handmade'" in line
        assert not (tmp_path / "p.json").exists()

    def test_strategy_flag_drops_the_specs_options_of_another_strategy_with_a_warning(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(8, 3)
        out = tmp_path / "p.plan.json"
        argv = ["plan", str(PLANS / "shared.toml"), "--strategy", "isolated", "-o", str(out)]

        assert main([*argv, *self.where(emulator)]) == 0

        plan = read_plan(out.read_text())
        assert plan.spec["strategy"] == "isolated"
        assert plan.spec["strategy_options"] == {}
        assert (
            "--strategy isolated replaces the spec's strategy 'shared': its [strategy_options] "
            "group_size = 25 dropped (isolated does not take them)"
        ) in capsys.readouterr().out

    def test_plan_from_an_inventory_uses_the_ownership_rules_scan_was_made_with(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(8, 3)
        mapping = tmp_path / "owners.csv"
        mapping.write_text("ops-alerts@example.org,ops-team,free\n")
        inventory = tmp_path / "inventory.json"
        scan = ["scan", "--mapping", str(mapping), "-o", str(inventory)]
        assert main([*scan, *self.where(emulator)]) == 0
        mapping.unlink()
        out = tmp_path / "p.plan.json"

        assert main(["plan", "--inventory", str(inventory), "-o", str(out)]) == 0

        plan = read_plan(out.read_text())
        assert "ops-team" in [c for cohort in plan.cohorts for c in cohort.customers]
        assert (
            f"ownership: using the rules {inventory} was scanned with (tags 'customer'/'tier', "
            "1 mapping row(s)); the spec gives none beyond the defaults"
        ) in capsys.readouterr().out

    def test_scan_warns_of_a_mapping_row_that_names_no_resource_with_the_closest(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(8, 3)
        mapping = tmp_path / "owners.csv"
        mapping.write_text("ops-alerts@example.or,ops-team,free\n")
        scan = ["scan", "--mapping", str(mapping), "-o", str(tmp_path / "inventory.json")]

        assert main([*scan, *self.where(emulator), "--format", "json"]) == 0

        said = (
            "(customer 'ops-team') names no identity, configuration set or template of the "
            "account (did you mean 'ops-alerts@example.org'?)"
        )
        assert {"kind": "mapping row", "name": "ops-alerts@example.or", "message": said} in (
            json.loads(capsys.readouterr().out)["warnings"]
        )

    def test_an_empty_region_says_so_at_scan_and_at_plan(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        emulator.control.load_realistic_account(8, 3)
        monkeypatch.setenv("AWS_REGION", "eu-west-1")
        endpoint = ["--endpoint-url", emulator.endpoint_url]
        inventory = tmp_path / "inventory.json"

        assert main(["scan", "-o", str(inventory), *endpoint]) == 0
        scanned = capsys.readouterr().out
        assert main(["plan", "-o", str(tmp_path / "p.json"), *endpoint]) == 0
        planned = capsys.readouterr().out

        said = (
            "account 123456789012 has no identities and no configuration sets in eu-west-1, "
            "so there is nothing to migrate: check --region (or AWS_REGION) and --profile"
        )
        assert read_inventory(inventory.read_text()).account.region == "eu-west-1"
        assert f"Warning: {said}." in scanned.splitlines()[:2]
        assert said in planned
        assert said in read_plan((tmp_path / "p.json").read_text()).warnings
        assert main(["scan", "-o", str(inventory), "--format", "json", *endpoint]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert {"kind": "account", "name": "123456789012 eu-west-1", "message": said} in (
            summary["warnings"]
        )

    def test_the_default_plan_path_refuses_another_regions_plan(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        emulator.control.load_realistic_account(6, 3)
        monkeypatch.chdir(tmp_path)
        endpoint = ["--endpoint-url", emulator.endpoint_url]
        assert main(["plan", *endpoint, "--region", "us-east-1"]) == 0
        first = (tmp_path / "plans" / "isolated.plan.json").read_text()
        capsys.readouterr()

        assert main(["plan", *endpoint, "--region", "eu-west-1"]) == 1

        line = one_line(capsys.readouterr().err)
        assert (
            "plans/isolated.plan.json holds the plan for account 123456789012 in us-east-1" in line
        )
        assert "-o plans/isolated-eu-west-1.plan.json" in line
        assert (tmp_path / "plans" / "isolated.plan.json").read_text() == first
        assert main(["plan", *endpoint, "--region", "us-east-1"]) == 0

    def test_a_canary_larger_than_the_customers_in_the_spec_is_a_warning(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(6, 3)
        spec = tmp_path / "big.toml"
        spec.write_text('name = "big"\n[cohorts]\ncanary = 500\n')

        assert main(["plan", str(spec), "-o", str(tmp_path / "p.json"), *self.where(emulator)]) == 0

        assert (
            "cohorts.canary = 500 is more than the 6 customers: the canary holds all of them and "
            "no wave follows it"
        ) in capsys.readouterr().out

    def test_a_shared_canary_tenant_says_who_else_it_carries(self, emulator: Any) -> None:
        emulator.control.load_realistic_account(30, 3)

        plan = make_plan(request(emulator, PLANS / "shared.toml")).plan

        canary = plan.cohorts[0]
        said = [w for w in plan.warnings if w.startswith("canary tenant ses-group-0001")]
        assert canary.name == "canary" and len(canary.customers) == 2
        assert said and "also carries 23 customer(s) of later cohorts" in said[0]
        assert "the canary tries it with 2 of its 25 customers" in said[0]


@http_only
def test_a_new_tenant_with_the_standard_policy_gets_no_policy_line_in_the_shown_plan(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.control.load_realistic_account(20, 3)
    out = tmp_path / "p.plan.json"
    where = ["--endpoint-url", emulator.endpoint_url, "--region", "us-east-1"]
    assert main(["plan", str(PLANS / "tiered.toml"), "-o", str(out), *where]) == 0
    plan = read_plan(out.read_text())
    capsys.readouterr()

    assert main(["show", str(out)]) == 0

    shown = capsys.readouterr().out
    strict = {t.name for t in plan.tenants if t.policy == "strict"}
    standard = {t.name for t in plan.tenants if t.policy == "standard"}
    assert strict and standard
    assert "to standard" not in shown
    assert {s.action.tenant for s in plan.steps if s.action.kind == "set_policy"} == strict
    assert all(f"set reputation policy of {name} to strict" in shown for name in strict)
