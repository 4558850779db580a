"""Checks a decoded body against the spec before the generated models see it.

The generated models copy values without checking their types, so a string
where a time belongs would travel on as a wrong value. Everything here raises
`ResponseValidationError` naming the path of the first value at fault.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from ._errors import ResponseValidationError

__all__ = ["MAX_UNIX_SECONDS", "decode_json", "validate_assignment_list"]

# 9999-12-31T23:59:59Z, the last second a datetime can hold.
MAX_UNIX_SECONDS = 253_402_300_799


def decode_json(content: bytes) -> Any:
    """The JSON value of a body, or a ResponseValidationError saying why not."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        pass

    # Raised outside the except clause, so that the error does not keep the
    # decoder's as its context: JSONDecodeError.doc is the whole body, and a
    # body may echo anything, the API key included.
    excerpt = content[:80].decode("utf-8", "replace")
    message = (
        f"The server's answer is not JSON (it starts with {excerpt!r}); "
        "a proxy in front of the site may have answered instead."
    )
    raise ResponseValidationError(message)


def validate_assignment_list(body: Any) -> None:
    """Raise ResponseValidationError unless `body` is a valid AssignmentList."""
    _require_object(body, "")
    _require_key(body, "totalCount", "")
    total_count = body["totalCount"]
    _require_int(total_count, "totalCount")
    if total_count < 0:
        _fail("totalCount", total_count, "a count of 0 or more")

    _require_key(body, "assignments", "")
    assignments = body["assignments"]
    if not isinstance(assignments, list):
        _fail("assignments", assignments, "an array")
    for index, assignment in enumerate(assignments):
        _validate_assignment(assignment, f"assignments[{index}]")


def _validate_assignment(assignment: Any, path: str) -> None:
    _require_object(assignment, path)
    _require_key(assignment, "assignedAt", path)
    _require_time(assignment["assignedAt"], f"{path}.assignedAt")
    deadline_at = assignment.get("deadlineAt")
    if deadline_at is not None:
        _require_time(deadline_at, f"{path}.deadlineAt")

    period = assignment.get("deadlinePeriod")
    if period is not None:
        period_path = f"{path}.deadlinePeriod"
        _require_object(period, period_path)
        _require_key(period, "measure", period_path)
        if not isinstance(period["measure"], str):
            _fail(f"{period_path}.measure", period["measure"], "a string")
        _require_key(period, "value", period_path)
        value = period["value"]
        _require_int(value, f"{period_path}.value")
        if value < 0:
            _fail(f"{period_path}.value", value, "a number of 0 or more")

    _require_key(assignment, "course", path)
    _validate_course(assignment["course"], f"{path}.course")


def _validate_course(course: Any, path: str) -> None:
    _require_object(course, path)
    for key in ("id", "name", "annotation", "isDraft", "createdAt", "updatedAt"):
        _require_key(course, key, path)
    _require_int(course["id"], f"{path}.id")
    for key in ("name", "annotation"):
        if not isinstance(course[key], str):
            _fail(f"{path}.{key}", course[key], "a string")
    if not isinstance(course["isDraft"], bool):
        _fail(f"{path}.isDraft", course["isDraft"], "true or false")

    _require_time(course["createdAt"], f"{path}.createdAt")
    _require_time(course["updatedAt"], f"{path}.updatedAt")
    published_at = course.get("publishedAt")
    if published_at is not None:
        _require_time(published_at, f"{path}.publishedAt")


def _require_object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        _fail(path, value, "an object")


def _require_key(value: dict[str, Any], key: str, path: str) -> None:
    if key not in value:
        where = f"{path}.{key}" if path else key
        message = f"The server's answer lacks the required field {where!r}."
        raise ResponseValidationError(message, path=where)


def _require_int(value: Any, path: str) -> None:
    # bool is an int in Python, but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, value, "an integer")


def _require_time(value: Any, path: str) -> None:
    _require_int(value, path)
    if value < 0:
        _fail(path, value, "unix seconds of 0 or more")
    if value > MAX_UNIX_SECONDS:
        # Milliseconds sent by mistake land here too: 2015 in milliseconds is
        # the year 47000 in seconds.
        _fail(path, value, "unix seconds before the year 10000 (not milliseconds)")


def _fail(path: str, value: Any, expected: str) -> NoReturn:
    where = path or "the body"
    shown = repr(value)
    if len(shown) > 60:
        shown = f"{shown[:57]}..."
    message = f"The server's answer has {shown} at {where}, where {expected} belongs."
    raise ResponseValidationError(message, path=path)
