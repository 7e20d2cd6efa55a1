"""Wire layer: parse each SES v2 request, make one backend call, dump the result.

No rules here (they live in `models`, `corrections` and `sending`). `_dispatch` is the one
wrapper around every call where the traffic policy applies: latency, throttling and faults
before the backend is touched, and lost answers after it made its change.
"""

import base64
import binascii
import json
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any
from urllib.parse import parse_qs

from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import HTTPException
from moto.core.utils import camelcase_to_underscores, method_names_from_class
from moto.sesv2.responses import SESV2Response
from moto.utilities.aws_headers import gen_amzn_requestid_long

from . import generations
from .exceptions import BadRequestException, InternalFailure, ServiceUnavailable
from .models import EmulatorBackend, emulator_backends
from .traffic import LostKind, TrafficPolicy, active_policy


class DroppedAnswer(ConnectionAbortedError):
    """Raised out of the server's WSGI app to close the socket without an answer: werkzeug
    takes a `ConnectionError` for a dropped connection and writes nothing back, and
    `server` then closes the connection, so the client reads no response at all."""


class EmulatorResponse(SESV2Response):
    """moto's SES v2 responses plus the tenant, reputation, template and account operations."""

    @property
    def sesv2_backend(self) -> EmulatorBackend:
        return emulator_backends[self.current_account][self.region]

    def _dispatch(
        self, request: Any, full_url: str | None = None, headers: Any = None
    ) -> TYPE_RESPONSE:
        self.setup_class(request, full_url, headers)
        action = self._get_action() or ""
        policy = active_policy()
        try:
            policy.admit(self.current_account, action)
        except HTTPException as refused:
            return _error(refused)
        if action and camelcase_to_underscores(action) not in _handlers(type(self)):
            return _error(
                BadRequestException(f"The sesmigrate emulator does not implement {action}.")
            )
        try:
            status, headers_out, body = self.call_action()
        except Exception as crash:
            # The wire boundary: a request the emulator cannot process must answer JSON
            # that names the operation (moto's HTML 500 is retried by every SDK, for minutes).
            return _error(
                BadRequestException(
                    f"{action}: the sesmigrate emulator could not process the request "
                    f"({type(crash).__name__}: {crash})."
                )
            )
        if status < 300 and "content-type" not in {key.lower() for key in headers_out}:
            headers_out["Content-Type"] = "application/json"
        lost = policy.lose(action) if status < 300 else None
        if lost is not None:
            return self._lose(lost, policy, (status, headers_out, body))
        return status, headers_out, body

    def _lose(self, kind: LostKind, policy: TrafficPolicy, answer: TYPE_RESPONSE) -> TYPE_RESPONSE:
        """Lose the answer of a call that made its change, as the client would see it.

        Over HTTP the socket does it: a drop closes the connection unanswered and a slow
        answer is sent after the client stopped reading. In process there is no socket,
        so botocore's own errors stand in, raised through moto's stub into botocore's
        send, which takes them for the transport's: ConnectionClosedError for a drop and,
        after the delay, ReadTimeoutError for a slow answer (slow means longer than the
        client's read timeout)."""
        if kind == "500":
            return _error(InternalFailure("An internal error occurred (injected lost answer)."))
        if kind == "503":
            return _error(ServiceUnavailable("Service unavailable (injected lost answer)."))
        over_http = self.is_werkzeug_request
        if kind == "slow":
            policy.clock.sleep(policy.slow_s)
            if over_http:
                return answer
            raise ReadTimeoutError(endpoint_url=self.uri, error="injected slow answer")
        if over_http:
            raise DroppedAnswer("injected dropped connection")
        raise ConnectionClosedError(endpoint_url=self.uri, error="injected dropped connection")

    def _get_action(self) -> str:
        """The operation, in whichever wire generation the client speaks (see `generations`)."""
        request = self.normalized_request
        form = generations.match(request.method, request.path)
        if form is not None:
            return form.operation
        return super()._get_action()

    def _body(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def _input(self) -> dict[str, Any]:
        """The request's input members from its body and, in an older generation, its query."""
        params = self._body()
        request = self.normalized_request
        form = generations.match(request.method, request.path)
        if form is not None:
            params.update(form.params_from_query(parse_qs(self.parsed_url.query)))
        return params

    def _paged(self, key: str, items: list[Any], next_token: str | None) -> str:
        result: dict[str, Any] = {key: items}
        if next_token:
            result["NextToken"] = next_token
        return json.dumps(result)

    # --- tenants -------------------------------------------------------------------

    def create_tenant(self) -> str:
        params = self._body()
        suppression = params.get("SuppressionAttributes") or {}
        backend = self.sesv2_backend
        tenant = backend.create_tenant(
            tenant_name=params["TenantName"],
            tags=params.get("Tags"),
            suppressed_reasons=suppression.get("SuppressedReasons"),
            suppression_scope=suppression.get("SuppressionScope"),
        )
        return json.dumps(
            tenant.to_dict(backend.tenant_sending_status(tenant), backend.tags_of(tenant.arn))
        )

    def get_tenant(self) -> str:
        backend = self.sesv2_backend
        tenant = backend.get_tenant(self._body()["TenantName"])
        wire = tenant.to_dict(backend.tenant_sending_status(tenant), backend.tags_of(tenant.arn))
        return json.dumps({"Tenant": wire})

    def list_tenants(self) -> str:
        params = self._body()
        backend = self.sesv2_backend
        tenants, token = backend.list_tenants(
            params.get("Filter") or {}, params.get("NextToken"), params.get("PageSize")
        )
        infos = [tenant.info(backend.tenant_sending_status(tenant)) for tenant in tenants]
        return self._paged("Tenants", infos, token)

    def delete_tenant(self) -> str:
        self.sesv2_backend.delete_tenant(self._body()["TenantName"])
        return "{}"

    def put_tenant_suppression_attributes(self) -> str:
        params = self._body()
        self.sesv2_backend.put_tenant_suppression_attributes(
            params["TenantName"], params.get("SuppressedReasons"), params.get("SuppressionScope")
        )
        return "{}"

    # --- associations --------------------------------------------------------------

    def create_tenant_resource_association(self) -> str:
        params = self._body()
        self.sesv2_backend.create_tenant_resource_association(
            params["TenantName"], params["ResourceArn"]
        )
        return "{}"

    def delete_tenant_resource_association(self) -> str:
        params = self._body()
        self.sesv2_backend.delete_tenant_resource_association(
            params["TenantName"], params["ResourceArn"]
        )
        return "{}"

    def list_tenant_resources(self) -> str:
        params = self._body()
        associations, token = self.sesv2_backend.list_tenant_resources(
            params["TenantName"],
            (params.get("Filter") or {}).get("RESOURCE_TYPE"),
            params.get("NextToken"),
            params.get("PageSize"),
        )
        resources = [
            {"ResourceType": a.resource_type, "ResourceArn": a.resource_arn} for a in associations
        ]
        return self._paged("TenantResources", resources, token)

    def list_resource_tenants(self) -> str:
        params = self._body()
        pairs, token = self.sesv2_backend.list_resource_tenants(
            params["ResourceArn"], params.get("NextToken"), params.get("PageSize")
        )
        metadata = [
            {
                "TenantName": tenant.name,
                "TenantId": tenant.tenant_id,
                "ResourceArn": association.resource_arn,
                "AssociatedTimestamp": association.associated,
            }
            for tenant, association in pairs
        ]
        return self._paged("ResourceTenants", metadata, token)

    # --- reputation ----------------------------------------------------------------

    def get_reputation_entity(self) -> str:
        entity = self.sesv2_backend.get_reputation_entity(
            self._get_param("ReputationEntityType"), self._get_param("ReputationEntityReference")
        )
        return json.dumps({"ReputationEntity": entity.to_dict()})

    def list_reputation_entities(self) -> str:
        params = self._body()
        entities, token = self.sesv2_backend.list_reputation_entities(
            params.get("Filter") or {}, params.get("NextToken"), params.get("PageSize")
        )
        return self._paged("ReputationEntities", [e.to_dict() for e in entities], token)

    def update_reputation_entity_policy(self) -> str:
        self.sesv2_backend.update_reputation_entity_policy(
            self._get_param("ReputationEntityType"),
            self._get_param("ReputationEntityReference"),
            self._body()["ReputationEntityPolicy"],
        )
        return "{}"

    def update_reputation_entity_customer_managed_status(self) -> str:
        self.sesv2_backend.update_reputation_entity_customer_managed_status(
            self._get_param("ReputationEntityType"),
            self._get_param("ReputationEntityReference"),
            self._body()["SendingStatus"],
        )
        return "{}"

    # --- v2 email templates ----------------------------------------------------------

    def create_email_template(self) -> str:
        params = self._body()
        self.sesv2_backend.create_email_template(
            params["TemplateName"], params.get("TemplateContent") or {}, params.get("Tags")
        )
        return "{}"

    def get_email_template(self) -> str:
        backend = self.sesv2_backend
        template = backend.get_email_template(self._get_param("TemplateName"))
        return json.dumps(
            {
                "TemplateName": template.name,
                "TemplateContent": template.content(),
                "Tags": backend.tags_of(backend.arn("template", template.name)),
            }
        )

    def list_email_templates(self) -> str:
        templates, token = self.sesv2_backend.list_email_templates(
            self._get_param("NextToken"), self._get_int_param("PageSize")
        )
        metadata = [{"TemplateName": t.name, "CreatedTimestamp": t.created} for t in templates]
        return self._paged("TemplatesMetadata", metadata, token)

    def update_email_template(self) -> str:
        self.sesv2_backend.update_email_template(
            self._get_param("TemplateName"), self._body().get("TemplateContent") or {}
        )
        return "{}"

    def delete_email_template(self) -> str:
        self.sesv2_backend.delete_email_template(self._get_param("TemplateName"))
        return "{}"

    # --- account and sending ---------------------------------------------------------

    def get_account(self) -> str:
        backend = self.sesv2_backend
        quota = backend.send_quota
        return json.dumps(
            {
                "DedicatedIpAutoWarmupEnabled": False,
                "EnforcementStatus": backend.enforcement_status,
                "ProductionAccessEnabled": True,
                "SendQuota": {
                    "Max24HourSend": quota.max_24_hour_send,
                    "MaxSendRate": quota.max_send_rate,
                    "SentLast24Hours": float(backend.core_backend.sent_message_count),
                },
                "SendingEnabled": True,
            }
        )

    def send_email(self) -> str:
        params = self._body()
        destination = params.get("Destination") or {}
        recipients = [
            address
            for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
            for address in destination.get(kind, [])
        ]
        content = params.get("Content") or {}
        from_address = self._from_address(params)
        if "Raw" in content:
            headers = raw_headers(content["Raw"].get("Data", ""))
            if not destination:
                recipients = [
                    address
                    for _, address in getaddresses(
                        [value for key in ("To", "Cc", "Bcc") for value in headers.get_all(key, [])]
                    )
                    if address
                ]
            from_address = from_address or headers.get("From", "")
        template = content.get("Template")
        backend = self.sesv2_backend
        message_id = backend.send_email_v2(
            from_address=from_address,
            recipients=recipients,
            configuration_set_name=params.get("ConfigurationSetName"),
            tenant_name=params.get("TenantName"),
            template_name=backend.resolve_template(
                template.get("TemplateName"), template.get("TemplateArn")
            )
            if template
            else None,
        )
        return json.dumps({"MessageId": message_id})

    def send_bulk_email(self) -> str:
        params = self._body()
        template = (params.get("DefaultContent") or {}).get("Template") or {}
        backend = self.sesv2_backend
        results = backend.send_bulk_email_v2(
            from_address=self._from_address(params),
            entries=[
                [
                    address
                    for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
                    for address in entry.get("Destination", {}).get(kind, [])
                ]
                for entry in params.get("BulkEmailEntries") or []
            ],
            configuration_set_name=params.get("ConfigurationSetName"),
            tenant_name=params.get("TenantName"),
            template_name=backend.resolve_template(
                template.get("TemplateName"), template.get("TemplateArn")
            ),
        )
        return json.dumps({"BulkEmailEntryResults": results})

    def _from_address(self, params: dict[str, Any]) -> str:
        identity_arn = params.get("FromEmailAddressIdentityArn")
        address = params.get("FromEmailAddress")
        if address is None and identity_arn:
            address = identity_arn.rpartition("/")[2]
        return address or ""

    # --- configuration-set options and event destinations ---------------------------

    def put_configuration_set_sending_options(self) -> str:
        self.sesv2_backend.put_configuration_set_sending_options(
            self._get_param("ConfigurationSetName"), self._body().get("SendingEnabled", False)
        )
        return "{}"

    def _put_options(self, kind: str) -> str:
        self.sesv2_backend.put_configuration_set_options(
            self._get_param("ConfigurationSetName"), kind, self._body()
        )
        return "{}"

    def put_configuration_set_tracking_options(self) -> str:
        return self._put_options("TrackingOptions")

    def put_configuration_set_reputation_options(self) -> str:
        return self._put_options("ReputationOptions")

    def put_configuration_set_suppression_options(self) -> str:
        return self._put_options("SuppressionOptions")

    def put_configuration_set_vdm_options(self) -> str:
        return self._put_options("VdmOptions")

    def put_configuration_set_archiving_options(self) -> str:
        return self._put_options("ArchivingOptions")

    def update_configuration_set(self) -> str:
        params = self._body()
        name = params.pop("ConfigurationSetName")
        self.sesv2_backend.update_configuration_set(name, params)
        return "{}"

    def create_configuration_set_event_destination(self) -> str:
        params = self._body()
        self.sesv2_backend.create_configuration_set_event_destination(
            self._get_param("ConfigurationSetName"),
            params["EventDestinationName"],
            params.get("EventDestination") or {},
        )
        return "{}"

    def get_configuration_set_event_destinations(self) -> str:
        destinations = self.sesv2_backend.event_destinations_of(
            self._get_param("ConfigurationSetName")
        )
        return json.dumps({"EventDestinations": list(destinations.values())})

    def update_configuration_set_event_destination(self) -> str:
        self.sesv2_backend.update_configuration_set_event_destination(
            self._get_param("ConfigurationSetName"),
            self._get_param("EventDestinationName"),
            self._body().get("EventDestination") or {},
        )
        return "{}"

    def delete_configuration_set_event_destination(self) -> str:
        self.sesv2_backend.delete_configuration_set_event_destination(
            self._get_param("ConfigurationSetName"), self._get_param("EventDestinationName")
        )
        return "{}"

    # --- suppression list and recommendations ----------------------------------------

    def _query(self, name: str) -> str | None:
        values = parse_qs(self.parsed_url.query).get(name)
        return values[0] if values else None

    def put_suppressed_destination(self) -> str:
        params = self._body()
        self.sesv2_backend.put_suppressed_destination(
            params["EmailAddress"], params["Reason"], params.get("TenantName")
        )
        return "{}"

    def get_suppressed_destination(self) -> str:
        entry = self.sesv2_backend.get_suppressed_destination(
            self.uri_match["EmailAddress"], self._query("TenantName")
        )
        return json.dumps({"SuppressedDestination": entry.to_dict()})

    def delete_suppressed_destination(self) -> str:
        self.sesv2_backend.delete_suppressed_destination(
            self.uri_match["EmailAddress"], self._query("TenantName")
        )
        return "{}"

    def list_suppressed_destinations(self) -> str:
        query = parse_qs(self.parsed_url.query)
        size = self._query("PageSize")
        entries, token = self.sesv2_backend.list_suppressed_destinations(
            self._query("TenantName"),
            query.get("Reason"),
            self._query("NextToken"),
            int(size) if size else None,
        )
        return self._paged("SuppressedDestinationSummaries", [e.summary() for e in entries], token)

    def list_recommendations(self) -> str:
        params = self._body()
        recommendations, token = self.sesv2_backend.list_recommendations(
            params.get("Filter") or {}, params.get("NextToken"), params.get("PageSize")
        )
        return self._paged("Recommendations", recommendations, token)

    # --- DKIM and rendering ------------------------------------------------------------

    def put_email_identity_dkim_signing_attributes(self) -> str:
        params = self._body()
        result = self.sesv2_backend.put_email_identity_dkim_signing_attributes(
            self._get_param("EmailIdentity"),
            params["SigningAttributesOrigin"],
            params.get("SigningAttributes"),
        )
        return json.dumps(result)

    def test_render_email_template(self) -> str:
        rendered = self.sesv2_backend.test_render_email_template(
            self._get_param("TemplateName"), self._body()["TemplateData"]
        )
        return json.dumps({"RenderedTemplate": rendered})

    # --- corrected moto operations -------------------------------------------------

    def list_email_identities(self) -> str:
        params = self._input()
        identities, token = self.sesv2_backend.list_email_identities_filtered(
            params.get("Filter") or {}, params.get("NextToken"), params.get("PageSize")
        )
        return self._paged("EmailIdentities", [i.list_response_object for i in identities], token)

    def list_configuration_sets(self) -> str:
        params = self._input()
        config_sets, token = self.sesv2_backend.list_configuration_sets_filtered(
            params.get("Filter") or {}, params.get("NextToken"), params.get("PageSize")
        )
        names = [c.configuration_set_name for c in config_sets]
        return self._paged("ConfigurationSets", names, token)

    def list_dedicated_ip_pools(self) -> str:
        pools, token = self.sesv2_backend.list_dedicated_ip_pools(
            next_token=self._get_param("NextToken"), page_size=self._get_int_param("PageSize")
        )
        return self._paged("DedicatedIpPools", pools, token)

    def create_email_identity(self) -> str:
        params = self._body()
        identity = self.sesv2_backend.create_email_identity(
            email_identity=params["EmailIdentity"],
            tags=params.get("Tags"),
            dkim_signing_attributes=params.get("DkimSigningAttributes"),
            configuration_set_name=params.get("ConfigurationSetName"),
        )
        wire = self.sesv2_backend.identity_to_dict(identity)
        return json.dumps(
            {
                key: wire[key]
                for key in ("IdentityType", "VerifiedForSendingStatus", "DkimAttributes")
            }
        )

    def get_email_identity(self) -> str:
        backend = self.sesv2_backend
        identity = backend.get_email_identity(self._get_param("EmailIdentity"))
        return json.dumps(backend.identity_to_dict(identity))

    def put_email_identity_configuration_set_attributes(self) -> str:
        self.sesv2_backend.put_email_identity_configuration_set_attributes(
            self._get_param("EmailIdentity"), self._body().get("ConfigurationSetName")
        )
        return "{}"

    def get_configuration_set(self) -> str:
        backend = self.sesv2_backend
        config_set = backend._configuration_set(self._get_param("ConfigurationSetName"))
        return json.dumps(backend.configuration_set_to_dict(config_set))

    def put_configuration_set_delivery_options(self) -> str:
        params = self._body()
        self.sesv2_backend.put_configuration_set_delivery_options(
            self._get_param("ConfigurationSetName"),
            params.get("TlsPolicy"),
            params.get("SendingPoolName"),
            params.get("MaxDeliverySeconds"),
        )
        return "{}"

    def get_dedicated_ip_pool(self) -> str:
        pool = self.sesv2_backend.get_dedicated_ip_pool(self._get_param("PoolName"))
        return json.dumps(
            {"DedicatedIpPool": {"PoolName": pool.pool_name, "ScalingMode": pool.scaling_mode}}
        )


def _handlers(response_class: type) -> frozenset[str]:
    return _HANDLERS.setdefault(response_class, frozenset(method_names_from_class(response_class)))


_HANDLERS: dict[type, frozenset[str]] = {}


def _error(error: HTTPException) -> TYPE_RESPONSE:
    """An error answer as SES gives it: JSON, its error type, and a request id."""
    headers = dict(error.get_headers() or [])
    gen_amzn_requestid_long(headers)
    return error.code, headers, error.get_body()


def raw_headers(data: str) -> Message:
    """The headers of a raw message, as the JSON body carries it (base64)."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestException("Content.Raw.Data is not valid base64.") from None
    return BytesHeaderParser().parsebytes(raw)
