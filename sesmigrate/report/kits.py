"""What a plan asks of people outside the review: IAM policies and the sender cut-over kit.

Pure. The operator's policy allows only the SES actions this plan (and its rollback) uses:
tenants are reachable only with this migration's tag (or by name, when adopted), new ones
only if created with it, and associations only for the resources the plan moves, each
named by its ARN while the policy fits IAM's 6,144 characters for a managed policy; a
larger plan's policy names them by kind (`identity/*`, ...) and `iam_document` says so. When the
plan's spec asks for monitoring, it also allows the EventBridge and CloudWatch Logs actions
that scanning, applying, rolling back and `status` need for it: on this migration's rule
and log group by ARN (tagging the rule only with the migration's tag, targeting it only at
the log group), and with Resource "*" only where IAM has no resource-level permission.
When the spec turns on the gate's metric conditions, it allows `cloudwatch:GetMetricData`
(Resource "*": it has no resource-level permission) in a statement of its own.
The operator may also send the `apply --probe` message: `ses:SendEmail` from the plan's
identities through its configuration sets, only naming one of the plan's tenants
(`ses:TenantName`; when naming them would not fit, by kind and any tenant name) and only to
the SES mailbox simulator (`ses:Recipients`).
The onboarding role (a sign-up worker or Lambda running `onboard`) gets a policy of its own:
the lists and reads onboarding makes, tenants created only with this migration's tag and
changed, associated or deleted only while they carry it (rollback of an onboarding, and
offboarding), the customers' resources by kind; no send, no deletion of a customer's resource.
Each tenant also gets a sending policy restricted by the `ses:TenantName` condition key.
The cut-over kit tells each customer's developers what changes in their sends. All of it
is rendered from `templates/iam` and `templates/cutover`; the JSON is parsed back before it
is returned, so a template can never emit invalid JSON.
"""

import json
from typing import Any

from ..planning.plan import Plan
from ..planning.snapshot import CUSTOMER_TAG, GROUP_TAG, MANAGED_TAG, partition_of
from ..planning.spec import spec_from_mapping
from .model import associated
from .render import environment

LIST_ACTIONS = (
    "ses:GetAccount",
    "ses:ListConfigurationSets",
    "ses:ListDedicatedIpPools",
    "ses:ListEmailIdentities",
    "ses:ListEmailTemplates",
    "ses:ListReputationEntities",
    "ses:ListTenants",
)
READ_ACTIONS = (
    "ses:GetConfigurationSet",
    "ses:GetDedicatedIpPool",
    "ses:GetEmailIdentity",
    "ses:GetEmailTemplate",
    "ses:GetReputationEntity",
    "ses:GetTenant",
    "ses:ListResourceTenants",
    "ses:ListTagsForResource",
    "ses:ListTenantResources",
)
TENANT_ACTIONS = {
    "create_tenant": ("ses:DeleteTenant",),
    "delete_tenant": ("ses:DeleteTenant",),
    "attach": ("ses:CreateTenantResourceAssociation", "ses:DeleteTenantResourceAssociation"),
    "detach": ("ses:CreateTenantResourceAssociation", "ses:DeleteTenantResourceAssociation"),
    "set_policy": ("ses:UpdateReputationEntityPolicy",),
    "set_status": ("ses:UpdateReputationEntityCustomerManagedStatus",),
    "set_suppression": ("ses:PutTenantSuppressionAttributes",),
}
"""IAM actions each kind needs on the tenant, its rollback included."""
METRIC_ACTIONS = ("cloudwatch:GetMetricData",)
"""The health gate's metric conditions (`[gates]` bounce_rate_max, ...): tenants' Send,
Bounce and Complaint sums; CloudWatch has no resource-level permission for it."""
MONITORING_READ_ACTIONS = (
    "events:ListRules",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
)
"""What the scan reads of the monitoring: none of these has resource-level permissions."""
MONITORING_SCAN_TARGETS_ACTIONS = ("events:ListTargetsByRule",)
"""The scan lists the targets of every rule on the default bus that matches SES events or
carries sesmigrate's prefix, not only this migration's rule: read-only, on the region's
rules."""
MONITORING_RULE_ACTIONS = (
    "events:DeleteRule",
    "events:DescribeRule",
    "events:ListTargetsByRule",
    "events:PutRule",
    "events:RemoveTargets",
)
"""On the migration's rule: PutRule and its rollback, PutTarget's and RemoveTarget's reads."""
MONITORING_LOG_GROUP_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:FilterLogEvents",
    "logs:ListTagsForResource",
    "logs:TagResource",
)
"""On the migration's log group: created with tags, checked by its tags, read by `status`.
TagResource has no tag condition: CloudWatch Logs documents no `aws:TagKeys` check for the
tags CreateLogGroup sets, and a condition it ignores or refuses would break the first apply."""
MONITORING_LOGS_POLICY_ACTIONS = ("logs:DeleteResourcePolicy", "logs:PutResourcePolicy")
"""The Logs resource policy: no resource-level permissions, so Resource "*"."""
ONBOARDING_LIST_ACTIONS = (
    "ses:ListConfigurationSets",
    "ses:ListEmailIdentities",
    "ses:ListEmailTemplates",
    "ses:ListTenants",
)
"""What `onboard` lists (its partial view) and rollback lists (tenants back again): no
resource-level permissions, so Resource "*"."""
ONBOARDING_READ_ACTIONS = (
    "ses:GetConfigurationSet",
    "ses:GetEmailIdentity",
    "ses:GetEmailTemplate",
    "ses:GetReputationEntity",
    "ses:GetTenant",
    "ses:ListResourceTenants",
    "ses:ListTenantResources",
)
"""What onboarding reads of the customer's resources and of the one tenant its place names
(any tenant: one an unmanaged tenant holds is refused, so it must be readable), and what
rollback and offboarding read of the tenants they delete or take associations from."""
ONBOARDING_TENANT_ACTIONS = ("ses:DeleteTenant",)
"""On tenants of this migration: DeleteTenant undoes a created tenant (rollback) and
removes one only the customer used (offboard)."""
ONBOARDING_ASSOCIATION_ACTIONS = (
    "ses:CreateTenantResourceAssociation",
    "ses:DeleteTenantResourceAssociation",
)
"""Associations: made by onboarding, removed by its rollback and by offboarding."""
ONBOARDING_RESOURCE_KINDS = ("configuration-set", "identity", "template")
"""What a send names, so what onboarding associates: by kind, since the names of customers
still to come are not known when the plan is made."""
MANAGED_POLICY_LIMIT = 6_144
"""The most characters IAM takes in a managed policy, white space not counted."""
SIMULATOR_RECIPIENTS = ("*@simulator.amazonses.com",)
"""Where the probe may send: the SES mailbox simulator's addresses (success@, bounce@, …)."""


def policy_size(policy: dict[str, Any]) -> int:
    """The characters IAM counts in `policy`: its JSON without white space."""
    return len(json.dumps(policy, separators=(",", ":")))


def operator_policy(plan: Plan) -> dict[str, Any]:
    """The operator's policy, naming each resource the plan moves while it fits
    `MANAGED_POLICY_LIMIT`, else naming them by kind."""
    arns = moved_resources(plan)
    policy = _operator_policy(plan, arns, exact=True)
    if policy_size(policy) <= MANAGED_POLICY_LIMIT:
        return policy
    return _operator_policy(plan, _by_kind(plan, arns), exact=False)


def moved_resources(plan: Plan) -> list[str]:
    return sorted(
        {
            getattr(step.action, "resource_arn", "")
            for step in plan.steps
            if step.action.kind in ("attach", "detach")
        }
    )


def _by_kind(plan: Plan, arns: list[str]) -> list[str]:
    prefix = _prefix(plan)
    kinds_of = sorted({arn.removeprefix(prefix + ":").split("/", 1)[0] for arn in arns})
    return [f"{prefix}:{kind}/*" for kind in kinds_of]


def resource_scope(plan: Plan) -> str:
    """How the operator policy names the resources it may associate, in one sentence."""
    arns = moved_resources(plan)
    named = policy_size(_operator_policy(plan, arns, exact=True))
    if named <= MANAGED_POLICY_LIMIT:
        return f"names each of the {len(arns)} resource(s) the plan associates or removes"
    probe = probe_permission(plan, exact=True)
    senders = (
        f" and the {len(probe['resources'])} identities and configuration sets the probe may "
        "send from"
        if probe and probe["resources"]
        else ""
    )
    return (
        f"names the {len(arns)} resources the plan associates or removes{senders} by kind "
        f"({', '.join(_by_kind(plan, arns))}): naming each would take {named} characters, "
        f"over IAM's {MANAGED_POLICY_LIMIT} for a managed policy"
    )


def _prefix(plan: Plan) -> str:
    return f"arn:{partition_of(plan.region)}:ses:{plan.region}:{plan.account}"


def _operator_policy(plan: Plan, arns: list[str], *, exact: bool) -> dict[str, Any]:
    kinds = {step.action.kind for step in plan.steps}
    prefix = _prefix(plan)
    tenant_actions = sorted({a for kind in kinds for a in TENANT_ACTIONS.get(kind, ())})
    text = (
        environment()
        .get_template("iam/operator-policy.json.j2")
        .render(
            list_actions=list(LIST_ACTIONS),
            read_actions=list(READ_ACTIONS),
            partition=partition_of(plan.region),
            region=plan.region,
            account=plan.account,
            migration=plan.migration,
            managed_tag=MANAGED_TAG,
            tag_keys=sorted({MANAGED_TAG, CUSTOMER_TAG, GROUP_TAG}),
            tenant_arn_pattern=f"{prefix}:tenant/*",
            create_actions=["ses:CreateTenant", "ses:TagResource"]
            if "create_tenant" in kinds
            else [],
            tenant_actions=[a for a in tenant_actions if "Association" not in a],
            association_actions=[a for a in tenant_actions if "Association" in a],
            resource_arns=arns,
            adopted_arns=[f"{prefix}:tenant/{name}/*" for name in plan.adopted],
            policy_arns=(
                [f"arn:{partition_of(plan.region)}:ses:{plan.region}:aws:reputation-policy/*"]
                if "set_policy" in kinds
                else []
            ),
            monitoring=monitoring_resources(plan),
            metric_actions=metric_actions(plan),
            probe=probe_permission(plan, exact=exact),
        )
    )
    return dict(json.loads(text))


def probe_permission(plan: Plan, *, exact: bool) -> dict[str, Any] | None:
    """What the probe's SendEmail statement names: the identities and configuration sets of
    the plan's tenants and the tenants by name (by kind and any name unless `exact`), the
    simulator's recipients. None for a plan without tenants."""
    if not plan.tenants:
        return None
    prefix = _prefix(plan)
    arns = sorted(
        {
            arn
            for tenant in plan.tenants
            for arn in tenant.resources
            if arn.removeprefix(prefix + ":").split("/", 1)[0] in ("identity", "configuration-set")
        }
    )
    if not exact:
        arns = _by_kind(plan, arns)
    names = sorted(t.name for t in plan.tenants)
    return {
        "resources": arns,
        "tenant_operator": "StringEquals" if exact else "StringLike",
        "tenants": names if exact else ["*"],
        "recipients": list(SIMULATOR_RECIPIENTS),
    }


def monitoring_resources(plan: Plan) -> dict[str, Any] | None:
    """What the policy's monitoring statements name; None if the spec does not ask for it.

    It follows the spec, not the steps: rollback, a re-plan and `status` need the same
    permissions whether or not this plan still has something to change."""
    spec = spec_from_mapping(plan.spec, "plan.spec")
    if not spec.monitoring.enabled:
        return None
    partition, where = partition_of(plan.region), f"{plan.region}:{plan.account}"
    rules = f"arn:{partition}:events:{where}:rule"
    log_group_arn = f"arn:{partition}:logs:{where}:log-group:{spec.monitoring.log_group}"
    return {
        "read_actions": list(MONITORING_READ_ACTIONS),
        "scan_targets_actions": list(MONITORING_SCAN_TARGETS_ACTIONS),
        "rules_arn": f"{rules}/*",
        "rule_actions": list(MONITORING_RULE_ACTIONS),
        "rule_arn": f"{rules}/{spec.monitoring_rule}",
        "log_group_actions": list(MONITORING_LOG_GROUP_ACTIONS),
        "log_group_arn": log_group_arn,
        "log_group_arns": [log_group_arn, f"{log_group_arn}:*"],
        "logs_policy_actions": list(MONITORING_LOGS_POLICY_ACTIONS),
    }


def metric_actions(plan: Plan) -> list[str]:
    """What the gate's metric conditions read, when the spec turns them on: GetMetricData,
    which has no resource-level permission (Resource "*")."""
    spec = spec_from_mapping(plan.spec, "plan.spec")
    return list(METRIC_ACTIONS) if spec.gates.metrics else []


def onboarding_policy(plan: Plan) -> dict[str, Any]:
    """The onboarding role's policy: what `onboard` calls, and what rolling an onboarding
    back and offboarding a customer call, so one role serves the sign-up worker for all
    three. Tenants are created only with this migration's tag and changed, associated or
    deleted only while they carry it; the customers' resources are named by kind. It
    never sends, and never deletes an identity, configuration set or template.

    It follows the spec, not the steps: which reputation policy and suppression calls
    an onboarding may make depends on the tiers the spec gives, not on this plan's."""
    spec = spec_from_mapping(plan.spec, "plan.spec")
    partition = partition_of(plan.region)
    prefix = _prefix(plan)
    policies = {spec.default_policy, *(p for _, p in spec.tier_policies)}
    sets_policy = bool(policies - {"keep"})
    tenant_actions = {*ONBOARDING_TENANT_ACTIONS}
    if sets_policy:
        tenant_actions.add("ses:UpdateReputationEntityPolicy")
    if spec.suppression:
        tenant_actions.add("ses:PutTenantSuppressionAttributes")
    text = (
        environment()
        .get_template("iam/onboarding-policy.json.j2")
        .render(
            list_actions=list(ONBOARDING_LIST_ACTIONS),
            read_actions=list(ONBOARDING_READ_ACTIONS),
            partition=partition,
            region=plan.region,
            account=plan.account,
            migration=plan.migration,
            managed_tag=MANAGED_TAG,
            tag_keys=sorted({MANAGED_TAG, CUSTOMER_TAG, GROUP_TAG}),
            tenant_arn_pattern=f"{prefix}:tenant/*",
            tenant_actions=sorted(tenant_actions),
            association_actions=list(ONBOARDING_ASSOCIATION_ACTIONS),
            resource_arns=[f"{prefix}:{kind}/*" for kind in ONBOARDING_RESOURCE_KINDS],
            policy_arns=(
                [f"arn:{partition}:ses:{plan.region}:aws:reputation-policy/*"]
                if sets_policy
                else []
            ),
            metric_actions=metric_actions(plan),
        )
    )
    return dict(json.loads(text))


def tenant_policies(plan: Plan) -> dict[str, dict[str, Any]]:
    """A sending policy per tenant: only its resources, only with its name as TenantName."""
    template = environment().get_template("iam/tenant-sending-policy.json.j2")
    policies = {}
    for tenant in plan.tenants:
        sid = "".join(part.capitalize() for part in tenant.name.replace("_", "-").split("-"))
        text = template.render(tenant=tenant.name, sid=sid, resources=list(tenant.resources))
        policies[tenant.name] = json.loads(text)
    return policies


def iam_document(plan: Plan) -> str:
    """Every policy in one JSON document, for `sesmigrate show --iam`: the operator's, the
    onboarding role's and each tenant's sending policy."""
    document = {
        "migration": plan.migration,
        "onboarding_role_policy": onboarding_policy(plan),
        "operator_policy": operator_policy(plan),
        "operator_policy_resources": resource_scope(plan),
        "tenant_sending_policies": tenant_policies(plan),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def cutover_pages(plan: Plan) -> dict[str, str]:
    """One Markdown page per customer, keyed by customer id: plain Markdown (account data in
    code spans, shown as written, no HTML entities), listing everything the plan associates
    with the customer's tenant for them, the templates `unowned_templates = "associate-all"`
    gives every tenant included; other customers' resources on a shared tenant are theirs."""
    template = environment().get_template("cutover/customer.md.j2")
    cohort_of = {customer: c.name for c in plan.cohorts for customer in c.customers}
    owned = {name for customer in plan.customers for name in customer.templates}
    common = {
        tenant.name: [
            name for name in associated(tenant.resources)["templates"] if name not in owned
        ]
        for tenant in plan.tenants
    }
    pages = {}
    for customer in plan.customers:
        if not customer.tenant:
            continue
        domain = next((i for i in customer.identities if "@" not in i), None)
        sender = f"news@{domain}" if domain else next(iter(customer.identities), "")
        pages[customer.id] = template.render(
            customer=customer,
            region=plan.region,
            cohort=cohort_of.get(customer.id, ""),
            sender=sender,
            common_templates=common.get(customer.tenant, []),
        )
    return pages


def cutover_combined(plan: Plan) -> str:
    pages = cutover_pages(plan)
    header = f"# Sending through SES tenants: migration {plan.migration}\n\n"
    return header + "\n".join(pages[customer] for customer in sorted(pages))
