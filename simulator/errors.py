"""The simulator's API errors, answered Laravel-style."""


class SimError(Exception):
    """An API error answer: HTTP status, message, and (for validation) the fields at fault."""

    def __init__(
        self, status: int, message: str, errors: dict[str, list[str]] | None = None, error: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.error = error  # OAuth's error code, for app/oauth/token
