"""What can fail in a round besides the cloud: the app's own bugs, kept apart from the cloud's errors."""

from ..ampeco import AmpecoError


class InternalError(Exception):
    """A bug met while polling: it costs one round and one ERROR line, never the polling itself. Not an
    AmpecoError: the cloud did nothing wrong."""

    kind = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


RoundError = AmpecoError | InternalError
