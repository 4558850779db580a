from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "InternalServerError",
    "InvalidArgumentError",
    "KonstantlyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "status_error",
]


class KonstantlyError(Exception):
    """
    Base class of every error this package raises.

    Catch it to handle any failure of a call in one place:

    ```
    KonstantlyError
    ├── ConfigurationError        a missing or invalid setting
    ├── InvalidArgumentError      a wrong argument to a method (also a ValueError)
    ├── APIConnectionError        the request did not get an answer
    │   └── APITimeoutError       ... in time
    ├── APIStatusError            the server answered with an error status
    │   ├── BadRequestError       400
    │   ├── AuthenticationError   401
    │   ├── PermissionDeniedError 403
    │   ├── NotFoundError         404
    │   ├── RateLimitError        429, with retry_after
    │   └── InternalServerError   500 and above
    └── ResponseValidationError   a body that does not match the API's schema
    ```
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(KonstantlyError):
    """A setting is missing or invalid: the client cannot be built or used."""


class InvalidArgumentError(KonstantlyError, ValueError):
    """A method was called with an argument it cannot use; nothing was sent."""


class APIConnectionError(KonstantlyError):
    """The request failed before a complete answer arrived."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""


class APIStatusError(KonstantlyError):
    """
    The server answered with a status code other than 200.

    Attributes:
        status_code: The HTTP status code.
        message: The server's own message when its body carried one, else a
            description of the answer.
        body_excerpt: The start of the body, for diagnosis; never holds the key.
        retry_after: Seconds the server asked to wait in `Retry-After`, or None
            when it did not say or said something unreadable.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body_excerpt: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle, and with it multiprocessing, rebuilds an error from its
        # positional arguments; the details are keyword-only, so they go along.
        details = (self.status_code, self.body_excerpt, self.retry_after)
        return (_rebuild_status_error, (type(self), self.message, *details))

    def __str__(self) -> str:
        if self.retry_after is None:
            return f"{self.message} (HTTP {self.status_code})"
        wait = f"{self.retry_after:g}"
        return f"{self.message} (HTTP {self.status_code}, retry after {wait} s)"


def _rebuild_status_error(
    error_class: type[APIStatusError],
    message: str,
    status_code: int,
    body_excerpt: str,
    retry_after: float | None,
) -> APIStatusError:
    return error_class(
        message,
        status_code=status_code,
        body_excerpt=body_excerpt,
        retry_after=retry_after,
    )


class BadRequestError(APIStatusError):
    """400: the server refused the request as malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the API key may not read this resource."""


class NotFoundError(APIStatusError):
    """404: the group (or path) does not exist."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` says how long to wait, if known."""


class InternalServerError(APIStatusError):
    """500 and above: the server (or a proxy in front of it) failed."""


class ResponseValidationError(KonstantlyError):
    """
    The server's answer does not match the API's schema.

    Attributes:
        path: Where in the body the problem is, such as
            `assignments[3].course.createdAt`; empty for the body as a whole.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error(
    status_code: int,
    message: str,
    *,
    body_excerpt: str,
    retry_after: float | None = None,
) -> APIStatusError:
    """The error class that fits a status code, built with its details."""
    if status_code >= 500:
        error_class: type[APIStatusError] = InternalServerError
    else:
        error_class = _STATUS_CLASSES.get(status_code, APIStatusError)
    return error_class(
        message,
        status_code=status_code,
        body_excerpt=body_excerpt,
        retry_after=retry_after,
    )
