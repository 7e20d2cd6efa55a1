"""Each action kind applied through boto3 against the emulator (in-process and over HTTP)."""

import json
import time
from collections import Counter
from typing import Any

import pytest

from sesmigrate.actions.kinds import KINDS, action_from_dict
from sesmigrate.actions.monitoring import (
    CreateLogGroup,
    DeleteLogGroup,
    DeleteLogsPolicy,
    DeleteRule,
    PutLogsPolicy,
    PutRule,
    PutTarget,
    RemoveTarget,
)
from sesmigrate.actions.tenant import (
    Action,
    ActionConflict,
    AttachResource,
    CreateTenant,
    DeleteCreatedTenant,
    DeleteTenant,
    DetachResource,
    Known,
    Memory,
    Outcome,
    SetCustomerManagedStatus,
    SetReputationPolicy,
    SetSuppressionAttributes,
)
from sesmigrate.aws import scanner
from sesmigrate.aws.clients import AccountBinding, Clients
from sesmigrate.planning.diff import diff
from sesmigrate.planning.durations import action_calls, created_tenants
from sesmigrate.planning.graph import cohorts
from sesmigrate.planning.ownership import Customer, Ownership
from sesmigrate.planning.snapshot import CUSTOMER_TAG, MANAGED_TAG
from sesmigrate.planning.spec import CohortSpec, MigrationSpec, Suppression
from sesmigrate.strategies import desired_state, get_strategy
from tests.conftest import count_calls, lose_answers

ARN = "arn:aws:ses:us-east-1:123456789012"
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ses/tenants"
POLICY = "arn:aws:ses:us-east-1:aws:reputation-policy"
MIGRATION = "acme-move"
TAGS = tuple(sorted(((MANAGED_TAG, MIGRATION), (CUSTOMER_TAG, "acme"))))


def make_identity(ses: Any, name: str = "acme.example.com") -> str:
    ses.create_email_identity(EmailIdentity=name)
    return f"{ARN}:identity/{name}"


def make_tenant(ses: Any, name: str = "acme", **kwargs: Any) -> str:
    return str(ses.create_tenant(TenantName=name, **kwargs)["TenantArn"])


def resources_of(ses: Any, tenant: str = "acme") -> list[str]:
    return [
        r["ResourceArn"] for r in ses.list_tenant_resources(TenantName=tenant)["TenantResources"]
    ]


def tenant_arn(ses: Any, tenant: str = "acme") -> str:
    return str(ses.get_tenant(TenantName=tenant)["Tenant"]["TenantArn"])


def entity(ses: Any, tenant: str = "acme") -> dict[str, Any]:
    arn = tenant_arn(ses, tenant)
    return ses.get_reputation_entity(
        ReputationEntityType="RESOURCE", ReputationEntityReference=arn
    )["ReputationEntity"]


def suppression(ses: Any, tenant: str = "acme") -> dict[str, Any]:
    return ses.get_tenant(TenantName=tenant)["Tenant"]["SuppressionAttributes"]


def undo(action: Action, outcome: Outcome, ses: Any) -> Outcome:
    inverse = action.inverse(outcome)
    assert inverse is not None
    return inverse.apply(ses, attempted_before=False)


class TestCreateTenant:
    ACTION = CreateTenant("acme", TAGS, ("BOUNCE",), "TENANT")

    def test_create_tenant_makes_a_tagged_tenant_with_suppression(self, ses: Any) -> None:
        outcome = self.ACTION.apply(ses, attempted_before=False)

        got = ses.get_tenant(TenantName="acme")["Tenant"]
        assert outcome == Outcome(made=True, tenant_arn=got["TenantArn"])
        assert sorted((t["Key"], t["Value"]) for t in got["Tags"]) == list(TAGS)
        assert got["SuppressionAttributes"] == {
            "SuppressedReasons": ["BOUNCE"],
            "SuppressionScope": "TENANT",
        }

    def test_create_tenant_without_suppression_sends_none(self, ses: Any) -> None:
        CreateTenant("acme", TAGS).apply(ses, attempted_before=False)

        assert suppression(ses) == {"SuppressedReasons": []}

    def test_create_tenant_is_undone_by_delete_tenant(self, ses: Any) -> None:
        outcome = self.ACTION.apply(ses, attempted_before=False)

        assert self.ACTION.inverse(outcome) == DeleteCreatedTenant("acme", migration=MIGRATION)
        assert undo(self.ACTION, outcome, ses) == Outcome(made=True)
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.get_tenant(TenantName="acme")

    def test_create_tenant_counts_as_made_when_our_earlier_attempt_landed(self, ses: Any) -> None:
        self.ACTION.apply(ses, attempted_before=False)

        again = self.ACTION.apply(ses, attempted_before=True)

        assert again == Outcome(made=True, tenant_arn=tenant_arn(ses))
        assert self.ACTION.inverse(again) == DeleteCreatedTenant("acme", migration=MIGRATION)

    def test_create_tenant_counts_as_made_when_botocore_retried_past_its_lost_answer(
        self, ses: Any
    ) -> None:
        lost = lose_answers(ses, "CreateTenant")

        outcome = self.ACTION.apply(ses, attempted_before=False)

        assert lost == [1]
        assert outcome == Outcome(made=True, tenant_arn=tenant_arn(ses))
        assert self.ACTION.inverse(outcome) == DeleteCreatedTenant("acme", migration=MIGRATION)

    def test_create_tenant_counts_as_found_when_someone_else_made_it(self, ses: Any) -> None:
        self.ACTION.apply(ses, attempted_before=False)

        again = self.ACTION.apply(ses, attempted_before=False)

        assert again == Outcome(made=False, tenant_arn=tenant_arn(ses))
        assert self.ACTION.inverse(again) is None

    def test_create_tenant_refuses_a_tenant_of_this_migration_for_another_customer(
        self, ses: Any
    ) -> None:
        tags = [{"Key": k, "Value": v} for k, v in self.ACTION.tags]
        tags = [t if t["Key"] != "sesmigrate:customer" else {**t, "Value": "other"} for t in tags]
        make_tenant(ses, Tags=tags)

        with pytest.raises(ActionConflict, match="--adopt acme"):
            self.ACTION.apply(ses, attempted_before=True)

    def test_create_tenant_refuses_an_unmanaged_tenant_of_that_name(self, ses: Any) -> None:
        make_tenant(ses, Tags=[{"Key": "team", "Value": "mail"}])

        with pytest.raises(ActionConflict) as exc:
            self.ACTION.apply(ses, attempted_before=True)

        message = str(exc.value)
        assert message.startswith("tenant acme already exists and is not this migration's")
        assert repr(MIGRATION) in message
        assert "--adopt acme" in message
        assert "\n" not in message

    def test_create_tenant_refuses_a_tenant_of_another_migration(self, ses: Any) -> None:
        make_tenant(ses, Tags=[{"Key": MANAGED_TAG, "Value": "other"}])

        with pytest.raises(ActionConflict, match="--adopt acme"):
            self.ACTION.apply(ses, attempted_before=False)
        assert ses.get_tenant(TenantName="acme")["Tenant"]["Tags"] == [
            {"Key": MANAGED_TAG, "Value": "other"}
        ]


class TestDeleteTenant:
    def test_delete_tenant_is_irreversible_and_has_no_inverse(self, ses: Any) -> None:
        make_tenant(ses)

        outcome = DeleteTenant("acme").apply(ses, attempted_before=False)

        assert DeleteTenant.irreversible
        assert outcome == Outcome(made=True)
        assert DeleteTenant("acme").inverse(outcome) is None
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.get_tenant(TenantName="acme")

    def test_delete_tenant_keeps_the_resources_it_held(self, ses: Any) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)

        DeleteTenant("acme").apply(ses, attempted_before=False)

        assert ses.get_email_identity(EmailIdentity="acme.example.com")["IdentityType"]
        assert ses.list_resource_tenants(ResourceArn=identity)["ResourceTenants"] == []

    @pytest.mark.parametrize("attempted_before", [True, False])
    def test_delete_tenant_of_a_missing_tenant_counts_as_done(
        self, ses: Any, attempted_before: bool
    ) -> None:
        outcome = DeleteTenant("acme").apply(ses, attempted_before=attempted_before)

        assert outcome == Outcome(made=attempted_before)

    def test_delete_tenant_counts_as_made_when_botocore_retried_past_its_lost_answer(
        self, ses: Any
    ) -> None:
        make_tenant(ses)
        lost = lose_answers(ses, "DeleteTenant")

        outcome = DeleteTenant("acme").apply(ses, attempted_before=False)

        assert lost == [1]
        assert outcome == Outcome(made=True)

    def test_deleting_a_created_tenant_leaves_one_whose_migration_tag_is_gone(
        self, ses: Any
    ) -> None:
        make_tenant(ses, Tags=[{"Key": "owner", "Value": "team-b"}])

        with pytest.raises(ActionConflict, match=f"acme is no longer tagged {MANAGED_TAG}"):
            DeleteCreatedTenant("acme", migration=MIGRATION).apply(ses, attempted_before=False)

        assert ses.get_tenant(TenantName="acme")["Tenant"]["TenantName"] == "acme"

    def test_deleting_a_created_tenant_leaves_one_tagged_with_another_migration(
        self, ses: Any
    ) -> None:
        make_tenant(ses, Tags=[{"Key": MANAGED_TAG, "Value": "other-move"}])

        with pytest.raises(ActionConflict, match=f"tagged {MANAGED_TAG}=other-move"):
            DeleteCreatedTenant("acme", migration=MIGRATION).apply(ses, attempted_before=False)

        assert ses.get_tenant(TenantName="acme")["Tenant"]["TenantName"] == "acme"

    def test_deleting_a_created_tenant_names_associations_we_did_not_make_and_keeps_them(
        self, ses: Any
    ) -> None:
        ours, theirs = make_identity(ses, "ours.example.com"), make_identity(ses)
        make_tenant(ses, Tags=[{"Key": MANAGED_TAG, "Value": MIGRATION}])
        for arn in (ours, theirs):
            ses.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)
        action = DeleteCreatedTenant("acme", migration=MIGRATION, ours=frozenset({ours}))

        with pytest.raises(
            ActionConflict, match=r"1 association\(s\) .*\(identity/acme.example.com\)"
        ):
            action.apply(ses, attempted_before=False)

        assert sorted(resources_of(ses)) == sorted([ours, theirs])

    def test_deleting_a_created_tenant_with_foreign_associations_when_allowed(
        self, ses: Any
    ) -> None:
        theirs = make_identity(ses)
        make_tenant(ses, Tags=[{"Key": MANAGED_TAG, "Value": MIGRATION}])
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=theirs)
        action = DeleteCreatedTenant("acme", migration=MIGRATION, foreign_allowed=True)

        assert action.apply(ses, attempted_before=False) == Outcome(made=True)

        assert ses.list_resource_tenants(ResourceArn=theirs)["ResourceTenants"] == []

    @pytest.mark.parametrize("attempted_before", [True, False])
    def test_deleting_a_created_tenant_already_gone_counts_as_made_only_after_our_attempt(
        self, ses: Any, attempted_before: bool
    ) -> None:
        action = DeleteCreatedTenant("acme", migration=MIGRATION)

        assert action.apply(ses, attempted_before) == Outcome(made=attempted_before)

    def test_only_deleting_a_tenant_or_a_log_group_is_irreversible(self) -> None:
        assert [kind for kind, cls in sorted(KINDS.items()) if cls.irreversible] == [
            "delete_log_group",
            "delete_tenant",
        ]


class TestAssociations:
    def test_attach_resource_associates_and_is_undone_by_detach(self, ses: Any) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome == Outcome(made=True)
        assert resources_of(ses) == [identity]
        assert action.inverse(outcome) == DetachResource("acme", identity, "EMAIL_IDENTITY")
        assert undo(action, outcome, ses) == Outcome(made=True)
        assert resources_of(ses) == []

    @pytest.mark.parametrize("attempted_before", [True, False])
    def test_attach_resource_already_there_counts_as_done(
        self, ses: Any, attempted_before: bool
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")

        outcome = action.apply(ses, attempted_before=attempted_before)

        assert outcome == Outcome(made=attempted_before)
        assert (action.inverse(outcome) is not None) is attempted_before
        assert resources_of(ses) == [identity]

    def test_attach_resource_counts_as_made_when_botocore_retried_past_its_lost_answer(
        self, ses: Any
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")
        lost = lose_answers(ses, "CreateTenantResourceAssociation")

        outcome = action.apply(ses, attempted_before=False)

        assert lost == [1]
        assert outcome == Outcome(made=True)
        assert undo(action, outcome, ses) == Outcome(made=True)
        assert resources_of(ses) == []

    def test_attach_resource_found_after_our_attempt_is_not_made_when_dated_before_our_intent(
        self, ses: Any
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")
        later = time.time() + 3600  # our intent, an hour after the hand-made association

        outcome = action.apply(ses, attempted_before=True, memory=Memory(since=later))

        assert outcome == Outcome(made=False)
        assert action.inverse(outcome) is None

    def test_attach_resource_found_after_a_retry_counts_as_made_when_dated_after_our_intent(
        self, ses: Any
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")
        earlier = time.time() - 3600
        lose_answers(ses, "CreateTenantResourceAssociation")

        outcome = action.apply(ses, attempted_before=False, memory=Memory(since=earlier))

        assert outcome == Outcome(made=True)

    def test_attach_resource_is_ours_only_if_it_exists_and_is_dated_after_our_intent(
        self, ses: Any
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        action = AttachResource("acme", identity, "EMAIL_IDENTITY")
        assert action.is_ours(ses, since=time.time() - 3600) is False

        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)

        assert action.is_ours(ses, since=time.time() - 3600) is True
        assert action.is_ours(ses, since=time.time() + 3600) is False
        assert action.is_ours(ses) is True

    def test_detach_resource_removes_only_that_pair_and_is_undone_by_attach(self, ses: Any) -> None:
        identity = make_identity(ses)
        other = make_identity(ses, "beta.example.com")
        make_tenant(ses)
        for arn in (identity, other):
            ses.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)
        action = DetachResource("acme", identity, "EMAIL_IDENTITY")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome == Outcome(made=True)
        assert resources_of(ses) == [other]
        assert action.inverse(outcome) == AttachResource("acme", identity, "EMAIL_IDENTITY")
        undo(action, outcome, ses)
        assert sorted(resources_of(ses)) == sorted([identity, other])

    @pytest.mark.parametrize("attempted_before", [True, False])
    def test_detach_resource_already_gone_counts_as_done(
        self, ses: Any, attempted_before: bool
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        action = DetachResource("acme", identity, "EMAIL_IDENTITY")

        outcome = action.apply(ses, attempted_before=attempted_before)

        assert outcome == Outcome(made=attempted_before)
        assert (action.inverse(outcome) is not None) is attempted_before

    def test_detach_resource_in_cleanup_counts_as_made_when_its_answer_was_lost(
        self, ses: Any
    ) -> None:
        identity = make_identity(ses)
        make_tenant(ses)
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)
        action = DetachResource("acme", identity, "EMAIL_IDENTITY")
        lost = lose_answers(ses, "DeleteTenantResourceAssociation")

        outcome = action.apply(ses, attempted_before=False)

        assert lost == [1]
        assert outcome == Outcome(made=True)
        undo(action, outcome, ses)
        assert resources_of(ses) == [identity]


class TestReputationPolicy:
    def test_set_reputation_policy_records_previous_and_inverse_restores_it(self, ses: Any) -> None:
        make_tenant(ses)
        action = SetReputationPolicy("acme", "strict")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome == Outcome(made=True, previous=f"{POLICY}/standard")
        assert entity(ses)["ReputationManagementPolicy"] == f"{POLICY}/strict"
        assert action.inverse(outcome) == SetReputationPolicy("acme", f"{POLICY}/standard")
        undo(action, outcome, ses)
        assert entity(ses)["ReputationManagementPolicy"] == f"{POLICY}/standard"

    def test_set_reputation_policy_accepts_a_policy_arn(self, ses: Any) -> None:
        make_tenant(ses)

        outcome = SetReputationPolicy("acme", f"{POLICY}/none").apply(ses, attempted_before=False)

        assert outcome.made
        assert entity(ses)["ReputationManagementPolicy"] == f"{POLICY}/none"

    def test_set_reputation_policy_is_a_no_op_when_already_set(self, ses: Any) -> None:
        make_tenant(ses)
        action = SetReputationPolicy("acme", "standard")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome == Outcome(made=False, previous=f"{POLICY}/standard")
        assert action.inverse(outcome) is None
        assert entity(ses)["ReputationManagementPolicy"] == f"{POLICY}/standard"


class TestCustomerManagedStatus:
    def test_set_status_records_previous_and_inverse_restores_it(self, ses: Any) -> None:
        make_tenant(ses)
        action = SetCustomerManagedStatus("acme", "DISABLED")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome == Outcome(made=True, previous="ENABLED")
        assert entity(ses)["CustomerManagedStatus"]["Status"] == "DISABLED"
        assert action.inverse(outcome) == SetCustomerManagedStatus("acme", "ENABLED")
        undo(action, outcome, ses)
        assert entity(ses)["CustomerManagedStatus"]["Status"] == "ENABLED"

    def test_set_status_is_a_no_op_when_already_set(self, ses: Any) -> None:
        make_tenant(ses)
        action = SetCustomerManagedStatus("acme", "ENABLED")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome == Outcome(made=False, previous="ENABLED")
        assert action.inverse(outcome) is None


class TestSuppressionAttributes:
    def test_set_suppression_records_previous_json_and_inverse_restores_it(self, ses: Any) -> None:
        make_tenant(
            ses,
            SuppressionAttributes={"SuppressedReasons": ["BOUNCE"], "SuppressionScope": "ACCOUNT"},
        )
        action = SetSuppressionAttributes("acme", ("BOUNCE", "COMPLAINT"), "TENANT")

        outcome = action.apply(ses, attempted_before=False)

        assert outcome.made
        assert json.loads(outcome.previous or "") == {"reasons": ["BOUNCE"], "scope": "ACCOUNT"}
        assert suppression(ses) == {
            "SuppressedReasons": ["BOUNCE", "COMPLAINT"],
            "SuppressionScope": "TENANT",
        }
        assert action.inverse(outcome) == SetSuppressionAttributes("acme", ("BOUNCE",), "ACCOUNT")
        undo(action, outcome, ses)
        assert suppression(ses) == {"SuppressedReasons": ["BOUNCE"], "SuppressionScope": "ACCOUNT"}

    def test_set_suppression_inverse_restores_a_tenant_that_had_none(self, ses: Any) -> None:
        make_tenant(ses)
        before = suppression(ses)
        action = SetSuppressionAttributes("acme", ("COMPLAINT",), "TENANT")

        outcome = action.apply(ses, attempted_before=False)
        undo(action, outcome, ses)

        assert json.loads(outcome.previous or "") == {"reasons": [], "scope": None}
        assert suppression(ses) == before

    def test_set_suppression_is_a_no_op_when_already_set(self, ses: Any) -> None:
        make_tenant(
            ses,
            SuppressionAttributes={
                "SuppressedReasons": ["COMPLAINT", "BOUNCE"],
                "SuppressionScope": "TENANT",
            },
        )
        action = SetSuppressionAttributes("acme", ("BOUNCE", "COMPLAINT"), "TENANT")

        outcome = action.apply(ses, attempted_before=False)

        assert not outcome.made
        assert action.inverse(outcome) is None


RETRIED = [
    pytest.param(
        SetReputationPolicy("acme", "strict"),
        lambda ses: entity(ses)["ReputationManagementPolicy"],
        id="policy",
    ),
    pytest.param(
        SetCustomerManagedStatus("acme", "DISABLED"),
        lambda ses: entity(ses)["CustomerManagedStatus"]["Status"],
        id="status",
    ),
    pytest.param(
        SetSuppressionAttributes("acme", ("BOUNCE",), "TENANT"),
        suppression,
        id="suppression",
    ),
]


@pytest.mark.parametrize(("action", "read"), RETRIED)
def test_change_inverse_restores_pre_apply_value_when_retried_after_a_crash(
    ses: Any, action: Action, read: Any
) -> None:
    make_tenant(ses)
    before = read(ses)
    journal: list[str] = []
    # the call lands; the run dies before its outcome is journaled (its note already was)
    action.apply(ses, attempted_before=False, memory=Memory(note=journal.append))

    outcome = action.apply(ses, attempted_before=True, memory=Memory(recalled=journal[0]))
    undo(action, outcome, ses)

    assert outcome.made
    assert read(ses) == before


@pytest.mark.parametrize(("action", "read"), RETRIED)
def test_change_of_a_created_tenant_reads_nothing_and_its_inverse_restores_the_default(
    ses: Any, action: Action, read: Any
) -> None:
    known = Known(tenant_arn=make_tenant(ses), created=True)
    before = read(ses)
    calls = count_calls(ses)

    outcome = action.apply(ses, attempted_before=False, memory=Memory(known=known))

    assert calls == Counter(action.operations_for(created=True))
    assert "GetTenant" not in calls
    assert outcome.made
    undo(action, outcome, ses)
    assert read(ses) == before


@pytest.mark.parametrize(("action", "read"), RETRIED)
def test_change_of_a_found_tenant_reads_its_arn_and_current_value_first(
    ses: Any, action: Action, read: Any
) -> None:
    make_tenant(ses)
    calls = count_calls(ses)

    action.apply(ses, attempted_before=False, memory=Memory())

    assert calls == Counter(action.operations_for(created=False))
    assert calls["GetTenant"] == 1


@pytest.mark.parametrize(
    "action", [SetReputationPolicy("acme", "strict"), SetCustomerManagedStatus("acme", "DISABLED")]
)
def test_change_with_a_journaled_arn_asks_no_tenant_but_reads_the_current_value(
    ses: Any, action: Action
) -> None:
    known = Known(tenant_arn=make_tenant(ses), created=False)
    calls = count_calls(ses)

    action.apply(ses, attempted_before=False, memory=Memory(known=known))

    assert calls == Counter(action.operations_for(created=False)) - Counter(["GetTenant"])


def test_create_tenant_calls_only_create_tenant(ses: Any) -> None:
    action = CreateTenant("acme", TAGS)
    calls = count_calls(ses)

    action.apply(ses, attempted_before=False)

    assert calls == Counter(action.operations_for(created=True)) == Counter(["CreateTenant"])


def test_plan_call_count_reads_nothing_for_a_tenant_the_plan_creates() -> None:
    actions = [
        CreateTenant("new"),
        SetReputationPolicy("new", "strict"),
        SetSuppressionAttributes("new", ("BOUNCE",), "TENANT"),
        SetReputationPolicy("found", "strict"),
        SetSuppressionAttributes("found", ("BOUNCE",), "TENANT"),
    ]

    assert action_calls(actions, created_tenants(actions)) == Counter(
        {
            "CreateTenant": 1,
            "UpdateReputationEntityPolicy": 2,
            "PutTenantSuppressionAttributes": 2,
            "GetTenant": 2,
            "GetReputationEntity": 1,
        }
    )


EVERY_KIND = [
    CreateTenant("acme", TAGS, ("BOUNCE", "COMPLAINT"), "TENANT"),
    CreateTenant("bare"),
    DeleteTenant("acme"),
    AttachResource("acme", f"{ARN}:identity/acme.io", "EMAIL_IDENTITY"),
    DetachResource("acme", f"{ARN}:configuration-set/acme-tx", "CONFIGURATION_SET"),
    SetReputationPolicy("acme", "strict"),
    SetCustomerManagedStatus("acme", "REINSTATED"),
    SetSuppressionAttributes("acme", ("BOUNCE",), None),
    CreateLogGroup("/aws/ses/tenants", LOG_GROUP_ARN, TAGS),
    DeleteLogGroup("/aws/ses/tenants"),
    PutLogsPolicy("sesmigrate-m1", '{"Statement":[],"Version":"2012-10-17"}'),
    DeleteLogsPolicy("sesmigrate-m1"),
    PutRule("sesmigrate-m1", '{"EventPattern":{"source":["aws.ses"]},"State":"ENABLED"}', TAGS),
    DeleteRule("sesmigrate-m1"),
    PutTarget("sesmigrate-m1", f'{{"Arn":"{LOG_GROUP_ARN}","Id":"logs"}}'),
    RemoveTarget("sesmigrate-m1", "logs"),
]


class TestPlanForm:
    @pytest.mark.parametrize("action", EVERY_KIND, ids=lambda a: a.key)
    def test_action_from_dict_rebuilds_what_to_dict_wrote(self, action: Action) -> None:
        data = json.loads(json.dumps(action.to_dict()))

        rebuilt = action_from_dict(data)

        assert rebuilt == action
        assert rebuilt.key == action.key
        assert data["kind"] == action.kind

    def test_every_kind_has_a_round_trip_case(self) -> None:
        assert {a.kind for a in EVERY_KIND} == set(KINDS)

    @pytest.mark.parametrize("kind", ["frobnicate", None, ""])
    def test_action_from_dict_rejects_an_unknown_kind(self, kind: str | None) -> None:
        with pytest.raises(ValueError, match=f"unknown action kind {kind!r}"):
            action_from_dict({"kind": kind, "tenant": "acme"})

    def test_action_from_dict_rejects_a_missing_field(self) -> None:
        data = AttachResource("acme", f"{ARN}:identity/acme.io", "EMAIL_IDENTITY").to_dict()
        del data["resource_arn"]

        with pytest.raises(ValueError) as exc:
            action_from_dict(data)

        assert str(exc.value) == (
            "action attach needs fields ['resource_arn', 'resource_type', 'tenant'], "
            "got ['resource_type', 'tenant']"
        )

    def test_action_from_dict_rejects_an_unknown_field(self) -> None:
        data = {**DeleteTenant("acme").to_dict(), "force": True}

        with pytest.raises(ValueError, match="action delete_tenant needs fields"):
            action_from_dict(data)

    def test_action_keys_are_unique_per_kind_tenant_and_resource(self) -> None:
        actions = [
            cls(tenant, *extra)
            for tenant in ("acme", "beta")
            for cls, extra in (
                (CreateTenant, ()),
                (DeleteTenant, ()),
                (SetReputationPolicy, ()),
                (SetCustomerManagedStatus, ()),
                (SetSuppressionAttributes, ()),
                (AttachResource, (f"{ARN}:identity/a.io", "EMAIL_IDENTITY")),
                (AttachResource, (f"{ARN}:identity/b.io", "EMAIL_IDENTITY")),
                (DetachResource, (f"{ARN}:identity/a.io", "EMAIL_IDENTITY")),
                (DetachResource, (f"{ARN}:identity/b.io", "EMAIL_IDENTITY")),
            )
        ]

        keys = [a.key for a in actions]

        assert len(set(keys)) == len(keys)
        assert all(key.startswith(f"{a.kind}:") for key, a in zip(keys, actions, strict=True))

    def test_action_key_ignores_what_the_action_sets(self) -> None:
        assert CreateTenant("acme", TAGS).key == CreateTenant("acme").key == "create_tenant:acme"
        assert SetReputationPolicy("acme", "strict").key == SetReputationPolicy("acme").key
        assert (
            SetSuppressionAttributes("acme", ("BOUNCE",), "TENANT").key
            == SetSuppressionAttributes("acme").key
        )
        assert SetCustomerManagedStatus("acme", "DISABLED").key == "set_status:acme"


class TestAppliedDiff:
    """What the actions make is what the diff reads as done: a re-plan is empty."""

    def test_applying_every_action_of_a_diff_leaves_nothing_to_diff(self, emulator: Any) -> None:
        ses = emulator.ses
        ses.create_configuration_set(ConfigurationSetName="acme-tx")
        make_identity(ses)
        make_identity(ses, "beta.example.com")
        make_tenant(ses, "legacy")
        customers = (
            Customer("acme", "free", ("acme.example.com",), ("acme-tx",), (), ()),
            Customer("beta", "vip", ("beta.example.com",), (), (), ()),
        )
        owners = Ownership(customers, (), (), (), (), ())
        spec = MigrationSpec(
            name=MIGRATION,
            tier_policies=(("vip", "strict"),),
            suppression=(("free", Suppression(("BOUNCE",), "TENANT")),),
            cohorts=CohortSpec(canary=1, wave_size=1),
        )
        clients = Clients(ses=ses, sts=emulator.client("sts"), region="us-east-1")
        binding = AccountBinding("123456789012", "us-east-1")

        def plan_changes() -> Any:
            inventory = scanner.scan(clients, binding)
            wanted = desired_state(get_strategy("isolated"), owners, inventory, spec)
            return diff(inventory, wanted, owners, spec)

        changes = plan_changes()
        by_key = {p.action.key: p.action for p in changes.actions}
        outcomes = {
            key: by_key[key].apply(ses, attempted_before=False)
            for cohort in cohorts(changes.actions, customers, spec.cohorts)
            for batch in cohort.batches
            for key in batch
        }

        assert sorted(outcomes) == sorted(by_key)
        # a new tenant already has the standard policy, so only the strict one is set
        assert SetReputationPolicy("acme").key not in by_key
        assert SetReputationPolicy("beta", "strict").key in by_key
        assert all(outcome.made for outcome in outcomes.values())
        assert plan_changes().actions == ()
