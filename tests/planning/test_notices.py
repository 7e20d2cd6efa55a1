"""The plan's notices: every ownership finding with its consequence, most serious first, and
none that contradicts what the plan does."""

from sesmigrate.planning.notices import Notice, plan_notices, unverified_notices, volume_notices
from sesmigrate.planning.ownership import (
    UNOWNED_TEMPLATE,
    Customer,
    Finding,
    Ownership,
    SharedResource,
    UnownedResource,
)
from sesmigrate.planning.spec import GateSpec, MigrationSpec

ACME = Customer("acme", "pro", ("acme.example",), ("acme-mail",), ("acme-welcome",), ())
BETA = Customer("beta", "free", ("beta.example",), ("shared-mail",), (), ())
OWNERS = Ownership(
    customers=(ACME, BETA),
    shared=(SharedResource("configuration-set", "shared-mail", ("acme", "beta")),),
    unowned=(
        UnownedResource(
            "identity", "ops@example.org", "not migrated: it keeps sending without a tenant"
        ),
        UnownedResource("template", "invoice", UNOWNED_TEMPLATE),
    ),
    conflicts=(Finding("customer", "acme", "resources are in tiers pro, free; using 'pro'"),),
    blockers=(Finding("identity", "beta.example", "names configuration set 'gone'"),),
    warnings=(Finding("identity", "acme.example", "is not verified for sending (PENDING)"),),
)
SPEC = MigrationSpec(name="m")


def by_subject(notices: tuple[Notice, ...]) -> dict[str, Notice]:
    return {n.subject: n for n in notices}


class TestPlanNotices:
    def test_plan_notices_list_blockers_then_warnings_then_notes(self) -> None:
        notices = plan_notices(OWNERS, ("tenant x has no identity",), SPEC)

        assert [n.severity for n in notices] == [
            "blocker",
            "warning",
            "warning",
            "warning",
            "warning",
            "warning",
            "note",
        ]
        assert notices[0] == Notice(
            "blocker",
            "blocker",
            "identity beta.example",
            "names configuration set 'gone'",
            ("beta",),
        )

    def test_plan_notices_name_the_customers_each_finding_concerns(self) -> None:
        notices = by_subject(plan_notices(OWNERS, (), SPEC))

        assert notices["configuration-set shared-mail"].customers == ("acme", "beta")
        assert notices["customer acme"].customers == ("acme",)
        assert notices["identity acme.example"].customers == ("acme",)
        assert notices["identity ops@example.org"].customers == ()

    def test_plan_notices_say_a_shared_resource_is_associated_with_each_tenant(self) -> None:
        shared = by_subject(plan_notices(OWNERS, (), SPEC))["configuration-set shared-mail"]

        assert (shared.severity, shared.kind) == ("note", "shared configuration-set")
        assert shared.message == (
            "shared by 2 customers: it is associated with each of their tenants, which share "
            "its settings"
        )

    def test_plan_notices_keep_the_strategy_and_diff_warnings_as_plan_warnings(self) -> None:
        notices = plan_notices(OWNERS, ("tenant x has no identity",), SPEC)

        assert Notice("warning", "plan", "", "tenant x has no identity") in notices

    def test_unowned_template_is_a_note_that_it_is_associated_under_associate_all(self) -> None:
        spec = MigrationSpec(name="m", unowned_templates="associate-all")

        template = by_subject(plan_notices(OWNERS, (), spec))["template invoice"]

        assert template.severity == "note"
        assert "rejected" not in template.message
        assert "associates it with every tenant" in template.message

    def test_unowned_template_warns_of_rejection_and_names_the_fix_when_left(self) -> None:
        template = by_subject(plan_notices(OWNERS, (), SPEC))["template invoice"]

        assert template.severity == "warning"
        assert "rejected unless it is associated" in template.message
        assert 'unowned_templates = "associate-all" would associate it' in template.message

    def test_notice_text_is_subject_and_message(self) -> None:
        assert Notice("note", "plan", "", "m").text == "m"
        assert Notice("note", "k", "identity a", "m").text == "identity a: m"


STATUS = {"a.example": "PENDING", "b.example": "FAILED", "c.example": "SUCCESS"}


class TestUnverifiedNotices:
    def test_a_tenant_whose_identities_are_all_unverified_is_warned_about(self) -> None:
        [notice] = unverified_notices([("acme", ("acme",), ("a.example", "b.example"))], STATUS)

        assert (notice.severity, notice.subject, notice.customers) == (
            "warning",
            "tenant acme",
            ("acme",),
        )
        assert "none of its 2 identities is verified (a.example (PENDING), b.example (FAILED))" in (
            notice.message
        )
        assert "SES refuses the tenant's sends" in notice.message

    def test_one_verified_identity_or_none_at_all_needs_no_warning(self) -> None:
        tenants = [("acme", ("acme",), ("a.example", "c.example")), ("tier-x", ("b",), ())]

        assert unverified_notices(tenants, STATUS) == ()


def test_a_cohort_whose_share_of_the_accounts_volume_is_below_min_sends_is_warned_about() -> None:
    gates = GateSpec(metrics=True, min_sends=200, window_seconds=3600)
    judged = [("canary", ("a", "b")), ("wave-1", tuple(f"c{n}" for n in range(60)))]

    # 48,000 a day over 100 customers: 20 a customer an hour
    found = volume_notices(judged, 100, 48_000.0, gates)

    assert [n.subject for n in found] == ["cohort canary"]
    assert found[0].customers == ("a", "b")
    assert "its 2 customer(s) send about 40 in the gate's 3600s window, below min_sends 200" in (
        found[0].message
    )


def test_no_volume_warning_without_metric_conditions_or_a_known_volume() -> None:
    judged = [("canary", ("a",))]

    assert volume_notices(judged, 10, 0.0, GateSpec(metrics=False)) == ()
    assert volume_notices(judged, 10, None, GateSpec(metrics=True)) == ()


def test_an_account_that_sent_nothing_gets_one_volume_warning_for_all_cohorts() -> None:
    judged = [("canary", ("a",)), ("wave-1", ("b", "c"))]

    (found,) = volume_notices(judged, 10, 0.0, GateSpec(metrics=True, min_sends=50))

    assert (found.kind, found.subject, found.customers) == ("low volume", "", ())
    assert found.message.startswith("the account sent nothing in the 24 hours before the scan")
    assert "send min_sends 50 within window_seconds 3600" in found.message
