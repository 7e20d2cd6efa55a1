"""Every error a user can cause or fix, under one root.

Modules raise these and never print; the CLI turns each into one line on stderr and exit
status 1. Each keeps its facts as attributes and builds its one message in `__init__`,
saying what happened and what to do next.
"""


class SesmigrateError(Exception):
    """All errors raised on purpose by sesmigrate's code."""


class AwsConfigError(SesmigrateError):
    """Credentials, profile, region or endpoint are missing or unusable."""


class AwsCallError(SesmigrateError):
    """An AWS call failed for a reason retrying will not fix."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        self.operation, self.code = operation, code
        super().__init__(f"{operation} failed: {code}: {message}")


class UsageError(SesmigrateError):
    """A flag or argument value the command cannot use."""
