"""The phased benchmark's account and its reading of the plan (benchmarks/bench_phased.py)."""

from benchmarks.bench_phased import cohort_shapes, customers_of
from benchmarks.necessary import CohortShape


def test_the_account_has_one_and_a_half_identities_and_one_configuration_set_per_customer() -> None:
    customers = customers_of(100)
    assert sum(len(c.identities) for c in customers) == 150
    assert sum(len(c.configuration_sets) for c in customers) == 100
    assert len({c.customer_id for c in customers}) == 100


def test_a_cohorts_shape_counts_its_customers_resources_and_the_tenants_it_creates() -> None:
    customers = customers_of(4)
    plan = {
        "cohorts": [
            {"name": "canary", "customers": ["cust-00001"], "counts": {"create_tenant": 1}},
            {
                "name": "wave-1",
                "customers": ["cust-00002", "cust-00003", "cust-00004"],
                "counts": {"create_tenant": 3, "attach": 7},
            },
        ]
    }
    assert cohort_shapes(plan, customers) == [
        CohortShape("canary", tenants=1, identities=2, configuration_sets=1),
        CohortShape("wave-1", tenants=3, identities=4, configuration_sets=3),
    ]
