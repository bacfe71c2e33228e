"""Typed errors of the AMPECO API: callers decide on the kind of failure, never on message text.

Messages are written for a person reading a log and never contain the token.
"""


class AmpecoError(Exception):
    """Any failure to talk to the AMPECO cloud."""

    kind = "error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthError(AmpecoError):
    """401/403: the token is no longer valid; no retry fixes it until the user gives a new one."""

    kind = "auth"


class NotFoundError(AmpecoError):
    """404: a wrong id, never "no data"."""

    kind = "not_found"


class RateLimitError(AmpecoError):
    """429: the cloud asks us to slow down, for `retry_after` seconds when it says so."""

    kind = "rate_limit"

    def __init__(self, message: str, *, status: int | None = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(AmpecoError):
    """5xx or an unexpected redirect: the cloud is having a bad moment."""

    kind = "server"


class TransportError(AmpecoError):
    """No answer at all: timeout, connection refused, DNS failure, TLS failure."""

    kind = "transport"


class PayloadError(AmpecoError):
    """An answer that is not JSON, or JSON of a shape we cannot use."""

    kind = "payload"


class RefusedError(AmpecoError):
    """406: the charger refused the command (a session already runs, or the car is full)."""

    kind = "refused"


class RequestError(AmpecoError):
    """Another 4xx (400, 405, 409, 422, ...): the cloud did not accept what we sent. `code` is OAuth's
    error code (invalid_grant, invalid_client, ...) when the token endpoint gave one."""

    kind = "rejected"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message, status=status)
        self.code = code
