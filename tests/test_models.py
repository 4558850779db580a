"""The result objects: Course, Assignment and the read-only GroupAssignments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import konstantly
import konstantly_openapi.models
import pytest

Fetch = Callable[..., konstantly.GroupAssignments]
MakeAssignment = Callable[..., dict[str, Any]]

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def unix(moment: datetime) -> int:
    """Unix seconds of an aware datetime, as the API sends them."""
    return int(moment.timestamp())


def course_ids(assignments: Sequence[konstantly.Assignment]) -> list[int]:
    return [assignment.course.id for assignment in assignments]


@pytest.fixture
def mixed(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> konstantly.GroupAssignments:
    """Five assignments around NOW: overdue, soon, later, none, unknown measure.

    Listed in the order of their due dates, so filters keep that order too.
    """
    body = {
        "assignments": [
            make_assignment(course_id=1, deadlineAt=unix(NOW - timedelta(days=1))),
            make_assignment(course_id=2, deadlineAt=unix(NOW + timedelta(days=3))),
            make_assignment(course_id=3, deadlineAt=unix(NOW + timedelta(days=10))),
            make_assignment(course_id=4),
            make_assignment(
                course_id=5, deadlinePeriod={"measure": "fortnights", "value": 1}
            ),
        ],
        "totalCount": 5,
    }
    return fetch_assignments(body)


def test_course_fields_from_example(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """Each course field of the documented example arrives as a Python value."""
    course = fetch_assignments(example_body)[0].course

    assert course.id == 123
    assert course.name == "Sales Strategy Fundamentals"
    assert course.annotation == "Learn essential sales strategies and techniques"
    assert course.is_draft is False
    assert course.created_at == datetime(2017, 10, 12, 11, 28, 31, tzinfo=UTC)
    assert course.updated_at == datetime(2017, 10, 12, 11, 39, 32, tzinfo=UTC)
    assert course.published_at == datetime(2017, 10, 17, 7, 27, 9, tzinfo=UTC)


def test_draft_course_is_draft(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """isDraft true reads as is_draft True."""
    example_body["assignments"][1]["course"]["isDraft"] = True

    result = fetch_assignments(example_body)

    assert result[0].course.is_draft is False
    assert result[1].course.is_draft is True


@pytest.mark.parametrize("published_at", [0, None, "missing"])
def test_unpublished_course_has_no_published_at(
    fetch_assignments: Fetch, example_body: dict[str, Any], published_at: Any
) -> None:
    """publishedAt 0, null or absent all mean the course was never published."""
    course_body = example_body["assignments"][0]["course"]
    if published_at == "missing":
        del course_body["publishedAt"]
    else:
        course_body["publishedAt"] = published_at

    course = fetch_assignments(example_body)[0].course

    assert course.published_at is None
    assert course.created_at == datetime(2017, 10, 12, 11, 28, 31, tzinfo=UTC)


def test_assignment_keeps_the_generated_model_as_raw(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """raw is the generated model, carrying the wire values untouched."""
    raw = fetch_assignments(example_body)[1].raw

    assert isinstance(raw, konstantly_openapi.models.Assignment)
    assert raw.assigned_at == 1443183400
    assert raw.course.id == 124
    assert raw.to_dict() == example_body["assignments"][1]


def test_result_is_a_read_only_sequence(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """GroupAssignments supports len, iteration, indexing and slices, no writes."""
    result = fetch_assignments(example_body)

    assert isinstance(result, Sequence)
    assert len(result) == 2
    assert course_ids(list(result)) == [123, 124]
    assert result[0].course.id == 123
    assert result[-1].course.id == 124
    assert course_ids(result[1:]) == [124]
    assert course_ids(result[:0]) == []
    assert not hasattr(result, "append")
    assert not hasattr(result, "extend")
    with pytest.raises(TypeError):
        result[0] = result[1]  # type: ignore[index]
    with pytest.raises(TypeError):
        del result[0]  # type: ignore[attr-defined]
    with pytest.raises(IndexError):
        result[2]
    assert len(result) == 2


def test_result_reports_group_and_total(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """group_id is the group asked for; total_count and complete match the body."""
    result = fetch_assignments(example_body)

    assert result.group_id == 123
    assert result.total_count == 2
    assert result.complete is True


def test_empty_group(fetch_assignments: Fetch) -> None:
    """A group with no assignments is an empty, complete result."""
    result = fetch_assignments({"assignments": [], "totalCount": 0})

    assert len(result) == 0
    assert list(result) == []
    assert result.total_count == 0
    assert result.complete is True
    assert result.sorted_by_due() == []
    assert result.overdue(now=NOW) == []
    assert result.due_within(timedelta(days=7), now=NOW) == []


def test_sorted_by_due_puts_no_deadline_last(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """Earliest due first; assignments without a due time come last, in order."""
    body = {
        "assignments": [
            make_assignment(course_id=1),
            make_assignment(course_id=2, deadlineAt=unix(NOW + timedelta(days=5))),
            make_assignment(
                course_id=3, deadlinePeriod={"measure": "fortnights", "value": 1}
            ),
            make_assignment(
                course_id=4,
                assigned_at=unix(NOW),
                deadlinePeriod={"measure": "days", "value": 1},
            ),
            make_assignment(course_id=5, deadlineAt=unix(NOW - timedelta(days=5))),
        ],
        "totalCount": 5,
    }

    result = fetch_assignments(body)

    assert course_ids(result.sorted_by_due()) == [5, 4, 2, 1, 3]
    assert course_ids(result) == [1, 2, 3, 4, 5]


def test_overdue_lists_only_past_due(mixed: konstantly.GroupAssignments) -> None:
    """Only assignments whose due time has passed are overdue."""
    assert course_ids(mixed.overdue(now=NOW)) == [1]
    assert course_ids(mixed.overdue(now=NOW + timedelta(days=4))) == [1, 2]
    assert course_ids(mixed.overdue(now=NOW - timedelta(days=2))) == []


def test_due_within_lists_upcoming_deadlines(
    mixed: konstantly.GroupAssignments,
) -> None:
    """due_within keeps assignments due between now and now + delta."""
    assert course_ids(mixed.due_within(timedelta(days=7), now=NOW)) == [2]
    assert course_ids(mixed.due_within(timedelta(days=14), now=NOW)) == [2, 3]
    assert course_ids(mixed.due_within(timedelta(days=1), now=NOW)) == []


def test_due_within_reaching_past_the_year_9999_takes_everything_ahead(
    mixed: konstantly.GroupAssignments,
) -> None:
    """A window too long for a datetime is no error: it reaches every deadline."""
    assert course_ids(mixed.due_within(timedelta(days=3_650_000), now=NOW)) == [2, 3]


def test_result_attributes_are_read_only(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """A report cannot mark a result complete by mistake."""
    result = fetch_assignments(example_body)

    for name, value in [("complete", False), ("total_count", 5), ("group_id", 1)]:
        with pytest.raises(AttributeError):
            setattr(result, name, value)
    assert (result.group_id, result.total_count, result.complete) == (123, 2, True)


def test_due_within_leaves_out_overdue(mixed: konstantly.GroupAssignments) -> None:
    """An assignment already past due is overdue, not due within the window."""
    ids = course_ids(mixed.due_within(timedelta(days=7), now=NOW))

    assert 1 not in ids


def test_assignment_overdue_and_time_left(
    mixed: konstantly.GroupAssignments,
) -> None:
    """time_left is due_at - now, negative once overdue; None without due time."""
    overdue, soon, _later, no_deadline, unknown = mixed

    assert overdue.is_overdue(now=NOW) is True
    assert overdue.time_left(now=NOW) == timedelta(days=-1)
    assert soon.is_overdue(now=NOW) is False
    assert soon.time_left(now=NOW) == timedelta(days=3)
    assert soon.is_overdue(now=NOW + timedelta(days=3, seconds=1)) is True
    assert soon.time_left(now=NOW + timedelta(days=3, seconds=1)) == timedelta(
        seconds=-1
    )
    assert no_deadline.is_overdue(now=NOW) is False
    assert no_deadline.time_left(now=NOW) is None
    assert unknown.is_overdue(now=NOW) is False
    assert unknown.time_left(now=NOW) is None


def test_overdue_defaults_to_the_current_time(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """Without now, a deadline in 2001 is overdue and one in 2999 is not."""
    body = {
        "assignments": [
            make_assignment(
                course_id=1, deadlineAt=unix(datetime(2001, 1, 1, tzinfo=UTC))
            ),
            make_assignment(
                course_id=2, deadlineAt=unix(datetime(2999, 1, 1, tzinfo=UTC))
            ),
        ],
        "totalCount": 2,
    }

    result = fetch_assignments(body)
    past, future = result

    assert past.is_overdue() is True
    assert future.is_overdue() is False
    assert course_ids(result.overdue()) == [1]
    assert course_ids(result.due_within(timedelta(days=7))) == []
    time_left = future.time_left()
    assert time_left is not None
    assert time_left > timedelta(days=300 * 365)
