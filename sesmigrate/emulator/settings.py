"""The SES v2 operations a migration's users touch beside tenants, which moto lacks.

Configuration-set options and event destinations (Terraform's provider sets them on every
apply), the suppression list with its per-tenant scope, ListRecommendations (how SES shows a
tenant's reputation findings), DKIM signing attributes and template rendering.

Assumptions where AWS documents nothing (ses-tenants.md §8):
- a finding raised with the emulator's knob is a recommendation of type BOUNCE, OPEN while
  the finding is active, for the tenant's ARN; closing the findings removes them;
- a suppressed destination with `TenantName` lives in that tenant's list only; an unknown
  tenant answers NotFoundException;
- TestRenderEmailTemplate substitutes `{{name}}` from TemplateData and leaves unknown
  names empty, as SES's renderer does.
"""

import json
import re
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from .exceptions import AlreadyExistsException, BadRequestException, NotFoundException
from .paging import page

if TYPE_CHECKING:
    from .models import EmulatorBackend

    _Base = EmulatorBackend
else:
    _Base = object

SUPPRESSION_REASONS = ("BOUNCE", "COMPLAINT")
_RECOMMENDATION_FILTERS = ("TYPE", "IMPACT", "STATUS", "RESOURCE_ARN")
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")
_MOTO_ATTRIBUTES = {
    "TrackingOptions": "tracking_options",
    "ReputationOptions": "reputation_options",
    "SuppressionOptions": "suppression_options",
    "VdmOptions": "vdm_options",
}
"""Options moto's configuration set keeps itself (the others are kept beside it)."""


@dataclass(frozen=True)
class SuppressedDestination:
    email_address: str
    reason: str
    tenant_name: str | None
    updated: float

    def summary(self) -> dict[str, Any]:
        return {
            "EmailAddress": self.email_address,
            "Reason": self.reason,
            "LastUpdateTime": self.updated,
        }

    def to_dict(self) -> dict[str, Any]:
        wire = {**self.summary(), "Attributes": {}}
        if self.tenant_name is not None:
            wire["TenantName"] = self.tenant_name
        return wire


class SettingsOperations(_Base):
    """Configuration-set options, event destinations, suppression, recommendations, DKIM."""

    # --- configuration sets --------------------------------------------------------

    def put_configuration_set_sending_options(self, name: str, enabled: bool) -> None:
        self._configuration_set(name).enabled = bool(enabled)

    def put_configuration_set_options(self, name: str, kind: str, options: dict[str, Any]) -> None:
        """Tracking, reputation, suppression, VDM and archiving options, kept as given."""
        config_set = self._configuration_set(name)
        attribute = _MOTO_ATTRIBUTES.get(kind)
        if attribute is None:
            self.configuration_set_options.setdefault(name, {})[kind] = options
        else:
            setattr(config_set, attribute, options)

    def update_configuration_set(self, name: str, changes: dict[str, Any]) -> None:
        """A partial update: only the attributes given change."""
        self._configuration_set(name)
        self.configuration_set_options.setdefault(name, {}).update(changes)

    def event_destinations_of(self, name: str) -> dict[str, dict[str, Any]]:
        self._configuration_set(name)
        return self.event_destinations.setdefault(name, {})

    def create_configuration_set_event_destination(
        self, name: str, destination_name: str, destination: dict[str, Any]
    ) -> None:
        destinations = self.event_destinations_of(name)
        if destination_name in destinations:
            raise AlreadyExistsException(
                f"Event destination {destination_name} already exists in {name}."
            )
        destinations[destination_name] = _destination(destination_name, destination)

    def update_configuration_set_event_destination(
        self, name: str, destination_name: str, destination: dict[str, Any]
    ) -> None:
        destinations = self.event_destinations_of(name)
        if destination_name not in destinations:
            raise NotFoundException(f"Event destination {destination_name} does not exist.")
        destinations[destination_name] = _destination(destination_name, destination)

    def delete_configuration_set_event_destination(self, name: str, destination_name: str) -> None:
        if self.event_destinations_of(name).pop(destination_name, None) is None:
            raise NotFoundException(f"Event destination {destination_name} does not exist.")

    # --- suppression list ----------------------------------------------------------

    def _suppression_key(self, email: str, tenant_name: str | None) -> tuple[str, str]:
        if tenant_name is not None:
            self.get_tenant(tenant_name)
        return (tenant_name or "", email.lower())

    def put_suppressed_destination(self, email: str, reason: str, tenant_name: str | None) -> None:
        if reason not in SUPPRESSION_REASONS:
            raise BadRequestException(f"Reason must be one of {SUPPRESSION_REASONS}.")
        key = self._suppression_key(email, tenant_name)
        self.suppressed[key] = SuppressedDestination(email, reason, tenant_name, time.time())

    def get_suppressed_destination(
        self, email: str, tenant_name: str | None
    ) -> SuppressedDestination:
        key = self._suppression_key(email, tenant_name)
        if key not in self.suppressed:
            raise NotFoundException(f"{email} is not on the suppression list.")
        return self.suppressed[key]

    def delete_suppressed_destination(self, email: str, tenant_name: str | None) -> None:
        self.get_suppressed_destination(email, tenant_name)
        del self.suppressed[self._suppression_key(email, tenant_name)]

    def list_suppressed_destinations(
        self,
        tenant_name: str | None,
        reasons: list[str] | None,
        next_token: str | None,
        page_size: int | None,
    ) -> tuple[list[SuppressedDestination], str | None]:
        scope = self._suppression_key("", tenant_name)[0]
        found = [
            entry
            for (tenant, _), entry in self.suppressed.items()
            if tenant == scope and (not reasons or entry.reason in reasons)
        ]
        return page(
            found,
            lambda e: e.email_address,
            next_token,
            page_size,
            default_size=1000,
            max_size=1000,
        )

    # --- recommendations -----------------------------------------------------------

    def list_recommendations(
        self, filters: dict[str, str], next_token: str | None, page_size: int | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        self._check_filters(filters, _RECOMMENDATION_FILTERS)
        found = [
            recommendation
            for entity in self.reputation.values()
            for index, impact in enumerate(entity.findings)
            for recommendation in [
                {
                    "ResourceArn": entity.reference,
                    "Type": "BOUNCE",
                    "Description": f"A {impact} impact reputation finding is open.",
                    "Status": "OPEN",
                    "CreatedTimestamp": entity.customer.updated,
                    "LastUpdatedTimestamp": entity.customer.updated,
                    "Impact": impact,
                    "_key": f"{entity.reference}#{index:06d}",
                }
            ]
            if all(recommendation[_FILTER_FIELDS[key]] == value for key, value in filters.items())
        ]
        chunk, token = page(
            found, lambda r: r["_key"], next_token, page_size, default_size=100, max_size=100
        )
        return [{k: v for k, v in r.items() if k != "_key"} for r in chunk], token

    # --- identities ----------------------------------------------------------------

    def put_email_identity_dkim_signing_attributes(
        self, email_identity: str, origin: str, attributes: dict[str, Any] | None
    ) -> dict[str, Any]:
        identity = self.get_email_identity(email_identity)
        if origin == "EXTERNAL" and not (attributes or {}).get("DomainSigningPrivateKey"):
            raise BadRequestException(
                "SigningAttributes with a DomainSigningSelector and DomainSigningPrivateKey "
                "are required for EXTERNAL signing."
            )
        dkim = identity.dkim_attributes
        dkim["SigningAttributesOrigin"] = origin
        dkim["SigningEnabled"] = True
        if origin == "EXTERNAL":
            dkim["Status"] = "PENDING"
            dkim["Tokens"] = []
        else:
            dkim["Status"] = dkim.get("Status") if dkim.get("Tokens") else "PENDING"
            dkim["Tokens"] = dkim.get("Tokens") or dkim_tokens()
        if (attributes or {}).get("NextSigningKeyLength"):
            dkim["NextSigningKeyLength"] = attributes["NextSigningKeyLength"]  # type: ignore[index]
        return {"DkimStatus": dkim["Status"], "DkimTokens": dkim["Tokens"]}

    # --- templates -----------------------------------------------------------------

    def test_render_email_template(self, template_name: str, template_data: str) -> str:
        template = self.get_email_template(template_name)
        try:
            data = json.loads(template_data)
        except ValueError:
            raise BadRequestException("TemplateData is not valid JSON.") from None
        if not isinstance(data, dict):
            raise BadRequestException("TemplateData must be a JSON object.")

        def render(text: str | None) -> str:
            return _PLACEHOLDER.sub(lambda m: str(data.get(m.group(1), "")), text or "")

        message = EmailMessage()
        message["Subject"] = render(template.subject)
        message.set_content(render(template.text))
        if template.html:
            message.add_alternative(render(template.html), subtype="html")
        return message.as_string()


_FILTER_FIELDS = {
    "TYPE": "Type",
    "IMPACT": "Impact",
    "STATUS": "Status",
    "RESOURCE_ARN": "ResourceArn",
}


def dkim_tokens() -> list[str]:
    """Three Easy DKIM tokens, as SES gives a new domain identity."""
    return [uuid.uuid4().hex for _ in range(3)]


def _destination(name: str, definition: dict[str, Any]) -> dict[str, Any]:
    if not definition.get("MatchingEventTypes"):
        raise BadRequestException("MatchingEventTypes must name at least one event type.")
    return {"Name": name, "Enabled": definition.get("Enabled", False), **definition}
