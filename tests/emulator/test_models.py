"""Tenant, association, reputation, template and account operations, through boto3."""

import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

ARN = "arn:aws:ses:us-east-1:123456789012"
POLICY = "arn:aws:ses:us-east-1:aws:reputation-policy"


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def make_identity(ses: Any, name: str = "acme.example.com", config_set: str | None = None) -> str:
    ses.create_email_identity(
        EmailIdentity=name, **({"ConfigurationSetName": config_set} if config_set else {})
    )
    return f"{ARN}:identity/{name}"


class TestTenants:
    def test_create_tenant_returns_id_arn_tags_and_enabled_status(self, ses: Any) -> None:
        made = ses.create_tenant(
            TenantName="acme_1-io",
            Tags=[{"Key": "customer", "Value": "acme.io"}],
            SuppressionAttributes={"SuppressedReasons": ["BOUNCE"], "SuppressionScope": "TENANT"},
        )

        assert re.fullmatch(r"tn-[0-9a-f]{32}", made["TenantId"])
        assert made["TenantArn"] == f"{ARN}:tenant/acme_1-io/{made['TenantId']}"
        assert made["SendingStatus"] == "ENABLED"
        assert made["Tags"] == [{"Key": "customer", "Value": "acme.io"}]
        assert made["SuppressionAttributes"] == {
            "SuppressedReasons": ["BOUNCE"],
            "SuppressionScope": "TENANT",
        }
        got = ses.get_tenant(TenantName="acme_1-io")["Tenant"]
        assert got["TenantId"] == made["TenantId"]
        assert got["Tags"] == made["Tags"]

    @pytest.mark.parametrize("name", ["acme.io", "with space", "x" * 65, "Müller", "a/b"])
    def test_create_tenant_rejects_invalid_name_with_bad_request(self, ses: Any, name: str) -> None:
        with pytest.raises(ClientError) as exc:
            ses.create_tenant(TenantName=name)

        assert error_code(exc) == "BadRequestException"
        assert ses.list_tenants()["Tenants"] == []

    def test_create_tenant_refuses_duplicate_name(self, ses: Any) -> None:
        ses.create_tenant(TenantName="acme")

        with pytest.raises(ses.exceptions.AlreadyExistsException):
            ses.create_tenant(TenantName="acme")

    def test_create_tenant_answers_limit_exceeded_at_the_quota(self, emulator: Any) -> None:
        emulator.control.set_tenant_quota(2)
        ses = emulator.client("sesv2", retries={"total_max_attempts": 1})
        ses.create_tenant(TenantName="one")
        ses.create_tenant(TenantName="two")

        with pytest.raises(ClientError) as exc:
            ses.create_tenant(TenantName="three")

        assert error_code(exc) == "LimitExceededException"
        assert "2" in exc.value.response["Error"]["Message"]

    def test_get_tenant_of_missing_name_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.get_tenant(TenantName="nobody")

    def test_list_tenants_pages_with_next_token_in_name_order(self, ses: Any) -> None:
        names = [f"t{i:02d}" for i in range(7)]
        for name in reversed(names):
            ses.create_tenant(TenantName=name)

        seen, token, pages = [], None, 0
        while True:
            kwargs = {"PageSize": 3, **({"NextToken": token} if token else {})}
            answer = ses.list_tenants(**kwargs)
            seen += [tenant["TenantName"] for tenant in answer["Tenants"]]
            pages += 1
            token = answer.get("NextToken")
            if not token:
                break

        assert seen == names
        assert pages == 3

    def test_list_tenants_paginator_sees_tenants_created_between_pages_once(self, ses: Any) -> None:
        for name in ("a", "c", "e"):
            ses.create_tenant(TenantName=name)
        first = ses.list_tenants(PageSize=2)
        ses.create_tenant(TenantName="b")
        ses.create_tenant(TenantName="f")

        rest = ses.list_tenants(PageSize=10, NextToken=first["NextToken"])

        assert [t["TenantName"] for t in first["Tenants"]] == ["a", "c"]
        assert [t["TenantName"] for t in rest["Tenants"]] == ["e", "f"]

    def test_list_tenants_filters_by_name_and_status(self, emulator: Any) -> None:
        ses = emulator.ses
        for name in ("acme", "acme-eu", "globex"):
            ses.create_tenant(TenantName=name)
        emulator.control.set_aws_managed_status("acme-eu", "DISABLED", "review")

        by_name = ses.list_tenants(Filter={"TENANT_NAME_CONTAINS": "acme"})["Tenants"]
        disabled = ses.list_tenants(Filter={"SENDING_STATUS": "DISABLED"})["Tenants"]

        assert [t["TenantName"] for t in by_name] == ["acme", "acme-eu"]
        assert [(t["TenantName"], t["SendingStatus"]) for t in disabled] == [
            ("acme-eu", "DISABLED")
        ]

    @pytest.mark.parametrize("kwargs", [{"PageSize": 0}, {"PageSize": 101}, {"NextToken": "junk"}])
    def test_list_tenants_rejects_bad_page_size_and_token(self, ses: Any, kwargs: dict) -> None:
        with pytest.raises(ClientError) as exc:
            ses.list_tenants(**kwargs)

        assert error_code(exc) == "BadRequestException"

    def test_list_tenants_paginator_of_boto3_walks_every_page(self, ses: Any) -> None:
        for i in range(5):
            ses.create_tenant(TenantName=f"p{i}")

        pages = ses.get_paginator("list_tenants").paginate(PaginationConfig={"PageSize": 2})

        assert [t["TenantName"] for p in pages for t in p["Tenants"]] == [f"p{i}" for i in range(5)]

    def test_delete_tenant_removes_associations_but_keeps_resources(self, ses: Any) -> None:
        identity = make_identity(ses)
        ses.create_tenant(TenantName="acme")
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)

        ses.delete_tenant(TenantName="acme")

        assert ses.list_resource_tenants(ResourceArn=identity)["ResourceTenants"] == []
        assert ses.get_email_identity(EmailIdentity="acme.example.com")["IdentityType"] == "DOMAIN"
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_tenant(TenantName="acme")

    def test_put_tenant_suppression_attributes_replaces_them(self, ses: Any) -> None:
        ses.create_tenant(TenantName="acme")

        ses.put_tenant_suppression_attributes(
            TenantName="acme", SuppressedReasons=["BOUNCE", "COMPLAINT"], SuppressionScope="TENANT"
        )

        attributes = ses.get_tenant(TenantName="acme")["Tenant"]["SuppressionAttributes"]
        assert attributes == {
            "SuppressedReasons": ["BOUNCE", "COMPLAINT"],
            "SuppressionScope": "TENANT",
        }
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.put_tenant_suppression_attributes(TenantName="nobody", SuppressedReasons=[])

    def test_tenant_tags_are_readable_through_the_generic_tag_operations(self, ses: Any) -> None:
        arn = ses.create_tenant(TenantName="acme", Tags=[{"Key": "a", "Value": "1"}])["TenantArn"]

        ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
        ses.untag_resource(ResourceArn=arn, TagKeys=["a"])

        assert ses.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
        assert ses.get_tenant(TenantName="acme")["Tenant"]["Tags"] == [{"Key": "b", "Value": "2"}]

    def test_tenants_are_kept_apart_per_region(self, emulator: Any) -> None:
        emulator.ses.create_tenant(TenantName="acme")
        other = boto3.client(
            "sesv2",
            region_name="eu-west-1",
            endpoint_url=emulator.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

        assert other.list_tenants()["Tenants"] == []
        assert len(emulator.ses.list_tenants()["Tenants"]) == 1


class TestAssociations:
    def test_association_links_resource_and_tenant_both_ways(self, ses: Any) -> None:
        identity = make_identity(ses)
        ses.create_configuration_set(ConfigurationSetName="acme-tx")
        config_set = f"{ARN}:configuration-set/acme-tx"
        tenant_id = ses.create_tenant(TenantName="acme")["TenantId"]

        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=config_set)

        resources = ses.list_tenant_resources(TenantName="acme")["TenantResources"]
        assert {(r["ResourceType"], r["ResourceArn"]) for r in resources} == {
            ("EMAIL_IDENTITY", identity),
            ("CONFIGURATION_SET", config_set),
        }
        only_sets = ses.list_tenant_resources(
            TenantName="acme", Filter={"RESOURCE_TYPE": "CONFIGURATION_SET"}
        )["TenantResources"]
        assert [r["ResourceArn"] for r in only_sets] == [config_set]
        tenants = ses.list_resource_tenants(ResourceArn=identity)["ResourceTenants"]
        assert [(t["TenantName"], t["TenantId"], t["ResourceArn"]) for t in tenants] == [
            ("acme", tenant_id, identity)
        ]

    def test_one_resource_may_belong_to_several_tenants(self, ses: Any) -> None:
        identity = make_identity(ses)
        for name in ("old", "new"):
            ses.create_tenant(TenantName=name)
            ses.create_tenant_resource_association(TenantName=name, ResourceArn=identity)

        tenants = ses.list_resource_tenants(ResourceArn=identity)["ResourceTenants"]

        assert [t["TenantName"] for t in tenants] == ["new", "old"]

    def test_template_can_be_associated(self, ses: Any) -> None:
        ses.create_email_template(TemplateName="welcome", TemplateContent={"Subject": "Hi"})
        ses.create_tenant(TenantName="acme")

        ses.create_tenant_resource_association(
            TenantName="acme", ResourceArn=f"{ARN}:template/welcome"
        )

        resources = ses.list_tenant_resources(TenantName="acme")["TenantResources"]
        assert [r["ResourceType"] for r in resources] == ["EMAIL_TEMPLATE"]

    def test_duplicate_association_is_already_exists(self, ses: Any) -> None:
        identity = make_identity(ses)
        ses.create_tenant(TenantName="acme")
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)

        with pytest.raises(ses.exceptions.AlreadyExistsException):
            ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)

    def test_association_of_missing_resource_or_tenant_is_not_found(self, ses: Any) -> None:
        identity = make_identity(ses)
        ses.create_tenant(TenantName="acme")

        with pytest.raises(ses.exceptions.NotFoundException):
            ses.create_tenant_resource_association(
                TenantName="acme", ResourceArn=f"{ARN}:identity/ghost.example.com"
            )
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.create_tenant_resource_association(TenantName="ghost", ResourceArn=identity)
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.create_tenant_resource_association(
                TenantName="acme", ResourceArn=identity.replace("us-east-1", "eu-west-1")
            )

    @pytest.mark.parametrize(
        "arn", [f"{ARN}:dedicated-ip-pool/vip-pool", "not-an-arn", f"{ARN}:contact-list/news"]
    )
    def test_association_of_unsupported_resource_type_is_bad_request(
        self, ses: Any, arn: str
    ) -> None:
        ses.create_dedicated_ip_pool(PoolName="vip-pool")
        ses.create_tenant(TenantName="acme")

        with pytest.raises(ClientError) as exc:
            ses.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)

        assert error_code(exc) == "BadRequestException"

    def test_delete_association_removes_only_that_pair(self, ses: Any) -> None:
        identity = make_identity(ses)
        for name in ("old", "new"):
            ses.create_tenant(TenantName=name)
            ses.create_tenant_resource_association(TenantName=name, ResourceArn=identity)

        ses.delete_tenant_resource_association(TenantName="old", ResourceArn=identity)

        tenants = ses.list_resource_tenants(ResourceArn=identity)["ResourceTenants"]
        assert [t["TenantName"] for t in tenants] == ["new"]
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_tenant_resource_association(TenantName="old", ResourceArn=identity)

    def test_list_tenant_resources_pages(self, ses: Any) -> None:
        ses.create_tenant(TenantName="acme")
        arns = sorted(make_identity(ses, f"d{i}.example.com") for i in range(5))
        for arn in arns:
            ses.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)

        pages = ses.get_paginator("list_tenant_resources").paginate(
            TenantName="acme", PaginationConfig={"PageSize": 2}
        )

        assert [r["ResourceArn"] for p in pages for r in p["TenantResources"]] == arns

    def test_deleting_an_associated_identity_is_refused(self, ses: Any) -> None:
        identity = make_identity(ses)
        ses.create_tenant(TenantName="acme")
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=identity)

        with pytest.raises(ses.exceptions.BadRequestException) as refused:
            ses.delete_email_identity(EmailIdentity="acme.example.com")
        ses.delete_tenant_resource_association(TenantName="acme", ResourceArn=identity)
        ses.delete_email_identity(EmailIdentity="acme.example.com")

        assert "because it has tenant associations" in str(refused.value)
        assert ses.list_tenant_resources(TenantName="acme")["TenantResources"] == []

    def test_deleting_an_associated_configuration_set_is_refused(self, ses: Any) -> None:
        ses.create_configuration_set(ConfigurationSetName="cs")
        arn = "arn:aws:ses:us-east-1:123456789012:configuration-set/cs"
        ses.create_tenant(TenantName="acme")
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)

        with pytest.raises(ses.exceptions.BadRequestException):
            ses.delete_configuration_set(ConfigurationSetName="cs")
        ses.delete_tenant(TenantName="acme")
        ses.delete_configuration_set(ConfigurationSetName="cs")

        assert ses.list_configuration_sets()["ConfigurationSets"] == []

    def test_deleting_an_associated_template_drops_its_associations(self, ses: Any) -> None:
        ses.create_email_template(TemplateName="welcome", TemplateContent={"Subject": "Hi"})
        arn = "arn:aws:ses:us-east-1:123456789012:template/welcome"
        ses.create_tenant(TenantName="acme")
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)

        ses.delete_email_template(TemplateName="welcome")

        assert ses.list_tenant_resources(TenantName="acme")["TenantResources"] == []


class TestReputation:
    def tenant_arn(self, ses: Any, name: str = "acme") -> str:
        return ses.create_tenant(TenantName=name)["TenantArn"]

    def entity(self, ses: Any, arn: str) -> dict:
        return ses.get_reputation_entity(
            ReputationEntityType="RESOURCE", ReputationEntityReference=arn
        )["ReputationEntity"]

    def test_new_tenant_has_standard_policy_and_enabled_statuses(self, ses: Any) -> None:
        arn = self.tenant_arn(ses)

        entity = self.entity(ses, arn)

        assert entity["ReputationEntityReference"] == arn
        assert entity["ReputationManagementPolicy"] == f"{POLICY}/standard"
        assert entity["CustomerManagedStatus"]["Status"] == "ENABLED"
        assert entity["AwsSesManagedStatus"]["Status"] == "ENABLED"
        assert entity["SendingStatusAggregate"] == "ENABLED"
        assert "ReputationImpact" not in entity

    def test_aggregate_is_disabled_when_either_side_is(self, emulator: Any) -> None:
        ses = emulator.ses
        arn = self.tenant_arn(ses)
        emulator.control.set_aws_managed_status("acme", "DISABLED", "Trust and Safety review")

        ses.update_reputation_entity_customer_managed_status(
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=arn,
            SendingStatus="REINSTATED",
        )

        entity = self.entity(ses, arn)
        assert entity["CustomerManagedStatus"]["Status"] == "REINSTATED"
        assert entity["AwsSesManagedStatus"] == {
            **entity["AwsSesManagedStatus"],
            "Status": "DISABLED",
            "Cause": "Trust and Safety review",
        }
        assert entity["SendingStatusAggregate"] == "DISABLED"
        assert ses.get_tenant(TenantName="acme")["Tenant"]["SendingStatus"] == "DISABLED"

    def test_customer_disabled_pauses_and_enabled_resumes(self, ses: Any) -> None:
        arn = self.tenant_arn(ses)
        for status, expected in (("DISABLED", "DISABLED"), ("ENABLED", "ENABLED")):
            ses.update_reputation_entity_customer_managed_status(
                ReputationEntityType="RESOURCE", ReputationEntityReference=arn, SendingStatus=status
            )
            assert self.entity(ses, arn)["SendingStatusAggregate"] == expected

    def test_high_finding_pauses_under_standard_policy_and_reinstated_lifts_it(
        self, emulator: Any
    ) -> None:
        ses = emulator.ses
        arn = self.tenant_arn(ses)

        emulator.control.raise_finding("acme", "HIGH")

        paused = self.entity(ses, arn)
        assert paused["ReputationImpact"] == "HIGH"
        assert paused["SendingStatusAggregate"] == "DISABLED"
        ses.update_reputation_entity_customer_managed_status(
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=arn,
            SendingStatus="REINSTATED",
        )
        assert self.entity(ses, arn)["SendingStatusAggregate"] == "REINSTATED"
        emulator.control.clear_findings("acme")
        healed = self.entity(ses, arn)
        assert healed["SendingStatusAggregate"] == "ENABLED"
        assert "ReputationImpact" not in healed

    @pytest.mark.parametrize(
        ("policy", "impact", "aggregate"),
        [
            ("standard", "LOW", "ENABLED"),
            ("strict", "LOW", "DISABLED"),
            ("none", "HIGH", "ENABLED"),
        ],
    )
    def test_policy_decides_whether_a_finding_pauses(
        self, emulator: Any, policy: str, impact: str, aggregate: str
    ) -> None:
        ses = emulator.ses
        arn = self.tenant_arn(ses)
        ses.update_reputation_entity_policy(
            ReputationEntityType="RESOURCE",
            ReputationEntityReference=arn,
            ReputationEntityPolicy=f"{POLICY}/{policy}",
        )

        emulator.control.raise_finding("acme", impact)

        entity = self.entity(ses, arn)
        assert entity["ReputationManagementPolicy"] == f"{POLICY}/{policy}"
        assert entity["ReputationImpact"] == impact
        assert entity["SendingStatusAggregate"] == aggregate

    def test_update_policy_rejects_unknown_policy_and_unknown_entity(self, ses: Any) -> None:
        arn = self.tenant_arn(ses)

        for reference, policy in (
            (arn, f"{POLICY}/lenient"),
            (f"{ARN}:tenant/ghost/tn-0", f"{POLICY}/strict"),
        ):
            with pytest.raises(ClientError) as exc:
                ses.update_reputation_entity_policy(
                    ReputationEntityType="RESOURCE",
                    ReputationEntityReference=reference,
                    ReputationEntityPolicy=policy,
                )
            assert error_code(exc) == "BadRequestException"

    def test_get_reputation_entity_of_unknown_reference_is_not_found(self, ses: Any) -> None:
        with pytest.raises(ses.exceptions.NotFoundException):
            self.entity(ses, f"{ARN}:tenant/ghost/tn-0")

    def test_list_reputation_entities_filters_in_bulk(self, emulator: Any) -> None:
        ses = emulator.ses
        arns = {name: self.tenant_arn(ses, name) for name in ("a", "b", "c")}
        emulator.control.raise_finding("b", "HIGH")
        emulator.control.raise_finding("c", "LOW")

        def references(**filters: str) -> list[str]:
            answer = ses.list_reputation_entities(Filter=filters)["ReputationEntities"]
            return [entity["ReputationEntityReference"] for entity in answer]

        assert references() == sorted(arns.values())
        assert references(REPUTATION_IMPACT="HIGH") == [arns["b"]]
        assert references(SENDING_STATUS="DISABLED") == [arns["b"]]
        assert references(ENTITY_REFERENCE_PREFIX=f"{ARN}:tenant/c/") == [arns["c"]]
        assert references(ENTITY_TYPE="RESOURCE") == sorted(arns.values())

    def test_list_reputation_entities_rejects_unknown_filter(self, ses: Any) -> None:
        with pytest.raises(ClientError) as exc:
            ses.list_reputation_entities(Filter={"COLOUR": "red"})

        assert error_code(exc) == "BadRequestException"


class TestTemplates:
    def test_template_lifecycle(self, ses: Any) -> None:
        ses.create_email_template(
            TemplateName="welcome",
            TemplateContent={"Subject": "Hi {{name}}", "Text": "Hello"},
            Tags=[{"Key": "customer", "Value": "acme"}],
        )
        ses.update_email_template(
            TemplateName="welcome", TemplateContent={"Subject": "Hey", "Html": "<p>Hi</p>"}
        )

        got = ses.get_email_template(TemplateName="welcome")
        assert got["TemplateContent"] == {"Subject": "Hey", "Html": "<p>Hi</p>"}
        assert got["Tags"] == [{"Key": "customer", "Value": "acme"}]
        assert (
            ses.list_tags_for_resource(ResourceArn=f"{ARN}:template/welcome")["Tags"] == got["Tags"]
        )
        ses.delete_email_template(TemplateName="welcome")
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.get_email_template(TemplateName="welcome")

    def test_template_errors_carry_aws_codes(self, ses: Any) -> None:
        ses.create_email_template(TemplateName="t", TemplateContent={"Subject": "s"})

        with pytest.raises(ses.exceptions.AlreadyExistsException):
            ses.create_email_template(TemplateName="t", TemplateContent={"Subject": "s"})
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.update_email_template(TemplateName="u", TemplateContent={"Subject": "s"})
        with pytest.raises(ses.exceptions.NotFoundException):
            ses.delete_email_template(TemplateName="u")

    def test_list_email_templates_pages_by_ten_by_default(self, ses: Any) -> None:
        names = [f"t{i:02d}" for i in range(12)]
        for name in names:
            ses.create_email_template(TemplateName=name, TemplateContent={"Subject": "s"})

        first = ses.list_email_templates()
        rest = ses.list_email_templates(NextToken=first["NextToken"], PageSize=100)

        assert [t["TemplateName"] for t in first["TemplatesMetadata"]] == names[:10]
        assert [t["TemplateName"] for t in rest["TemplatesMetadata"]] == names[10:]
        assert "NextToken" not in rest


class TestAccount:
    def test_get_account_reports_quota_and_sending(self, ses: Any) -> None:
        account = ses.get_account()

        assert account["SendingEnabled"] is True
        assert account["ProductionAccessEnabled"] is True
        assert account["SendQuota"]["Max24HourSend"] == 50_000.0
        assert account["SendQuota"]["MaxSendRate"] == 14.0
        assert account["SendQuota"]["SentLast24Hours"] == 0.0

    def test_caller_identity_is_the_emulated_account(self, emulator: Any) -> None:
        sts = emulator.client("sts")

        assert sts.get_caller_identity()["Account"] == "123456789012"
