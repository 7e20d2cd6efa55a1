"""A realistic multi-customer SES account from a seed, for the demo, tests and benchmarks.

The account is an ISV sending for N customers across the free, pro and vip tiers, with
what real accounts have and a migration must cope with:

- customers tagged `customer`/`tier` on their identities and configuration sets, some with
  a domain identity only and some with an extra email-address identity;
- customer ids that are not valid tenant names (dots, spaces, capitals, accents);
- one configuration set shared by every free-tier customer, on a shared dedicated pool;
- a configuration set of its own for each pro customer, and for each vip customer one on a
  dedicated pool of its own;
- templates of the pro and vip customers (tagged), and shared templates nobody owns;
- a few untagged resources and an identity whose verification is still pending;
- one hand-made tenant that predates the migration.

`realistic_account` is pure (a seeded RNG, no I/O); `load_account` writes the result into
an emulator backend through its operation methods, so the state is exactly what the same
calls through the API would make.
"""

import random
import unicodedata
from dataclasses import dataclass

from ..planning.snapshot import (
    AccountInfo,
    ConfigurationSet,
    DedicatedIpPool,
    EmailTemplate,
    Identity,
    Inventory,
)
from .models import EmulatorBackend

TIERS = ("free", "pro", "vip")
SHARED_FREE_CONFIGURATION_SET = "free-tier-shared"
SHARED_FREE_POOL = "shared-free-pool"
HANDMADE_TENANT = "legacy-handmade"
_STEMS = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "wonka",
    "gringotts",
    "oscorp",
    "aperture",
    "monarch",
    "duff",
    "nakatomi",
    "massive",
    "pied-piper",
)
_STYLES = ("{stem}-{n}", "{stem}.io-{n}", "{Stem} Corp {n}", "{Stem}_{n}", "Müller & Söhne {n}")


@dataclass(frozen=True, slots=True)
class IdentitySpec:
    name: str
    configuration_set: str | None
    tags: tuple[tuple[str, str], ...]
    verified: bool = True


@dataclass(frozen=True, slots=True)
class ConfigurationSetSpec:
    name: str
    pool: str | None
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class PoolSpec:
    name: str
    scaling_mode: str
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    name: str
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TenantSpec:
    name: str
    tags: tuple[tuple[str, str], ...]
    identities: tuple[str, ...]
    configuration_sets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomerSpec:
    """Who the generator made, for tests to compare a scan's ownership against."""

    customer_id: str
    tier: str
    identities: tuple[str, ...]
    configuration_sets: tuple[str, ...]
    templates: tuple[str, ...]
    pools: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountSpec:
    customers: tuple[CustomerSpec, ...]
    pools: tuple[PoolSpec, ...]
    configuration_sets: tuple[ConfigurationSetSpec, ...]
    identities: tuple[IdentitySpec, ...]
    templates: tuple[TemplateSpec, ...]
    tenants: tuple[TenantSpec, ...]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(ch if ch.isalnum() else "-" for ch in ascii_text.lower())
    return "-".join(part for part in kept.split("-") if part)


def _tags(customer: str | None, tier: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((key, value) for key, value in (("customer", customer), ("tier", tier)) if value)


def realistic_account(customers: int = 40, seed: int = 7) -> AccountSpec:
    """The account of an ISV with `customers` customers; the same seed gives the same account."""
    if customers < 1:
        raise ValueError(f"an account needs at least one customer, not {customers}")
    rng = random.Random(seed)
    pools = [PoolSpec(SHARED_FREE_POOL, "MANAGED", (("tier", "free"),))]
    config_sets = [
        ConfigurationSetSpec(SHARED_FREE_CONFIGURATION_SET, SHARED_FREE_POOL, (("tier", "free"),))
    ]
    identities: list[IdentitySpec] = []
    templates: list[TemplateSpec] = []
    made: list[CustomerSpec] = []
    for n in range(1, customers + 1):
        stem = rng.choice(_STEMS)
        customer_id = rng.choice(_STYLES).format(stem=stem, Stem=stem.title(), n=n)
        tier = "vip" if n % 10 == 1 else rng.choices(("free", "pro"), weights=(65, 35))[0]
        slug = _slug(customer_id)
        tags = _tags(customer_id, tier)
        own_pools: tuple[str, ...] = ()
        if tier == "free":
            config_set = SHARED_FREE_CONFIGURATION_SET
            own_sets: tuple[str, ...] = ()
        else:
            config_set = f"{slug}-{tier}"
            own_sets = (config_set,)
            pool = None
            if tier == "vip":
                pool = f"{slug}-dedicated"
                pools.append(PoolSpec(pool, rng.choice(("STANDARD", "MANAGED")), tags))
                own_pools = (pool,)
            config_sets.append(ConfigurationSetSpec(config_set, pool, tags))
        names = [f"{slug}.example.com"]
        if rng.random() < 0.3:
            names.append(f"notifications@{slug}-mail.example.net")
        identities.extend(IdentitySpec(name, config_set, tags) for name in names)
        own_templates: tuple[str, ...] = ()
        if tier != "free":
            own_templates = (f"{slug}-welcome",)
            templates.append(TemplateSpec(own_templates[0], tags))
        made.append(
            CustomerSpec(
                customer_id,
                tier,
                tuple(names),
                own_sets or (SHARED_FREE_CONFIGURATION_SET,),
                own_templates,
                own_pools or ((SHARED_FREE_POOL,) if tier == "free" else ()),
            )
        )
    config_sets.append(ConfigurationSetSpec("legacy-marketing", None, ()))
    identities.append(IdentitySpec("legacy-marketing.example.org", "legacy-marketing", ()))
    identities.append(IdentitySpec("ops-alerts@example.org", None, ()))
    identities.append(
        IdentitySpec("pending-onboarding.example.com", None, (("tier", "pro"),), verified=False)
    )
    templates.extend(TemplateSpec(name, ()) for name in ("password-reset", "invoice-ready"))
    first = made[0]
    tenants = (
        TenantSpec(
            HANDMADE_TENANT,
            (("owner", "platform-team"),),
            (first.identities[0],),
            first.configuration_sets[:1],
        ),
    )
    return AccountSpec(
        customers=tuple(made),
        pools=tuple(pools),
        configuration_sets=tuple(config_sets),
        identities=tuple(identities),
        templates=tuple(templates),
        tenants=tenants,
    )


def _tag_list(tags: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags]


def load_account(backend: EmulatorBackend, account: AccountSpec) -> None:
    """Create every resource of `account` in `backend`, in dependency order."""
    for pool in account.pools:
        backend.create_dedicated_ip_pool(pool.name, _tag_list(pool.tags), pool.scaling_mode)
    for config_set in account.configuration_sets:
        delivery = {"SendingPoolName": config_set.pool} if config_set.pool else {}
        backend.create_configuration_set(
            config_set.name,
            {},
            delivery,
            {},
            {"SendingEnabled": True},
            _tag_list(config_set.tags),
            {},
            {},
        )
    for identity in account.identities:
        made = backend.create_email_identity(
            identity.name, _tag_list(identity.tags), None, identity.configuration_set
        )
        backend.set_identity_verification(made, "SUCCESS" if identity.verified else "PENDING")
    for template in account.templates:
        content = {"Subject": f"{template.name} {{{{name}}}}", "Text": "Hello {{name}}"}
        backend.create_email_template(template.name, content, _tag_list(template.tags))
    for tenant in account.tenants:
        backend.create_tenant(tenant.name, _tag_list(tenant.tags), None, None)
        for name in tenant.identities:
            backend.create_tenant_resource_association(tenant.name, backend.arn("identity", name))
        for name in tenant.configuration_sets:
            backend.create_tenant_resource_association(
                tenant.name, backend.arn("configuration-set", name)
            )


def as_inventory(account: AccountSpec) -> Inventory:
    """The inventory a scan of `account` would give (without tenants), with no emulator:
    for planning benchmarks and tests at sizes an emulator would take minutes to load."""
    return Inventory(
        account=AccountInfo("123456789012", "us-east-1", "aws", 50_000.0, 14.0, True, True),
        identities=tuple(
            Identity(
                i.name,
                "EMAIL_ADDRESS" if "@" in i.name else "DOMAIN",
                "SUCCESS" if i.verified else "PENDING",
                i.verified,
                True,
                i.configuration_set,
                tuple(sorted(i.tags)),
            )
            for i in sorted(account.identities, key=lambda i: i.name)
        ),
        configuration_sets=tuple(
            ConfigurationSet(
                c.name, c.pool, True, None, (), None, False, None, tuple(sorted(c.tags))
            )
            for c in sorted(account.configuration_sets, key=lambda c: c.name)
        ),
        pools=tuple(
            DedicatedIpPool(p.name, p.scaling_mode, tuple(sorted(p.tags)))
            for p in sorted(account.pools, key=lambda p: p.name)
        ),
        templates=tuple(
            EmailTemplate(t.name, tuple(sorted(t.tags)))
            for t in sorted(account.templates, key=lambda t: t.name)
        ),
        tenants=(),
    )
