"""moto's identity, configuration set, pool and tag faults (ses-tenants.md §7), corrected."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:ses:us-east-1:123456789012"


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


class TestIdentities:
    def test_identity_tags_live_under_the_identity_arn(self, ses: Any) -> None:
        ses.create_email_identity(
            EmailIdentity="acme.example.com", Tags=[{"Key": "customer", "Value": "acme"}]
        )

        tags = ses.list_tags_for_resource(ResourceArn=f"{ARN}:identity/acme.example.com")["Tags"]

        assert tags == [{"Key": "customer", "Value": "acme"}]

    def test_get_email_identity_shows_tags_added_later(self, ses: Any) -> None:
        ses.create_email_identity(EmailIdentity="acme.example.com")

        ses.tag_resource(
            ResourceArn=f"{ARN}:identity/acme.example.com", Tags=[{"Key": "tier", "Value": "pro"}]
        )

        got = ses.get_email_identity(EmailIdentity="acme.example.com")
        assert got["Tags"] == [{"Key": "tier", "Value": "pro"}]
        assert got["VerifiedForSendingStatus"] is True

    def test_duplicate_identity_is_refused_and_keeps_the_original(self, ses: Any) -> None:
        ses.create_configuration_set(ConfigurationSetName="acme-tx")
        ses.create_email_identity(
            EmailIdentity="acme.example.com",
            ConfigurationSetName="acme-tx",
            Tags=[{"Key": "customer", "Value": "acme"}],
        )

        with pytest.raises(ses.exceptions.AlreadyExistsException):
            ses.create_email_identity(EmailIdentity="acme.example.com")

        got = ses.get_email_identity(EmailIdentity="acme.example.com")
        assert got["ConfigurationSetName"] == "acme-tx"
        assert got["Tags"] == [{"Key": "customer", "Value": "acme"}]

    def test_identity_with_missing_configuration_set_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.create_email_identity(EmailIdentity="a.example.com", ConfigurationSetName="ghost")

    def test_missing_configuration_set_is_named_in_angle_brackets(self, ses: Any) -> None:
        """SES's wording, which moto's own tests check (tests/peer)."""
        with pytest.raises(ses.exceptions.NotFoundException) as caught:
            ses.get_configuration_set(ConfigurationSetName="ghost")

        assert caught.value.response["Error"]["Message"] == (
            "Configuration set <ghost> does not exist."
        )

    def test_delete_missing_identity_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_email_identity(EmailIdentity="ghost.example.com")

    def test_identity_default_configuration_set_can_be_changed_and_cleared(self, ses: Any) -> None:
        ses.create_configuration_set(ConfigurationSetName="acme-tx")
        ses.create_email_identity(EmailIdentity="acme.example.com")

        ses.put_email_identity_configuration_set_attributes(
            EmailIdentity="acme.example.com", ConfigurationSetName="acme-tx"
        )
        assert ses.get_email_identity(EmailIdentity="acme.example.com")["ConfigurationSetName"] == (
            "acme-tx"
        )
        ses.put_email_identity_configuration_set_attributes(EmailIdentity="acme.example.com")
        assert "ConfigurationSetName" not in ses.get_email_identity(
            EmailIdentity="acme.example.com"
        )

    def test_identity_whose_configuration_set_was_deleted_keeps_the_dangling_name(
        self, ses: Any
    ) -> None:
        ses.create_configuration_set(ConfigurationSetName="gone")
        ses.create_email_identity(EmailIdentity="acme.example.com", ConfigurationSetName="gone")

        ses.delete_configuration_set(ConfigurationSetName="gone")

        got = ses.get_email_identity(EmailIdentity="acme.example.com")
        assert got["ConfigurationSetName"] == "gone"


class TestConfigurationSets:
    def test_configuration_set_keeps_sending_enabled_pool_and_later_tags(self, ses: Any) -> None:
        ses.create_dedicated_ip_pool(PoolName="vip")
        ses.create_configuration_set(
            ConfigurationSetName="acme-vip",
            DeliveryOptions={"SendingPoolName": "vip"},
            SendingOptions={"SendingEnabled": True},
            Tags=[{"Key": "customer", "Value": "acme"}],
        )
        ses.tag_resource(
            ResourceArn=f"{ARN}:configuration-set/acme-vip", Tags=[{"Key": "tier", "Value": "vip"}]
        )

        got = ses.get_configuration_set(ConfigurationSetName="acme-vip")

        assert got["SendingOptions"] == {"SendingEnabled": True}
        assert got["DeliveryOptions"]["SendingPoolName"] == "vip"
        assert sorted((t["Key"], t["Value"]) for t in got["Tags"]) == [
            ("customer", "acme"),
            ("tier", "vip"),
        ]

    def test_paused_configuration_set_reports_sending_disabled(self, ses: Any) -> None:
        ses.create_configuration_set(
            ConfigurationSetName="paused", SendingOptions={"SendingEnabled": False}
        )

        got = ses.get_configuration_set(ConfigurationSetName="paused")

        assert got["SendingOptions"] == {"SendingEnabled": False}

    def test_duplicate_configuration_set_is_already_exists(self, ses: Any) -> None:
        ses.create_configuration_set(ConfigurationSetName="cs")

        with pytest.raises(ClientError) as exc:
            ses.create_configuration_set(ConfigurationSetName="cs")

        assert error_code(exc) == "AlreadyExistsException"

    def test_configuration_set_on_missing_pool_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.create_configuration_set(
                ConfigurationSetName="cs", DeliveryOptions={"SendingPoolName": "ghost"}
            )

    def test_delete_missing_configuration_set_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_configuration_set(ConfigurationSetName="ghost")

    def test_delivery_options_move_a_configuration_set_to_another_pool(self, ses: Any) -> None:
        for pool in ("old", "new"):
            ses.create_dedicated_ip_pool(PoolName=pool)
        ses.create_configuration_set(
            ConfigurationSetName="cs", DeliveryOptions={"SendingPoolName": "old"}
        )

        ses.put_configuration_set_delivery_options(ConfigurationSetName="cs", SendingPoolName="new")

        got = ses.get_configuration_set(ConfigurationSetName="cs")
        assert got["DeliveryOptions"] == {"SendingPoolName": "new"}


class TestPools:
    def test_pool_without_scaling_mode_reports_standard(self, ses: Any) -> None:
        ses.create_dedicated_ip_pool(PoolName="p")

        assert ses.get_dedicated_ip_pool(PoolName="p")["DedicatedIpPool"] == {
            "PoolName": "p",
            "ScalingMode": "STANDARD",
        }

    def test_duplicate_pool_is_already_exists(self, ses: Any) -> None:
        ses.create_dedicated_ip_pool(PoolName="p", ScalingMode="MANAGED")

        with pytest.raises(ses.exceptions.AlreadyExistsException):
            ses.create_dedicated_ip_pool(PoolName="p")

        assert (
            ses.get_dedicated_ip_pool(PoolName="p")["DedicatedIpPool"]["ScalingMode"] == "MANAGED"
        )

    def test_delete_missing_pool_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_dedicated_ip_pool(PoolName="ghost")


class TestTags:
    @pytest.mark.parametrize(
        "arn",
        [
            f"{ARN}:identity/ghost.example.com",
            f"{ARN}:tenant/ghost/tn-0123",
            f"{ARN}:configuration-set/ghost",
            "arn:aws:ses:eu-west-1:123456789012:identity/acme.example.com",
        ],
    )
    def test_tag_operations_on_unknown_arn_are_not_found(self, ses: Any, arn: str) -> None:
        ses.create_email_identity(EmailIdentity="acme.example.com")

        with pytest.raises(ses.exceptions.NotFoundException):
            ses.list_tags_for_resource(ResourceArn=arn)
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])

    def test_more_than_fifty_tags_are_refused(self, ses: Any) -> None:
        ses.create_email_identity(EmailIdentity="acme.example.com")
        arn = f"{ARN}:identity/acme.example.com"

        with pytest.raises(ClientError) as exc:
            ses.tag_resource(
                ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]
            )

        assert error_code(exc) == "BadRequestException"
        assert ses.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
