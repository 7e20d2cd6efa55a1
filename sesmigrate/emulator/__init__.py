"""An SES v2 emulator: moto extended with tenants, associations, reputation and v2 templates.

Sends publish SES's CloudWatch metrics into moto's CloudWatch (`metrics`).

`install()` points moto's `sesv2` service at the emulator's backend and responses, for
in-process mocks (`moto.mock_aws`) and for the HTTP server (`server`) alike. It is
idempotent, and everything else moto emulates (STS, SES v1, ...) keeps working.
"""

import moto.sesv2
import moto.sesv2.models
from moto.core.routing import get_service_router

from .metrics import install_corrections
from .models import EmulatorBackend, emulator_backends

__all__ = ["EmulatorBackend", "backend", "emulator_backends", "install"]

DEFAULT_ACCOUNT = "123456789012"
ROUTED_SERVICES = ("sesv2", "events", "logs", "sts", "cloudwatch")
"""The services sesmigrate calls: their request routers are warmed by `install`."""


def install() -> None:
    """Serve SES v2 from the emulator instead of moto's own, partial, sesv2 backend, and
    correct moto's CloudWatch dimension matching that the SES metrics depend on."""
    moto.sesv2.sesv2_backends = emulator_backends
    moto.sesv2.models.sesv2_backends = emulator_backends
    install_corrections()
    _warm_routers()


def _warm_routers() -> None:
    """Build moto's operation models before the first request, in one thread.

    moto 5.2 caches its operation models under the same key as botocore's, which its own
    method calls first: two concurrent first requests of an operation can get botocore's
    model, without `http_trait`, and fail with AttributeError (a concurrent scan hit it).
    Each router's models, built once here, are then only ever read.
    """
    for service in ROUTED_SERVICES:
        model = get_service_router(service)._service_model
        for name in model.operation_names:
            model.operation_model(name)


def backend(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT) -> EmulatorBackend:
    """The emulated account and region, for direct inspection and the operator knobs."""
    return emulator_backends[account][region]
