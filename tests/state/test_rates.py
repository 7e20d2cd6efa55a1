"""Learned rates: recorded per account and region, merged, forgotten after a day, used."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sesmigrate.aws.clients import AccountBinding
from sesmigrate.aws.ratelimit import Observation
from sesmigrate.cli import main
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.state.rates import (
    AT_LEAST,
    LIMIT,
    RateMemory,
    load_rates,
    rates_for,
    record_path,
    save_observations,
)

ACCOUNT, REGION = "123456789012", "us-east-1"
BINDING = AccountBinding(ACCOUNT, REGION)


class Wall:
    """An injected wall clock for the record's ages."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


def save(tmp_path: Path, wall: Wall, **seen: Observation) -> None:
    save_observations(tmp_path, ACCOUNT, REGION, seen, wall)


def load(tmp_path: Path, wall: Wall) -> dict[str, Any]:
    return {op: (r.kind, r.rate) for op, r in load_rates(tmp_path, ACCOUNT, REGION, wall).items()}


class TestRecord:
    def test_a_throttled_operation_is_recorded_as_a_limit_and_the_others_as_lower_bounds(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()

        save(
            tmp_path,
            wall,
            CreateTenant=Observation(limit=9.5, at_least=12.0),
            ListTenants=Observation(limit=None, at_least=30.0),
        )

        assert load(tmp_path, wall) == {
            "CreateTenant": (LIMIT, 9.5),
            "ListTenants": (AT_LEAST, 30.0),
        }
        assert record_path(tmp_path, ACCOUNT, REGION).name == f"{ACCOUNT}-{REGION}.json"

    def test_a_record_older_than_a_day_is_forgotten_so_the_next_run_relearns(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        save(tmp_path, wall, CreateTenant=Observation(limit=9.5, at_least=12.0))

        wall.at += timedelta(hours=23)
        kept = load(tmp_path, wall)
        wall.at += timedelta(hours=2)

        assert kept == {"CreateTenant": (LIMIT, 9.5)}
        assert load(tmp_path, wall) == {}

    def test_a_later_run_that_never_throttled_keeps_the_limit_unless_it_went_faster(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        save(
            tmp_path,
            wall,
            GetEmailIdentity=Observation(limit=10.0, at_least=14.0),
            GetTenant=Observation(limit=5.0, at_least=5.0),
        )

        save(
            tmp_path,
            wall,
            GetEmailIdentity=Observation(limit=None, at_least=8.0),
            GetTenant=Observation(limit=None, at_least=7.0),
        )

        assert load(tmp_path, wall) == {
            "GetEmailIdentity": (LIMIT, 10.0),
            "GetTenant": (AT_LEAST, 7.0),
        }

    def test_repeated_throttling_that_lowered_the_estimate_replaces_the_limit(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        save(tmp_path, wall, CreateTenant=Observation(limit=10.0, at_least=10.0))

        save(tmp_path, wall, CreateTenant=Observation(limit=6.0, at_least=8.0))

        assert load(tmp_path, wall) == {"CreateTenant": (LIMIT, 6.0)}

    def test_lower_bounds_only_grow(self, tmp_path: Path) -> None:
        wall = Wall()
        save(tmp_path, wall, ListTenants=Observation(limit=None, at_least=30.0))

        save(tmp_path, wall, ListTenants=Observation(limit=None, at_least=3.0))

        assert load(tmp_path, wall) == {"ListTenants": (AT_LEAST, 30.0)}

    def test_runs_ending_one_after_another_merge_their_operations(self, tmp_path: Path) -> None:
        wall = Wall()

        save(tmp_path, wall, CreateTenant=Observation(limit=4.0, at_least=4.0))
        save(tmp_path, wall, GetTenant=Observation(limit=3.0, at_least=3.0))

        assert set(load(tmp_path, wall)) == {"CreateTenant", "GetTenant"}

    def test_an_unreadable_record_is_ignored_and_replaced_on_the_next_save(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        path = record_path(tmp_path, ACCOUNT, REGION)
        path.parent.mkdir(parents=True)
        path.write_text("{not json", encoding="utf-8")

        before = load(tmp_path, wall)
        save(tmp_path, wall, GetTenant=Observation(limit=3.0, at_least=3.0))

        assert before == {}
        assert json.loads(path.read_text())["operations"]["GetTenant"]["kind"] == LIMIT

    def test_a_record_of_another_region_is_not_used(self, tmp_path: Path) -> None:
        wall = Wall()
        save(tmp_path, wall, GetTenant=Observation(limit=3.0, at_least=3.0))

        assert load_rates(tmp_path, ACCOUNT, "eu-west-1", wall) == {}


class TestRatesForEstimates:
    def test_learned_limits_count_at_the_headroom_and_lower_bounds_at_least_the_median(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        save(
            tmp_path,
            wall,
            CreateTenant=Observation(limit=10.0, at_least=10.0),
            ListTenants=Observation(limit=None, at_least=0.4),
        )
        learned = load_rates(tmp_path, ACCOUNT, REGION, wall)

        rates = rates_for(learned, headroom=0.8, rate=None, op_rates={})

        assert rates.source == "learned"
        assert rates.of("CreateTenant") == pytest.approx(8.0)
        assert rates.of("ListTenants") == pytest.approx(8.0)

    def test_an_operation_not_learned_yet_counts_at_the_median_learned_limit(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        save(
            tmp_path,
            wall,
            GetEmailIdentity=Observation(limit=10.0, at_least=10.0),
            GetConfigurationSet=Observation(limit=12.0, at_least=12.0),
            ListTenants=Observation(limit=40.0, at_least=40.0),
        )
        learned = load_rates(tmp_path, ACCOUNT, REGION, wall)

        rates = rates_for(learned, headroom=0.5, rate=None, op_rates={})

        assert rates.of("CreateTenantResourceAssociation") == pytest.approx(6.0)
        assert rates.of("ListTenants") == pytest.approx(20.0)
        assert "not yet learned: 6 calls/s" in rates.describe()

    def test_lower_bounds_alone_leave_unlearned_operations_at_one_a_second(
        self, tmp_path: Path
    ) -> None:
        wall = Wall()
        save(tmp_path, wall, ListTenants=Observation(limit=None, at_least=0.4))
        learned = load_rates(tmp_path, ACCOUNT, REGION, wall)

        rates = rates_for(learned, headroom=0.8, rate=None, op_rates={})

        assert rates.of("ListTenants") == 1.0
        assert rates.of("CreateTenant") == 1.0

    def test_given_rates_win_over_learned_ones(self, tmp_path: Path) -> None:
        wall = Wall()
        save(tmp_path, wall, CreateTenant=Observation(limit=10.0, at_least=10.0))
        learned = load_rates(tmp_path, ACCOUNT, REGION, wall)

        per_operation = rates_for(learned, headroom=0.8, rate=None, op_rates={"CreateTenant": 2})
        account_wide = rates_for(learned, headroom=0.8, rate=50.0, op_rates={})

        assert per_operation.of("CreateTenant") == 2
        assert account_wide.source == "given"
        assert account_wide.account == 50.0

    def test_nothing_learned_nor_given_is_the_assumed_one_call_a_second(self) -> None:
        rates = rates_for({}, headroom=0.8, rate=None, op_rates={})

        assert rates.source == "assumed"
        assert rates.of("CreateTenant") == 1.0


def test_a_run_leaves_its_throttled_limit_and_the_next_run_starts_capped_at_it(
    emulator: Any, tmp_path: Path
) -> None:
    memory = RateMemory(tmp_path, headroom=0.5)
    limiter = memory.limiter(BINDING, None, {})
    ses = limiter.attach(
        emulator.client("sesv2", retries={"mode": "standard", "total_max_attempts": 10})
    )
    emulator.control.set_traffic(TrafficSettings(op_rates=(("CreateTenant", 4.0),), tick_ms=100))
    for i in range(8):
        ses.create_tenant(TenantName=f"t{i}")
    emulator.control.set_traffic(TrafficSettings())

    memory.remember(BINDING, limiter)
    learned = memory.learned(BINDING)
    second = memory.limiter(BINDING, None, {})

    assert learned["CreateTenant"].kind == LIMIT
    assert second.current_rate("CreateTenant") == pytest.approx(0.5 * learned["CreateTenant"].rate)
    assert second.current_rate("ListTenants") is None


class TestCommandLine:
    def scan(self, emulator: Any, tmp_path: Path, *extra: str) -> int:
        return main(
            [
                "scan",
                "--endpoint-url",
                emulator.endpoint_url,
                "--region",
                REGION,
                "-o",
                str(tmp_path / "inventory.json"),
                "--state-dir",
                str(tmp_path / "state"),
                *extra,
            ]
        )

    @pytest.mark.parametrize("headroom", ["0", "1.5", "-0.2"])
    def test_a_headroom_outside_zero_to_one_is_one_line_and_exit_one(
        self, emulator: Any, tmp_path: Path, headroom: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert self.scan(emulator, tmp_path, "--headroom", headroom) == 1

        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert "--headroom" in err
        assert not (tmp_path / "inventory.json").exists()

    def test_scan_records_what_it_learned_in_the_state_directory(
        self, emulator: Any, tmp_path: Path
    ) -> None:
        emulator.control.load_realistic_account(6, 2)

        assert self.scan(emulator, tmp_path) == 0

        record = json.loads(record_path(tmp_path / "state", ACCOUNT, REGION).read_text())
        assert record["account"] == ACCOUNT
        assert record["operations"]["GetEmailIdentity"]["kind"] == AT_LEAST
        assert "Secret" not in json.dumps(record)

    def test_a_plan_made_after_a_scan_estimates_at_the_learned_rates(
        self, emulator: Any, tmp_path: Path
    ) -> None:
        emulator.control.load_realistic_account(6, 2)
        assert self.scan(emulator, tmp_path) == 0
        plan_file = tmp_path / "p.plan.json"

        code = main(
            [
                "plan",
                "--inventory",
                str(tmp_path / "inventory.json"),
                "--strategy",
                "isolated",
                "--state-dir",
                str(tmp_path / "state"),
                "-o",
                str(plan_file),
            ]
        )

        rates = json.loads(plan_file.read_text())["rates"]
        assert code == 0
        assert rates["source"] == "learned"
        assert "GetEmailIdentity" in rates["by_operation"]
