"""An SES v2 emulator: moto extended with tenants, associations, reputation and v2 templates.

`install()` points moto's `sesv2` service at the emulator's backend and responses, for
in-process mocks (`moto.mock_aws`) and for the HTTP server (`server`) alike. It is
idempotent, and everything else moto emulates (STS, SES v1, ...) keeps working.
"""

import moto.sesv2
import moto.sesv2.models

from .models import EmulatorBackend, emulator_backends

__all__ = ["EmulatorBackend", "backend", "emulator_backends", "install"]

DEFAULT_ACCOUNT = "123456789012"


def install() -> None:
    """Serve SES v2 from the emulator instead of moto's own, partial, sesv2 backend."""
    moto.sesv2.sesv2_backends = emulator_backends
    moto.sesv2.models.sesv2_backends = emulator_backends


def backend(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT) -> EmulatorBackend:
    """The emulated account and region, for direct inspection and the operator knobs."""
    return emulator_backends[account][region]
