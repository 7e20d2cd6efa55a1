"""The AWS CLI (v1) manages tenants through the emulator's HTTP server.

An operator who checks a migration by hand reaches for `aws sesv2 ...`, and the CLI has
its own copy of botocore and its own output rendering, so driving it end to end proves the
server speaks the wire protocol itself, not only to the boto3 in this process. These
tests use the session's `server` directly: the CLI is a separate process and cannot see
an in-process `mock_aws`.
"""

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from sesmigrate.emulator.control import HttpControl, TrafficSettings

pytestmark = pytest.mark.server

ACCOUNT = "123456789012"
CLI_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def url(server: Any) -> Iterator[str]:
    """The server's URL, with an empty account and no traffic conditions."""
    reset = urllib.request.Request(f"{server.url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=30).close()
    HttpControl(server.url).set_traffic(TrafficSettings())
    yield server.url


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`aws sesv2 ARGS` against the emulator, with dummy credentials and no profile."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "awscli", "sesv2", *args, "--endpoint-url", url, "--output", "json"],
        env={**env, **CLI_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )


def aws(url: str, *args: str) -> Any:
    """The parsed JSON output of a CLI call that must succeed (None when it prints nothing)."""
    done = run_cli(url, *args)
    assert done.returncode == 0, f"aws sesv2 {' '.join(args)} failed:\n{done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_cli_creates_gets_lists_and_deletes_a_tenant(url: str) -> None:
    created = aws(url, "create-tenant", "--tenant-name", "acme", "--tags", "Key=tier,Value=vip")

    assert created["TenantName"] == "acme"
    assert created["TenantArn"] == (
        f"arn:aws:ses:us-east-1:{ACCOUNT}:tenant/acme/{created['TenantId']}"
    )
    assert created["SendingStatus"] == "ENABLED"
    assert created["Tags"] == [{"Key": "tier", "Value": "vip"}]

    tenant = aws(url, "get-tenant", "--tenant-name", "acme")["Tenant"]
    assert tenant["TenantId"] == created["TenantId"]
    assert tenant["Tags"] == [{"Key": "tier", "Value": "vip"}]

    listed = aws(url, "list-tenants")["Tenants"]
    assert [(t["TenantName"], t["TenantArn"]) for t in listed] == [("acme", created["TenantArn"])]

    assert aws(url, "delete-tenant", "--tenant-name", "acme") is None
    assert aws(url, "list-tenants")["Tenants"] == []


def test_aws_cli_lists_an_association_from_the_tenant_and_from_the_resource(url: str) -> None:
    aws(url, "create-email-identity", "--email-identity", "acme.example.com")
    tenant = aws(url, "create-tenant", "--tenant-name", "acme")
    identity_arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/acme.example.com"

    associated = aws(
        url,
        "create-tenant-resource-association",
        "--tenant-name",
        "acme",
        "--resource-arn",
        identity_arn,
    )

    assert associated is None
    resources = aws(url, "list-tenant-resources", "--tenant-name", "acme")["TenantResources"]
    assert resources == [{"ResourceType": "EMAIL_IDENTITY", "ResourceArn": identity_arn}]
    tenants = aws(url, "list-resource-tenants", "--resource-arn", identity_arn)["ResourceTenants"]
    assert [(t["TenantName"], t["TenantId"], t["ResourceArn"]) for t in tenants] == [
        ("acme", tenant["TenantId"], identity_arn)
    ]


def test_aws_cli_pauses_a_tenant_through_its_reputation_entity(url: str) -> None:
    arn = aws(url, "create-tenant", "--tenant-name", "acme")["TenantArn"]
    entity_args = ("--reputation-entity-type", "RESOURCE", "--reputation-entity-reference", arn)

    entity = aws(url, "get-reputation-entity", *entity_args)["ReputationEntity"]
    assert entity["ReputationEntityReference"] == arn
    assert entity["ReputationManagementPolicy"].endswith(":aws:reputation-policy/standard")
    assert entity["CustomerManagedStatus"]["Status"] == "ENABLED"
    assert entity["SendingStatusAggregate"] == "ENABLED"

    updated = aws(
        url,
        "update-reputation-entity-customer-managed-status",
        *entity_args,
        "--sending-status",
        "DISABLED",
    )

    assert updated is None
    entity = aws(url, "get-reputation-entity", *entity_args)["ReputationEntity"]
    assert entity["CustomerManagedStatus"]["Status"] == "DISABLED"
    assert entity["SendingStatusAggregate"] == "DISABLED"
    assert aws(url, "get-tenant", "--tenant-name", "acme")["Tenant"]["SendingStatus"] == "DISABLED"


def test_aws_cli_get_tenant_exits_nonzero_with_not_found_when_the_tenant_is_missing(
    url: str,
) -> None:
    done = run_cli(url, "get-tenant", "--tenant-name", "ghost")

    assert done.returncode != 0
    assert "NotFoundException" in done.stderr
    assert "Tenant ghost does not exist." in done.stderr
    assert done.stdout == ""


def test_aws_cli_of_the_older_wire_generation_lists_identities_and_configuration_sets(
    url: str,
) -> None:
    """The CLI v1 carries its own botocore, of the older generation: it lists by GET."""
    aws(url, "create-email-identity", "--email-identity", "acme.example.com")
    aws(url, "create-email-identity", "--email-identity", "globex.example.com")
    aws(url, "create-configuration-set", "--configuration-set-name", "acme-pro")

    every = aws(url, "list-email-identities")["EmailIdentities"]
    paged = aws(url, "list-email-identities", "--page-size", "1")
    sets = aws(url, "list-configuration-sets")["ConfigurationSets"]

    assert sorted(i["IdentityName"] for i in every) == ["acme.example.com", "globex.example.com"]
    assert [i["IdentityName"] for i in paged["EmailIdentities"]] == ["acme.example.com"]
    assert "NextToken" in paged
    assert sets == ["acme-pro"]
