"""The emulator's records of tenants, associations, reputation entities and v2 templates.

Plain mutable records owned by one backend; each knows its wire shape (`to_dict`), so
that the response layer only dumps what the backend returns. Timestamps are epoch
seconds, as SES sends them.
"""

from dataclasses import dataclass, field

SENDING_STATUSES = ("ENABLED", "REINSTATED", "DISABLED")
IMPACTS = ("LOW", "HIGH")


@dataclass
class StatusRecord:
    """One side (customer-managed or AWS-managed) of a reputation entity's sending status."""

    status: str
    cause: str | None
    updated: float

    def to_dict(self) -> dict[str, object]:
        wire: dict[str, object] = {"Status": self.status, "LastUpdatedTimestamp": self.updated}
        if self.cause:
            wire["Cause"] = self.cause
        return wire


@dataclass
class ReputationEntity:
    """A tenant's reputation entity: its policy, both statuses and its active findings."""

    reference: str
    policy: str
    customer: StatusRecord
    aws: StatusRecord
    findings: list[str] = field(default_factory=list)

    @property
    def impact(self) -> str | None:
        """The highest impact among the active findings, as SES reports it."""
        if "HIGH" in self.findings:
            return "HIGH"
        return "LOW" if self.findings else None

    @property
    def aggregate(self) -> str:
        """DISABLED if either side is; REINSTATED if either side reinstated; else ENABLED."""
        sides = (self.customer.status, self.aws.status)
        if "DISABLED" in sides:
            return "DISABLED"
        if "REINSTATED" in sides:
            return "REINSTATED"
        return "ENABLED"

    def to_dict(self) -> dict[str, object]:
        wire: dict[str, object] = {
            "ReputationEntityReference": self.reference,
            "ReputationEntityType": "RESOURCE",
            "ReputationManagementPolicy": self.policy,
            "CustomerManagedStatus": self.customer.to_dict(),
            "AwsSesManagedStatus": self.aws.to_dict(),
            "SendingStatusAggregate": self.aggregate,
        }
        if self.impact:
            wire["ReputationImpact"] = self.impact
        return wire


@dataclass
class Tenant:
    """A tenant as CreateTenant made it; its status lives in its reputation entity."""

    name: str
    tenant_id: str
    arn: str
    created: float
    suppressed_reasons: list[str] = field(default_factory=list)
    suppression_scope: str | None = None

    def info(self, sending_status: str) -> dict[str, object]:
        """The ListTenants shape (no tags, no suppression attributes)."""
        return {
            "TenantName": self.name,
            "TenantId": self.tenant_id,
            "TenantArn": self.arn,
            "CreatedTimestamp": self.created,
            "SendingStatus": sending_status,
        }

    def to_dict(self, sending_status: str, tags: list[dict[str, str]]) -> dict[str, object]:
        """The CreateTenant / GetTenant shape."""
        suppression: dict[str, object] = {"SuppressedReasons": list(self.suppressed_reasons)}
        if self.suppression_scope:
            suppression["SuppressionScope"] = self.suppression_scope
        return {**self.info(sending_status), "Tags": tags, "SuppressionAttributes": suppression}


@dataclass(frozen=True)
class Association:
    """One resource associated with one tenant."""

    resource_arn: str
    resource_type: str
    associated: float


@dataclass
class EmailTemplate:
    """A v2 email template."""

    name: str
    subject: str | None
    text: str | None
    html: str | None
    created: float

    def content(self) -> dict[str, str]:
        parts = {"Subject": self.subject, "Text": self.text, "Html": self.html}
        return {key: value for key, value in parts.items() if value is not None}


@dataclass(frozen=True)
class SentMessage:
    """A message the emulator accepted, kept so tests can see who sent what through which tenant."""

    message_id: str
    from_address: str
    identity: str
    configuration_set: str | None
    tenant: str | None
    template: str | None
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class SendQuota:
    """The account's sending quota, which tenants share (GetAccount)."""

    max_24_hour_send: float
    max_send_rate: float
