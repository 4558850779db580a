"""The ``konstantly`` command, end to end against the fake site on loopback."""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import konstantly
import pytest
from konstantly import _cli
from konstantly.testing import FakeKonstantly, Fault

REPOSITORY = Path(__file__).resolve().parents[1]
DEMO = REPOSITORY / "scripts" / "demo.py"

# Distinctive enough that any leak into output is unmistakable.
PLANTED_KEY = "sk-planted-secret-1234"
WRONG_KEY = "sk-planted-wrong-5678"

SALES = "Sales Strategy Fundamentals"
CRM = "Customer Relationship Management"

TIMED_GROUP_ID = 8
INCOMPLETE_GROUP_ID = 9
HOSTILE_GROUP_ID = 10
LAST_SECOND_GROUP_ID = 11
BOMB_GROUP_ID = 12

# 9999-12-31 23:59:59 UTC, the last second a datetime holds; already in the
# year 10000 in Kiritimati (UTC+14).
LAST_SECOND = 253402300799

# ESC sequences that would retitle and recolour a terminal, and BEL.
HOSTILE_NAME = "\x1b]0;owned\x07\x1b[31mRed alert\x1b[0m"
SAFE_HOSTILE_NAME = "\ufffd]0;owned\ufffd\ufffd[31mRed alert\ufffd[0m"

# A 200 answer whose course name is a lone surrogate, spelt as JSON allows;
# the fake site cannot encode such a str itself, so the body goes raw.
SURROGATE_BODY = (
    b'{"assignments": [{"assignedAt": 1443000000, "course": {"id": 1, '
    b'"name": "bad \\ud800 name", "annotation": "About it", "isDraft": false, '
    b'"createdAt": 1443000000, "updatedAt": 1443000000, '
    b'"publishedAt": 1443000000}}], "totalCount": 1}'
)
ESCAPING_ERROR_BODY = (
    b'{"status": 404, "message": "Group \\u001b[2J\\u001b]\\u0007gone\\u0007"}'
)


def wire_assignment(course_id: int, name: str, **deadline: Any) -> dict[str, Any]:
    """One assignment as the API sends it, assigned a day ago."""
    return {
        "assignedAt": int(time.time()) - 86400,
        "course": {
            "id": course_id,
            "name": name,
            "annotation": f"About {name}",
            "isDraft": False,
            "createdAt": 1443000000,
            "updatedAt": 1443000000,
            "publishedAt": 1443000000,
        },
        **deadline,
    }


def due_in(delta: timedelta) -> dict[str, int]:
    return {"deadlineAt": int(time.time() + delta.total_seconds())}


@pytest.fixture(scope="module")
def site() -> Iterator[FakeKonstantly]:
    """The fake site with its bundled groups, a timed group and a short one."""
    with FakeKonstantly(api_key=PLANTED_KEY) as fake_site:
        fake_site.add_group(
            TIMED_GROUP_ID,
            [
                wire_assignment(81, "Due later", **due_in(timedelta(days=30))),
                wire_assignment(82, "Due soon", **due_in(timedelta(days=3))),
                wire_assignment(83, "Overdue", **due_in(-timedelta(days=2))),
                wire_assignment(84, "No deadline"),
            ],
        )
        fake_site.add_group(
            INCOMPLETE_GROUP_ID,
            [wire_assignment(91, "The only one", **due_in(timedelta(days=1)))],
            total_count=3,
        )
        fake_site.add_group(HOSTILE_GROUP_ID, [wire_assignment(101, HOSTILE_NAME)])
        fake_site.add_group(
            LAST_SECOND_GROUP_ID,
            [
                {
                    **wire_assignment(111, "Until the end", deadlineAt=LAST_SECOND),
                    "assignedAt": LAST_SECOND,
                }
            ],
        )
        yield fake_site


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planted key in the environment, and no site or logging settings."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", PLANTED_KEY)
    for name in ("KONSTANTLY_SITE", "KONSTANTLY_BASE_URL", "KONSTANTLY_LOG"):
        monkeypatch.delenv(name, raising=False)


class Run:
    """What one call of `main` returned and printed."""

    def __init__(self, status: int, stdout: str, stderr: str) -> None:
        self.status = status
        self.stdout = stdout
        self.stderr = stderr

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    """Call `main` with arguments and capture its exit status and output."""

    def run_main(*arguments: str) -> Run:
        status = _cli.main(list(arguments))
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run_main


@pytest.fixture
def assignments(run: Any, site: FakeKonstantly) -> Any:
    """Run `konstantly assignments ... --base-url <the fake site>`."""

    def run_assignments(*arguments: str) -> Run:
        return run("assignments", *arguments, "--base-url", site.base_url)

    return run_assignments


def course_names(text: str) -> list[str]:
    return [record["course_name"] for record in json.loads(text)]


# Success


def test_table_lists_documented_example(assignments: Any) -> None:
    """Group 123 prints both courses with their due dates, and exits 0."""
    result = assignments("123")

    assert result.status == 0
    assert result.stderr == ""
    sales_line = next(line for line in result.stdout.splitlines() if SALES in line)
    crm_line = next(line for line in result.stdout.splitlines() if CRM in line)
    assert "2015-10-07 03:35 UTC" in sales_line
    assert "2015-11-25 12:16 UTC (2 months)" in crm_line
    assert sales_line.endswith("overdue")
    assert not result.stdout.startswith("Group")


def test_json_lists_documented_example(assignments: Any) -> None:
    """--format json prints an array of the group's assignments."""
    result = assignments("123", "--format", "json")

    assert result.status == 0
    records = json.loads(result.stdout)
    assert [record["course_id"] for record in records] == [123, 124]
    assert records[0]["group_id"] == 123
    assert records[0]["due_at"] == "2015-10-07T03:35:32+00:00"
    assert records[1]["deadline"] == {
        "kind": "relative",
        "measure": "months",
        "value": 2,
    }
    assert records[1]["overdue"] is True


def test_csv_lists_documented_example(assignments: Any) -> None:
    """--format csv prints a header and one line per assignment."""
    result = assignments("123", "--format", "csv")

    assert result.status == 0
    records = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [record["course_name"] for record in records] == [SALES, CRM]
    assert records[1]["due_at"] == "2015-11-25T12:16:40+00:00"
    assert records[1]["deadline_measure"] == "months"


def test_csv_neutralises_formula_from_server(assignments: Any) -> None:
    """A bundled course named "=SUM(...)" reaches the CSV with a leading quote."""
    result = assignments("202", "--format", "csv")

    names = [row["course_name"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert "'=SUM(A1:A10) Spreadsheet Formulas for Analysts" in names


def test_tz_sets_display_zone(assignments: Any) -> None:
    """--tz America/New_York shows New York's time and abbreviation."""
    result = assignments("123", "--tz", "America/New_York")

    assert result.status == 0
    assert "2015-10-06 23:35 EDT" in result.stdout
    # Two calendar months in New York keep the wall-clock time of 08:16 EDT
    # across the change to winter time.
    assert "2015-11-25 08:16 EST (2 months)" in result.stdout


@pytest.mark.parametrize(
    ("output_format", "shown"),
    [
        ("table", "9999-12-31 23:59 UTC"),
        ("json", '"9999-12-31T23:59:59+00:00"'),
        ("csv", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_tz_ahead_of_utc_shows_last_second_in_utc(
    assignments: Any, output_format: str, shown: str
) -> None:
    """The year 9999's last second, past Kiritimati's calendar, is shown in UTC."""
    result = assignments(
        str(LAST_SECOND_GROUP_ID),
        "--tz",
        "Pacific/Kiritimati",
        "--format",
        output_format,
    )

    assert result.status == 0
    assert result.stderr == ""
    assert result.stdout.count(shown) == 2  # assigned and due, both that second


def test_tz_sets_client_calendar(assignments: Any) -> None:
    """Relative deadlines are counted in --tz: 7 days across Europe's DST change."""
    utc = json.loads(assignments("201", "--format", "json").stdout)
    berlin = json.loads(
        assignments("201", "--format", "json", "--tz", "Europe/Berlin").stdout
    )

    def due(records: list[dict[str, Any]]) -> str:
        deadline = {"kind": "relative", "measure": "days", "value": 7}
        return next(r["due_at"] for r in records if r["deadline"] == deadline)

    # Assigned 2025-03-25 09:00 UTC (10:00 in Berlin, winter time): 7 calendar
    # days later is 10:00 summer time, which is 08:00 UTC.
    assert due(utc) == "2025-04-01T09:00:00+00:00"
    assert due(berlin) == "2025-04-01T10:00:00+02:00"


def test_several_groups_add_group_column(assignments: Any) -> None:
    """With two groups the table starts with a Group column."""
    result = assignments("123", "200")

    assert result.status == 0
    assert result.stdout.split()[0] == "Group"
    sales_line = next(line for line in result.stdout.splitlines() if SALES in line)
    assert sales_line.split()[0] == "123"
    assert re.search(r"^\s*200\s+Workplace Safety Essentials", result.stdout, re.M)


def test_progress_bar_on_a_terminal(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When stderr is a terminal, a bar counts the groups as they arrive."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    result = assignments("123", "200", "201", "--concurrency", "2", "--format", "csv")

    assert result.status == 0
    assert "3/3" in result.stderr
    assert {row["group_id"] for row in csv.DictReader(io.StringIO(result.stdout))} == {
        "123",
        "200",
        "201",
    }


def test_warnings_print_above_the_progress_bar(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library warning erases the bar, takes a whole line, and the bar follows.

    A terminal carries out "\\r\\x1b[2K" as: back to the line's start, erase it.
    """
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "60")  # narrower than the warnings

    result = assignments("123", "202", str(INCOMPLETE_GROUP_ID), "--format", "csv")

    assert result.status == 1
    for group_id in (202, INCOMPLETE_GROUP_ID):
        warning = re.search(
            rf"(?P<before>[^\n]*?)WARNING: group {group_id}: (?P<rest>[^\n]*)\n",
            result.stderr,
        )
        assert warning is not None
        assert warning["before"].endswith("\r\x1b[2K")
    assert "'years' have no due time; a newer version" in result.stderr
    assert "3/3" in result.stderr.rpartition("WARNING")[2]


def test_no_progress_bar_when_stderr_is_not_a_terminal(assignments: Any) -> None:
    """Piped stderr stays free of progress output."""
    result = assignments("123", "200", "--format", "csv")

    assert result.status == 0
    assert result.stderr == ""


@pytest.mark.parametrize("concurrency", ["0", "65", "many", "\u00b2", "9" * 5000])
def test_bad_concurrency_is_a_usage_error(assignments: Any, concurrency: str) -> None:
    """--concurrency takes a whole number from 1 to 64, in ASCII digits."""
    result = assignments("123", "--concurrency", concurrency)

    assert result.status == 2
    assert "argument --concurrency: invalid concurrency " in result.stderr
    assert "use a whole number from 1 to 64" in result.stderr


def test_sort_by_course(assignments: Any) -> None:
    """--sort course orders by name across groups."""
    result = assignments("123", "200", "--format", "json", "--sort", "course")

    names = course_names(result.stdout)
    assert names == sorted(names, key=str.casefold)
    assert names.index(CRM) < names.index(SALES)


def test_sort_by_due_is_the_default(assignments: Any) -> None:
    """Without --sort the earliest due date comes first, no due date last."""
    result = assignments(str(TIMED_GROUP_ID), "--format", "json")

    assert course_names(result.stdout) == [
        "Overdue",
        "Due soon",
        "Due later",
        "No deadline",
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--overdue"], ["Overdue"]),
        (["--due-within", "7d"], ["Due soon"]),
        (["--due-within", "5w"], ["Due soon", "Due later"]),
        (["--overdue", "--due-within", "7d"], ["Overdue", "Due soon"]),
    ],
)
def test_filters_by_due_date(
    assignments: Any, filters: list[str], expected: list[str]
) -> None:
    """--overdue and --due-within pick by due date; together, either one."""
    result = assignments(str(TIMED_GROUP_ID), "--format", "json", *filters)

    assert result.status == 0
    assert course_names(result.stdout) == expected


def test_groups_file(assignments: Any, tmp_path: Path) -> None:
    """Ids come from a file too, skipping comments, blanks and repeats."""
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text("# teams\n123\n\n200  # sales\n123\n", encoding="utf-8")

    result = assignments("--groups-file", str(groups_file), "--format", "json")

    assert result.status == 0
    group_ids = [record["group_id"] for record in json.loads(result.stdout)]
    assert group_ids.count(123) == 2
    assert group_ids.count(200) == 4


def test_groups_file_may_start_with_byte_order_mark(
    assignments: Any, tmp_path: Path
) -> None:
    """A groups file saved by a Windows editor, BOM first, reads as without it."""
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text("123\r\n200\r\n", encoding="utf-8-sig")

    result = assignments("--groups-file", str(groups_file), "--format", "json")

    assert result.status == 0
    group_ids = {record["group_id"] for record in json.loads(result.stdout)}
    assert group_ids == {123, 200}


def stdin_holding(text: str) -> io.TextIOWrapper:
    """A stand-in for stdin, with the byte buffer beneath as the real one has."""
    return io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")


def test_groups_on_stdin_may_start_with_byte_order_mark(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--groups-file -` skips a BOM at the start of stdin as well."""
    monkeypatch.setattr(sys, "stdin", stdin_holding("\ufeff123\n"))

    result = assignments("--groups-file", "-", "--format", "json")

    assert result.status == 0
    assert {record["group_id"] for record in json.loads(result.stdout)} == {123}


def test_output_file(assignments: Any, tmp_path: Path) -> None:
    """--output writes UTF-8 to the file and nothing to stdout."""
    output = tmp_path / "assignments.json"

    result = assignments("202", "--format", "json", "--output", str(output))

    assert result.status == 0
    assert result.stdout == ""
    names = course_names(output.read_text(encoding="utf-8"))
    assert "Основы информационной безопасности" in names


def test_output_dash_is_stdout(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o - prints to stdout, as --groups-file - reads stdin; no file - appears."""
    monkeypatch.chdir(tmp_path)

    result = assignments("123", "--format", "json", "-o", "-")

    assert result.status == 0
    assert course_names(result.stdout) == [SALES, CRM]
    assert list(tmp_path.iterdir()) == []


def test_output_dot_slash_dash_is_a_file(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o ./- still writes a file named -, as the shell's > would."""
    monkeypatch.chdir(tmp_path)

    result = assignments("123", "--format", "json", "-o", "./-")

    assert result.status == 0
    assert result.stdout == ""
    assert course_names((tmp_path / "-").read_text(encoding="utf-8")) == [SALES, CRM]


def test_api_key_file(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is read from the first line of --api-key-file, stripped."""
    monkeypatch.delenv("KONSTANTLY_API_KEY")
    key_file = tmp_path / "key"
    key_file.write_text(f"  {PLANTED_KEY}  \nsecond line\n", encoding="utf-8")

    result = assignments("123", "--api-key-file", str(key_file))

    assert result.status == 0
    assert SALES in result.stdout


def test_api_key_file_may_start_with_byte_order_mark(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key file saved by a Windows editor, BOM first, gives the same key."""
    monkeypatch.delenv("KONSTANTLY_API_KEY")
    key_file = tmp_path / "key"
    key_file.write_text(f"{PLANTED_KEY}\r\n", encoding="utf-8-sig")

    result = assignments("123", "--api-key-file", str(key_file))

    assert result.status == 0
    assert SALES in result.stdout


def test_api_key_file_wins_over_environment(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit key file is used even when the variable holds another key."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", WRONG_KEY)
    key_file = tmp_path / "key"
    key_file.write_text(PLANTED_KEY, encoding="utf-8")

    assert assignments("123", "--api-key-file", str(key_file)).status == 0


def test_incomplete_group_is_written_then_fails(assignments: Any) -> None:
    """A group short of its announced count keeps its rows but exits 1."""
    result = assignments(str(INCOMPLETE_GROUP_ID), "--format", "csv")

    assert result.status == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["course_name"] for row in rows] == ["The only one"]
    assert len(result.stderr_lines) == 2
    assert result.stderr_lines[0].startswith(f"WARNING: group {INCOMPLETE_GROUP_ID}: ")
    assert result.stderr_lines[1] == (
        f"group {INCOMPLETE_GROUP_ID}: incomplete: 1 of 3 assignments arrived"
    )


def test_incomplete_and_failed_groups_listed_in_order(assignments: Any) -> None:
    """After the output, each group that fell short gets a line, in the order asked."""
    result = assignments("999", str(INCOMPLETE_GROUP_ID), "123", "--format", "json")

    assert result.status == 1
    assert {record["group_id"] for record in json.loads(result.stdout)} == {
        INCOMPLETE_GROUP_ID,
        123,
    }
    assert result.stderr_lines[-2:] == [
        "group 999: NotFoundError: Group not found (HTTP 404)",
        f"group {INCOMPLETE_GROUP_ID}: incomplete: 1 of 3 assignments arrived",
    ]


def test_help_explains_exit_status_and_filters(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--help says when the command exits 1, that the filters add up, what -o - is."""
    monkeypatch.setenv("COLUMNS", "200")  # so that no option name is hyphenated

    result = run("assignments", "--help")

    assert result.status == 0
    help_text = " ".join(result.stdout.split())
    assert "exit status: 0 every group asked for was written out whole" in help_text
    assert '"group 5: incomplete: 1 of 9 assignments arrived"' in help_text
    assert "with --overdue, overdue ones as well" in help_text
    assert "with --due-within, those due within it as well" in help_text
    assert "instead of stdout (- is stdout)" in help_text


def test_unknown_measure_warns_once_on_stderr(assignments: Any) -> None:
    """The library's warning about an unknown unit is one line on stderr."""
    result = assignments("202")

    assert result.status == 0
    assert "? (1 year)" in result.stdout
    assert len(result.stderr_lines) == 1
    assert result.stderr_lines[0].startswith("WARNING: ")
    assert "'years'" in result.stderr_lines[0]


def test_table_on_terminal_uses_rich_console(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the table is printed by rich at the terminal's width."""
    monkeypatch.setattr(_cli, "_on_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")

    result = assignments("123")

    assert result.status == 0
    assert "2015-11-25 12:16 UTC (2 months)" in result.stdout
    assert "\x1b" not in result.stdout


def test_several_groups_are_fetched_side_by_side(
    assignments: Any, site: FakeKonstantly
) -> None:
    """All four groups are asked for before the first one is answered."""
    latency = 1.0
    site.latency = latency
    site.clear_requests()  # the module's other tests share the site
    try:
        result = assignments("123", "200", "201", "202", "--format", "json")
    finally:
        site.latency = 0.0

    assert result.status == 0
    assert {record["group_id"] for record in json.loads(result.stdout)} == {
        123,
        200,
        201,
        202,
    }
    # The site records a request on arrival and answers it a second later, so
    # one group after another would space the requests a second apart or more.
    arrivals = [request.received_at for request in site.requests]
    assert len(arrivals) == 4
    assert max(arrivals) - min(arrivals) < latency


# Text from the server


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_no_format_passes_escape_codes(
    assignments: Any, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    """ESC and BEL in a course name never reach a terminal, whatever the format."""
    monkeypatch.setattr(_cli, "_on_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")  # the name on one line of the table

    result = assignments(str(HOSTILE_GROUP_ID), "--format", output_format)

    assert result.status == 0
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert SAFE_HOSTILE_NAME in result.stdout


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_lone_surrogate_is_replaced_on_stdout(
    assignments: Any, site: FakeKonstantly, output_format: str
) -> None:
    """A course name holding a lone surrogate is printed with U+FFFD in its place."""
    site.inject(Fault.status(200, body=SURROGATE_BODY))

    result = assignments("5", "--format", output_format)

    assert result.status == 0
    assert "bad \ufffd name" in result.stdout
    result.stdout.encode("utf-8")  # raises if anything unencodable is left


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_lone_surrogate_is_replaced_in_output_file(
    assignments: Any, site: FakeKonstantly, tmp_path: Path, output_format: str
) -> None:
    """-o FILE gets the whole report, not an empty file, despite the surrogate."""
    output = tmp_path / f"report.{output_format}"
    site.inject(Fault.status(200, body=SURROGATE_BODY))

    result = assignments("5", "--format", output_format, "-o", str(output))

    assert result.status == 0
    assert "bad \ufffd name" in output.read_text(encoding="utf-8")


def test_escape_codes_in_error_message_are_replaced(
    assignments: Any, site: FakeKonstantly
) -> None:
    """A server's error message is printed without its ESC and BEL."""
    site.inject(Fault.status(404, body=ESCAPING_ERROR_BODY))

    result = assignments("123")

    assert result.status == 1
    assert result.stderr_lines == [
        "NotFoundError: Group \ufffd[2J\ufffd]\ufffdgone\ufffd (HTTP 404)"
    ]


def test_escape_codes_in_group_failure_are_replaced(
    assignments: Any, site: FakeKonstantly
) -> None:
    """The line naming a failed group among several is made safe the same way."""
    site.inject(Fault.status(404, body=ESCAPING_ERROR_BODY))

    result = assignments("123", "200", "--concurrency", "1", "--format", "csv")

    assert result.status == 1
    assert result.stderr_lines == [
        "group 123: NotFoundError: Group \ufffd[2J\ufffd]\ufffdgone\ufffd (HTTP 404)"
    ]


# API and network errors: exit 1, one line on stderr


def test_unknown_group_exits_1_with_one_line(assignments: Any) -> None:
    """A 404 for the only group is printed as its error's name and message."""
    result = assignments("999")

    assert result.status == 1
    assert result.stdout == ""
    assert len(result.stderr_lines) == 1
    assert result.stderr_lines[0].startswith("NotFoundError: Group not found")
    assert "Traceback" not in result.stderr


def test_failed_group_listed_after_others(assignments: Any) -> None:
    """Groups that worked are shown; each failed one is named on stderr; exit 1."""
    result = assignments("123", "999", "998", "--format", "json")

    assert result.status == 1
    assert {record["group_id"] for record in json.loads(result.stdout)} == {123}
    assert [line.split(" (HTTP")[0] for line in result.stderr_lines] == [
        "group 999: NotFoundError: Group not found",
        "group 998: NotFoundError: Group not found",
    ]


def test_rate_limit_line_says_when_to_retry(
    assignments: Any, site: FakeKonstantly
) -> None:
    """A 429 that outlasts the retries is one line carrying its Retry-After."""
    site.inject(Fault.status(429, retry_after="0"), times=3)

    result = assignments("123")

    assert result.status == 1
    assert result.stderr_lines == [
        "RateLimitError: Too Many Requests (HTTP 429, retry after 0 s)"
    ]


def test_compression_bomb_exits_1_with_one_line(
    assignments: Any, site: FakeKonstantly
) -> None:
    """65 KiB of gzip that inflate past 64 MiB stop the command, not the machine."""
    body = b'{"assignments": [], "totalCount": 0' + b" " * (65 * 2**20) + b"}"
    site.set_raw_response(
        BOMB_GROUP_ID, 200, gzip.compress(body), headers={"Content-Encoding": "gzip"}
    )

    result = assignments(str(BOMB_GROUP_ID))

    assert result.status == 1
    assert result.stdout == ""
    assert result.stderr_lines == [
        "ResponseValidationError: The answer is larger than 64 MiB, far beyond any "
        "group's assignments; the server or a proxy is misbehaving."
    ]


def test_wrong_key_exits_1_with_authentication_error(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rejected key stops the command at once: one line, exit 1."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", WRONG_KEY)

    result = assignments("123", "200")

    assert result.status == 1
    assert result.stdout == ""
    assert len(result.stderr_lines) == 1
    assert result.stderr_lines[0].startswith("AuthenticationError: Invalid API key")


def test_debug_shows_traceback_and_keeps_exit_status(assignments: Any) -> None:
    """--debug prints the traceback before the usual line and exits the same."""
    result = assignments("999", "--debug")

    assert result.status == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr_lines[-1].startswith("NotFoundError: Group not found")


def test_debug_logs_requests(run: Any, site: FakeKonstantly) -> None:
    """--debug before the command turns on the library's DEBUG log."""
    result = run("--debug", "assignments", "123", "--base-url", site.base_url)

    assert result.status == 0
    assert " DEBUG konstantly" in result.stderr


def test_main_leaves_logger_as_found(assignments: Any) -> None:
    """Running main adds no lasting handler and restores the level."""
    logger = logging.getLogger("konstantly")
    handlers, level = list(logger.handlers), logger.level

    assignments("123", "--debug")

    assert logger.handlers == handlers
    assert logger.level == level


def test_unexpected_error_is_one_line(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug shows as one line that points to --debug, never as a traceback."""

    def broken(*arguments: Any) -> Any:
        raise RuntimeError("something broke")

    monkeypatch.setattr(_cli, "_fetch_groups", broken)

    result = assignments("123")

    assert result.status == 1
    assert result.stderr_lines == [
        "Unexpected RuntimeError: something broke "
        "(run again with --debug to see the traceback)"
    ]


def test_unexpected_error_with_debug_ends_with_its_line(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --debug the traceback comes first, then the same one-line summary."""

    def broken(*arguments: Any) -> Any:
        raise RuntimeError("something broke")

    monkeypatch.setattr(_cli, "_fetch_groups", broken)

    result = assignments("123", "--debug")

    assert result.status == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert result.stderr_lines[-1] == "Unexpected RuntimeError: something broke"


def test_interrupt_exits_130_quietly(
    assignments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C ends the command with status 130 and says nothing."""

    def interrupted(*arguments: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli, "_fetch_groups", interrupted)

    result = assignments("123")

    assert result.status == 130
    assert (result.stdout, result.stderr) == ("", "")


# How long the site stalls each request in the interrupt test: twice the client's
# 30-second timeout, so only the interrupt can end the command in time.
STALL_SECONDS = 60
# Generous, for a loaded machine; the bug it guards against took 90 seconds.
INTERRUPT_BOUND_SECONDS = 10
CONSOLE_SCRIPT = Path(sys.executable).with_name("konstantly")


@pytest.mark.parametrize(
    "launcher",
    [
        pytest.param([sys.executable, "-m", "konstantly"], id="python -m"),
        pytest.param([str(CONSOLE_SCRIPT)], id="console script"),
    ],
)
def test_interrupt_ends_stalled_fetch_promptly(
    launcher: list[str], tmp_path: Path
) -> None:
    """SIGINT while the site stalls ends the process with 130 within seconds.

    The -o FILE of last week is left as it was, with no temporary file beside it.
    """
    output = tmp_path / "report.csv"
    output.write_text("last week's report\n", encoding="utf-8")
    command = [*launcher, "assignments", "123", "200", "-o", str(output)]

    with FakeKonstantly(api_key=PLANTED_KEY) as stalled_site:
        stalled_site.inject(Fault.delay(STALL_SECONDS), times=2)
        process = subprocess.Popen(
            [*command, "--base-url", stalled_site.base_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "KONSTANTLY_API_KEY": PLANTED_KEY},
        )
        try:
            deadline = time.monotonic() + 30
            while len(stalled_site.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(stalled_site.requests) == 2

            interrupted_at = time.monotonic()
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=STALL_SECONDS)
            elapsed = time.monotonic() - interrupted_at
        finally:
            process.kill()
            process.communicate()

    assert process.returncode == 130
    assert elapsed < INTERRUPT_BOUND_SECONDS
    assert (stdout, stderr) == ("", "")
    assert output.read_text(encoding="utf-8") == "last week's report\n"
    assert [path.name for path in tmp_path.iterdir()] == ["report.csv"]


# Usage and configuration errors: exit 2


def test_missing_key_exits_2(assignments: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key the message names the variable and the option."""
    monkeypatch.delenv("KONSTANTLY_API_KEY")

    result = assignments("123")

    assert result.status == 2
    assert len(result.stderr_lines) == 1
    assert result.stderr_lines[0].startswith("ConfigurationError: No API key")
    assert "KONSTANTLY_API_KEY" in result.stderr
    assert "--api-key-file" in result.stderr


def test_missing_site_exits_2(run: Any) -> None:
    """Without --site, --base-url or their variables the client cannot start."""
    result = run("assignments", "123")

    assert result.status == 2
    assert result.stderr_lines[0].startswith("ConfigurationError: ")


@pytest.mark.parametrize("content", ["", "\n", "   \nkey on the second line\n"])
def test_empty_api_key_file_exits_2(
    assignments: Any, tmp_path: Path, content: str
) -> None:
    """A key file without a key on its first line is a configuration error."""
    key_file = tmp_path / "key"
    key_file.write_text(content, encoding="utf-8")

    result = assignments("123", "--api-key-file", str(key_file))

    assert result.status == 2
    assert result.stderr_lines == [
        f"ConfigurationError: The API key file {str(key_file)!r} has no key on "
        "its first line."
    ]


def test_unreadable_api_key_file_exits_2(assignments: Any, tmp_path: Path) -> None:
    """A key file that does not exist is a configuration error."""
    missing = tmp_path / "missing"

    result = assignments("123", "--api-key-file", str(missing))

    assert result.status == 2
    assert result.stderr_lines == [
        f"ConfigurationError: Cannot read the API key file {str(missing)!r}: "
        "No such file or directory."
    ]


def test_api_key_file_over_64_kib_exits_2(assignments: Any, tmp_path: Path) -> None:
    """A key file longer than 64 KiB is refused, even with a key on its first line."""
    key_file = tmp_path / "server.log"
    key_file.write_bytes(f"{PLANTED_KEY}\n".encode() + b"x" * 64 * 1024)

    result = assignments("123", "--api-key-file", str(key_file))

    assert result.status == 2
    assert result.stderr_lines == [
        f"ConfigurationError: The API key file {str(key_file)!r} is longer than "
        "64 KiB, which no key file is; pass a file that holds the key on its "
        "first line."
    ]


def test_endless_api_key_file_exits_2(assignments: Any) -> None:
    """/dev/zero as the key file is refused after 64 KiB, not read forever."""
    result = assignments("123", "--api-key-file", "/dev/zero")

    assert result.status == 2
    assert result.stderr_lines == [
        "ConfigurationError: The API key file '/dev/zero' is longer than 64 KiB, "
        "which no key file is; pass a file that holds the key on its first line."
    ]


@pytest.mark.parametrize(
    "first_line",
    [f"sk-planted {PLANTED_KEY}", f"{PLANTED_KEY}\u00e9", "sk-\x1b[0m"],
    ids=["space", "non-ASCII", "escape"],
)
def test_api_key_file_with_impossible_key_names_the_file(
    assignments: Any, tmp_path: Path, first_line: str
) -> None:
    """A key no header can carry is blamed on the file, not on the environment."""
    key_file = tmp_path / "key"
    key_file.write_text(f"{first_line}\n", encoding="utf-8")

    result = assignments("123", "--api-key-file", str(key_file))

    assert result.status == 2
    assert result.stderr_lines == [
        f"ConfigurationError: The first line of the API key file {str(key_file)!r} "
        "holds spaces, control characters or non-ASCII letters, which no key has; "
        "check the file for a copying mistake."
    ]
    assert "sk-" not in result.stderr


def test_api_key_file_that_is_not_utf8_exits_2(
    assignments: Any, tmp_path: Path
) -> None:
    """A key file in another encoding says so, naming the file."""
    key_file = tmp_path / "key"
    key_file.write_bytes(b"sk-\xff\xfe\n")

    result = assignments("123", "--api-key-file", str(key_file))

    assert result.status == 2
    assert result.stderr_lines == [
        f"ConfigurationError: Cannot read the API key file {str(key_file)!r}: "
        "not UTF-8 text."
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tz", "Mars/Olympus_Mons"], "argument --tz: unknown time zone"),
        (["--tz", "../etc/passwd"], "argument --tz: unknown time zone"),
        (["--tz", "Europe"], "argument --tz: unknown time zone"),
        (["--tz", "localtime"], "argument --tz: unknown time zone"),
        (["--tz", "z" * 300], "argument --tz: unknown time zone"),
        (["--due-within", "7x"], "argument --due-within: invalid duration '7x'"),
        (["--due-within", "0d"], "argument --due-within: invalid duration '0d'"),
        (["--due-within", "d"], "argument --due-within: invalid duration 'd'"),
        (
            ["--due-within", "2930000d"],
            "argument --due-within: invalid duration '2930000d': too long, "
            "the most is 100 years",
        ),
        (
            ["--due-within", "99999999h"],
            "argument --due-within: invalid duration '99999999h': too long, "
            "the most is 100 years",
        ),
        (["--site", "acme"], "argument --base-url: not allowed with argument --site"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--sort", "size"], "argument --sort: invalid choice: 'size'"),
    ],
)
def test_bad_option_exits_2(
    assignments: Any, arguments: list[str], message: str
) -> None:
    """argparse's usage line and message on stderr, nothing on stdout."""
    result = assignments("123", *arguments)

    assert result.status == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: konstantly assignments")
    assert f"konstantly assignments: error: {message}" in result.stderr


@pytest.mark.parametrize(
    "group_id", ["0", "-3", "abc", "1.5", "\u0661\u0662", str(2**63), "0" * 30]
)
def test_bad_group_id_exits_2(run: Any, group_id: str) -> None:
    """A group id is a whole number from 1 to 2**63 - 1, in ASCII digits."""
    result = run("assignments", "--", group_id)

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        f"konstantly assignments: error: argument GROUP_ID: invalid group id "
        f"{group_id!r}: use a whole number from 1 to 9223372036854775807"
    )


def test_group_id_of_5000_digits_exits_2_without_internals(run: Any) -> None:
    """A huge id is refused by the parser, shown cut short, no function named."""
    result = run("assignments", "7" * 5000)

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        "konstantly assignments: error: argument GROUP_ID: invalid group id "
        "'77777777777777777777'... (5000 characters): use a whole number from 1 "
        "to 9223372036854775807"
    )


def test_largest_group_id_reaches_the_server(assignments: Any) -> None:
    """2**63 - 1 is a valid id: the fake site answers that it has no such group."""
    result = assignments(str(2**63 - 1))

    assert result.status == 1
    assert result.stderr_lines == ["NotFoundError: Group not found (HTTP 404)"]


def test_no_group_exits_2(run: Any) -> None:
    """Neither GROUP_ID nor --groups-file is a usage error."""
    result = run("assignments")

    assert result.status == 2
    assert "give at least one GROUP_ID, or --groups-file" in result.stderr


def test_endless_groups_file_exits_2(run: Any) -> None:
    """/dev/zero as the groups file is refused after 16 MiB, not read forever."""
    result = run("assignments", "--groups-file", "/dev/zero")

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        "konstantly assignments: error: the groups file '/dev/zero' is longer "
        "than 16 MiB, a million groups and more; split it into several runs"
    )


def test_empty_groups_file_exits_2(run: Any, tmp_path: Path) -> None:
    """A groups file of comments and blank lines is named as holding no ids."""
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text("# none yet\n\n", encoding="utf-8")

    result = run("assignments", "--groups-file", str(groups_file))

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        f"konstantly assignments: error: the groups file {str(groups_file)!r} "
        "holds no group ids, and no GROUP_ID was given"
    )


def test_empty_groups_on_stdin_exits_2(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--groups-file -` with nothing on stdin says so."""
    monkeypatch.setattr(sys, "stdin", stdin_holding(""))

    result = run("assignments", "--groups-file", "-")

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        "konstantly assignments: error: the groups file on stdin holds no group "
        "ids, and no GROUP_ID was given"
    )


def test_bad_groups_file_line_exits_2(run: Any, tmp_path: Path) -> None:
    """A line of the groups file that is no group id names the file and line."""
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text("123\nsales team\n", encoding="utf-8")

    result = run("assignments", "--groups-file", str(groups_file))

    assert result.status == 2
    assert f"{groups_file}, line 2: invalid group id 'sales team'" in result.stderr


def test_groups_file_id_of_5000_digits_exits_2(run: Any, tmp_path: Path) -> None:
    """An id too long for int() is a usage error naming its line, not a crash."""
    groups_file = tmp_path / "groups.txt"
    groups_file.write_text("123\n" + "5" * 5000 + "\n", encoding="utf-8")

    result = run("assignments", "--groups-file", str(groups_file))

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        f"konstantly assignments: error: {groups_file}, line 2: invalid group id "
        "'55555555555555555555'... (5000 characters): use a whole number from 1 "
        "to 9223372036854775807"
    )


def test_no_command_exits_2(run: Any) -> None:
    """The command is required."""
    result = run()

    assert result.status == 2
    assert "the following arguments are required: COMMAND" in result.stderr


@pytest.mark.parametrize("option", ["--api-key", "--api-key=", "--api"])
def test_key_is_not_an_option(run: Any, option: str) -> None:
    """A key given as an option is refused without being repeated."""
    separator = "" if option.endswith("=") else " "
    arguments = f"{option}{separator}{PLANTED_KEY}".split(" ")

    result = run("assignments", "123", *arguments)

    assert result.status == 2
    assert PLANTED_KEY not in result.stderr


# Writing the output


def run_module(
    site: FakeKonstantly,
    *arguments: str,
    stdout: Any,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m konstantly assignments ARGUMENTS` against the fake site."""
    command = [sys.executable, "-m", "konstantly", "assignments", *arguments]
    return subprocess.run(
        [*command, "--base-url", site.base_url],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "KONSTANTLY_API_KEY": PLANTED_KEY, **(environment or {})},
    )


def test_full_stdout_exits_1_with_one_line(site: FakeKonstantly) -> None:
    """A full disk behind stdout is one line and exit 1, nothing more at exit."""
    with open("/dev/full", "w") as full:
        completed = run_module(site, "123", stdout=full)

    assert completed.returncode == 1
    assert completed.stderr == (
        "OutputError: cannot write the output: No space left on device\n"
    )


def test_closed_stdout_exits_1_with_one_line(site: FakeKonstantly) -> None:
    """Started with stdout closed (`>&-`), the command says so and exits 1."""
    command = [sys.executable, "-m", "konstantly", "assignments", "123"]
    command += ["--format", "csv", "--base-url", site.base_url]

    completed = subprocess.run(
        ["sh", "-c", '"$@" >&-', "sh", *command],
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "KONSTANTLY_API_KEY": PLANTED_KEY},
    )

    assert completed.returncode == 1
    assert completed.stderr == (
        "OutputError: cannot write the output: stdout is closed\n"
    )


def test_stdout_that_cannot_encode_exits_1(site: FakeKonstantly) -> None:
    """An ASCII-only stdout gets one line saying how to get UTF-8, not a crash."""
    completed = run_module(
        site,
        "202",
        "--format",
        "csv",
        stdout=subprocess.DEVNULL,
        environment={"PYTHONIOENCODING": "ascii"},
    )

    assert completed.returncode == 1
    assert completed.stderr.splitlines()[-1].startswith(
        "OutputError: cannot write the output: stdout's encoding, ascii, cannot write '"
    )
    assert completed.stderr.endswith(
        "; set PYTHONIOENCODING=utf-8 or write to a file with -o\n"
    )


def test_output_file_that_cannot_be_written_exits_1(assignments: Any) -> None:
    """-o to a full device fails like stdout does: one line, exit 1."""
    result = assignments("123", "-o", "/dev/full")

    assert result.status == 1
    assert result.stderr_lines == [
        "OutputError: cannot write the output to '/dev/full': No space left on device"
    ]


def test_output_file_in_missing_directory_exits_2_before_fetching(
    assignments: Any, site: FakeKonstantly, tmp_path: Path
) -> None:
    """An -o FILE whose directory does not exist is a usage error; nothing is sent."""
    output = tmp_path / "missing" / "report.csv"
    requests_before = len(site.requests)

    result = assignments("123", "-o", str(output))

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        f"konstantly assignments: error: cannot write --output {str(output)!r}: "
        f"there is no directory {str(output.parent)!r}"
    )
    assert len(site.requests) == requests_before


def test_output_file_that_is_a_directory_exits_2(
    assignments: Any, tmp_path: Path
) -> None:
    """-o naming a directory is a usage error."""
    result = assignments("123", "-o", str(tmp_path))

    assert result.status == 2
    assert result.stderr_lines[-1] == (
        f"konstantly assignments: error: --output {str(tmp_path)!r} is a "
        "directory, not a file"
    )


def test_failed_output_file_leaves_the_old_one(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails half way keeps the previous report and no stray file."""
    output = tmp_path / "report.csv"
    output.write_text("last week's report\n", encoding="utf-8")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)

    result = assignments("123", "--format", "csv", "-o", str(output))

    assert result.status == 1
    assert result.stderr_lines == [
        f"OutputError: cannot write the output to {str(output)!r}: "
        "No space left on device"
    ]
    assert output.read_text(encoding="utf-8") == "last week's report\n"
    assert [path.name for path in tmp_path.iterdir()] == ["report.csv"]


def test_failed_new_output_file_leaves_nothing(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new report that fails half way leaves no file at all, not an empty one."""

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)

    result = assignments("123", "-o", str(tmp_path / "report.txt"))

    assert result.status == 1
    assert list(tmp_path.iterdir()) == []


def test_output_file_keeps_mode_of_replaced_file(
    assignments: Any, tmp_path: Path
) -> None:
    """Replacing a report keeps its permissions; a new one gets the umask's."""
    kept = tmp_path / "kept.csv"
    kept.write_text("old\n", encoding="utf-8")
    kept.chmod(0o640)
    new = tmp_path / "new.csv"
    umask = os.umask(0o022)
    os.umask(umask)

    assert assignments("123", "--format", "csv", "-o", str(kept)).status == 0
    assert assignments("123", "--format", "csv", "-o", str(new)).status == 0

    assert kept.stat().st_mode & 0o777 == 0o640
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask
    assert SALES in kept.read_text(encoding="utf-8")


def test_output_file_through_symbolic_link(assignments: Any, tmp_path: Path) -> None:
    """-o through a link writes the file it points to and keeps the link."""
    target = tmp_path / "target.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)

    result = assignments("123", "--format", "csv", "-o", str(link))

    assert result.status == 0
    assert link.is_symlink()
    assert SALES in target.read_text(encoding="utf-8")


# --version, python -m, fake-server


def test_version_option(run: Any) -> None:
    """--version prints the program's name and version."""
    result = run("--version")

    assert result.status == 0
    assert result.stdout == f"konstantly {konstantly.__version__}\n"


def test_python_m_konstantly_version() -> None:
    """`python -m konstantly --version` runs the same command."""
    completed = subprocess.run(
        [sys.executable, "-m", "konstantly", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0
    assert completed.stdout == f"konstantly {konstantly.__version__}\n"


def test_python_m_konstantly_exit_status_on_error() -> None:
    """The module passes main's exit status to the shell."""
    environment = {**os.environ, "KONSTANTLY_API_KEY": ""}
    completed = subprocess.run(
        [sys.executable, "-m", "konstantly", "assignments", "123"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )

    assert completed.returncode == 2
    assert completed.stderr.startswith("ConfigurationError: No API key")


def test_fake_server_reports_bad_data_file(run: Any, tmp_path: Path) -> None:
    """A data file that cannot be read is one line on stderr and exit 2."""
    missing = tmp_path / "missing.json"

    result = run("fake-server", "--data", str(missing))

    assert result.status == 2
    assert result.stderr_lines == [
        f"FakeSiteError: Cannot read the data file {str(missing)!r}: "
        "No such file or directory."
    ]


def test_fake_server_refuses_non_loopback_host(run: Any) -> None:
    """The fake site listens on loopback only."""
    result = run("fake-server", "--host", "0.0.0.0")

    assert result.status == 2
    assert len(result.stderr_lines) == 1
    assert result.stderr_lines[0].startswith("FakeSiteError: ")


@pytest.mark.parametrize("port", ["70000", "-1", "9" * 5000])
def test_fake_server_bad_port_exits_2(run: Any, port: str) -> None:
    """A port outside 0-65535 is a usage error."""
    result = run("fake-server", "--port", port)

    assert result.status == 2
    assert "argument --port: invalid port " in result.stderr
    assert "use a number from 0 to 65535" in result.stderr


# The demo


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_demo_lists_example_in_utc(tz: str) -> None:
    """`make demo` shows both courses and the same UTC times in any local zone."""
    environment = {**os.environ, "TZ": tz}
    environment.pop("KONSTANTLY_API_KEY", None)

    completed = subprocess.run(
        [sys.executable, str(DEMO)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("$ konstantly assignments 123 --base-url ")
    sales_line = next(line for line in completed.stdout.splitlines() if SALES in line)
    crm_line = next(line for line in completed.stdout.splitlines() if CRM in line)
    assert "2015-10-07 03:35 UTC" in sales_line
    assert "2015-11-25 12:16 UTC (2 months)" in crm_line


# The planted key never shows


@pytest.mark.parametrize(
    ("arguments", "key", "status"),
    [
        (["123"], PLANTED_KEY, 0),
        (["123", "--format", "json", "--debug"], PLANTED_KEY, 0),
        (["123", "--format", "csv"], PLANTED_KEY, 0),
        (["999"], PLANTED_KEY, 1),
        (["999", "--debug"], PLANTED_KEY, 1),
        (["123", "999"], PLANTED_KEY, 1),
        (["123"], WRONG_KEY, 1),
        (["123", "--debug"], WRONG_KEY, 1),
        (["123", "--tz", "Nowhere/Special"], PLANTED_KEY, 2),
    ],
)
def test_planted_key_never_printed(
    assignments: Any,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    key: str,
    status: int,
) -> None:
    """Neither the right key nor a wrong one appears on stdout or stderr."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", key)

    result = assignments(*arguments)

    assert result.status == status
    output = result.stdout + result.stderr
    assert PLANTED_KEY not in output
    assert WRONG_KEY not in output
    assert "sk-planted" not in output


def test_planted_key_from_file_never_printed(
    assignments: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key read from a file is not printed, with a right or wrong key."""
    monkeypatch.delenv("KONSTANTLY_API_KEY")
    key_file = tmp_path / "key"

    outputs = []
    for key in (PLANTED_KEY, WRONG_KEY):
        key_file.write_text(key, encoding="utf-8")
        result = assignments("123", "--api-key-file", str(key_file), "--debug")
        outputs.append(result.stdout + result.stderr)

    assert "sk-planted" not in "".join(outputs)


# Parsing values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("7D", timedelta(days=7)),
        (" 36h ", timedelta(hours=36)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    """A whole number and a unit: minutes, hours, days or weeks."""
    assert _cli.parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "7", "d", "7x", "1.5d", "-1d", "0h", "00d", "7d12h", "\u0667d"]
)
def test_parse_duration_refuses(text: str) -> None:
    """Anything else is refused with an argparse error."""
    with pytest.raises(argparse.ArgumentTypeError, match="invalid duration"):
        _cli.parse_duration(text)


@pytest.mark.parametrize("text", ["36525d", "5217w", "876600h", "52596000m"])
def test_parse_duration_takes_up_to_100_years(text: str) -> None:
    """100 years (36,525 days) in any unit is the longest duration taken."""
    assert _cli.parse_duration(text) <= _cli.MAX_DURATION == timedelta(days=36525)


@pytest.mark.parametrize(
    "text",
    ["36526d", "5218w", "99999999h", "2930000d", "99999999999999w", "9" * 5000 + "m"],
)
def test_parse_duration_refuses_more_than_100_years(text: str) -> None:
    """Longer durations, even past int()'s digit limit, are refused as too long."""
    with pytest.raises(argparse.ArgumentTypeError, match="too long, the most is 100"):
        _cli.parse_duration(text)


def test_due_within_100_years_runs(assignments: Any) -> None:
    """The longest duration taken filters without overflowing a datetime."""
    result = assignments(
        str(TIMED_GROUP_ID), "--format", "json", "--due-within", "36525d"
    )

    assert result.status == 0
    assert course_names(result.stdout) == ["Due soon", "Due later"]


def test_parse_zone() -> None:
    """IANA names give ZoneInfo objects."""
    assert str(_cli.parse_zone("Europe/Berlin")) == "Europe/Berlin"
