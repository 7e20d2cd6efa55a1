"""Dependencies, cohorts and batches, grouped by the shape of the plan (built from literals)."""

import random

import networkx as nx
import pytest

from sesmigrate.actions.monitoring import CreateLogGroup, PutLogsPolicy, PutRule, PutTarget
from sesmigrate.actions.tenant import (
    Action,
    AttachResource,
    CreateTenant,
    DeleteTenant,
    DetachResource,
    SetReputationPolicy,
    SetSuppressionAttributes,
)
from sesmigrate.planning.diff import PlanError, PlannedAction
from sesmigrate.planning.graph import (
    CANARY,
    CLEANUP,
    Cohort,
    cohorts,
    customer_cohorts,
    dependency_graph,
)
from sesmigrate.planning.ownership import Customer
from sesmigrate.planning.spec import CohortSpec


def arn(name: str) -> str:
    return f"arn:aws:ses:us-east-1:123456789012:identity/{name}"


def planned(action: Action, *customers: str, cleanup: bool = False) -> PlannedAction:
    return PlannedAction(action, customers, cleanup, "because", ())


def attach(tenant: str, name: str) -> AttachResource:
    return AttachResource(tenant, arn(name), "EMAIL_IDENTITY")


def detach(tenant: str, name: str) -> DetachResource:
    return DetachResource(tenant, arn(name), "EMAIL_IDENTITY")


def customer(
    id: str, tier: str | None = "free", identities: int = 1, sets: int = 0, templates: int = 0
) -> Customer:
    return Customer(
        id,
        tier,
        tuple(f"{id}-{n}.io" for n in range(identities)),
        tuple(f"{id}-set-{n}" for n in range(sets)),
        tuple(f"{id}-tpl-{n}" for n in range(templates)),
        (),
    )


def edges(actions: tuple[PlannedAction, ...]) -> set[tuple[str, str]]:
    return set(dependency_graph(actions).edges)


def assert_dependencies_run_first(
    actions: tuple[PlannedAction, ...], result: tuple[Cohort, ...]
) -> None:
    """Every edge goes to a later cohort, or to a later batch of the same cohort."""
    place = {
        key: (n, b)
        for n, cohort in enumerate(result)
        for b, batch in enumerate(cohort.batches)
        for key in batch
    }
    for before, after in dependency_graph(actions).edges:
        assert place[before] < place[after], (before, after)


def cohort_named(result: tuple[Cohort, ...], name: str) -> Cohort:
    return next(c for c in result if c.name == name)


def keys_of(cohort: Cohort) -> set[str]:
    return {key for batch in cohort.batches for key in batch}


class TestOneNewTenant:
    """A tenant of its own for one customer: create, attach two resources, set its policy."""

    CREATE = CreateTenant("acme")
    ACTIONS = (
        planned(CREATE, "acme"),
        planned(attach("acme", "acme.io"), "acme"),
        planned(attach("acme", "mail.acme.io"), "acme"),
        planned(SetReputationPolicy("acme", "strict"), "acme"),
        planned(SetSuppressionAttributes("acme", ("BOUNCE",), "TENANT"), "acme"),
    )

    def test_dependency_graph_creates_tenant_before_everything_else_on_it(self) -> None:
        create = self.CREATE.key

        assert edges(self.ACTIONS) == {
            (create, attach("acme", "acme.io").key),
            (create, attach("acme", "mail.acme.io").key),
            (create, SetReputationPolicy("acme", "strict").key),
            (create, SetSuppressionAttributes("acme").key),
        }

    def test_dependency_graph_adds_no_edge_for_a_tenant_created_elsewhere(self) -> None:
        actions = (planned(attach("old", "a.io"), "a"), planned(SetReputationPolicy("old"), "a"))

        assert edges(actions) == set()

    def test_cohorts_batches_are_topological_generations_each_sorted(self) -> None:
        [canary] = cohorts(self.ACTIONS, (customer("acme"),), CohortSpec(canary=1, wave_size=5))

        assert canary.batches == (
            (self.CREATE.key,),
            tuple(sorted(p.action.key for p in self.ACTIONS[1:])),
        )

    def test_cohorts_have_no_cleanup_cohort_without_cleanup_actions(self) -> None:
        result = cohorts(self.ACTIONS, (customer("acme"),), CohortSpec(canary=1, wave_size=5))

        assert [c.name for c in result] == [CANARY]


class TestSharedTierTenant:
    """Tier tenant `tier-free` serves `a` (canary) and `b` (wave-1)."""

    CREATE = CreateTenant("tier-free")
    POLICY = SetReputationPolicy("tier-free", "standard")
    ACTIONS = (
        planned(CREATE, "a", "b"),
        planned(attach("tier-free", "a.io"), "a"),
        planned(attach("tier-free", "b.io"), "b"),
        planned(POLICY, "a", "b"),
    )
    CUSTOMERS = (customer("b", identities=2), customer("a"))
    SETTINGS = CohortSpec(canary=1, wave_size=1)

    def result(self) -> tuple[Cohort, ...]:
        return cohorts(self.ACTIONS, self.CUSTOMERS, self.SETTINGS)

    def test_cohorts_give_the_shared_tenant_to_the_first_cohort_that_needs_it(self) -> None:
        canary = cohort_named(self.result(), CANARY)

        assert canary.customers == ("a",)
        assert canary.batches == (
            (self.CREATE.key,),
            tuple(sorted([attach("tier-free", "a.io").key, self.POLICY.key])),
        )

    def test_cohorts_leave_later_customers_resources_to_their_wave(self) -> None:
        wave = cohort_named(self.result(), "wave-1")

        assert wave.customers == ("b",)
        assert wave.batches == ((attach("tier-free", "b.io").key,),)

    def test_cohorts_put_every_action_in_exactly_one_batch(self) -> None:
        seen = [key for c in self.result() for batch in c.batches for key in batch]

        assert sorted(seen) == sorted(p.action.key for p in self.ACTIONS)

    def test_cohorts_are_the_same_for_the_same_actions_in_any_order(self) -> None:
        shuffled = list(self.ACTIONS)
        random.Random(7).shuffle(shuffled)

        again = cohorts(tuple(shuffled), tuple(reversed(self.CUSTOMERS)), self.SETTINGS)

        assert again == self.result()
        assert self.result() == self.result()

    def test_cohorts_never_run_an_action_before_what_it_depends_on(self) -> None:
        result = self.result()

        assert_dependencies_run_first(self.ACTIONS, result)
        assert sum(len(batch) for c in result for batch in c.batches) == len(self.ACTIONS)

    def test_cohorts_give_an_action_of_unknown_customers_to_the_first_cohort(self) -> None:
        actions = (*self.ACTIONS, planned(SetReputationPolicy("stray"), "nobody"))

        result = cohorts(actions, self.CUSTOMERS, self.SETTINGS)

        assert SetReputationPolicy("stray").key in keys_of(cohort_named(result, CANARY))


class TestMakeBeforeBreakMove:
    """`beta.io` moves from managed tenant `old` to new tenant `beta`."""

    CREATE = CreateTenant("beta")
    ATTACH = attach("beta", "beta.io")
    DETACH = detach("old", "beta.io")
    ACTIONS = (
        planned(CREATE, "beta"),
        planned(ATTACH, "beta"),
        planned(DETACH, cleanup=True),
    )
    CUSTOMERS = (customer("beta"),)

    def test_dependency_graph_attaches_new_before_detaching_old(self) -> None:
        assert edges(self.ACTIONS) == {
            (self.CREATE.key, self.ATTACH.key),
            (self.ATTACH.key, self.DETACH.key),
        }

    def test_dependency_graph_waits_for_every_new_association_of_the_resource(self) -> None:
        also = attach("beta-eu", "beta.io")
        actions = (*self.ACTIONS, planned(also, "beta"))

        graph = dependency_graph(actions)

        assert set(graph.predecessors(self.DETACH.key)) == {self.ATTACH.key, also.key}

    def test_cohorts_put_the_removal_in_a_final_cleanup_cohort(self) -> None:
        result = cohorts(self.ACTIONS, self.CUSTOMERS, CohortSpec(canary=1, wave_size=1))

        assert [c.name for c in result] == [CANARY, CLEANUP]
        assert result[-1] == Cohort(CLEANUP, (), ((self.DETACH.key,),))
        assert self.DETACH.key not in keys_of(result[0])

    def test_cohorts_run_the_removal_after_the_new_association(self) -> None:
        result = cohorts(self.ACTIONS, self.CUSTOMERS, CohortSpec(canary=0, wave_size=1))

        assert [c.name for c in result] == ["wave-1", CLEANUP]
        assert_dependencies_run_first(self.ACTIONS, result)

    def test_cohorts_put_tenant_deletion_in_cleanup(self) -> None:
        actions = (*self.ACTIONS, planned(DeleteTenant("gone"), cleanup=True))

        result = cohorts(actions, self.CUSTOMERS, CohortSpec(canary=1, wave_size=1))

        assert result[-1].batches == ((DeleteTenant("gone").key, self.DETACH.key),)

    def test_dependency_graph_accepts_two_resources_swapping_tenants(self) -> None:
        actions = (
            planned(attach("b", "one.io"), "x"),
            planned(detach("a", "one.io"), cleanup=True),
            planned(attach("a", "two.io"), "x"),
            planned(detach("b", "two.io"), cleanup=True),
        )

        graph = dependency_graph(actions)

        assert nx.is_directed_acyclic_graph(graph)
        assert set(graph.edges) == {
            (attach("b", "one.io").key, detach("a", "one.io").key),
            (attach("a", "two.io").key, detach("b", "two.io").key),
        }


class CreateTenantKeyedLikeDetach(CreateTenant):
    """A tenant creation whose graph node collides with the removal `old -/-> beta.io`.

    The public edge rules cannot make a cycle (creations have no incoming edge, removals no
    outgoing one), so this subclass is the smallest way to reach the cycle check: its node
    is the removal's, so "create before attach" and "attach before detach" loop.
    """

    def make_key(self) -> str:
        return detach("old", "beta.io").key

    @property
    def key(self) -> str:
        return self.make_key()


class TestCycle:
    def test_dependency_graph_rejects_a_cycle_naming_its_actions(self) -> None:
        actions = (
            planned(attach("beta", "beta.io"), "beta"),
            planned(detach("old", "beta.io"), cleanup=True),
            planned(CreateTenantKeyedLikeDetach("beta"), "beta"),
        )

        with pytest.raises(PlanError) as exc:
            dependency_graph(actions)

        message = str(exc.value)
        assert message.startswith("the actions depend on each other in a cycle: ")
        assert attach("beta", "beta.io").key in message
        assert detach("old", "beta.io").key in message
        assert " -> " in message

    def test_cohorts_refuse_a_cycle_before_ordering_anything(self) -> None:
        actions = (
            planned(attach("beta", "beta.io"), "beta"),
            planned(CreateTenantKeyedLikeDetach("beta"), "beta"),
            planned(detach("old", "beta.io"), cleanup=True),
        )

        with pytest.raises(PlanError, match="cycle"):
            cohorts(actions, (customer("beta"),), CohortSpec(canary=1, wave_size=1))


LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ses/tenants"


class TestMonitoring:
    """The four monitoring actions, which no customer owns, beside a customer's tenant."""

    LOG_GROUP = CreateLogGroup("/aws/ses/tenants", LOG_GROUP_ARN)
    POLICY = PutLogsPolicy("sesmigrate-m1", '{"Statement":[]}')
    RULE = PutRule("sesmigrate-m1", '{"State":"ENABLED"}')
    TARGET = PutTarget("sesmigrate-m1", f'{{"Arn":"{LOG_GROUP_ARN}","Id":"logs"}}')
    MONITORING = (planned(LOG_GROUP), planned(POLICY), planned(RULE), planned(TARGET))
    TENANT = (planned(CreateTenant("acme"), "acme"), planned(attach("acme", "acme.io"), "acme"))
    PREPARED = frozenset({LOG_GROUP.key, POLICY.key, RULE.key})

    def test_dependency_graph_routes_the_target_after_group_policy_and_rule(self) -> None:
        assert edges(self.MONITORING) == {(key, self.TARGET.key) for key in self.PREPARED}

    def test_dependency_graph_adds_no_edge_to_a_target_alone(self) -> None:
        assert edges((planned(self.TARGET),)) == set()

    def test_cohorts_put_the_target_in_a_later_batch_than_what_it_needs(self) -> None:
        [canary] = cohorts(self.MONITORING, (), CohortSpec())

        assert canary.batches == (tuple(sorted(self.PREPARED)), (self.TARGET.key,))

    def test_cohorts_put_the_monitoring_in_the_first_cohort(self) -> None:
        actions = (*self.MONITORING, *self.TENANT, planned(CreateTenant("beta"), "beta"))
        customers = (customer("acme"), customer("beta", identities=3))

        result = cohorts(actions, customers, CohortSpec(canary=1, wave_size=1))

        assert [c.name for c in result] == [CANARY, "wave-1"]
        assert keys_of(result[0]) == {p.action.key for p in (*self.MONITORING, *self.TENANT)}
        assert result[0].batches[0] == tuple(sorted({*self.PREPARED, CreateTenant("acme").key}))
        assert self.TARGET.key in result[0].batches[1]
        assert_dependencies_run_first(actions, result)

    def test_cohorts_put_the_monitoring_in_the_first_wave_without_a_canary(self) -> None:
        actions = (*self.MONITORING, *self.TENANT)

        result = cohorts(actions, (customer("acme"),), CohortSpec(canary=0, wave_size=5))

        assert [c.name for c in result] == ["wave-1"]
        assert keys_of(result[0]) == {p.action.key for p in actions}

    def test_cohorts_give_the_monitoring_a_canary_when_there_are_no_customers(self) -> None:
        result = cohorts(self.MONITORING, (), CohortSpec(canary=3, wave_size=5))

        assert [(c.name, c.customers) for c in result] == [(CANARY, ())]
        assert keys_of(result[0]) == {p.action.key for p in self.MONITORING}

    def test_cohorts_keep_the_monitoring_out_of_cleanup_without_customers(self) -> None:
        removal = planned(DeleteTenant("orphan"), cleanup=True)

        result = cohorts((*self.MONITORING, removal), (), CohortSpec())

        assert [c.name for c in result] == [CANARY, CLEANUP]
        assert keys_of(result[0]) == {p.action.key for p in self.MONITORING}
        assert keys_of(result[1]) == {DeleteTenant("orphan").key}


class TestCustomerCohorts:
    CUSTOMERS = (
        customer("vip-small", tier="vip"),
        customer("pro-small", tier="pro"),
        customer("free-big", identities=2, sets=1),
        customer("free-b"),
        customer("free-a"),
        customer("trial-x", tier="trial", identities=0, templates=1),
        customer("untiered", tier=None),
    )

    def test_customer_cohorts_pick_the_lowest_risk_customers_for_canary(self) -> None:
        named = customer_cohorts(self.CUSTOMERS, CohortSpec(canary=3, wave_size=10))

        assert named[0] == (CANARY, ("free-a", "free-b", "trial-x"))

    def test_customer_cohorts_order_free_before_pro_before_vip_then_size_then_id(self) -> None:
        named = customer_cohorts(self.CUSTOMERS, CohortSpec(canary=0, wave_size=100))

        assert named == [
            (
                "wave-1",
                (
                    "free-a",
                    "free-b",
                    "trial-x",
                    "free-big",
                    "pro-small",
                    "untiered",
                    "vip-small",
                ),
            )
        ]

    def test_customer_cohorts_split_the_rest_into_waves_of_wave_size(self) -> None:
        named = customer_cohorts(self.CUSTOMERS, CohortSpec(canary=2, wave_size=2))

        assert named == [
            (CANARY, ("free-a", "free-b")),
            ("wave-1", ("trial-x", "free-big")),
            ("wave-2", ("pro-small", "untiered")),
            ("wave-3", ("vip-small",)),
        ]

    def test_customer_cohorts_give_one_wave_per_tier_when_by_tier(self) -> None:
        named = customer_cohorts(self.CUSTOMERS, CohortSpec(canary=1, wave_size=1, by_tier=True))

        assert named == [
            (CANARY, ("free-a",)),
            ("wave-1", ("free-b", "free-big")),
            ("wave-2", ("trial-x",)),
            ("wave-3", ("pro-small",)),
            ("wave-4", ("untiered",)),
            ("wave-5", ("vip-small",)),
        ]

    def test_customer_cohorts_have_no_canary_when_canary_is_zero(self) -> None:
        named = customer_cohorts(self.CUSTOMERS, CohortSpec(canary=0, wave_size=4))

        assert [name for name, _ in named] == ["wave-1", "wave-2"]

    @pytest.mark.parametrize(
        "settings",
        [
            CohortSpec(canary=0, wave_size=1),
            CohortSpec(canary=3, wave_size=2),
            CohortSpec(canary=10, wave_size=1),
            CohortSpec(canary=2, wave_size=50, by_tier=True),
        ],
    )
    def test_cohorts_put_every_customer_in_exactly_one_cohort(self, settings: CohortSpec) -> None:
        result = cohorts((), self.CUSTOMERS, settings)

        members = [c for cohort in result for c in cohort.customers]
        assert sorted(members) == sorted(c.id for c in self.CUSTOMERS)
        assert result[0].name == (CANARY if settings.canary else "wave-1")
        assert all(c.batches == () for c in result)

    def test_customer_cohorts_are_the_same_for_customers_in_any_order(self) -> None:
        settings = CohortSpec(canary=2, wave_size=3)

        assert customer_cohorts(self.CUSTOMERS, settings) == customer_cohorts(
            tuple(reversed(self.CUSTOMERS)), settings
        )
