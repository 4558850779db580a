"""The names `konstantly` exports: a pinned, sorted list."""

from __future__ import annotations

import importlib.metadata

import konstantly
import pytest

PUBLIC_NAMES = [
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


def test_all_is_sorted() -> None:
    """__all__ is kept in sorted order, so additions are easy to review."""
    assert list(konstantly.__all__) == sorted(konstantly.__all__)


def test_all_lists_exactly_the_public_names() -> None:
    """Adding or dropping a public name is a deliberate change to this list."""
    assert sorted(PUBLIC_NAMES) == PUBLIC_NAMES
    assert list(konstantly.__all__) == PUBLIC_NAMES


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_public_name_is_importable(name: str) -> None:
    """`from konstantly import <name>` works for every public name."""
    namespace: dict[str, object] = {}

    exec(f"from konstantly import {name}", namespace)

    assert namespace[name] is getattr(konstantly, name)


def test_star_import_gives_the_public_names() -> None:
    """`from konstantly import *` brings in exactly __all__."""
    namespace: dict[str, object] = {}

    exec("from konstantly import *", namespace)

    assert sorted(set(namespace) - {"__builtins__"}) == PUBLIC_NAMES


def test_errors_share_one_base_class() -> None:
    """Every exported exception derives from KonstantlyError."""
    errors = [
        getattr(konstantly, name) for name in PUBLIC_NAMES if name.endswith("Error")
    ]

    assert len(errors) == 13
    for error in errors:
        assert issubclass(error, konstantly.KonstantlyError)


def test_version_matches_package_metadata() -> None:
    """__version__ is the installed distribution's version."""
    assert konstantly.__version__ == importlib.metadata.version("konstantly")
