"""Corrections to moto's identities, configuration sets, dedicated IP pools and tags.

moto 5.2 gets several of these wrong in ways a migration would trip on (ses-tenants.md §7):
identity tags stored under `email-identity/` instead of `identity/`, duplicates silently
overwritten, KeyErrors for missing objects, a configuration set's SendingEnabled lost,
pools without a ScalingMode, tag calls that succeed on ARNs that do not exist, and identities
verified the moment they are created (SES makes them PENDING, a domain with three DKIM
tokens, until its checks conclude: the `identity/verify` knob or `--auto-verify`). The
mixin below overrides exactly those operations and keeps moto's store (the SES v1 backend),
so everything else moto does keeps working.
"""

from typing import TYPE_CHECKING, Any

from moto.ses.models import ConfigurationSet, DedicatedIpPool, EmailIdentity

from .exceptions import AlreadyExistsException, BadRequestException, NotFoundException
from .paging import page
from .settings import dkim_tokens

VERIFICATION_STATUSES = ("PENDING", "SUCCESS", "FAILED", "TEMPORARY_FAILURE", "NOT_STARTED")

_IDENTITY_FILTERS = {
    "IDENTITY_NAME_CONTAINS": None,
    "IDENTITY_TYPE": ("EMAIL_ADDRESS", "DOMAIN", "MANAGED_DOMAIN"),
    "VERIFICATION_STATUS": VERIFICATION_STATUSES,
}
_CONFIGURATION_SET_FILTERS = {"CONFIGURATION_SET_NAME_CONTAINS": None}
MAX_LIST_PAGE = 1000

if TYPE_CHECKING:
    from .models import EmulatorBackend

    _Base = EmulatorBackend
else:
    _Base = object


class ResourceCorrections(_Base):
    """Faithful identity, configuration set, pool and tag operations over moto's store."""

    # --- identities ----------------------------------------------------------------

    def create_email_identity(
        self,
        email_identity: str,
        tags: list[dict[str, str]] | None,
        dkim_signing_attributes: object | None,
        configuration_set_name: str | None,
    ) -> EmailIdentity:
        store = self.core_backend.email_identities
        if email_identity in store:
            raise AlreadyExistsException(f"Email identity {email_identity} already exists.")
        if configuration_set_name is not None:
            self._configuration_set(configuration_set_name)
        identity = EmailIdentity(
            email_identity, None, dkim_signing_attributes, configuration_set_name
        )
        if identity.identity_type == "DOMAIN":
            identity.dkim_attributes.update(
                SigningEnabled=True, Tokens=dkim_tokens(), NextSigningKeyLength="RSA_2048_BIT"
            )
        self.set_identity_verification(identity, "SUCCESS" if self.auto_verify else "PENDING")
        self._set_tags(self.arn("identity", email_identity), tags)
        store[email_identity] = identity
        return identity

    @staticmethod
    def set_identity_verification(identity: EmailIdentity, status: str) -> None:
        """What SES's checks of the DNS records or the confirmation mail would conclude."""
        if status not in VERIFICATION_STATUSES:
            raise ValueError(f"status must be one of {VERIFICATION_STATUSES}, not {status!r}")
        identity.verification_status = status
        identity.verified_for_sending_status = status == "SUCCESS"
        if identity.dkim_attributes.get("SigningEnabled"):
            identity.dkim_attributes["Status"] = status

    def verify_email_identity(self, email_identity: str, status: str) -> None:
        """The operator knob: conclude a pending verification (or undo one)."""
        self.set_identity_verification(self.get_email_identity(email_identity), status)

    def delete_email_identity(self, email_identity: str) -> None:
        self.get_email_identity(email_identity)
        self.refuse_if_associated(self.arn("identity", email_identity))
        del self.core_backend.email_identities[email_identity]
        self.forget_resource(self.arn("identity", email_identity))

    def put_email_identity_configuration_set_attributes(
        self, email_identity: str, configuration_set_name: str | None
    ) -> None:
        identity = self.get_email_identity(email_identity)
        if configuration_set_name is not None:
            self._configuration_set(configuration_set_name)
        identity.configuration_set_name = configuration_set_name

    def list_email_identities_filtered(
        self, filters: dict[str, str], next_token: str | None, page_size: int | None
    ) -> tuple[list[EmailIdentity], str | None]:
        """ListEmailIdentities with the newer generation's `Filter` (an older client sends none)."""
        _check_list_filters(filters, _IDENTITY_FILTERS)
        found = [
            identity
            for identity in self.core_backend.email_identities.values()
            if filters.get("IDENTITY_NAME_CONTAINS", "") in identity.email_identity
            and filters.get("IDENTITY_TYPE") in (None, identity.identity_type)
            and filters.get("VERIFICATION_STATUS") in (None, identity.verification_status)
        ]
        return page(
            found,
            lambda i: i.email_identity,
            next_token,
            page_size,
            default_size=100,
            max_size=MAX_LIST_PAGE,
        )

    def identity_to_dict(self, identity: EmailIdentity) -> dict[str, Any]:
        """The GetEmailIdentity shape, tags read from where TagResource writes them."""
        dkim = {
            key: value
            for key, value in identity.dkim_attributes.items()
            if key != "LastKeyGenerationTimestamp"
        }
        wire: dict[str, Any] = {
            "IdentityType": identity.identity_type,
            "FeedbackForwardingStatus": identity.feedback_forwarding_status,
            "VerifiedForSendingStatus": identity.verified_for_sending_status,
            "DkimAttributes": dkim,
            "Policies": identity.policies,
            "Tags": self.tags_of(self.arn("identity", identity.email_identity)),
            "VerificationStatus": identity.verification_status,
        }
        if identity.configuration_set_name:
            wire["ConfigurationSetName"] = identity.configuration_set_name
        return wire

    # --- configuration sets --------------------------------------------------------

    def _configuration_set(self, name: str) -> ConfigurationSet:
        if name not in self.core_backend.config_sets:
            raise NotFoundException(f"Configuration set <{name}> does not exist.")
        return self.core_backend.config_sets[name]

    def list_configuration_sets_filtered(
        self, filters: dict[str, str], next_token: str | None, page_size: int | None
    ) -> tuple[list[ConfigurationSet], str | None]:
        _check_list_filters(filters, _CONFIGURATION_SET_FILTERS)
        found = [
            config_set
            for config_set in self.core_backend.config_sets.values()
            if filters.get("CONFIGURATION_SET_NAME_CONTAINS", "")
            in config_set.configuration_set_name
        ]
        return page(
            found,
            lambda c: c.configuration_set_name,
            next_token,
            page_size,
            default_size=100,
            max_size=MAX_LIST_PAGE,
        )

    def create_configuration_set(
        self,
        configuration_set_name: str,
        tracking_options: dict[str, str],
        delivery_options: dict[str, Any],
        reputation_options: dict[str, Any],
        sending_options: dict[str, bool],
        tags: list[dict[str, str]],
        suppression_options: dict[str, list[str]],
        vdm_options: dict[str, dict[str, str]],
    ) -> None:
        if configuration_set_name in self.core_backend.config_sets:
            raise AlreadyExistsException(
                f"Configuration set {configuration_set_name} already exists."
            )
        pool = (delivery_options or {}).get("SendingPoolName")
        if pool is not None:
            self.get_dedicated_ip_pool(pool)
        self._set_tags(self.arn("configuration-set", configuration_set_name), tags)
        config_set = ConfigurationSet(
            configuration_set_name=configuration_set_name,
            tracking_options=tracking_options,
            delivery_options=delivery_options,
            reputation_options=reputation_options,
            tags=None,
            suppression_options=suppression_options,
            vdm_options=vdm_options,
        )
        config_set.enabled = (sending_options or {}).get("SendingEnabled", True)
        self.core_backend.config_sets[configuration_set_name] = config_set

    def delete_configuration_set(self, configuration_set_name: str) -> None:
        self._configuration_set(configuration_set_name)
        self.refuse_if_associated(self.arn("configuration-set", configuration_set_name))
        del self.core_backend.config_sets[configuration_set_name]
        self.configuration_set_options.pop(configuration_set_name, None)
        self.event_destinations.pop(configuration_set_name, None)
        self.forget_resource(self.arn("configuration-set", configuration_set_name))

    def put_configuration_set_delivery_options(
        self,
        configuration_set_name: str,
        tls_policy: str | None,
        sending_pool_name: str | None,
        max_delivery_seconds: int | None,
    ) -> None:
        config_set = self._configuration_set(configuration_set_name)
        if sending_pool_name is not None:
            self.get_dedicated_ip_pool(sending_pool_name)
        options = {
            "TlsPolicy": tls_policy,
            "SendingPoolName": sending_pool_name,
            "MaxDeliverySeconds": max_delivery_seconds,
        }
        config_set.delivery_options = {k: v for k, v in options.items() if v is not None}

    def sending_enabled(self, config_set: ConfigurationSet) -> bool:
        """moto keeps a dict here for v1 callers; v2 callers store a bool."""
        enabled = config_set.enabled
        return bool(enabled.get("SendingEnabled", True)) if isinstance(enabled, dict) else enabled

    def configuration_set_to_dict(self, config_set: ConfigurationSet) -> dict[str, Any]:
        name = config_set.configuration_set_name
        parts = {
            "ConfigurationSetName": name,
            "TrackingOptions": config_set.tracking_options,
            "DeliveryOptions": config_set.delivery_options,
            "ReputationOptions": config_set.reputation_options,
            "SendingOptions": {"SendingEnabled": self.sending_enabled(config_set)},
            "Tags": self.tags_of(self.arn("configuration-set", name)),
            "SuppressionOptions": config_set.suppression_options,
            "VdmOptions": config_set.vdm_options,
            **self.configuration_set_options.get(name, {}),
        }
        return {key: value for key, value in parts.items() if value or key == "Tags"}

    # --- dedicated IP pools --------------------------------------------------------

    def create_dedicated_ip_pool(
        self, pool_name: str, tags: list[dict[str, str]], scaling_mode: str | None
    ) -> None:
        if pool_name in self.core_backend.dedicated_ip_pools:
            raise AlreadyExistsException(f"Dedicated IP pool {pool_name} already exists.")
        mode = scaling_mode or "STANDARD"
        if mode not in ("STANDARD", "MANAGED"):
            raise BadRequestException("ScalingMode must be STANDARD or MANAGED.")
        self._set_tags(self.arn("dedicated-ip-pool", pool_name), tags)
        self.core_backend.dedicated_ip_pools[pool_name] = DedicatedIpPool(pool_name, mode, [])

    def delete_dedicated_ip_pool(self, pool_name: str) -> None:
        self.get_dedicated_ip_pool(pool_name)
        del self.core_backend.dedicated_ip_pools[pool_name]
        self.core_backend.tagger.delete_all_tags_for_resource(
            self.arn("dedicated-ip-pool", pool_name)
        )

    # --- tags ------------------------------------------------------------------------

    def _check_exists(self, arn: str) -> None:
        prefix = f"arn:{self.partition}:ses:{self.region_name}:{self.account_id}:"
        kind, _, name = arn.removeprefix(prefix).partition("/")
        stores: dict[str, Any] = {
            "identity": self.core_backend.email_identities,
            "configuration-set": self.core_backend.config_sets,
            "dedicated-ip-pool": self.core_backend.dedicated_ip_pools,
            "contact-list": self.core_backend.contacts_lists,
            "template": self.email_templates,
        }
        if kind == "tenant":
            found = any(tenant.arn == arn for tenant in self.tenants.values())
        else:
            found = name in stores.get(kind, ())
        if not arn.startswith(prefix) or not found:
            raise NotFoundException(f"Resource {arn} does not exist.")

    def list_tags_for_resource(self, resource_arn: str) -> list[dict[str, str]]:
        self._check_exists(resource_arn)
        return self.tags_of(resource_arn)

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        self._check_exists(arn)
        self._set_tags(arn, [{"Key": key, "Value": value} for key, value in tags.items()])

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        self._check_exists(arn)
        self.core_backend.tagger.untag_resource_using_names(arn, tag_keys)


def _check_list_filters(
    filters: dict[str, str], allowed: dict[str, tuple[str, ...] | None]
) -> None:
    for key, value in filters.items():
        if key not in allowed:
            raise BadRequestException(f"Unknown filter key {key}: use one of {sorted(allowed)}.")
        values = allowed[key]
        if not value or (values is not None and value not in values):
            raise BadRequestException(f"The filter {key} needs one of {values or 'a value'}.")
