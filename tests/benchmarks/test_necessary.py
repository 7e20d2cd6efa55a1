"""The benchmark's model of necessary calls and the floor they set (benchmarks/necessary.py)."""

import pytest

from benchmarks.necessary import (
    AccountShape,
    CohortShape,
    Limits,
    change_calls,
    floor,
    journey,
    phase_floor,
    scan_calls,
    verification_calls,
)

ACCOUNT = AccountShape(identities=150, configuration_sets=100)
CANARY = CohortShape("canary", tenants=3, identities=5, configuration_sets=3)


def test_scan_reads_each_resource_once_and_every_list_at_least_once() -> None:
    calls = scan_calls(AccountShape(identities=2500, configuration_sets=100, tenants=1))
    assert calls["ListEmailIdentities"] == 3
    assert calls["GetEmailIdentity"] == 2500
    assert calls["GetConfigurationSet"] == 100
    assert calls["ListEmailTemplates"] == 1
    assert calls["GetTenant"] == calls["ListTenantResources"] == 1
    assert "GetEmailTemplate" not in calls


def test_verification_lists_the_account_and_reads_only_the_cohorts_resources() -> None:
    calls = verification_calls(ACCOUNT, CANARY, tenants=250)
    assert calls == {
        "ListEmailIdentities": 1,
        "ListConfigurationSets": 1,
        "ListTenants": 3,
        "ListEmailTemplates": 1,
        "GetEmailIdentity": 5,
        "GetConfigurationSet": 3,
    }


def test_changes_are_one_creation_per_tenant_and_one_association_per_resource() -> None:
    assert change_calls(CANARY) == {"CreateTenant": 3, "CreateTenantResourceAssociation": 8}
    strict = CohortShape("vip", tenants=2, identities=2, configuration_sets=2, policy_changes=2)
    assert change_calls(strict)["UpdateReputationEntityPolicy"] == 2


def test_journey_counts_the_tenants_earlier_cohorts_created_in_later_lists() -> None:
    waves = [CohortShape(f"wave-{n}", 100, 100, 100) for n in range(1, 4)]
    phases = journey(ACCOUNT, waves)
    assert [p.name for p in phases][:3] == ["scan", "wave-1 verify", "wave-1 changes"]
    assert [p.calls["ListTenants"] for p in phases if p.name.endswith("verify")] == [1, 1, 2]


def test_phase_floor_is_the_busiest_operation_over_its_share_of_the_rate() -> None:
    calls = {"GetEmailIdentity": 150, "GetConfigurationSet": 100}
    assert phase_floor(calls, Limits(op_rate=10)) == pytest.approx(15.0)
    assert phase_floor(calls, Limits(op_rate=10, headroom=0.8)) == pytest.approx(18.75)


def test_phase_floor_under_both_limits_is_the_slower_of_the_two() -> None:
    calls = {"GetEmailIdentity": 150, "GetConfigurationSet": 100}
    assert phase_floor(calls, Limits(op_rate=10, account_rate=10)) == pytest.approx(25.0)
    assert phase_floor(calls, Limits(account_rate=100, headroom=0.5)) == pytest.approx(5.0)


def test_floor_sums_the_phases_instead_of_dividing_all_calls_by_one_rate() -> None:
    cohorts = [CohortShape("canary", 3, 5, 3), CohortShape("wave-1", 97, 145, 97)]
    phases = journey(ACCOUNT, cohorts)
    # scan 150 GetEmailIdentity; canary: verify 5, changes 8; wave-1: verify 145, changes 242
    assert floor(phases, Limits(op_rate=10)) == pytest.approx((150 + 5 + 8 + 145 + 242) / 10)


def test_limits_need_a_rate_and_a_headroom_within_one() -> None:
    with pytest.raises(ValueError):
        Limits()
    with pytest.raises(ValueError):
        Limits(op_rate=1, headroom=1.5)
