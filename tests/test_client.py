"""The synchronous client over a real loopback HTTP server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import konstantly
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Fetch = Callable[..., konstantly.GroupAssignments]
MakeClient = Callable[..., konstantly.Konstantly]
MakeAssignment = Callable[..., dict[str, Any]]

PATH = "/openapi/v1/groups/123/assignments"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def serve_pages(
    httpserver: HTTPServer, pages: dict[int, list[dict[str, Any]]], total_count: int
) -> None:
    """Answer each `offset` with its page; an unknown offset gets an empty page."""

    def respond(request: Request) -> Response:
        offset = int(request.args.get("offset", "0"))
        body = {"assignments": pages.get(offset, []), "totalCount": total_count}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(PATH, method="GET").respond_with_handler(respond)


def test_lists_documented_example(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """Every value of the documented example arrives, converted and checked."""
    result = fetch_assignments(example_body)

    assert result.group_id == 123
    assert result.total_count == 2
    assert result.complete is True
    assert len(result) == 2
    sales, crm = result

    assert sales.course.id == 123
    assert sales.course.name == "Sales Strategy Fundamentals"
    assert sales.course.annotation == "Learn essential sales strategies and techniques"
    assert sales.course.is_draft is False
    assert sales.course.created_at == utc(2017, 10, 12, 11, 28, 31)
    assert sales.course.updated_at == utc(2017, 10, 12, 11, 39, 32)
    assert sales.course.published_at == utc(2017, 10, 17, 7, 27, 9)
    assert sales.assigned_at == utc(2015, 9, 25, 12, 15, 22)
    assert sales.deadline is not None
    assert sales.deadline.is_relative is False
    assert sales.deadline.due_at == utc(2015, 10, 7, 3, 35, 32)
    assert sales.due_at == utc(2015, 10, 7, 3, 35, 32)

    assert crm.course.id == 124
    assert crm.course.name == "Customer Relationship Management"
    assert crm.course.annotation == "Master modern CRM principles and practices"
    assert crm.course.is_draft is False
    assert crm.course.created_at == utc(2017, 10, 12, 11, 30)
    assert crm.course.updated_at == utc(2017, 10, 12, 11, 40)
    assert crm.course.published_at == utc(2017, 10, 17, 7, 28, 20)
    assert crm.assigned_at == utc(2015, 9, 25, 12, 16, 40)
    assert crm.deadline is not None
    assert crm.deadline.is_relative is True
    assert crm.deadline.period is not None
    assert crm.deadline.period.measure == "months"
    assert crm.deadline.period.value == 2
    assert str(crm.deadline.period) == "2 months"
    assert crm.deadline.due_at == utc(2015, 11, 25, 12, 16, 40)
    assert crm.due_at == utc(2015, 11, 25, 12, 16, 40)


def test_sends_one_get_with_api_key_to_group_path(
    httpserver: HTTPServer,
    fetch_assignments: Fetch,
    example_body: dict[str, Any],
    api_key: str,
) -> None:
    """One GET /openapi/v1/groups/123/assignments carrying the X-API-KEY header."""
    fetch_assignments(example_body)

    assert len(httpserver.log) == 1
    request, response = httpserver.log[0]
    assert request.method == "GET"
    assert request.path == PATH
    assert request.headers["X-API-KEY"] == api_key
    assert response.status_code == 200


def test_asks_only_for_codings_it_can_hold_to_the_limit(
    httpserver: HTTPServer,
    fetch_assignments: Fetch,
    example_body: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """gzip and deflate, never br or zstd, whatever packages are installed."""
    # What httpx would ask for by default with brotli and zstandard installed.
    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")

    fetch_assignments(example_body)

    request, _ = httpserver.log[0]
    assert request.headers["Accept-Encoding"] == "gzip, deflate"


def test_base_url_with_trailing_slash(
    httpserver: HTTPServer, make_client: MakeClient, example_body: dict[str, Any]
) -> None:
    """A base URL ending in a slash reaches the same path, without a double slash."""
    httpserver.expect_request(PATH).respond_with_json(example_body)
    client = make_client(base_url=httpserver.url_for("/openapi/v1/"))

    result = client.groups.list_assignments(123)

    assert len(result) == 2
    assert httpserver.log[0][0].path == PATH


def test_one_client_serves_several_groups(
    httpserver: HTTPServer, make_client: MakeClient, make_assignment: MakeAssignment
) -> None:
    """Each call reads its own group's path and reports its own group_id."""
    for group_id, course_ids in ((7, [1]), (8, [2, 3])):
        body = {
            "assignments": [make_assignment(course_id=i) for i in course_ids],
            "totalCount": len(course_ids),
        }
        httpserver.expect_request(
            f"/openapi/v1/groups/{group_id}/assignments"
        ).respond_with_json(body)
    client = make_client()

    seven = client.groups.list_assignments(7)
    eight = client.groups.list_assignments(8)

    assert seven.group_id == 7
    assert [a.course.id for a in seven] == [1]
    assert eight.group_id == 8
    assert [a.course.id for a in eight] == [2, 3]


def test_per_call_options_are_accepted(
    httpserver: HTTPServer, make_client: MakeClient, example_body: dict[str, Any]
) -> None:
    """timeout and max_retries may be given for a single call."""
    httpserver.expect_request(PATH).respond_with_json(example_body)
    client = make_client()

    result = client.groups.list_assignments(123, timeout=5.0, max_retries=0)

    assert [a.course.id for a in result] == [123, 124]


def test_timeout_may_be_an_httpx_timeout(
    httpserver: HTTPServer, make_client: MakeClient, example_body: dict[str, Any]
) -> None:
    """The client accepts an httpx.Timeout as well as float seconds."""
    httpserver.expect_request(PATH).respond_with_json(example_body)
    client = make_client(timeout=httpx.Timeout(5.0, connect=2.0))

    assert len(client.groups.list_assignments(123)) == 2


def test_reads_the_next_page_from_offset(
    httpserver: HTTPServer, make_client: MakeClient, make_assignment: MakeAssignment
) -> None:
    """When fewer arrive than totalCount, the rest is asked for with offset."""
    serve_pages(
        httpserver,
        {
            0: [make_assignment(course_id=1), make_assignment(course_id=2)],
            2: [make_assignment(course_id=3)],
        },
        total_count=3,
    )

    result = make_client().groups.list_assignments(123)

    assert [a.course.id for a in result] == [1, 2, 3]
    assert result.total_count == 3
    assert result.complete is True
    assert [request.args.get("offset") for request, _ in httpserver.log][1:] == ["2"]


def test_incomplete_when_server_has_no_more(
    httpserver: HTTPServer, make_client: MakeClient, make_assignment: MakeAssignment
) -> None:
    """totalCount 3 but only 2 to be had: the result says it is incomplete."""
    serve_pages(
        httpserver,
        {0: [make_assignment(course_id=1), make_assignment(course_id=2)]},
        total_count=3,
    )

    result = make_client().groups.list_assignments(123)

    assert [a.course.id for a in result] == [1, 2]
    assert result.total_count == 3
    assert result.complete is False


def test_incomplete_when_server_ignores_offset(
    httpserver: HTTPServer, make_client: MakeClient, make_assignment: MakeAssignment
) -> None:
    """A server that repeats its first page for any offset adds no duplicates."""
    body = {
        "assignments": [make_assignment(course_id=1), make_assignment(course_id=2)],
        "totalCount": 3,
    }
    httpserver.expect_request(PATH).respond_with_json(body)

    result = make_client().groups.list_assignments(123)

    assert [a.course.id for a in result] == [1, 2]
    assert result.total_count == 3
    assert result.complete is False


def test_api_key_never_logged_or_shown(
    httpserver: HTTPServer,
    make_client: MakeClient,
    example_body: dict[str, Any],
    api_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The key appears in no log record, repr or exception, even at DEBUG."""
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(PATH).respond_with_json(example_body)
    httpserver.expect_request("/openapi/v1/groups/9/assignments").respond_with_json(
        {"status": 401, "message": "Invalid API key"}, status=401
    )
    client = make_client()

    result = client.groups.list_assignments(123)
    with pytest.raises(konstantly.AuthenticationError) as caught:
        client.groups.list_assignments(9)

    shown = [repr(client), repr(result), repr(list(result)), str(caught.value)]
    shown += [repr(caught.value), repr(caught.value.args)]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(record.args) for record in caplog.records]
    assert caplog.records, "expected the client to log its requests at DEBUG"
    assert not [text for text in shown if api_key in text]
