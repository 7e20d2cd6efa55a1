"""Which probe failures still stand: each tenant's latest probe that sent something."""

from sesmigrate.state.probes import CANNOT, FAILED, PASSED, ProbeResult, standing_failures


def result(tenant: str, outcome: str, cohort: str = "canary") -> ProbeResult:
    return ProbeResult(cohort, tenant, outcome, outcome)


def test_a_failed_probe_stands_until_a_later_probe_of_its_tenant_passes() -> None:
    failed, passed = result("tier-free", FAILED), result("tier-free", PASSED, "wave-1")

    assert standing_failures([failed], {"tier-free"}) == [failed]
    assert standing_failures([failed, passed], {"tier-free"}) == []
    assert standing_failures([passed, failed], {"tier-free"}) == [failed]


def test_cannot_probe_neither_clears_nor_makes_a_failure() -> None:
    failed, cannot = result("tier-free", FAILED), result("tier-free", CANNOT, "wave-1")

    assert standing_failures([failed, cannot], {"tier-free"}) == [failed]
    assert standing_failures([cannot], {"tier-free"}) == []


def test_only_the_gated_tenants_failures_stand() -> None:
    failures = [result("tier-pro", FAILED), result("tier-free", FAILED)]

    assert standing_failures(failures, {"tier-free"}) == [failures[1]]
    assert [r.tenant for r in standing_failures(failures, {"tier-free", "tier-pro"})] == [
        "tier-free",
        "tier-pro",
    ]
