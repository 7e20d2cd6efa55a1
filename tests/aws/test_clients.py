"""AWS settings: clients from profile/region/endpoint, caller identity, one-line failures."""

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

from sesmigrate.aws.clients import (
    AwsSettings,
    aws_errors,
    caller_identity,
    make_clients,
    parse_op_rates,
)
from sesmigrate.errors import AwsCallError, AwsConfigError, UsageError


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("AWS_") and key not in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.delenv(key)
    yield


def test_clients_need_a_region(bare_env: None) -> None:
    with pytest.raises(AwsConfigError, match="use --region or set AWS_REGION"):
        make_clients(AwsSettings())


def test_clients_need_credentials(bare_env: None) -> None:
    with pytest.raises(AwsConfigError, match="no AWS credentials found"):
        make_clients(AwsSettings(region="eu-west-1"))


def test_unknown_profile_is_named(bare_env: None) -> None:
    with pytest.raises(AwsConfigError, match="'nope' not found"):
        make_clients(AwsSettings(profile="nope", region="eu-west-1"))


def test_clients_use_the_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    clients = make_clients(AwsSettings(region="eu-west-1"))

    assert clients.ses.meta.endpoint_url == "http://127.0.0.1:4566"
    assert clients.sts.meta.endpoint_url == "http://127.0.0.1:4566"
    assert clients.region == "eu-west-1"


def test_flag_endpoint_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    clients = make_clients(AwsSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:5000"))

    assert clients.ses.meta.endpoint_url == "http://127.0.0.1:5000"


def test_clients_are_configured_with_standard_retries() -> None:
    clients = make_clients(AwsSettings(region="eu-west-1", max_attempts=6))

    retries = clients.ses.meta.config.retries
    assert retries["mode"] == "standard"
    assert retries["total_max_attempts"] == 6


def test_caller_identity_binds_account_and_region() -> None:
    with mock_aws():
        binding = caller_identity(make_clients(AwsSettings(region="eu-central-1")))

    assert (binding.account, binding.region) == ("123456789012", "eu-central-1")


def test_caller_identity_against_the_server(server) -> None:
    clients = make_clients(AwsSettings(region="us-east-1", endpoint_url=server.url))

    assert caller_identity(clients).account == "123456789012"


def test_unreachable_endpoint_is_one_clear_error() -> None:
    clients = make_clients(
        AwsSettings(region="us-east-1", endpoint_url="http://127.0.0.1:9", max_attempts=1)
    )

    with pytest.raises(AwsConfigError, match=r"cannot reach http://127\.0\.0\.1:9"):
        caller_identity(clients)


def test_client_error_becomes_a_call_error_naming_operation_and_code(server) -> None:
    ses = make_clients(AwsSettings(region="us-east-1", endpoint_url=server.url)).ses

    with pytest.raises(AwsCallError, match="GetTenant failed: NotFoundException"), aws_errors():
        ses.get_tenant(TenantName="ghost-of-test-aws")


def test_op_rates_parse_api_operation_names() -> None:
    assert parse_op_rates(["CreateTenant=1", "ListTenants=2.5", "CreateTenant=3"]) == (
        ("CreateTenant", 3.0),
        ("ListTenants", 2.5),
    )


@pytest.mark.parametrize(
    "value", ["CreateTenant", "create_tenant=1", "CreateTenant=x", "GetTenant=0"]
)
def test_op_rates_refuse_malformed_values(value: str) -> None:
    with pytest.raises(UsageError, match="--op-rate"):
        parse_op_rates([value])
