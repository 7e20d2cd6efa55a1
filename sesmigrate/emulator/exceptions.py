"""Errors the emulator answers with, carrying the codes and HTTP statuses SES uses.

Each is a moto `JsonRESTError`, so boto3 sees a genuine `ClientError` whose code is the
class name, exactly as against AWS.
"""

from moto.core.exceptions import JsonRESTError


class SesError(JsonRESTError):
    """Base of the emulator's errors; the error code is the class name."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__(type(self).__name__, message)


class AlreadyExistsException(SesError):
    code = 400


class NotFoundException(SesError):
    code = 404


class BadRequestException(SesError):
    code = 400


class LimitExceededException(SesError):
    code = 400


class ConflictException(SesError):
    code = 409


class MessageRejected(SesError):
    code = 400


class SendingPausedException(SesError):
    code = 400


class TooManyRequestsException(SesError):
    code = 429


class InternalFailure(SesError):
    """A transient server fault injected by the traffic policy: before the change (none
    made) or, as a lost answer, after it (made exactly once)."""

    code = 500


class ServiceUnavailable(SesError):
    """A transient unavailability injected by the traffic policy: before the change (none
    made) or, as a lost answer, after it (made exactly once)."""

    code = 503
