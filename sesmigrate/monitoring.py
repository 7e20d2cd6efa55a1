"""The migration's monitoring: SES tenant events, routed by EventBridge to CloudWatch Logs.

Pure. The AWS guidance pairs the move to tenants with a rule on the default bus matching
SES's tenant events (source `aws.ses`, four detail types) and a log group that keeps them,
whose resource policy lets EventBridge write to it. `desired_monitoring` names these for one
migration; `monitoring_changes` compares them with the scanned account and plans what is
missing, as four actions of the first cohort: log group, resource policy, rule, target.
What exists and matches is adopted (planned as nothing; rollback leaves it alone).

The resource policy is the narrowest that works: only EventBridge's service principals,
only `CreateLogStream`/`PutLogEvents`, only this log group, and only on behalf of this rule
(`aws:SourceArn`) in this account (`aws:SourceAccount`).
"""

import json
from dataclasses import dataclass
from typing import Any

from .diff import PlannedAction
from .monitoring_actions import CreateLogGroup, PutLogsPolicy, PutRule, PutTarget
from .snapshot import MANAGED_TAG, Inventory, canonical_json
from .spec import MigrationSpec

DETAIL_TYPES = (
    "Sending Status Enabled",
    "Sending Status Disabled",
    "Advisor Recommendation Status Open",
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
    """Canonical JSON of what PutRule sets (as `inventory.rule_settings` reads it back)."""
    target: str
    """Canonical JSON of the rule's target: {"Arn", "Id"}."""
    tags: tuple[tuple[str, str], ...]


def desired_monitoring(spec: MigrationSpec, inventory: Inventory) -> DesiredMonitoring:
    account = inventory.account
    base = f"arn:{account.partition}"
    where = f"{account.region}:{account.account_id}"
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
                    "StringEquals": {"aws:SourceAccount": account.account_id},
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
            "monitoring could not be scanned (no permission to read EventBridge or CloudWatch "
            "Logs): all four monitoring actions are planned; apply adopts what already exists"
        )
    planned = []
    if have.log_group(want.log_group) is None:
        planned.append(
            _planned(
                CreateLogGroup(want.log_group, want.log_group_arn, want.tags),
                f"keeps the SES tenant events in {want.log_group}",
            )
        )
    policy = have.policy(want.policy_name)
    if policy is None and len(have.policies) >= LOGS_POLICY_LIMIT:
        warnings.append(
            f"the account already has {len(have.policies)} CloudWatch Logs resource policies, "
            f"the most a region allows: putting {want.policy_name} will fail until one is "
            "removed"
        )
    if policy is None or _parsed(policy.document) != _parsed(want.policy_document):
        planned.append(
            _planned(
                PutLogsPolicy(want.policy_name, want.policy_document),
                f"lets rule {want.rule}, and only it, write to {want.log_group}",
            )
        )
    rule = have.rule(want.rule)
    if rule is None or _parsed(rule.settings) != _parsed(want.rule_settings):
        planned.append(
            _planned(
                PutRule(want.rule, want.rule_settings, want.tags),
                "matches the SES tenant events (sending status and reputation findings)",
            )
        )
    target = {"Arn": want.log_group_arn, "Id": PutTarget.id_of(want.target)}
    if rule is None or not any({"Arn": t.arn, "Id": t.id} == target for t in rule.targets):
        planned.append(
            _planned(PutTarget(want.rule, want.target), f"routes them to {want.log_group}")
        )
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


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
