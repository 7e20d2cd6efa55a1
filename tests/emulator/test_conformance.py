"""Every SES v2 response body the emulator sends fits the botocore model's output shape.

botocore's parser drops members it does not know, so a boto3 test passes against a body
that carries a member AWS never sends, a number where a string belongs, or an enum value
SES does not have -- and a caller in another SDK, or a later botocore, trips on it. These
tests capture the raw JSON of each response before parsing and walk it against the output
shape of the installed botocore model, in both transports. The validator is first shown to
fail on literals, so that a clean scenario means the bodies conform, not that nothing was
checked.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape, StructureShape

SESV2 = botocore.session.get_session().get_service_model("sesv2")
STRICT_POLICY = "arn:aws:ses:us-east-1:aws:reputation-policy/strict"

# Every operation the scenario below drives; the test fails if one of them is not captured.
OPERATIONS = frozenset(
    {
        "CreateTenant",
        "GetTenant",
        "ListTenants",
        "DeleteTenant",
        "CreateTenantResourceAssociation",
        "DeleteTenantResourceAssociation",
        "ListTenantResources",
        "ListResourceTenants",
        "GetReputationEntity",
        "ListReputationEntities",
        "UpdateReputationEntityPolicy",
        "UpdateReputationEntityCustomerManagedStatus",
        "PutTenantSuppressionAttributes",
        "CreateEmailTemplate",
        "GetEmailTemplate",
        "ListEmailTemplates",
        "UpdateEmailTemplate",
        "DeleteEmailTemplate",
        "GetAccount",
        "SendEmail",
        "SendBulkEmail",
        "CreateEmailIdentity",
        "GetEmailIdentity",
        "ListEmailIdentities",
        "CreateConfigurationSet",
        "GetConfigurationSet",
        "ListConfigurationSets",
        "CreateDedicatedIpPool",
        "GetDedicatedIpPool",
        "ListDedicatedIpPools",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
        "PutEmailIdentityConfigurationSetAttributes",
        "PutConfigurationSetDeliveryOptions",
    }
)

# --- the validator ---------------------------------------------------------------------


def _bounds(shape: Shape, measure: float, what: str, path: str) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        return [f"{path}: {what} {measure} is below the minimum {low}"]
    if high is not None and measure > high:
        return [f"{path}: {what} {measure} is above the maximum {high}"]
    return []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _structure(shape: Shape, value: Any, path: str) -> list[str]:
    assert isinstance(shape, StructureShape)
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {type(value).__name__}"]
    body_members = {
        member.serialization.get("name", name): member
        for name, member in shape.members.items()
        if "location" not in member.serialization
    }
    problems = [f"{path}.{key}: unknown member" for key in value if key not in body_members]
    problems += [
        f"{path}.{name}: required member missing"
        for name in shape.required_members
        if name in body_members and name not in value
    ]
    for key, item in value.items():
        if key in body_members:
            problems += shape_problems(body_members[key], item, f"{path}.{key}")
    return problems


def _list(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: expected a list, got {type(value).__name__}"]
    problems = _bounds(shape, len(value), "length", path)
    for index, item in enumerate(value):
        problems += shape_problems(shape.member, item, f"{path}[{index}]")  # type: ignore[attr-defined]
    return problems


def _map(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object (map), got {type(value).__name__}"]
    problems = _bounds(shape, len(value), "size", path)
    for key, item in value.items():
        problems += shape_problems(shape.key, key, f"{path} key {key!r}")  # type: ignore[attr-defined]
        problems += shape_problems(shape.value, item, f"{path}[{key!r}]")  # type: ignore[attr-defined]
    return problems


def _string(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: expected a string, got {type(value).__name__} {value!r}"]
    enum = getattr(shape, "enum", None) or []
    if enum and value not in enum:
        return [f"{path}: {value!r} is not one of {', '.join(enum)}"]
    return _bounds(shape, len(value), "length", path)


def _integer(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, int) or isinstance(value, bool):
        return [f"{path}: expected an integer, got {type(value).__name__} {value!r}"]
    return _bounds(shape, value, "value", path)


def _double(shape: Shape, value: Any, path: str) -> list[str]:
    if not _is_number(value):
        return [f"{path}: expected a number, got {type(value).__name__} {value!r}"]
    return _bounds(shape, value, "value", path)


def _boolean(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, bool):
        return [f"{path}: expected a boolean, got {type(value).__name__} {value!r}"]
    return []


def _timestamp(shape: Shape, value: Any, path: str) -> list[str]:
    if not _is_number(value):
        return [f"{path}: expected epoch seconds, got {type(value).__name__} {value!r}"]
    return []


def _blob(shape: Shape, value: Any, path: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{path}: expected a base64 string, got {type(value).__name__}"]
    return []


_CHECKS: dict[str, Callable[[Shape, Any, str], list[str]]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _integer,
    "long": _integer,
    "double": _double,
    "float": _double,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "blob": _blob,
}


def shape_problems(shape: Shape, value: Any, path: str) -> list[str]:
    """Every way `value` (decoded JSON) departs from `shape`; empty if it conforms."""
    if value is None:
        return [f"{path}: null where the model has a {shape.type_name} (omit the member instead)"]
    check = _CHECKS.get(shape.type_name)
    return check(shape, value, path) if check else []


def body_problems(operation: OperationModel, body: bytes) -> list[str]:
    """Every way a raw response body departs from the operation's output shape."""
    try:
        document = json.loads(body) if body.strip() else {}
    except ValueError:
        return [f"{operation.name}: body is not JSON: {body[:80]!r}"]
    output = operation.output_shape
    if output is None:
        return [] if document == {} else [f"{operation.name}: body of an operation without output"]
    payload = output.serialization.get("payload")
    if payload:
        return shape_problems(output.members[payload], document, f"{operation.name}.{payload}")
    return shape_problems(output, document, operation.name)


# --- capturing raw bodies --------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    operation: str
    status: int
    body: bytes


class RawBodies:
    """The raw HTTP status and body of every call a client makes, before botocore parses it."""

    def __init__(self, client: Any) -> None:
        self.exchanges: list[Exchange] = []
        client.meta.events.register("after-call.sesv2", self._record)

    def _record(self, http_response: Any, model: OperationModel, **_: Any) -> None:
        self.exchanges.append(
            Exchange(model.name, http_response.status_code, http_response.content)
        )

    def succeeded(self) -> set[str]:
        return {exchange.operation for exchange in self.exchanges if exchange.status < 300}

    def problems(self) -> dict[str, list[str]]:
        """The problems of each successful operation's bodies, for operations that have some."""
        found: dict[str, list[str]] = {}
        for exchange in self.exchanges:
            if exchange.status < 300:
                operation = SESV2.operation_model(exchange.operation)
                found.setdefault(exchange.operation, []).extend(
                    body_problems(operation, exchange.body)
                )
        return {operation: problems for operation, problems in found.items() if problems}

    def last(self, operation: str) -> Exchange:
        return [exchange for exchange in self.exchanges if exchange.operation == operation][-1]


# --- the scenario ----------------------------------------------------------------------


def _tags(**pairs: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def drive_every_operation(emulator: Any) -> None:
    """Run each operation of OPERATIONS on an account with something in it to report."""
    ses = emulator.ses
    ses.create_dedicated_ip_pool(
        PoolName="acme-pool", ScalingMode="MANAGED", Tags=_tags(tier="vip")
    )
    ses.create_configuration_set(
        ConfigurationSetName="acme-transactional",
        DeliveryOptions={"SendingPoolName": "acme-pool", "TlsPolicy": "REQUIRE"},
        SendingOptions={"SendingEnabled": True},
        Tags=_tags(customer="acme", tier="vip"),
    )
    ses.create_email_identity(
        EmailIdentity="acme.example.com",
        ConfigurationSetName="acme-transactional",
        Tags=_tags(customer="acme"),
    )
    for name in ("welcome", "receipt"):
        ses.create_email_template(
            TemplateName=name,
            TemplateContent={
                "Subject": "Hi {{name}}",
                "Text": "Hello {{name}}",
                "Html": "<p>Hi</p>",
            },
            Tags=_tags(customer="acme"),
        )
    tenants = {}
    for name in ("acme", "globex", "initech"):
        tenants[name] = ses.create_tenant(
            TenantName=name,
            Tags=_tags(customer=name, tier="vip"),
            SuppressionAttributes={
                "SuppressedReasons": ["BOUNCE", "COMPLAINT"],
                "SuppressionScope": "TENANT",
            },
        )["TenantArn"]
    emulator.control.raise_finding("acme", "LOW")
    emulator.control.raise_finding("globex", "HIGH")

    identity_arn = "arn:aws:ses:us-east-1:123456789012:identity/acme.example.com"
    config_set_arn = "arn:aws:ses:us-east-1:123456789012:configuration-set/acme-transactional"
    for resource in (identity_arn, config_set_arn, *_template_arns("welcome", "receipt")):
        ses.create_tenant_resource_association(TenantName="acme", ResourceArn=resource)

    ses.get_tenant(TenantName="acme")
    assert ses.get_tenant(TenantName="globex")["Tenant"]["SendingStatus"] == "DISABLED"
    assert "NextToken" in ses.list_tenants(PageSize=2)
    ses.list_tenant_resources(TenantName="acme")
    ses.list_resource_tenants(ResourceArn=identity_arn)

    entity = ses.get_reputation_entity(
        ReputationEntityType="RESOURCE", ReputationEntityReference=tenants["acme"]
    )["ReputationEntity"]
    assert entity["ReputationImpact"] == "LOW"
    ses.update_reputation_entity_policy(
        ReputationEntityType="RESOURCE",
        ReputationEntityReference=tenants["acme"],
        ReputationEntityPolicy=STRICT_POLICY,
    )
    ses.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE",
        ReputationEntityReference=tenants["globex"],
        SendingStatus="REINSTATED",
    )
    assert len(ses.list_reputation_entities()["ReputationEntities"]) == 3
    ses.put_tenant_suppression_attributes(
        TenantName="acme", SuppressedReasons=["BOUNCE"], SuppressionScope="ACCOUNT"
    )

    ses.get_email_template(TemplateName="welcome")
    ses.list_email_templates(PageSize=1)
    ses.update_email_template(
        TemplateName="welcome", TemplateContent={"Subject": "Welcome {{name}}", "Text": "Hi"}
    )
    ses.get_account()

    destination = {"ToAddresses": ["someone@customer.example.net"]}
    simple = {"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}}}
    template = {"Template": {"TemplateName": "welcome", "TemplateData": '{"name": "Ann"}'}}
    for content in (simple, template):
        for tenant in ({}, {"TenantName": "acme"}):
            ses.send_email(
                FromEmailAddress="billing@acme.example.com",
                Destination=destination,
                Content=content,
                **tenant,
            )
    results = ses.send_bulk_email(
        FromEmailAddress="billing@acme.example.com",
        ConfigurationSetName="acme-transactional",
        TenantName="acme",
        DefaultContent={"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
        BulkEmailEntries=[{"Destination": destination}, {"Destination": destination}],
    )["BulkEmailEntryResults"]
    assert [result["Status"] for result in results] == ["SUCCESS", "SUCCESS"]

    ses.get_email_identity(EmailIdentity="acme.example.com")
    ses.list_email_identities()
    ses.get_configuration_set(ConfigurationSetName="acme-transactional")
    ses.list_configuration_sets()
    ses.get_dedicated_ip_pool(PoolName="acme-pool")
    ses.list_dedicated_ip_pools()

    ses.tag_resource(ResourceArn=tenants["acme"], Tags=_tags(owner="platform"))
    assert {"Key": "owner", "Value": "platform"} in ses.list_tags_for_resource(
        ResourceArn=tenants["acme"]
    )["Tags"]
    ses.untag_resource(ResourceArn=tenants["acme"], TagKeys=["owner"])
    ses.put_email_identity_configuration_set_attributes(
        EmailIdentity="acme.example.com", ConfigurationSetName="acme-transactional"
    )
    ses.put_configuration_set_delivery_options(
        ConfigurationSetName="acme-transactional",
        TlsPolicy="OPTIONAL",
        SendingPoolName="acme-pool",
        MaxDeliverySeconds=600,
    )

    receipt_arn = _template_arns("receipt")[0]
    ses.delete_tenant_resource_association(TenantName="acme", ResourceArn=receipt_arn)
    ses.delete_email_template(TemplateName="receipt")
    ses.delete_tenant(TenantName="initech")


def _template_arns(*names: str) -> list[str]:
    return [f"arn:aws:ses:us-east-1:123456789012:template/{name}" for name in names]


# --- tests -----------------------------------------------------------------------------

_TENANT = SESV2.operation_model("GetTenant")
_GOOD_TENANT = {
    "Tenant": {
        "TenantName": "acme",
        "TenantId": "tn-1",
        "TenantArn": "arn:aws:ses:us-east-1:123456789012:tenant/acme/tn-1",
        "CreatedTimestamp": 1767225600.5,
        "Tags": [{"Key": "tier", "Value": "vip"}],
        "SendingStatus": "ENABLED",
        "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE"], "SuppressionScope": "TENANT"},
    }
}


def _tenant_with(**changes: Any) -> bytes:
    return json.dumps({"Tenant": {**_GOOD_TENANT["Tenant"], **changes}}).encode()


def test_body_problems_accepts_a_body_that_fits_the_shape() -> None:
    assert body_problems(_TENANT, json.dumps(_GOOD_TENANT).encode()) == []


def test_body_problems_accepts_an_empty_body_for_an_empty_output() -> None:
    assert body_problems(SESV2.operation_model("DeleteTenant"), b"{}") == []
    assert body_problems(SESV2.operation_model("DeleteTenant"), b"") == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_tenant_with(Paused=True), "GetTenant.Tenant.Paused: unknown member"),
        (
            _tenant_with(CreatedTimestamp="2026-01-01T00:00:00Z"),
            "GetTenant.Tenant.CreatedTimestamp: expected epoch seconds, got str",
        ),
        (
            _tenant_with(TenantId=7),
            "GetTenant.Tenant.TenantId: expected a string, got int 7",
        ),
        (
            _tenant_with(SendingStatus="PAUSED"),
            "GetTenant.Tenant.SendingStatus: 'PAUSED' is not one of ENABLED, REINSTATED, DISABLED",
        ),
        (
            _tenant_with(SuppressionAttributes={"SuppressedReasons": ["SPAM"]}),
            "GetTenant.Tenant.SuppressionAttributes.SuppressedReasons[0]: 'SPAM' is not one of",
        ),
        (
            _tenant_with(Tags=[{"Key": "tier"}]),
            "GetTenant.Tenant.Tags[0].Value: required member missing",
        ),
        (
            _tenant_with(TenantName=""),
            "GetTenant.Tenant.TenantName: length 0 is below the minimum 1",
        ),
        (_tenant_with(TenantArn=None), "GetTenant.Tenant.TenantArn: null where the model has"),
        (_tenant_with(Tags={"tier": "vip"}), "GetTenant.Tenant.Tags: expected a list, got dict"),
        (b"<Tenant/>", "GetTenant: body is not JSON"),
    ],
    ids=[
        "unknown-member",
        "iso-timestamp",
        "wrong-type",
        "bad-enum",
        "bad-enum-in-list",
        "missing-required",
        "too-short",
        "null",
        "map-for-list",
        "not-json",
    ],
)
def test_body_problems_flags_a_body_that_departs_from_the_shape(body: bytes, problem: str) -> None:
    problems = body_problems(_TENANT, body)

    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_body_problems_flags_wrong_numbers_and_booleans_in_get_account() -> None:
    body = {
        "ProductionAccessEnabled": "true",
        "SendQuota": {"Max24HourSend": True, "MaxSendRate": 14, "SentLast24Hours": 0.0},
    }

    problems = body_problems(SESV2.operation_model("GetAccount"), json.dumps(body).encode())

    assert problems == [
        "GetAccount.ProductionAccessEnabled: expected a boolean, got str 'true'",
        "GetAccount.SendQuota.Max24HourSend: expected a number, got bool True",
    ]


def test_conformance_scenario_calls_every_listed_operation(emulator: Any) -> None:
    bodies = RawBodies(emulator.ses)

    drive_every_operation(emulator)

    assert sorted(OPERATIONS - bodies.succeeded()) == []


def _report(problems: dict[str, list[str]]) -> str:
    lines = [problem for operation in sorted(problems) for problem in problems[operation]]
    return f"{len(lines)} nonconforming members:\n" + "\n".join(lines)


def test_emulator_response_bodies_match_the_sesv2_output_shapes(emulator: Any) -> None:
    bodies = RawBodies(emulator.ses)

    drive_every_operation(emulator)

    problems = bodies.problems()
    assert problems == {}, _report(problems)


def test_get_tenant_answers_404_not_found_when_the_tenant_does_not_exist(emulator: Any) -> None:
    bodies = RawBodies(emulator.ses)

    with pytest.raises(ClientError) as caught:
        emulator.ses.get_tenant(TenantName="ghost")

    error = caught.value.response
    assert error["Error"]["Code"] == "NotFoundException"
    assert error["Error"]["Message"] == "Tenant ghost does not exist."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert bodies.last("GetTenant").status == 404


def test_create_tenant_answers_400_already_exists_when_the_name_is_taken(emulator: Any) -> None:
    emulator.ses.create_tenant(TenantName="acme")
    bodies = RawBodies(emulator.ses)

    with pytest.raises(ClientError) as caught:
        emulator.ses.create_tenant(TenantName="acme")

    error = caught.value.response
    assert error["Error"]["Code"] == "AlreadyExistsException"
    assert error["Error"]["Message"] == "Tenant acme already exists."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert bodies.last("CreateTenant").status == 400
