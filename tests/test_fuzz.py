"""Property-based tests: whatever a server sends, only a typed outcome comes out.

Every example goes over real HTTP: one FakeKonstantly serves the whole module,
and each example replaces group 9's answer with `set_raw_response`. The
client never retries (max_retries=0), so each example is one call of one or
two requests. The main property runs 2,000 examples, all over loopback
HTTP; the error-status property runs 500 more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import konstantly
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from konstantly._validation import MAX_UNIX_SECONDS
from konstantly.testing import FakeKonstantly

GROUP = 9
MEASURES = ("hours", "days", "weeks", "months")
NOW = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
ZERO = timedelta(0)
# UTC+14, the furthest ahead of UTC: relative deadlines are counted in it, so
# a due time near the year 9999 passes it here first.
TIMEZONE = "Pacific/Kiritimati"


@pytest.fixture(scope="module")
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly(bundled=False) as running:
        yield running


@pytest.fixture(scope="module")
def client(site: FakeKonstantly) -> Iterator[konstantly.Konstantly]:
    with konstantly.Konstantly(
        api_key=site.api_key,
        base_url=site.base_url,
        timezone=TIMEZONE,
        max_retries=0,
        timeout=5.0,
    ) as running:
        yield running


# Integers a server might send by mistake: huge, negative, at the edges of
# 32 and 64 bits, milliseconds, and beyond the year 9999.
EDGE_INTEGERS = st.sampled_from(
    [
        -1,
        -(2**63),
        2**31,
        2**63 - 1,
        2**63,
        2**64,
        10**40,
        -(10**40),
        MAX_UNIX_SECONDS,
        MAX_UNIX_SECONDS + 1,
        1_443_183_322_000,
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | EDGE_INTEGERS
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

TIMES = st.integers(min_value=0, max_value=2**32)
COURSES = st.fixed_dictionaries(
    {
        "id": st.integers(min_value=1, max_value=2**63 - 1),
        "name": st.text(max_size=30),
        "annotation": st.text(max_size=30),
        "isDraft": st.booleans(),
        "createdAt": TIMES,
        "updatedAt": TIMES,
    },
    optional={"publishedAt": st.none() | TIMES},
)
PERIODS = st.fixed_dictionaries(
    {
        "measure": st.sampled_from(MEASURES) | st.text(max_size=10),
        "value": st.integers(min_value=0, max_value=1000),
    }
)
ASSIGNMENTS = st.fixed_dictionaries(
    {"assignedAt": TIMES, "course": COURSES},
    optional={"deadlineAt": st.none() | TIMES, "deadlinePeriod": st.none() | PERIODS},
)


@st.composite
def valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """An AssignmentList as the spec describes it, totalCount honest or not."""
    assignments = draw(st.lists(ASSIGNMENTS, max_size=5))
    total_count = draw(
        st.just(len(assignments)) | st.integers(min_value=0, max_value=2**63)
    )
    return {"assignments": assignments, "totalCount": total_count}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place inside a decoded JSON value, its root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replace(body: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return body


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Any:
    """A valid body broken in one to three places."""
    body: Any = draw(valid_bodies())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(list(paths(body))))
        mutation = draw(
            st.sampled_from(["drop", "replace", "edge int", "negate", "nest", "null"])
        )
        if mutation == "drop" and path:
            parent = body
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        elif mutation == "replace":
            body = replace(body, path, draw(JSON_VALUES))
        elif mutation == "edge int":
            body = replace(body, path, draw(EDGE_INTEGERS))
        elif mutation == "negate":
            old = _at(body, path)
            if isinstance(old, int) and not isinstance(old, bool):
                body = replace(body, path, -old - 1)
        elif mutation == "nest":
            body = replace(body, path, [_at(body, path), {"x": [None, {}]}])
        else:
            body = replace(body, path, None)
    return body


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


def encode(body: Any) -> bytes:
    # Python's json writes NaN and Infinity, which a sloppy server might too.
    return json.dumps(body, allow_nan=True).encode()


BODIES = (
    valid_bodies().map(encode)
    | mutated_bodies().map(encode)
    | JSON_VALUES.map(encode)
    | st.binary(max_size=64)
)


def check_result(result: konstantly.GroupAssignments) -> None:
    """A result that came out is whole, and every value of it can be read.

    Values are converted when first read, so each one is read here: a value
    that could not be converted would surface only now.
    """
    assert result.group_id == GROUP
    assert result.complete == (len(result) >= result.total_count)
    for assignment in result:
        check_assignment(assignment)

    by_due = result.sorted_by_due()
    assert sorted(map(id, by_due)) == sorted(map(id, result))
    assert all(a.is_overdue(NOW) for a in result.overdue(NOW))
    assert all(
        a.time_left(NOW) <= timedelta(days=7)
        for a in result.due_within(timedelta(days=7), NOW)
    )
    assert repr(result)


def check_assignment(assignment: konstantly.Assignment) -> None:
    """Every value of one assignment: the right types, times aware and in UTC."""
    course = assignment.course
    for moment in (assignment.assigned_at, course.created_at, course.updated_at):
        assert moment.tzinfo is UTC
    assert course.published_at is None or course.published_at.tzinfo is UTC
    assert isinstance(course.id, int)
    assert isinstance(course.name, str)
    assert isinstance(course.annotation, str)
    assert isinstance(course.is_draft, bool)

    deadline = assignment.deadline
    due_at = assignment.due_at
    assert due_at is None or due_at.tzinfo is UTC
    if deadline is not None:
        assert deadline.due_at == due_at
        assert deadline.is_relative == (deadline.period is not None)
        try:
            due_for = deadline.due_for(NOW)
        except konstantly.InvalidArgumentError:
            due_for = None  # a long period after NOW may pass the year 9999
        assert due_for is None or due_for.tzinfo is UTC
    time_left = assignment.time_left(NOW)
    assert time_left is None or time_left == due_at - NOW
    assert assignment.is_overdue(NOW) == (time_left is not None and time_left < ZERO)

    # The generated model, built from the same body, says the same.
    raw = assignment.raw
    assert raw.assigned_at == int(assignment.assigned_at.timestamp())
    assert (raw.course.id, raw.course.name) == (course.id, course.name)
    assert (raw.course.annotation, raw.course.is_draft) == (
        course.annotation,
        course.is_draft,
    )
    assert raw.course.created_at == int(course.created_at.timestamp())
    assert raw.course.updated_at == int(course.updated_at.timestamp())
    published_at = course.published_at
    assert (raw.course.published_at or None) == (
        None if published_at is None else int(published_at.timestamp())
    )
    assert repr(assignment)


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=BODIES)
def test_any_200_body_gives_a_result_or_a_validation_error(
    site: FakeKonstantly, client: konstantly.Konstantly, body: bytes
) -> None:
    """Arbitrary JSON, broken valid bodies and bytes: no other outcome exists."""
    site.set_raw_response(GROUP, 200, body)

    outcome: konstantly.GroupAssignments | konstantly.ResponseValidationError
    try:
        outcome = client.groups.list_assignments(GROUP)
    except konstantly.ResponseValidationError as error:
        outcome = error

    if isinstance(outcome, konstantly.ResponseValidationError):
        event(f"validation error at {outcome.path.split('[')[0] or 'the body'}")
        assert str(outcome)
    else:
        event("result, complete" if outcome.complete else "result, incomplete")
        check_result(outcome)


@settings(max_examples=300, deadline=None)
@given(body=valid_bodies())
def test_valid_body_always_arrives(
    site: FakeKonstantly, client: konstantly.Konstantly, body: dict[str, Any]
) -> None:
    """A body that keeps to the spec is never refused, and loses nothing."""
    site.set_raw_response(GROUP, 200, encode(body))

    result = client.groups.list_assignments(GROUP)

    # The site sends this body for every offset: a second page, if asked for,
    # repeats the first and adds nothing.
    expected = [item["course"]["id"] for item in body["assignments"]]
    assert [a.course.id for a in result] == expected
    assert result.total_count == body["totalCount"]
    check_result(result)


# 204 and 304 are left out: they carry no body by definition, so the bytes
# sent after them would be read as the start of the next answer.
STATUSES = st.integers(min_value=400, max_value=599) | st.sampled_from(
    [201, 203, 206, 300, 301, 302, 303, 307, 308]
)


@settings(max_examples=500, deadline=None)
@given(status=STATUSES, body=BODIES)
def test_any_other_status_gives_a_status_error(
    site: FakeKonstantly, client: konstantly.Konstantly, status: int, body: bytes
) -> None:
    """Any status but 200, with any body, is an APIStatusError of the right class."""
    site.set_raw_response(GROUP, status, body)

    with pytest.raises(konstantly.APIStatusError) as caught:
        client.groups.list_assignments(GROUP)

    error = caught.value
    assert error.status_code == status
    assert isinstance(error, konstantly.InternalServerError) == (status >= 500)
    assert error.message
    assert len(error.body_excerpt) <= 200
