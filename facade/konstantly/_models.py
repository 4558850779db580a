from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final, cast, overload

from konstantly_openapi.models import Assignment as RawAssignment

from ._deadlines import Deadline, DeadlinePeriod, from_unix
from ._errors import InvalidArgumentError

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

    # A view over the checked body: a value is converted when it is read, so
    # a large group costs little more than its decoded JSON.
    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def id(self) -> int:
        return cast(int, self._data["id"])

    @property
    def name(self) -> str:
        return cast(str, self._data["name"])

    @property
    def annotation(self) -> str:
        return cast(str, self._data["annotation"])

    @property
    def is_draft(self) -> bool:
        return cast(bool, self._data["isDraft"])

    # Limitation: the schema has no "not set" for required times, so a 0 in
    # createdAt or updatedAt is read as the epoch, 1970-01-01.
    @property
    def created_at(self) -> datetime:
        return from_unix(self._data["createdAt"])

    @property
    def updated_at(self) -> datetime:
        return from_unix(self._data["updatedAt"])

    @property
    def published_at(self) -> datetime | None:
        published_at = self._data.get("publishedAt")
        return from_unix(published_at) if published_at else None

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

    __slots__ = ("_course", "_data", "_deadline", "_raw", "_timezone")

    def __init__(self, data: dict[str, Any], timezone: tzinfo) -> None:
        self._data = data
        self._timezone = timezone
        self._course: Course | None = None
        self._deadline: Deadline | object | None = _NOT_YET
        self._raw: RawAssignment | None = None

    @property
    def course(self) -> Course:
        if self._course is None:
            self._course = Course(self._data["course"])
        return self._course

    @property
    def assigned_at(self) -> datetime:
        return from_unix(self._data["assignedAt"])

    @property
    def deadline(self) -> Deadline | None:
        deadline = self._deadline
        if deadline is _NOT_YET:
            deadline = self._deadline = _deadline(self._data, self._timezone)
        return cast(Deadline | None, deadline)

    @property
    def raw(self) -> RawAssignment:
        # The generated model is the API's own type; it is built on first use.
        if self._raw is None:
            self._raw = RawAssignment.from_dict(self._data)
        return self._raw

    @property
    def due_at(self) -> datetime | None:
        """The due time (UTC), or None without a deadline or a known period."""
        deadline = self.deadline
        return deadline.due_at if deadline is not None else None

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


_NOT_YET: Final = object()


def _deadline(data: dict[str, Any], timezone: tzinfo) -> Deadline | None:
    deadline_at = data.get("deadlineAt")
    # The API sends 0 for "not set"; a positive time wins over any period.
    if deadline_at:
        return Deadline(from_unix(deadline_at), None, timezone)

    raw_period = data.get("deadlinePeriod")
    if not raw_period:
        return None
    period = DeadlinePeriod(raw_period["measure"], raw_period["value"])
    # The body's checks keep every known period's end before the year 10000.
    due_at = period.add_to(from_unix(data["assignedAt"]), timezone)
    return Deadline(due_at, period, timezone)


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
