"""rollback of an onboarding or offboarding named by its customer and time, not its file."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.running.test_offboard import leave, one_line
from tests.running.test_onboard import api, migrated, new_customer

pytestmark = pytest.mark.parametrize("emulator", ["http"], indirect=True)

UNDO = ("rollback", "--auto-approve", "--allow-irreversible")


def test_rollback_by_customer_undoes_its_newest_onboarding_though_its_file_is_gone(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    before = journey.tenants()
    new_customer(journey, "named")
    result = api(journey, "named")
    assert result.plan_path is not None
    result.plan_path.unlink()

    assert journey.run(*UNDO, "--cohort", "onboard-named") == 0
    assert journey.tenants() == before


def test_each_rollback_by_customer_undoes_its_newest_onboarding_still_in_place(
    emulator: Any, tmp_path: Path
) -> None:
    journey = migrated(emulator, tmp_path)
    before = journey.tenants()
    new_customer(journey, "twice")
    api(journey, "twice")
    made = journey.tenants()
    journey.ses.create_email_identity(
        EmailIdentity="more.twice.example.com", Tags=[{"Key": "customer", "Value": "twice"}]
    )
    assert api(journey, "twice").made == ("associate identity/more.twice.example.com with twice",)

    assert journey.run(*UNDO, "--cohort", "onboard-twice") == 0
    assert journey.tenants() == made
    assert journey.run(*UNDO, "--cohort", "onboard-twice") == 0
    assert journey.tenants() == before


def test_at_a_time_with_no_onboarding_is_refused_naming_the_times_there_are(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    new_customer(journey, "when")
    result = api(journey, "when")
    assert result.plan_path is not None
    sealed = json.loads(result.plan_path.read_text())["created_at"]
    made = journey.tenants()
    capsys.readouterr()

    assert journey.run(*UNDO, "--cohort", "onboard-when", "--at", "1999") == 1
    line = one_line(capsys.readouterr().err)
    assert "has no onboarding of customer 'when' sealed at 1999" in line
    assert f"(its onboardings of that customer: {sealed})" in line
    assert journey.tenants() == made

    assert journey.run(*UNDO, "--cohort", "onboard-when", "--at", sealed[:16]) == 0
    assert "when" not in journey.tenants()


def test_an_offboarding_is_rolled_back_by_its_customer(emulator: Any, tmp_path: Path) -> None:
    journey = migrated(emulator, tmp_path, strategy="tiered")
    new_customer(journey, "goner", tier="free")
    api(journey, "goner")
    before = journey.tenants()
    leave(journey, "goner")
    assert journey.tenants() != before

    assert journey.run(*UNDO, "--cohort", "offboard-goner") == 0
    assert journey.tenants() == before


def test_at_without_a_one_customer_cohort_is_refused(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path)
    capsys.readouterr()
    assert journey.run(*UNDO, "--cohort", "canary", "--at", "2026") == 1
    assert "--at names an onboarding or offboarding" in one_line(capsys.readouterr().err)


def test_rolling_back_an_offboarding_does_not_warn_that_it_removes_associations(
    emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journey = migrated(emulator, tmp_path, strategy="tiered")
    new_customer(journey, "returning", tier="free")
    api(journey, "returning")
    leave(journey, "returning")
    capsys.readouterr()

    assert journey.run(*UNDO, "--cohort", "offboard-returning") == 0
    assert "removes the tenant associations" not in capsys.readouterr().err
    assert journey.run(*UNDO, "--cohort", "onboard-returning") == 0
    assert "removes the tenant associations of 1 customer(s)" in capsys.readouterr().err
