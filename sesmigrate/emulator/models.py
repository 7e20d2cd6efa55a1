"""SES v2 tenant, association and reputation state: one backend per account and region.

The backend extends moto's `SESV2Backend`, so identities, configuration sets and pools
stay in moto's store (with the faults of ses-tenants.md §7 corrected by `corrections`),
and adds the operations moto lacks. Methods are named for the SES v2 operations and take
typed arguments; rules live here, wire parsing in `responses`.

Assumptions where AWS documents nothing (ses-tenants.md §8), chosen to be strict:
- a new tenant starts with SendingStatus ENABLED and the `standard` reputation policy;
- `Tenant.SendingStatus` mirrors the reputation entity's aggregate status;
- a reputation policy pauses a tenant by setting its customer-managed status to DISABLED
  (so REINSTATED lifts it), `standard` on a HIGH finding and `strict` on any finding;
  changing the policy affects later findings only;
- the reputation updates answer BadRequestException for an unknown entity (the model lists
  no NotFoundException for them);
- a duplicate association answers AlreadyExistsException; deleting a missing one answers
  NotFoundException; associating a dedicated IP pool (or any other type) answers
  BadRequestException;
- list operations take PageSize 1-100 (templates: default 10, others 100);
- deleting an identity or configuration set associated with a tenant fails, as the tenants
  guide says ("Any attempt to delete an identity or configuration set that is associated
  with a tenant will fail"), with BadRequestException "Cannot delete ARN because it has
  tenant associations"; a template is not named there, so deleting an associated template
  works and removes its associations.
"""

import re
import time
import uuid
from typing import Any

from moto.core.base_backend import BackendDict
from moto.sesv2.models import SESV2Backend

from . import events
from .corrections import ResourceCorrections
from .exceptions import (
    AlreadyExistsException,
    BadRequestException,
    LimitExceededException,
    NotFoundException,
)
from .metrics import SendMetrics
from .paging import page
from .records import (
    IMPACTS,
    SENDING_STATUSES,
    Association,
    EmailTemplate,
    ReputationEntity,
    SendQuota,
    SentMessage,
    StatusRecord,
    Tenant,
)
from .sending import TenantSending
from .settings import SettingsOperations, SuppressedDestination

TENANT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
POLICY_NAMES = ("standard", "strict", "none")
DEFAULT_TENANT_QUOTA = 10_000
MAX_TAGS = 50
_RESOURCE_TYPES = {
    "identity": "EMAIL_IDENTITY",
    "configuration-set": "CONFIGURATION_SET",
    "template": "EMAIL_TEMPLATE",
}
_TENANT_FILTERS = ("TENANT_NAME_CONTAINS", "SENDING_STATUS")
_REPUTATION_FILTERS = (
    "ENTITY_TYPE",
    "REPUTATION_IMPACT",
    "SENDING_STATUS",
    "ENTITY_REFERENCE_PREFIX",
)


class EmulatorBackend(
    ResourceCorrections, TenantSending, SendMetrics, SettingsOperations, SESV2Backend
):
    """moto's SES v2 backend plus tenants, associations, reputation and v2 templates."""

    auto_verify = False
    """Whether new identities are verified at once (`set_auto_verify`), for tests and tools
    that do not model DNS; off, they stay PENDING until the `identity/verify` knob."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.tenants: dict[str, Tenant] = {}
        self.associations: dict[str, dict[str, Association]] = {}
        self.reputation: dict[str, ReputationEntity] = {}
        self.email_templates: dict[str, EmailTemplate] = {}
        self.tenant_quota = DEFAULT_TENANT_QUOTA
        self.sent: list[SentMessage] = []
        self.send_quota = SendQuota(max_24_hour_send=50_000.0, max_send_rate=14.0)
        self.configuration_set_options: dict[str, dict[str, Any]] = {}
        self.event_destinations: dict[str, dict[str, dict[str, Any]]] = {}
        self.suppressed: dict[tuple[str, str], SuppressedDestination] = {}

    # --- ARNs and tags -------------------------------------------------------------

    def arn(self, kind: str, name: str) -> str:
        return f"arn:{self.partition}:ses:{self.region_name}:{self.account_id}:{kind}/{name}"

    def policy_arn(self, name: str) -> str:
        return f"arn:{self.partition}:ses:{self.region_name}:aws:reputation-policy/{name}"

    def tags_of(self, arn: str) -> list[dict[str, str]]:
        return list(self.core_backend.tagger.list_tags_for_resource(arn)["Tags"])

    def _set_tags(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        if not tags:
            return
        merged = {**self.core_backend.tagger.get_tag_dict_for_resource(arn)}
        for tag in tags:
            key, value = tag.get("Key"), tag.get("Value")
            if not key or len(key) > 128 or value is None or len(value) > 256:
                raise BadRequestException(
                    "Tag keys must be 1-128 characters and values at most 256 characters."
                )
            merged[key] = value
        if len(merged) > MAX_TAGS:
            raise BadRequestException(f"A resource can have at most {MAX_TAGS} tags.")
        self.core_backend.tagger.tag_resource(arn, tags)

    # --- tenants -------------------------------------------------------------------

    def create_tenant(
        self,
        tenant_name: str,
        tags: list[dict[str, str]] | None,
        suppressed_reasons: list[str] | None,
        suppression_scope: str | None,
    ) -> Tenant:
        if not TENANT_NAME.match(tenant_name):
            raise BadRequestException(
                f"Invalid tenant name {tenant_name!r}: use up to 64 letters, digits, "
                "hyphens and underscores."
            )
        if tenant_name in self.tenants:
            raise AlreadyExistsException(f"Tenant {tenant_name} already exists.")
        if len(self.tenants) >= self.tenant_quota:
            raise LimitExceededException(
                f"The account already has the maximum of {self.tenant_quota} tenants."
            )
        self._check_suppression(suppressed_reasons, suppression_scope)
        tenant_id = f"tn-{uuid.uuid4().hex}"
        now = time.time()
        tenant = Tenant(
            name=tenant_name,
            tenant_id=tenant_id,
            arn=self.arn("tenant", f"{tenant_name}/{tenant_id}"),
            created=now,
            suppressed_reasons=list(suppressed_reasons or []),
            suppression_scope=suppression_scope,
        )
        self._set_tags(tenant.arn, tags)
        self.tenants[tenant_name] = tenant
        self.associations[tenant_name] = {}
        self.reputation[tenant.arn] = ReputationEntity(
            reference=tenant.arn,
            policy=self.policy_arn("standard"),
            customer=StatusRecord("ENABLED", None, now),
            aws=StatusRecord("ENABLED", None, now),
        )
        return tenant

    def get_tenant(self, tenant_name: str) -> Tenant:
        if tenant_name not in self.tenants:
            raise NotFoundException(f"Tenant {tenant_name} does not exist.")
        return self.tenants[tenant_name]

    def tenant_sending_status(self, tenant: Tenant) -> str:
        return self.reputation[tenant.arn].aggregate

    def list_tenants(
        self, filters: dict[str, str], next_token: str | None, page_size: int | None
    ) -> tuple[list[Tenant], str | None]:
        self._check_filters(filters, _TENANT_FILTERS)
        tenants = [
            tenant
            for tenant in self.tenants.values()
            if filters.get("TENANT_NAME_CONTAINS", "") in tenant.name
            and filters.get("SENDING_STATUS") in (None, self.tenant_sending_status(tenant))
        ]
        return page(
            tenants, lambda t: t.name, next_token, page_size, default_size=100, max_size=100
        )

    def delete_tenant(self, tenant_name: str) -> None:
        tenant = self.get_tenant(tenant_name)
        del self.tenants[tenant_name]
        del self.associations[tenant_name]
        del self.reputation[tenant.arn]
        self.core_backend.tagger.delete_all_tags_for_resource(tenant.arn)

    def put_tenant_suppression_attributes(
        self,
        tenant_name: str,
        suppressed_reasons: list[str] | None,
        suppression_scope: str | None,
    ) -> None:
        tenant = self.get_tenant(tenant_name)
        self._check_suppression(suppressed_reasons, suppression_scope)
        tenant.suppressed_reasons = list(suppressed_reasons or [])
        tenant.suppression_scope = suppression_scope

    @staticmethod
    def _check_suppression(reasons: list[str] | None, scope: str | None) -> None:
        if any(reason not in ("BOUNCE", "COMPLAINT") for reason in reasons or []):
            raise BadRequestException("SuppressedReasons may contain only BOUNCE and COMPLAINT.")
        if scope not in (None, "ACCOUNT", "TENANT"):
            raise BadRequestException("SuppressionScope must be ACCOUNT or TENANT.")

    @staticmethod
    def _check_filters(filters: dict[str, str], allowed: tuple[str, ...]) -> None:
        for key, value in filters.items():
            if key not in allowed:
                raise BadRequestException(f"Unknown filter key {key}: use one of {allowed}.")
            if not value:
                raise BadRequestException(f"The filter {key} needs a value.")

    # --- associations --------------------------------------------------------------

    def resource_type(self, resource_arn: str) -> str:
        """The tenant resource type of an ARN whose resource exists here, or an error."""
        match = re.fullmatch(r"arn:[\w-]+:ses:([\w-]+):(\d{12}):([\w-]+)/(.+)", resource_arn)
        if not match:
            raise BadRequestException(f"{resource_arn} is not a valid SES resource ARN.")
        region, account, kind, name = match.groups()
        if kind not in _RESOURCE_TYPES:
            raise BadRequestException(
                f"Resource type {kind} cannot be associated with a tenant: only identities, "
                "configuration sets and email templates can."
            )
        stores = {
            "identity": self.core_backend.email_identities,
            "configuration-set": self.core_backend.config_sets,
            "template": self.email_templates,
        }
        if (region, account) != (self.region_name, self.account_id) or name not in stores[kind]:
            raise NotFoundException(f"Resource {resource_arn} does not exist.")
        return _RESOURCE_TYPES[kind]

    def create_tenant_resource_association(self, tenant_name: str, resource_arn: str) -> None:
        self.get_tenant(tenant_name)
        resource_type = self.resource_type(resource_arn)
        if resource_arn in self.associations[tenant_name]:
            raise AlreadyExistsException(
                f"Resource {resource_arn} is already associated with tenant {tenant_name}."
            )
        self.associations[tenant_name][resource_arn] = Association(
            resource_arn, resource_type, time.time()
        )

    def delete_tenant_resource_association(self, tenant_name: str, resource_arn: str) -> None:
        self.get_tenant(tenant_name)
        if self.associations[tenant_name].pop(resource_arn, None) is None:
            raise NotFoundException(
                f"Resource {resource_arn} is not associated with tenant {tenant_name}."
            )

    def list_tenant_resources(
        self,
        tenant_name: str,
        resource_type: str | None,
        next_token: str | None,
        page_size: int | None,
    ) -> tuple[list[Association], str | None]:
        self.get_tenant(tenant_name)
        if resource_type not in (None, *_RESOURCE_TYPES.values()):
            raise BadRequestException(f"Unknown RESOURCE_TYPE filter value {resource_type}.")
        found = [
            association
            for association in self.associations[tenant_name].values()
            if resource_type in (None, association.resource_type)
        ]
        return page(
            found, lambda a: a.resource_arn, next_token, page_size, default_size=100, max_size=100
        )

    def list_resource_tenants(
        self, resource_arn: str, next_token: str | None, page_size: int | None
    ) -> tuple[list[tuple[Tenant, Association]], str | None]:
        self.resource_type(resource_arn)
        pairs = [
            (self.tenants[name], associations[resource_arn])
            for name, associations in self.associations.items()
            if resource_arn in associations
        ]
        return page(
            pairs, lambda p: p[0].name, next_token, page_size, default_size=100, max_size=100
        )

    def refuse_if_associated(self, resource_arn: str) -> None:
        """SES refuses to delete an identity or configuration set a tenant still uses."""
        if any(resource_arn in associations for associations in self.associations.values()):
            raise BadRequestException(
                f"Cannot delete {resource_arn} because it has tenant associations."
            )

    def forget_resource(self, resource_arn: str) -> None:
        """Drop every association and tag of a resource that was just deleted."""
        for associations in self.associations.values():
            associations.pop(resource_arn, None)
        self.core_backend.tagger.delete_all_tags_for_resource(resource_arn)

    # --- reputation ----------------------------------------------------------------

    def get_reputation_entity(self, entity_type: str, reference: str) -> ReputationEntity:
        if entity_type != "RESOURCE":
            raise BadRequestException("ReputationEntityType must be RESOURCE.")
        if reference not in self.reputation:
            raise NotFoundException(f"Reputation entity {reference} does not exist.")
        return self.reputation[reference]

    def list_reputation_entities(
        self, filters: dict[str, str], next_token: str | None, page_size: int | None
    ) -> tuple[list[ReputationEntity], str | None]:
        self._check_filters(filters, _REPUTATION_FILTERS)
        entities = [
            entity
            for entity in self.reputation.values()
            if filters.get("ENTITY_TYPE") in (None, "RESOURCE")
            and filters.get("REPUTATION_IMPACT") in (None, entity.impact)
            and filters.get("SENDING_STATUS") in (None, entity.aggregate)
            and entity.reference.startswith(filters.get("ENTITY_REFERENCE_PREFIX", ""))
        ]
        return page(
            entities, lambda e: e.reference, next_token, page_size, default_size=100, max_size=100
        )

    def _entity_to_update(self, entity_type: str, reference: str) -> ReputationEntity:
        if entity_type != "RESOURCE" or reference not in self.reputation:
            raise BadRequestException(f"No reputation entity {entity_type} {reference}.")
        return self.reputation[reference]

    def update_reputation_entity_policy(
        self, entity_type: str, reference: str, policy_arn: str
    ) -> None:
        entity = self._entity_to_update(entity_type, reference)
        if policy_arn not in {self.policy_arn(name) for name in POLICY_NAMES}:
            raise BadRequestException(
                f"Unknown reputation policy {policy_arn}: use "
                f"{self.policy_arn('standard')}, .../strict or .../none."
            )
        entity.policy = policy_arn

    def update_reputation_entity_customer_managed_status(
        self, entity_type: str, reference: str, sending_status: str
    ) -> None:
        entity = self._entity_to_update(entity_type, reference)
        if sending_status not in SENDING_STATUSES:
            raise BadRequestException(f"SendingStatus must be one of {SENDING_STATUSES}.")
        before = entity.aggregate
        entity.customer = StatusRecord(sending_status, None, time.time())
        self._announce(entity, before, "CUSTOMER_MANAGED", None)

    def _announce(
        self, entity: ReputationEntity, before: str, origin: str, cause: str | None
    ) -> None:
        """Put a status event on the bus when the aggregate status changed."""
        if entity.aggregate != before:
            events.status_changed(
                self.account_id, self.region_name, entity.reference, entity.aggregate, origin, cause
            )

    # --- operator knobs (not SES operations) ---------------------------------------

    def raise_reputation_finding(self, tenant_name: str, impact: str) -> None:
        """Add an active finding and let the tenant's policy pause it, as SES would."""
        if impact not in IMPACTS:
            raise ValueError(f"impact must be one of {IMPACTS}, not {impact!r}")
        entity = self.reputation[self.get_tenant(tenant_name).arn]
        before = entity.aggregate
        entity.findings.append(impact)
        events.finding(self.account_id, self.region_name, entity.reference, impact, open_=True)
        policy = entity.policy.rsplit("/", 1)[-1]
        pauses = policy == "strict" or (policy == "standard" and impact == "HIGH")
        if pauses and entity.customer.status != "REINSTATED":
            cause = f"Paused by the {policy} reputation policy: {impact} finding"
            entity.customer = StatusRecord("DISABLED", cause, time.time())
            self._announce(entity, before, "REPUTATION_POLICY", cause)

    def clear_reputation_findings(self, tenant_name: str) -> None:
        """Close every finding; a reinstated tenant goes back to ENABLED, as SES does."""
        entity = self.reputation[self.get_tenant(tenant_name).arn]
        before = entity.aggregate
        for impact in entity.findings:
            events.finding(self.account_id, self.region_name, entity.reference, impact, False)
        entity.findings.clear()
        if entity.customer.status == "REINSTATED":
            entity.customer = StatusRecord("ENABLED", None, time.time())
        self._announce(entity, before, "CUSTOMER_MANAGED", None)

    def set_aws_managed_status(self, tenant_name: str, status: str, cause: str | None) -> None:
        """What AWS Trust & Safety would do; the customer cannot change this side."""
        if status not in SENDING_STATUSES:
            raise ValueError(f"status must be one of {SENDING_STATUSES}, not {status!r}")
        entity = self.reputation[self.get_tenant(tenant_name).arn]
        before = entity.aggregate
        entity.aws = StatusRecord(status, cause, time.time())
        self._announce(entity, before, "AWS_SES_MANAGED", cause)

    # --- v2 email templates ----------------------------------------------------------

    def create_email_template(
        self,
        template_name: str,
        content: dict[str, str],
        tags: list[dict[str, str]] | None,
    ) -> None:
        if template_name in self.email_templates:
            raise AlreadyExistsException(f"Template {template_name} already exists.")
        self._set_tags(self.arn("template", template_name), tags)
        self.email_templates[template_name] = EmailTemplate(
            template_name,
            content.get("Subject"),
            content.get("Text"),
            content.get("Html"),
            time.time(),
        )

    def get_email_template(self, template_name: str) -> EmailTemplate:
        if template_name not in self.email_templates:
            raise NotFoundException(f"Template {template_name} does not exist.")
        return self.email_templates[template_name]

    def list_email_templates(
        self, next_token: str | None, page_size: int | None
    ) -> tuple[list[EmailTemplate], str | None]:
        return page(
            list(self.email_templates.values()),
            lambda t: t.name,
            next_token,
            page_size,
            default_size=10,
            max_size=100,
        )

    def update_email_template(self, template_name: str, content: dict[str, str]) -> None:
        template = self.get_email_template(template_name)
        template.subject = content.get("Subject")
        template.text = content.get("Text")
        template.html = content.get("Html")

    def delete_email_template(self, template_name: str) -> None:
        self.get_email_template(template_name)
        del self.email_templates[template_name]
        self.forget_resource(self.arn("template", template_name))


def set_auto_verify(on: bool) -> bool:
    """Verify every identity created from now on, in every account; return the old mode."""
    previous, EmulatorBackend.auto_verify = EmulatorBackend.auto_verify, on
    return previous


emulator_backends = BackendDict(EmulatorBackend, "sesv2")
