"""The monitoring action kinds applied through boto3 against the emulator (both transports).

Each put reads what it replaces and notes it before writing; its inverse restores exactly
that, or removes the thing when there was none (`null`). Removals of absent things count
as made only when our journal holds an earlier attempt.
"""

import json
from collections.abc import Callable
from typing import Any, ClassVar

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from sesmigrate.actions.monitoring import (
    NOTHING,
    CreateLogGroup,
    DeleteLogGroup,
    DeleteLogsPolicy,
    DeleteRule,
    PutLogsPolicy,
    PutRule,
    PutTarget,
    RemoveTarget,
)
from sesmigrate.actions.monitoring import (
    rule_settings as rule_settings_of,
)
from sesmigrate.actions.tenant import Action, ActionConflict, Memory, Outcome
from sesmigrate.aws import scanner
from sesmigrate.aws.clients import AccountBinding, Clients
from sesmigrate.planning.graph import cohorts
from sesmigrate.planning.monitoring import desired_monitoring, monitoring_changes
from sesmigrate.planning.snapshot import MANAGED_TAG, AccountInfo, Inventory, canonical_json
from sesmigrate.planning.spec import CohortSpec, MigrationSpec, MonitoringSpec
from sesmigrate.running.executor import is_transient
from tests.conftest import lose_answers

MIGRATION = "acme-move"
SPEC = MigrationSpec(
    name=MIGRATION, monitoring=MonitoringSpec(enabled=True), cohorts=CohortSpec(canary=1)
)
ACCOUNT = AccountInfo("123456789012", "us-east-1", "aws", 50000.0, 14.0, True, True)
BINDING = AccountBinding("123456789012", "us-east-1")
WANT = desired_monitoring(SPEC, Inventory(ACCOUNT, (), (), (), (), ()))
TAGS = WANT.tags
LOGS_ARN = "arn:aws:logs:us-east-1:123456789012:log-group"
FOREIGN_DOCUMENT = canonical_json(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "route53.amazonaws.com"},
                "Action": "logs:PutLogEvents",
                "Resource": f"{LOGS_ARN}:/aws/route53/*",
            }
        ],
    }
)
FOREIGN_PATTERN = {"source": ["aws.ses"], "detail-type": ["Sending Status Disabled"]}


@pytest.fixture
def logs(emulator: Any) -> Any:
    return emulator.client("logs")


@pytest.fixture
def events(emulator: Any) -> Any:
    return emulator.client("events")


def group_names(logs: Any) -> list[str]:
    return [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]


def policies(logs: Any) -> dict[str, Any]:
    return {
        p["policyName"]: json.loads(p["policyDocument"])
        for p in logs.describe_resource_policies()["resourcePolicies"]
    }


def rule_settings(events: Any, name: str = WANT.rule) -> Any:
    """The rule's settings as PutRule.current reads them, or None if there is no rule."""
    try:
        return rule_settings_of(events.describe_rule(Name=name))
    except events.exceptions.ResourceNotFoundException:
        return None


def rule_names(events: Any) -> list[str]:
    return [r["Name"] for r in events.list_rules()["Rules"]]


def targets(events: Any, rule: str = WANT.rule) -> list[dict[str, Any]]:
    return sorted(events.list_targets_by_rule(Rule=rule)["Targets"], key=lambda t: t["Id"])


ON_CALL_ROLE = "arn:aws:iam::123456789012:role/on-call"


def put_foreign_rule(events: Any, name: str = WANT.rule) -> dict[str, Any]:
    """A rule someone else made under the migration's rule name, and its settings."""
    events.put_rule(
        Name=name,
        EventPattern=json.dumps(FOREIGN_PATTERN),
        State="DISABLED",
        Description="the on-call team's rule",
        RoleArn=ON_CALL_ROLE,
    )
    return {
        "Description": "the on-call team's rule",
        "EventPattern": FOREIGN_PATTERN,
        "RoleArn": ON_CALL_ROLE,
        "State": "DISABLED",
    }


def undo(action: Action, outcome: Outcome, client: Any) -> Outcome:
    inverse = action.inverse(outcome)
    assert inverse is not None
    return inverse.apply(client, attempted_before=False)


class NotingJournal:
    """A journal whose `note` also records what AWS held at the moment of the note."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self.read = read
        self.noted: list[str] = []
        self.held_when_noted: list[Any] = []

    def note(self, value: str) -> None:
        self.noted.append(value)
        self.held_when_noted.append(self.read())

    def memory(self) -> Memory:
        return Memory(note=self.note)


class TestCreateLogGroup:
    ACTION = CreateLogGroup(WANT.log_group, WANT.log_group_arn, TAGS)

    def test_apply_creates_the_log_group_with_the_migration_tags(self, logs: Any) -> None:
        outcome = self.ACTION.apply(logs, attempted_before=False)

        assert outcome == Outcome(made=True)
        assert group_names(logs) == [WANT.log_group]
        tags = logs.list_tags_for_resource(resourceArn=WANT.log_group_arn)["tags"]
        assert tags == {MANAGED_TAG: MIGRATION}

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_apply_finding_the_group_counts_as_made_only_after_our_attempt(
        self, logs: Any, attempted_before: bool
    ) -> None:
        logs.create_log_group(logGroupName=WANT.log_group)

        outcome = self.ACTION.apply(logs, attempted_before=attempted_before)

        assert outcome.made is attempted_before
        assert group_names(logs) == [WANT.log_group]

    def test_apply_counts_as_made_when_botocore_retried_past_its_lost_answer(
        self, logs: Any
    ) -> None:
        lost = lose_answers(logs, "CreateLogGroup")

        outcome = self.ACTION.apply(logs, attempted_before=False)

        assert lost == [1]
        assert outcome == Outcome(made=True)
        assert self.ACTION.inverse(outcome) == DeleteLogGroup(WANT.log_group)

    def test_is_ours_after_our_creation(self, logs: Any) -> None:
        self.ACTION.apply(logs, attempted_before=False)

        assert self.ACTION.is_ours(logs) is True

    @pytest.mark.parametrize(
        "tags", [{}, {MANAGED_TAG: "another-migration"}, {"team": "mail"}], ids=str
    )
    def test_is_ours_is_false_for_a_group_without_the_migration_tags(
        self, logs: Any, tags: dict[str, str]
    ) -> None:
        logs.create_log_group(logGroupName=WANT.log_group, tags=tags)

        assert self.ACTION.is_ours(logs) is False

    def test_is_ours_is_false_when_the_group_does_not_exist(self, logs: Any) -> None:
        assert self.ACTION.is_ours(logs) is False

    def test_inverse_of_a_made_creation_deletes_exactly_that_group(self, logs: Any) -> None:
        logs.create_log_group(logGroupName="/aws/ses/other")
        outcome = self.ACTION.apply(logs, attempted_before=False)

        undone = undo(self.ACTION, outcome, logs)

        assert undone.made is True
        assert group_names(logs) == ["/aws/ses/other"]

    def test_inverse_of_a_found_group_is_nothing(self, logs: Any) -> None:
        logs.create_log_group(logGroupName=WANT.log_group)

        outcome = self.ACTION.apply(logs, attempted_before=False)

        assert self.ACTION.inverse(outcome) is None


class TestDeleteLogGroup:
    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_apply_on_an_absent_group_counts_as_made_only_after_our_attempt(
        self, logs: Any, attempted_before: bool
    ) -> None:
        outcome = DeleteLogGroup(WANT.log_group).apply(logs, attempted_before=attempted_before)

        assert outcome == Outcome(made=attempted_before)

    def test_apply_counts_as_made_when_botocore_retried_past_its_lost_answer(
        self, logs: Any
    ) -> None:
        logs.create_log_group(logGroupName=WANT.log_group)
        lost = lose_answers(logs, "DeleteLogGroup")

        outcome = DeleteLogGroup(WANT.log_group).apply(logs, attempted_before=False)

        assert lost == [1]
        assert outcome == Outcome(made=True)
        assert group_names(logs) == []


class TestPutLogsPolicy:
    ACTION = PutLogsPolicy(WANT.policy_name, WANT.policy_document)

    def test_apply_creates_the_policy_and_notes_there_was_none(self, logs: Any) -> None:
        journal = NotingJournal(lambda: policies(logs))

        outcome = self.ACTION.apply(logs, attempted_before=False, memory=journal.memory())

        assert outcome == Outcome(made=True, previous=NOTHING)
        assert policies(logs) == {WANT.policy_name: json.loads(WANT.policy_document)}
        assert journal.noted == [NOTHING]
        assert journal.held_when_noted == [{}]

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_apply_again_finds_the_policy(self, logs: Any, attempted_before: bool) -> None:
        self.ACTION.apply(logs, attempted_before=False)

        outcome = self.ACTION.apply(
            logs, attempted_before=attempted_before, memory=Memory(recalled=NOTHING)
        )

        assert outcome.made is attempted_before
        assert policies(logs) == {WANT.policy_name: json.loads(WANT.policy_document)}

    def test_apply_replaces_another_document_noting_it_before_the_write(self, logs: Any) -> None:
        logs.put_resource_policy(policyName=WANT.policy_name, policyDocument=FOREIGN_DOCUMENT)
        journal = NotingJournal(lambda: policies(logs))

        outcome = self.ACTION.apply(logs, attempted_before=False, memory=journal.memory())

        assert outcome == Outcome(made=True, previous=FOREIGN_DOCUMENT)
        assert journal.noted == [FOREIGN_DOCUMENT]
        assert journal.held_when_noted == [{WANT.policy_name: json.loads(FOREIGN_DOCUMENT)}]
        assert policies(logs) == {WANT.policy_name: json.loads(WANT.policy_document)}

    def test_inverse_of_a_replacement_restores_exactly_the_old_document(self, logs: Any) -> None:
        logs.put_resource_policy(policyName=WANT.policy_name, policyDocument=FOREIGN_DOCUMENT)
        outcome = self.ACTION.apply(logs, attempted_before=False)

        undone = undo(self.ACTION, outcome, logs)

        assert self.ACTION.inverse(outcome) == PutLogsPolicy(WANT.policy_name, FOREIGN_DOCUMENT)
        assert undone.made is True
        assert policies(logs) == {WANT.policy_name: json.loads(FOREIGN_DOCUMENT)}

    def test_resumed_apply_returns_the_noted_document_not_its_own_write(self, logs: Any) -> None:
        logs.put_resource_policy(policyName=WANT.policy_name, policyDocument=FOREIGN_DOCUMENT)
        journal = NotingJournal(lambda: None)
        self.ACTION.apply(logs, attempted_before=False, memory=journal.memory())

        outcome = self.ACTION.apply(
            logs, attempted_before=True, memory=Memory(recalled=journal.noted[0])
        )
        undo(self.ACTION, outcome, logs)

        assert outcome == Outcome(made=True, previous=FOREIGN_DOCUMENT)
        assert policies(logs) == {WANT.policy_name: json.loads(FOREIGN_DOCUMENT)}

    def test_inverse_of_a_creation_deletes_only_that_policy(self, logs: Any) -> None:
        logs.put_resource_policy(policyName="route53-queries", policyDocument=FOREIGN_DOCUMENT)
        outcome = self.ACTION.apply(logs, attempted_before=False)

        undone = undo(self.ACTION, outcome, logs)

        assert self.ACTION.inverse(outcome) == DeleteLogsPolicy(WANT.policy_name)
        assert undone.made is True
        assert policies(logs) == {"route53-queries": json.loads(FOREIGN_DOCUMENT)}

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_delete_of_an_absent_policy_counts_as_made_only_after_our_attempt(
        self, logs: Any, attempted_before: bool
    ) -> None:
        outcome = DeleteLogsPolicy(WANT.policy_name).apply(logs, attempted_before)

        assert outcome == Outcome(made=attempted_before)


class TestPutRule:
    ACTION = PutRule(WANT.rule, WANT.rule_settings, TAGS)

    def test_apply_creates_the_tagged_rule_and_notes_there_was_none(self, events: Any) -> None:
        journal = NotingJournal(lambda: rule_settings(events))

        outcome = self.ACTION.apply(events, attempted_before=False, memory=journal.memory())

        assert outcome == Outcome(made=True, previous=NOTHING)
        assert rule_settings(events) == json.loads(WANT.rule_settings)
        assert (journal.noted, journal.held_when_noted) == ([NOTHING], [None])
        tags = events.list_tags_for_resource(ResourceARN=WANT.rule_arn)["Tags"]
        assert tags == [{"Key": MANAGED_TAG, "Value": MIGRATION}]

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_apply_again_finds_the_rule(self, events: Any, attempted_before: bool) -> None:
        self.ACTION.apply(events, attempted_before=False)

        outcome = self.ACTION.apply(
            events, attempted_before=attempted_before, memory=Memory(recalled=NOTHING)
        )

        assert outcome.made is attempted_before
        assert rule_settings(events) == json.loads(WANT.rule_settings)

    def test_apply_replaces_another_rule_noting_it_before_the_write(self, events: Any) -> None:
        old = put_foreign_rule(events)
        journal = NotingJournal(lambda: rule_settings(events))

        outcome = self.ACTION.apply(events, attempted_before=False, memory=journal.memory())

        assert outcome == Outcome(made=True, previous=canonical_json(old))
        assert (journal.noted, journal.held_when_noted) == ([canonical_json(old)], [old])
        assert rule_settings(events) == json.loads(WANT.rule_settings)

    def test_apply_over_someone_elses_rule_does_not_tag_it_as_ours(self, events: Any) -> None:
        put_foreign_rule(events)

        self.ACTION.apply(events, attempted_before=False)

        assert events.list_tags_for_resource(ResourceARN=WANT.rule_arn)["Tags"] == []

    def test_inverse_of_a_replacement_restores_exactly_the_old_rule(self, events: Any) -> None:
        old = put_foreign_rule(events)
        outcome = self.ACTION.apply(events, attempted_before=False)

        undone = undo(self.ACTION, outcome, events)

        assert undone.made is True
        assert rule_settings(events) == old

    def test_resumed_apply_returns_the_noted_rule_not_its_own_write(self, events: Any) -> None:
        old = put_foreign_rule(events)
        journal = NotingJournal(lambda: None)
        self.ACTION.apply(events, attempted_before=False, memory=journal.memory())

        outcome = self.ACTION.apply(
            events, attempted_before=True, memory=Memory(recalled=journal.noted[0])
        )
        undo(self.ACTION, outcome, events)

        assert outcome == Outcome(made=True, previous=canonical_json(old))
        assert rule_settings(events) == old

    def test_inverse_of_a_creation_deletes_only_that_rule(self, events: Any) -> None:
        events.put_rule(Name="orders", EventPattern='{"source":["shop.orders"]}')
        outcome = self.ACTION.apply(events, attempted_before=False)

        undone = undo(self.ACTION, outcome, events)

        assert self.ACTION.inverse(outcome) == DeleteRule(WANT.rule)
        assert undone.made is True
        assert rule_names(events) == ["orders"]


class TestDeleteRule:
    def test_refuses_while_a_target_it_did_not_add_remains(self, events: Any) -> None:
        PutRule(WANT.rule, WANT.rule_settings, TAGS).apply(events, attempted_before=False)
        events.put_targets(
            Rule=WANT.rule,
            Targets=[{"Id": "pager", "Arn": "arn:aws:sqs:us-east-1:123456789012:pager"}],
        )

        with pytest.raises(
            ActionConflict, match=r"rule sesmigrate-acme-move still has targets \(pager\)"
        ):
            DeleteRule(WANT.rule).apply(events, attempted_before=False)

        assert rule_names(events) == [WANT.rule]

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_apply_on_an_absent_rule_counts_as_made_only_after_our_attempt(
        self, events: Any, attempted_before: bool
    ) -> None:
        outcome = DeleteRule(WANT.rule).apply(events, attempted_before=attempted_before)

        assert outcome == Outcome(made=attempted_before)


class TestPutTarget:
    ACTION = PutTarget(WANT.rule, WANT.target)
    OLD: ClassVar[dict[str, str]] = {
        "Arn": f"{LOGS_ARN}:/aws/ses/legacy",
        "Id": json.loads(WANT.target)["Id"],
    }
    PAGER: ClassVar[dict[str, str]] = {
        "Arn": "arn:aws:sqs:us-east-1:123456789012:pager",
        "Id": "pager",
    }

    @pytest.fixture(autouse=True)
    def rule(self, events: Any) -> None:
        PutRule(WANT.rule, WANT.rule_settings, TAGS).apply(events, attempted_before=False)

    def test_apply_adds_the_target_and_notes_there_was_none(self, events: Any) -> None:
        journal = NotingJournal(lambda: targets(events))

        outcome = self.ACTION.apply(events, attempted_before=False, memory=journal.memory())

        assert outcome == Outcome(made=True, previous=NOTHING)
        assert targets(events) == [json.loads(WANT.target)]
        assert (journal.noted, journal.held_when_noted) == ([NOTHING], [[]])

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_apply_again_finds_the_target(self, events: Any, attempted_before: bool) -> None:
        self.ACTION.apply(events, attempted_before=False)

        outcome = self.ACTION.apply(
            events, attempted_before=attempted_before, memory=Memory(recalled=NOTHING)
        )

        assert outcome.made is attempted_before
        assert targets(events) == [json.loads(WANT.target)]

    def test_apply_replaces_a_target_of_the_same_id_noting_it_first(self, events: Any) -> None:
        events.put_targets(Rule=WANT.rule, Targets=[self.OLD, self.PAGER])
        journal = NotingJournal(lambda: targets(events))

        outcome = self.ACTION.apply(events, attempted_before=False, memory=journal.memory())

        assert outcome == Outcome(made=True, previous=canonical_json(self.OLD))
        assert journal.noted == [canonical_json(self.OLD)]
        assert journal.held_when_noted == [[self.PAGER, self.OLD]]
        assert targets(events) == [self.PAGER, json.loads(WANT.target)]

    def test_inverse_of_a_replacement_restores_exactly_the_old_target(self, events: Any) -> None:
        events.put_targets(Rule=WANT.rule, Targets=[self.OLD, self.PAGER])
        outcome = self.ACTION.apply(events, attempted_before=False)

        undone = undo(self.ACTION, outcome, events)

        assert undone.made is True
        assert targets(events) == [self.PAGER, self.OLD]

    def test_resumed_apply_returns_the_noted_target_not_its_own_write(self, events: Any) -> None:
        events.put_targets(Rule=WANT.rule, Targets=[self.OLD])
        journal = NotingJournal(lambda: None)
        self.ACTION.apply(events, attempted_before=False, memory=journal.memory())

        outcome = self.ACTION.apply(
            events, attempted_before=True, memory=Memory(recalled=journal.noted[0])
        )
        undo(self.ACTION, outcome, events)

        assert outcome == Outcome(made=True, previous=canonical_json(self.OLD))
        assert targets(events) == [self.OLD]

    def test_inverse_of_an_addition_removes_only_that_target(self, events: Any) -> None:
        events.put_targets(Rule=WANT.rule, Targets=[self.PAGER])
        outcome = self.ACTION.apply(events, attempted_before=False)

        undone = undo(self.ACTION, outcome, events)

        assert self.ACTION.inverse(outcome) == RemoveTarget(WANT.rule, self.OLD["Id"])
        assert undone.made is True
        assert targets(events) == [self.PAGER]

    def test_apply_to_a_rule_that_does_not_exist_fails_and_routes_nothing(
        self, events: Any
    ) -> None:
        """moto, like EventBridge, refuses with ResourceNotFoundException, not FailedEntries."""
        action = PutTarget("sesmigrate-missing", WANT.target)

        with pytest.raises(ClientError) as caught:
            action.apply(events, attempted_before=False)

        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert rule_names(events) == [WANT.rule]

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_remove_of_an_absent_target_counts_as_made_only_after_our_attempt(
        self, events: Any, attempted_before: bool
    ) -> None:
        events.put_targets(Rule=WANT.rule, Targets=[self.PAGER])

        outcome = RemoveTarget(WANT.rule, self.OLD["Id"]).apply(events, attempted_before)

        assert outcome == Outcome(made=attempted_before)
        assert targets(events) == [self.PAGER]

    @pytest.mark.parametrize("attempted_before", [False, True])
    def test_remove_from_an_absent_rule_counts_as_made_only_after_our_attempt(
        self, events: Any, attempted_before: bool
    ) -> None:
        outcome = RemoveTarget("sesmigrate-missing", "x").apply(events, attempted_before)

        assert outcome == Outcome(made=attempted_before)


class TestPlannedMonitoring:
    """The four planned actions, applied in cohort order, then undone in reverse."""

    def clients(self, emulator: Any) -> Clients:
        return Clients(
            ses=emulator.ses,
            sts=emulator.client("sts"),
            region="us-east-1",
            events=emulator.client("events"),
            logs=emulator.client("logs"),
        )

    def apply_plan(self, emulator: Any) -> list[tuple[Action, Outcome]]:
        clients = self.clients(emulator)
        planned, _ = monitoring_changes(scanner.scan(clients, BINDING), SPEC)
        by_key = {p.action.key: p.action for p in planned}
        services = clients.services()
        return [
            (by_key[key], by_key[key].apply(services[by_key[key].service], False))
            for cohort in cohorts(planned, (), SPEC.cohorts)
            for batch in cohort.batches
            for key in batch
        ]

    def test_applied_monitoring_leaves_nothing_to_plan(self, emulator: Any) -> None:
        applied = self.apply_plan(emulator)

        rescanned = scanner.scan(self.clients(emulator), BINDING)

        assert sorted(type(a).__name__ for a, _ in applied) == [
            "CreateLogGroup",
            "PutLogsPolicy",
            "PutRule",
            "PutTarget",
        ]
        assert all(outcome.made for _, outcome in applied)
        assert monitoring_changes(rescanned, SPEC) == ((), ())

    def test_applied_monitoring_keeps_the_ses_tenant_events(self, emulator: Any) -> None:
        self.apply_plan(emulator)
        arn = emulator.ses.create_tenant(TenantName="acme")["TenantArn"]

        emulator.control.raise_finding("acme", "HIGH")

        logged = emulator.client("logs").filter_log_events(logGroupName=WANT.log_group)["events"]
        kinds = {json.loads(e["message"])["detail-type"] for e in logged}
        assert "Advisor Recommendation Status Open" in kinds
        assert all(json.loads(e["message"])["resources"] == [arn] for e in logged)

    def test_inverses_in_reverse_order_remove_everything_it_made(self, emulator: Any) -> None:
        clients = self.clients(emulator)
        services = clients.services()
        applied = self.apply_plan(emulator)

        for action, outcome in reversed(applied):
            inverse = action.inverse(outcome)
            assert inverse is not None
            assert inverse.apply(services[inverse.service], False).made is True

        assert group_names(clients.logs) == []
        assert policies(clients.logs) == {}
        assert rule_names(clients.events) == []


class TestFailedTargetEntries:
    """EventBridge answers a failed target inside a 200; moto never does, so these stub it."""

    @staticmethod
    def stubbed(code: str) -> Any:
        events = boto3.client(
            "events",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        stubber = Stubber(events)
        stubber.add_response("list_targets_by_rule", {}, {"Rule": WANT.rule})
        stubber.add_response(
            "put_targets",
            {
                "FailedEntryCount": 1,
                "FailedEntries": [
                    {"TargetId": "sesmigrate-log-group", "ErrorCode": code, "ErrorMessage": "later"}
                ],
            },
            {"Rule": WANT.rule, "Targets": [json.loads(WANT.target)]},
        )
        stubber.activate()
        return events

    @pytest.mark.parametrize("code", ["InternalException", "ConcurrentModificationException"])
    def test_a_transient_entry_error_is_a_client_error_the_executor_retries(
        self, code: str
    ) -> None:
        with pytest.raises(ClientError) as raised:
            PutTarget(WANT.rule, WANT.target).apply(self.stubbed(code), attempted_before=False)

        assert raised.value.response["Error"]["Code"] == code
        assert is_transient(raised.value)

    def test_any_other_entry_error_is_a_conflict(self) -> None:
        events = self.stubbed("ValidationException")

        with pytest.raises(
            ActionConflict, match=r"EventBridge refused target .*ValidationException"
        ):
            PutTarget(WANT.rule, WANT.target).apply(events, attempted_before=False)
