"""The account as scanned: frozen `Inventory` types, their canonical JSON and fingerprint.

Pure: no boto3, no clock, no I/O. The scanner (`aws.scanner`) builds an `Inventory`;
everything downstream (ownership, strategies, diff, plan) reads only this. The JSON form
is versioned and canonical (sorted keys, sorted lists), so the same account always gives
the same bytes apart from `scanned_at`. The fingerprint is the sha256 of the facts alone
(no timestamps, no notes, no list order): it changes when a tag, an identity or an
association changes, and not when the same account is scanned twice.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import SesmigrateError
from ..jsondoc import load

FORMAT = "sesmigrate-inventory"
FORMAT_VERSION = 2
"""2: the monitoring (EventBridge rules for SES events, their log groups, logs policies)."""
MANAGED_TAG = "sesmigrate:migration"
"""Tag key marking a tenant as created by sesmigrate; its value names the migration."""
CUSTOMER_TAG = "sesmigrate:customer"
"""Tag key holding the customer id a managed tenant was made for."""
GROUP_TAG = "sesmigrate:group"
"""Tag key of a shared managed tenant: `tier:<tier>` or `group:<group>`."""

Tags = tuple[tuple[str, str], ...]


class InventoryError(SesmigrateError):
    """An inventory file that cannot be used."""

    def __init__(self, source: str, problem: str) -> None:
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}; re-run 'sesmigrate scan' to write a new one")


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to, for building ARNs."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def tags_of(pairs: list[dict[str, str]] | None) -> Tags:
    """AWS's `[{Key, Value}]` as sorted pairs."""
    return tuple(sorted((tag["Key"], tag.get("Value", "")) for tag in pairs or ()))


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    type: str
    """EMAIL_ADDRESS, DOMAIN or MANAGED_DOMAIN."""
    verification_status: str
    """SUCCESS, PENDING, FAILED, TEMPORARY_FAILURE or NOT_STARTED."""
    verified_for_sending: bool
    sending_enabled: bool
    configuration_set: str | None
    """The identity's default configuration set: a send through a tenant needs it associated."""
    tags: Tags = ()


@dataclass(frozen=True, slots=True)
class ConfigurationSet:
    name: str
    sending_pool: str | None
    """The dedicated IP pool this set sends through; a pool reaches a tenant only this way."""
    sending_enabled: bool
    suppression_scope: str | None
    """TENANT, ACCOUNT or None; overrides the tenant's scope for mail through this set."""
    suppressed_reasons: tuple[str, ...]
    archive_arn: str | None
    reputation_metrics: bool
    tls_policy: str | None
    tags: Tags = ()


@dataclass(frozen=True, slots=True)
class DedicatedIpPool:
    name: str
    scaling_mode: str
    tags: Tags = ()


@dataclass(frozen=True, slots=True)
class EmailTemplate:
    name: str
    tags: Tags = ()


@dataclass(frozen=True, slots=True)
class TenantResource:
    type: str
    """EMAIL_IDENTITY, CONFIGURATION_SET or EMAIL_TEMPLATE."""
    arn: str


@dataclass(frozen=True, slots=True)
class ExistingTenant:
    name: str
    tenant_id: str
    arn: str
    sending_status: str
    tags: Tags = ()
    resources: tuple[TenantResource, ...] = ()
    reputation_policy: str | None = None
    """The reputation policy ARN in force (from its reputation entity)."""
    customer_status: str | None = None
    """The customer-managed sending status (ENABLED, REINSTATED or DISABLED)."""
    suppressed_reasons: tuple[str, ...] = ()
    suppression_scope: str | None = None

    @property
    def migration(self) -> str | None:
        """The sesmigrate migration that manages this tenant, or None if none does."""
        return dict(self.tags).get(MANAGED_TAG)


@dataclass(frozen=True, slots=True)
class RuleTarget:
    id: str
    arn: str


@dataclass(frozen=True, slots=True)
class EventRule:
    """A rule on the default EventBridge bus that routes SES events (or is named like ours)."""

    name: str
    arn: str
    settings: str
    """Canonical JSON of what `PutRule` sets: EventPattern (canonical), State, Description..."""
    targets: tuple[RuleTarget, ...] = ()


@dataclass(frozen=True, slots=True)
class LogGroup:
    name: str
    arn: str
    """Without the `:*` suffix: the form EventBridge targets and IAM policies use."""


@dataclass(frozen=True, slots=True)
class LogsPolicy:
    """A CloudWatch Logs resource policy (at most 10 per account and region)."""

    name: str
    document: str
    """Canonical JSON."""


@dataclass(frozen=True, slots=True)
class Monitoring:
    """What routes SES tenant events to CloudWatch Logs today."""

    scanned: bool
    """False when the scan could not read EventBridge or CloudWatch Logs (no permission)."""
    rules: tuple[EventRule, ...] = ()
    log_groups: tuple[LogGroup, ...] = ()
    policies: tuple[LogsPolicy, ...] = ()

    def rule(self, name: str) -> EventRule | None:
        return next((r for r in self.rules if r.name == name), None)

    def log_group(self, name: str) -> LogGroup | None:
        return next((g for g in self.log_groups if g.name == name), None)

    def policy(self, name: str) -> LogsPolicy | None:
        return next((p for p in self.policies if p.name == name), None)


UNSCANNED = Monitoring(scanned=False)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    account_id: str
    region: str
    partition: str
    max_24_hour_send: float
    max_send_rate: float
    sending_enabled: bool
    production_access: bool


@dataclass(frozen=True, slots=True)
class ScanRules:
    """The ownership rules `scan` was run with (`--mapping` rows, `--name-pattern`s, tag
    keys), so that `plan --inventory` judges ownership as the scan's summary did. Not a
    fact of the account: outside the fingerprint."""

    mapping: tuple[tuple[str, str, str | None], ...] = ()
    """(resource, customer, tier) rows of the mapping CSV."""
    patterns: tuple[str, ...] = ()
    customer_tag: str = "customer"
    tier_tag: str = "tier"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": [list(row) for row in self.mapping],
            "patterns": list(self.patterns),
            "customer_tag": self.customer_tag,
            "tier_tag": self.tier_tag,
        }


@dataclass(frozen=True)
class Inventory:
    account: AccountInfo
    identities: tuple[Identity, ...]
    configuration_sets: tuple[ConfigurationSet, ...]
    pools: tuple[DedicatedIpPool, ...]
    templates: tuple[EmailTemplate, ...]
    tenants: tuple[ExistingTenant, ...]
    monitoring: Monitoring = UNSCANNED
    scanned_at: str = ""
    """When the scan finished (ISO 8601, UTC); explanation only, not a fact."""
    notes: tuple[str, ...] = field(default=())
    """What the scan skipped and why (e.g. a resource deleted between list and get)."""
    rules: ScanRules | None = None
    """The ownership rules the scan was made with; None for an inventory without them."""
    sent_last_24_hours: float | None = None
    """The account's sends in the 24 hours before the scan (GetAccount's SendQuota), for
    the plan's guess at a cohort's volume; it changes by the minute, so it is no fact the
    fingerprint covers. None: not known (an inventory of an earlier version)."""

    def arn(self, kind: str, name: str) -> str:
        """The ARN of an SES resource of this account: kind is identity, configuration-set, ..."""
        account = self.account
        return f"arn:{account.partition}:ses:{account.region}:{account.account_id}:{kind}/{name}"

    def facts(self) -> dict[str, Any]:
        """Everything the fingerprint covers, in canonical order."""
        account = _encode(self.account)
        return {
            "account": account,
            "identities": [_encode(item) for item in sorted(self.identities, key=_name)],
            "configuration_sets": [
                _encode(item) for item in sorted(self.configuration_sets, key=_name)
            ],
            "pools": [_encode(item) for item in sorted(self.pools, key=_name)],
            "templates": [_encode(item) for item in sorted(self.templates, key=_name)],
            "tenants": [_encode(item) for item in sorted(self.tenants, key=_name)],
            "monitoring": _encode_monitoring(self.monitoring),
        }

    def fingerprint(self) -> str:
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        """Computed once: the facts of a frozen inventory never change."""
        return "sha256:" + hashlib.sha256(canonical_json(self.facts()).encode()).hexdigest()

    def to_json(self, tool_version: str) -> str:
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "tool_version": tool_version,
            "scanned_at": self.scanned_at,
            "fingerprint": self.fingerprint(),
            "notes": sorted(self.notes),
            **self.facts(),
        }
        if self.rules is not None:
            document["ownership_rules"] = self.rules.to_dict()
        if self.sent_last_24_hours is not None:
            document["sent_last_24_hours"] = self.sent_last_24_hours
        return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _name(item: Any) -> str:
    return item.name


def _encode(item: Any) -> dict[str, Any]:
    encoded: dict[str, Any] = {}
    for key in item.__slots__:
        value = getattr(item, key)
        if key == "tags":
            value = [{"Key": k, "Value": v} for k, v in sorted(value)]
        elif key == "resources":
            value = [{"type": r.type, "arn": r.arn} for r in sorted(value, key=lambda r: r.arn)]
        elif isinstance(value, tuple):
            value = sorted(value)
        encoded[key] = value
    return encoded


def _encode_monitoring(monitoring: Monitoring) -> dict[str, Any]:
    return {
        "scanned": monitoring.scanned,
        "rules": [
            {
                "name": r.name,
                "arn": r.arn,
                "settings": r.settings,
                "targets": [{"id": t.id, "arn": t.arn} for t in sorted(r.targets, key=_id)],
            }
            for r in sorted(monitoring.rules, key=_name)
        ],
        "log_groups": [_encode(g) for g in sorted(monitoring.log_groups, key=_name)],
        "policies": [_encode(p) for p in sorted(monitoring.policies, key=_name)],
    }


def _id(target: RuleTarget) -> str:
    return target.id


def read_inventory(text: str, source: str = "inventory") -> Inventory:
    """Parse an inventory file, refusing anything malformed with one line naming the problem."""
    try:
        document = load(text)
    except ValueError as exc:
        raise InventoryError(source, str(exc)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InventoryError(source, "not a sesmigrate inventory")
    notes = document.get("notes") or []
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise InventoryError(source, "'notes' must be a list of strings")
    if (
        type(document.get("format_version")) is not int
        or document["format_version"] != FORMAT_VERSION
    ):
        raise InventoryError(
            source,
            f"inventory format version {document.get('format_version')!r} is not "
            f"{FORMAT_VERSION}, the one this sesmigrate reads",
        )
    reader = _Reader(source)
    inventory = Inventory(
        account=reader.build(AccountInfo, document, "account"),
        identities=reader.build_all(Identity, document, "identities"),
        configuration_sets=reader.build_all(ConfigurationSet, document, "configuration_sets"),
        pools=reader.build_all(DedicatedIpPool, document, "pools"),
        templates=reader.build_all(EmailTemplate, document, "templates"),
        tenants=reader.build_all(ExistingTenant, document, "tenants"),
        monitoring=reader.monitoring(document),
        scanned_at=str(document.get("scanned_at", "")),
        notes=tuple(notes),
        rules=_scan_rules(source, document.get("ownership_rules")),
        sent_last_24_hours=_sent(source, document.get("sent_last_24_hours")),
    )
    # The file's facts are canonical when sesmigrate wrote them, so hashing them as read
    # gives the fingerprint without re-encoding every item; any edit changes that hash.
    facts = {key: document[key] for key in _FACT_KEYS}
    try:
        fingerprint = "sha256:" + hashlib.sha256(canonical_json(facts).encode()).hexdigest()
    except UnicodeEncodeError:
        raise InventoryError(source, "it holds text that is not valid unicode") from None
    if document.get("fingerprint") != fingerprint:
        raise InventoryError(source, "its fingerprint does not match its content (edited?)")
    inventory.__dict__["_fingerprint"] = fingerprint
    return inventory


def _sent(source: str, raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw < math.inf:
        raise InventoryError(source, "'sent_last_24_hours' must be a number of sends >= 0")
    return float(raw)


def _scan_rules(source: str, raw: Any) -> ScanRules | None:
    if raw is None:
        return None
    problem = InventoryError(
        source,
        "'ownership_rules' must hold 'mapping' ([resource, customer, tier] rows), "
        "'patterns' (strings), 'customer_tag' and 'tier_tag'",
    )
    if not isinstance(raw, dict) or set(raw) != {"mapping", "patterns", "customer_tag", "tier_tag"}:
        raise problem
    rows, patterns = raw["mapping"], raw["patterns"]
    texts = (raw["customer_tag"], raw["tier_tag"])
    if not (
        isinstance(rows, list)
        and all(
            isinstance(r, list)
            and len(r) == 3
            and all(isinstance(v, str) for v in r[:2])
            and (r[2] is None or isinstance(r[2], str))
            for r in rows
        )
        and isinstance(patterns, list)
        and all(isinstance(p, str) for p in patterns)
        and all(isinstance(t, str) and t for t in texts)
    ):
        raise problem
    return ScanRules(tuple((r[0], r[1], r[2]) for r in rows), tuple(patterns), *texts)


_FACT_KEYS = (
    "account",
    "identities",
    "configuration_sets",
    "pools",
    "templates",
    "tenants",
    "monitoring",
)


@dataclass(frozen=True, slots=True)
class _RawRule:
    """A rule as read, its targets still unchecked JSON."""

    name: str
    arn: str
    settings: str
    targets: Any


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str, type(None)),
    "bool": (bool,),
    "float": (int, float),
}


class _Reader:
    """Builds dataclasses from decoded JSON, checking each field's presence and type."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, problem: str) -> InventoryError:
        return InventoryError(self.source, problem)

    def build_all(self, cls: type, document: Mapping[str, Any], key: str) -> tuple[Any, ...]:
        items = document.get(key)
        if not isinstance(items, list):
            raise self.fail(f"'{key}' must be a list")
        return tuple(
            self.build(cls, {key: item}, key, f"{key}[{i}]") for i, item in enumerate(items)
        )

    def monitoring(self, document: Mapping[str, Any]) -> Monitoring:
        raw = document.get("monitoring")
        if not isinstance(raw, dict) or not isinstance(raw.get("scanned"), bool):
            raise self.fail("'monitoring' must be an object with 'scanned' true or false")
        rules = []
        for i, rule in enumerate(self.build_all(_RawRule, raw, "rules")):
            where = f"monitoring.rules[{i}].targets"
            if not isinstance(rule.targets, list):
                raise self.fail(f"'{where}' must be a list")
            targets = tuple(
                self.build(RuleTarget, {"t": t}, "t", f"{where}[{n}]")
                for n, t in enumerate(rule.targets)
            )
            rules.append(EventRule(rule.name, rule.arn, rule.settings, targets))
        return Monitoring(
            scanned=raw["scanned"],
            rules=tuple(rules),
            log_groups=self.build_all(LogGroup, raw, "log_groups"),
            policies=self.build_all(LogsPolicy, raw, "policies"),
        )

    def build(self, cls: type, document: Mapping[str, Any], key: str, where: str = "") -> Any:
        where = where or key
        raw = document.get(key)
        if not isinstance(raw, dict):
            raise self.fail(f"'{where}' must be an object")
        values: dict[str, Any] = {}
        for name, annotation in cls.__annotations__.items():
            if name not in raw:
                raise self.fail(f"'{where}' has no '{name}'")
            values[name] = self.field(raw[name], str(annotation), f"{where}.{name}")
        return cls(**values)

    def field(self, value: Any, annotation: str, where: str) -> Any:
        if annotation in _TYPES:
            if not isinstance(value, _TYPES[annotation]) or (
                annotation == "float" and isinstance(value, bool)
            ):
                raise self.fail(f"'{where}' must be {annotation}")
            return float(value) if annotation == "float" else value
        if annotation == "Tags":
            if not isinstance(value, list) or not all(
                isinstance(t, dict)
                and isinstance(t.get("Key"), str)
                and isinstance(t.get("Value"), str)
                for t in value
            ):
                raise self.fail(f"'{where}' must be a list of {{Key, Value}} strings")
            return tags_of(value)
        if annotation == "tuple[str, ...]":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(f"'{where}' must be a list of strings")
            return tuple(value)
        if annotation == "Any":
            return value
        if annotation == "tuple[TenantResource, ...]":
            if not isinstance(value, list) or not all(
                isinstance(r, dict)
                and isinstance(r.get("type"), str)
                and isinstance(r.get("arn"), str)
                for r in value
            ):
                raise self.fail(f"'{where}' must be a list of {{type, arn}} strings")
            return tuple(TenantResource(r["type"], r["arn"]) for r in value)
        raise AssertionError(f"no reader for {annotation} ({where})")
