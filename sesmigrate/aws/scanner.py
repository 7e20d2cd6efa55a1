"""The scanner: SES v2 API -> `Inventory`, paginated, concurrent and throttle-aware.

Against AWS the scan's wall time is set by round trips and the account's API rate, not
CPU. So every list is walked by NextToken (several have no boto3 paginator), each page's
per-item reads are handed to its operation's own bounded pool (`lanes.py`: SES limits each
operation on its own) as soon as the page arrives, and every HTTP
attempt passes the `RateLimiter` attached to the client (fixed `--rate`/`--op-rate`
caps, adaptive slow-down on 429), while botocore's retry mode absorbs throttles and
transient faults. A resource deleted between its list and its read is skipped with a
note, not a crash. A full inventory costs
`lists + N_identities + N_sets + 2 N_pools + N_templates + 2 N_tenants` calls, the
reputation entities of all tenants being read in bulk (ListReputationEntities).

The monitoring that routes SES events to CloudWatch Logs is read too (`monitoring.py`
plans it): the default bus's rules that match `aws.ses` or carry sesmigrate's prefix, their
targets, the log groups under `/aws/ses/` or targeted by those rules, and the Logs resource
policies. A caller who may not read them, or whose endpoint does not answer for them, gets a
note and an unscanned monitoring, never a failed scan: monitoring is optional.
"""

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ..actions.monitoring import rule_settings
from ..planning.snapshot import (
    UNSCANNED,
    AccountInfo,
    ConfigurationSet,
    DedicatedIpPool,
    EmailTemplate,
    EventRule,
    ExistingTenant,
    Identity,
    Inventory,
    LogGroup,
    LogsPolicy,
    Monitoring,
    RuleTarget,
    TenantResource,
    canonical_json,
    partition_of,
    tags_of,
)
from ..running.executor import Progress
from ..state.rates import RateMemory
from .clients import AccountBinding, AwsSettings, Clients, aws_errors, caller_identity, make_clients
from .lanes import Lanes, interruptible_pool
from .ratelimit import RateLimiter

PAGE_SIZES = {
    "list_email_identities": 1000,
    "list_configuration_sets": 1000,
    "list_dedicated_ip_pools": 1000,
    "list_email_templates": 100,
    "list_tenants": 100,
    "list_tenant_resources": 100,
    "list_reputation_entities": 100,
}
LISTS = 8
"""Workers for the lists and bulk reads a scan starts at once (each walks its pages)."""
READ_LANES = (
    "list_email_identities",
    "list_configuration_sets",
    "list_dedicated_ip_pools",
    "list_email_templates",
    "list_tenants",
)
"""The lists whose items a scan reads one by one, each in a lane of its own."""

DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
"""Error codes of a caller who may not read something: said as 'was denied'."""
UNANSWERED = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
"""An endpoint that does not answer for EventBridge or CloudWatch Logs: the monitoring part
of a scan is then a note (any AWS error answer is too); a bug or missing credentials is not."""
RULE_PREFIX = "sesmigrate-"
"""Rules named so are read whatever they match: the migration's rule may be mid-update."""
LOG_GROUP_PREFIX = "/aws/ses/"


class ScanProgress(Protocol):
    """Where the scanner reports calls: planned ones as lists reveal them, and finished ones."""

    def expect(self, calls: int) -> None: ...
    def advance(self, calls: int = 1) -> None: ...


def _listed_name(item: dict[str, Any]) -> str:
    return next(item[key] for key in ("IdentityName", "TemplateName", "TenantName") if key in item)


class AccountReader:
    """One scan's state: the lanes, the notes, the progress; its per-item reads are shared
    with `verification`, which reads only some items but must parse them the same way."""

    def __init__(self, ses: Any, lanes: Lanes, progress: ScanProgress) -> None:
        self.ses, self.lanes, self.progress = ses, lanes, progress
        self.notes: list[str] = []
        self.sent_last_24_hours: float | None = None
        self._lock = threading.Lock()

    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.ses, method)(**kwargs)
        finally:
            self.progress.advance()

    def pages(self, method: str, key: str, **kwargs: Any) -> Iterator[list[Any]]:
        """Each page of a NextToken-paged list, walked by hand (not every list has a paginator)."""
        token: str | None = None
        while True:
            self.progress.expect(1)
            page = self.call(
                method,
                PageSize=PAGE_SIZES[method],
                **kwargs,
                **({"NextToken": token} if token else {}),
            )
            yield page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return

    def each(
        self, method: str, key: str, calls_per_item: int, read: Callable[[Any], Any]
    ) -> list[Future[Any]]:
        """Start `read` for every item of a list as soon as its page arrives, in the list's
        lane."""
        futures: list[Future[Any]] = []
        for items in self.pages(method, key):
            self.progress.expect(calls_per_item * len(items))
            futures += [self.lanes.submit(method, self.vanishing, read, item) for item in items]
        return futures

    def vanishing(self, read: Callable[[Any], Any], item: Any) -> Any:
        """`read(item)`, or None and a note if the resource was deleted since it was listed."""
        try:
            return read(item)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NotFoundException":
                raise
            name = item if isinstance(item, str) else _listed_name(item)
            with self._lock:
                self.notes.append(
                    f"{exc.operation_name} {name}: deleted between list and read; skipped"
                )
            return None

    # --- per-item reads --------------------------------------------------------------

    def identity(self, listed: dict[str, Any]) -> Identity:
        name = listed["IdentityName"]
        got = self.call("get_email_identity", EmailIdentity=name)
        return Identity(
            name=name,
            type=got.get("IdentityType", listed.get("IdentityType", "")),
            verification_status=got.get("VerificationStatus", listed.get("VerificationStatus", "")),
            verified_for_sending=bool(got.get("VerifiedForSendingStatus")),
            sending_enabled=bool(listed.get("SendingEnabled", True)),
            configuration_set=got.get("ConfigurationSetName"),
            tags=tags_of(got.get("Tags")),
        )

    def configuration_set(self, name: str) -> ConfigurationSet:
        got = self.call("get_configuration_set", ConfigurationSetName=name)
        delivery = got.get("DeliveryOptions") or {}
        suppression = got.get("SuppressionOptions") or {}
        return ConfigurationSet(
            name=name,
            sending_pool=delivery.get("SendingPoolName"),
            sending_enabled=bool((got.get("SendingOptions") or {}).get("SendingEnabled", True)),
            suppression_scope=suppression.get("SuppressionScope"),
            suppressed_reasons=tuple(sorted(suppression.get("SuppressedReasons") or ())),
            archive_arn=(got.get("ArchivingOptions") or {}).get("ArchiveArn"),
            reputation_metrics=bool(
                (got.get("ReputationOptions") or {}).get("ReputationMetricsEnabled")
            ),
            tls_policy=delivery.get("TlsPolicy"),
            tags=tags_of(got.get("Tags")),
        )

    def dedicated_ip_pool(self, name: str, arn: str) -> DedicatedIpPool:
        got = self.call("get_dedicated_ip_pool", PoolName=name)["DedicatedIpPool"]
        tags = self.call("list_tags_for_resource", ResourceArn=arn)["Tags"]
        return DedicatedIpPool(name, got.get("ScalingMode", "STANDARD"), tags_of(tags))

    def template(self, listed: dict[str, Any]) -> EmailTemplate:
        name = listed["TemplateName"]
        got = self.call("get_email_template", TemplateName=name)
        return EmailTemplate(name, tags_of(got.get("Tags")))

    def tenant(self, listed: dict[str, Any]) -> ExistingTenant:
        name = listed["TenantName"]
        got = self.call("get_tenant", TenantName=name)["Tenant"]
        resources = [
            TenantResource(r["ResourceType"], r["ResourceArn"])
            for page in self.pages("list_tenant_resources", "TenantResources", TenantName=name)
            for r in page
        ]
        suppression = got.get("SuppressionAttributes") or {}
        return ExistingTenant(
            name=name,
            tenant_id=got["TenantId"],
            arn=got["TenantArn"],
            sending_status=got.get("SendingStatus", listed.get("SendingStatus", "ENABLED")),
            tags=tags_of(got.get("Tags")),
            resources=tuple(sorted(resources, key=lambda r: r.arn)),
            suppressed_reasons=tuple(sorted(suppression.get("SuppressedReasons") or ())),
            suppression_scope=suppression.get("SuppressionScope"),
        )

    def reputation(self) -> dict[str, dict[str, Any]]:
        """Every reputation entity by reference, read in bulk rather than one per tenant."""
        return {
            entity["ReputationEntityReference"]: entity
            for page in self.pages("list_reputation_entities", "ReputationEntities")
            for entity in page
        }

    def tokens(
        self, call: Callable[..., dict[str, Any]], key: str, token_name: str, **kwargs: Any
    ) -> list[Any]:
        """Every item of a list paged by `token_name` (EventBridge: NextToken, Logs: nextToken)."""
        items: list[Any] = []
        token: str | None = None
        while True:
            self.progress.expect(1)
            try:
                page = call(**kwargs, **({token_name: token} if token else {}))
            finally:
                self.progress.advance()
            items += page.get(key, [])
            token = page.get(token_name)
            if not token:
                return items

    def monitoring(self, events: Any, logs: Any, log_groups: tuple[str, ...]) -> Monitoring:
        if events is None or logs is None:
            return UNSCANNED
        try:
            listed = self.tokens(events.list_rules, "Rules", "NextToken", EventBusName="default")
            rules = [
                rule
                for item in listed
                if item.get("Name", "").startswith(RULE_PREFIX)
                or _matches_ses(item.get("EventPattern"))
                if (rule := self.rule(events, item)) is not None
            ]
            targeted = {
                t.arn.split(":log-group:", 1)[-1].removesuffix(":*")
                for rule in rules
                for t in rule.targets
                if ":logs:" in t.arn
            }
            groups = {
                group["logGroupName"]: group
                for group in self.tokens(
                    logs.describe_log_groups,
                    "logGroups",
                    "nextToken",
                    logGroupNamePrefix=LOG_GROUP_PREFIX,
                )
            }
            for name in sorted(targeted | set(log_groups)):
                if name and name not in groups:
                    for group in self.tokens(
                        logs.describe_log_groups, "logGroups", "nextToken", logGroupNamePrefix=name
                    ):
                        if group["logGroupName"] == name:  # not its prefix siblings
                            groups[name] = group
            policies = self.tokens(logs.describe_resource_policies, "resourcePolicies", "nextToken")
        except (ClientError, *UNANSWERED) as exc:
            with self._lock:
                self.notes.append(
                    f"monitoring not scanned: {_failure(exc)} "
                    "(planning monitoring then assumes none exists)"
                )
            return UNSCANNED
        return Monitoring(
            scanned=True,
            rules=tuple(sorted(rules, key=lambda r: r.name)),
            log_groups=tuple(
                sorted(
                    (
                        LogGroup(name, str(g.get("arn", "")).removesuffix(":*"))
                        for name, g in groups.items()
                    ),
                    key=lambda g: g.name,
                )
            ),
            policies=tuple(
                sorted(
                    (
                        LogsPolicy(p["policyName"], canonical_json(_json(p["policyDocument"])))
                        for p in policies
                    ),
                    key=lambda p: p.name,
                )
            ),
        )

    def rule(self, events: Any, listed: dict[str, Any]) -> EventRule | None:
        try:
            targets = self.tokens(
                events.list_targets_by_rule, "Targets", "NextToken", Rule=listed["Name"]
            )
        except events.exceptions.ResourceNotFoundException:
            with self._lock:
                self.notes.append(
                    f"ListTargetsByRule {listed['Name']}: deleted between list and read; skipped"
                )
            return None
        return EventRule(
            name=listed["Name"],
            arn=listed["Arn"],
            settings=canonical_json(rule_settings(listed)),
            targets=tuple(sorted((RuleTarget(t["Id"], t["Arn"]) for t in targets), key=str)),
        )

    def account(self, binding: AccountBinding) -> AccountInfo:
        self.progress.expect(1)
        got = self.call("get_account")
        quota = got.get("SendQuota") or {}
        if "SentLast24Hours" in quota:
            self.sent_last_24_hours = float(quota["SentLast24Hours"])
        return AccountInfo(
            account_id=binding.account,
            region=binding.region,
            partition=partition_of(binding.region),
            max_24_hour_send=float(quota.get("Max24HourSend", 0.0)),
            max_send_rate=float(quota.get("MaxSendRate", 0.0)),
            sending_enabled=bool(got.get("SendingEnabled", False)),
            production_access=bool(got.get("ProductionAccessEnabled", False)),
        )


def scan_account(
    settings: AwsSettings,
    rate: float | None = None,
    op_rates: Mapping[str, float] | None = None,
    parallelism: int = 16,
    progress: ScanProgress | None = None,
    log_groups: tuple[str, ...] = (),
    memory: RateMemory | None = None,
) -> Inventory:
    """Scan the account `settings` point at, at most at the given rates (`log_groups`: as
    `scan`), starting from the rates `memory` holds and leaving it what this scan learned."""
    # a connection for every worker that may send at once: the lists' and each read lane's
    connections = LISTS + len(READ_LANES) * parallelism
    clients = make_clients(replace(settings, max_pool_connections=connections))
    binding = caller_identity(clients)
    if memory is None:
        RateLimiter(rate, op_rates).attach_all(clients)
        return scan(clients, binding, parallelism, progress, log_groups=log_groups)
    limiter = memory.limiter(binding, rate, op_rates or {})
    limiter.attach_all(clients)
    try:
        return scan(clients, binding, parallelism, progress, log_groups=log_groups)
    finally:
        memory.remember(binding, limiter)


def scan(
    clients: Clients,
    binding: AccountBinding,
    parallelism: int = 16,
    progress: ScanProgress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    log_groups: tuple[str, ...] = (),
) -> Inventory:
    """Read every identity, configuration set, pool, template and tenant of the account.

    `log_groups` are read besides those under /aws/ses/ and those rules target: a plan
    names the monitoring's own, so that one found elsewhere is adopted, not created."""
    if parallelism < 1:
        raise ValueError(f"parallelism must be at least 1, not {parallelism}")
    partition = partition_of(binding.region)

    def pool_arn(name: str) -> str:
        return f"arn:{partition}:ses:{binding.region}:{binding.account}:dedicated-ip-pool/{name}"

    with aws_errors(), Lanes(parallelism) as lanes, interruptible_pool(LISTS) as pool:
        run = AccountReader(clients.ses, lanes, progress or Progress())
        lists = {
            "account": pool.submit(run.account, binding),
            "identities": pool.submit(
                run.each, "list_email_identities", "EmailIdentities", 1, run.identity
            ),
            "configuration_sets": pool.submit(
                run.each, "list_configuration_sets", "ConfigurationSets", 1, run.configuration_set
            ),
            "pools": pool.submit(
                run.each,
                "list_dedicated_ip_pools",
                "DedicatedIpPools",
                2,
                lambda name: run.dedicated_ip_pool(name, pool_arn(name)),
            ),
            "templates": pool.submit(
                run.each, "list_email_templates", "TemplatesMetadata", 1, run.template
            ),
            "tenants": pool.submit(run.each, "list_tenants", "Tenants", 1, run.tenant),
        }
        reputation = pool.submit(run.reputation)
        monitoring = pool.submit(run.monitoring, clients.events, clients.logs, log_groups)
        account = lists.pop("account").result()
        found = {
            kind: tuple(
                sorted(
                    (item for item in (f.result() for f in future.result()) if item is not None),
                    key=lambda item: item.name,
                )
            )
            for kind, future in lists.items()
        }
        entities = reputation.result()
        watched = monitoring.result()
    tenants = tuple(
        replace(
            tenant,
            reputation_policy=entities.get(tenant.arn, {}).get("ReputationManagementPolicy"),
            customer_status=entities.get(tenant.arn, {})
            .get("CustomerManagedStatus", {})
            .get("Status"),
        )
        for tenant in found["tenants"]
    )
    return Inventory(
        account=account,
        identities=found["identities"],
        configuration_sets=found["configuration_sets"],
        pools=found["pools"],
        templates=found["templates"],
        tenants=tenants,
        monitoring=watched,
        scanned_at=now().isoformat(timespec="seconds"),
        notes=tuple(sorted(run.notes)),
        sent_last_24_hours=run.sent_last_24_hours,
    )


def _failure(exc: Exception) -> str:
    """Why the monitoring could not be read, in a few words."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        return f"{exc.operation_name} was {'denied' if code in DENIED else f'refused ({code})'}"
    return f"EventBridge or CloudWatch Logs did not answer ({type(exc).__name__})"


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return text


def _matches_ses(pattern: Any) -> bool:
    """Whether an event pattern can match SES's events: its `source` names `aws.ses`, a
    prefix of it, or is absent (a pattern without `source` matches every source)."""
    parsed = _json(pattern)
    if not isinstance(parsed, dict):
        return False
    if "source" not in parsed:
        return True
    source = parsed["source"]
    for entry in source if isinstance(source, list) else [source]:
        if entry == "aws.ses":
            return True
        prefix = entry.get("prefix") if isinstance(entry, dict) else None
        if isinstance(prefix, str) and "aws.ses".startswith(prefix):
            return True
    return False
