"""Rendering assignments as a table, JSON and CSV, at a fixed moment."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import konstantly
import pytest
from konstantly import _output
from konstantly.testing import FakeKonstantly, Fault

# Five days and a bit before the documented example's absolute deadline
# (2015-10-07 03:35:32 UTC), so nothing in group 123 is overdue yet.
NOW = datetime(2015, 10, 2, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14, the zone furthest ahead

# 9999-12-31 23:59:59 UTC, the last second a datetime holds; already in the
# year 10000 in Kiritimati.
LAST_SECOND = 253402300799

SALES = "Sales Strategy Fundamentals"
CRM = "Customer Relationship Management"
LONG_NAME = "Onboarding " + "and Compliance " * 10 + "(complete edition)"

EDGE_GROUP_ID = 7
HOSTILE_GROUP_ID = 8
SURROGATE_GROUP_ID = 9
LAST_SECOND_GROUP_ID = 10

# What a server may put in text: ESC and BEL (which a terminal acts on), the
# C1 control CSI, DEL and a Unicode line separator.
HOSTILE_NAME = "\x1b]0;owned\x07Red \x1b[31malert\x9b2J\x7f\u2028end"
SAFE_HOSTILE_NAME = "\ufffd]0;owned\ufffdRed \ufffd[31malert\ufffd2J\ufffd\ufffdend"

# JSON may spell a lone surrogate, which Python decodes to a str that no UTF-8
# encoder accepts; the fake site cannot send it from a dict, so it goes raw.
SURROGATE_BODY = (
    b'{"assignments": [{"assignedAt": 1443000000, "course": {"id": 1, '
    b'"name": "bad \\ud800 name", "annotation": "fine \\udfff too", '
    b'"isDraft": false, "createdAt": 1443000000, "updatedAt": 1443000000, '
    b'"publishedAt": 1443000000}}], "totalCount": 1}'
)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def wire_assignment(
    course_id: int,
    name: str,
    *,
    annotation: str = "About this course",
    is_draft: bool = False,
    **deadline: Any,
) -> dict[str, Any]:
    """One assignment as the API sends it, assigned a week before NOW."""
    return {
        "assignedAt": unix(NOW - timedelta(days=7)),
        "course": {
            "id": course_id,
            "name": name,
            "annotation": annotation,
            "isDraft": is_draft,
            "createdAt": 1443000000,
            "updatedAt": 1443000000,
            "publishedAt": 0 if is_draft else 1443000000,
        },
        **deadline,
    }


EDGE_ASSIGNMENTS = [
    wire_assignment(
        1,
        '=HYPERLINK("http://evil.example")',
        annotation="@SUM(1+1)",
        deadlinePeriod={"measure": "years", "value": 3},
    ),
    wire_assignment(2, "\tTabbed", annotation="-2+3", is_draft=True),
    wire_assignment(3, "\rReturned", annotation="+cmd", deadlineAt=unix(NOW) + 5400),
    wire_assignment(4, "Seven minutes", deadlineAt=unix(NOW) + 450),
    wire_assignment(5, "Half a minute", deadlineAt=unix(NOW) + 30),
    wire_assignment(6, "Yesterday", deadlineAt=unix(NOW - timedelta(days=1))),
    wire_assignment(7, "Escape \x1b[31mred\x1b[0m\nnext", deadlineAt=unix(NOW) + 60),
    wire_assignment(8, "[bold]Not markup[/bold]"),
    wire_assignment(9, LONG_NAME),
    wire_assignment(10, "Zürich — Einführung"),
]


HOSTILE_ASSIGNMENTS = [
    wire_assignment(
        1,
        HOSTILE_NAME,
        annotation="bell\x07 and\ttab\r\nnew line",
        deadlinePeriod={"measure": "\x1b[2Jyears", "value": 3},
    ),
]


@pytest.fixture(scope="module")
def groups() -> Iterator[dict[int, konstantly.GroupAssignments]]:
    """The documented example and the edge and hostile cases, fetched for real."""
    with FakeKonstantly() as site:
        site.add_group(EDGE_GROUP_ID, EDGE_ASSIGNMENTS)
        site.add_group(HOSTILE_GROUP_ID, HOSTILE_ASSIGNMENTS)
        site.add_group(
            LAST_SECOND_GROUP_ID,
            [wire_assignment(1, "Until the end", deadlineAt=LAST_SECOND)],
        )
        group_ids = (123, EDGE_GROUP_ID, HOSTILE_GROUP_ID, LAST_SECOND_GROUP_ID)
        with konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            fetched = {
                group_id: client.groups.list_assignments(group_id)
                for group_id in group_ids
            }
            site.inject(Fault.status(200, body=SURROGATE_BODY))
            fetched[SURROGATE_GROUP_ID] = client.groups.list_assignments(
                SURROGATE_GROUP_ID
            )
            yield fetched


@pytest.fixture(scope="module")
def example_rows(
    groups: dict[int, konstantly.GroupAssignments],
) -> list[_output.Row]:
    return [(123, assignment) for assignment in groups[123]]


@pytest.fixture(scope="module")
def edge_rows(groups: dict[int, konstantly.GroupAssignments]) -> list[_output.Row]:
    return [(EDGE_GROUP_ID, assignment) for assignment in groups[EDGE_GROUP_ID]]


@pytest.fixture(scope="module")
def hostile_rows(groups: dict[int, konstantly.GroupAssignments]) -> list[_output.Row]:
    return [(HOSTILE_GROUP_ID, assignment) for assignment in groups[HOSTILE_GROUP_ID]]


@pytest.fixture(scope="module")
def last_second_rows(
    groups: dict[int, konstantly.GroupAssignments],
) -> list[_output.Row]:
    return [
        (LAST_SECOND_GROUP_ID, assignment)
        for assignment in groups[LAST_SECOND_GROUP_ID]
    ]


@pytest.fixture(scope="module")
def surrogate_rows(
    groups: dict[int, konstantly.GroupAssignments],
) -> list[_output.Row]:
    return [
        (SURROGATE_GROUP_ID, assignment) for assignment in groups[SURROGATE_GROUP_ID]
    ]


def row_named(rows: list[_output.Row], course_name: str) -> list[_output.Row]:
    return [row for row in rows if row[1].course.name == course_name]


def table_cells(text: str) -> list[list[str]]:
    """The table's lines split into cells (cells are two or more spaces apart)."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]


def csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# Table


def test_table_shows_documented_example(example_rows: list[_output.Row]) -> None:
    """Each row shows course, status, assignment date, due date and time left."""
    text = _output.render_table(example_rows, zone=UTC_ZONE, now=NOW)

    cells = table_cells(text)
    assert cells[0] == ["Course", "Status", "Assigned", "Due", "Time left"]
    assert set(cells[1][0]) == {"─"}
    assert cells[2:] == [
        [
            SALES,
            "Published",
            "2015-09-25 12:15 UTC",
            "2015-10-07 03:35 UTC",
            "5d 3h",
        ],
        [
            CRM,
            "Published",
            "2015-09-25 12:16 UTC",
            "2015-11-25 12:16 UTC (2 months)",
            "54d 12h",
        ],
    ]


def test_table_has_no_trailing_spaces_or_blank_edges(
    example_rows: list[_output.Row],
) -> None:
    """Lines end without padding and the text ends with exactly one newline."""
    text = _output.render_table(example_rows, zone=UTC_ZONE, now=NOW)

    assert text.startswith("Course")
    assert text.endswith(" 54d 12h\n")
    assert all(line == line.rstrip() for line in text.splitlines())


def test_table_shows_datetimes_in_display_zone(
    example_rows: list[_output.Row],
) -> None:
    """New York shows daylight time before November and standard time after."""
    text = _output.render_table(example_rows, zone=NEW_YORK, now=NOW)

    assert table_cells(text)[2][2:4] == ["2015-09-25 08:15 EDT", "2015-10-06 23:35 EDT"]
    assert table_cells(text)[3][3] == "2015-11-25 07:16 EST (2 months)"


def test_table_group_column_comes_first(example_rows: list[_output.Row]) -> None:
    """With show_group the group id leads every row."""
    text = _output.render_table(example_rows, zone=UTC_ZONE, now=NOW, show_group=True)

    cells = table_cells(text)
    assert cells[0] == ["Group", "Course", "Status", "Assigned", "Due", "Time left"]
    assert [row[:2] for row in cells[2:]] == [["123", SALES], ["123", CRM]]


@pytest.mark.parametrize(
    ("course_name", "due", "time_left"),
    [
        ('=HYPERLINK("http://evil.example")', "? (3 years)", "?"),
        ("Tabbed", "-", "-"),
        ("Returned", "2015-10-02 01:30 UTC", "1h 30m"),
        ("Seven minutes", "2015-10-02 00:07 UTC", "7m"),
        ("Half a minute", "2015-10-02 00:00 UTC", "<1m"),
        ("Yesterday", "2015-10-01 00:00 UTC", "overdue"),
    ],
)
def test_table_due_and_time_left_cells(
    edge_rows: list[_output.Row], course_name: str, due: str, time_left: str
) -> None:
    """Unknown periods, missing deadlines and short or past times read plainly."""
    text = _output.render_table(edge_rows, zone=UTC_ZONE, now=NOW)

    row = next(cells for cells in table_cells(text) if cells[0] == course_name)
    assert row[-2:] == [due, time_left]


def test_table_marks_draft_courses(edge_rows: list[_output.Row]) -> None:
    """isDraft shows as Draft, anything else as Published."""
    text = _output.render_table(edge_rows, zone=UTC_ZONE, now=NOW)

    statuses = {cells[0]: cells[1] for cells in table_cells(text)[2:]}
    assert statuses["Tabbed"] == "Draft"
    assert statuses["Seven minutes"] == "Published"


def test_table_never_cuts_long_course_names(edge_rows: list[_output.Row]) -> None:
    """A long name is printed whole on one line, without an ellipsis."""
    text = _output.render_table(edge_rows, zone=UTC_ZONE, now=NOW)

    assert any(cells[0] == LONG_NAME for cells in table_cells(text))
    assert "…" not in text


def test_table_keeps_control_characters_from_terminal(
    edge_rows: list[_output.Row],
) -> None:
    """Escape sequences in a name are shown as replacement characters, not run."""
    text = _output.render_table(edge_rows, zone=UTC_ZONE, now=NOW)

    assert "\x1b" not in text
    assert "\r" not in text
    assert (
        "Escape \N{REPLACEMENT CHARACTER}[31mred\N{REPLACEMENT CHARACTER}[0m next"
        in text
    )


def test_table_prints_brackets_literally(edge_rows: list[_output.Row]) -> None:
    """Course names are not read as rich markup."""
    text = _output.render_table(edge_rows, zone=UTC_ZONE, now=NOW)

    assert "[bold]Not markup[/bold]" in text


def test_table_keeps_non_ascii_names(edge_rows: list[_output.Row]) -> None:
    """Non-ASCII names print as they are."""
    text = _output.render_table(edge_rows, zone=UTC_ZONE, now=NOW)

    assert "Zürich — Einführung" in text


def test_table_folds_to_a_given_width_without_ellipsis(
    edge_rows: list[_output.Row],
) -> None:
    """On a narrow terminal names wrap instead of being cut short."""
    text = _output.render_table(
        row_named(edge_rows, LONG_NAME), zone=UTC_ZONE, now=NOW, width=80
    )

    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    assert all(word in text.split() for word in LONG_NAME.split())


def test_table_without_rows_has_header_only() -> None:
    """No rows still print the header, so an empty result is visible."""
    text = _output.render_table([], zone=UTC_ZONE, now=NOW)

    assert table_cells(text)[0] == ["Course", "Status", "Assigned", "Due", "Time left"]


# JSON


def test_json_object_of_absolute_deadline(example_rows: list[_output.Row]) -> None:
    """Every field of the documented absolute deadline, keys in a fixed order."""
    records = json.loads(_output.render_json(example_rows, zone=UTC_ZONE, now=NOW))

    assert list(records[0]) == [
        "group_id",
        "course_id",
        "course_name",
        "course_annotation",
        "is_draft",
        "assigned_at",
        "due_at",
        "deadline",
        "overdue",
        "time_left_seconds",
    ]
    assert records[0] == {
        "group_id": 123,
        "course_id": 123,
        "course_name": SALES,
        "course_annotation": "Learn essential sales strategies and techniques",
        "is_draft": False,
        "assigned_at": "2015-09-25T12:15:22+00:00",
        "due_at": "2015-10-07T03:35:32+00:00",
        "deadline": {"kind": "absolute", "measure": None, "value": None},
        "overdue": False,
        "time_left_seconds": 444932,
    }


def test_json_object_of_relative_deadline(example_rows: list[_output.Row]) -> None:
    """A period gives its measure and value next to the due date it leads to."""
    records = json.loads(_output.render_json(example_rows, zone=UTC_ZONE, now=NOW))

    assert records[1]["due_at"] == "2015-11-25T12:16:40+00:00"
    assert records[1]["deadline"] == {
        "kind": "relative",
        "measure": "months",
        "value": 2,
    }
    assert records[1]["time_left_seconds"] == 4709800


def test_json_datetimes_carry_display_zone_offset(
    example_rows: list[_output.Row],
) -> None:
    """The same instants, written with New York's offset of the day."""
    records = json.loads(_output.render_json(example_rows, zone=NEW_YORK, now=NOW))

    assert records[0]["assigned_at"] == "2015-09-25T08:15:22-04:00"
    assert records[0]["due_at"] == "2015-10-06T23:35:32-04:00"
    assert records[1]["due_at"] == "2015-11-25T07:16:40-05:00"


@pytest.mark.parametrize(
    ("course_name", "deadline", "due_at", "overdue", "time_left_seconds"),
    [
        (
            '=HYPERLINK("http://evil.example")',
            {"kind": "unknown", "measure": "years", "value": 3},
            None,
            None,
            None,
        ),
        ("\tTabbed", None, None, False, None),
        (
            "Yesterday",
            {"kind": "absolute", "measure": None, "value": None},
            "2015-10-01T00:00:00+00:00",
            True,
            -86400,
        ),
    ],
)
def test_json_deadline_kinds(
    edge_rows: list[_output.Row],
    course_name: str,
    deadline: dict[str, Any] | None,
    due_at: str | None,
    overdue: bool | None,
    time_left_seconds: int | None,
) -> None:
    """Unknown periods (overdue or not, nobody knows), missing and past ones."""
    text = _output.render_json(
        row_named(edge_rows, course_name), zone=UTC_ZONE, now=NOW
    )

    [record] = json.loads(text)
    assert record["deadline"] == deadline
    assert record["due_at"] == due_at
    assert record["overdue"] is overdue
    assert record["time_left_seconds"] == time_left_seconds


def test_json_keeps_text_as_it_is(edge_rows: list[_output.Row]) -> None:
    """JSON needs no formula guard and writes non-ASCII characters unescaped."""
    text = _output.render_json(edge_rows, zone=UTC_ZONE, now=NOW)

    names = [record["course_name"] for record in json.loads(text)]
    assert names[0] == '=HYPERLINK("http://evil.example")'
    assert "Zürich — Einführung" in text
    assert text.endswith("]\n")


def test_json_without_rows_is_empty_array() -> None:
    """An empty result is an empty array, not nothing."""
    assert _output.render_json([], zone=UTC_ZONE, now=NOW) == "[]\n"


# CSV


def test_csv_header_and_example_rows(example_rows: list[_output.Row]) -> None:
    """A header line, then one line per assignment, with CRLF line ends."""
    text = _output.render_csv(example_rows, zone=UTC_ZONE, now=NOW)

    assert text.split("\r\n") == [
        "group_id,course_id,course_name,course_annotation,is_draft,assigned_at,"
        "due_at,deadline_kind,deadline_measure,deadline_value,overdue,"
        "time_left_seconds",
        "123,123,Sales Strategy Fundamentals,"
        "Learn essential sales strategies and techniques,false,"
        "2015-09-25T12:15:22+00:00,2015-10-07T03:35:32+00:00,absolute,,,false,"
        "444932",
        "123,124,Customer Relationship Management,"
        "Master modern CRM principles and practices,false,"
        "2015-09-25T12:16:40+00:00,2015-11-25T12:16:40+00:00,relative,months,2,"
        "false,4709800",
        "",
    ]


@pytest.mark.parametrize(
    ("course_id", "course_name", "course_annotation"),
    [
        ("1", '\'=HYPERLINK("http://evil.example")', "'@SUM(1+1)"),
        ("2", " Tabbed", "'-2+3"),
        ("3", " Returned", "'+cmd"),
        ("4", "Seven minutes", "About this course"),
    ],
)
def test_csv_neutralises_formula_cells(
    edge_rows: list[_output.Row],
    course_id: str,
    course_name: str,
    course_annotation: str,
) -> None:
    """Text starting with = + - or @ gets a leading quote; tab and CR are spaces."""
    records = csv_records(_output.render_csv(edge_rows, zone=UTC_ZONE, now=NOW))

    record = next(record for record in records if record["course_id"] == course_id)
    assert record["course_name"] == course_name
    assert record["course_annotation"] == course_annotation


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u3000", "\u2003"])
def test_csv_sees_a_formula_behind_any_leading_space(space: str) -> None:
    """A formula behind a no-break or ideographic space is neutralised too."""
    assert _output._csv_cell(f"{space}=1+1") == f"'{space}=1+1"
    assert _output._csv_cell(f"{space}Safety") == f"{space}Safety"


def test_csv_keeps_negative_numbers(edge_rows: list[_output.Row]) -> None:
    """Numbers are ours, not text from the server: -86400 stays a number."""
    records = csv_records(_output.render_csv(edge_rows, zone=UTC_ZONE, now=NOW))

    record = next(record for record in records if record["course_name"] == "Yesterday")
    assert record["time_left_seconds"] == "-86400"
    assert record["overdue"] == "true"


def test_csv_flattens_unknown_and_missing_deadlines(
    edge_rows: list[_output.Row],
) -> None:
    """An unknown period keeps its measure, overdue unknown; no deadline, empty."""
    records = csv_records(_output.render_csv(edge_rows, zone=UTC_ZONE, now=NOW))

    unknown, missing = records[0], records[1]
    assert [unknown[field] for field in _output.CSV_FIELDS[6:]] == [
        "",
        "unknown",
        "years",
        "3",
        "",
        "",
    ]
    assert [missing[field] for field in _output.CSV_FIELDS[4:]] == [
        "true",
        "2015-09-25T00:00:00+00:00",
        "",
        "",
        "",
        "",
        "false",
        "",
    ]


def test_csv_without_rows_is_header_only() -> None:
    """An empty result still has the header, so a reader sees the columns."""
    text = _output.render_csv([], zone=UTC_ZONE, now=NOW)

    assert text == ",".join(_output.CSV_FIELDS) + "\r\n"


# Text from the server, in every format


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x00", "\ufffd"),
        ("\x07", "\ufffd"),
        ("\x1b[31m", "\ufffd[31m"),
        ("\x7f", "\ufffd"),
        ("\x85", "\ufffd"),
        ("\x9b", "\ufffd"),
        ("\ud800", "\ufffd"),
        ("low \udfff half", "low \ufffd half"),
        ("a\u2028b\u2029c", "a\ufffdb\ufffdc"),
        ("tab\tline\nreturn\r", "tab line return "),
        ("Zürich — Einführung 🎓", "Zürich — Einführung 🎓"),
    ],
)
def test_safe_text_replaces_controls_and_lone_surrogates(
    text: str, expected: str
) -> None:
    """Cc and Cs characters become U+FFFD, except tab, LF and CR become spaces."""
    assert _output.safe_text(text) == expected


@pytest.mark.parametrize("output_format", _output.FORMATS)
def test_every_format_survives_a_lone_surrogate(
    surrogate_rows: list[_output.Row], output_format: _output.OutputFormat
) -> None:
    """A name and annotation holding lone surrogates render and encode as UTF-8."""
    text = _output.render(
        surrogate_rows, output_format=output_format, zone=UTC_ZONE, now=NOW
    )

    encoded = text.encode("utf-8")
    assert "bad \ufffd name".encode() in encoded
    if output_format != "table":
        assert "fine \ufffd too".encode() in encoded


@pytest.mark.parametrize("output_format", _output.FORMATS)
def test_no_format_passes_escape_codes(
    hostile_rows: list[_output.Row], output_format: _output.OutputFormat
) -> None:
    """ESC, BEL, C1 controls, DEL and U+2028 never reach the output, in any format."""
    text = _output.render(
        hostile_rows, output_format=output_format, zone=UTC_ZONE, now=NOW
    )

    assert not {"\x1b", "\x07", "\x9b", "\x7f", "\u2028"} & set(text)
    assert SAFE_HOSTILE_NAME in text


def test_json_and_csv_carry_the_same_safe_text(
    hostile_rows: list[_output.Row],
) -> None:
    """Both machine formats hold the same cleaned name, annotation and measure."""
    [record] = json.loads(_output.render_json(hostile_rows, zone=UTC_ZONE, now=NOW))
    [row] = csv_records(_output.render_csv(hostile_rows, zone=UTC_ZONE, now=NOW))

    assert record["course_name"] == row["course_name"] == SAFE_HOSTILE_NAME
    assert (
        record["course_annotation"]
        == row["course_annotation"]
        == "bell\ufffd and tab  new line"
    )
    assert record["deadline"]["measure"] == row["deadline_measure"] == "\ufffd[2Jyears"


def test_table_shows_unknown_measure_safely(hostile_rows: list[_output.Row]) -> None:
    """A measure the client does not know is shown in the Due cell, made safe."""
    text = _output.render_table(hostile_rows, zone=UTC_ZONE, now=NOW)

    assert "? (3 \ufffd[2Jyears)" in text


# Choosing a format and an order


@pytest.mark.parametrize("output_format", _output.FORMATS)
def test_render_picks_the_format(
    example_rows: list[_output.Row], output_format: _output.OutputFormat
) -> None:
    """render() gives the same text as the format's own function."""
    own = {
        "table": _output.render_table,
        "json": _output.render_json,
        "csv": _output.render_csv,
    }[output_format]

    text = _output.render(
        example_rows, output_format=output_format, zone=UTC_ZONE, now=NOW
    )

    assert text == own(example_rows, zone=UTC_ZONE, now=NOW)


def sorted_names(rows: list[_output.Row], by: _output.SortKey) -> list[str]:
    return [assignment.course.name for _, assignment in _output.sort_rows(rows, by=by)]


def test_sort_by_due_puts_missing_due_dates_last(edge_rows: list[_output.Row]) -> None:
    """Earliest due first; unknown and missing due dates last, by name."""
    names = sorted_names(edge_rows, "due")

    assert names[:5] == [
        "Yesterday",
        "Half a minute",
        "Escape \x1b[31mred\x1b[0m\nnext",
        "Seven minutes",
        "\rReturned",
    ]
    assert names[5:] == [
        "\tTabbed",
        '=HYPERLINK("http://evil.example")',
        "[bold]Not markup[/bold]",
        LONG_NAME,
        "Zürich — Einführung",
    ]


def test_sort_by_course_ignores_case(example_rows: list[_output.Row]) -> None:
    """Course names in alphabetical order."""
    assert sorted_names(example_rows, "course") == [CRM, SALES]


def test_sort_by_assigned_is_oldest_first(example_rows: list[_output.Row]) -> None:
    """The documented example was assigned Sales first, CRM 78 seconds later."""
    reversed_rows = list(reversed(example_rows))

    assert sorted_names(reversed_rows, "assigned") == [SALES, CRM]


# The end of the datetime range


def test_table_shows_moment_past_zone_calendar_in_utc(
    last_second_rows: list[_output.Row],
) -> None:
    """A due date in the year 10000 of Kiritimati shows in UTC; the rest in +14."""
    text = _output.render_table(last_second_rows, zone=KIRITIMATI, now=NOW)

    assert table_cells(text)[2][:4] == [
        "Until the end",
        "Published",
        "2015-09-25 14:00 +14",
        "9999-12-31 23:59 UTC",
    ]


def test_json_gives_moment_past_zone_calendar_in_utc(
    last_second_rows: list[_output.Row],
) -> None:
    """Such a due date carries UTC's offset, so it is still the same instant."""
    text = _output.render_json(last_second_rows, zone=KIRITIMATI, now=NOW)

    [record] = json.loads(text)
    assert record["assigned_at"] == "2015-09-25T14:00:00+14:00"
    assert record["due_at"] == "9999-12-31T23:59:59+00:00"
    assert record["overdue"] is False


def test_csv_gives_moment_past_zone_calendar_in_utc(
    last_second_rows: list[_output.Row],
) -> None:
    """CSV writes the same two datetimes as JSON."""
    text = _output.render_csv(last_second_rows, zone=KIRITIMATI, now=NOW)

    [record] = csv_records(text)
    assert record["assigned_at"] == "2015-09-25T14:00:00+14:00"
    assert record["due_at"] == "9999-12-31T23:59:59+00:00"
