"""Sessions and clients for SES v2, STS, EventBridge and CloudWatch Logs: the one place
boto3 is configured.

Settings come from the command line (`--profile`, `--region`, `--endpoint-url`) and the
environment (`AWS_ENDPOINT_URL`, the usual AWS variables and files); the region is taken
as the AWS CLI v2 takes it: `--region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`, then
the profile's. Retries are
configured, not written: botocore's retry modes absorb throttling and transient faults.
Everything a user can get wrong here (no credentials, unknown profile, no region, an
endpoint that does not answer) becomes one `SesmigrateError` line; credentials never
appear in a message.
"""

import html
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.loaders
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)
from botocore.model import ServiceModel
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url, validate_region_name

from ..errors import AwsCallError, AwsConfigError, UsageError
from ..redaction import redact

RETRY_MODES = ("standard", "adaptive", "legacy")


CONNECT_TIMEOUT_VARIABLE = "SESMIGRATE_CONNECT_TIMEOUT"
READ_TIMEOUT_VARIABLE = "SESMIGRATE_READ_TIMEOUT"


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """Where and as whom to talk to AWS."""

    profile: str | None = None
    """Named profile from the AWS config files; None for the default credential chain."""
    region: str | None = None
    """Region to work in; None for the profile's or the environment's."""
    endpoint_url: str | None = None
    """Endpoint for every service (the emulator); None for AWS_ENDPOINT_URL or AWS itself."""
    max_attempts: int = 8
    """Attempts per call, first included, before botocore gives up on a retryable error."""
    retry_mode: str = "standard"
    """botocore retry mode: standard, adaptive or legacy."""
    max_pool_connections: int = 32
    """HTTP connections per client: an upper bound on concurrent calls."""
    emulator_credentials: bool = False
    """Sign with fixed dummy credentials: the embedded emulator accepts any, AWS none."""
    connect_timeout: float = field(
        default_factory=lambda: seconds_from_env(CONNECT_TIMEOUT_VARIABLE, 10.0)
    )
    read_timeout: float = field(
        default_factory=lambda: seconds_from_env(READ_TIMEOUT_VARIABLE, 30.0)
    )
    """Seconds one attempt waits to connect, then for its answer; together they bound how
    long a request of a stopped run may stay in flight (`running.inflight`)."""

    def __post_init__(self) -> None:
        """Refuse an unusable endpoint or region as soon as the settings are made: before
        any state is written, and as one line instead of botocore's traceback."""
        checked_endpoint(endpoint_of(self))
        checked_region(given_region(self))

    @property
    def in_flight_s(self) -> float:
        """How long after it was sent a request is still waited on by its sender."""
        return self.connect_timeout + self.read_timeout


def seconds_from_env(variable: str, default: float) -> float:
    """A positive number of seconds from the environment, else `default`; one line if bad."""
    given = os.environ.get(variable, "").strip()
    if not given:
        return default
    try:
        seconds = float(given)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < 3600:
        raise AwsConfigError(f"{variable}={given!r}: give seconds between 0 and 3600")
    return seconds


@dataclass(frozen=True, slots=True)
class AccountBinding:
    """The account and region a command works on, as AWS itself reports them."""

    account: str
    region: str
    caller: str = ""
    """The caller's ARN (user or assumed role), for the audit trail."""


@dataclass(frozen=True, slots=True)
class Clients:
    """The clients sesmigrate uses, sharing one session (and so one credential source)."""

    ses: Any
    """SES v2 client."""
    sts: Any
    """STS client, for the caller identity a plan is bound to."""
    region: str
    events: Any = None
    """EventBridge client, for the migration's monitoring rule; None: not monitored."""
    logs: Any = None
    """CloudWatch Logs client, for the monitoring log group and its events."""
    cloudwatch: Any = None
    """CloudWatch client, for the health gate's tenant metrics (GetMetricData)."""

    def services(self) -> dict[str, Any]:
        """The clients an action may need besides SES, by botocore service name."""
        return {
            name: client
            for name, client in (("events", self.events), ("logs", self.logs))
            if client is not None
        }

    def all(self) -> tuple[Any, ...]:
        """Every client that calls a rate-limited service (all but STS)."""
        metrics = (self.cloudwatch,) if self.cloudwatch is not None else ()
        return (self.ses, *self.services().values(), *metrics)


def endpoint_of(settings: AwsSettings) -> str | None:
    return settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")
"""Where the AWS CLI v2 and the SDKs look for the region after the flag, in this order;
the profile's `region` comes last (botocore alone reads only AWS_DEFAULT_REGION)."""


def given_region(settings: AwsSettings) -> str | None:
    """The region of `--region`, else AWS_REGION, else AWS_DEFAULT_REGION; None leaves it
    to the profile."""
    if settings.region:
        return settings.region
    for variable in REGION_VARIABLES:
        if os.environ.get(variable, "").strip():
            return os.environ[variable].strip()
    return None


ENDPOINT_SOURCES = "--endpoint-url or AWS_ENDPOINT_URL"
REGION_SOURCES = "--region, AWS_REGION, AWS_DEFAULT_REGION or the profile"


def checked_endpoint(url: str | None) -> str | None:
    """`url` if botocore can send to it: http or https, a host, a port in 1..65535; else
    one line naming it (without any password it carries)."""
    if url is None:
        return None
    shown = repr(redact(url))
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise AwsConfigError(
            f"endpoint URL {shown} ({ENDPOINT_SOURCES}) is not an http:// or https:// URL "
            "with a host, e.g. http://127.0.0.1:4566"
        )
    if port is not None and not 1 <= port <= 65535:
        raise AwsConfigError(
            f"endpoint URL {shown} ({ENDPOINT_SOURCES}) has no valid port: use 1 to 65535"
        )
    if not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        raise AwsConfigError(
            f"endpoint URL {shown} ({ENDPOINT_SOURCES}) is not a URL botocore accepts"
        )
    return url


def checked_region(region: str | None) -> str | None:
    """`region` if botocore accepts it as a region name (a host label), else one line."""
    try:
        validate_region_name(region)
    except InvalidRegionError:
        raise AwsConfigError(
            f"region {region!r} ({REGION_SOURCES}) is not a region name such as us-east-1"
        ) from None
    return region


def make_clients(settings: AwsSettings) -> Clients:
    """Clients for `settings`, or one clear error if they cannot be made."""
    if settings.retry_mode not in RETRY_MODES:
        raise AwsConfigError(
            f"unknown retry mode {settings.retry_mode!r}: use one of {RETRY_MODES}"
        )
    try:
        return _clients(settings)
    except ProfileNotFound as exc:  # --profile, or AWS_PROFILE: read when first needed
        profile = exc.kwargs.get("profile", settings.profile)
        raise AwsConfigError(
            f"AWS profile {profile!r} not found: check --profile, AWS_PROFILE and ~/.aws/config"
        ) from None
    except (BotoCoreError, ValueError) as exc:  # what the checks did not foresee
        raise AwsConfigError(f"cannot make the AWS clients: {redact(str(exc))}") from None


def _clients(settings: AwsSettings) -> Clients:
    if settings.emulator_credentials:
        session = boto3.Session(
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
            region_name=given_region(settings),
        )
    else:
        session = boto3.Session(profile_name=settings.profile, region_name=given_region(settings))
    region = checked_region(session.region_name)
    if not region:
        raise AwsConfigError(
            "no AWS region: use --region or set AWS_REGION (or the profile's region)"
        )
    if session.get_credentials() is None:
        raise AwsConfigError(
            "no AWS credentials found: use --profile or set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (any values work against the emulator)"
        )
    config = Config(
        retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
        max_pool_connections=settings.max_pool_connections,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
    )
    endpoint = checked_endpoint(endpoint_of(settings))
    return Clients(
        ses=session.client("sesv2", config=config, endpoint_url=endpoint),
        sts=session.client("sts", config=config, endpoint_url=endpoint),
        region=region,
        events=session.client("events", config=config, endpoint_url=endpoint),
        logs=session.client("logs", config=config, endpoint_url=endpoint),
        cloudwatch=session.client("cloudwatch", config=config, endpoint_url=endpoint),
    )


def caller_identity(clients: Clients) -> AccountBinding:
    """The account the credentials belong to, from STS (the emulator answers it too)."""
    with aws_errors():
        identity = clients.sts.get_caller_identity()
    return AccountBinding(
        account=identity["Account"], region=clients.region, caller=identity.get("Arn", "")
    )


@contextmanager
def aws_errors() -> Iterator[None]:
    """Turn botocore's failures that a user must act on into one `SesmigrateError` line."""
    try:
        yield
    except NoCredentialsError:
        raise AwsConfigError(
            "no AWS credentials found: use --profile or set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        ) from None
    except NoRegionError:
        raise AwsConfigError("no AWS region: use --region or set AWS_REGION") from None
    except EndpointConnectionError as exc:
        endpoint = redact(str(exc.kwargs.get("endpoint_url", "the AWS endpoint")))
        raise AwsConfigError(
            f"cannot reach {endpoint}: check --endpoint-url, AWS_ENDPOINT_URL and the network"
        ) from None
    except ClientError as exc:
        raise AwsCallError(exc.operation_name, *error_parts(exc.response)) from None
    except BotoCoreError as exc:
        raise AwsConfigError(f"AWS call failed: {redact(str(exc))}") from None


CHECK = "check --endpoint-url and --region"
SHORT = 80
"""Characters of a page's title or text kept in an error line."""


def error_parts(response: dict[str, Any]) -> tuple[str, str]:
    """(code, message) of a failed call's parsed response, each short and on one line.

    Something that is not AWS (a proxy, a web server at the wrong endpoint) answers with an
    HTML page, which botocore passes on as the message, or with nothing it can parse: the
    error line then names the HTTP status and the page's title, never the page."""
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    code, message = str(error.get("Code") or ""), str(error.get("Message") or "")
    if not code or code == "Unknown" or code.isdigit():
        code = f"HTTP {status or code or '?'}"
    if re.search(r"<\s*(!doctype|html|head|body|title)\b", message, re.IGNORECASE):
        return code, f"an HTML page ({_page_title(message)}) instead of an AWS answer: {CHECK}"
    if not message and code.startswith("HTTP "):
        return code, f"no AWS error in the answer: {CHECK}"
    return code, " ".join(message.split())


def _page_title(page: str) -> str:
    found = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL) or re.search(
        r"<h1[^>]*>(.*?)</h1>", page, re.IGNORECASE | re.DOTALL
    )
    text = found.group(1) if found else page
    words = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())
    if not words:
        return "untitled"
    return repr(words if len(words) <= SHORT else words[: SHORT - 1] + "…")


SERVICE_NAMES = {
    "sesv2": "SES v2",
    "events": "EventBridge",
    "logs": "CloudWatch Logs",
    "cloudwatch": "CloudWatch",
}


def parse_op_rates(
    values: list[str], services: tuple[str, ...] = tuple(SERVICE_NAMES)
) -> tuple[tuple[str, float], ...]:
    """`OP=N` pairs, with OP an operation name of `services` as in the API (`CreateTenant=1`)."""
    known = _operations(services)
    rates: dict[str, float] = {}
    for value in values:
        operation, sep, number = value.partition("=")
        if not sep:
            raise UsageError(f"--op-rate {value!r}: write OPERATION=RATE, e.g. CreateTenant=1")
        if operation not in known:
            raise UsageError(
                f"--op-rate {value!r}: {operation!r} is not an "
                f"{' or '.join(SERVICE_NAMES[s] for s in services)} operation name "
                "(use the API's name, e.g. CreateTenant)"
            )
        rates[operation] = positive_rate(f"--op-rate {value!r}", number)
    return tuple(sorted(rates.items()))


def positive_rate(what: str, number: str | float) -> float:
    try:
        rate = float(number)
    except ValueError:
        raise UsageError(f"{what}: {number!r} is not a number") from None
    if not rate > 0:
        raise UsageError(f"{what}: a rate must be a positive number of calls per second")
    return rate


def _operations(services: tuple[str, ...]) -> frozenset[str]:
    """The services' operation names, from botocore's bundled models: read without a
    session, so no profile (an unknown AWS_PROFILE) is looked up just to check a flag."""
    loader = botocore.loaders.create_loader()
    return frozenset(
        name
        for service in services
        for name in ServiceModel(loader.load_service_model(service, "service-2")).operation_names
    )
