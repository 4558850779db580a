"""Render group assignments as a table, JSON or CSV for the ``konstantly`` command.

Every renderer takes rows of ``(group_id, Assignment)``, the zone to show
datetimes in and the moment to count time left from, so that the same rows
always render to the same text.

Text from the server (course names, annotations, period measures) passes
through `safe_text` in every format: a tab or line break becomes a space, and
any other control character or a lone surrogate becomes U+FFFD. So no escape
sequence reaches a terminal, whichever format is printed on it, and every
output can be encoded as UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from konstantly import Assignment

Row: TypeAlias = "tuple[int, Assignment]"
OutputFormat: TypeAlias = Literal["table", "json", "csv"]
SortKey: TypeAlias = Literal["due", "assigned", "course"]
DeadlineKind: TypeAlias = Literal["absolute", "relative", "unknown"]

FORMATS: Final[tuple[OutputFormat, ...]] = ("table", "json", "csv")
SORT_KEYS: Final[tuple[SortKey, ...]] = ("due", "assigned", "course")

DATETIME_FORMAT: Final = "%Y-%m-%d %H:%M %Z"

# The flattened record, in column order; `deadline` becomes three columns.
CSV_FIELDS: Final = (
    "group_id",
    "course_id",
    "course_name",
    "course_annotation",
    "is_draft",
    "assigned_at",
    "due_at",
    "deadline_kind",
    "deadline_measure",
    "deadline_value",
    "overdue",
    "time_left_seconds",
)

# A spreadsheet reads a cell starting with one of these as a formula or a
# command (OWASP, "CSV Injection"); a leading quote makes it plain text again.
# OWASP also lists tab and carriage return, which `safe_text` has already
# turned into spaces; spaces before the sign are skipped when checking.
_FORMULA_PREFIXES: Final = ("=", "+", "-", "@")

# Control characters (Unicode category Cc: C0, DEL, C1, with ESC and BEL among
# them) act on a terminal; lone surrogates (Cs) cannot be encoded as UTF-8;
# U+2028 and U+2029 break lines in editors and some terminals.
_UNSAFE_CHARACTERS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_SPACED_CHARACTERS: Final = frozenset("\t\n\r")

# Wide enough that rich never has to fold or crop a cell when the output is a
# file or a pipe; the table itself is only as wide as its content.
_UNBOUNDED_WIDTH: Final = 100_000

_SECOND: Final = timedelta(seconds=1)
_MINUTE: Final = timedelta(minutes=1)


def render(
    rows: Sequence[Row],
    *,
    output_format: OutputFormat,
    zone: tzinfo,
    now: datetime,
    show_group: bool = False,
) -> str:
    """Render rows in one of `FORMATS`.

    Args:
        rows: `(group_id, assignment)` pairs, in the order to show them.
        output_format: `"table"`, `"json"` or `"csv"`.
        zone: the zone datetimes are shown in.
        now: the moment time left and overdue are counted from (timezone-aware).
        show_group: add a Group column to the table; JSON and CSV always carry
            `group_id`, so that their schema does not depend on how many groups
            were asked for.

    Returns:
        The rendered text, ending with a newline.
    """
    if output_format == "json":
        return render_json(rows, zone=zone, now=now)
    if output_format == "csv":
        return render_csv(rows, zone=zone, now=now)
    return render_table(rows, zone=zone, now=now, show_group=show_group)


def sort_rows(rows: Iterable[Row], *, by: SortKey) -> list[Row]:
    """Order rows by due date (no due date last), assignment date or course name.

    Args:
        rows: `(group_id, assignment)` pairs.
        by: `"due"`, `"assigned"` or `"course"`.

    Returns:
        A new list; rows that tie keep their original order.
    """
    sort_key: Callable[[Row], Any] = _SORT_KEY_FUNCTIONS[by]
    return sorted(rows, key=sort_key)


def build_table(
    rows: Sequence[Row], *, zone: tzinfo, now: datetime, show_group: bool = False
) -> Table:
    """Build the rich table of rows, for printing on a terminal.

    Args:
        rows: `(group_id, assignment)` pairs, in the order to show them.
        zone: the zone datetimes are shown in.
        now: the moment time left is counted from.
        show_group: put a Group column first.

    Returns:
        A table with the columns [Group,] Course, Status, Assigned, Due, Time left.
    """
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    if show_group:
        table.add_column("Group", justify="right", overflow="fold")
    table.add_column("Course", overflow="fold")
    table.add_column("Status", overflow="fold")
    table.add_column("Assigned", overflow="fold")
    table.add_column("Due", overflow="fold")
    table.add_column("Time left", justify="right", overflow="fold")

    for group_id, assignment in rows:
        cells = [
            safe_text(assignment.course.name),
            "Draft" if assignment.course.is_draft else "Published",
            format_datetime(assignment.assigned_at, zone),
            format_due(assignment, zone),
            format_time_left(assignment, now),
        ]
        if show_group:
            cells.insert(0, str(group_id))
        # Text cells are never parsed as rich markup, so a course named
        # "[red]x" prints as it is.
        table.add_row(*(Text(cell) for cell in cells))

    return table


def render_table(
    rows: Sequence[Row],
    *,
    zone: tzinfo,
    now: datetime,
    show_group: bool = False,
    width: int | None = None,
) -> str:
    """Render rows as a plain-text table, without colour or trailing spaces.

    Args:
        rows: `(group_id, assignment)` pairs, in the order to show them.
        zone: the zone datetimes are shown in.
        now: the moment time left is counted from.
        show_group: put a Group column first.
        width: the widest the table may be; `None` means as wide as its
            content, so no course name is ever folded or cut.

    Returns:
        The table, ending with a newline.
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or _UNBOUNDED_WIDTH,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        highlight=False,
        emoji=False,
    )
    console.print(build_table(rows, zone=zone, now=now, show_group=show_group))

    lines = (line.rstrip() for line in buffer.getvalue().splitlines())
    return "\n".join(lines) + "\n"


# Limitation: JSON and CSV hold one record per assignment and nothing else, so
# which groups failed or arrived incomplete shows only on stderr and in the
# exit status, not in the file itself.
def render_json(rows: Sequence[Row], *, zone: tzinfo, now: datetime) -> str:
    """Render rows as a JSON array of `assignment_record` objects.

    Args:
        rows: `(group_id, assignment)` pairs, in the order to show them.
        zone: the zone datetimes are given in.
        now: the moment time left and overdue are counted from.

    Returns:
        Indented JSON with non-ASCII characters kept as they are (text made
        safe by `safe_text`), ending with a newline.
    """
    records = [
        assignment_record(group_id, assignment, zone=zone, now=now)
        for group_id, assignment in rows
    ]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def render_csv(rows: Sequence[Row], *, zone: tzinfo, now: datetime) -> str:
    """Render rows as CSV: a header of `CSV_FIELDS`, then one line per assignment.

    Booleans are `true`/`false`, a missing or unknown value is an empty cell,
    text is made safe by `safe_text`, and a text cell that a spreadsheet would
    run as a formula gets a leading `'`.

    Args:
        rows: `(group_id, assignment)` pairs, in the order to show them.
        zone: the zone datetimes are given in.
        now: the moment time left and overdue are counted from.

    Returns:
        The CSV text, lines ending with CRLF as RFC 4180 has it.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)

    for group_id, assignment in rows:
        record = assignment_record(group_id, assignment, zone=zone, now=now)
        deadline = record.pop("deadline") or {}
        flat = {
            **record,
            "deadline_kind": deadline.get("kind"),
            "deadline_measure": deadline.get("measure"),
            "deadline_value": deadline.get("value"),
        }
        writer.writerow(_csv_cell(flat[field]) for field in CSV_FIELDS)

    return buffer.getvalue()


def assignment_record(
    group_id: int, assignment: Assignment, *, zone: tzinfo, now: datetime
) -> dict[str, Any]:
    """The JSON object of one assignment, keys in a fixed order.

    Args:
        group_id: the group the assignment was listed for.
        assignment: the assignment.
        zone: the zone `assigned_at` and `due_at` are given in.
        now: the moment `overdue` and `time_left_seconds` are counted from.

    Returns:
        `group_id`, `course_id`, `course_name`, `course_annotation`, `is_draft`,
        `assigned_at` and `due_at` (ISO 8601 with offset, `due_at` may be
        `None`), `deadline` (`kind`, `measure`, `value`, or `None`), `overdue`
        (`None` when the deadline's measure is unknown, so nobody can tell)
        and `time_left_seconds` (whole seconds, negative when overdue, `None`
        without a due date). Text is made safe by `safe_text`.
    """
    course = assignment.course
    due_at = assignment.due_at
    time_left = assignment.time_left(now=now)

    return {
        "group_id": group_id,
        "course_id": course.id,
        "course_name": safe_text(course.name),
        "course_annotation": safe_text(course.annotation),
        "is_draft": course.is_draft,
        "assigned_at": in_zone(assignment.assigned_at, zone).isoformat(),
        "due_at": None if due_at is None else in_zone(due_at, zone).isoformat(),
        "deadline": _deadline_record(assignment),
        "overdue": _overdue(assignment, now),
        "time_left_seconds": None if time_left is None else time_left // _SECOND,
    }


def safe_text(text: str) -> str:
    """Make text from the server safe to print on a terminal and to encode.

    Args:
        text: a course name, an annotation or a period's measure.

    Returns:
        The text with each tab, line feed and carriage return replaced by a
        space, and every other control character (Unicode category Cc: C0,
        DEL and C1, ESC and BEL among them), lone surrogate (Cs), U+2028 and
        U+2029 replaced by U+FFFD, the replacement character.
    """
    return _UNSAFE_CHARACTERS.sub(_replacement, text)


def deadline_kind(assignment: Assignment) -> DeadlineKind | None:
    """Say how an assignment's deadline is given.

    Args:
        assignment: the assignment.

    Returns:
        `"absolute"` for a fixed date, `"relative"` for a period from the
        assignment date, `"unknown"` for a period whose measure this client does
        not know (so no due date), `None` without a deadline.
    """
    deadline = assignment.deadline
    if deadline is None:
        return None
    if assignment.due_at is None:
        return "unknown"
    return "relative" if deadline.is_relative else "absolute"


def format_datetime(moment: datetime, zone: tzinfo) -> str:
    """Format a datetime for the table, e.g. `2015-10-07 03:35 UTC`.

    Args:
        moment: a timezone-aware datetime.
        zone: the zone to show it in.

    Returns:
        The date and minute in `zone` (or in UTC, as `in_zone` has it),
        followed by the zone's abbreviation.
    """
    return in_zone(moment, zone).strftime(DATETIME_FORMAT)


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """The moment in `zone`, or in UTC when `zone`'s calendar cannot hold it.

    A datetime ends with the year 9999, which the API's times reach: its
    last second, 9999-12-31 23:59:59 UTC, is already in the year 10000 in a
    zone ahead of UTC, such as Pacific/Kiritimati (UTC+14). Such a moment is
    shown in UTC, with UTC's offset and name, so that it is still the right
    moment, only not in the zone asked for.

    Args:
        moment: a timezone-aware datetime.
        zone: the zone to show it in.

    Returns:
        The same moment, in `zone` or else in UTC.
    """
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment.astimezone(UTC)


def format_due(assignment: Assignment, zone: tzinfo) -> str:
    """Format the Due cell: the due date, its period when relative, or `-`.

    Args:
        assignment: the assignment.
        zone: the zone to show the due date in.

    Returns:
        `2015-10-07 03:35 UTC` for a fixed deadline,
        `2015-11-25 12:16 UTC (2 months)` for a relative one, `? (3 years)` for a
        period of an unknown measure and `-` without a deadline.
    """
    deadline = assignment.deadline
    if deadline is None:
        return "-"

    period = "" if deadline.period is None else f" ({deadline.period})"
    if assignment.due_at is None:
        return safe_text(f"?{period}")

    due = format_datetime(assignment.due_at, zone)
    return f"{due}{period}" if deadline.is_relative else due


def format_time_left(assignment: Assignment, now: datetime) -> str:
    """Format the Time left cell, e.g. `5d 3h`, `4h 20m`, `7m` or `overdue`.

    Args:
        assignment: the assignment.
        now: the moment time left is counted from.

    Returns:
        The time left rounded down to the two largest units, `overdue` past
        the due date, `?` when the due date is unknown and `-` without a
        deadline.
    """
    if assignment.deadline is None:
        return "-"

    time_left = assignment.time_left(now=now)
    if time_left is None:
        return "?"
    if assignment.is_overdue(now=now):
        return "overdue"

    return _format_timedelta(time_left)


def _format_timedelta(delta: timedelta) -> str:
    """`5d 3h`, `4h 20m` or `7m` for a positive delta, `<1m` under a minute."""
    minutes = delta // _MINUTE
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)

    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m"
    return "<1m"


def _deadline_record(assignment: Assignment) -> dict[str, Any] | None:
    kind = deadline_kind(assignment)
    if kind is None:
        return None

    period = assignment.deadline.period if assignment.deadline else None
    if kind == "absolute" or period is None:
        return {"kind": kind, "measure": None, "value": None}
    return {"kind": kind, "measure": safe_text(period.measure), "value": period.value}


def _overdue(assignment: Assignment, now: datetime) -> bool | None:
    """Whether the assignment is overdue; `None` when its due date is unknown."""
    if deadline_kind(assignment) == "unknown":
        return None
    return assignment.is_overdue(now=now)


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Any leading white space, a no-break or an ideographic space included,
    # since spreadsheets skip it before looking for a formula.
    if isinstance(value, str) and value.lstrip().startswith(_FORMULA_PREFIXES):
        return "'" + value
    return str(value)


def _replacement(match: re.Match[str]) -> str:
    return " " if match[0] in _SPACED_CHARACTERS else "\N{REPLACEMENT CHARACTER}"


def _due_sort_key(row: Row) -> tuple[bool, datetime | None, str]:
    due_at = row[1].due_at
    # Rows without a due date go last; `None` is never compared, since the
    # first item already tells them apart.
    return (due_at is None, due_at, row[1].course.name.casefold())


def _assigned_sort_key(row: Row) -> tuple[datetime, str]:
    return (row[1].assigned_at, row[1].course.name.casefold())


def _course_sort_key(row: Row) -> tuple[str, int]:
    return (row[1].course.name.casefold(), row[1].course.id)


_SORT_KEY_FUNCTIONS: Final[dict[SortKey, Callable[[Row], Any]]] = {
    "due": _due_sort_key,
    "assigned": _assigned_sort_key,
    "course": _course_sort_key,
}
