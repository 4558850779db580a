from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from typing import overload

from konstantly_openapi.models import Assignment as RawAssignment
from konstantly_openapi.models import Course as RawCourse

from ._deadlines import Deadline, DeadlinePeriod, from_unix
from ._errors import InvalidArgumentError, ResponseValidationError

__all__ = ["Assignment", "Course", "GroupAssignments"]


class Course:
    """
    A course of the site, as an assignment names it.

    Attributes:
        id: Identifier of the course.
        name: Title of the course.
        annotation: Short description of the course.
        is_draft: True while the course is an unpublished draft.
        created_at: When the course was created (UTC).
        updated_at: When the course was last changed (UTC).
        published_at: When the course was published (UTC), or None if it never
            was (the server sends 0 or leaves the field out).
    """

    __slots__ = (
        "annotation",
        "created_at",
        "id",
        "is_draft",
        "name",
        "published_at",
        "updated_at",
    )

    def __init__(self, raw: RawCourse) -> None:
        self.id: int = raw.id
        self.name: str = raw.name
        self.annotation: str = raw.annotation
        self.is_draft: bool = raw.is_draft
        # Limitation: the schema has no "not set" for required times, so a 0
        # here is read as the epoch, 1970-01-01.
        self.created_at = from_unix(raw.created_at)
        self.updated_at = from_unix(raw.updated_at)
        published_at = raw.published_at
        self.published_at = from_unix(published_at) if published_at else None

    def __repr__(self) -> str:
        return f"Course(id={self.id!r}, name={self.name!r})"


class Assignment:
    """
    A course assigned to a group, with its deadline.

    Attributes:
        course: The assigned course.
        assigned_at: When the course was assigned to the group (UTC).
        deadline: The deadline, or None when the assignment has none.
        raw: The generated model this was built from, with any fields the
            server added that this version does not know.
    """

    __slots__ = ("assigned_at", "course", "deadline", "raw")

    def __init__(self, raw: RawAssignment, timezone: tzinfo) -> None:
        self.raw = raw
        self.course = Course(raw.course)
        self.assigned_at = from_unix(raw.assigned_at)
        self.deadline = _deadline(raw, self.assigned_at, timezone)

    @property
    def due_at(self) -> datetime | None:
        """The due time (UTC), or None without a deadline or a known period."""
        return self.deadline.due_at if self.deadline is not None else None

    def time_left(self, now: datetime | None = None) -> timedelta | None:
        """
        How long until the due time; negative once it has passed.

        Args:
            now: The moment to measure from (aware); None means the current time.

        Returns:
            The time left, or None when there is no due time.

        Raises:
            InvalidArgumentError: `now` is not an aware datetime.
        """
        due_at = self.due_at
        if due_at is None:
            return None
        return due_at - _aware_now(now)

    def is_overdue(self, now: datetime | None = None) -> bool:
        """
        Whether the due time has passed.

        Args:
            now: The moment to compare with (aware); None means the current time.

        Raises:
            InvalidArgumentError: `now` is not an aware datetime.
        """
        time_left = self.time_left(now)
        return time_left is not None and time_left < timedelta(0)

    def __repr__(self) -> str:
        return (
            f"Assignment(course={self.course!r}, assigned_at={self.assigned_at!r}, "
            f"deadline={self.deadline!r})"
        )


def _deadline(
    raw: RawAssignment, assigned_at: datetime, timezone: tzinfo
) -> Deadline | None:
    deadline_at = raw.deadline_at
    # The API sends 0 for "not set"; a positive time wins over any period.
    if isinstance(deadline_at, int) and deadline_at > 0:
        return Deadline(from_unix(deadline_at), None, timezone)

    raw_period = raw.deadline_period
    if not raw_period:
        return None
    measure = raw_period.measure
    period = DeadlinePeriod(
        measure.value if isinstance(measure, Enum) else measure, raw_period.value
    )
    return Deadline(period.add_to(assigned_at, timezone), period, timezone)


def build_assignment(raw: RawAssignment, timezone: tzinfo, path: str) -> Assignment:
    """An Assignment from a checked raw model; a due time past 9999 is an error."""
    try:
        return Assignment(raw, timezone)
    except OverflowError:
        period = raw.deadline_period
        length = f"{period.value} {period.measure}" if period else "its period"
        message = (
            f"The deadline at {path} lies beyond the year 9999: {length} after "
            f"{raw.assigned_at!r}."
        )
        raise ResponseValidationError(message, path=f"{path}.deadlinePeriod") from None


class GroupAssignments(Sequence[Assignment]):
    """
    The courses assigned to one group: a read-only sequence of Assignment.

    Attributes:
        group_id: The group these assignments belong to.
        total_count: How many assignments the server said the group has.
        complete: False when fewer assignments arrived than `total_count`
            announced, so the result may be missing some.
    """

    __slots__ = ("_assignments", "_group_id", "_total_count")

    def __init__(
        self,
        group_id: int,
        assignments: Sequence[Assignment],
        *,
        total_count: int,
    ) -> None:
        self._group_id = group_id
        self._assignments = tuple(assignments)
        self._total_count = total_count

    @property
    def group_id(self) -> int:
        """The group these assignments belong to."""
        return self._group_id

    @property
    def total_count(self) -> int:
        """How many assignments the server said the group has."""
        return self._total_count

    @property
    def complete(self) -> bool:
        """False when fewer assignments arrived than `total_count` announced."""
        return len(self._assignments) >= self._total_count

    @overload
    def __getitem__(self, index: int) -> Assignment: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Assignment]: ...

    def __getitem__(self, index: int | slice) -> Assignment | Sequence[Assignment]:
        return self._assignments[index]

    def __len__(self) -> int:
        return len(self._assignments)

    def __iter__(self) -> Iterator[Assignment]:
        return iter(self._assignments)

    def sorted_by_due(self) -> list[Assignment]:
        """The assignments by due time, earliest first; those without one last."""
        return sorted(self._assignments, key=_due_order)

    def overdue(self, now: datetime | None = None) -> list[Assignment]:
        """
        The assignments whose due time has passed, earliest first.

        Args:
            now: The moment to compare with (aware); None means the current time.

        Raises:
            InvalidArgumentError: `now` is not an aware datetime.
        """
        moment = _aware_now(now)
        return [item for item in self.sorted_by_due() if item.is_overdue(moment)]

    def due_within(
        self, delta: timedelta, now: datetime | None = None
    ) -> list[Assignment]:
        """
        The assignments due from `now` up to `now + delta`, earliest first.

        Overdue assignments are not included: see `overdue()`.

        Args:
            delta: How far ahead to look.
            now: The moment to look from (aware); None means the current time.

        Raises:
            InvalidArgumentError: `delta` is not a timedelta or `now` is not an
                aware datetime.
        """
        if not isinstance(delta, timedelta):
            message = f"delta must be a datetime.timedelta, got {delta!r}."
            raise InvalidArgumentError(message)

        moment = _aware_now(now)
        try:
            horizon = moment + delta
        except OverflowError:  # a delta beyond the year 9999 reaches everything
            horizon = _LAST
        return [
            item
            for item in self.sorted_by_due()
            if item.due_at is not None and moment <= item.due_at <= horizon
        ]

    def __repr__(self) -> str:
        return (
            f"GroupAssignments(group_id={self.group_id!r}, count={len(self)}, "
            f"total_count={self.total_count!r}, complete={self.complete!r})"
        )


_LAST = datetime.max.replace(tzinfo=UTC)


def _due_order(assignment: Assignment) -> tuple[datetime, str]:
    return assignment.due_at or _LAST, assignment.course.name


def _aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if not isinstance(now, datetime) or now.utcoffset() is None:
        message = f"now must be a timezone-aware datetime, got {now!r}."
        raise InvalidArgumentError(message)
    return now
