"""The realistic account: deterministic from its seed, and shaped like a real ISV's."""

import re
from typing import Any

import pytest
from moto import mock_aws

from sesmigrate.emulator import backend, install
from sesmigrate.emulator.accounts import (
    HANDMADE_TENANT,
    SHARED_FREE_CONFIGURATION_SET,
    SHARED_FREE_POOL,
    load_account,
    realistic_account,
)
from tests.conftest import client

VALID_TENANT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def test_same_seed_gives_the_same_account_and_another_seed_another() -> None:
    assert realistic_account(30, seed=1) == realistic_account(30, seed=1)
    assert realistic_account(30, seed=1) != realistic_account(30, seed=2)


def test_account_has_every_tier_and_customer_ids_that_are_not_tenant_names() -> None:
    account = realistic_account(40, seed=7)

    assert {c.tier for c in account.customers} == {"free", "pro", "vip"}
    assert len({c.customer_id for c in account.customers}) == 40
    assert any(not VALID_TENANT_NAME.match(c.customer_id) for c in account.customers)


def test_free_customers_share_a_configuration_set_on_a_shared_pool() -> None:
    account = realistic_account(40, seed=7)
    shared = next(c for c in account.configuration_sets if c.name == SHARED_FREE_CONFIGURATION_SET)

    free = [c for c in account.customers if c.tier == "free"]

    assert shared.pool == SHARED_FREE_POOL
    assert len(free) > 1
    assert all(c.configuration_sets == (SHARED_FREE_CONFIGURATION_SET,) for c in free)


def test_vip_customers_have_a_dedicated_pool_behind_their_own_set() -> None:
    account = realistic_account(40, seed=7)
    sets = {c.name: c for c in account.configuration_sets}

    for vip in (c for c in account.customers if c.tier == "vip"):
        (own_set,) = vip.configuration_sets
        assert sets[own_set].pool == vip.pools[0]
        assert dict(sets[own_set].tags) == {"customer": vip.customer_id, "tier": "vip"}


def test_account_has_untagged_resources_and_a_pending_identity() -> None:
    account = realistic_account(10, seed=7)

    assert any(not i.tags for i in account.identities)
    assert any(not t.tags for t in account.templates)
    assert any(not i.verified for i in account.identities)


def test_account_rejects_zero_customers() -> None:
    with pytest.raises(ValueError, match="at least one customer"):
        realistic_account(0)


def test_loaded_account_reads_back_through_the_api_with_tags_and_handmade_tenant() -> None:
    account = realistic_account(15, seed=3)
    install()
    with mock_aws():
        load_account(backend(), account)
        ses: Any = client("sesv2")
        names = [
            i["IdentityName"] for i in ses.list_email_identities(PageSize=1000)["EmailIdentities"]
        ]
        customer = account.customers[0]
        identity_arn = f"arn:aws:ses:us-east-1:123456789012:identity/{customer.identities[0]}"
        tags = ses.list_tags_for_resource(ResourceArn=identity_arn)["Tags"]
        handmade = ses.list_tenant_resources(TenantName=HANDMADE_TENANT)["TenantResources"]
        templates = ses.list_email_templates(PageSize=100)["TemplatesMetadata"]

    assert sorted(names) == sorted(i.name for i in account.identities)
    assert {(t["Key"], t["Value"]) for t in tags} == {
        ("customer", customer.customer_id),
        ("tier", customer.tier),
    }
    assert identity_arn in {r["ResourceArn"] for r in handmade}
    assert len(templates) == len(account.templates)
