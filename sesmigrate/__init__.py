"""sesmigrate: move a multi-customer SES account onto SES tenants, reviewably and reversibly.

`from sesmigrate import onboard, offboard` is the API for a platform's own sign-up code. It
is loaded on first use, so importing the pure core (planning, strategies) never pulls in boto3.
"""

from typing import Any

__version__ = "0.1.0"

__all__ = [
    "OffboardError",
    "OffboardResult",
    "OnboardError",
    "OnboardResult",
    "Resources",
    "__version__",
    "offboard",
    "onboard",
]


def __getattr__(name: str) -> Any:
    if name in ("OnboardError", "OnboardResult", "Resources", "onboard"):
        from .running import onboard as module

        return getattr(module, name)
    if name in ("OffboardError", "OffboardResult", "offboard"):
        from .running import offboard as module

        return getattr(module, name)
    raise AttributeError(f"module 'sesmigrate' has no attribute {name!r}")
