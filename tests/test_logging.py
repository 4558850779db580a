"""What the `konstantly` logger says, at which level, and what it never says.

DEBUG for each decision (the request, the status, whether to retry, how far
paging got), INFO only before sleeping for a retry, WARNING when a result is
incomplete or a deadline's unit is unknown. No record holds a body or a full
query string. KONSTANTLY_LOG=debug or info shows the log on stderr.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import konstantly
import pytest
from konstantly import _logging
from konstantly.testing import FakeKonstantly, Fault

MARKER = "zq-body-marker-7731"


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as running:
        yield running


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog, taking the konstantly logger's records at every level."""
    caplog.set_level(logging.DEBUG, logger="konstantly")
    return caplog


def client_records(log: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """(logger, level, message) of the client's records, not the fake site's."""
    return [
        (record.name, record.levelname, record.getMessage())
        for record in log.records
        if record.name.startswith("konstantly")
        and not record.name.startswith("konstantly.testing")
    ]


def make_client(site: FakeKonstantly, **options: Any) -> konstantly.Konstantly:
    return konstantly.Konstantly(
        api_key=site.api_key, base_url=site.base_url, **options
    )


def test_a_clean_call_logs_its_request_and_status_at_debug(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """One request: what was asked, what came back, nothing above DEBUG."""
    with make_client(site) as client:
        client.groups.list_assignments(123)

    assert client_records(log) == [
        ("konstantly._client", "DEBUG", "GET /groups/123/assignments (offset 0)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 200 for /openapi/v1/groups/123/assignments",
        ),
    ]


def test_paging_is_logged_at_debug(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """Each page's request, and how many of the total had arrived after it."""
    with make_client(site) as client:
        client.groups.list_assignments(203)

    assert client_records(log) == [
        ("konstantly._client", "DEBUG", "GET /groups/203/assignments (offset 0)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 200 for /openapi/v1/groups/203/assignments",
        ),
        (
            "konstantly._pagination",
            "DEBUG",
            "group 203: 20 of 25 assignments after page 1",
        ),
        ("konstantly._client", "DEBUG", "GET /groups/203/assignments (offset 20)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 200 for /openapi/v1/groups/203/assignments",
        ),
    ]


def test_retry_decisions_are_debug_and_the_pause_is_info(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """A retryable failure is judged at DEBUG, announced at INFO, then retried."""
    site.inject(Fault.status(503, retry_after="0"))
    site.inject(Fault.status(404))

    with (
        make_client(site, max_retries=2) as client,
        pytest.raises(konstantly.NotFoundError),
    ):
        client.groups.list_assignments(123)

    assert client_records(log) == [
        ("konstantly._client", "DEBUG", "GET /groups/123/assignments (offset 0)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 503 for /openapi/v1/groups/123/assignments",
        ),
        ("konstantly._retry", "DEBUG", "InternalServerError is retryable"),
        (
            "konstantly._retry",
            "INFO",
            "retrying in 0.00 s (attempt 2 of 3) after InternalServerError",
        ),
        ("konstantly._client", "DEBUG", "GET /groups/123/assignments (offset 0)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 404 for /openapi/v1/groups/123/assignments",
        ),
        ("konstantly._retry", "DEBUG", "NotFoundError is final"),
    ]


def test_incomplete_result_is_one_warning(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """Fewer assignments than announced: a WARNING saying so, once per call."""
    site.add_group(7, [], total_count=3)

    with make_client(site) as client:
        client.groups.list_assignments(7)

    warnings = [entry for entry in client_records(log) if entry[1] == "WARNING"]
    assert warnings == [
        (
            "konstantly._pagination",
            "WARNING",
            "group 7: the server announced 3 assignments but 0 arrived before a "
            "page brought nothing new; the result is incomplete",
        )
    ]


def test_unknown_measure_is_one_warning_naming_it(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """Group 202 has a period in "years": one WARNING per call names the unit."""
    with make_client(site) as client:
        client.groups.list_assignments(202)
        client.groups.list_assignments(202)

    warnings = [entry for entry in client_records(log) if entry[1] == "WARNING"]
    message = (
        "group 202: deadlines in the unknown unit 'years' have no due time; "
        "a newer version of this client may know it"
    )
    assert warnings == [("konstantly._pagination", "WARNING", message)] * 2


def test_unknown_measures_warn_once_each_across_pages(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """Three "years" over two pages and one "decades": one WARNING per unit."""

    def assignment(course_id: int, measure: str) -> dict[str, Any]:
        return {
            "assignedAt": 1_700_000_000,
            "deadlinePeriod": {"measure": measure, "value": 1},
            "course": {
                "id": course_id,
                "name": f"Course {course_id}",
                "annotation": "",
                "isDraft": False,
                "createdAt": 1_690_000_000,
                "updatedAt": 1_690_000_000,
            },
        }

    measures = ["years", "decades", "years", "years"]
    site.add_group(
        7,
        [assignment(number, measure) for number, measure in enumerate(measures, 1)],
        page_size=2,
    )

    with make_client(site) as client:
        result = client.groups.list_assignments(7)

    assert [str(a.deadline.period) for a in result if a.deadline] == [
        f"1 {unit[:-1]}" for unit in measures
    ]
    assert [a.due_at for a in result] == [None] * 4
    assert [request.query.get("offset") for request in site.requests] == [
        ["0"],
        ["2"],
    ]
    warnings = [entry[2] for entry in client_records(log) if entry[1] == "WARNING"]
    assert warnings == [
        f"group 7: deadlines in the unknown unit {unit!r} have no due time; "
        "a newer version of this client may know it"
        for unit in ("decades", "years")
    ]


def test_records_are_formatted_lazily(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """Values travel as arguments, so a silenced logger formats nothing."""
    site.inject(Fault.status(503, retry_after="0"))

    with make_client(site) as client:
        client.groups.list_assignments(203)

    client_logged = [
        record
        for record in log.records
        if not record.name.startswith("konstantly.testing")
    ]
    assert client_logged
    for record in client_logged:
        assert record.args, record.msg
        assert "%" in record.msg


def test_no_record_holds_a_body_or_a_query_string(
    site: FakeKonstantly, caplog: pytest.LogCaptureFixture
) -> None:
    """Bodies, good or bad, and query strings stay out of every record."""
    caplog.set_level(logging.DEBUG, logger="konstantly")
    assignment = {
        "assignedAt": 1_700_000_000,
        "deadlinePeriod": {"measure": "eons", "value": 1},
        "course": {
            "id": 1,
            "name": MARKER,
            "annotation": MARKER,
            "isDraft": False,
            "createdAt": 1,
            "updatedAt": 1,
            MARKER: MARKER,
        },
    }
    site.add_group(7, [assignment], total_count=2)
    site.set_raw_response(8, 200, json.dumps({"totalCount": MARKER}).encode())
    error_body = f"<html>{MARKER}</html>".encode()
    site.inject(
        Fault.status(500, error_body, retry_after="0", content_type="text/html")
    )

    with make_client(site) as client:
        client.groups.list_assignments(7)
        with pytest.raises(konstantly.ResponseValidationError):
            client.groups.list_assignments(8)
        site.inject(Fault.status(404, error_body))
        with pytest.raises(konstantly.NotFoundError):
            client.groups.list_assignments(7)

    mine = [r for r in caplog.records if r.name.startswith("konstantly")]
    messages = [record.getMessage() for record in mine]
    assert len(messages) > 10
    assert [m for m in messages if MARKER in m] == []
    assert [m for m in messages if "offset=" in m or "?" in m] == []
    assert MARKER not in caplog.text


@pytest.mark.anyio
async def test_async_client_logs_the_same_lines(
    site: FakeKonstantly, log: pytest.LogCaptureFixture
) -> None:
    """The asynchronous client's log reads like the synchronous one's."""
    site.inject(Fault.status(429, retry_after="0"))

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url
    ) as client:
        await client.groups.list_assignments(123)

    assert client_records(log) == [
        ("konstantly._client", "DEBUG", "GET /groups/123/assignments (offset 0)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 429 for /openapi/v1/groups/123/assignments",
        ),
        ("konstantly._retry", "DEBUG", "RateLimitError is retryable"),
        (
            "konstantly._retry",
            "INFO",
            "retrying in 0.00 s (attempt 2 of 3) after RateLimitError",
        ),
        ("konstantly._client", "DEBUG", "GET /groups/123/assignments (offset 0)"),
        (
            "konstantly._client",
            "DEBUG",
            "HTTP 200 for /openapi/v1/groups/123/assignments",
        ),
    ]


@pytest.fixture
def konstantly_logger() -> Iterator[logging.Logger]:
    """The package logger, put back as it was afterwards."""
    logger = logging.getLogger("konstantly")
    handlers, level = list(logger.handlers), logger.level
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(
    ("value", "level"),
    [("debug", logging.DEBUG), ("info", logging.INFO), (" DEBUG\n", logging.DEBUG)],
)
def test_environment_attaches_one_stderr_handler(
    konstantly_logger: logging.Logger,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    level: int,
) -> None:
    """KONSTANTLY_LOG sets the level and adds one handler, however often read."""
    monkeypatch.setenv("KONSTANTLY_LOG", value)

    _logging.configure_from_environment()
    _logging.configure_from_environment()

    assert len(konstantly_logger.handlers) == 1
    assert konstantly_logger.level == level
    # It writes to sys.stderr as it is at each record, as a progress bar may
    # have put a proxy there in the meantime.
    written = io.StringIO()
    monkeypatch.setattr(sys, "stderr", written)
    konstantly_logger.log(level, "checked %s", "here")
    assert written.getvalue().endswith(
        f" {logging.getLevelName(level)} konstantly: checked here\n"
    )


@pytest.mark.parametrize("value", ["", "verbose", "warning", "0"])
def test_other_environment_values_attach_nothing(
    konstantly_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Only debug and info turn the log on; anything else leaves it alone."""
    monkeypatch.setenv("KONSTANTLY_LOG", value)

    _logging.configure_from_environment()

    assert konstantly_logger.handlers == []
    assert konstantly_logger.level == logging.NOTSET


SCRIPT = """
import sys
import konstantly

with konstantly.Konstantly(api_key=sys.argv[2], base_url=sys.argv[1]) as client:
    client.groups.list_assignments(123)
"""


def run_script(site: FakeKonstantly, log: str | None) -> str:
    """Run a small program that lists group 123 once; returns its stderr."""
    environment = {
        name: value for name, value in os.environ.items() if name != "KONSTANTLY_LOG"
    }
    if log is not None:
        environment["KONSTANTLY_LOG"] = log
    site.inject(Fault.status(503, retry_after="0"))
    process = subprocess.run(
        [sys.executable, "-c", SCRIPT, site.base_url, site.api_key],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert process.stdout == ""
    return process.stderr


def test_debug_in_the_environment_shows_every_record_on_stderr(
    site: FakeKonstantly,
) -> None:
    """KONSTANTLY_LOG=debug: DEBUG and INFO lines, with time, level and logger."""
    lines = run_script(site, "debug").splitlines()

    levels_and_text = [line.split(" ", 2)[2] for line in lines]
    assert levels_and_text == [
        "DEBUG konstantly._client: GET /groups/123/assignments (offset 0)",
        "DEBUG konstantly._client: HTTP 503 for /openapi/v1/groups/123/assignments",
        "DEBUG konstantly._retry: InternalServerError is retryable",
        "INFO konstantly._retry: retrying in 0.00 s (attempt 2 of 3) after "
        "InternalServerError",
        "DEBUG konstantly._client: GET /groups/123/assignments (offset 0)",
        "DEBUG konstantly._client: HTTP 200 for /openapi/v1/groups/123/assignments",
    ]


def test_info_in_the_environment_shows_only_the_pauses(site: FakeKonstantly) -> None:
    """KONSTANTLY_LOG=info: the line before the retry, and no DEBUG line."""
    lines = run_script(site, "info").splitlines()

    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO konstantly._retry: retrying in 0.00 s (attempt 2 of 3) after "
        "InternalServerError"
    ]


def test_without_the_environment_nothing_is_shown(site: FakeKonstantly) -> None:
    """A program that sets up no logging hears nothing from a call that recovers."""
    assert run_script(site, None) == ""
