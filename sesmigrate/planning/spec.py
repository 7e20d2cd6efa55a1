"""The migration spec (TOML): every choice a migration engineer makes, validated by key.

Pure: the CLI reads the file; `parse_spec` turns its text into a frozen `MigrationSpec` or
one `SpecError` line naming the key (`plans/acme.toml: cohorts.wave_size must be an
integer >= 1, got "ten"`), with the closest key or value it knows for a typo (`unknown key
cohorts.canry (did you mean 'canary'?)`) or the table a misplaced key belongs in. Every
flag of `sesmigrate plan` overrides its key through `with_overrides`, so the plan records
the spec that was actually used.

    name = "acme-tenants"              # migration name: tags, default plan file name
    strategy = "tiered"                # isolated | tiered | shared | entry point | module:Class
    tenant_name_template = "{customer}"
    unowned_templates = "leave"        # or "associate-all"
    tenant_quota = 10000
    delete_orphaned_tenants = false    # delete managed tenants no longer wanted (irreversible)
    adopt = []                         # unmanaged tenants to take over, by name

    [strategy_options]                 # checked by the strategy
    dedicated_tiers = ["vip"]

    [ownership]                        # as `sesmigrate scan`
    mapping = "owners.csv"
    name_patterns = []
    customer_tag = "customer"
    tier_tag = "tier"

    [reputation]                       # standard | strict | none | keep, per tier
    default = "standard"
    tiers = { vip = "strict" }

    [suppression.vip]                  # tenant suppression attributes, per tier
    reasons = ["BOUNCE", "COMPLAINT"]
    scope = "TENANT"

    [cohorts]                          # canary first, then waves sized by one of:
    canary = 3
    growth = 4                         # each wave growth x the previous (the default)
    # wave_size = 50                   # or waves of a fixed size
    # waves = ["1%", "10%", "50%", "100%"]   # or cumulative shares of the customers
    # by_tier = true                   # or one wave per tier

    [gates]
    soak_seconds = 0
    allow_reinstated = true
    account_enforcement = true         # GetAccount's EnforcementStatus must be HEALTHY
    # metric conditions are off until one of these (or metrics = true) is set:
    # bounce_rate_max = 0.05           # per tenant and per cohort, over the window
    # complaint_rate_max = 0.001
    # min_sends = 200                  # fewer sends in the window: inconclusive
    # window_seconds = 3600            # since the cohort finished, at most this long
    # account_bounce_rate_max = 0.05   # the account's Reputation.BounceRate (SES reviews at 5%)
    # account_complaint_rate_max = 0.001

    # [gates.tiers.vip]                # a tier's own bounce_rate_max, complaint_rate_max
    # bounce_rate_max = 0.02           # or min_sends (setting one turns the metrics on)

    [monitoring]                       # or --monitoring: SES tenant events to CloudWatch Logs
    enabled = true                     # the section's presence turns it on
    log_group = "/aws/ses/tenants"
    rule_name = "sesmigrate-acme-tenants"   # default: sesmigrate-<name>, at most 64 chars
"""

import hashlib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import SesmigrateError
from .naming import PLACEHOLDER, TenantNameError, check_template
from .suggest import did_you_mean

POLICIES = ("standard", "strict", "none", "keep")
UNOWNED_TEMPLATE_CHOICES = ("leave", "associate-all")
MIGRATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
"""CloudWatch Logs' own rule for log group names."""
RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
"""EventBridge's own rule for rule names."""
DEFAULT_LOG_GROUP = "/aws/ses/tenants"


class SpecError(SesmigrateError):
    """A migration spec that cannot be used; the message names the key."""

    def __init__(self, source: str, problem: str) -> None:
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}")


@dataclass(frozen=True, slots=True)
class Suppression:
    reasons: tuple[str, ...]
    scope: str | None


@dataclass(frozen=True, slots=True)
class OwnershipSpec:
    mapping: str | None = None
    """Path of the mapping CSV, relative to the working directory."""
    name_patterns: tuple[str, ...] = ()
    customer_tag: str = "customer"
    tier_tag: str = "tier"


DEFAULT_CANARY = 3
DEFAULT_GROWTH = 4.0
"""Canary 3, then waves x4 (12, 48, 192, 768, 3072, the rest): 10,000 customers in 7
cohorts, so the number of operator runs grows with the log of the account, not its size."""
SIZINGS = ("wave_size", "waves", "growth", "by_tier")


@dataclass(frozen=True, slots=True)
class CohortSpec:
    """The canary's size and how the waves after it are sized: by tier, by `wave_size`, by
    `waves` or else by `growth` (the spec may give only one of them)."""

    canary: int = DEFAULT_CANARY
    wave_size: int | None = None
    waves: tuple[float, ...] = ()
    """Cumulative percentages of all customers (canary included), as Argo Rollouts'
    setWeight steps: (1, 10, 50, 100) means the first 1 %, then up to 10 %, ..."""
    growth: float = DEFAULT_GROWTH
    by_tier: bool = False

    @property
    def sizing(self) -> str:
        if self.by_tier:
            return "by_tier"
        if self.wave_size is not None:
            return "wave_size"
        return "waves" if self.waves else "growth"

    def describe(self) -> str:
        """The sizing in the spec's own words, for warnings and the membership record."""
        match self.sizing:
            case "wave_size":
                waves = f"wave_size = {self.wave_size}"
            case "waves":
                waves = "waves = [" + ", ".join(f'"{percent(w)}"' for w in self.waves) + "]"
            case "by_tier":
                waves = "by_tier = true"
            case _:
                waves = f"growth = {self.growth:g}"
        return f"canary = {self.canary}, {waves}"


def percent(value: float) -> str:
    return f"{value:g}%"


def parse_waves(values: list[Any] | tuple[Any, ...]) -> tuple[float, ...]:
    """Cumulative percentages from `["1%", "10%", "100%"]`; ValueError says what is wrong."""
    shares: list[float] = []
    for value in values:
        text = value.strip() if isinstance(value, str) else ""
        try:
            share = float(text.removesuffix("%")) if text.endswith("%") else math.nan
        except ValueError:
            share = math.nan
        if not math.isfinite(share) or not 0 < share <= 100:
            raise ValueError(f"each wave must be a percentage in (0%, 100%], got {value!r}")
        if shares and share <= shares[-1]:
            raise ValueError(
                f"the percentages are cumulative and must increase, got {percent(share)} after "
                f"{percent(shares[-1])}"
            )
        shares.append(share)
    if not shares:
        raise ValueError("give at least one percentage")
    return tuple(shares)


def check_wave_size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be an integer >= 1, got {value!r}")
    return value


def check_growth(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number > 1, got {value!r}")
    if not math.isfinite(value) or value <= 1:
        raise ValueError(f"must be a number > 1, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class TierGates:
    """A tier's `[gates.tiers.NAME]` overrides of the metric conditions; None keeps the
    `[gates]` value, so a tier states only where it differs (a VIP tier stricter than free)."""

    bounce_rate_max: float | None = None
    complaint_rate_max: float | None = None
    min_sends: int | None = None


@dataclass(frozen=True, slots=True)
class GateSpec:
    soak_seconds: float = 0.0
    allow_reinstated: bool = True
    account_enforcement: bool = True
    """The account guard: GetAccount's EnforcementStatus must be HEALTHY."""
    metrics: bool = False
    """Whether the metric conditions below apply: off until `[gates]` sets one of them (or
    `metrics = true`), so a migration that sends nothing between cohorts is not stopped."""
    bounce_rate_max: float = 0.05
    complaint_rate_max: float = 0.001
    min_sends: int = 200
    """Fewer sends in the window make a tenant (a cohort, summed) inconclusive, never failed."""
    window_seconds: float = 3600.0
    count: int = 1
    """Measurements the gate takes, `interval_seconds` apart (Argo Rollouts' `count`): one
    bad reading need not stop a migration when the spec tolerates it."""
    interval_seconds: float = 300.0
    failure_limit: int = 0
    """Failed measurements tolerated: more fail the gate (Argo's `failureLimit`)."""
    inconclusive_limit: int = 0
    """Inconclusive measurements tolerated: more stop it as inconclusive."""
    account_bounce_rate_max: float = 0.05
    """The account guard's ceiling on the account's `Reputation.BounceRate` (a metric
    condition): 0.05 by default, the rate at which SES puts an account under review, so the
    gate stops the migration before SES stops the account's sending."""
    account_complaint_rate_max: float = 0.001
    """The same for `Reputation.ComplaintRate`: 0.001 (0.1%), SES's review threshold."""
    tiers: tuple[tuple[str, TierGates], ...] = ()
    """Per-tier overrides, by tier name: a tenant of that tier is judged by them."""

    def for_tier(self, tier: str | None) -> "GateSpec":
        """The conditions a tenant of `tier` is judged by: the tier's overrides, else these."""
        given = dict(self.tiers).get(tier or "")
        if given is None:
            return self
        return replace(
            self,
            **{key: value for key in TIER_KEYS if (value := getattr(given, key)) is not None},
        )

    def strictest(self, tiers: Iterable[str | None]) -> "GateSpec":
        """The strictest conditions of `tiers`' (lowest maximum rates, highest min_sends):
        what a cohort mixing tiers is judged by on its summed volume, so a sum never lets
        through what one of its tenants' tiers would not."""
        each = [self.for_tier(tier) for tier in set(tiers)] or [self]
        return replace(
            self,
            bounce_rate_max=min(g.bounce_rate_max for g in each),
            complaint_rate_max=min(g.complaint_rate_max for g in each),
            min_sends=max(g.min_sends for g in each),
        )

    def tier_words(self) -> list[str]:
        """Each tier's overrides in words (`tier vip: bounce rate <= 1.00%`), for the
        report's and status's conditions."""
        said = []
        for tier, given in self.tiers:
            parts = []
            if given.bounce_rate_max is not None:
                parts.append(f"bounce rate <= {given.bounce_rate_max:.2%}")
            if given.complaint_rate_max is not None:
                parts.append(f"complaint rate <= {given.complaint_rate_max:.2%}")
            if given.min_sends is not None:
                parts.append(f"min_sends {given.min_sends}")
            said.append(f"tier {tier}: {', '.join(parts)}")
        return said

    def tiers_dict(self) -> dict[str, dict[str, float | int]]:
        """The tiers' overrides as the spec gives them: only the keys each tier sets."""
        return {
            tier: {
                key: value for key in TIER_KEYS if (value := getattr(overrides, key)) is not None
            }
            for tier, overrides in self.tiers
        }


@dataclass(frozen=True, slots=True)
class MonitoringSpec:
    enabled: bool = False
    log_group: str = DEFAULT_LOG_GROUP
    rule_name: str | None = None
    """None: derived from the migration's name (`MigrationSpec.monitoring_rule`)."""


@dataclass(frozen=True, slots=True)
class MigrationSpec:
    name: str
    strategy: str = "isolated"
    strategy_options: tuple[tuple[str, Any], ...] = ()
    tenant_name_template: str = PLACEHOLDER
    unowned_templates: str = "leave"
    tenant_quota: int = 10_000
    delete_orphaned_tenants: bool = False
    adopt: tuple[str, ...] = ()
    ownership: OwnershipSpec = field(default_factory=OwnershipSpec)
    default_policy: str = "standard"
    tier_policies: tuple[tuple[str, str], ...] = ()
    suppression: tuple[tuple[str, Suppression], ...] = ()
    cohorts: CohortSpec = field(default_factory=CohortSpec)
    gates: GateSpec = field(default_factory=GateSpec)
    monitoring: MonitoringSpec = field(default_factory=MonitoringSpec)

    @property
    def monitoring_rule(self) -> str:
        """The EventBridge rule's name (also the Logs resource policy's): given, or
        `sesmigrate-<name>`, shortened with a hash to fit EventBridge's 64 characters."""
        if self.monitoring.rule_name:
            return self.monitoring.rule_name
        name = f"sesmigrate-{self.name}"
        if len(name) <= 64:
            return name
        return f"{name[:55]}-{hashlib.sha256(self.name.encode()).hexdigest()[:8]}"

    def option(self, key: str, default: Any = None) -> Any:
        return dict(self.strategy_options).get(key, default)

    def policy_for(self, tier: str | None) -> str:
        return dict(self.tier_policies).get(tier or "", self.default_policy)

    def suppression_for(self, tier: str | None) -> Suppression | None:
        """The tier's suppression attributes, else those of `[suppression.default]`, if any."""
        by_tier = dict(self.suppression)
        return by_tier.get(tier or "", by_tier.get("default"))

    def with_overrides(self, **overrides: Any) -> "MigrationSpec":
        """The spec with command-line flags applied (None means the flag was not given)."""
        spec = self
        given = {k: v for k, v in overrides.items() if v is not None}
        if "strategy" in given:
            spec = replace(spec, strategy=given["strategy"])
        if "dedicated_tiers" in given:
            options = dict(spec.strategy_options)
            options["dedicated_tiers"] = tuple(given["dedicated_tiers"])
            spec = replace(spec, strategy_options=tuple(sorted(options.items())))
        spec = replace(spec, cohorts=_cohort_overrides(spec.cohorts, given))
        if given.get("adopt"):
            spec = replace(spec, adopt=tuple(sorted(set(spec.adopt) | set(given["adopt"]))))
        if "delete_orphaned_tenants" in given:
            spec = replace(spec, delete_orphaned_tenants=given["delete_orphaned_tenants"])
        if "monitoring" in given:
            spec = replace(spec, monitoring=replace(spec.monitoring, enabled=given["monitoring"]))
        return spec

    def to_dict(self) -> dict[str, Any]:
        """The spec as the plan records it (TOML-shaped, JSON-safe)."""
        return {
            "name": self.name,
            "strategy": self.strategy,
            "strategy_options": {k: _jsonable(v) for k, v in self.strategy_options},
            "tenant_name_template": self.tenant_name_template,
            "unowned_templates": self.unowned_templates,
            "tenant_quota": self.tenant_quota,
            "delete_orphaned_tenants": self.delete_orphaned_tenants,
            "adopt": list(self.adopt),
            "ownership": {
                "mapping": self.ownership.mapping,
                "name_patterns": list(self.ownership.name_patterns),
                "customer_tag": self.ownership.customer_tag,
                "tier_tag": self.ownership.tier_tag,
            },
            "reputation": {"default": self.default_policy, "tiers": dict(self.tier_policies)},
            "suppression": {
                tier: {"reasons": list(s.reasons), "scope": s.scope} for tier, s in self.suppression
            },
            "cohorts": _cohorts_dict(self.cohorts),
            "gates": {
                "soak_seconds": self.gates.soak_seconds,
                "allow_reinstated": self.gates.allow_reinstated,
                "account_enforcement": self.gates.account_enforcement,
                "metrics": self.gates.metrics,
                "bounce_rate_max": self.gates.bounce_rate_max,
                "complaint_rate_max": self.gates.complaint_rate_max,
                "min_sends": self.gates.min_sends,
                "window_seconds": self.gates.window_seconds,
                "count": self.gates.count,
                "interval_seconds": self.gates.interval_seconds,
                "failure_limit": self.gates.failure_limit,
                "inconclusive_limit": self.gates.inconclusive_limit,
                "account_bounce_rate_max": self.gates.account_bounce_rate_max,
                "account_complaint_rate_max": self.gates.account_complaint_rate_max,
                "tiers": self.gates.tiers_dict(),
            },
            "monitoring": {
                "enabled": self.monitoring.enabled,
                "log_group": self.monitoring.log_group,
                "rule_name": self.monitoring.rule_name,
            },
        }


_FLAGS = {"wave_size": "--wave-size", "waves": "--waves", "growth": "--growth"}


def _cohort_overrides(cohorts: CohortSpec, given: dict[str, Any]) -> CohortSpec:
    """A sizing flag replaces the spec's sizing; two sizing flags at once are an error."""
    sizing = [key for key in _FLAGS if key in given]
    if len(sizing) > 1:
        flags = " and ".join(_FLAGS[key] for key in sizing)
        raise SesmigrateError(f"{flags} both size the waves; give one of them")
    if "canary" in given:
        cohorts = replace(cohorts, canary=given["canary"])
    if not sizing:
        return cohorts
    key = sizing[0]
    try:
        value = {
            "wave_size": check_wave_size,
            "waves": parse_waves,
            "growth": check_growth,
        }[key](given[key])
    except ValueError as exc:
        raise SesmigrateError(f"{_FLAGS[key]}: {exc}") from None
    plain = CohortSpec(canary=cohorts.canary)
    return replace(plain, **{key: value})


def _cohorts_dict(cohorts: CohortSpec) -> dict[str, Any]:
    """Only the sizing in use, so the plan records the choice that was made."""
    sized: dict[str, Any] = {
        "wave_size": cohorts.wave_size,
        "waves": [percent(w) for w in cohorts.waves],
        "growth": cohorts.growth,
        "by_tier": True,
    }
    return {"canary": cohorts.canary, cohorts.sizing: sized[cohorts.sizing]}


TIER_KEYS = ("bounce_rate_max", "complaint_rate_max", "min_sends")
"""The metric conditions a `[gates.tiers.NAME]` table may override."""
METRIC_KEYS = (
    *TIER_KEYS,
    "window_seconds",
    "count",
    "interval_seconds",
    "failure_limit",
    "inconclusive_limit",
    "account_bounce_rate_max",
    "account_complaint_rate_max",
    "tiers",
)
"""The `[gates]` keys of the metric conditions: setting any turns them on."""
RATE = "a fraction from 0 to 1 (0.05 is 5%)"


def _gates(top: "_Table") -> GateSpec:
    gates = top.table("gates")
    given = any(key in gates.data for key in METRIC_KEYS)
    soak = gates.take("soak_seconds", (int, float), 0.0, "a number of seconds >= 0")
    if not math.isfinite(soak) or soak < 0:
        raise gates.fail(f"gates.soak_seconds must be a number of seconds >= 0, got {soak!r}")
    rates = {
        key: _rate(gates, key, default)
        for key, default in (
            ("bounce_rate_max", 0.05),
            ("complaint_rate_max", 0.001),
            ("account_bounce_rate_max", 0.05),
            ("account_complaint_rate_max", 0.001),
        )
    }
    window = gates.take("window_seconds", (int, float), 3600.0, "a number of seconds > 0")
    if not math.isfinite(window) or window <= 0:
        raise gates.fail(f"gates.window_seconds must be a number of seconds > 0, got {window!r}")
    interval = gates.take("interval_seconds", (int, float), 300.0, "a number of seconds > 0")
    if not math.isfinite(interval) or interval <= 0:
        raise gates.fail(
            f"gates.interval_seconds must be a number of seconds > 0, got {interval!r}"
        )
    count = gates.number("count", 1, 1)
    limits = {key: gates.number(key, 0, 0) for key in ("failure_limit", "inconclusive_limit")}
    for key, limit in limits.items():
        if limit >= count:
            raise gates.fail(
                f"gates.{key} must be below gates.count ({count}), got {limit}: the gate "
                "could never stop"
            )
    tiers = gates.table("tiers")
    overrides = []
    for tier in sorted(tiers.data):
        table = tiers.table(tier)
        min_sends = table.take("min_sends", int, None, "an integer >= 1")
        if min_sends is not None and min_sends < 1:
            raise table.fail(f"{table.key('min_sends')} must be an integer >= 1, got {min_sends!r}")
        tier_gates = TierGates(
            bounce_rate_max=_rate(table, "bounce_rate_max", None),
            complaint_rate_max=_rate(table, "complaint_rate_max", None),
            min_sends=min_sends,
        )
        table.done()
        if tier_gates == TierGates():
            raise table.fail(f"{table.path} sets none of {', '.join(TIER_KEYS)}")
        overrides.append((tier, tier_gates))
    tiers.done()
    spec = GateSpec(
        soak_seconds=float(soak),
        count=count,
        interval_seconds=float(interval),
        **limits,
        allow_reinstated=gates.take("allow_reinstated", bool, True, "true or false"),
        account_enforcement=gates.take("account_enforcement", bool, True, "true or false"),
        metrics=gates.take("metrics", bool, given, "true or false"),
        min_sends=gates.number("min_sends", 200, 1),
        window_seconds=float(window),
        tiers=tuple(overrides),
        **rates,
    )
    gates.done()
    return spec


def _rate(table: "_Table", key: str, default: float | None) -> Any:
    """A maximum rate of `table`: a fraction from 0 to 1 (`default` when not given)."""
    rate = table.take(key, (int, float), default, RATE)
    if rate is None:
        return None
    if not 0 <= rate <= 1:
        raise table.fail(f"{table.key(key)} must be {RATE}, got {rate!r}")
    return float(rate)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class _Table:
    """One TOML table being read: every key read is checked, every key left over is an error
    that names the closest key the table knows, or the table the key belongs in."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        self.source, self.path = source, path
        if not isinstance(data, dict):
            raise self.fail(f"{path or 'the spec'} must be a table")
        self.data: dict[str, Any] = dict(data)
        self.known: set[str] = set()
        self.children: dict[str, _Table] = {}

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, problem: str) -> SpecError:
        return SpecError(self.source, problem)

    def take(self, name: str, kind: type | tuple[type, ...], default: Any, what: str) -> Any:
        self.known.add(name)
        if name not in self.data:
            return default
        value = self.data.pop(name)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if value is None and default is None:
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(f"{self.key(name)} must be {what}, got {value!r}")
        return value

    def text(self, name: str, default: str | None, choices: tuple[str, ...] = ()) -> Any:
        value = self.take(name, str, default, "a string")
        if choices and value is not None and value not in choices:
            raise self.fail(
                f"{self.key(name)} must be one of {', '.join(choices)}, got {value!r}"
                + did_you_mean(value, choices)
            )
        return value

    def number(self, name: str, default: int, minimum: int) -> int:
        value = self.take(name, int, default, f"an integer >= {minimum}")
        if value < minimum:
            raise self.fail(f"{self.key(name)} must be an integer >= {minimum}, got {value!r}")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.take(name, list, [], "a list of strings")
        if not all(isinstance(item, str) and item for item in value):
            raise self.fail(f"{self.key(name)} must be a list of non-empty strings")
        return tuple(value)

    def table(self, name: str) -> "_Table":
        self.known.add(name)
        child = _Table(self.data.pop(name, {}), self.key(name), self.source)
        self.children[name] = child
        return child

    def done(self) -> None:
        if self.data:
            unknown = ", ".join(self.key(k) + self.hint(k) for k in sorted(self.data))
            raise self.fail(f"unknown key {unknown}")

    def hint(self, name: str) -> str:
        """Why `name` is unknown here: a typo of a known key, or a key of another table."""
        typo = did_you_mean(name, self.known)
        if typo:
            return typo
        homes = [c.path for c in self.children.values() if name in c.known]
        return f" (it belongs in [{homes[0]}])" if homes else ""


def parse_spec(text: str, source: str) -> MigrationSpec:
    """A spec from TOML text; any problem is one `SpecError` naming the key."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(source, f"not valid TOML: {exc}") from None
    return spec_from_mapping(document, source)


def spec_from_mapping(document: Mapping[str, Any], source: str) -> MigrationSpec:
    top = _Table(document, "", source)
    strategy = top.text("strategy", "isolated")
    name = top.text("name", None) or default_name(strategy)
    if not MIGRATION_NAME.fullmatch(name):
        raise top.fail(
            f"name must be 1-128 letters, digits, '.', '_' or '-' (starting with a letter or "
            f"digit), got {name!r}"
        )
    template = top.text("tenant_name_template", PLACEHOLDER)
    try:
        check_template(template)
    except TenantNameError as exc:
        raise top.fail(f"tenant_name_template: {exc}") from None
    options = top.table("strategy_options")
    strategy_options = tuple(sorted((k, _frozen(v)) for k, v in options.data.items()))
    options.data.clear()
    ownership = top.table("ownership")
    ownership_spec = OwnershipSpec(
        mapping=ownership.text("mapping", None),
        name_patterns=ownership.strings("name_patterns"),
        customer_tag=ownership.text("customer_tag", "customer"),
        tier_tag=ownership.text("tier_tag", "tier"),
    )
    ownership.done()
    reputation = top.table("reputation")
    default_policy = reputation.text("default", "standard", POLICIES)
    tiers = reputation.table("tiers")
    tier_policies = tuple(
        sorted((tier, tiers.text(tier, None, POLICIES)) for tier in list(tiers.data))
    )
    tiers.done()
    reputation.done()
    suppression = top.table("suppression")
    suppressions = []
    for tier in sorted(suppression.data):
        table = suppression.table(tier)
        reasons = table.strings("reasons")
        for reason in reasons:
            if reason not in ("BOUNCE", "COMPLAINT"):
                raise table.fail(
                    f"{table.key('reasons')} may hold BOUNCE and COMPLAINT, got {reason!r}"
                    + did_you_mean(reason.upper(), ("BOUNCE", "COMPLAINT"))
                )
        scope = table.text("scope", None, ("ACCOUNT", "TENANT"))
        table.done()
        suppressions.append((tier, Suppression(tuple(sorted(set(reasons))), scope)))
    suppression.done()
    cohort_spec = _cohorts(top)
    gate_spec = _gates(top)
    monitoring_spec = _monitoring(top)
    spec = MigrationSpec(
        name=name,
        strategy=strategy,
        strategy_options=strategy_options,
        tenant_name_template=template,
        unowned_templates=top.text("unowned_templates", "leave", UNOWNED_TEMPLATE_CHOICES),
        tenant_quota=top.number("tenant_quota", 10_000, 1),
        delete_orphaned_tenants=top.take("delete_orphaned_tenants", bool, False, "true or false"),
        adopt=tuple(sorted(set(top.strings("adopt")))),
        ownership=ownership_spec,
        default_policy=default_policy,
        tier_policies=tier_policies,
        suppression=tuple(suppressions),
        cohorts=cohort_spec,
        gates=gate_spec,
        monitoring=monitoring_spec,
    )
    top.done()
    return spec


def _cohorts(top: _Table) -> CohortSpec:
    """The `[cohorts]` table: the canary and at most one way of sizing the waves."""
    cohorts = top.table("cohorts")
    sizing = [
        key
        for key in SIZINGS
        if key in cohorts.data and not (key == "by_tier" and cohorts.data[key] is False)
    ]
    if len(sizing) > 1:
        keys = " and ".join(cohorts.key(key) for key in sizing)
        raise cohorts.fail(f"{keys} both size the waves; give one of them")
    canary = cohorts.number("canary", DEFAULT_CANARY, 0)
    wave_size = cohorts.take("wave_size", int, None, "an integer >= 1")
    if wave_size is not None and wave_size < 1:
        raise cohorts.fail(f"cohorts.wave_size must be an integer >= 1, got {wave_size!r}")
    waves: tuple[float, ...] = ()
    growth = DEFAULT_GROWTH
    cohorts.known.add("growth")  # popped below, not taken: known for a typo's hint
    try:
        if "waves" in sizing:
            waves = parse_waves(cohorts.take("waves", list, [], "a list of percentages"))
        if "growth" in sizing:
            growth = check_growth(cohorts.data.pop("growth"))
    except ValueError as exc:
        raise cohorts.fail(f"cohorts.{sizing[0]}: {exc}") from None
    spec = CohortSpec(
        canary=canary,
        wave_size=wave_size,
        waves=waves,
        growth=growth,
        by_tier=cohorts.take("by_tier", bool, False, "true or false"),
    )
    cohorts.done()
    return spec


def _monitoring(top: _Table) -> MonitoringSpec:
    """The `[monitoring]` table: present means on, unless it says `enabled = false`."""
    present = "monitoring" in top.data
    monitoring = top.table("monitoring")
    log_group = monitoring.text("log_group", DEFAULT_LOG_GROUP)
    if not LOG_GROUP_NAME.fullmatch(log_group):
        raise monitoring.fail(
            f"monitoring.log_group must be 1-512 letters, digits or . - _ / #, got {log_group!r}"
        )
    if log_group.startswith("aws/"):
        raise monitoring.fail(
            f"monitoring.log_group may not start with aws/ (CloudWatch Logs reserves it), "
            f"got {log_group!r}"
        )
    rule_name = monitoring.text("rule_name", None)
    if rule_name is not None and not RULE_NAME.fullmatch(rule_name):
        raise monitoring.fail(
            f"monitoring.rule_name must be 1-64 letters, digits or . - _, got {rule_name!r}"
        )
    spec = MonitoringSpec(
        enabled=monitoring.take("enabled", bool, present, "true or false"),
        log_group=log_group,
        rule_name=rule_name,
    )
    monitoring.done()
    return spec


def default_name(strategy: str) -> str:
    """A migration name from the strategy: its last dotted component, made name-safe."""
    last = re.split(r"[:.]", strategy)[-1] or "migration"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", last).lstrip("._-") or "migration"


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value
