"""The migration's monitoring: SES tenant events, routed by EventBridge to CloudWatch Logs.

Pure. The AWS guidance pairs the move to tenants with a rule on the default bus matching
SES's tenant events (source `aws.ses`, four detail types) and a log group that keeps them,
whose resource policy lets EventBridge write to it. `desired_monitoring` names these for one
migration; `monitoring_changes` compares them with the scanned account and plans what is
missing, as four actions of the first cohort: log group, resource policy, rule, target.
What exists and matches is adopted (planned as nothing; rollback leaves it alone).

The resource policy is meant to be the narrowest that works: only EventBridge's service
principals, only `CreateLogStream`/`PutLogEvents`, only this log group, and only on behalf of
this rule (`aws:SourceArn`) in this account (`aws:SourceAccount`). The emulator does not
enforce resource policies: that EventBridge delivers under these conditions is taken from
the EventBridge and CloudWatch Logs documentation, not yet from a real account.

The finding-closed event is "Advisor Recommendation Status Resolved" in the EventBridge
event reference and "... Closed" in the AWS tenants blog; the rule matches both.

Every monitoring action is a function of the spec, the account and the region, so apply
refuses (`check_planned`) monitoring actions to run that this version does not make of the
plan's spec: a resealed plan cannot point the target at another ARN or widen the resource
policy behind its spec's back. (Whoever can edit a plan can edit its spec too: the plan's
checksum and its review are what guard that.)
"""

import json
from dataclasses import dataclass
from typing import Any

from ..actions.monitoring import CreateLogGroup, MonitoringAction, PutLogsPolicy, PutRule, PutTarget
from ..actions.tenant import Action
from .diff import PlannedAction
from .snapshot import MANAGED_TAG, Inventory, canonical_json, partition_of
from .spec import MigrationSpec

DETAIL_TYPES = (
    "Sending Status Enabled",
    "Sending Status Disabled",
    "Advisor Recommendation Status Open",
    "Advisor Recommendation Status Resolved",
    "Advisor Recommendation Status Closed",
)
EVENT_PATTERN = {"source": ["aws.ses"], "detail-type": list(DETAIL_TYPES)}
TARGET_ID = "sesmigrate-log-group"
RULE_DESCRIPTION_LIMIT = 512
LOGS_POLICY_LIMIT = 10
"""CloudWatch Logs resource policies allowed per account and region."""


@dataclass(frozen=True, slots=True)
class DesiredMonitoring:
    log_group: str
    log_group_arn: str
    """Without `:*`: the form an EventBridge target names."""
    rule: str
    rule_arn: str
    policy_name: str
    policy_document: str
    """Canonical JSON."""
    rule_settings: str
    """Canonical JSON of what PutRule sets (as `monitoring_actions.rule_settings` reads it)."""
    target: str
    """Canonical JSON of the rule's target: {"Arn", "Id"}."""
    tags: tuple[tuple[str, str], ...]


def desired_monitoring(spec: MigrationSpec, inventory: Inventory) -> DesiredMonitoring:
    return desired_for(spec, inventory.account.account_id, inventory.account.region)


def desired_for(spec: MigrationSpec, account: str, region: str) -> DesiredMonitoring:
    base = f"arn:{partition_of(region)}"
    where = f"{region}:{account}"
    rule = spec.monitoring_rule
    log_group = spec.monitoring.log_group
    log_group_arn = f"{base}:logs:{where}:log-group:{log_group}"
    rule_arn = f"{base}:events:{where}:rule/{rule}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeWritesSesTenantEvents",
                "Effect": "Allow",
                "Principal": {"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": rule_arn},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        ],
    }
    description = f"SES tenant events to {log_group} (sesmigrate migration {spec.name})"
    if len(description) > RULE_DESCRIPTION_LIMIT:
        description = f"SES tenant events (sesmigrate migration {spec.name})"
    settings = {
        "Description": description,
        "EventPattern": EVENT_PATTERN,
        "State": "ENABLED",
    }
    return DesiredMonitoring(
        log_group=log_group,
        log_group_arn=log_group_arn,
        rule=rule,
        rule_arn=rule_arn,
        policy_name=rule,
        policy_document=canonical_json(policy),
        rule_settings=canonical_json(settings),
        target=canonical_json({"Arn": log_group_arn, "Id": TARGET_ID}),
        tags=((MANAGED_TAG, spec.name),),
    )


def all_actions(want: DesiredMonitoring) -> tuple[Action, ...]:
    """The four actions that put `want` in place, in the order the graph runs them."""
    return (
        CreateLogGroup(want.log_group, want.log_group_arn, want.tags),
        PutLogsPolicy(want.policy_name, want.policy_document),
        PutRule(want.rule, want.rule_settings, want.tags),
        PutTarget(want.rule, want.target),
    )


def check_planned(spec: MigrationSpec, account: str, region: str, actions: list[Action]) -> None:
    """Refuse monitoring actions that the plan's own spec, account and region do not give.

    Checked before those actions run, not when a plan is read: a plan another version made
    can still be shown, rolled back and watched, only not applied where it differs."""
    planned = [a for a in actions if isinstance(a, MonitoringAction)]
    if planned and not spec.monitoring.enabled:
        raise ValueError("it holds monitoring actions but its spec does not ask for monitoring")
    expected = set(all_actions(desired_for(spec, account, region))) if planned else set()
    for action in planned:
        if action not in expected:
            raise ValueError(
                f"its monitoring action {action.kind} is not what this sesmigrate makes of its "
                f"spec ({action.describe()}): edited, or made by another version?"
            )


def monitoring_changes(
    inventory: Inventory, spec: MigrationSpec
) -> tuple[tuple[PlannedAction, ...], tuple[str, ...]]:
    """The actions that put the migration's monitoring in place, and warnings for reviewers."""
    if not spec.monitoring.enabled:
        return (), ()
    want = desired_monitoring(spec, inventory)
    have = inventory.monitoring
    warnings = []
    if not have.scanned:
        warnings.append(
            "monitoring could not be scanned (see the scan's notes): all four monitoring actions "
            "are planned; apply leaves what exists and matches, and replaces what differs "
            "(rollback puts it back)"
        )
    create_group, put_policy, put_rule, put_target = all_actions(want)
    planned = []
    if have.log_group(want.log_group) is None:
        planned.append(_planned(create_group, f"keeps the SES tenant events in {want.log_group}"))
    policy = have.policy(want.policy_name)
    if policy is None and len(have.policies) >= LOGS_POLICY_LIMIT:
        warnings.append(
            f"the account already has {len(have.policies)} CloudWatch Logs resource policies, "
            f"the most a region allows: putting {want.policy_name} will fail until one is "
            "removed"
        )
    if policy is None or not same(policy.document, want.policy_document):
        if policy is not None:
            warnings.append(
                f"CloudWatch Logs resource policy {want.policy_name} exists with another "
                "document: apply replaces it, rollback puts it back"
            )
        planned.append(
            _planned(put_policy, f"lets rule {want.rule}, and only it, write to {want.log_group}")
        )
    rule = have.rule(want.rule)
    if rule is None or not same(rule.settings, want.rule_settings):
        if rule is not None:
            warnings.append(
                f"EventBridge rule {want.rule} exists with other settings: apply replaces them, "
                "rollback puts them back"
            )
        planned.append(
            _planned(
                put_rule, "matches the SES tenant events (sending status and reputation findings)"
            )
        )
    target = {"Arn": want.log_group_arn, "Id": PutTarget.id_of(want.target)}
    if rule is None or not any({"Arn": t.arn, "Id": t.id} == target for t in rule.targets):
        planned.append(_planned(put_target, f"routes them to {want.log_group}"))
    others = [
        r.name
        for r in have.rules
        if r.name != want.rule and any(t.arn == want.log_group_arn for t in r.targets)
    ]
    if others:
        warnings.append(
            f"rule(s) {', '.join(others)} already route events to {want.log_group}: "
            "tenant events may be logged twice"
        )
    return tuple(planned), tuple(warnings)


def _planned(action: Any, reason: str) -> PlannedAction:
    return PlannedAction(action, (), False, f"monitoring: {reason}", ())


def same(left: str, right: str) -> bool:
    """Whether two JSON documents (policies, rule settings) mean the same: their arrays are
    sets in IAM and in event patterns, so AWS may give them back in another order -- except
    an event pattern's `numeric` operands, whose order is their meaning."""
    return _unordered(_parsed(left)) == _unordered(_parsed(right))


def _unordered(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {name: _unordered(item, name) for name, item in value.items()}
    if isinstance(value, list):
        items = [_unordered(item) for item in value]
        return items if key == "numeric" else sorted(items, key=canonical_json)
    return value


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
