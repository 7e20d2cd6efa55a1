"""Tenant names: valid, readable, and a function of the customer id alone.

A tenant name must match `^[A-Za-z0-9_-]{1,64}$` (SES says so in words; botocore does not
check it). It must also never change when other customers come and go, or a re-plan would
rename existing tenants. So the name depends on the id and the template only:

- the readable form transliterates to ASCII and lowercases ("Müller & Söhne GmbH" ->
  "muller-sohne-gmbh"); case sensitivity of tenant names is undocumented, so names never
  rely on case;
- when the readable form is not the id itself (or merely looks like a hashed name), a
  short stable hash of the id is appended ("acme.io" -> "acme-io-3f9c1a"), so two ids with
  the same readable form still get different names;
- a name too long for 64 characters is truncated and always carries the hash; when the
  readable form is empty (an id with no Latin letters) or truncated, the hash alone must
  tell ids apart, so it is longer (12 hex digits, 48 bits).
"""

import hashlib
import re
import unicodedata
from functools import cache

from ..errors import SesmigrateError
from .suggest import did_you_mean

TENANT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_LENGTH = 64
HASH_LENGTH = 6
LONG_HASH_LENGTH = 12
PLACEHOLDER = "{customer}"
_HASHED = re.compile(rf"-(?:[0-9a-f]{{{HASH_LENGTH}}}|[0-9a-f]{{{LONG_HASH_LENGTH}}})$")


class TenantNameError(SesmigrateError):
    """A tenant-name template that cannot give valid names."""


def readable(customer_id: str) -> str:
    """Lowercase ASCII letters, digits, `_` and single hyphens; may be empty."""
    ascii_text = unicodedata.normalize("NFKD", customer_id).encode("ascii", "ignore").decode()
    kept = re.sub(r"[^a-z0-9_]+", "-", ascii_text.lower())
    return kept.strip("-")


def short_hash(customer_id: str, length: int = HASH_LENGTH) -> str:
    digest = hashlib.sha256(customer_id.encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:length]


PLACEHOLDERS = {
    PLACEHOLDER: "the customer id, made a valid name; for a shared tenant tier-NAME or group-NAME"
}
"""Every placeholder a tenant-name template may use, with what it stands for."""


def placeholders() -> str:
    """The placeholders, said for an error message."""
    return "; ".join(f"{name} ({meaning})" for name, meaning in PLACEHOLDERS.items())


@cache
def check_template(template: str) -> str:
    """A template is `{customer}` with an optional valid prefix and suffix."""
    for found in re.findall(r"\{[^{}]*\}", template):
        if found not in PLACEHOLDERS:
            hint = did_you_mean(found, PLACEHOLDERS)
            raise TenantNameError(
                f"tenant name template {template!r} has the unknown placeholder {found}{hint}; "
                f"the placeholders are: {placeholders()}"
            )
    if template.count(PLACEHOLDER) != 1:
        raise TenantNameError(
            f"tenant name template {template!r} must contain {PLACEHOLDER} exactly once; "
            f"the placeholders are: {placeholders()}"
        )
    fixed = template.replace(PLACEHOLDER, "")
    if fixed and not re.fullmatch(r"[A-Za-z0-9_-]+", fixed):
        raise TenantNameError(
            f"tenant name template {template!r} may add only letters, digits, '-' and '_'"
        )
    if len(fixed) > MAX_LENGTH - LONG_HASH_LENGTH - 2:
        raise TenantNameError(f"tenant name template {template!r} leaves no room for the name")
    return template


def tenant_name(customer_id: str, template: str = PLACEHOLDER) -> str:
    """The tenant name for `customer_id`: the same id always gives the same name."""
    if not customer_id:
        raise TenantNameError("a customer id must not be empty")
    check_template(template)
    room = MAX_LENGTH - (len(template) - len(PLACEHOLDER))
    base = readable(customer_id)
    needs_hash = base != customer_id or _HASHED.search(base) is not None or len(base) > room
    if needs_hash:
        truncated = len(base) > room - HASH_LENGTH - 1
        length = LONG_HASH_LENGTH if truncated or not base else HASH_LENGTH
        suffix = short_hash(customer_id, length)
        base = base[: room - length - 1].rstrip("-")
        base = f"{base}-{suffix}" if base else f"t-{suffix}"
    name = template.replace(PLACEHOLDER, base)
    if not TENANT_NAME.match(name):
        raise TenantNameError(f"tenant name {name!r} for {customer_id!r} is not valid")
    return name
