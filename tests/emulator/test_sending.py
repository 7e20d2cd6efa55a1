"""Send-time rules: a send naming a tenant needs every resource it uses associated with it."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sesmigrate.emulator.control import TrafficSettings

ARN = "arn:aws:ses:us-east-1:123456789012"
SIMPLE = {"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}}}


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


@pytest.fixture
def account(emulator: Any) -> Any:
    """acme.example.com with default set acme-tx, a template, and a tenant with nothing in it."""
    ses = emulator.ses
    ses.create_configuration_set(ConfigurationSetName="acme-tx")
    ses.create_configuration_set(ConfigurationSetName="other")
    ses.create_email_identity(EmailIdentity="acme.example.com", ConfigurationSetName="acme-tx")
    ses.create_email_template(TemplateName="welcome", TemplateContent={"Subject": "Hi"})
    ses.create_tenant(TenantName="acme")
    return emulator


def associate(ses: Any, *resources: str) -> None:
    for resource in resources:
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=f"{ARN}:{resource}")


def send(ses: Any, **kwargs: Any) -> str:
    request = {
        "FromEmailAddress": "news@acme.example.com",
        "Destination": {"ToAddresses": ["success@simulator.amazonses.com"]},
        "Content": SIMPLE,
    }
    return ses.send_email(**{**request, **kwargs})["MessageId"]


def test_send_without_tenant_works_as_before(account: Any) -> None:
    message_id = send(account.ses)

    sent = account.control.sent_messages()
    assert [(m.message_id, m.tenant, m.configuration_set) for m in sent] == [
        (message_id, None, "acme-tx")
    ]


def test_send_with_tenant_succeeds_when_identity_and_default_set_are_associated(
    account: Any,
) -> None:
    associate(account.ses, "identity/acme.example.com", "configuration-set/acme-tx")

    send(account.ses, TenantName="acme")

    assert [(m.tenant, m.identity) for m in account.control.sent_messages()] == [
        ("acme", "acme.example.com")
    ]


def test_send_with_tenant_is_rejected_when_identity_is_not_associated(account: Any) -> None:
    associate(account.ses, "configuration-set/acme-tx")

    with pytest.raises(account.ses.exceptions.MessageRejected) as exc:
        send(account.ses, TenantName="acme")

    assert "identity acme.example.com" in str(exc.value)
    assert account.control.sent_messages() == []


def test_send_with_tenant_is_rejected_when_named_set_is_not_associated(account: Any) -> None:
    associate(account.ses, "identity/acme.example.com", "configuration-set/acme-tx")

    with pytest.raises(account.ses.exceptions.MessageRejected) as exc:
        send(account.ses, TenantName="acme", ConfigurationSetName="other")

    assert "configuration set other" in str(exc.value)


def test_send_with_tenant_needs_the_template_associated(account: Any) -> None:
    associate(account.ses, "identity/acme.example.com", "configuration-set/acme-tx")
    template = {"Template": {"TemplateName": "welcome", "TemplateData": "{}"}}

    with pytest.raises(account.ses.exceptions.MessageRejected):
        send(account.ses, TenantName="acme", Content=template)
    associate(account.ses, "template/welcome")
    send(account.ses, TenantName="acme", Content=template)
    send(
        account.ses,
        TenantName="acme",
        Content={"Template": {"TemplateArn": f"{ARN}:template/welcome", "TemplateData": "{}"}},
    )

    assert [m.template for m in account.control.sent_messages()] == ["welcome", "welcome"]


def test_send_with_unknown_tenant_is_not_found(account: Any) -> None:
    with pytest.raises(account.ses.exceptions.NotFoundException):
        send(account.ses, TenantName="ghost")


def test_send_with_paused_tenant_is_refused_until_reinstated(account: Any) -> None:
    ses = account.ses
    associate(ses, "identity/acme.example.com", "configuration-set/acme-tx")
    account.control.raise_finding("acme", "HIGH")

    with pytest.raises(ses.exceptions.SendingPausedException):
        send(ses, TenantName="acme")
    tenant_arn = ses.get_tenant(TenantName="acme")["Tenant"]["TenantArn"]
    ses.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE",
        ReputationEntityReference=tenant_arn,
        SendingStatus="REINSTATED",
    )
    send(ses, TenantName="acme")

    assert len(account.control.sent_messages()) == 1


def test_send_with_tenant_disabled_by_aws_is_refused(account: Any) -> None:
    associate(account.ses, "identity/acme.example.com", "configuration-set/acme-tx")
    account.control.set_aws_managed_status("acme", "DISABLED", "abuse review")

    with pytest.raises(account.ses.exceptions.SendingPausedException):
        send(account.ses, TenantName="acme")


def test_send_with_tenant_and_no_configuration_set_is_bad_request(account: Any) -> None:
    ses = account.ses
    ses.create_email_identity(EmailIdentity="bare.example.com")
    ses.create_tenant_resource_association(
        TenantName="acme", ResourceArn=f"{ARN}:identity/bare.example.com"
    )

    with pytest.raises(ClientError) as exc:
        send(ses, TenantName="acme", FromEmailAddress="x@bare.example.com")

    assert error_code(exc) == "BadRequestException"


def test_send_from_unverified_address_is_rejected(account: Any) -> None:
    with pytest.raises(account.ses.exceptions.MessageRejected) as exc:
        send(account.ses, FromEmailAddress="someone@unknown.example.org")

    assert "not verified" in str(exc.value)


def test_send_through_paused_configuration_set_is_refused(account: Any) -> None:
    account.ses.create_configuration_set(
        ConfigurationSetName="paused", SendingOptions={"SendingEnabled": False}
    )

    with pytest.raises(account.ses.exceptions.SendingPausedException):
        send(account.ses, ConfigurationSetName="paused")


def test_send_bulk_email_checks_the_tenant_once_for_all_entries(account: Any) -> None:
    ses = account.ses
    entries = [
        {"Destination": {"ToAddresses": [f"user{i}@simulator.amazonses.com"]}} for i in range(3)
    ]
    bulk = {
        "FromEmailAddress": "news@acme.example.com",
        "DefaultContent": {"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
        "BulkEmailEntries": entries,
        "TenantName": "acme",
    }
    associate(ses, "identity/acme.example.com", "configuration-set/acme-tx")

    with pytest.raises(ses.exceptions.MessageRejected):
        ses.send_bulk_email(**bulk)
    associate(ses, "template/welcome")
    results = ses.send_bulk_email(**bulk)["BulkEmailEntryResults"]

    assert [r["Status"] for r in results] == ["SUCCESS"] * 3
    assert [m.recipients for m in account.control.sent_messages()] == [
        (f"user{i}@simulator.amazonses.com",) for i in range(3)
    ]


def bulk(ses: Any, *entries: list[str]) -> list[dict[str, Any]]:
    return ses.send_bulk_email(
        FromEmailAddress="news@acme.example.com",
        DefaultContent={"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
        BulkEmailEntries=[{"Destination": {"ToAddresses": to}} for to in entries],
    )["BulkEmailEntryResults"]


def test_bulk_send_answers_per_entry_and_a_bad_entry_fails_only_itself(account: Any) -> None:
    too_many = [f"r{n}@example.com" for n in range(51)]

    results = bulk(account.ses, ["a@example.com"], too_many, ["b@example.com"])

    assert [r["Status"] for r in results] == ["SUCCESS", "MESSAGE_REJECTED", "SUCCESS"]
    assert "MessageId" not in results[1] and results[1]["Error"]
    assert [m.recipients for m in account.control.sent_messages()] == [
        ("a@example.com",),
        ("b@example.com",),
    ]


def test_raw_send_without_destination_takes_recipients_from_the_headers(account: Any) -> None:
    raw = (
        b"From: News <news@acme.example.com>\r\nTo: a@example.com, B <b@example.com>\r\n"
        b"Cc: c@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"
    )

    account.ses.send_email(Content={"Raw": {"Data": raw}})

    (message,) = account.control.sent_messages()
    assert message.recipients == ("a@example.com", "b@example.com", "c@example.com")
    assert message.identity == "acme.example.com"


def test_sending_quota_counts_recipients_across_v1_and_v2(account: Any) -> None:
    send(
        account.ses,
        Destination={"ToAddresses": ["a@example.com"], "CcAddresses": ["b@example.com"]},
    )
    account.client("ses").send_email(
        Source="news@acme.example.com",
        Destination={"ToAddresses": ["c@example.com"]},
        Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
    )

    v2 = account.ses.get_account()["SendQuota"]["SentLast24Hours"]
    v1 = account.client("ses").get_send_quota()["SentLast24Hours"]

    assert (v2, v1) == (3.0, 3.0)


def test_every_answer_carries_a_request_id_and_json_throttles_included(account: Any) -> None:
    ses = account.client("sesv2", retries={"total_max_attempts": 1})
    ok = ses.list_tenants()["ResponseMetadata"]
    account.control.set_traffic(TrafficSettings(op_rates=(("ListTenants", 0.001),), tick_ms=0.0))
    ses.list_tenants()
    with pytest.raises(ClientError) as throttled:
        ses.list_tenants()
    account.control.set_traffic(TrafficSettings())

    metadata = throttled.value.response["ResponseMetadata"]
    assert ok["RequestId"] and ok["HTTPHeaders"]["content-type"].startswith("application/json")
    assert metadata["HTTPStatusCode"] == 429 and metadata["RequestId"]
