"""The diff: desired tenants against existing ones, built from literals (no AWS)."""

import dataclasses

import pytest

from sesmigrate.actions.tenant import (
    AttachResource,
    CreateTenant,
    DeleteTenant,
    DetachResource,
    SetReputationPolicy,
    SetSuppressionAttributes,
)
from sesmigrate.planning.diff import Changes, Expectation, PlanError, PlannedAction, diff
from sesmigrate.planning.ownership import Customer, Ownership
from sesmigrate.planning.snapshot import (
    CUSTOMER_TAG,
    GROUP_TAG,
    MANAGED_TAG,
    AccountInfo,
    ExistingTenant,
    Inventory,
    TenantResource,
)
from sesmigrate.planning.spec import MigrationSpec, Suppression
from sesmigrate.strategies import DesiredState, DesiredTenant

MIGRATION = "acme-move"
SPEC = MigrationSpec(name=MIGRATION)
ACCOUNT = AccountInfo(
    account_id="123456789012",
    region="us-east-1",
    partition="aws",
    max_24_hour_send=50000.0,
    max_send_rate=14.0,
    sending_enabled=True,
    production_access=True,
)
POLICY = "arn:aws:ses:us-east-1:aws:reputation-policy"
STANDARD = f"{POLICY}/standard"
NO_SUPPRESSION = Suppression((), None)
TYPES = {
    "identity": "EMAIL_IDENTITY",
    "configuration-set": "CONFIGURATION_SET",
    "template": "EMAIL_TEMPLATE",
}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:ses:us-east-1:123456789012:{kind}/{name}"


def resource(kind: str, name: str) -> tuple[str, str]:
    """A desired (resource type, ARN) pair."""
    return (TYPES[kind], arn(kind, name))


def customer(
    id: str,
    tier: str | None = "free",
    identities: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    templates: tuple[str, ...] = (),
) -> Customer:
    return Customer(id, tier, identities, sets, templates, ())


def owners(*customers: Customer) -> Ownership:
    return Ownership(customers, (), (), (), (), ())


def resources_of(*customers: Customer) -> tuple[tuple[str, str], ...]:
    pairs = set()
    for c in customers:
        pairs |= {resource("identity", n) for n in c.identities}
        pairs |= {resource("configuration-set", n) for n in c.configuration_sets}
        pairs |= {resource("template", n) for n in c.templates}
    return tuple(sorted(pairs))


def own_tenant(
    c: Customer,
    name: str | None = None,
    *,
    policy: str | None = "standard",
    suppression: Suppression | None = None,
) -> DesiredTenant:
    """The desired tenant of one customer, as a strategy would give it."""
    return DesiredTenant(
        name=name or c.id,
        kind="customer",
        key=c.id,
        customers=(c.id,),
        tier=c.tier,
        resources=resources_of(c),
        policy=policy,
        suppression=suppression,
        tags=tuple(sorted(((MANAGED_TAG, MIGRATION), (CUSTOMER_TAG, c.id)))),
    )


def tier_tenant(tier: str, *customers: Customer, policy: str | None = "standard") -> DesiredTenant:
    return DesiredTenant(
        name=f"tier-{tier}",
        kind="tier",
        key=f"tier:{tier}",
        customers=tuple(sorted(c.id for c in customers)),
        tier=tier,
        resources=resources_of(*customers),
        policy=policy,
        suppression=None,
        tags=tuple(sorted(((MANAGED_TAG, MIGRATION), (GROUP_TAG, f"tier:{tier}")))),
    )


def existing(
    name: str,
    *,
    migration: str | None = MIGRATION,
    customer: str | None = None,
    group: str | None = None,
    resources: tuple[tuple[str, str], ...] = (),
    policy: str | None = STANDARD,
    suppression: Suppression = NO_SUPPRESSION,
) -> ExistingTenant:
    tags = []
    if migration is not None:
        tags.append((MANAGED_TAG, migration))
    if customer is not None:
        tags.append((CUSTOMER_TAG, customer))
    if group is not None:
        tags.append((GROUP_TAG, group))
    return ExistingTenant(
        name=name,
        tenant_id=f"tn-{name}",
        arn=arn("tenant", f"{name}/tn-{name}"),
        sending_status="ENABLED",
        tags=tuple(sorted(tags)),
        resources=tuple(sorted((TenantResource(t, a) for t, a in resources), key=lambda r: r.arn)),
        reputation_policy=policy,
        customer_status="ENABLED",
        suppressed_reasons=suppression.reasons,
        suppression_scope=suppression.scope,
    )


def inventory(*tenants: ExistingTenant) -> Inventory:
    return Inventory(ACCOUNT, (), (), (), (), tuple(sorted(tenants, key=lambda t: t.name)))


def desired(*tenants: DesiredTenant, warnings: tuple[str, ...] = ()) -> DesiredState:
    return DesiredState(tuple(sorted(tenants, key=lambda t: t.name)), warnings)


def run(
    inv: Inventory,
    wanted: DesiredState,
    who: Ownership,
    spec: MigrationSpec = SPEC,
) -> Changes:
    return diff(inv, wanted, who, spec)


def of_kind(changes: Changes, kind: type) -> list[PlannedAction]:
    return [p for p in changes.actions if isinstance(p.action, kind)]


def touching(changes: Changes, tenant: str) -> list[PlannedAction]:
    return [p for p in changes.actions if p.action.tenant == tenant]


ACME = customer("acme", identities=("acme.io",), sets=("acme-tx",))
BETA = customer("beta", identities=("beta.io",), sets=("beta-tx",))


class TestNewTenant:
    def test_diff_creates_tenant_with_tags_and_suppression(self) -> None:
        wanted = own_tenant(ACME, suppression=Suppression(("BOUNCE",), "TENANT"))

        changes = run(inventory(), desired(wanted), owners(ACME))

        [create] = of_kind(changes, CreateTenant)
        assert create.action == CreateTenant("acme", wanted.tags, ("BOUNCE",), "TENANT")
        assert create.expectations == (Expectation("tenant_absent", "acme"),)
        assert create.customers == ("acme",)
        assert not create.cleanup

    def test_diff_attaches_every_resource_of_a_new_tenant(self) -> None:
        changes = run(inventory(), desired(own_tenant(ACME)), owners(ACME))

        attaches = of_kind(changes, AttachResource)
        assert [p.action for p in attaches] == [
            AttachResource("acme", arn("configuration-set", "acme-tx"), "CONFIGURATION_SET"),
            AttachResource("acme", arn("identity", "acme.io"), "EMAIL_IDENTITY"),
        ]
        for planned in attaches:
            assert planned.expectations == (
                Expectation("resource_present", planned.action.resource_arn),
                Expectation("association_absent", "acme", planned.action.resource_arn),
            )
            assert planned.customers == ("acme",)
            assert not planned.cleanup

    def test_diff_sets_reputation_policy_of_a_new_tenant(self) -> None:
        changes = run(inventory(), desired(own_tenant(ACME, policy="strict")), owners(ACME))

        [policy] = of_kind(changes, SetReputationPolicy)
        assert policy.action == SetReputationPolicy("acme", "strict")
        assert policy.expectations == ()
        assert [type(p.action) for p in changes.actions] == [
            AttachResource,
            AttachResource,
            CreateTenant,
            SetReputationPolicy,
        ]

    def test_diff_plans_no_policy_for_a_new_tenant_whose_policy_is_the_standard_default(
        self,
    ) -> None:
        changes = run(inventory(), desired(own_tenant(ACME, policy="standard")), owners(ACME))

        assert of_kind(changes, SetReputationPolicy) == []
        assert len(of_kind(changes, CreateTenant)) == 1

    def test_diff_leaves_policy_alone_when_desired_policy_is_none(self) -> None:
        changes = run(inventory(), desired(own_tenant(ACME, policy=None)), owners(ACME))

        assert of_kind(changes, SetReputationPolicy) == []
        assert len(of_kind(changes, CreateTenant)) == 1

    def test_diff_names_only_the_customers_using_a_shared_tier_resource(self) -> None:
        free_a = customer("a", identities=("a.io",))
        free_b = customer("b", identities=("b.io",))

        changes = run(
            inventory(), desired(tier_tenant("free", free_a, free_b)), owners(free_a, free_b)
        )

        by_arn = {p.action.resource_arn: p.customers for p in of_kind(changes, AttachResource)}
        assert by_arn == {arn("identity", "a.io"): ("a",), arn("identity", "b.io"): ("b",)}
        [create] = of_kind(changes, CreateTenant)
        assert create.customers == ("a", "b")


class TestIdempotence:
    def test_diff_plans_nothing_when_managed_tenant_already_matches(self) -> None:
        suppression = Suppression(("BOUNCE", "COMPLAINT"), "TENANT")
        wanted = own_tenant(ACME, suppression=suppression)
        done = existing(
            "acme", customer="acme", resources=wanted.resources, suppression=suppression
        )

        changes = run(inventory(done), desired(wanted), owners(ACME))

        assert changes.actions == ()
        assert changes.tenants == (("acme", wanted),)
        assert changes.unmanaged == ()
        assert changes.adopted == ()

    def test_diff_sets_policy_when_managed_tenant_has_another(self) -> None:
        wanted = own_tenant(ACME)
        done = existing(
            "acme", customer="acme", resources=wanted.resources, policy=f"{POLICY}/strict"
        )

        changes = run(inventory(done), desired(wanted), owners(ACME))

        [policy] = changes.actions
        assert policy.action == SetReputationPolicy("acme", "standard")
        assert policy.expectations == (Expectation("tenant_present", "acme", "tn-acme"),)

    def test_diff_attaches_only_the_missing_resource_of_a_managed_tenant(self) -> None:
        wanted = own_tenant(ACME)
        half = existing("acme", customer="acme", resources=(resource("identity", "acme.io"),))

        changes = run(inventory(half), desired(wanted), owners(ACME))

        [attach] = changes.actions
        assert attach.action == AttachResource(
            "acme", arn("configuration-set", "acme-tx"), "CONFIGURATION_SET"
        )
        assert attach.expectations == (
            Expectation("tenant_present", "acme", "tn-acme"),
            Expectation("resource_present", arn("configuration-set", "acme-tx")),
            Expectation("association_absent", "acme", arn("configuration-set", "acme-tx")),
        )

    def test_diff_sets_suppression_when_managed_tenant_differs(self) -> None:
        wanted = own_tenant(ACME, suppression=Suppression(("BOUNCE", "COMPLAINT"), "TENANT"))
        done = existing(
            "acme",
            customer="acme",
            resources=wanted.resources,
            suppression=Suppression(("BOUNCE",), "ACCOUNT"),
        )

        changes = run(inventory(done), desired(wanted), owners(ACME))

        [change] = changes.actions
        assert change.action == SetSuppressionAttributes("acme", ("BOUNCE", "COMPLAINT"), "TENANT")
        assert change.expectations == (Expectation("tenant_present", "acme", "tn-acme"),)

    def test_diff_is_deterministic_and_sorted_by_key(self) -> None:
        free_a = customer("a", identities=("a.io",), sets=("a-tx",), templates=("welcome",))
        free_b = customer("b", identities=("b.io",))
        wanted = desired(tier_tenant("free", free_a, free_b), own_tenant(ACME), own_tenant(BETA))
        inv = inventory(
            existing("beta", customer="beta", resources=(resource("identity", "beta.io"),)),
            existing("legacy", migration=None),
        )
        who = owners(free_a, free_b, ACME, BETA)

        first, second = run(inv, wanted, who), run(inv, wanted, who)

        assert first == second
        keys = [p.action.key for p in first.actions]
        assert keys == sorted(keys)
        assert len(keys) == len(set(keys))


class TestMatchingByTag:
    def test_diff_keeps_name_of_managed_tenant_matched_by_customer_tag(self) -> None:
        wanted = own_tenant(ACME)
        renamed = existing(
            "acme-2023", customer="acme", resources=(resource("identity", "acme.io"),)
        )

        changes = run(inventory(renamed), desired(wanted), owners(ACME))

        assert of_kind(changes, CreateTenant) == []
        assert [p.action.tenant for p in changes.actions] == ["acme-2023"]
        assert changes.tenants == (("acme-2023", wanted),)
        assert changes.warnings == ()

    def test_diff_matches_shared_tenant_by_group_tag(self) -> None:
        free_a = customer("a", identities=("a.io",))
        wanted = tier_tenant("free", free_a)
        shared = existing("free-pool", group="tier:free", resources=wanted.resources)

        changes = run(inventory(shared), desired(wanted), owners(free_a))

        assert changes.actions == ()
        assert changes.tenants == (("free-pool", wanted),)

    def test_diff_does_not_match_tenant_of_another_migration_by_tag(self) -> None:
        theirs = existing("acme-old", migration="other", customer="acme")

        changes = run(inventory(theirs), desired(own_tenant(ACME)), owners(ACME))

        assert [p.action for p in of_kind(changes, CreateTenant)] == [
            CreateTenant("acme", own_tenant(ACME).tags)
        ]
        assert touching(changes, "acme-old") == []


class TestUnmanagedTenants:
    def test_diff_refuses_desired_name_held_by_unmanaged_tenant(self) -> None:
        handmade = existing("acme", migration=None)

        with pytest.raises(PlanError) as exc:
            run(inventory(handmade), desired(own_tenant(ACME)), owners(ACME))

        message = str(exc.value)
        assert "tenant acme exists and is not managed by sesmigrate" in message
        assert "--adopt acme" in message
        assert "\n" not in message

    def test_diff_names_every_unmanaged_holder_in_one_error(self) -> None:
        inv = inventory(existing("acme", migration=None), existing("beta", migration=None))

        with pytest.raises(PlanError) as exc:
            run(inv, desired(own_tenant(ACME), own_tenant(BETA)), owners(ACME, BETA))

        assert "--adopt acme" in str(exc.value)
        assert "--adopt beta" in str(exc.value)

    def test_diff_adopts_unmanaged_tenant_named_in_spec(self) -> None:
        handmade = existing("acme", migration=None, resources=(resource("identity", "acme.io"),))
        spec = dataclasses.replace(SPEC, adopt=("acme",))

        changes = run(inventory(handmade), desired(own_tenant(ACME)), owners(ACME), spec)

        assert of_kind(changes, CreateTenant) == []
        assert [p.action for p in of_kind(changes, AttachResource)] == [
            AttachResource("acme", arn("configuration-set", "acme-tx"), "CONFIGURATION_SET")
        ]
        assert changes.adopted == ("acme",)
        assert "acme" not in changes.unmanaged

    def test_diff_never_detaches_from_adopted_tenant(self) -> None:
        wanted = own_tenant(ACME)
        handmade = existing(
            "acme",
            migration=None,
            resources=(*wanted.resources, resource("identity", "stray.io")),
        )
        spec = dataclasses.replace(SPEC, adopt=("acme",))

        changes = run(inventory(handmade), desired(wanted), owners(ACME), spec)

        assert of_kind(changes, DetachResource) == []
        assert changes.actions == ()

    def test_diff_refuses_desired_name_held_by_another_migration(self) -> None:
        theirs = existing("acme", migration="other", customer="acme")
        spec = dataclasses.replace(SPEC, adopt=("acme",))

        with pytest.raises(PlanError) as exc:
            run(inventory(theirs), desired(own_tenant(ACME)), owners(ACME), spec)

        assert "tenant acme belongs to migration 'other'" in str(exc.value)
        assert f"of {MIGRATION!r}" in str(exc.value)

    def test_diff_lists_unrelated_unmanaged_tenants_and_leaves_them_alone(self) -> None:
        inv = inventory(
            existing("legacy-b", migration=None, resources=(resource("identity", "acme.io"),)),
            existing("legacy-a", migration=None),
        )

        changes = run(inv, desired(own_tenant(ACME)), owners(ACME))

        assert sorted(changes.unmanaged) == ["legacy-a", "legacy-b"]
        assert touching(changes, "legacy-a") == []
        assert touching(changes, "legacy-b") == []


class TestMakeBeforeBreak:
    """`beta` leaves the shared free-tier tenant for a tenant of its own."""

    FREE_A = customer("a", identities=("a.io",))
    LEAVER = customer("beta", identities=("beta.io",))

    def changes(self) -> Changes:
        shared = existing(
            "tier-free",
            group="tier:free",
            resources=resources_of(self.FREE_A, self.LEAVER),
        )
        wanted = desired(tier_tenant("free", self.FREE_A), own_tenant(self.LEAVER))
        return run(inventory(shared), wanted, owners(self.FREE_A, self.LEAVER))

    def test_diff_attaches_moved_resource_to_new_tenant_outside_cleanup(self) -> None:
        [attach] = of_kind(self.changes(), AttachResource)

        assert attach.action == AttachResource("beta", arn("identity", "beta.io"), "EMAIL_IDENTITY")
        assert not attach.cleanup
        assert attach.customers == ("beta",)

    def test_diff_detaches_moved_resource_from_old_tenant_in_cleanup(self) -> None:
        [detach] = of_kind(self.changes(), DetachResource)

        assert detach.action == DetachResource(
            "tier-free", arn("identity", "beta.io"), "EMAIL_IDENTITY"
        )
        assert detach.cleanup
        assert detach.customers == ()
        assert detach.expectations == (
            Expectation("tenant_present", "tier-free", "tn-tier-free"),
            Expectation("association_present", "tier-free", arn("identity", "beta.io")),
        )

    def test_diff_keeps_the_resources_that_stay(self) -> None:
        changes = self.changes()

        assert [p.action.resource_arn for p in of_kind(changes, DetachResource)] == [
            arn("identity", "beta.io")
        ]
        assert [p.cleanup for p in changes.actions if not isinstance(p.action, DetachResource)] == [
            False,
            False,
        ]


class TestOrphans:
    def inputs(self) -> tuple[Inventory, DesiredState, Ownership]:
        wanted = own_tenant(ACME)
        inv = inventory(
            existing("acme", customer="acme", resources=wanted.resources),
            existing("gone", customer="gone", resources=(resource("identity", "gone.io"),)),
        )
        return inv, desired(wanted), owners(ACME)

    def test_diff_only_warns_about_managed_tenant_no_longer_wanted(self) -> None:
        changes = run(*self.inputs())

        assert changes.actions == ()
        assert changes.warnings == (
            "tenant gone is managed by this migration but no longer wanted; it is left in place",
        )

    def test_diff_deletes_orphaned_managed_tenant_in_cleanup_when_asked(self) -> None:
        spec = dataclasses.replace(SPEC, delete_orphaned_tenants=True)

        changes = run(*self.inputs(), spec)

        [delete] = changes.actions
        assert delete.action == DeleteTenant("gone")
        assert delete.action.irreversible
        assert delete.cleanup
        assert delete.expectations == (Expectation("tenant_present", "gone", "tn-gone"),)
        assert changes.warnings == (
            "tenant gone is managed by this migration but no longer wanted; "
            "it is deleted in cleanup",
        )

    def test_diff_never_deletes_unmanaged_or_foreign_tenants(self) -> None:
        inv, wanted, who = self.inputs()
        inv = dataclasses.replace(
            inv,
            tenants=(
                *inv.tenants,
                existing("handmade", migration=None),
                existing("theirs", migration="other", customer="x"),
            ),
        )
        spec = dataclasses.replace(SPEC, delete_orphaned_tenants=True)

        changes = run(inv, wanted, who, spec)

        assert [p.action.tenant for p in of_kind(changes, DeleteTenant)] == ["gone"]

    def test_diff_keeps_warnings_of_the_desired_state_first(self) -> None:
        inv, wanted, who = self.inputs()
        wanted = dataclasses.replace(wanted, warnings=("tenant acme has no template",))

        changes = run(inv, wanted, who)

        assert changes.warnings[0] == "tenant acme has no template"
        assert len(changes.warnings) == 2


class TestTenantQuota:
    def test_diff_refuses_plan_over_tenant_quota_with_the_numbers(self) -> None:
        spec = dataclasses.replace(SPEC, tenant_quota=2)
        inv = inventory(existing("legacy", migration=None))

        with pytest.raises(PlanError) as exc:
            run(inv, desired(own_tenant(ACME), own_tenant(BETA)), owners(ACME, BETA), spec)

        message = str(exc.value)
        assert "the plan needs 3 tenants (1 existing + 2 new) but the tenant quota is 2" in message
        assert "raise it in Service Quotas" in message

    def test_diff_accepts_plan_exactly_at_tenant_quota(self) -> None:
        spec = dataclasses.replace(SPEC, tenant_quota=3)
        inv = inventory(existing("legacy", migration=None))

        changes = run(inv, desired(own_tenant(ACME), own_tenant(BETA)), owners(ACME, BETA), spec)

        assert len(of_kind(changes, CreateTenant)) == 2

    def test_diff_counts_deleted_tenants_against_the_quota(self) -> None:
        spec = dataclasses.replace(SPEC, tenant_quota=2, delete_orphaned_tenants=True)
        inv = inventory(existing("gone", customer="gone"), existing("legacy", migration=None))

        with pytest.raises(PlanError) as exc:
            run(inv, desired(own_tenant(ACME), own_tenant(BETA)), owners(ACME, BETA), spec)

        assert "needs 3 tenants (2 existing + 2 new - 1 deleted)" in str(exc.value)
