"""sesmigrate: move a multi-customer SES account onto SES tenants, reviewably and reversibly."""

__version__ = "0.1.0"
