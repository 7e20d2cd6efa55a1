"""The scanner against the emulator's realistic account, in-process and over HTTP."""

import json
import threading
from dataclasses import replace
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from sesmigrate.aws import scanner
from sesmigrate.aws.clients import AccountBinding, AwsSettings, Clients, make_clients
from sesmigrate.aws.ratelimit import RateLimiter
from sesmigrate.emulator.accounts import (
    HANDMADE_TENANT,
    SHARED_FREE_CONFIGURATION_SET,
    SHARED_FREE_POOL,
    AccountSpec,
    realistic_account,
)
from sesmigrate.emulator.control import TrafficSettings
from sesmigrate.planning.ownership import OwnershipRules, ownership
from sesmigrate.planning.snapshot import (
    UNSCANNED,
    EventRule,
    Inventory,
    LogGroup,
    LogsPolicy,
    Monitoring,
    RuleTarget,
    canonical_json,
    read_inventory,
)

ARN = "arn:aws:ses:us-east-1:123456789012"
BINDING = AccountBinding("123456789012", "us-east-1")


def load(emulator: Any, customers: int = 20, seed: int = 4) -> AccountSpec:
    """The realistic account, loaded into the emulator under test (either transport)."""
    emulator.control.load_realistic_account(customers, seed)
    return realistic_account(customers, seed)


def clients_for(emulator: Any) -> Clients:
    return Clients(ses=emulator.ses, sts=emulator.client("sts"), region="us-east-1")


def scan(emulator: Any, **kwargs: Any) -> Inventory:
    return scanner.scan(clients_for(emulator), BINDING, **kwargs)


class TestRealisticAccount:
    def test_scan_finds_every_resource_of_the_account(self, emulator: Any) -> None:
        account = load(emulator)

        found = scan(emulator)

        assert [i.name for i in found.identities] == sorted(i.name for i in account.identities)
        assert [c.name for c in found.configuration_sets] == sorted(
            c.name for c in account.configuration_sets
        )
        assert [p.name for p in found.pools] == sorted(p.name for p in account.pools)
        assert [t.name for t in found.templates] == sorted(t.name for t in account.templates)
        assert [t.name for t in found.tenants] == [HANDMADE_TENANT]
        assert found.notes == ()

    def test_scan_reads_tags_default_sets_pools_and_associations(self, emulator: Any) -> None:
        account = load(emulator)
        vip = next(c for c in account.customers if c.tier == "vip")

        found = scan(emulator)

        identity = next(i for i in found.identities if i.name == vip.identities[0])
        assert dict(identity.tags) == {"customer": vip.customer_id, "tier": "vip"}
        assert identity.configuration_set == vip.configuration_sets[0]
        config_set = next(
            c for c in found.configuration_sets if c.name == vip.configuration_sets[0]
        )
        assert config_set.sending_pool == vip.pools[0]
        (handmade,) = found.tenants
        assert handmade.migration is None
        assert {r.type for r in handmade.resources} == {"EMAIL_IDENTITY", "CONFIGURATION_SET"}
        assert handmade.reputation_policy == (
            "arn:aws:ses:us-east-1:aws:reputation-policy/standard"
        )
        assert handmade.customer_status == "ENABLED"
        assert found.account.account_id == "123456789012"
        assert found.account.max_send_rate == 14.0

    def test_scan_ownership_matches_the_generated_customers(self, emulator: Any) -> None:
        account = load(emulator)

        owners = ownership(scan(emulator), OwnershipRules())

        expected = {
            c.customer_id: (c.tier, c.identities, c.configuration_sets, c.templates, c.pools)
            for c in account.customers
        }
        assert {
            c.id: (c.tier, c.identities, c.configuration_sets, c.templates, c.pools)
            for c in owners.customers
        } == {k: (t, tuple(sorted(i)), s, tp, p) for k, (t, i, s, tp, p) in expected.items()}
        shared = {(s.kind, s.name) for s in owners.shared}
        assert shared == {
            ("configuration-set", SHARED_FREE_CONFIGURATION_SET),
            ("dedicated-ip-pool", SHARED_FREE_POOL),
        }
        unowned = {(u.kind, u.name) for u in owners.unowned}
        assert ("template", "password-reset") in unowned
        assert ("identity", "ops-alerts@example.org") in unowned

    def test_scan_walks_every_page_of_every_list(
        self, emulator: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        account = load(emulator, customers=12)
        monkeypatch.setattr(scanner, "PAGE_SIZES", dict.fromkeys(scanner.PAGE_SIZES, 2))

        found = scan(emulator, parallelism=3)

        assert len(found.identities) == len(account.identities)
        assert len(found.templates) == len(account.templates)
        assert len(found.tenants[0].resources) == 2


class TestFingerprint:
    def test_fingerprint_is_stable_across_two_scans_of_an_unchanged_account(
        self, emulator: Any
    ) -> None:
        load(emulator, customers=8)

        assert scan(emulator).fingerprint() == scan(emulator).fingerprint()

    @pytest.mark.parametrize("change", ["tag", "identity", "association"])
    def test_fingerprint_changes_when_the_account_changes(self, emulator: Any, change: str) -> None:
        account = load(emulator, customers=8)
        before = scan(emulator).fingerprint()
        ses = emulator.ses
        name = account.customers[1].identities[0]

        if change == "tag":
            ses.tag_resource(
                ResourceArn=f"{ARN}:identity/{name}", Tags=[{"Key": "tier", "Value": "vip"}]
            )
        elif change == "identity":
            ses.create_email_identity(EmailIdentity="newcomer.example.com")
        else:
            ses.create_tenant_resource_association(
                TenantName=HANDMADE_TENANT, ResourceArn=f"{ARN}:identity/{name}"
            )

        assert scan(emulator).fingerprint() != before


class TestResilience:
    def test_resource_deleted_between_list_and_read_is_skipped_with_a_note(
        self, emulator: Any
    ) -> None:
        for name in ("stays.example.com", "goes.example.com"):
            emulator.ses.create_email_identity(EmailIdentity=name)
        other = emulator.client("sesv2")

        def delete_first(params: dict[str, Any], **_: Any) -> None:
            if params.get("EmailIdentity") == "goes.example.com":
                other.delete_email_identity(EmailIdentity="goes.example.com")

        emulator.ses.meta.events.register(
            "before-parameter-build.sesv2.GetEmailIdentity", delete_first
        )

        found = scan(emulator)

        assert [i.name for i in found.identities] == ["stays.example.com"]
        assert found.notes == (
            "GetEmailIdentity goes.example.com: deleted between list and read; skipped",
        )

    def test_scan_completes_under_throttling_and_faults(self, emulator: Any) -> None:
        load(emulator, customers=10)
        expected = scan(emulator).fingerprint()
        limiter = RateLimiter()
        ses = limiter.attach(
            emulator.client("sesv2", retries={"mode": "standard", "total_max_attempts": 10})
        )
        emulator.control.set_traffic(
            TrafficSettings(
                op_rates=(("GetEmailIdentity", 5.0),), fault_rate=0.1, seed=5, tick_ms=100
            )
        )

        found = scanner.scan(
            Clients(ses=ses, sts=emulator.client("sts"), region="us-east-1"), BINDING
        )

        emulator.control.set_traffic(TrafficSettings())
        assert found.fingerprint() == expected
        assert limiter.throttles > 0

    def test_scan_account_over_http_binds_the_caller_account(self, server: Any) -> None:
        found = scanner.scan_account(
            AwsSettings(region="us-east-1", endpoint_url=server.url), rate=50.0
        )

        assert found.account.account_id == "123456789012"
        assert found.account.region == "us-east-1"


def test_scan_reports_progress_for_every_call(emulator: Any) -> None:
    load(emulator, customers=6)

    class Counting:
        expected = done = 0

        def expect(self, calls: int) -> None:
            self.expected += calls

        def advance(self, calls: int = 1) -> None:
            self.done += calls

    progress = Counting()
    scan(emulator, progress=progress)

    assert progress.done == progress.expected > 0


def test_make_clients_pool_fits_the_parallelism() -> None:
    clients = make_clients(AwsSettings(region="us-east-1", max_pool_connections=40))

    assert clients.ses.meta.config.max_pool_connections == 40


LOGS = "arn:aws:logs:us-east-1:123456789012:log-group"
EVENTS = "arn:aws:events:us-east-1:123456789012:rule"
SES_PATTERN = {"source": ["aws.ses"], "detail-type": ["Sending Status Disabled"]}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{LOGS}:/aws/ses/tenants:*",
        }
    ],
}


def monitored_clients(emulator: Any) -> Clients:
    return Clients(
        ses=emulator.ses,
        sts=emulator.client("sts"),
        region="us-east-1",
        events=emulator.client("events"),
        logs=emulator.client("logs"),
    )


def deny(operation: str) -> Any:
    """A before-call handler answering as AWS does to a caller without the permission."""

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("https://events.us-east-1.amazonaws.com/", 400, {}, None)
        error = {"Code": "AccessDeniedException", "Message": f"not allowed to {operation}"}
        return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    return handler


class TestMonitoring:
    @pytest.fixture
    def account(self, emulator: Any) -> Clients:
        """SES events routed to a log group under /aws/ses/ and to one outside it, next to
        things the scan has no business with: another app's rule, groups and policy."""
        clients = monitored_clients(emulator)
        logs, events = clients.logs, clients.events
        for group in (
            "/aws/ses/tenants",
            "/app/ses-archive",
            "/app/ses-archive-old",
            "/app/orders",
        ):
            logs.create_log_group(logGroupName=group)
        logs.put_resource_policy(policyName="ses-to-logs", policyDocument=json.dumps(POLICY))
        logs.put_resource_policy(policyName="route53", policyDocument='{"Statement": []}')
        events.put_rule(
            Name="ses-tenant-events",
            EventPattern=json.dumps(SES_PATTERN),
            Description="tenant events",
        )
        events.put_targets(
            Rule="ses-tenant-events",
            Targets=[
                {"Id": "tenants", "Arn": f"{LOGS}:/aws/ses/tenants"},
                {"Id": "archive", "Arn": f"{LOGS}:/app/ses-archive"},
            ],
        )
        events.put_rule(Name="orders", EventPattern='{"source": ["shop.orders"]}')
        events.put_targets(Rule="orders", Targets=[{"Id": "o", "Arn": f"{LOGS}:/app/orders"}])
        events.put_rule(Name="sesmigrate-old", EventPattern='{"source": ["aws.sns"]}')
        return clients

    def test_scan_records_ses_rules_their_targets_log_groups_and_policies(
        self, account: Clients
    ) -> None:
        found = scanner.scan(account, BINDING)

        assert found.monitoring == Monitoring(
            scanned=True,
            rules=(
                EventRule(
                    "ses-tenant-events",
                    f"{EVENTS}/ses-tenant-events",
                    canonical_json(
                        {
                            "Description": "tenant events",
                            "EventPattern": SES_PATTERN,
                            "State": "ENABLED",
                        }
                    ),
                    (
                        RuleTarget("archive", f"{LOGS}:/app/ses-archive"),
                        RuleTarget("tenants", f"{LOGS}:/aws/ses/tenants"),
                    ),
                ),
                EventRule(
                    "sesmigrate-old",
                    f"{EVENTS}/sesmigrate-old",
                    canonical_json({"EventPattern": {"source": ["aws.sns"]}, "State": "ENABLED"}),
                ),
            ),
            log_groups=(
                LogGroup("/app/ses-archive", f"{LOGS}:/app/ses-archive"),
                LogGroup("/aws/ses/tenants", f"{LOGS}:/aws/ses/tenants"),
            ),
            policies=(
                LogsPolicy("route53", canonical_json({"Statement": []})),
                LogsPolicy("ses-to-logs", canonical_json(POLICY)),
            ),
        )
        assert found.notes == ()

    def test_scan_records_a_log_group_it_is_asked_for_and_only_that_one(
        self, account: Clients
    ) -> None:
        found = scanner.scan(account, BINDING, log_groups=("/app/ses-archive-old", "/app/none"))

        assert found.monitoring.log_group("/app/ses-archive-old") is not None
        assert found.monitoring.log_group("/app/none") is None
        assert found.monitoring.log_group("/app/orders") is None

    def test_scan_ignores_a_rule_that_neither_matches_ses_nor_is_named_like_ours(
        self, account: Clients
    ) -> None:
        found = scanner.scan(account, BINDING)

        assert found.monitoring.rule("orders") is None
        assert found.monitoring.log_group("/app/orders") is None

    def test_scan_without_events_and_logs_clients_leaves_monitoring_unscanned(
        self, account: Clients
    ) -> None:
        found = scan_with(account, events=None, logs=None)

        assert found.monitoring == UNSCANNED
        assert found.monitoring.scanned is False

    def test_denied_event_rules_give_an_unscanned_monitoring_and_a_note(
        self, emulator: Any, account: Clients
    ) -> None:
        load(emulator, customers=4)
        complete = scanner.scan(account, BINDING)
        account.events.meta.events.register("before-call.eventbridge.ListRules", deny("ListRules"))

        found = scanner.scan(account, BINDING)

        assert found.monitoring == UNSCANNED
        assert found.notes == (
            "monitoring not scanned: ListRules was denied "
            "(planning monitoring then assumes none exists)",
        )
        assert (found.identities, found.tenants) == (complete.identities, complete.tenants)
        assert len(found.identities) > 0

    def test_other_errors_reading_monitoring_leave_it_unscanned_with_a_note(
        self, account: Clients
    ) -> None:
        def invalid(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            response = AWSResponse("https://logs.us-east-1.amazonaws.com/", 400, {}, None)
            error = {"Code": "ValidationException", "Message": "bad request"}
            return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

        account.logs.meta.events.register(
            "before-call.cloudwatch-logs.DescribeResourcePolicies", invalid
        )

        found = scanner.scan(account, BINDING)

        assert found.monitoring == UNSCANNED
        assert found.notes == (
            "monitoring not scanned: DescribeResourcePolicies was refused (ValidationException) "
            "(planning monitoring then assumes none exists)",
        )

    def test_an_events_endpoint_that_does_not_answer_leaves_monitoring_unscanned(
        self, account: Clients
    ) -> None:
        def unreachable(**_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://events.example.invalid")

        account.events.meta.events.register("before-call.eventbridge.ListRules", unreachable)

        found = scanner.scan(account, BINDING)

        assert found.monitoring == UNSCANNED
        assert found.notes == (
            "monitoring not scanned: EventBridge or CloudWatch Logs did not answer "
            "(EndpointConnectionError) (planning monitoring then assumes none exists)",
        )

    def test_monitoring_round_trips_through_the_inventory_file(self, account: Clients) -> None:
        found = scanner.scan(account, BINDING)

        read = read_inventory(found.to_json("test"), "inventory.json")

        assert read.monitoring == found.monitoring
        assert read.fingerprint() == found.fingerprint()

    def test_fingerprint_changes_when_a_target_changes(self, account: Clients) -> None:
        before = scanner.scan(account, BINDING).fingerprint()

        account.events.remove_targets(Rule="ses-tenant-events", Ids=["archive"])

        assert scanner.scan(account, BINDING).fingerprint() != before


def scan_with(clients: Clients, **changes: Any) -> Inventory:
    return scanner.scan(replace(clients, **changes), BINDING)


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ({"source": ["aws.ses"]}, True),
        ({"source": "aws.ses"}, True),
        ({"detail-type": ["Sending Status Disabled"]}, True),
        ({"source": [{"prefix": "aws."}]}, True),
        ({"source": [{"prefix": "aws.sq"}]}, False),
        ({"source": ["aws.ec2", "aws.sns"]}, False),
        ("not json", False),
    ],
    ids=["listed", "bare", "no-source", "prefix", "other-prefix", "others", "malformed"],
)
def test_a_pattern_matches_ses_events_when_its_source_can_be_aws_ses(
    pattern: Any, matches: bool
) -> None:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)

    assert scanner._matches_ses(text) is matches


def test_scan_reads_configuration_sets_while_identity_reads_wait(emulator: Any) -> None:
    """With one worker per operation, identity reads held until a configuration set has been
    read can only finish if each operation has workers of its own (SES limits each apart)."""
    load(emulator, customers=4)
    ses = emulator.client("sesv2")
    set_read = threading.Event()
    waited: list[bool] = []

    def hold_identity(**_: Any) -> None:
        # one wait that times out fails the test: the others need not wait as long
        waited.append(set_read.wait(timeout=30 if all(waited) else 0))

    ses.meta.events.register("before-call.sesv2.GetEmailIdentity", hold_identity)
    ses.meta.events.register("after-call.sesv2.GetConfigurationSet", lambda **_: set_read.set())
    clients = Clients(ses=ses, sts=emulator.client("sts"), region="us-east-1")

    found = scanner.scan(clients, BINDING, parallelism=1)

    assert waited and all(waited)
    assert len(found.identities) == len(waited)
