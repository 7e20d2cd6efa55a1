"""The migration's monitoring, planned from literals (no AWS): names, policy, what is missing."""

import dataclasses
import json
from typing import Any

import pytest

from sesmigrate.actions.monitoring import CreateLogGroup, PutLogsPolicy, PutRule, PutTarget
from sesmigrate.planning.diff import Changes
from sesmigrate.planning.graph import cohorts
from sesmigrate.planning.monitoring import (
    EVENT_PATTERN,
    TARGET_ID,
    check_planned,
    desired_monitoring,
    monitoring_changes,
    same,
)
from sesmigrate.planning.plan import (
    Plan,
    PlanFileError,
    build_plan,
    checksum_of,
    plan_to_json,
    read_plan,
)
from sesmigrate.planning.snapshot import (
    MANAGED_TAG,
    UNSCANNED,
    AccountInfo,
    EventRule,
    Inventory,
    LogGroup,
    LogsPolicy,
    Monitoring,
    RuleTarget,
    canonical_json,
)
from sesmigrate.planning.spec import RULE_NAME, MigrationSpec, MonitoringSpec, spec_from_mapping

MIGRATION = "acme-move"
SPEC = MigrationSpec(name=MIGRATION, monitoring=MonitoringSpec(enabled=True))
ACCOUNT = AccountInfo("123456789012", "us-east-1", "aws", 50000.0, 14.0, True, True)
RULE = "sesmigrate-acme-move"
LOG_GROUP = "/aws/ses/tenants"
LOG_GROUP_ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{LOG_GROUP}"
RULE_ARN = f"arn:aws:events:us-east-1:123456789012:rule/{RULE}"


def inventory(monitoring: Monitoring = UNSCANNED, account: AccountInfo = ACCOUNT) -> Inventory:
    return Inventory(account, (), (), (), (), (), monitoring=monitoring)


WANT = desired_monitoring(SPEC, inventory())


def in_place(**changes: Any) -> Monitoring:
    """An account where the migration's monitoring is exactly as desired, then `changes`."""
    monitoring = Monitoring(
        scanned=True,
        rules=(
            EventRule(RULE, RULE_ARN, WANT.rule_settings, (RuleTarget(TARGET_ID, LOG_GROUP_ARN),)),
        ),
        log_groups=(LogGroup(LOG_GROUP, LOG_GROUP_ARN),),
        policies=(LogsPolicy(RULE, WANT.policy_document),),
    )
    return dataclasses.replace(monitoring, **changes)


def kinds(monitoring: Monitoring, spec: MigrationSpec = SPEC) -> list[type]:
    planned, _ = monitoring_changes(inventory(monitoring), spec)
    return [type(p.action) for p in planned]


class TestDesiredMonitoring:
    def test_names_the_log_group_rule_policy_and_their_arns(self) -> None:
        assert (WANT.log_group, WANT.log_group_arn) == (LOG_GROUP, LOG_GROUP_ARN)
        assert (WANT.rule, WANT.rule_arn, WANT.policy_name) == (RULE, RULE_ARN, RULE)
        assert json.loads(WANT.target) == {"Arn": LOG_GROUP_ARN, "Id": TARGET_ID}
        assert WANT.tags == ((MANAGED_TAG, MIGRATION),)

    def test_uses_the_partition_its_region_belongs_to(self) -> None:
        china = dataclasses.replace(ACCOUNT, region="cn-north-1", partition="aws")

        want = desired_monitoring(SPEC, inventory(account=china))

        assert want.log_group_arn == (
            f"arn:aws-cn:logs:cn-north-1:123456789012:log-group:{LOG_GROUP}"
        )
        assert want.rule_arn == f"arn:aws-cn:events:cn-north-1:123456789012:rule/{RULE}"
        statement = json.loads(want.policy_document)["Statement"][0]
        assert statement["Resource"] == f"{want.log_group_arn}:*"
        assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == want.rule_arn

    def test_uses_the_log_group_and_rule_name_the_spec_gives(self) -> None:
        spec = MigrationSpec(
            name=MIGRATION,
            monitoring=MonitoringSpec(True, "/custom/events", "ses-tenant-rule"),
        )

        want = desired_monitoring(spec, inventory())

        assert (want.log_group, want.rule, want.policy_name) == (
            "/custom/events",
            "ses-tenant-rule",
            "ses-tenant-rule",
        )
        assert want.log_group_arn.endswith(":log-group:/custom/events")

    def test_policy_lets_only_eventbridge_write_only_to_the_group_only_for_the_rule(
        self,
    ) -> None:
        document = json.loads(WANT.policy_document)

        assert document["Version"] == "2012-10-17"
        [statement] = document["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {
            "Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]
        }
        assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert statement["Resource"] == f"{LOG_GROUP_ARN}:*"
        assert statement["Condition"] == {
            "ArnEquals": {"aws:SourceArn": RULE_ARN},
            "StringEquals": {"aws:SourceAccount": "123456789012"},
        }

    def test_policy_document_is_canonical_json(self) -> None:
        assert WANT.policy_document == canonical_json(json.loads(WANT.policy_document))

    def test_rule_matches_the_ses_tenant_event_types_under_both_finding_closed_names(
        self,
    ) -> None:
        settings = json.loads(WANT.rule_settings)

        assert settings["EventPattern"] == EVENT_PATTERN
        assert EVENT_PATTERN["source"] == ["aws.ses"]
        assert EVENT_PATTERN["detail-type"] == [
            "Sending Status Enabled",
            "Sending Status Disabled",
            "Advisor Recommendation Status Open",
            "Advisor Recommendation Status Resolved",
            "Advisor Recommendation Status Closed",
        ]
        assert settings["State"] == "ENABLED"
        assert MIGRATION in settings["Description"]

    @pytest.mark.parametrize("length", [53, 54, 100, 128])
    def test_a_long_migration_name_gives_a_rule_name_of_at_most_64_characters(
        self, length: int
    ) -> None:
        spec = MigrationSpec(name="m" * length, monitoring=MonitoringSpec(enabled=True))

        rule = desired_monitoring(spec, inventory()).rule

        assert len(rule) <= 64
        assert RULE_NAME.fullmatch(rule)
        assert rule.startswith("sesmigrate-mmm")

    def test_long_migration_names_sharing_a_prefix_get_distinct_rule_names(self) -> None:
        first = MigrationSpec(name="a" * 80 + "-one").monitoring_rule
        second = MigrationSpec(name="a" * 80 + "-two").monitoring_rule

        assert first != second
        assert len(first) == len(second) == 64


class TestMonitoringChanges:
    def test_monitoring_off_plans_nothing_and_warns_nothing(self) -> None:
        off = MigrationSpec(name=MIGRATION)

        assert monitoring_changes(inventory(), off) == ((), ())
        assert monitoring_changes(inventory(Monitoring(scanned=True)), off) == ((), ())

    def test_nothing_scanned_plans_all_four_actions_and_warns(self) -> None:
        planned, warnings = monitoring_changes(inventory(UNSCANNED), SPEC)

        assert [p.action for p in planned] == [
            CreateLogGroup(LOG_GROUP, LOG_GROUP_ARN, WANT.tags),
            PutLogsPolicy(RULE, WANT.policy_document),
            PutRule(RULE, WANT.rule_settings, WANT.tags),
            PutTarget(RULE, WANT.target),
        ]
        assert len(warnings) == 1
        assert "monitoring could not be scanned" in warnings[0]

    def test_nothing_there_plans_all_four_actions_without_a_warning(self) -> None:
        planned, warnings = monitoring_changes(inventory(Monitoring(scanned=True)), SPEC)

        assert [type(p.action) for p in planned] == [
            CreateLogGroup,
            PutLogsPolicy,
            PutRule,
            PutTarget,
        ]
        assert warnings == ()

    def test_planned_monitoring_belongs_to_no_customer_and_is_no_cleanup(self) -> None:
        planned, _ = monitoring_changes(inventory(), SPEC)

        assert all(p.customers == () and not p.cleanup for p in planned)
        assert all(p.reason.startswith("monitoring: ") for p in planned)

    def test_everything_in_place_plans_nothing(self) -> None:
        assert monitoring_changes(inventory(in_place()), SPEC) == ((), ())

    def test_a_policy_equal_but_differently_serialised_is_in_place(self) -> None:
        pretty = json.dumps(json.loads(WANT.policy_document), indent=4)
        settings = json.dumps(json.loads(WANT.rule_settings), indent=1)
        rule = dataclasses.replace(in_place().rules[0], settings=settings)

        monitoring = in_place(policies=(LogsPolicy(RULE, pretty),), rules=(rule,))

        assert kinds(monitoring) == []

    def test_a_rule_with_another_pattern_plans_only_put_rule(self) -> None:
        other = canonical_json({"EventPattern": {"source": ["aws.ses"]}, "State": "ENABLED"})
        rule = dataclasses.replace(in_place().rules[0], settings=other)

        assert kinds(in_place(rules=(rule,))) == [PutRule]

    def test_a_disabled_rule_plans_put_rule(self) -> None:
        settings = {**json.loads(WANT.rule_settings), "State": "DISABLED"}
        rule = dataclasses.replace(in_place().rules[0], settings=canonical_json(settings))

        assert kinds(in_place(rules=(rule,))) == [PutRule]

    def test_a_rule_without_the_target_plans_only_put_target(self) -> None:
        rule = dataclasses.replace(in_place().rules[0], targets=())

        assert kinds(in_place(rules=(rule,))) == [PutTarget]

    def test_a_target_of_the_same_id_to_another_group_plans_put_target(self) -> None:
        elsewhere = RuleTarget(TARGET_ID, LOG_GROUP_ARN.replace("tenants", "legacy"))
        rule = dataclasses.replace(in_place().rules[0], targets=(elsewhere,))

        assert kinds(in_place(rules=(rule,))) == [PutTarget]

    def test_a_rule_with_another_pattern_and_no_target_plans_rule_then_target(self) -> None:
        rule = dataclasses.replace(in_place().rules[0], settings="{}", targets=())

        assert kinds(in_place(rules=(rule,))) == [PutRule, PutTarget]

    def test_a_missing_log_group_plans_only_its_creation(self) -> None:
        assert kinds(in_place(log_groups=())) == [CreateLogGroup]

    def test_a_policy_with_another_document_plans_put_logs_policy(self) -> None:
        policy = LogsPolicy(RULE, canonical_json({"Version": "2012-10-17", "Statement": []}))

        assert kinds(in_place(policies=(policy,))) == [PutLogsPolicy]

    def test_another_rule_routing_to_the_same_log_group_gives_a_warning(self) -> None:
        theirs = EventRule(
            "ses-events",
            "arn:aws:events:us-east-1:123456789012:rule/ses-events",
            canonical_json({"EventPattern": {"source": ["aws.ses"]}, "State": "ENABLED"}),
            (RuleTarget("logs", LOG_GROUP_ARN),),
        )

        planned, warnings = monitoring_changes(
            inventory(in_place(rules=(*in_place().rules, theirs))), SPEC
        )

        assert planned == ()
        assert len(warnings) == 1
        assert "ses-events" in warnings[0]
        assert "logged twice" in warnings[0]

    def test_another_rule_routing_elsewhere_gives_no_warning(self) -> None:
        theirs = EventRule(
            "ses-events",
            "arn:aws:events:us-east-1:123456789012:rule/ses-events",
            "{}",
            (RuleTarget("logs", LOG_GROUP_ARN.replace("tenants", "archive")),),
        )

        assert monitoring_changes(inventory(in_place(rules=(*in_place().rules, theirs))), SPEC) == (
            (),
            (),
        )

    def test_a_full_set_of_logs_policies_warns_that_putting_ours_will_fail(self) -> None:
        full = tuple(LogsPolicy(f"other-{n}", "{}") for n in range(10))

        planned, warnings = monitoring_changes(inventory(in_place(policies=full)), SPEC)

        assert PutLogsPolicy in [type(p.action) for p in planned]
        assert any("already has 10 CloudWatch Logs resource policies" in w for w in warnings)

    def test_nine_other_logs_policies_give_no_warning(self) -> None:
        nine = tuple(LogsPolicy(f"other-{n}", "{}") for n in range(9))

        _, warnings = monitoring_changes(inventory(in_place(policies=nine)), SPEC)

        assert warnings == ()

    def test_a_log_group_too_long_for_the_rule_description_is_left_out_of_it(self) -> None:
        long_group = "/aws/ses/" + "x" * 500
        spec = dataclasses.replace(
            SPEC, monitoring=MonitoringSpec(enabled=True, log_group=long_group)
        )

        description = json.loads(desired_monitoring(spec, inventory()).rule_settings)["Description"]

        assert len(description) <= 512
        assert description == f"SES tenant events (sesmigrate migration {MIGRATION})"


def monitored_plan_document() -> dict[str, Any]:
    """A sealed plan holding the four monitoring actions (an account with no customers)."""
    planned, warnings = monitoring_changes(inventory(), SPEC)
    changes = Changes(planned, (), (), (), warnings)
    plan = build_plan(
        inventory(),
        SPEC,
        changes,
        cohorts(changes.actions, (), SPEC.cohorts),
        tool_version="0.1.0",
        created_at="2026-11-24T00:00:00+00:00",
    )
    return dict(json.loads(plan_to_json(plan)))


def resealed(document: dict[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != "checksum"}
    return json.dumps({**body, "checksum": checksum_of(body)})


def step_of(document: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(s for s in document["steps"] if s["action"]["kind"] == kind)


class TestPlanFile:
    def test_a_monitored_plan_reads_back_with_its_four_actions_in_a_customerless_canary(
        self,
    ) -> None:
        plan = read_plan(resealed(monitored_plan_document()))

        assert [c.name for c in plan.cohorts] == ["canary"]
        assert sorted(s.action.kind for s in plan.steps) == [
            "create_log_group",
            "put_logs_policy",
            "put_rule",
            "put_target",
        ]

    def test_a_resealed_plan_routing_events_elsewhere_reads_but_is_refused_before_apply(
        self,
    ) -> None:
        document = monitored_plan_document()
        elsewhere = {"Arn": "arn:aws:sns:us-east-1:999999999999:spy", "Id": TARGET_ID}
        step_of(document, "put_target")["action"]["target"] = canonical_json(elsewhere)
        plan = read_plan(resealed(document))

        with pytest.raises(ValueError, match="put_target is not what this sesmigrate makes"):
            refuse_unplanned(plan)

    def test_a_resealed_plan_widening_the_logs_policy_is_refused_before_apply(self) -> None:
        document = monitored_plan_document()
        wide = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "logs:*"}]}
        step_of(document, "put_logs_policy")["action"]["document"] = canonical_json(wide)

        with pytest.raises(ValueError, match="put_logs_policy is not what this sesmigrate makes"):
            refuse_unplanned(read_plan(resealed(document)))

    def test_a_resealed_rule_with_extra_put_rule_arguments_is_refused_before_apply(
        self,
    ) -> None:
        document = monitored_plan_document()
        action = step_of(document, "put_rule")["action"]
        action["settings"] = canonical_json({**json.loads(action["settings"]), "Name": "x"})

        with pytest.raises(ValueError, match="put_rule is not what this sesmigrate makes"):
            refuse_unplanned(read_plan(resealed(document)))

    def test_monitoring_actions_whose_spec_has_none_are_refused_before_apply(self) -> None:
        document = monitored_plan_document()
        document["spec"]["monitoring"]["enabled"] = False

        with pytest.raises(ValueError, match="its spec does not ask for monitoring"):
            refuse_unplanned(read_plan(resealed(document)))

    def test_the_plans_own_monitoring_actions_pass_the_check(self) -> None:
        plan = read_plan(resealed(monitored_plan_document()))

        refuse_unplanned(plan)

        assert {type(s.action) for s in plan.steps} == {
            CreateLogGroup,
            PutLogsPolicy,
            PutRule,
            PutTarget,
        }

    @pytest.mark.parametrize("created_at", ["yesterday", "2026-11-24T00:00:00"])
    def test_a_plan_whose_creation_time_is_not_iso_8601_with_a_zone_is_refused(
        self, created_at: str
    ) -> None:
        document = monitored_plan_document()
        document["created_at"] = created_at

        with pytest.raises(PlanFileError, match=r"is not an ISO 8601 time with a zone"):
            read_plan(resealed(document))


def refuse_unplanned(plan: Plan) -> None:
    spec = spec_from_mapping(plan.spec, "plan.spec")
    check_planned(spec, plan.account, plan.region, [s.action for s in plan.steps])


class TestReplacing:
    def test_replacing_a_rule_with_other_settings_is_announced(self) -> None:
        other = canonical_json({"EventPattern": {"source": ["aws.ses"]}, "State": "ENABLED"})
        rule = EventRule(RULE, RULE_ARN, other, (RuleTarget(TARGET_ID, LOG_GROUP_ARN),))

        _, warnings = monitoring_changes(inventory(in_place(rules=(rule,))), SPEC)

        assert warnings == (
            f"EventBridge rule {RULE} exists with other settings: apply replaces them, "
            "rollback puts them back",
        )

    def test_replacing_a_logs_policy_with_another_document_is_announced(self) -> None:
        policy = LogsPolicy(RULE, canonical_json({"Statement": []}))

        _, warnings = monitoring_changes(inventory(in_place(policies=(policy,))), SPEC)

        assert warnings == (
            f"CloudWatch Logs resource policy {RULE} exists with another document: apply "
            "replaces it, rollback puts it back",
        )

    def test_a_policy_given_back_with_its_arrays_reordered_is_in_place(self) -> None:
        document = json.loads(WANT.policy_document)
        statement = document["Statement"][0]
        statement["Principal"]["Service"].reverse()
        statement["Action"].reverse()
        policy = LogsPolicy(RULE, canonical_json(document))

        assert kinds(in_place(policies=(policy,))) == []


class TestSame:
    def test_arrays_in_another_order_mean_the_same(self) -> None:
        assert same(
            '{"source": ["aws.ses"], "detail-type": ["b", "a"]}',
            '{"detail-type": ["a", "b"], "source": ["aws.ses"]}',
        )

    def test_numeric_operands_in_another_order_do_not(self) -> None:
        assert not same(
            '{"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}',
            '{"detail": {"n": [{"numeric": ["<=", 0, ">", 5]}]}}',
        )

    def test_different_values_do_not(self) -> None:
        assert not same('{"source": ["aws.ses"]}', '{"source": ["aws.sns"]}')
