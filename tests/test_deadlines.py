"""Deadline rules: absolute deadlines, periods on the client's calendar, and gaps."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import konstantly
import pytest

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

Fetch = Callable[..., konstantly.GroupAssignments]
MakeAssignment = Callable[..., dict[str, Any]]


def unix(moment: datetime) -> int:
    """Unix seconds of an aware datetime, as the API sends them."""
    return int(moment.timestamp())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def one_assignment(
    fetch: Fetch, make_assignment: MakeAssignment, **fields: Any
) -> konstantly.Assignment:
    """Serve a single assignment built from fields and return it parsed."""
    timezone = fields.pop("timezone", "UTC")
    body = {"assignments": [make_assignment(**fields)], "totalCount": 1}
    (assignment,) = fetch_list(fetch, body, timezone=timezone)
    return assignment


def fetch_list(fetch: Fetch, body: Any, **options: Any) -> list[konstantly.Assignment]:
    return list(fetch(body, **options))


def test_absolute_deadline_wins_over_period(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """A deadlineAt above 0 is the deadline even when a period is also sent."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(utc(2021, 1, 1, 9)),
        deadlineAt=unix(utc(2021, 6, 30, 18)),
        deadlinePeriod={"measure": "days", "value": 3},
    )

    assert assignment.deadline is not None
    assert assignment.deadline.is_relative is False
    assert assignment.deadline.due_at == utc(2021, 6, 30, 18)
    assert assignment.due_at == utc(2021, 6, 30, 18)


def test_absolute_deadline_wins_over_a_period_past_the_year_9999(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """A period that could not be counted does not matter beside a deadlineAt."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(utc(2021, 1, 1, 9)),
        deadlineAt=unix(utc(2021, 6, 30, 18)),
        deadlinePeriod={"measure": "months", "value": 10**6},
    )

    assert assignment.due_at == utc(2021, 6, 30, 18)
    assert assignment.raw.deadline_period is not None
    assert assignment.raw.deadline_period.value == 10**6


def test_absolute_deadline_due_for_ignores_start(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """An absolute deadline is the same moment whoever starts and whenever."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        deadlineAt=unix(utc(2021, 6, 30, 18)),
    )

    assert assignment.deadline is not None
    assert assignment.deadline.due_for(utc(2021, 6, 1)) == utc(2021, 6, 30, 18)
    assert assignment.deadline.due_for(utc(2030, 1, 1)) == utc(2021, 6, 30, 18)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"deadlineAt": None},
        {"deadlineAt": 0},
        {"deadlinePeriod": None},
        {"deadlineAt": None, "deadlinePeriod": None},
        {"deadlineAt": 0, "deadlinePeriod": None},
    ],
)
def test_no_deadline_when_neither_time_nor_period(
    fetch_assignments: Fetch, make_assignment: MakeAssignment, fields: dict[str, Any]
) -> None:
    """A missing, null or 0 deadlineAt with no period means no deadline at all."""
    assignment = one_assignment(fetch_assignments, make_assignment, **fields)

    assert assignment.deadline is None
    assert assignment.due_at is None
    assert assignment.is_overdue(now=utc(2100, 1, 1)) is False
    assert assignment.time_left(now=utc(2100, 1, 1)) is None


@pytest.mark.parametrize("fields", [{}, {"deadlineAt": None}, {"deadlineAt": 0}])
def test_zero_or_absent_deadline_at_with_period_is_relative(
    fetch_assignments: Fetch, make_assignment: MakeAssignment, fields: dict[str, Any]
) -> None:
    """deadlineAt 0, null or missing next to a period gives a relative deadline."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(utc(2021, 5, 10, 8, 30)),
        deadlinePeriod={"measure": "days", "value": 5},
        **fields,
    )

    assert assignment.deadline is not None
    assert assignment.deadline.is_relative is True
    assert assignment.deadline.period is not None
    assert assignment.deadline.period.measure == "days"
    assert assignment.deadline.period.value == 5
    assert assignment.deadline.due_at == utc(2021, 5, 15, 8, 30)
    assert assignment.due_at == utc(2021, 5, 15, 8, 30)


def test_hours_are_elapsed_time_across_spring_forward(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """24 hours from noon before the DST change ends at 13:00 local time."""
    assigned = datetime(2021, 3, 13, 12, tzinfo=NEW_YORK)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "hours", "value": 24},
        timezone="America/New_York",
    )

    assert assignment.due_at == utc(2021, 3, 14, 17)
    assert assignment.due_at.astimezone(NEW_YORK).hour == 13
    assert assignment.due_at - assignment.assigned_at == timedelta(hours=24)


def test_days_keep_wall_clock_time_across_spring_forward(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """One day after 12:00 EST is 12:00 EDT the next day: 23 hours later."""
    assigned = datetime(2021, 3, 13, 12, tzinfo=NEW_YORK)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "days", "value": 1},
        timezone="America/New_York",
    )

    assert assignment.due_at == utc(2021, 3, 14, 16)
    assert assignment.due_at.astimezone(NEW_YORK) == datetime(
        2021, 3, 14, 12, tzinfo=NEW_YORK
    )


def test_days_keep_wall_clock_time_across_fall_back(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """One day after 12:00 EDT is 12:00 EST the next day: 25 hours later."""
    assigned = datetime(2021, 11, 6, 12, tzinfo=NEW_YORK)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "days", "value": 1},
        timezone="America/New_York",
    )

    assert assignment.due_at == utc(2021, 11, 7, 17)


@pytest.mark.parametrize(
    ("assigned", "due"),
    [
        # Saturday 02:30 EST: Sunday's 02:30 never comes, so 03:30 EDT.
        pytest.param(utc(2024, 3, 9, 7, 30), utc(2024, 3, 10, 7, 30), id="skipped"),
        # Saturday 01:30 EDT: Sunday's 01:30 comes twice; the first is EDT.
        pytest.param(utc(2024, 11, 2, 5, 30), utc(2024, 11, 3, 5, 30), id="repeated"),
    ],
)
def test_day_ending_in_a_changed_hour(
    fetch_assignments: Fetch,
    make_assignment: MakeAssignment,
    assigned: datetime,
    due: datetime,
) -> None:
    """A day ending in the hour the clocks skip or repeat has one due time."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "days", "value": 1},
        timezone="America/New_York",
    )

    assert assignment.due_at == due


@pytest.mark.parametrize("measure", ["hours", "days", "weeks", "months"])
def test_zero_period_from_the_repeated_hour_is_the_assignment_time(
    fetch_assignments: Fetch, make_assignment: MakeAssignment, measure: str
) -> None:
    """Zero units after the second 01:30 are that instant, not an hour before."""
    assigned = utc(2024, 11, 3, 6, 30)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": measure, "value": 0},
        timezone="America/New_York",
    )

    assert assignment.due_at == assigned
    assert assignment.deadline is not None
    assert assignment.deadline.due_for(assigned) == assigned


def test_weeks_keep_wall_clock_time_across_spring_forward(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """One week after Saturday 12:00 EST is the next Saturday 12:00 EDT."""
    assigned = datetime(2021, 3, 13, 12, tzinfo=NEW_YORK)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "weeks", "value": 1},
        timezone="America/New_York",
    )

    assert assignment.due_at == utc(2021, 3, 20, 16)


def test_days_in_utc_timezone_are_24_hours(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """The same assignment in a UTC client has no DST: exactly 24 hours later."""
    assigned = datetime(2021, 3, 13, 12, tzinfo=NEW_YORK)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "days", "value": 1},
        timezone="UTC",
    )

    assert assignment.due_at == utc(2021, 3, 14, 17)


def test_timezone_accepts_a_tzinfo_object(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """A tzinfo works like its IANA name as the client's calendar."""
    assigned = datetime(2021, 3, 13, 12, tzinfo=NEW_YORK)
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "days", "value": 1},
        timezone=NEW_YORK,
    )

    assert assignment.due_at == utc(2021, 3, 14, 16)


@pytest.mark.parametrize(
    ("assigned", "months", "due"),
    [
        (utc(2023, 1, 31, 10), 1, utc(2023, 2, 28, 10)),
        (utc(2024, 1, 31, 10), 1, utc(2024, 2, 29, 10)),
        (utc(2023, 1, 31, 10), 2, utc(2023, 3, 31, 10)),
        (utc(2023, 3, 31, 10), 1, utc(2023, 4, 30, 10)),
        (utc(2023, 11, 15, 10), 3, utc(2024, 2, 15, 10)),
    ],
)
def test_months_are_calendar_months_clamped_to_month_end(
    fetch_assignments: Fetch,
    make_assignment: MakeAssignment,
    assigned: datetime,
    months: int,
    due: datetime,
) -> None:
    """Adding months keeps the day of the month, or the month's last day."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(assigned),
        deadlinePeriod={"measure": "months", "value": months},
    )

    assert assignment.due_at == due


def test_months_count_on_the_clients_calendar(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """Jan 30 20:00 UTC is Jan 31 in Tokyo, so a month later is Feb 28 there."""
    assigned = utc(2023, 1, 30, 20)
    body = {
        "assignments": [
            make_assignment(
                assigned_at=unix(assigned),
                deadlinePeriod={"measure": "months", "value": 1},
            )
        ],
        "totalCount": 1,
    }

    (in_tokyo,) = fetch_list(fetch_assignments, body, timezone="Asia/Tokyo")
    (in_utc,) = fetch_list(fetch_assignments, body, timezone="UTC")

    assert in_tokyo.due_at == utc(2023, 2, 27, 20)
    assert in_tokyo.due_at.astimezone(TOKYO) == datetime(2023, 2, 28, 5, tzinfo=TOKYO)
    assert in_utc.due_at == utc(2023, 2, 28, 20)


def test_unknown_measure_keeps_period_and_warns_once(
    fetch_assignments: Fetch,
    make_assignment: MakeAssignment,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unknown measure leaves due_at unset, logs one warning, spares the rest."""
    body = {
        "assignments": [
            make_assignment(
                course_id=1,
                assigned_at=unix(utc(2021, 1, 1)),
                deadlinePeriod={"measure": "years", "value": 1},
            ),
            make_assignment(
                course_id=2,
                assigned_at=unix(utc(2021, 1, 1)),
                deadlinePeriod={"measure": "days", "value": 2},
            ),
            make_assignment(course_id=3, deadlineAt=unix(utc(2021, 3, 1))),
        ],
        "totalCount": 3,
    }
    caplog.set_level(logging.DEBUG, logger="konstantly")

    years, days, absolute = fetch_list(fetch_assignments, body)

    assert years.deadline is not None
    assert years.deadline.is_relative is True
    assert years.deadline.period is not None
    assert years.deadline.period.measure == "years"
    assert years.deadline.period.value == 1
    assert years.deadline.due_at is None
    assert years.deadline.due_for(utc(2021, 1, 1)) is None
    assert years.due_at is None
    assert days.due_at == utc(2021, 1, 3)
    assert absolute.due_at == utc(2021, 3, 1)
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and record.name.startswith("konstantly")
    ]
    assert len(warnings) == 1
    assert "years" in warnings[0].getMessage()


def test_relative_due_for_counts_from_the_given_start(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """due_for applies the period to any start, on the client's calendar."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(utc(2021, 1, 1)),
        deadlinePeriod={"measure": "days", "value": 1},
        timezone="America/New_York",
    )
    deadline = assignment.deadline

    assert deadline is not None
    assert deadline.due_at == utc(2021, 1, 2)
    assert deadline.due_for(utc(2021, 3, 13, 17)) == utc(2021, 3, 14, 16)
    assert deadline.due_for(utc(2021, 7, 1, 12)) == utc(2021, 7, 2, 12)


def test_relative_due_for_in_months_clamps(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """due_for with a months period clamps to the end of the target month."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        assigned_at=unix(utc(2021, 1, 1)),
        deadlinePeriod={"measure": "months", "value": 1},
    )
    deadline = assignment.deadline

    assert deadline is not None
    assert deadline.due_for(utc(2024, 1, 31, 23, 59, 59)) == utc(
        2024, 2, 29, 23, 59, 59
    )


@pytest.mark.parametrize(
    ("measure", "value", "text"),
    [
        ("months", 2, "2 months"),
        ("months", 1, "1 month"),
        ("days", 1, "1 day"),
        ("days", 10, "10 days"),
        ("hours", 1, "1 hour"),
        ("weeks", 3, "3 weeks"),
    ],
)
def test_period_reads_as_text(
    fetch_assignments: Fetch,
    make_assignment: MakeAssignment,
    measure: str,
    value: int,
    text: str,
) -> None:
    """str(period) is the count and the unit, singular for one."""
    assignment = one_assignment(
        fetch_assignments,
        make_assignment,
        deadlinePeriod={"measure": measure, "value": value},
    )

    assert assignment.deadline is not None
    assert str(assignment.deadline.period) == text


def test_all_datetimes_are_aware_utc(
    fetch_assignments: Fetch, make_assignment: MakeAssignment
) -> None:
    """Every datetime the client returns is in UTC, whatever its calendar."""
    body = {
        "assignments": [
            make_assignment(course_id=1, deadlineAt=1444188932),
            make_assignment(
                course_id=2, deadlinePeriod={"measure": "days", "value": 3}
            ),
        ],
        "totalCount": 2,
    }

    assignments = fetch_list(fetch_assignments, body, timezone="America/New_York")

    moments = [
        moment
        for assignment in assignments
        for moment in (
            assignment.assigned_at,
            assignment.due_at,
            assignment.course.created_at,
            assignment.course.updated_at,
            assignment.course.published_at,
        )
    ]
    assert len(moments) == 10
    for moment in moments:
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)


@pytest.fixture
def tokyo_process_timezone() -> Iterator[None]:
    """Set the process's local timezone to Asia/Tokyo for one test."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


@pytest.mark.usefixtures("tokyo_process_timezone")
def test_deadlines_ignore_process_timezone(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """A machine set to Tokyo time reads the example exactly as a UTC one does."""
    assert time.localtime(0).tm_hour == 9

    sales, crm = fetch_list(fetch_assignments, example_body)

    assert sales.assigned_at == utc(2015, 9, 25, 12, 15, 22)
    assert sales.due_at == utc(2015, 10, 7, 3, 35, 32)
    assert crm.due_at == utc(2015, 11, 25, 12, 16, 40)
    assert crm.course.created_at == utc(2017, 10, 12, 11, 30)


# Runs in a fresh interpreter, so the timezone is set before anything imports.
_TZ_SCRIPT = """
import json, sys
import konstantly
with konstantly.Konstantly(api_key=sys.argv[1], base_url=sys.argv[2],
                           max_retries=0) as client:
    result = client.groups.list_assignments(123)
print(json.dumps([[a.assigned_at.isoformat(), a.due_at.isoformat()]
                  for a in result]))
"""


def test_deadlines_ignore_process_timezone_in_fresh_process(
    httpserver: Any, api_key: str, base_url: str, example_body: dict[str, Any]
) -> None:
    """A separate interpreter started with TZ=Asia/Tokyo gives the UTC results."""
    httpserver.expect_request("/openapi/v1/groups/123/assignments").respond_with_json(
        example_body
    )
    env = {**os.environ, "TZ": "Asia/Tokyo"}
    for name in ("KONSTANTLY_API_KEY", "KONSTANTLY_SITE", "KONSTANTLY_BASE_URL"):
        env.pop(name, None)

    completed = subprocess.run(
        [sys.executable, "-c", _TZ_SCRIPT, api_key, base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == [
        ["2015-09-25T12:15:22+00:00", "2015-10-07T03:35:32+00:00"],
        ["2015-09-25T12:16:40+00:00", "2015-11-25T12:16:40+00:00"],
    ]
