"""The onboarding benchmark's necessary calls, its check for doubling, and one tiny run of it
(benchmarks/bench_onboard.py); no timing is asserted."""

from benchmarks.bench_onboard import AccountView, Mode, SignedUp, problems_of, run_mode
from benchmarks.necessary import AccountShape, onboarding_calls, redelivered_calls, sign_ups
from sesmigrate.emulator.control import TrafficSettings

WRITES = ("CreateTenant", "CreateTenantResourceAssociation", "UpdateReputationEntityPolicy")


def test_a_sign_up_lists_once_reads_its_own_two_resources_and_associates_both() -> None:
    calls = onboarding_calls(AccountShape(identities=31, configuration_sets=21, tenants=20))
    assert calls == {
        "CreateEmailIdentity": 1,
        "CreateConfigurationSet": 1,
        "ListEmailIdentities": 1,
        "ListConfigurationSets": 1,
        "ListTenants": 1,
        "ListEmailTemplates": 1,
        "GetEmailIdentity": 1,
        "GetConfigurationSet": 1,
        "CreateTenant": 1,
        "CreateTenantResourceAssociation": 2,
    }


def test_sign_ups_in_turn_list_the_tenants_the_earlier_ones_made() -> None:
    calls = sign_ups(AccountShape(identities=0, configuration_sets=0, tenants=99), 3)
    assert calls["ListTenants"] == 1 + 1 + 2  # 99, 100, then 101 tenants: a second page
    assert calls["GetEmailIdentity"] == 3  # earlier customers are in the state: not re-read
    assert calls["CreateTenantResourceAssociation"] == 6


def test_a_second_delivery_reads_but_writes_nothing() -> None:
    assert not set(WRITES) & set(redelivered_calls())


def done(customer: str, made: tuple[str, ...] = ("create tenant x",)) -> SignedUp:
    return SignedUp(customer, customer, made, (), 1.0)


def held(*customers: str) -> AccountView:
    """The account when each of `customers` has its own tenant holding exactly its two."""
    arns = {
        c: (f"arn:identity/{c}.example.com", f"arn:configuration-set/{c}-cs") for c in customers
    }
    holders = {n.rsplit("/", 1)[-1]: (c,) for c, pair in arns.items() for n in pair}
    return AccountView(("old", *customers), arns, holders)


def test_each_customer_with_exactly_its_tenant_is_no_problem() -> None:
    assert problems_of(held("a", "b"), [done("a"), done("b"), done("b", ())], 1) == ()


def test_two_deliveries_that_both_created_a_tenant_are_a_doubling() -> None:
    found = problems_of(held("a"), [done("a"), done("a")], 1)
    assert found == ("a: its onboardings created 2 tenants, not 1",)


def test_a_resource_held_by_two_tenants_and_an_extra_tenant_are_reported() -> None:
    view = held("a")
    view = AccountView(
        (*view.tenants, "a-2"), view.held, {**view.holders, "a.example.com": ("a", "a-2")}
    )
    assert problems_of(view, [done("a")], 1) == (
        "3 tenants, not 2 (one more per customer)",
        "a: a.example.com is held by ['a', 'a-2'], not [a]",
    )


def test_a_failed_onboarding_is_reported() -> None:
    failed = SignedUp("a", "", (), (), 1.0, "the lock was held")
    assert "a: onboarding failed: the lock was held" in problems_of(held(), [failed], 1)


def test_a_tiny_run_side_by_side_delivered_twice_makes_exactly_the_necessary_writes() -> None:
    run = run_mode(
        Mode("side by side, each delivered twice", 2, copies=2),
        2,
        TrafficSettings(),
        lock_wait=120.0,
        account_customers=2,
    )
    assert run.problems == ()
    assert len(run.done) == 4 and {d.customer for d in run.done} == {"signup-0001", "signup-0002"}
    for op in WRITES:
        assert run.calls[op] == run.necessary[op], op
    assert run.necessary["CreateTenant"] == 2
    assert sum(1 for d in run.done if not d.made) == 2  # each second delivery: nothing to do
