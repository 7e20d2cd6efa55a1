"""A small fixed plan for the report tests, built from literals, and the golden-file helper.

The plan holds everything a reviewer must see: a canary, a wave and a cleanup cohort; a
shared tier tenant with two customers; creates, attaches of an identity, a configuration set
and a template; reputation policies; a make-before-break detach and an irreversible delete;
warnings and an unmanaged tenant. Its customer ids are hostile on purpose: one is markup (and
a tag value), one is Markdown syntax, one is not ASCII. It is sealed and read back, so its
checksum is set, exactly as `sesmigrate show` sees a plan file. It has no monitoring, so
the existing golden files show a plan without it; `with_monitoring` turns it on in the spec.
"""

import dataclasses
import os
from pathlib import Path

import pytest

from sesmigrate.actions.tenant import (
    Action,
    AttachResource,
    CreateTenant,
    DeleteTenant,
    DetachResource,
    SetReputationPolicy,
)
from sesmigrate.planning.diff import Expectation
from sesmigrate.planning.durations import ASSUMED
from sesmigrate.planning.graph import Cohort
from sesmigrate.planning.naming import tenant_name
from sesmigrate.planning.notices import Notice
from sesmigrate.planning.plan import (
    CustomerView,
    Plan,
    Step,
    TenantView,
    plan_to_json,
    read_plan,
)
from sesmigrate.planning.snapshot import CUSTOMER_TAG, GROUP_TAG, MANAGED_TAG
from sesmigrate.planning.spec import CohortSpec, MigrationSpec, Suppression

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("SESMIGRATE_UPDATE_GOLDEN") == "1"

ACCOUNT = "123456789012"
REGION = "eu-west-1"
MIGRATION = "golden"
SCRIPT = "<script>alert(1)</script>"
"""A customer id, and so a tag value of its tenant, that is markup."""
MARKDOWN = "*bold* [x](http://evil) | pipe"
"""A customer id made of Markdown syntax: emphasis, a link and a table pipe."""
MULLER = "Müller & Söhne"
"""A customer id that is not ASCII and holds an ampersand."""
SCRIPT_TENANT = tenant_name(SCRIPT)
SHARED_TENANT = "tier-free"
ORPHAN_TENANT = "old-promo"
UNMANAGED_TENANT = "hand-made"
FIXED_TENANTS = (SHARED_TENANT, ORPHAN_TENANT, UNMANAGED_TENANT)
SPEC = MigrationSpec(
    name=MIGRATION,
    strategy="tiered",
    strategy_options=(("dedicated_tiers", ("pro",)),),
    suppression=(("pro", Suppression(("BOUNCE", "COMPLAINT"), "TENANT")),),
    delete_orphaned_tenants=True,
    cohorts=CohortSpec(canary=1, wave_size=2),
)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:ses:{REGION}:{ACCOUNT}:{kind}/{name}"


MULLER_DOMAIN = arn("identity", "mueller.example")
MULLER_SET = arn("configuration-set", "mueller-mail")
MARKDOWN_ADDRESS = arn("identity", "ops@bold.example")
MARKDOWN_SET = arn("configuration-set", "bold-mail")
SCRIPT_DOMAIN = arn("identity", "script.example")
SCRIPT_SET = arn("configuration-set", "script-mail")
SCRIPT_TEMPLATE = arn("template", "welcome")
LOG_GROUP = "/aws/ses/tenants"
"""The monitoring log group of `with_monitoring`."""
RULE = f"sesmigrate-{MIGRATION}"
"""The monitoring rule's name derived from the migration's name (`monitoring_rule`)."""


def step(action: Action, cohort: str, customers: tuple[str, ...], reason: str) -> Step:
    """A step with the one expectation apply checks first: a new tenant must still be absent."""
    creates = isinstance(action, CreateTenant)
    return Step(
        action, cohort, customers, reason, (Expectation("tenant_absent", action.tenant),) * creates
    )


def batches(*groups: list[Step]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(sorted(s.action.key for s in group)) for group in groups)


def build_small_plan(script: str = SCRIPT, markdown: str = MARKDOWN, muller: str = MULLER) -> Plan:
    """The plan as built, before it is sealed; the three customer ids can be swapped."""
    script_tenant = tenant_name(script)
    shared_tags = tuple(sorted(((MANAGED_TAG, MIGRATION), (GROUP_TAG, "tier:free"))))
    script_tags = tuple(sorted(((MANAGED_TAG, MIGRATION), (CUSTOMER_TAG, script))))
    canary = [
        step(
            CreateTenant(SHARED_TENANT, shared_tags),
            "canary",
            (muller,),
            "new tenant for tier free",
        ),
        step(
            AttachResource(SHARED_TENANT, MULLER_DOMAIN, "EMAIL_IDENTITY"),
            "canary",
            (muller,),
            f"email identity of {muller}",
        ),
        step(
            AttachResource(SHARED_TENANT, MULLER_SET, "CONFIGURATION_SET"),
            "canary",
            (muller,),
            f"configuration set of {muller}",
        ),
        step(
            SetReputationPolicy(SHARED_TENANT, "standard"),
            "canary",
            (muller,),
            "free tier uses the standard reputation policy",
        ),
    ]
    wave = [
        step(
            CreateTenant(script_tenant, script_tags, ("BOUNCE", "COMPLAINT"), "TENANT"),
            "wave-1",
            (script,),
            f"new tenant for customer {script}",
        ),
        step(
            AttachResource(SHARED_TENANT, MARKDOWN_ADDRESS, "EMAIL_IDENTITY"),
            "wave-1",
            (markdown,),
            f"email identity of {markdown}",
        ),
        step(
            AttachResource(SHARED_TENANT, MARKDOWN_SET, "CONFIGURATION_SET"),
            "wave-1",
            (markdown,),
            f"configuration set of {markdown}",
        ),
        step(
            AttachResource(script_tenant, SCRIPT_DOMAIN, "EMAIL_IDENTITY"),
            "wave-1",
            (script,),
            f"email identity of {script}",
        ),
        step(
            AttachResource(script_tenant, SCRIPT_SET, "CONFIGURATION_SET"),
            "wave-1",
            (script,),
            f"configuration set of {script}",
        ),
        step(
            AttachResource(script_tenant, SCRIPT_TEMPLATE, "EMAIL_TEMPLATE"),
            "wave-1",
            (script,),
            f"email template of {script}",
        ),
        step(
            SetReputationPolicy(script_tenant, "strict"),
            "wave-1",
            (script,),
            "pro tier uses the strict reputation policy",
        ),
    ]
    cleanup = [
        step(
            DetachResource(SHARED_TENANT, SCRIPT_DOMAIN, "EMAIL_IDENTITY"),
            "cleanup",
            (),
            "no longer belongs to this tenant (removed after senders switch)",
        ),
        step(
            DeleteTenant(ORPHAN_TENANT),
            "cleanup",
            (),
            "managed by this migration but no longer wanted",
        ),
    ]
    steps = tuple(sorted((*canary, *wave, *cleanup), key=lambda s: s.action.key))
    """In key order, as `diff` gives them; the report orders them by batch."""
    return Plan(
        tool_version="0.0.0-test",
        created_at="2026-01-01T00:00:00+00:00",
        account=ACCOUNT,
        region=REGION,
        fingerprint="sha256:" + "0123456789abcdef" * 4,
        spec=SPEC.to_dict(),
        cohorts=(
            Cohort("canary", (muller,), batches(canary[:1], canary[1:])),
            Cohort("wave-1", tuple(sorted((markdown, script))), batches(wave[:1], wave[1:])),
            Cohort("cleanup", (), batches(cleanup)),
        ),
        steps=steps,
        tenants=tuple(
            sorted(
                (
                    TenantView(
                        name=script_tenant,
                        kind="customer",
                        key=script,
                        customers=(script,),
                        tier="pro",
                        policy="strict",
                        resources=(SCRIPT_SET, SCRIPT_DOMAIN, SCRIPT_TEMPLATE),
                        cohort="wave-1",
                        suppression=Suppression(("BOUNCE", "COMPLAINT"), "TENANT"),
                    ),
                    TenantView(
                        name=SHARED_TENANT,
                        kind="tier",
                        key="tier:free",
                        customers=tuple(sorted((markdown, muller))),
                        tier="free",
                        policy="standard",
                        resources=(MARKDOWN_SET, MULLER_SET, MARKDOWN_ADDRESS, MULLER_DOMAIN),
                        cohort="canary",
                    ),
                ),
                key=lambda t: t.name,
            )
        ),
        customers=tuple(
            sorted(
                (
                    CustomerView(
                        script,
                        "pro",
                        script_tenant,
                        ("script.example",),
                        ("script-mail",),
                        ("welcome",),
                    ),
                    CustomerView(
                        markdown, "free", SHARED_TENANT, ("ops@bold.example",), ("bold-mail",), ()
                    ),
                    CustomerView(
                        muller, "free", SHARED_TENANT, ("mueller.example",), ("mueller-mail",), ()
                    ),
                ),
                key=lambda c: c.id,
            )
        ),
        unmanaged=(UNMANAGED_TENANT,),
        adopted=(),
        notices=(
            Notice(
                "blocker",
                "blocker",
                "identity ops@bold.example",
                "names configuration set 'gone-mail', which does not exist: sends through a "
                "tenant would fail until it is fixed",
                (markdown,),
            ),
            Notice(
                "warning",
                "unowned identity",
                f"identity {markdown}.example",
                "not migrated: it keeps sending without a tenant",
            ),
            Notice(
                "warning",
                "plan",
                "",
                f"identity shared.example is used by {markdown} and {script}: "
                "it stays out of the tenants",
            ),
            Notice(
                "warning",
                "plan",
                "",
                f"tenant {ORPHAN_TENANT} is managed by this migration but no longer wanted; "
                "it is deleted in cleanup",
            ),
            Notice(
                "note",
                "shared configuration-set",
                "configuration-set bold-mail",
                "shared by 2 customers: it is associated with each of their tenants, which "
                "share its settings",
                tuple(sorted((markdown, muller))),
            ),
        ),
        rates=ASSUMED,
    )


def sealed(plan: Plan) -> Plan:
    """`plan` written and read back: checksum set, as `sesmigrate show` reads it."""
    return read_plan(plan_to_json(plan), "small.plan.json")


def small_plan() -> Plan:
    """The fixed plan, sealed."""
    return sealed(build_small_plan())


def with_steps(plan: Plan, keep: list[Step] | tuple[Step, ...]) -> Plan:
    """`plan` with only the steps in `keep`; batches and cohorts left empty are dropped."""
    keys = {s.action.key for s in keep}
    cohorts = []
    for cohort in plan.cohorts:
        kept = tuple(
            b for b in (tuple(k for k in batch if k in keys) for batch in cohort.batches) if b
        )
        if kept or cohort.customers:
            cohorts.append(dataclasses.replace(cohort, batches=kept))
    return dataclasses.replace(
        plan,
        steps=tuple(keep),
        cohorts=tuple(cohorts),
        checksum="",
    )


def with_monitoring(plan: Plan, log_group: str = LOG_GROUP, rule_name: str | None = None) -> Plan:
    """`plan` whose spec asks for monitoring; its steps are left as they are."""
    monitoring = {"enabled": True, "log_group": log_group, "rule_name": rule_name}
    return dataclasses.replace(plan, spec={**plan.spec, "monitoring": monitoring})


@pytest.fixture(scope="session")
def plan() -> Plan:
    return small_plan()


@pytest.fixture(scope="session")
def monitored_plan(plan: Plan) -> Plan:
    """The fixed plan with monitoring asked for in its spec (default rule name)."""
    return with_monitoring(plan)


def check_golden(name: str, text: str) -> str:
    """The golden text `golden/name`; with SESMIGRATE_UPDATE_GOLDEN=1, `text` rewrites it first."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.is_file(), f"no golden file {path}: run with SESMIGRATE_UPDATE_GOLDEN=1"
    return path.read_bytes().decode("utf-8")


def with_gates(plan: Plan, **gates: object) -> Plan:
    """`plan` whose spec sets these `[gates]` keys; its steps are left as they are."""
    return dataclasses.replace(plan, spec={**plan.spec, "gates": gates})
