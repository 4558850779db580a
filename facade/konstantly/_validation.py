"""Checks a decoded body against the spec before anything reads it.

The generated models copy values without checking their types, so a string
where a time belongs would travel on as a wrong value. Everything here raises
`ResponseValidationError` naming the path of the first value at fault.

A body holds thousands of assignments, so each check is one test on the
success path; only a value that fails it pays for working out the message.
"""

from __future__ import annotations

import json
from typing import Any, Final, NoReturn, cast

import orjson

from ._errors import ResponseValidationError

__all__ = [
    "MAX_UNIX_SECONDS",
    "ORJSON_LIMIT",
    "decode_json",
    "parse_assignment_list",
    "validate_assignment_list",
]

# orjson decodes about half again as fast as the standard library, but its
# working buffer peaks near twelve times the body's size while the standard
# library's stays near four; above this size, the lower peak is worth more.
ORJSON_LIMIT: Final = 4 * 2**20

# 9999-12-31T23:59:59Z, the last second a datetime can hold.
MAX_UNIX_SECONDS: Final = 253_402_300_799

# The longest a unit of each measure can last, in seconds, with an hour to
# spare for a daylight-saving change, so that a period which passes these
# bounds can never carry a deadline past the year 9999 in any timezone.
_LONGEST_UNIT: Final = {
    "hours": 3_600,
    "days": 86_400 + 3_600,
    "weeks": 7 * 86_400 + 3_600,
    "months": 31 * 86_400 + 3_600,
}
# A day either side of the UTC limit, for the timezone a period is counted in.
_LAST_DEADLINE: Final = MAX_UNIX_SECONDS - 2 * 86_400
_COURSE_TEXTS: Final = ("name", "annotation")
_COURSE_TIMES: Final = ("createdAt", "updatedAt")
_MISSING: Final = object()


def parse_assignment_list(content: bytes) -> dict[str, Any]:
    """
    The decoded body of an AssignmentList, checked against the spec.

    Raises:
        ResponseValidationError: The body is not JSON or not an AssignmentList.
    """
    # Limitation: a key repeated within one JSON object keeps its last value,
    # as both decoders do. Telling repeats apart takes the standard library's
    # decoder with a hook on every object: tried, it took the 10,000
    # assignment benchmark from 0.61 to 0.96 times the hand-written client.
    if len(content) <= ORJSON_LIMIT:
        try:
            body = orjson.loads(content)
            validate_assignment_list(body)
        except (orjson.JSONDecodeError, ResponseValidationError):
            pass
        else:
            return cast(dict[str, Any], body)

    # orjson reads an integer past 64 bits as a float and refuses a lone
    # surrogate; the standard library reads both as they are. A body that
    # fails is judged again from the standard library's reading, so that the
    # error names the value as the server sent it.
    body = decode_json(content)
    validate_assignment_list(body)
    return cast(dict[str, Any], body)


def decode_json(content: bytes) -> Any:
    """The JSON value of a body, or a ResponseValidationError saying why not."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        pass
    # Raised outside the except clause, so the decoder's error, which holds
    # the whole body, does not travel along as the context.
    excerpt = content[:80].decode("utf-8", "replace")
    message = (
        f"The server's answer is not JSON (it starts with {excerpt!r}); "
        "a proxy in front of the site may have answered instead."
    )
    raise ResponseValidationError(message)


def validate_assignment_list(body: Any) -> None:
    """Raise ResponseValidationError unless `body` is a valid AssignmentList."""
    if type(body) is not dict:
        _fail("", body, "an object")
    total_count = body.get("totalCount", _MISSING)
    if type(total_count) is not int or total_count < 0:
        _explain_count(body, "totalCount", "")
    assignments = body.get("assignments", _MISSING)
    if type(assignments) is not list:
        _explain(body, "assignments", "", "an array")

    for index, assignment in enumerate(assignments):
        _validate_assignment(assignment, index)


def _validate_assignment(assignment: Any, index: int) -> None:
    if type(assignment) is not dict:
        _fail(f"assignments[{index}]", assignment, "an object")
    get = assignment.get

    assigned_at = get("assignedAt", _MISSING)
    if type(assigned_at) is not int or not 0 <= assigned_at <= MAX_UNIX_SECONDS:
        _explain_time(assignment, "assignedAt", _at(index))
    deadline_at = get("deadlineAt")
    if deadline_at is not None and (
        type(deadline_at) is not int or not 0 <= deadline_at <= MAX_UNIX_SECONDS
    ):
        _explain_time(assignment, "deadlineAt", _at(index))
    period = get("deadlinePeriod")
    if period is not None:
        # A positive deadlineAt is the deadline, so the period is not counted.
        _validate_period(period, None if deadline_at else assigned_at, index)

    course = get("course", _MISSING)
    if type(course) is not dict:
        _explain(assignment, "course", _at(index), "an object")
    _validate_course(course, index)


def _validate_period(period: Any, start: int | None, index: int) -> None:
    path = f"{_at(index)}.deadlinePeriod"
    if type(period) is not dict:
        _fail(path, period, "an object")
    measure = period.get("measure", _MISSING)
    if type(measure) is not str:
        _explain(period, "measure", path, "a string")
    value = period.get("value", _MISSING)
    if type(value) is not int or value < 0:
        _explain_count(period, "value", path)

    longest_unit = _LONGEST_UNIT.get(measure)
    if start is None or longest_unit is None:
        return
    if start + value * longest_unit > _LAST_DEADLINE:
        message = (
            f"The period at {path}, {value} {measure} after {start}, ends "
            "within two days of the end of the year 9999 or past it, where no "
            "timezone's calendar can count it."
        )
        raise ResponseValidationError(message, path=path)


def _validate_course(course: dict[str, Any], index: int) -> None:
    get = course.get
    course_id = get("id", _MISSING)
    if type(course_id) is not int:
        _explain(course, "id", _course_at(index), "an integer")
    for key in _COURSE_TEXTS:
        if type(get(key, _MISSING)) is not str:
            _explain(course, key, _course_at(index), "a string")
    if type(get("isDraft", _MISSING)) is not bool:
        _explain(course, "isDraft", _course_at(index), "true or false")

    for key in _COURSE_TIMES:
        time = get(key, _MISSING)
        if type(time) is not int or not 0 <= time <= MAX_UNIX_SECONDS:
            _explain_time(course, key, _course_at(index))
    published_at = get("publishedAt")
    if published_at is not None and (
        type(published_at) is not int or not 0 <= published_at <= MAX_UNIX_SECONDS
    ):
        _explain_time(course, "publishedAt", _course_at(index))


def _at(index: int) -> str:
    return f"assignments[{index}]"


def _course_at(index: int) -> str:
    return f"assignments[{index}].course"


# The helpers below run only once a check has failed: they find out why.


def _explain(container: dict[str, Any], key: str, path: str, expected: str) -> NoReturn:
    where = f"{path}.{key}" if path else key
    if key not in container:
        message = f"The server's answer lacks the required field {where!r}."
        raise ResponseValidationError(message, path=where)
    _fail(where, container[key], expected)


def _explain_count(container: dict[str, Any], key: str, path: str) -> NoReturn:
    value = container.get(key)
    if type(value) is int:
        where = f"{path}.{key}" if path else key
        _fail(where, value, "a number of 0 or more")
    _explain(container, key, path, "an integer")


def _explain_time(container: dict[str, Any], key: str, path: str) -> NoReturn:
    value = container.get(key)
    if type(value) is not int:
        _explain(container, key, path, "an integer")
    where = f"{path}.{key}"
    if value < 0:
        _fail(where, value, "unix seconds of 0 or more")
    # Milliseconds sent by mistake land here too: 2015 in milliseconds is
    # the year 47000 in seconds.
    _fail(where, value, "unix seconds before the year 10000 (not milliseconds)")


def _fail(path: str, value: Any, expected: str) -> NoReturn:
    where = path or "the body"
    shown = repr(value)
    if len(shown) > 60:
        shown = f"{shown[:57]}..."
    message = f"The server's answer has {shown} at {where}, where {expected} belongs."
    raise ResponseValidationError(message, path=path)
