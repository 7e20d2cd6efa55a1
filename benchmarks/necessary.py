"""The calls a phased migration cannot do without, and the floor they set at SES's rates.

Pure, and independent of sesmigrate's code on purpose: the benchmark judges sesmigrate's
call counts and durations against this model, so the model must not be derived from what
sesmigrate happens to call. SES limits management calls per operation, so a phase whose
calls run side by side lasts at least as long as its busiest operation needs (its calls
over its rate), or all its calls over an account-wide rate if that is slower. A phased
journey is a sequence of such phases (a cohort's changes wait for its verification, a
cohort for the one before), so its floor is their sum, not the total over one rate.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PAGE_SIZES = {
    "ListEmailIdentities": 1000,
    "ListConfigurationSets": 1000,
    "ListDedicatedIpPools": 1000,
    "ListEmailTemplates": 100,
    "ListTenants": 100,
    "ListTenantResources": 100,
    "ListReputationEntities": 100,
}
"""The largest page SES gives for each list."""
VERIFICATION_LISTS = (
    "ListEmailIdentities",
    "ListConfigurationSets",
    "ListTenants",
    "ListEmailTemplates",
)
"""What a cohort's verification lists: enough to see names taken, gone or new since the plan."""

FORMULA = (
    "floor = sum over phases p of max( max over operations o of necessary(p, o) / (limit(o) x h),"
    " sum over o of necessary(p, o) / (account limit x h) );"
    " phases = scan, then for each cohort: its verification, its changes;"
    " necessary(scan) = list pages + one read per identity, configuration set, pool, template,"
    " tenant (+ its resource pages);"
    " necessary(verification) = pages of ListEmailIdentities and ListConfigurationSets (1,000),"
    " ListTenants and ListEmailTemplates (100) + one Get per cohort identity, configuration set,"
    " template;"
    " necessary(changes) = CreateTenant per tenant + CreateTenantResourceAssociation per resource"
    " + UpdateReputationEntityPolicy per non-standard policy; h = headroom"
)


@dataclass(frozen=True, slots=True)
class AccountShape:
    """How many of each resource the account holds before the migration."""

    identities: int
    configuration_sets: int
    templates: int = 0
    pools: int = 0
    tenants: int = 0


@dataclass(frozen=True, slots=True)
class CohortShape:
    """What one cohort changes: the tenants it creates and its customers' resources."""

    name: str
    tenants: int
    identities: int
    configuration_sets: int
    templates: int = 0
    policy_changes: int = 0
    """Tenants whose planned reputation policy is not `standard`, SES's default for a new one."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The server's limits, and the share of them a polite client may use (`headroom`)."""

    op_rate: float | None = None
    """Calls a second allowed to every operation, each on its own."""
    account_rate: float | None = None
    """Calls a second allowed to all operations together."""
    headroom: float = 1.0

    def __post_init__(self) -> None:
        if self.op_rate is None and self.account_rate is None:
            raise ValueError("a floor needs a per-operation or an account-wide limit")
        if not 0 < self.headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], not {self.headroom}")


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    calls: Counter[str]


def pages(items: int, operation: str) -> int:
    """A list is read at least once, even when empty."""
    return max(1, math.ceil(items / PAGE_SIZES[operation]))


def scan_calls(account: AccountShape) -> Counter[str]:
    """A full read of the account: every list, then one read per resource it lists."""
    calls = Counter(
        {
            "GetAccount": 1,
            "ListEmailIdentities": pages(account.identities, "ListEmailIdentities"),
            "GetEmailIdentity": account.identities,
            "ListConfigurationSets": pages(account.configuration_sets, "ListConfigurationSets"),
            "GetConfigurationSet": account.configuration_sets,
            "ListDedicatedIpPools": pages(account.pools, "ListDedicatedIpPools"),
            "GetDedicatedIpPool": account.pools,
            "ListEmailTemplates": pages(account.templates, "ListEmailTemplates"),
            "GetEmailTemplate": account.templates,
            "ListTenants": pages(account.tenants, "ListTenants"),
            "GetTenant": account.tenants,
            "ListTenantResources": account.tenants,
        }
    )
    return +calls


def verification_calls(account: AccountShape, cohort: CohortShape, tenants: int) -> Counter[str]:
    """The lists, with `tenants` the tenants there are by then, and the cohort's own reads."""
    listed = {
        "ListEmailIdentities": account.identities,
        "ListConfigurationSets": account.configuration_sets,
        "ListTenants": tenants,
        "ListEmailTemplates": account.templates,
    }
    calls = Counter({op: pages(listed[op], op) for op in VERIFICATION_LISTS})
    calls.update(
        {
            "GetEmailIdentity": cohort.identities,
            "GetConfigurationSet": cohort.configuration_sets,
            "GetEmailTemplate": cohort.templates,
        }
    )
    return +calls


def change_calls(cohort: CohortShape) -> Counter[str]:
    resources = cohort.identities + cohort.configuration_sets + cohort.templates
    calls = Counter(
        {
            "CreateTenant": cohort.tenants,
            "CreateTenantResourceAssociation": resources,
            "UpdateReputationEntityPolicy": cohort.policy_changes,
        }
    )
    return +calls


def journey(account: AccountShape, cohorts: Iterable[CohortShape]) -> list[Phase]:
    """Scan, then each cohort's verification and changes, in the order they run."""
    phases = [Phase("scan", scan_calls(account))]
    tenants = account.tenants
    for cohort in cohorts:
        phases.append(Phase(f"{cohort.name} verify", verification_calls(account, cohort, tenants)))
        phases.append(Phase(f"{cohort.name} changes", change_calls(cohort)))
        tenants += cohort.tenants
    return phases


def busiest(calls: Mapping[str, int]) -> str | None:
    """Under one rate for every operation, the operation with the most calls."""
    return max(calls, key=lambda op: (calls[op], op), default=None)


def phase_floor(calls: Mapping[str, int], limits: Limits) -> float:
    seconds = 0.0
    if limits.op_rate is not None and calls:
        seconds = max(calls.values()) / (limits.op_rate * limits.headroom)
    if limits.account_rate is not None:
        seconds = max(seconds, sum(calls.values()) / (limits.account_rate * limits.headroom))
    return seconds


def floor(phases: Iterable[Phase], limits: Limits) -> float:
    return sum(phase_floor(phase.calls, limits) for phase in phases)


def total_calls(phases: Iterable[Phase]) -> Counter[str]:
    total: Counter[str] = Counter()
    for phase in phases:
        total.update(phase.calls)
    return total


ONBOARD_FORMULA = (
    "floor = max over operations o of sum over sign-ups s of necessary(s, o) / limit(o);"
    " necessary(s) = CreateEmailIdentity + CreateConfigurationSet (the platform's sign-up)"
    " + one page each of ListEmailIdentities and ListConfigurationSets (1,000), ListTenants"
    " and ListEmailTemplates (100) + GetEmailIdentity and GetConfigurationSet of the"
    " customer's own identity and configuration set (earlier customers are in the state)"
    " + CreateTenant (its tags go with it; policy standard: no UpdateReputationEntityPolicy)"
    " + CreateTenantResourceAssociation per resource (identity, configuration set);"
    " the same whether the sign-ups run one after another or side by side;"
    " a sign-up delivered twice adds, for its second delivery, the two creation attempts,"
    " the lists, the reads of its resources and of its tenant (GetTenant, ListTenantResources,"
    " GetReputationEntity),"
    " and no write"
)


def onboarding_calls(account: AccountShape, identities: int = 1, sets: int = 1) -> Counter[str]:
    """One sign-up onto an isolated migration: the platform creates the customer's identity
    and its default configuration set, then the onboarding lists the account, reads the
    customer's own resources, creates its tenant and associates each resource. `account`
    is the account as the onboarding finds it (its tenants counted)."""
    listed = {
        "ListEmailIdentities": account.identities,
        "ListConfigurationSets": account.configuration_sets,
        "ListTenants": account.tenants,
        "ListEmailTemplates": account.templates,
    }
    calls = Counter({op: pages(listed[op], op) for op in VERIFICATION_LISTS})
    calls.update(
        {
            "CreateEmailIdentity": identities,
            "CreateConfigurationSet": sets,
            "GetEmailIdentity": identities,
            "GetConfigurationSet": sets,
            "CreateTenant": 1,
            "CreateTenantResourceAssociation": identities + sets,
        }
    )
    return +calls


def sign_ups(account: AccountShape, customers: int) -> Counter[str]:
    """`customers` sign-ups in turn, each onto the account the previous ones left."""
    total: Counter[str] = Counter()
    for n in range(customers):
        grown = AccountShape(
            identities=account.identities + n + 1,
            configuration_sets=account.configuration_sets + n + 1,
            templates=account.templates,
            pools=account.pools,
            tenants=account.tenants + n,
        )
        total.update(onboarding_calls(grown))
    return total


def redelivered_calls() -> Counter[str]:
    """A sign-up's second delivery: it tries to create what is made, and finds its tenant
    complete by reading what the first one needed plus the tenant's tags, associations and
    reputation policy."""
    return Counter(
        {
            "CreateEmailIdentity": 1,
            "CreateConfigurationSet": 1,
            **{op: 1 for op in VERIFICATION_LISTS},
            "GetEmailIdentity": 1,
            "GetConfigurationSet": 1,
            "GetTenant": 1,
            "ListTenantResources": 1,
            "GetReputationEntity": 1,
        }
    )
