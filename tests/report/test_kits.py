"""What a plan asks of people outside the review: IAM policies and the sender cut-over kit."""

import ast
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from sesmigrate.actions.tenant import AttachResource, CreateTenant
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.naming import tenant_name
from sesmigrate.planning.plan import CustomerView, Plan, Step, plan_to_json
from sesmigrate.report.files import write_cutover_pages
from sesmigrate.report.kits import (
    LIST_ACTIONS,
    MANAGED_POLICY_LIMIT,
    MONITORING_LOG_GROUP_ACTIONS,
    MONITORING_LOGS_POLICY_ACTIONS,
    MONITORING_READ_ACTIONS,
    MONITORING_RULE_ACTIONS,
    ONBOARDING_ASSOCIATION_ACTIONS,
    ONBOARDING_LIST_ACTIONS,
    ONBOARDING_READ_ACTIONS,
    READ_ACTIONS,
    TENANT_ACTIONS,
    cutover_combined,
    cutover_pages,
    iam_document,
    moved_resources,
    onboarding_policy,
    operator_policy,
    policy_size,
    tenant_policies,
)
from sesmigrate.report.render import markdown_code

from .conftest import (
    LOG_GROUP,
    MARKDOWN,
    MIGRATION,
    MULLER,
    RULE,
    SCRIPT,
    SCRIPT_TENANT,
    SHARED_TENANT,
    UNMANAGED_TENANT,
    arn,
    check_golden,
    with_monitoring,
    with_steps,
)

TENANTS = "arn:aws:ses:eu-west-1:123456789012:tenant/*"
MIGRATION_TAG = {"aws:ResourceTag/sesmigrate:migration": MIGRATION}
RULE_ARN = f"arn:aws:events:eu-west-1:123456789012:rule/{RULE}"
LOG_GROUP_ARN = f"arn:aws:logs:eu-west-1:123456789012:log-group:{LOG_GROUP}"
MONITORING_SIDS = {
    "ReadMonitoring",
    "ReadTargetsOfRulesForScan",
    "ManageTheMonitoringRule",
    "TagTheMonitoringRuleWithTheMigration",
    "TargetTheMonitoringRuleAtItsLogGroupOnly",
    "ManageTheMonitoringLogGroup",
    "PutAndDeleteTheLogsResourcePolicy",
}
WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {
    "events:ListRules",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:PutResourcePolicy",
    "logs:DeleteResourcePolicy",
}
"""The monitoring actions IAM cannot scope to a resource: the only ones allowed on "*"."""


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def actions_of(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        action = statement["Action"]
        found |= {action} if isinstance(action, str) else set(action)
    return found


def resources_of(statement: dict[str, Any]) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def only_attaches(plan: Plan) -> Plan:
    return with_steps(plan, [s for s in plan.steps if s.action.kind == "attach"])


def with_attaches(plan: Plan, count: int) -> Plan:
    """Only attaches: `count` identities and one template, all to the shared tenant."""
    resources = [
        ("EMAIL_IDENTITY", arn("identity", f"id{n:03d}.example")) for n in range(count - 1)
    ]
    resources.append(("EMAIL_TEMPLATE", arn("template", "welcome")))
    steps = [
        Step(AttachResource(SHARED_TENANT, r, kind), "canary", (MULLER,), "attach", ())
        for kind, r in resources
    ]
    cohort = dataclasses.replace(
        plan.cohorts[0], batches=(tuple(sorted(s.action.key for s in steps)),)
    )
    return dataclasses.replace(plan, steps=tuple(steps), cohorts=(cohort,))


def needed_actions(plan: Plan) -> set[str]:
    kinds = {s.action.kind for s in plan.steps}
    needed = set(LIST_ACTIONS) | set(READ_ACTIONS)
    needed |= {a for kind in kinds for a in TENANT_ACTIONS[kind]}
    if "create_tenant" in kinds:
        needed |= {"ses:CreateTenant", "ses:TagResource"}
    if plan.tenants:
        needed.add("ses:SendEmail")  # apply --probe
    return needed


def python_block(page: str) -> str:
    return page.split("```python\n", 1)[1].split("```", 1)[0]


def send_email_keywords(page: str) -> dict[str, Any]:
    """The keyword arguments of the page's boto3 example, parsed as Python."""
    [statement] = ast.parse(python_block(page)).body
    assert isinstance(statement, ast.Expr)
    assert isinstance(statement.value, ast.Call)
    return {k.arg: ast.literal_eval(k.value) for k in statement.value.keywords}


class TestOperatorPolicy:
    def test_operator_policy_is_an_iam_policy_document(self, plan: Plan) -> None:
        policy = operator_policy(plan)

        assert policy["Version"] == "2012-10-17"
        assert len({s["Sid"] for s in policy["Statement"]}) == len(policy["Statement"])
        assert all(s["Effect"] == "Allow" for s in policy["Statement"])
        assert all(re.fullmatch(r"[A-Za-z0-9]+", s["Sid"]) for s in policy["Statement"])
        assert json.loads(json.dumps(policy)) == policy

    def test_operator_policy_lets_the_probe_send_only_as_the_plans_tenants_to_the_simulator(
        self, plan: Plan
    ) -> None:
        probe = statements(operator_policy(plan))["ProbeTheTenantsThroughTheMailboxSimulator"]

        assert probe["Action"] == ["ses:SendEmail"]
        assert probe["Condition"]["StringEquals"] == {
            "ses:TenantName": sorted(t.name for t in plan.tenants)
        }
        assert probe["Condition"]["ForAllValues:StringLike"] == {
            "ses:Recipients": ["*@simulator.amazonses.com"]
        }
        assert probe["Condition"]["Null"] == {"ses:TenantName": "false", "ses:Recipients": "false"}
        kinds = {r.rsplit(":", 1)[-1].split("/", 1)[0] for r in resources_of(probe)}
        assert kinds == {"identity", "configuration-set"}
        assert set(resources_of(probe)) <= {r for t in plan.tenants for r in t.resources}

    def test_operator_policy_has_no_wildcard_action(self, plan: Plan) -> None:
        actions = actions_of(operator_policy(plan))

        assert actions
        assert all(re.fullmatch(r"ses:[A-Za-z]+", action) for action in actions)

    def test_operator_policy_allows_only_the_actions_the_plan_needs(self, plan: Plan) -> None:
        assert actions_of(operator_policy(plan)) == needed_actions(plan)
        assert actions_of(operator_policy(plan)) - set(LIST_ACTIONS) - set(READ_ACTIONS) == {
            "ses:CreateTenant",
            "ses:TagResource",
            "ses:DeleteTenant",
            "ses:CreateTenantResourceAssociation",
            "ses:DeleteTenantResourceAssociation",
            "ses:UpdateReputationEntityPolicy",
            "ses:SendEmail",
        }

    def test_operator_policy_cannot_create_tag_or_delete_when_the_plan_only_attaches(
        self, plan: Plan
    ) -> None:
        policy = operator_policy(only_attaches(plan))
        actions = actions_of(policy)

        assert actions == needed_actions(only_attaches(plan))
        assert {"ses:CreateTenant", "ses:TagResource", "ses:DeleteTenant"} & actions == set()
        assert "ses:UpdateReputationEntityPolicy" not in actions
        assert set(statements(policy)) == {
            "ListForScanPlanAndStatus",
            "ReadResourcesAndTenants",
            "AssociateOnTenantsOfThisMigration",
            "AssociateTheCustomersResources",
            "ProbeTheTenantsThroughTheMailboxSimulator",
        }

    def test_operator_policy_reads_only_within_the_account_and_region(self, plan: Plan) -> None:
        read = statements(operator_policy(plan))["ReadResourcesAndTenants"]

        assert read["Resource"] == "arn:aws:ses:eu-west-1:123456789012:*"
        assert read["Action"] == list(READ_ACTIONS)

    def test_operator_policy_creates_tenants_only_with_the_migration_tag(self, plan: Plan) -> None:
        create = statements(operator_policy(plan))["CreateTenantsOfThisMigration"]

        assert create["Action"] == ["ses:CreateTenant", "ses:TagResource"]
        assert create["Resource"] == TENANTS
        assert create["Condition"] == {
            "StringEquals": {"aws:RequestTag/sesmigrate:migration": MIGRATION},
            "ForAllValues:StringEquals": {
                "aws:TagKeys": ["sesmigrate:customer", "sesmigrate:group", "sesmigrate:migration"]
            },
        }

    def test_operator_policy_changes_only_tenants_tagged_with_the_migration(
        self, plan: Plan
    ) -> None:
        change = statements(operator_policy(plan))["ChangeTenantsOfThisMigration"]

        assert change["Resource"] == TENANTS
        assert change["Condition"] == {"StringEquals": MIGRATION_TAG}
        assert change["Action"] == ["ses:DeleteTenant", "ses:UpdateReputationEntityPolicy"]

    def test_operator_policy_reaches_tenants_only_with_the_migration_tag(self, plan: Plan) -> None:
        untagged = [
            s["Sid"]
            for s in operator_policy(plan)["Statement"]
            if TENANTS in resources_of(s)
            and not {"aws:ResourceTag/sesmigrate:migration", "aws:RequestTag/sesmigrate:migration"}
            & set(s.get("Condition", {}).get("StringEquals", {}))
        ]

        assert untagged == []

    def test_operator_policy_names_adopted_tenants_by_arn(self, plan: Plan) -> None:
        adopted = dataclasses.replace(plan, adopted=(UNMANAGED_TENANT,))
        found = statements(operator_policy(adopted))

        assert found["ChangeAdoptedTenants"] == {
            "Sid": "ChangeAdoptedTenants",
            "Effect": "Allow",
            "Action": found["ChangeTenantsOfThisMigration"]["Action"],
            "Resource": [f"arn:aws:ses:eu-west-1:123456789012:tenant/{UNMANAGED_TENANT}/*"],
        }
        assert "ChangeAdoptedTenants" not in statements(operator_policy(plan))

    def test_operator_policy_names_each_moved_resource(self, plan: Plan) -> None:
        associate = statements(operator_policy(plan))["AssociateTheCustomersResources"]
        moved = sorted(
            {s.action.resource_arn for s in plan.steps if hasattr(s.action, "resource_arn")}
        )

        assert associate["Action"] == [
            "ses:CreateTenantResourceAssociation",
            "ses:DeleteTenantResourceAssociation",
        ]
        assert associate["Resource"] == moved
        assert len(moved) == 7
        on_tenants = statements(operator_policy(plan))["AssociateOnTenantsOfThisMigration"]
        assert on_tenants["Resource"] == TENANTS
        assert on_tenants["Condition"] == {"StringEquals": MIGRATION_TAG}

    def test_operator_policy_names_each_resource_while_it_fits_a_managed_policy(
        self, plan: Plan
    ) -> None:
        wide = with_attaches(plan, 60)
        policy = operator_policy(wide)

        resources = statements(policy)["AssociateTheCustomersResources"]["Resource"]

        assert len(resources) == 60
        assert not any(r.endswith("/*") for r in resources)
        assert policy_size(policy) <= MANAGED_POLICY_LIMIT
        assert json.loads(iam_document(wide))["operator_policy_resources"] == (
            "names each of the 60 resource(s) the plan associates or removes"
        )

    def test_operator_policy_names_resources_by_kind_when_naming_them_would_not_fit(
        self, plan: Plan
    ) -> None:
        wide = with_attaches(plan, 200)
        policy = operator_policy(wide)
        associate = statements(policy)

        assert policy_size(policy) <= MANAGED_POLICY_LIMIT
        assert re.fullmatch(
            r"names the 200 resources the plan associates or removes and the \d+ identities "
            r"and configuration sets the probe may send from by kind \(.*identity/\*, "
            r".*template/\*\): naming each would take \d+ characters, over IAM's 6144 for a "
            r"managed policy",
            json.loads(iam_document(wide))["operator_policy_resources"],
        )
        assert associate["AssociateTheCustomersResources"]["Resource"] == [
            "arn:aws:ses:eu-west-1:123456789012:identity/*",
            "arn:aws:ses:eu-west-1:123456789012:template/*",
        ]

    def test_operator_policy_lets_the_probe_send_by_kind_when_naming_tenants_would_not_fit(
        self, plan: Plan
    ) -> None:
        model = plan.tenants[0]
        tenants = tuple(
            dataclasses.replace(
                model,
                name=f"customer-{n:04d}",
                resources=(
                    arn("identity", f"c{n:04d}.example"),
                    arn("configuration-set", f"cs{n}"),
                ),
            )
            for n in range(400)
        )
        policy = operator_policy(dataclasses.replace(plan, tenants=tenants))
        probe = statements(policy)["ProbeTheTenantsThroughTheMailboxSimulator"]
        scope = json.loads(iam_document(dataclasses.replace(plan, tenants=tenants)))
        moved = len(moved_resources(plan))

        assert scope["operator_policy_resources"].startswith(
            f"names the {moved} resources the plan associates or removes and the 800 "
            "identities and configuration sets the probe may send from by kind ("
        )

        assert policy_size(policy) <= MANAGED_POLICY_LIMIT
        assert probe["Condition"]["StringLike"] == {"ses:TenantName": ["*"]}
        assert "StringEquals" not in probe["Condition"]
        assert sorted(resources_of(probe)) == [
            "arn:aws:ses:eu-west-1:123456789012:configuration-set/*",
            "arn:aws:ses:eu-west-1:123456789012:identity/*",
        ]
        assert probe["Condition"]["ForAllValues:StringLike"] == {
            "ses:Recipients": ["*@simulator.amazonses.com"]
        }

    def test_operator_policy_uses_reputation_policies_only_when_it_sets_them(
        self, plan: Plan
    ) -> None:
        found = statements(operator_policy(plan))

        assert found["UseReputationPolicies"]["Resource"] == [
            "arn:aws:ses:eu-west-1:aws:reputation-policy/*"
        ]
        assert "UseReputationPolicies" not in statements(operator_policy(only_attaches(plan)))

    def test_operator_policy_uses_the_partition_of_the_region(self, plan: Plan) -> None:
        china = statements(operator_policy(dataclasses.replace(plan, region="cn-north-1")))

        assert china["ChangeTenantsOfThisMigration"]["Resource"] == (
            "arn:aws-cn:ses:cn-north-1:123456789012:tenant/*"
        )
        assert china["ReadResourcesAndTenants"]["Resource"] == (
            "arn:aws-cn:ses:cn-north-1:123456789012:*"
        )

    def test_operator_policy_may_delete_what_it_creates_for_rollback(self, plan: Plan) -> None:
        creates = with_steps(plan, [s for s in plan.steps if isinstance(s.action, CreateTenant)])
        actions = actions_of(operator_policy(creates))

        assert {"ses:CreateTenant", "ses:TagResource", "ses:DeleteTenant"} <= actions
        assert "ses:CreateTenantResourceAssociation" not in actions


def monitoring_statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The statements that allow any EventBridge or CloudWatch Logs action."""
    return {
        sid: s
        for sid, s in statements(policy).items()
        if any(not a.startswith("ses:") for a in actions_of({"Statement": [s]}))
    }


class TestOperatorPolicyMonitoring:
    def test_operator_policy_has_no_monitoring_statement_when_monitoring_is_off(
        self, plan: Plan
    ) -> None:
        policy = operator_policy(plan)

        assert plan.spec["monitoring"]["enabled"] is False
        assert monitoring_statements(policy) == {}
        assert set(statements(policy)) & MONITORING_SIDS == set()

    def test_operator_policy_with_monitoring_keeps_the_ses_statements_as_they_are(
        self, plan: Plan, monitored_plan: Plan
    ) -> None:
        without = operator_policy(plan)["Statement"]
        monitored = operator_policy(monitored_plan)["Statement"]

        assert monitored[: len(without)] == without
        assert {s["Sid"] for s in monitored[len(without) :]} == MONITORING_SIDS

    def test_operator_policy_with_monitoring_allows_exactly_the_actions_monitoring_needs(
        self, monitored_plan: Plan
    ) -> None:
        extra = actions_of(operator_policy(monitored_plan)) - needed_actions(monitored_plan)

        assert extra == {
            "events:ListRules",
            "events:DescribeRule",
            "events:PutRule",
            "events:DeleteRule",
            "events:ListTargetsByRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:TagResource",
            "logs:DescribeLogGroups",
            "logs:DescribeResourcePolicies",
            "logs:PutResourcePolicy",
            "logs:DeleteResourcePolicy",
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:TagResource",
            "logs:ListTagsForResource",
            "logs:FilterLogEvents",
        }

    def test_operator_policy_with_monitoring_has_no_wildcard_action(
        self, monitored_plan: Plan
    ) -> None:
        actions = actions_of(operator_policy(monitored_plan))

        assert all(re.fullmatch(r"(ses|events|logs):[A-Za-z]+", action) for action in actions)
        assert not any("*" in action for action in actions)

    def test_operator_policy_allows_monitoring_on_any_resource_only_without_resource_level(
        self, monitored_plan: Plan
    ) -> None:
        on_any = {
            action
            for s in monitoring_statements(operator_policy(monitored_plan)).values()
            if "*" in resources_of(s)
            for action in actions_of({"Statement": [s]})
        }

        assert on_any == WITHOUT_RESOURCE_LEVEL_PERMISSIONS

    def test_operator_policy_reads_monitoring_in_its_own_list_statement(
        self, monitored_plan: Plan
    ) -> None:
        found = statements(operator_policy(monitored_plan))

        assert found["ReadMonitoring"]["Action"] == list(MONITORING_READ_ACTIONS)
        assert found["ReadMonitoring"]["Resource"] == "*"
        assert found["ListForScanPlanAndStatus"]["Action"] == list(LIST_ACTIONS)

    def test_operator_policy_manages_only_the_migrations_rule(self, monitored_plan: Plan) -> None:
        rule = statements(operator_policy(monitored_plan))["ManageTheMonitoringRule"]

        assert rule["Action"] == list(MONITORING_RULE_ACTIONS)
        assert resources_of(rule) == [RULE_ARN]
        assert "Condition" not in rule

    def test_operator_policy_scan_lists_targets_only_of_the_regions_rules(
        self, monitored_plan: Plan
    ) -> None:
        scan = statements(operator_policy(monitored_plan))["ReadTargetsOfRulesForScan"]

        assert scan["Action"] == ["events:ListTargetsByRule"]
        assert resources_of(scan) == ["arn:aws:events:eu-west-1:123456789012:rule/*"]

    def test_operator_policy_tags_the_rule_only_with_the_migration_tag(
        self, monitored_plan: Plan
    ) -> None:
        tag = statements(operator_policy(monitored_plan))["TagTheMonitoringRuleWithTheMigration"]

        assert tag["Action"] == ["events:TagResource"]
        assert resources_of(tag) == [RULE_ARN]
        assert tag["Condition"] == {
            "StringEquals": {"aws:RequestTag/sesmigrate:migration": MIGRATION},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["sesmigrate:migration"]},
        }

    def test_operator_policy_puts_targets_on_the_rule_only_at_its_log_group(
        self, monitored_plan: Plan
    ) -> None:
        target = statements(operator_policy(monitored_plan))[
            "TargetTheMonitoringRuleAtItsLogGroupOnly"
        ]

        assert target["Action"] == ["events:PutTargets"]
        assert resources_of(target) == [RULE_ARN]
        assert target["Condition"] == {
            "ForAllValues:ArnEquals": {"events:TargetArn": LOG_GROUP_ARN},
            "Null": {"events:TargetArn": "false"},
        }
        others = [
            sid
            for sid, s in statements(operator_policy(monitored_plan)).items()
            if sid != "TargetTheMonitoringRuleAtItsLogGroupOnly"
            and "events:PutTargets" in actions_of({"Statement": [s]})
        ]
        assert others == []

    def test_operator_policy_manages_only_the_migrations_log_group(
        self, monitored_plan: Plan
    ) -> None:
        group = statements(operator_policy(monitored_plan))["ManageTheMonitoringLogGroup"]

        assert group["Action"] == list(MONITORING_LOG_GROUP_ACTIONS)
        assert resources_of(group) == [LOG_GROUP_ARN, f"{LOG_GROUP_ARN}:*"]

    def test_operator_policy_puts_the_logs_resource_policy_in_its_own_statement(
        self, monitored_plan: Plan
    ) -> None:
        policy = statements(operator_policy(monitored_plan))["PutAndDeleteTheLogsResourcePolicy"]

        assert policy["Action"] == list(MONITORING_LOGS_POLICY_ACTIONS)
        assert policy["Resource"] == "*"

    def test_operator_policy_names_only_the_rule_and_log_group_where_iam_allows(
        self, monitored_plan: Plan
    ) -> None:
        named = {
            r
            for s in monitoring_statements(operator_policy(monitored_plan)).values()
            for r in resources_of(s)
        }

        assert named == {
            "*",
            "arn:aws:events:eu-west-1:123456789012:rule/*",
            RULE_ARN,
            LOG_GROUP_ARN,
            f"{LOG_GROUP_ARN}:*",
        }

    def test_operator_policy_reads_no_metrics_while_the_metric_conditions_are_off(
        self, plan: Plan
    ) -> None:
        sids = {s["Sid"] for s in operator_policy(plan)["Statement"]}

        assert "ReadTenantMetricsNoResourceLevelPermission" not in sids
        assert "cloudwatch:GetMetricData" not in actions_of(operator_policy(plan))

    def test_operator_policy_reads_tenant_metrics_in_its_own_statement_when_the_spec_asks(
        self, plan: Plan
    ) -> None:
        gates = {**plan.spec["gates"], "metrics": True}
        gated = dataclasses.replace(plan, spec={**plan.spec, "gates": gates})
        statements = operator_policy(gated)["Statement"]

        [metrics] = [s for s in statements if "cloudwatch:GetMetricData" in s["Action"]]
        assert metrics == {
            "Sid": "ReadTenantMetricsNoResourceLevelPermission",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData"],
            "Resource": "*",
        }
        assert actions_of(operator_policy(gated)) == needed_actions(plan) | {
            "cloudwatch:GetMetricData"
        }

    def test_operator_policy_monitoring_follows_the_spec_not_the_steps(
        self, monitored_plan: Plan
    ) -> None:
        nothing_to_change = with_steps(monitored_plan, [])

        assert set(monitoring_statements(operator_policy(nothing_to_change))) == MONITORING_SIDS

    def test_operator_policy_names_the_rule_and_log_group_the_spec_gives(self, plan: Plan) -> None:
        custom = with_monitoring(plan, log_group="/team/ses#events", rule_name="ses-to-logs")
        found = statements(operator_policy(custom))
        group = "arn:aws:logs:eu-west-1:123456789012:log-group:/team/ses#events"
        rule = "arn:aws:events:eu-west-1:123456789012:rule/ses-to-logs"

        assert found["ManageTheMonitoringRule"]["Resource"] == rule
        assert found["ManageTheMonitoringLogGroup"]["Resource"] == [group, f"{group}:*"]
        assert found["TargetTheMonitoringRuleAtItsLogGroupOnly"]["Condition"][
            "ForAllValues:ArnEquals"
        ] == {"events:TargetArn": group}

    @pytest.mark.parametrize(
        ("region", "partition"),
        [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-1", "aws")],
    )
    def test_operator_policy_monitoring_uses_the_partition_of_the_region(
        self, monitored_plan: Plan, region: str, partition: str
    ) -> None:
        found = statements(operator_policy(dataclasses.replace(monitored_plan, region=region)))
        group = f"arn:{partition}:logs:{region}:123456789012:log-group:{LOG_GROUP}"

        assert found["ManageTheMonitoringRule"]["Resource"] == (
            f"arn:{partition}:events:{region}:123456789012:rule/{RULE}"
        )
        assert found["ReadTargetsOfRulesForScan"]["Resource"] == (
            f"arn:{partition}:events:{region}:123456789012:rule/*"
        )
        assert found["ManageTheMonitoringLogGroup"]["Resource"] == [group, f"{group}:*"]
        assert found["TargetTheMonitoringRuleAtItsLogGroupOnly"]["Condition"][
            "ForAllValues:ArnEquals"
        ] == {"events:TargetArn": group}


class TestTenantPolicies:
    def test_tenant_policies_give_one_policy_per_tenant(self, plan: Plan) -> None:
        assert set(tenant_policies(plan)) == {SCRIPT_TENANT, SHARED_TENANT}

    def test_tenant_policy_allows_only_sending_its_own_resources_as_its_tenant(
        self, plan: Plan
    ) -> None:
        policies = tenant_policies(plan)

        for tenant in plan.tenants:
            policy = policies[tenant.name]
            assert policy["Version"] == "2012-10-17"
            [statement] = policy["Statement"]
            assert statement["Effect"] == "Allow"
            assert statement["Action"] == ["ses:SendEmail", "ses:SendBulkEmail"]
            assert statement["Resource"] == list(tenant.resources)
            assert statement["Condition"] == {"StringEquals": {"ses:TenantName": tenant.name}}

    def test_tenant_policy_sid_is_alphanumeric(self, plan: Plan) -> None:
        sids = {name: p["Statement"][0]["Sid"] for name, p in tenant_policies(plan).items()}

        assert sids == {
            SCRIPT_TENANT: "SendAsScriptAlert1Script5c140d",
            SHARED_TENANT: "SendAsTierFree",
        }


ONBOARDING_NEEDS = {
    *ONBOARDING_LIST_ACTIONS,
    *ONBOARDING_READ_ACTIONS,
    "ses:CreateTenant",
    "ses:TagResource",
    "ses:CreateTenantResourceAssociation",
    "ses:DeleteTenantResourceAssociation",
    "ses:DeleteTenant",
}
"""What onboarding, its rollback and offboarding call whatever the spec says: the lists
and reads of the partial view, CreateTenant with its tags, associations made and removed,
DeleteTenant."""
NEVER_ONBOARDING = {
    "ses:DeleteEmailIdentity",
    "ses:DeleteConfigurationSet",
    "ses:DeleteEmailTemplate",
    "ses:SendEmail",
    "ses:SendBulkEmail",
    "ses:SendRawEmail",
    "ses:UntagResource",
    "ses:UpdateReputationEntityCustomerManagedStatus",
}
"""What the onboarding role must never do: a customer's resources are never deleted, no
send, no untagging (a tenant could leave the migration's tag), no status change."""
TENANT_WRITES = {
    "ses:DeleteTenant",
    "ses:PutTenantSuppressionAttributes",
    "ses:UpdateReputationEntityPolicy",
    "ses:CreateTenantResourceAssociation",
    "ses:DeleteTenantResourceAssociation",
}


def with_spec(plan: Plan, **keys: Any) -> Plan:
    return dataclasses.replace(plan, spec={**plan.spec, **keys})


class TestOnboardingPolicy:
    def test_onboarding_policy_is_an_iam_policy_document(self, plan: Plan) -> None:
        policy = onboarding_policy(plan)

        assert policy["Version"] == "2012-10-17"
        assert all(s["Effect"] == "Allow" for s in policy["Statement"])
        assert len({s["Sid"] for s in policy["Statement"]}) == len(policy["Statement"])
        assert all(re.fullmatch(r"[A-Za-z0-9]+", s["Sid"]) for s in policy["Statement"])
        assert policy_size(policy) <= MANAGED_POLICY_LIMIT

    def test_onboarding_policy_allows_each_action_onboarding_rollback_and_offboard_need(
        self, plan: Plan
    ) -> None:
        # the fixed plan's spec asks for strict (pro) and suppression (pro)
        assert actions_of(onboarding_policy(plan)) == ONBOARDING_NEEDS | {
            "ses:PutTenantSuppressionAttributes",
            "ses:UpdateReputationEntityPolicy",
        }

    def test_onboarding_policy_never_sends_nor_deletes_a_customers_resources(
        self, plan: Plan
    ) -> None:
        actions = actions_of(onboarding_policy(plan))

        assert actions & NEVER_ONBOARDING == set()
        assert not any("*" in a for a in actions)
        assert all(a.startswith("ses:") for a in actions)

    def test_onboarding_policy_creates_tenants_only_with_the_migration_tag(
        self, plan: Plan
    ) -> None:
        create = statements(onboarding_policy(plan))["CreateTenantsOfThisMigration"]

        assert create["Action"] == ["ses:CreateTenant", "ses:TagResource"]
        assert create["Resource"] == TENANTS
        assert create["Condition"] == {
            "StringEquals": {"aws:RequestTag/sesmigrate:migration": MIGRATION},
            "ForAllValues:StringEquals": {
                "aws:TagKeys": ["sesmigrate:customer", "sesmigrate:group", "sesmigrate:migration"]
            },
        }

    def test_onboarding_policy_writes_only_tenants_tagged_with_the_migration(
        self, plan: Plan
    ) -> None:
        on_tenants = [
            s
            for s in onboarding_policy(plan)["Statement"]
            if set(s["Action"]) & TENANT_WRITES and resources_of(s) == [TENANTS]
        ]

        assert {s["Sid"] for s in on_tenants} == {
            "ChangeTenantsOfThisMigrationAndDeleteThemToOffboardOrRollBack",
            "AssociateOnTenantsOfThisMigrationAndRemoveToOffboardOrRollBack",
        }
        assert all(s["Condition"] == {"StringEquals": MIGRATION_TAG} for s in on_tenants)
        reached = {a for s in on_tenants for a in s["Action"]}
        assert reached == TENANT_WRITES

    def test_onboarding_policy_writes_no_tenant_outside_its_conditioned_statements(
        self, plan: Plan
    ) -> None:
        for statement in onboarding_policy(plan)["Statement"]:
            if any(":tenant/" in r or r == "*" for r in resources_of(statement)):
                writes = set(statement["Action"]) - set(ONBOARDING_LIST_ACTIONS)
                assert not writes or "Condition" in statement, statement["Sid"]

    def test_onboarding_policy_associates_the_customers_resources_by_kind(self, plan: Plan) -> None:
        found = statements(onboarding_policy(plan))["AssociateNewCustomersResourcesByKind"]

        assert found["Action"] == list(ONBOARDING_ASSOCIATION_ACTIONS)
        assert found["Resource"] == [
            "arn:aws:ses:eu-west-1:123456789012:configuration-set/*",
            "arn:aws:ses:eu-west-1:123456789012:identity/*",
            "arn:aws:ses:eu-west-1:123456789012:template/*",
        ]

    def test_onboarding_policy_uses_any_resource_only_for_the_lists(self, plan: Plan) -> None:
        gated = with_spec(plan, gates={**plan.spec["gates"], "metrics": True})
        anywhere = [s for s in onboarding_policy(gated)["Statement"] if s["Resource"] == "*"]

        assert {a for s in anywhere for a in s["Action"]} == {
            *ONBOARDING_LIST_ACTIONS,
            "cloudwatch:GetMetricData",
        }

    def test_onboarding_policy_reads_only_within_the_account_and_region(self, plan: Plan) -> None:
        read = statements(onboarding_policy(plan))["ReadCustomersResourcesAndTenants"]

        assert read["Action"] == list(ONBOARDING_READ_ACTIONS)
        assert read["Resource"] == "arn:aws:ses:eu-west-1:123456789012:*"

    def test_onboarding_policy_sets_reputation_policy_and_suppression_only_when_the_spec_can(
        self, plan: Plan
    ) -> None:
        kept = with_spec(plan, reputation={"default": "keep", "tiers": {}}, suppression={})
        actions = actions_of(onboarding_policy(kept))

        assert actions == ONBOARDING_NEEDS
        assert "UseReputationPolicies" not in statements(onboarding_policy(kept))
        assert statements(onboarding_policy(plan))["UseReputationPolicies"]["Resource"] == [
            "arn:aws:ses:eu-west-1:aws:reputation-policy/*"
        ]

    def test_onboarding_policy_reads_metrics_only_while_the_metric_conditions_are_on(
        self, plan: Plan
    ) -> None:
        gated = with_spec(plan, gates={**plan.spec["gates"], "metrics": True})

        assert "cloudwatch:GetMetricData" not in actions_of(onboarding_policy(plan))
        assert statements(onboarding_policy(gated))[
            "ReadTenantSendsBeforeOffboardOrRollBackNoResourceLevelPermission"
        ] == {
            "Sid": "ReadTenantSendsBeforeOffboardOrRollBackNoResourceLevelPermission",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData"],
            "Resource": "*",
        }

    def test_onboarding_policy_follows_the_spec_not_the_steps(self, plan: Plan) -> None:
        assert onboarding_policy(with_steps(plan, [])) == onboarding_policy(plan)

    def test_onboarding_policy_grants_no_monitoring_even_when_the_spec_asks(
        self, monitored_plan: Plan, plan: Plan
    ) -> None:
        assert onboarding_policy(monitored_plan) == onboarding_policy(plan)

    def test_onboarding_policy_uses_the_partition_of_the_region(self, plan: Plan) -> None:
        china = statements(onboarding_policy(dataclasses.replace(plan, region="cn-north-1")))

        assert china["CreateTenantsOfThisMigration"]["Resource"] == (
            "arn:aws-cn:ses:cn-north-1:123456789012:tenant/*"
        )
        assert china["UseReputationPolicies"]["Resource"] == [
            "arn:aws-cn:ses:cn-north-1:aws:reputation-policy/*"
        ]


class TestIamDocument:
    def test_iam_document_matches_golden_file(self, plan: Plan) -> None:
        text = iam_document(plan)
        assert text == check_golden("iam.json", text), "SESMIGRATE_UPDATE_GOLDEN=1 rewrites it"

    def test_iam_document_with_monitoring_matches_golden_file(self, monitored_plan: Plan) -> None:
        text = iam_document(monitored_plan)
        assert text == check_golden("iam-monitoring.json", text), (
            "SESMIGRATE_UPDATE_GOLDEN=1 rewrites it"
        )

    def test_iam_document_holds_every_policy(self, plan: Plan) -> None:
        document = json.loads(iam_document(plan))

        assert document == {
            "migration": MIGRATION,
            "onboarding_role_policy": onboarding_policy(plan),
            "operator_policy": operator_policy(plan),
            "operator_policy_resources": (
                "names each of the 7 resource(s) the plan associates or removes"
            ),
            "tenant_sending_policies": tenant_policies(plan),
        }


class TestCutoverKit:
    def test_cutover_combined_matches_golden_file(self, plan: Plan) -> None:
        text = cutover_combined(plan)
        assert text == check_golden("cutover.md", text), "SESMIGRATE_UPDATE_GOLDEN=1 rewrites it"

    def test_cutover_pages_give_a_page_per_customer_with_a_tenant(self, plan: Plan) -> None:
        without = CustomerView("left-out", None, "", ("left.example",), (), ())
        widened = dataclasses.replace(plan, customers=(*plan.customers, without))

        assert set(cutover_pages(plan)) == {SCRIPT, MARKDOWN, MULLER}
        assert set(cutover_pages(widened)) == {SCRIPT, MARKDOWN, MULLER}

    def test_cutover_page_says_the_probe_passes_through_the_customers_event_destinations(
        self, plan: Plan
    ) -> None:
        page = " ".join(cutover_pages(plan)[MULLER].split())

        assert "success@simulator.amazonses.com" in page
        assert "through that configuration set's event destinations like your own mail" in page

    def test_cutover_page_warns_that_deleting_an_associated_identity_needs_its_association_gone(
        self, plan: Plan
    ) -> None:
        page = " ".join(cutover_pages(plan)[MULLER].split())
        tenant = next(c.tenant for c in plan.customers if c.id == MULLER)

        assert (
            "SES refuses to delete it (`Cannot delete … because it has tenant associations`)"
            in (page)
        )
        assert f'`DeleteTenantResourceAssociation` (`TenantName="{tenant}"`' in page

    @pytest.mark.parametrize("customer", [SCRIPT, MARKDOWN, MULLER])
    def test_cutover_page_names_tenant_configuration_set_and_smtp_headers(
        self, plan: Plan, customer: str
    ) -> None:
        view = next(c for c in plan.customers if c.id == customer)
        [configuration_set] = view.configuration_sets
        page = cutover_pages(plan)[customer]

        assert page.startswith(f"## Customer {markdown_code(customer)}\n")
        assert f"SES tenant **`{view.tenant}`** in `eu-west-1`" in page
        assert f"| tenant name | `{view.tenant}` |" in page
        assert f"| configuration set | `{configuration_set}` |" in page
        assert f"X-SES-TENANT: {view.tenant}\n" in page
        assert f"X-SES-CONFIGURATION-SET: {configuration_set}\n" in page

    @pytest.mark.parametrize(
        ("customer", "sender", "tenant", "configuration_set"),
        [
            (SCRIPT, "news@script.example", SCRIPT_TENANT, "script-mail"),
            (MARKDOWN, "ops@bold.example", SHARED_TENANT, "bold-mail"),
            (MULLER, "news@mueller.example", SHARED_TENANT, "mueller-mail"),
        ],
    )
    def test_cutover_page_boto3_example_names_the_tenant(
        self, plan: Plan, customer: str, sender: str, tenant: str, configuration_set: str
    ) -> None:
        page = cutover_pages(plan)[customer]
        keywords = send_email_keywords(page)

        assert python_block(page).startswith("ses.send_email(\n")
        assert keywords["TenantName"] == tenant
        assert keywords["ConfigurationSetName"] == configuration_set
        assert keywords["FromEmailAddress"] == sender

    def test_cutover_page_says_the_cohort_and_template(self, plan: Plan) -> None:
        pages = cutover_pages(plan)

        assert "(cohort `wave-1`)" in pages[SCRIPT]
        assert "(cohort `canary`)" in pages[MULLER]
        assert "| template | `welcome` |" in pages[SCRIPT]
        assert "| template |" not in pages[MULLER]

    @pytest.mark.parametrize("customer", [SCRIPT, MARKDOWN, MULLER])
    def test_cutover_page_is_harmless_markdown(self, plan: Plan, customer: str) -> None:
        html = MarkdownIt("commonmark").enable("table").render(cutover_pages(plan)[customer])

        assert "<script" not in html
        assert "<a " not in html
        assert "<em>" not in html
        assert all(
            len(re.findall(r"<t[dh][ >]", row)) == 2
            for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
        )

    def test_cutover_combined_puts_pages_in_customer_order_under_one_title(
        self, plan: Plan
    ) -> None:
        combined = cutover_combined(plan)
        headings = [line for line in combined.splitlines() if line.startswith("#")]

        assert combined.startswith(f"# Sending through SES tenants: migration {MIGRATION}\n\n")
        assert headings == [
            f"# Sending through SES tenants: migration {MIGRATION}",
            *(f"## Customer {markdown_code(c)}" for c in sorted([SCRIPT, MARKDOWN, MULLER])),
        ]

    def test_cutover_pages_are_plain_markdown_without_html_entities(self, plan: Plan) -> None:
        combined = cutover_combined(plan)

        assert "## Customer `Müller & Söhne`" in combined
        assert "| sending identity | `ops@bold.example` |" in combined
        assert re.findall(r"&(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);", combined) == []
        assert "\\u00" not in combined

    def test_cutover_page_lists_the_templates_associate_all_gives_every_tenant(
        self, plan: Plan
    ) -> None:
        common = arn("template", "password-reset")
        tenants = tuple(
            dataclasses.replace(t, resources=(*t.resources, common)) for t in plan.tenants
        )
        pages = cutover_pages(dataclasses.replace(plan, tenants=tenants))

        row = "| template (associated with every tenant) | `password-reset` |"
        assert all(row in page for page in pages.values())
        assert "| template | `welcome` |" in pages[SCRIPT]
        assert "welcome" not in pages[MULLER]  # another customer's template on no shared tenant

    def test_write_cutover_pages_writes_one_safe_file_per_customer(
        self, plan: Plan, tmp_path: Path
    ) -> None:
        folder = tmp_path / "kit" / "customers"
        pages = cutover_pages(plan)

        written = write_cutover_pages(plan, folder)

        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)
        assert len(written) == 3
        assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.md", p.name) for p in written)
        assert {p.name: p.read_text(encoding="utf-8") for p in written} == {
            f"{tenant_name(customer)}.md": page for customer, page in pages.items()
        }
        assert (folder / f"{tenant_name(SCRIPT)}.md").is_file()

    def test_write_cutover_pages_writes_nothing_for_a_plan_without_customers(
        self, plan: Plan, tmp_path: Path
    ) -> None:
        empty = dataclasses.replace(plan, customers=())

        assert write_cutover_pages(empty, tmp_path / "kit") == []
        assert not (tmp_path / "kit").exists()


def policy_actions(policy: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        given = statement["Action"]
        actions |= {given} if isinstance(given, str) else set(given)
    return actions


def test_operator_policy_allows_every_ses_call_apply_status_and_rollback_make(
    emulator: Any, tmp_path: Path
) -> None:
    emulator.control.load_realistic_account(8, 5)
    spec = tmp_path / "strict.toml"
    spec.write_text(
        'name = "strict"\nstrategy = "isolated"\n[reputation]\ndefault = "strict"\n'
        "[cohorts]\ncanary = 2\nwave_size = 3\n"
    )
    aws = AwsSettings(region="us-east-1", endpoint_url=emulator.endpoint_url)
    plan = make_plan(PlanRequest(spec, {}, None, aws)).plan
    path = tmp_path / "strict.plan.json"
    path.write_text(plan_to_json(plan))
    where = ["--endpoint-url", emulator.endpoint_url] if emulator.endpoint_url else []
    where += ["--state-dir", str(tmp_path / "state")]
    emulator.control.set_traffic(TrafficSettings())

    assert main(["apply", str(path), "--auto-approve", "--cohort", "all", *where]) == 0
    assert main(["status", str(path), *where]) == 0
    assert (
        main(
            [
                "rollback",
                str(path),
                "--auto-approve",
                "--allow-irreversible",
                "--cohort",
                "all",
                *where,
            ]
        )
        == 0
    )
    called = {f"ses:{op}" for op in emulator.control.stats()["by_operation"]}

    assert "ses:UpdateReputationEntityPolicy" in called
    assert called - policy_actions(operator_policy(plan)) == set()
