"""The chaos run's full account snapshot and its differences (benchmarks/chaos.py)."""

from benchmarks.chaos import ADOPTED, REGION, _client, account, differences, hand_made
from benchmarks.emulator_process import emulator_process


def test_differences_name_each_changed_gone_and_new_key() -> None:
    before = {"tenants": {"a": {"id": "1", "tags": [("k", "v")]}, "b": {"id": "2"}}}
    after = {"tenants": {"a": {"id": "1", "tags": [("k", "w")]}, "c": {"id": "3"}}}

    assert differences(before, after) == [
        "tenants.a.tags: [('k', 'v')] -> [('k', 'w')]",
        "tenants.b: gone (was {'id': '2'})",
        "tenants.c: new ({'id': '3'})",
    ]
    assert differences(before, before) == []


def test_the_snapshot_sees_a_tenants_policy_suppression_and_id() -> None:
    server, url = emulator_process(4)
    try:
        hand_made(url)
        before = account(url)
        ses = _client("sesv2", url)
        arn = ses.get_tenant(TenantName=ADOPTED)["Tenant"]["TenantArn"]
        ses.update_reputation_entity_policy(
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=arn,
            ReputationEntityPolicy=f"arn:aws:ses:{REGION}:aws:reputation-policy/strict",
        )
        ses.put_tenant_suppression_attributes(TenantName=ADOPTED, SuppressedReasons=[])
        changed = differences(before, account(url))
        ses.delete_tenant(TenantName=ADOPTED)
        hand_made(url)
        recreated = differences(before, account(url))
    finally:
        server.terminate()
        server.wait()

    assert before["tenants"][ADOPTED]["policy"].endswith("/none")
    assert [d.split(":")[0] for d in changed] == [
        f"tenants.{ADOPTED}.policy",
        f"tenants.{ADOPTED}.suppressed_reasons",
        f"tenants.{ADOPTED}.suppression_scope",
    ]
    assert [d.split(":")[0] for d in recreated] == [f"tenants.{ADOPTED}.id"]
