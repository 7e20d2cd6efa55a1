"""The operations beside tenants that a migration's users touch: options, destinations,
the suppression list per tenant, recommendations from findings, DKIM signing, rendering."""

from typing import Any

import pytest

from tests.conftest import Emulator

TENANT_ARN_PREFIX = "arn:aws:ses:us-east-1:123456789012:tenant/"


def test_sending_options_pause_and_resume_a_configuration_set(ses: Any) -> None:
    ses.create_configuration_set(ConfigurationSetName="cs")

    ses.put_configuration_set_sending_options(ConfigurationSetName="cs", SendingEnabled=False)
    paused = ses.get_configuration_set(ConfigurationSetName="cs")["SendingOptions"]
    ses.put_configuration_set_sending_options(ConfigurationSetName="cs", SendingEnabled=True)

    assert paused == {"SendingEnabled": False}
    assert ses.get_configuration_set(ConfigurationSetName="cs")["SendingOptions"] == {
        "SendingEnabled": True
    }


def test_tracking_options_and_update_configuration_set_show_in_get(ses: Any) -> None:
    ses.create_configuration_set(ConfigurationSetName="cs")

    ses.put_configuration_set_tracking_options(
        ConfigurationSetName="cs", CustomRedirectDomain="click.example.com"
    )
    ses.update_configuration_set(
        ConfigurationSetName="cs",
        MessageSecurityOptions={"SigningScheme": {"DefaultScheme": {}}},
    )
    got = ses.get_configuration_set(ConfigurationSetName="cs")

    assert got["TrackingOptions"]["CustomRedirectDomain"] == "click.example.com"


def test_event_destinations_are_created_listed_updated_and_deleted(ses: Any) -> None:
    ses.create_configuration_set(ConfigurationSetName="cs")
    definition = {
        "Enabled": True,
        "MatchingEventTypes": ["BOUNCE"],
        "EventBridgeDestination": {
            "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"
        },
    }

    ses.create_configuration_set_event_destination(
        ConfigurationSetName="cs", EventDestinationName="bus", EventDestination=definition
    )
    with pytest.raises(ses.exceptions.AlreadyExistsException):
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="cs", EventDestinationName="bus", EventDestination=definition
        )
    ses.update_configuration_set_event_destination(
        ConfigurationSetName="cs",
        EventDestinationName="bus",
        EventDestination={**definition, "MatchingEventTypes": ["BOUNCE", "COMPLAINT"]},
    )
    listed = ses.get_configuration_set_event_destinations(ConfigurationSetName="cs")
    ses.delete_configuration_set_event_destination(
        ConfigurationSetName="cs", EventDestinationName="bus"
    )

    assert [(d["Name"], d["MatchingEventTypes"]) for d in listed["EventDestinations"]] == [
        ("bus", ["BOUNCE", "COMPLAINT"])
    ]
    assert (
        ses.get_configuration_set_event_destinations(ConfigurationSetName="cs")["EventDestinations"]
        == []
    )


def test_suppressed_destinations_are_kept_per_tenant(ses: Any) -> None:
    ses.create_tenant(TenantName="acme")
    ses.put_suppressed_destination(EmailAddress="a@example.com", Reason="BOUNCE")
    ses.put_suppressed_destination(
        EmailAddress="b@example.com", Reason="COMPLAINT", TenantName="acme"
    )

    account = ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    tenant = ses.list_suppressed_destinations(TenantName="acme")["SuppressedDestinationSummaries"]
    got = ses.get_suppressed_destination(EmailAddress="b@example.com", TenantName="acme")
    with pytest.raises(ses.exceptions.NotFoundException):
        ses.get_suppressed_destination(EmailAddress="b@example.com")
    ses.delete_suppressed_destination(EmailAddress="b@example.com", TenantName="acme")

    assert [s["EmailAddress"] for s in account] == ["a@example.com"]
    assert [s["EmailAddress"] for s in tenant] == ["b@example.com"]
    assert got["SuppressedDestination"]["TenantName"] == "acme"
    assert (
        ses.list_suppressed_destinations(TenantName="acme")["SuppressedDestinationSummaries"] == []
    )


def test_suppression_with_an_unknown_tenant_is_not_found(ses: Any) -> None:
    with pytest.raises(ses.exceptions.NotFoundException):
        ses.put_suppressed_destination(
            EmailAddress="a@example.com", Reason="BOUNCE", TenantName="ghost"
        )


def test_list_recommendations_shows_a_tenants_open_findings(emulator: Emulator) -> None:
    ses = emulator.ses
    arn = ses.create_tenant(TenantName="acme")["TenantArn"]
    ses.create_tenant(TenantName="globex")
    emulator.control.raise_finding("acme", "LOW")

    found = ses.list_recommendations(Filter={"RESOURCE_ARN": arn})["Recommendations"]
    emulator.control.clear_findings("acme")

    assert [(r["ResourceArn"], r["Impact"], r["Status"]) for r in found] == [(arn, "LOW", "OPEN")]
    assert ses.list_recommendations(Filter={"RESOURCE_ARN": arn})["Recommendations"] == []


def test_external_dkim_signing_needs_a_key_and_aws_signing_gives_tokens(ses: Any) -> None:
    ses.create_email_identity(EmailIdentity="acme.example.com")

    with pytest.raises(ses.exceptions.BadRequestException):
        ses.put_email_identity_dkim_signing_attributes(
            EmailIdentity="acme.example.com", SigningAttributesOrigin="EXTERNAL"
        )
    answer = ses.put_email_identity_dkim_signing_attributes(
        EmailIdentity="acme.example.com", SigningAttributesOrigin="AWS_SES"
    )

    assert len(answer["DkimTokens"]) == 3


def test_render_email_template_substitutes_the_data(ses: Any) -> None:
    ses.create_email_template(
        TemplateName="welcome",
        TemplateContent={"Subject": "Hi {{name}}", "Text": "Hello {{name}}, from {{team}}"},
    )

    rendered = ses.test_render_email_template(
        TemplateName="welcome", TemplateData='{"name": "Ada", "team": "ops"}'
    )["RenderedTemplate"]

    assert "Subject: Hi Ada" in rendered
    assert "Hello Ada, from ops" in rendered
