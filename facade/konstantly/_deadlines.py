from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from dateutil.relativedelta import relativedelta

from ._errors import InvalidArgumentError

__all__ = ["EPOCH", "KNOWN_MEASURES", "Deadline", "DeadlinePeriod", "from_unix"]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
KNOWN_MEASURES: Final = frozenset({"hours", "days", "weeks", "months"})


def from_unix(seconds: int) -> datetime:
    """A UTC datetime from unix seconds, the same whatever the host's timezone."""
    # The epoch plus a timedelta, not datetime.fromtimestamp: the latter goes
    # through the C library, which differs between systems for old or far dates.
    # Positional (days, seconds) skips keyword parsing, a third of the cost.
    return EPOCH + timedelta(0, seconds)


class DeadlinePeriod:
    """
    A relative deadline: `value` units of `measure` after the start.

    Attributes:
        measure: `"hours"`, `"days"`, `"weeks"`, `"months"`, or a unit the server
            added later that this version does not know.
        value: How many units.
    """

    __slots__ = ("measure", "value")

    def __init__(self, measure: str, value: int) -> None:
        self.measure = measure
        self.value = value

    @property
    def is_known(self) -> bool:
        """True when this version knows how to count in `measure`."""
        return self.measure in KNOWN_MEASURES

    def add_to(self, start: datetime, timezone: tzinfo) -> datetime | None:
        """
        The end of the period that begins at `start`, in UTC.

        Hours are elapsed time. Days and weeks are calendar days in `timezone`,
        so the wall-clock time stays the same across a daylight-saving change.
        Months are calendar months, clamped to the end of a shorter month
        (January 31 plus one month is the last day of February).

        Returns:
            The end as an aware UTC datetime, or None for an unknown measure.

        Raises:
            OverflowError: The end lies beyond the year 9999.
        """
        if self.measure == "hours":
            return start + timedelta(hours=self.value)
        if self.measure not in KNOWN_MEASURES:
            return None
        # A wall-clock time in the hour repeated when the clocks go back names
        # two instants, and arithmetic picks the first: counting zero days from
        # the second would end an hour before the start.
        if self.value == 0:
            return start.astimezone(UTC)

        try:
            local_end = start.astimezone(timezone) + _calendar_step(
                self.measure, self.value
            )
        except ValueError as exc:  # a year past 9999, as date arithmetic says it
            raise OverflowError(str(exc)) from None
        # Aware arithmetic in Python keeps the wall-clock time and the zone;
        # the offset is then looked up anew for the end date. An end in the
        # hour skipped when the clocks go forward counts with the offset before
        # the change (02:30 becomes 03:30); one in the repeated hour is the
        # first of the two (PEP 495's fold=0), the earlier deadline.
        return local_end.replace(fold=0).astimezone(UTC)

    def __str__(self) -> str:
        unit = self.measure[:-1] if self.value == 1 else self.measure
        return f"{self.value} {unit}"

    def __repr__(self) -> str:
        return f"DeadlinePeriod(measure={self.measure!r}, value={self.value!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeadlinePeriod):
            return NotImplemented
        return (self.measure, self.value) == (other.measure, other.value)

    def __hash__(self) -> int:
        return hash((self.measure, self.value))


@functools.lru_cache(maxsize=256)
def _calendar_step(measure: str, value: int) -> relativedelta:
    """The calendar step of a period in days, weeks or months."""
    # A group's periods repeat a handful of values, and making a relativedelta
    # costs about as much as adding one.
    if measure == "months":
        return relativedelta(months=value)
    return relativedelta(days=value * 7 if measure == "weeks" else value)


class Deadline:
    """
    When an assignment is due: an absolute time, or a period after the start.

    Attributes:
        due_at: The due time in UTC: the absolute deadline, or the period
            counted from the assignment time. None for a period whose measure
            this version does not know.
        period: The relative deadline, or None for an absolute one.
    """

    __slots__ = ("_timezone", "due_at", "period")

    def __init__(
        self,
        due_at: datetime | None,
        period: DeadlinePeriod | None,
        timezone: tzinfo,
    ) -> None:
        self.due_at = due_at
        self.period = period
        self._timezone = timezone

    @property
    def is_relative(self) -> bool:
        """True when the deadline is a period after the start."""
        return self.period is not None

    def due_for(self, start: datetime) -> datetime | None:
        """
        The due time for a member who started at `start`.

        Args:
            start: When the member started; must be timezone-aware.

        Returns:
            The absolute deadline as it is, or `start` plus the period in the
            client's timezone; None for an unknown measure.

        Raises:
            InvalidArgumentError: `start` is not an aware datetime, or the due
                time would lie beyond the year 9999.
        """
        if not isinstance(start, datetime) or start.utcoffset() is None:
            message = (
                f"start must be a timezone-aware datetime, got {start!r}; "
                "attach a zone, e.g. start.replace(tzinfo=datetime.UTC)."
            )
            raise InvalidArgumentError(message)
        if self.period is None:
            return self.due_at

        try:
            return self.period.add_to(start.astimezone(UTC), self._timezone)
        except OverflowError:
            message = f"{self.period} after {start!r} lies beyond the year 9999."
            raise InvalidArgumentError(message) from None

    def __repr__(self) -> str:
        return f"Deadline(due_at={self.due_at!r}, period={self.period!r})"
