"""Cohort membership is state: a re-plan keeps every customer in its cohort."""

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.errors import SesmigrateError
from sesmigrate.planning.build import PlanRequest, make_plan, save_membership
from sesmigrate.planning.graph import customer_cohorts, wave_sizes
from sesmigrate.planning.ownership import Customer
from sesmigrate.planning.plan import plan_to_json, read_plan
from sesmigrate.planning.spec import CohortSpec
from sesmigrate.state.journal import (
    APPLY,
    SqliteJournal,
    legacy_journal_path,
    migration_journal_path,
)
from sesmigrate.state.membership import (
    Membership,
    RecordedCohort,
    applied_cohorts,
    kept_membership,
    membership_path,
    read_membership,
    recorded_entries,
)
from tests.planning.test_graph import customer


def customers(count: int, tier: str = "free") -> tuple[Customer, ...]:
    return tuple(customer(f"c{n:05d}", tier) for n in range(count))


def recorded(
    named: list[tuple[str, tuple[str, ...]]], applied: frozenset[str] = frozenset()
) -> Membership:
    return Membership(tuple(RecordedCohort(n, ids, n in applied) for n, ids in named), (), "")


def cohort_of(named: list[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    return {c: name for name, ids in named for c in ids}


class TestSlicing:
    def test_the_default_keeps_ten_thousand_customers_to_at_most_eight_cohorts(self) -> None:
        named = customer_cohorts(customers(10_000), CohortSpec())

        assert [len(ids) for _, ids in named] == [3, 12, 48, 192, 768, 3072, 5905]
        assert len(named) + 1 <= 8  # a cleanup cohort may follow

    def test_growth_multiplies_each_wave_and_the_last_takes_the_rest(self) -> None:
        assert wave_sizes(100, CohortSpec(canary=2, growth=3)) == [6, 18, 54, 20]

    def test_a_fractional_growth_still_grows_every_wave(self) -> None:
        sizes = wave_sizes(30, CohortSpec(canary=1, growth=1.5))

        assert sizes == [2, 3, 5, 8, 11]
        assert all(b > a for a, b in pairwise(sizes))

    def test_percentages_are_cumulative_shares_of_all_customers(self) -> None:
        named = customer_cohorts(customers(1000), CohortSpec(canary=3, waves=(1, 10, 50, 100)))

        assert [(n, len(ids)) for n, ids in named] == [
            ("canary", 3),
            ("wave-1", 7),
            ("wave-2", 90),
            ("wave-3", 400),
            ("wave-4", 500),
        ]

    def test_percentages_round_up_skip_empty_steps_and_leave_no_one_out(self) -> None:
        assert wave_sizes(50, CohortSpec(canary=1, waves=(1, 2, 50))) == [24, 25]

    def test_a_canary_larger_than_the_account_takes_everyone(self) -> None:
        named = customer_cohorts(customers(4), CohortSpec(canary=10))

        assert [(n, len(ids)) for n, ids in named] == [("canary", 4)]


class TestKeptMembership:
    settings = CohortSpec(canary=3, growth=2)

    def test_one_new_customer_moves_nobody_else(self) -> None:
        before = customer_cohorts(customers(20), self.settings)
        newcomer = customer("a-first-by-risk", "free", identities=0)

        after, _ = kept_membership(
            (*customers(20), newcomer), self.settings, recorded(before), set()
        )

        old, new = cohort_of(before), cohort_of(after)
        assert {c: new[c] for c in old} == old
        assert new["a-first-by-risk"] != "canary"

    def test_a_fresh_slice_would_have_moved_them(self) -> None:
        before = cohort_of(customer_cohorts(customers(20), self.settings))
        newcomer = customer("a-first-by-risk", "free", identities=0)

        fresh = cohort_of(customer_cohorts((*customers(20), newcomer), self.settings))

        assert fresh["a-first-by-risk"] == "canary"
        assert any(fresh[c] != before[c] for c in before)

    def test_new_customers_fill_pending_waves_and_never_an_applied_one(self) -> None:
        before = customer_cohorts(customers(9), self.settings)  # canary 3, wave-1 6
        newcomers = tuple(customer(f"new{n}") for n in range(4))

        after, record = kept_membership(
            (*customers(9), *newcomers), self.settings, recorded(before), {"canary", "wave-1"}
        )

        placed = cohort_of(after)
        assert {placed[c.id] for c in newcomers} == {"wave-2"}
        assert [(c.name, c.applied) for c in record] == [
            ("canary", True),
            ("wave-1", True),
            ("wave-2", False),
        ]

    def test_new_customers_top_up_a_pending_wave_to_its_size_first(self) -> None:
        before = customer_cohorts(customers(7), self.settings)  # canary 3, wave-1 4
        newcomers = tuple(customer(f"new{n}") for n in range(5))

        after, _ = kept_membership(
            (*customers(7), *newcomers), self.settings, recorded(before), {"canary"}
        )

        # 12 customers slice as canary 3, wave-1 6, wave-2 3: wave-1 takes two, wave-2 three
        assert [(n, len(ids)) for n, ids in after] == [("canary", 3), ("wave-1", 6), ("wave-2", 3)]

    def test_a_removed_customer_drops_out_and_an_emptied_cohort_disappears(self) -> None:
        before = [("canary", ("gone",)), ("wave-1", ("c00000", "c00001"))]

        after, _ = kept_membership(customers(2), self.settings, recorded(before), {"canary"})

        assert after == [("wave-1", ("c00000", "c00001"))]

    def test_an_applied_cohort_keeps_its_members_through_a_reslice(self) -> None:
        before = [("canary", ("c00005",)), ("wave-1", ("c00000", "c00001"))]

        after, _ = kept_membership(
            customers(6), self.settings, recorded(before), {"canary"}, reslice=True
        )

        assert after[0] == ("canary", ("c00005",))
        assert sorted(c for _, ids in after for c in ids) == [f"c{n:05d}" for n in range(6)]

    def test_by_tier_a_new_customer_joins_the_pending_wave_of_its_tier(self) -> None:
        settings = CohortSpec(canary=0, by_tier=True)
        old = (customer("f1", "free"), customer("v1", "vip"))
        before = customer_cohorts(old, settings)
        newcomers = (customer("v2", "vip"), customer("p1", "pro"))

        after, _ = kept_membership((*old, *newcomers), settings, recorded(before), set())

        placed = cohort_of(after)
        assert placed["v2"] == placed["v1"]
        assert placed["p1"] == "wave-3"  # a tier of its own, numbered after the others


def test_applied_cohorts_are_those_any_plan_of_the_migration_journaled(tmp_path: Path) -> None:
    first, second = "sha256:" + "ab" * 32, "sha256:" + "cd" * 32
    path = migration_journal_path(tmp_path, "123456789012", "us-east-1", "acme")
    journal = SqliteJournal(path, first)
    journal.intent("create_tenant:x", APPLY, "canary")
    journal.for_plan(second).intent("create_tenant:y", APPLY, "wave-1")
    journal.close()

    entries = recorded_entries(tmp_path, "123456789012", "us-east-1", "acme", [first])

    assert applied_cohorts(entries) == {"canary", "wave-1"}


def test_a_recorded_plans_journal_of_an_earlier_version_is_read_too(tmp_path: Path) -> None:
    checksum = "sha256:" + "ab" * 32
    journal = SqliteJournal(legacy_journal_path(tmp_path, checksum), checksum)
    journal.intent("create_tenant:x", APPLY, "canary")
    journal.close()

    entries = recorded_entries(
        tmp_path, "123456789012", "us-east-1", "acme", [checksum, "sha256:" + "cd" * 32]
    )

    assert applied_cohorts(entries) == {"canary"}
    assert {e.tenant for e in entries} == {"x"}


def test_an_unreadable_record_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "cohorts.json"
    path.write_text("{not json")

    with pytest.raises(SesmigrateError, match=r"cohorts\.json is not readable"):
        read_membership(path)


http_only = pytest.mark.parametrize("emulator", ["http"], indirect=True)


def plan_request(emulator: Any, state_dir: Path, **overrides: Any) -> PlanRequest:
    return PlanRequest(
        spec_path=None,
        overrides=overrides,
        inventory_path=None,
        aws=AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url),
        state_dir=state_dir,
    )


def memberships(result: Any) -> dict[str, str]:
    return {c: cohort.name for cohort in result.plan.cohorts for c in cohort.customers}


@http_only
def test_a_replan_with_a_new_customer_keeps_everyone_in_the_cohort_recorded(
    emulator: Any, tmp_path: Path
) -> None:
    emulator.control.load_realistic_account(30, 11)
    first = make_plan(plan_request(emulator, tmp_path, canary=3, growth=2))
    save_membership(first, plan_to_json(first.plan))
    emulator.ses.create_email_identity(
        EmailIdentity="aaa-newcomer.example.com",
        Tags=[{"Key": "customer", "Value": "Aaa_new"}, {"Key": "tier", "Value": "free"}],
    )

    second = make_plan(plan_request(emulator, tmp_path, canary=3, growth=2))

    before, after = memberships(first), memberships(second)
    assert "Aaa_new" in after and "Aaa_new" not in before
    assert {c: after[c] for c in before} == before
    assert after["Aaa_new"] != "canary"
    path = membership_path(tmp_path, "123456789012", "us-east-1", first.spec.name)
    sealed = read_plan(plan_to_json(first.plan))
    assert json.loads(path.read_text())["plans"] == [sealed.checksum]


@http_only
def test_a_changed_sizing_keeps_the_membership_and_says_so(emulator: Any, tmp_path: Path) -> None:
    emulator.control.load_realistic_account(30, 11)
    first = make_plan(plan_request(emulator, tmp_path, canary=3, growth=2))
    save_membership(first, plan_to_json(first.plan))

    second = make_plan(plan_request(emulator, tmp_path, canary=3, wave_size=5))

    assert memberships(second) == memberships(first)
    assert any("plan --reslice" in w for w in second.plan.warnings)


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
                "--state-dir",
                str(tmp_path / "state"),
                "-o",
                str(tmp_path / "out.plan.json"),
            ]
        )

    def cohorts(self, tmp_path: Path) -> list[tuple[str, int]]:
        plan = read_plan((tmp_path / "out.plan.json").read_text())
        return [(c.name, len(c.customers)) for c in plan.cohorts]

    def test_plan_slices_by_the_waves_flag(self, emulator: Any, tmp_path: Path) -> None:
        emulator.control.load_realistic_account(40, 11)

        assert self.plan(emulator, tmp_path, "--canary", "2", "--waves", "10%,50%,100%") == 0

        assert self.cohorts(tmp_path)[:4] == [
            ("canary", 2),
            ("wave-1", 2),
            ("wave-2", 16),
            ("wave-3", 20),
        ]

    def test_plan_slices_by_the_growth_flag_and_records_the_membership(
        self, emulator: Any, tmp_path: Path
    ) -> None:
        emulator.control.load_realistic_account(40, 11)

        assert self.plan(emulator, tmp_path, "--canary", "1", "--growth", "3") == 0

        assert self.cohorts(tmp_path)[:4] == [
            ("canary", 1),
            ("wave-1", 3),
            ("wave-2", 9),
            ("wave-3", 27),
        ]
        assert list((tmp_path / "state" / "migrations").glob("*/isolated/cohorts.json"))

    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (["--waves", "10%", "--wave-size", "5"], "--wave-size and --waves both size the waves"),
            (["--growth", "2", "--waves", "10%"], "--waves and --growth both size the waves"),
            (["--waves", "50%,10%"], "--waves: the percentages are cumulative and must increase"),
            (["--waves", "ten"], "--waves: each wave must be a percentage"),
            (["--waves", "0%,100%"], "--waves: each wave must be a percentage"),
            (["--growth", "1"], "--growth: must be a number > 1, got 1.0"),
        ],
    )
    def test_plan_refuses_bad_or_conflicting_sizing_with_one_line_and_writes_nothing(
        self,
        emulator: Any,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        args: list[str],
        words: str,
    ) -> None:
        emulator.control.load_realistic_account(5, 11)

        code = self.plan(emulator, tmp_path, *args)

        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code == 1
        assert len(err) == 1 and words in err[0]
        assert not (tmp_path / "out.plan.json").exists()
        assert not (tmp_path / "state" / "migrations").exists()

    def test_a_canary_flag_larger_than_the_account_is_clamped_with_a_warning(
        self, emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        emulator.control.load_realistic_account(5, 11)

        assert self.plan(emulator, tmp_path, "--canary", "50") == 0

        assert "--canary 50 is more than the 5 customers" in capsys.readouterr().out
        assert [name for name, _ in self.cohorts(tmp_path)][:1] == ["canary"]


@http_only
def test_a_customer_added_after_every_cohort_ran_gets_a_new_wave(
    emulator: Any, tmp_path: Path
) -> None:
    emulator.control.load_realistic_account(10, 11)
    where = ["--endpoint-url", emulator.endpoint_url, "--region", "us-east-1"]
    state = ["--state-dir", str(tmp_path / "state")]
    first, second = tmp_path / "first.plan.json", tmp_path / "second.plan.json"
    assert main(["plan", "-o", str(first), *where, *state]) == 0
    assert main(["apply", str(first), "--cohort", "all", "--auto-approve", *where, *state]) == 0
    emulator.ses.create_email_identity(
        EmailIdentity="aaa-newcomer.example.com",
        Tags=[{"Key": "customer", "Value": "Aaa_new"}, {"Key": "tier", "Value": "free"}],
    )

    assert main(["plan", "-o", str(second), *where, *state]) in (0, 2)

    before = {c.name: c.customers for c in read_plan(first.read_text()).cohorts}
    after = {c.name: c.customers for c in read_plan(second.read_text()).cohorts}
    assert [n for n in before if n != "cleanup"] == ["canary", "wave-1"]
    assert after["wave-2"] == ("Aaa_new",)
    assert {n: after[n] for n in ("canary", "wave-1")} == {
        n: before[n] for n in ("canary", "wave-1")
    }
