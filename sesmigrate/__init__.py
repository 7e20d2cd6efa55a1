"""sesmigrate: move a multi-customer SES account onto SES tenants, reviewably and reversibly."""

__version__ = "0.1.0"

from .running.onboard import OnboardError, OnboardResult, Resources, onboard

__all__ = ["OnboardError", "OnboardResult", "Resources", "__version__", "onboard"]
