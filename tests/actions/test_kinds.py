"""`action_from_dict` refuses a malformed monitoring action in a plan with one ValueError."""

import json
from typing import Any

import pytest

from sesmigrate.actions.kinds import action_from_dict
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
from sesmigrate.actions.tenant import Action
from sesmigrate.planning.snapshot import MANAGED_TAG

LOG_GROUP = "/aws/ses/tenants"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{LOG_GROUP}"
RULE = "sesmigrate-m1"
TARGET = json.dumps({"Arn": LOG_GROUP_ARN, "Id": "logs"})
TAGS = ((MANAGED_TAG, "m1"),)

VALID: list[Action] = [
    CreateLogGroup(LOG_GROUP, LOG_GROUP_ARN, TAGS),
    DeleteLogGroup(LOG_GROUP),
    PutLogsPolicy(RULE, '{"Statement":[],"Version":"2012-10-17"}'),
    DeleteLogsPolicy(RULE),
    PutRule(RULE, '{"EventPattern":{"source":["aws.ses"]},"State":"ENABLED"}', TAGS),
    DeleteRule(RULE),
    PutTarget(RULE, TARGET),
    RemoveTarget(RULE, "logs"),
]


def with_field(action: Action, **changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(action.to_dict())), **changes}


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValueError) as caught:
        action_from_dict(data)
    return str(caught.value)


@pytest.mark.parametrize("action", VALID, ids=lambda a: a.kind)
def test_action_from_dict_accepts_a_well_formed_monitoring_action(action: Action) -> None:
    assert action_from_dict(with_field(action)) == action


@pytest.mark.parametrize(
    "log_group", ["", "/aws/ses/tenants with spaces", "/aws/ses/ténants", "a" * 513, "/x\n"]
)
@pytest.mark.parametrize("action", [VALID[0], VALID[1]], ids=lambda a: a.kind)
def test_action_from_dict_rejects_an_invalid_log_group(action: Action, log_group: str) -> None:
    message = refusal(with_field(action, log_group=log_group))

    assert message == f"action {action.kind} has an invalid log_group {log_group!r}"


@pytest.mark.parametrize("rule", ["", "ses/events", "ses events", "r" * 65, "rule\n"])
@pytest.mark.parametrize("action", [VALID[4], VALID[5], VALID[6], VALID[7]], ids=lambda a: a.kind)
def test_action_from_dict_rejects_an_invalid_rule_name(action: Action, rule: str) -> None:
    message = refusal(with_field(action, rule=rule))

    assert message == f"action {action.kind} has an invalid rule {rule!r}"


@pytest.mark.parametrize("target_id", ["", "log group", "logs/1", "t" * 65])
def test_action_from_dict_rejects_an_invalid_target_id_to_remove(target_id: str) -> None:
    message = refusal(with_field(RemoveTarget(RULE, "logs"), target_id=target_id))

    assert message == f"action remove_target has an invalid target_id {target_id!r}"


@pytest.mark.parametrize("target_id", ["", "log group", "logs/1", "t" * 65])
def test_action_from_dict_rejects_an_invalid_target_id_to_put(target_id: str) -> None:
    target = json.dumps({"Arn": LOG_GROUP_ARN, "Id": target_id})

    message = refusal(with_field(PutTarget(RULE, TARGET), target=target))

    assert message == f"action put_target has an invalid target Id {target_id!r}"


@pytest.mark.parametrize(
    ("action", "field"),
    [(VALID[2], "document"), (VALID[4], "settings"), (VALID[6], "target")],
    ids=lambda v: v if isinstance(v, str) else v.kind,
)
@pytest.mark.parametrize("text", ["not json", "{", "[]", '"text"', "3", "null", "[" * 5000])
def test_action_from_dict_rejects_a_field_that_is_not_a_json_object(
    action: Action, field: str, text: str
) -> None:
    message = refusal(with_field(action, **{field: text}))

    assert message == f"action {action.kind}: field {field} must hold a JSON object"


@pytest.mark.parametrize(
    ("action", "field"),
    [(VALID[2], "document"), (VALID[4], "settings"), (VALID[6], "target")],
    ids=lambda v: v if isinstance(v, str) else v.kind,
)
def test_action_from_dict_rejects_a_json_field_that_is_not_a_string(
    action: Action, field: str
) -> None:
    message = refusal(with_field(action, **{field: {"Arn": LOG_GROUP_ARN, "Id": "logs"}}))

    assert message == f"action {action.kind}: field {field} has the wrong type"


@pytest.mark.parametrize(
    "target",
    [{"Id": "logs"}, {"Arn": LOG_GROUP_ARN}, {}, {"Arn": LOG_GROUP_ARN, "Id": 7}],
    ids=str,
)
def test_action_from_dict_rejects_a_target_without_arn_or_id(target: dict[str, Any]) -> None:
    message = refusal(with_field(PutTarget(RULE, TARGET), target=json.dumps(target)))

    assert message == "action put_target: its target needs an Arn and an Id"


@pytest.mark.parametrize("tags", [[["k"]], [["k", 1]], "k=v", [{"Key": "k", "Value": "v"}]])
def test_action_from_dict_rejects_tags_that_are_not_string_pairs(tags: Any) -> None:
    message = refusal(with_field(VALID[0], tags=tags))

    assert message.startswith("action create_log_group: field tags")
