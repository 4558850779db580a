"""A Python client for the Konstantly learning platform's REST API."""

from __future__ import annotations

from ._client import AsyncKonstantly, Konstantly
from ._deadlines import Deadline, DeadlinePeriod
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    InvalidArgumentError,
    KonstantlyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
)
from ._logging import configure_from_environment
from ._models import Assignment, Course, GroupAssignments
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Assignment",
    "AsyncKonstantly",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "Course",
    "Deadline",
    "DeadlinePeriod",
    "GroupAssignments",
    "InternalServerError",
    "InvalidArgumentError",
    "Konstantly",
    "KonstantlyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "__version__",
]

configure_from_environment()
