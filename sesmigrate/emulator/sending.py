"""Tenant-aware sending: the send-time rules that prove a migration interrupts no mail.

Without `TenantName` a send works as it always has. With it, SES accepts the message only
if the tenant exists, its aggregate sending status allows sending, and the identity, the
configuration set (given, or the identity's default) and any template are all associated
with it. AWS does not document which error each failed check returns; the emulator picks
the closest of SendEmail's modeled errors (assumptions, see ses-tenants.md §8):

- unknown tenant, configuration set or template: NotFoundException;
- tenant or configuration set paused: SendingPausedException;
- a resource not associated with the tenant, or an unverified sender: MessageRejected;
- a tenant send with no configuration set at all: BadRequestException;
- any send while the account's enforcement status is SHUTDOWN: SendingPausedException.

Each accepted message publishes SES's CloudWatch metrics (`metrics`).
"""

from email.utils import parseaddr
from typing import TYPE_CHECKING

from moto.ses.utils import get_random_message_id

from .exceptions import (
    BadRequestException,
    MessageRejected,
    NotFoundException,
    SendingPausedException,
)
from .records import SentMessage

if TYPE_CHECKING:
    from .models import EmulatorBackend

    _Base = EmulatorBackend
else:
    _Base = object

MAX_RECIPIENTS = 50


class TenantSending(_Base):
    """SendEmail and SendBulkEmail with the tenant checks; accepted mail is kept in `sent`."""

    def send_email_v2(
        self,
        from_address: str,
        recipients: list[str],
        configuration_set_name: str | None,
        tenant_name: str | None,
        template_name: str | None,
    ) -> str:
        """Check every send-time rule, record the message and return its id."""
        identity, config_set = self._check_send(
            from_address, recipients, configuration_set_name, tenant_name, template_name
        )
        return self._record(
            from_address, identity, config_set, tenant_name, template_name, recipients
        )

    def _record(
        self,
        from_address: str,
        identity: str,
        config_set: str | None,
        tenant_name: str | None,
        template_name: str | None,
        recipients: list[str],
    ) -> str:
        """Keep an accepted message; the quota counts recipients, with v1's sends (one counter)."""
        message_id = get_random_message_id()
        self.core_backend.sent_message_count += len(recipients)
        self.sent.append(
            SentMessage(
                message_id,
                from_address,
                identity,
                config_set,
                tenant_name,
                template_name,
                tuple(recipients),
            )
        )
        self.publish_send(tenant_name, recipients)
        return message_id

    def _check_send(
        self,
        from_address: str,
        recipients: list[str],
        configuration_set_name: str | None,
        tenant_name: str | None,
        template_name: str | None,
    ) -> tuple[str, str | None]:
        self._check_recipients(recipients)
        return self._check_request(from_address, configuration_set_name, tenant_name, template_name)

    @staticmethod
    def _check_recipients(recipients: list[str]) -> None:
        if not recipients:
            raise BadRequestException("At least one recipient is required.")
        if len(recipients) > MAX_RECIPIENTS:
            raise MessageRejected(f"A message can have at most {MAX_RECIPIENTS} recipients.")

    def _check_request(
        self,
        from_address: str,
        configuration_set_name: str | None,
        tenant_name: str | None,
        template_name: str | None,
    ) -> tuple[str, str | None]:
        if self.enforcement_status == "SHUTDOWN":
            raise SendingPausedException(
                "Sending is paused for this account: its enforcement status is SHUTDOWN."
            )
        identity_name = self._sending_identity(from_address)
        identity = self.core_backend.email_identities[identity_name]
        config_set_name = configuration_set_name or identity.configuration_set_name
        if config_set_name is not None:
            config_set = self._configuration_set(config_set_name)
            if not self.sending_enabled(config_set):
                raise SendingPausedException(
                    f"Sending is paused for configuration set {config_set_name}."
                )
        if template_name is not None:
            self.get_email_template(template_name)
        if tenant_name is not None:
            self._check_tenant_send(tenant_name, identity_name, config_set_name, template_name)
        return identity_name, config_set_name

    def _sending_identity(self, from_address: str) -> str:
        """The verified identity that covers the From address: the address, else its domain."""
        _, address = parseaddr(from_address)
        identities = self.core_backend.email_identities
        domain = address.rpartition("@")[2]
        for candidate in (address, domain):
            if candidate in identities and identities[candidate].verification_status == "SUCCESS":
                return candidate
        raise MessageRejected(f"Email address is not verified: {address}")

    def _check_tenant_send(
        self,
        tenant_name: str,
        identity_name: str,
        config_set_name: str | None,
        template_name: str | None,
    ) -> None:
        tenant = self.get_tenant(tenant_name)
        if self.tenant_sending_status(tenant) == "DISABLED":
            raise SendingPausedException(f"Sending is paused for tenant {tenant_name}.")
        if config_set_name is None:
            raise BadRequestException(
                "A configuration set is required to send with a tenant: name one or give the "
                "identity a default configuration set."
            )
        associated = self.associations[tenant_name]
        needed = [
            ("identity", identity_name),
            ("configuration-set", config_set_name),
            *([("template", template_name)] if template_name else []),
        ]
        for kind, name in needed:
            if self.arn(kind, name) not in associated:
                raise MessageRejected(
                    f"The {kind.replace('-', ' ')} {name} is not associated with tenant "
                    f"{tenant_name}."
                )

    def send_bulk_email_v2(
        self,
        from_address: str,
        entries: list[list[str]],
        configuration_set_name: str | None,
        tenant_name: str | None,
        template_name: str,
    ) -> list[dict[str, str]]:
        """One result per entry, as SES gives: request-wide rules (sender, configuration set,
        tenant, template) fail the whole request; an entry's own recipients fail that entry."""
        if not entries:
            raise BadRequestException("BulkEmailEntries must not be empty.")
        identity, config_set = self._check_request(
            from_address, configuration_set_name, tenant_name, template_name
        )
        results = []
        for recipients in entries:
            try:
                self._check_recipients(recipients)
            except (BadRequestException, MessageRejected) as refused:
                status = "INVALID_PARAMETER" if recipients == [] else "MESSAGE_REJECTED"
                results.append({"Status": status, "Error": refused.message})
                continue
            message_id = self._record(
                from_address, identity, config_set, tenant_name, template_name, recipients
            )
            results.append({"Status": "SUCCESS", "MessageId": message_id})
        return results

    def resolve_template(self, template_name: str | None, template_arn: str | None) -> str | None:
        """The template a send names, by name or by ARN."""
        if template_arn is not None:
            prefix = self.arn("template", "")
            if not template_arn.startswith(prefix):
                raise NotFoundException(f"Template {template_arn} does not exist.")
            return template_arn[len(prefix) :]
        return template_name
