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


@pytest.fixture
def profile_in_eu_north(
    bare_env: None, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A default profile whose config gives the region eu-north-1, with dummy keys."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield


@pytest.mark.parametrize(
    ("flag", "variables", "region"),
    [
        (
            "ap-south-1",
            {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"},
            "ap-south-1",
        ),
        (None, {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "eu-west-1"),
        (None, {"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        (None, {"AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2"),
        (None, {"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2"),
        (None, {}, "eu-north-1"),
    ],
)
def test_region_comes_from_flag_then_aws_region_then_default_region_then_profile(
    profile_in_eu_north: None,
    monkeypatch: pytest.MonkeyPatch,
    flag: str | None,
    variables: dict[str, str],
    region: str,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    clients = make_clients(AwsSettings(region=flag))

    assert clients.region == region
    assert clients.ses.meta.region_name == region


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


def test_clients_wait_the_timeouts_the_environment_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESMIGRATE_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("SESMIGRATE_READ_TIMEOUT", "7.5")

    settings = AwsSettings(region="us-east-1")
    config = make_clients(settings).ses.meta.config

    assert (config.connect_timeout, config.read_timeout) == (3.0, 7.5)
    assert settings.in_flight_s == 10.5


@pytest.mark.parametrize("value", ["soon", "0", "-1", "99999", "nan"])
def test_a_bad_timeout_in_the_environment_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SESMIGRATE_READ_TIMEOUT", value)

    with pytest.raises(AwsConfigError, match=f"SESMIGRATE_READ_TIMEOUT='{value}': give seconds"):
        AwsSettings(region="us-east-1")


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


@pytest.mark.parametrize(
    "call",
    [
        lambda clients: clients.ses.list_tenants(),
        lambda clients: clients.ses.get_email_identity(EmailIdentity="a@example.com"),
        caller_identity,
    ],
    ids=["rest-json", "rest-json-path", "query"],
)
def test_html_error_page_becomes_one_short_line_naming_the_status_and_title(
    html_endpoint: str, call
) -> None:
    clients = make_clients(
        AwsSettings(region="us-east-1", endpoint_url=html_endpoint, max_attempts=1)
    )

    with pytest.raises(AwsCallError) as raised, aws_errors():
        call(clients)

    message = str(raised.value)
    assert "<" not in message and "\n" not in message and len(message) < 200
    assert "HTTP 403" in message or "HTTP 502" in message
    assert "check --endpoint-url and --region" in message


def test_html_error_page_is_named_by_its_title(html_endpoint: str) -> None:
    clients = make_clients(
        AwsSettings(region="us-east-1", endpoint_url=html_endpoint, max_attempts=1)
    )

    with (
        pytest.raises(
            AwsCallError, match=r"ListTenants failed: HTTP \d+: an HTML page \('502 Bad Gateway'\)"
        ),
        aws_errors(),
    ):
        clients.ses.list_tenants()


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
