"""The per-operation duration model: phases, the busiest operation, the account's cap."""

from collections import Counter

import pytest

from sesmigrate.actions.tenant import AttachResource, CreateTenant, SetReputationPolicy
from sesmigrate.planning.durations import (
    ASSUMED,
    CohortWork,
    Rates,
    changes_seconds,
    cohort_estimate,
    duration,
    phase_seconds,
    verification_calls,
)

ARN = "arn:aws:ses:us-east-1:123456789012:identity/"


def work(batches: tuple, identities: int = 0, gated: bool = False) -> CohortWork:
    return CohortWork("wave-1", identities, 0, 0, batches, gated)


def test_a_phase_lasts_as_long_as_its_busiest_operation_at_its_own_rate() -> None:
    rates = Rates((("CreateTenant", 2.0),), 1.0, None, "given")

    assert phase_seconds(Counter(CreateTenant=10, GetTenant=3), rates) == 5.0
    assert phase_seconds(Counter(CreateTenant=2, GetTenant=3), rates) == 3.0


def test_an_account_wide_rate_caps_all_operations_together() -> None:
    rates = Rates.given(10.0, {})

    assert phase_seconds(Counter(CreateTenant=10, GetTenant=30), rates) == 4.0


def test_changes_overlap_and_wait_one_call_per_dependent_batch() -> None:
    batches = [Counter(CreateTenant=25), Counter(CreateTenantResourceAssociation=62)]

    assert changes_seconds(batches, Rates.given(None, {})) == pytest.approx(63.0)
    assert changes_seconds(batches, Rates.given(10.0, {})) == pytest.approx(8.7 + 0.1)


def test_verification_reads_list_pages_and_each_cohort_resource() -> None:
    calls = verification_calls(
        work((), identities=3),
        {"ListEmailIdentities": 2500, "ListConfigurationSets": 0, "ListTenants": 101},
    )

    assert calls == Counter(
        ListEmailIdentities=3,
        ListConfigurationSets=1,
        ListEmailTemplates=1,
        ListTenants=2,
        GetEmailIdentity=3,
    )


def test_cohort_estimate_sums_verification_gate_and_changes() -> None:
    batches = (
        (CreateTenant("a"), CreateTenant("b")),
        (AttachResource("a", ARN + "a.io"), AttachResource("b", ARN + "b.io")),
    )

    got = cohort_estimate(work(batches, identities=2, gated=True), {}, {"a", "b"}, ASSUMED)

    # verification 2 (GetEmailIdentity), gate 3 (ListReputationEntities filters),
    # changes 2 (associations) + 1 (the associations wait on the creations)
    assert got.seconds == 8.0
    assert got.busiest in {"ListReputationEntities", "CreateTenantResourceAssociation"}
    assert dict(got.calls)["CreateTenant"] == 2
    assert got.total_calls == sum(n for _, n in got.calls)


def test_an_ungated_cohort_reads_no_reputation() -> None:
    got = cohort_estimate(work(((SetReputationPolicy("a", "strict"),),)), {}, set(), ASSUMED)

    assert "ListReputationEntities" not in dict(got.calls)


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0s"), (45.4, "45s"), (723, "12m03s"), (97800, "27h10m")]
)
def test_duration_reads_as_seconds_minutes_or_hours(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_rates_say_where_they_come_from() -> None:
    assert ASSUMED.describe() == "at an assumed 1 call/s per operation"
    assert Rates.given(100.0, {}).describe() == "at 100 calls/s for the account (given)"
    assert Rates.given(None, {"CreateTenant": 2.0}).describe() == "at given rates per operation"
    assert Rates.given(None, {}) is ASSUMED
