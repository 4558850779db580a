"""The asynchronous client over a real loopback HTTP server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import konstantly
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MakeAssignment = Callable[..., dict[str, Any]]

PATH = "/openapi/v1/groups/123/assignments"

pytestmark = pytest.mark.anyio


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def list_group(
    api_key: str, base_url: str, group_id: Any = 123, **options: Any
) -> konstantly.GroupAssignments:
    """List one group with a fresh async client, closed afterwards."""
    options = {"max_retries": 0, **options}
    async with konstantly.AsyncKonstantly(
        api_key=api_key, base_url=base_url, **options
    ) as client:
        return await client.groups.list_assignments(group_id)


async def test_lists_documented_example(
    httpserver: HTTPServer, api_key: str, base_url: str, example_body: dict[str, Any]
) -> None:
    """Every value of the documented example arrives, as with the sync client."""
    httpserver.expect_request(PATH, method="GET").respond_with_json(example_body)

    result = await list_group(api_key, base_url)

    assert result.group_id == 123
    assert result.total_count == 2
    assert result.complete is True
    sales, crm = result
    assert sales.course.id == 123
    assert sales.course.name == "Sales Strategy Fundamentals"
    assert sales.course.annotation == "Learn essential sales strategies and techniques"
    assert sales.course.is_draft is False
    assert sales.course.created_at == utc(2017, 10, 12, 11, 28, 31)
    assert sales.course.updated_at == utc(2017, 10, 12, 11, 39, 32)
    assert sales.course.published_at == utc(2017, 10, 17, 7, 27, 9)
    assert sales.assigned_at == utc(2015, 9, 25, 12, 15, 22)
    assert sales.due_at == utc(2015, 10, 7, 3, 35, 32)
    assert sales.deadline is not None
    assert sales.deadline.is_relative is False
    assert crm.course.id == 124
    assert crm.course.name == "Customer Relationship Management"
    assert crm.course.annotation == "Master modern CRM principles and practices"
    assert crm.course.is_draft is False
    assert crm.course.created_at == utc(2017, 10, 12, 11, 30)
    assert crm.course.updated_at == utc(2017, 10, 12, 11, 40)
    assert crm.course.published_at == utc(2017, 10, 17, 7, 28, 20)
    assert crm.assigned_at == utc(2015, 9, 25, 12, 16, 40)
    assert crm.due_at == utc(2015, 11, 25, 12, 16, 40)
    assert crm.deadline is not None
    assert crm.deadline.is_relative is True
    assert str(crm.deadline.period) == "2 months"
    request, _ = httpserver.log[0]
    assert request.path == PATH
    assert request.headers["X-API-KEY"] == api_key


async def test_days_keep_wall_clock_time_in_client_timezone(
    httpserver: HTTPServer,
    api_key: str,
    base_url: str,
    make_assignment: MakeAssignment,
) -> None:
    """A day after 12:00 EST on 2021-03-13 is 12:00 EDT, 16:00 UTC."""
    body = {
        "assignments": [
            make_assignment(
                assigned_at=int(utc(2021, 3, 13, 17).timestamp()),
                deadlinePeriod={"measure": "days", "value": 1},
            )
        ],
        "totalCount": 1,
    }
    httpserver.expect_request(PATH).respond_with_json(body)

    result = await list_group(api_key, base_url, timezone="America/New_York")

    assert result[0].due_at == utc(2021, 3, 14, 16)


async def test_incomplete_when_server_has_no_more(
    httpserver: HTTPServer,
    api_key: str,
    base_url: str,
    make_assignment: MakeAssignment,
) -> None:
    """totalCount 3 with only 2 to be had gives an incomplete result."""
    first_page = [make_assignment(course_id=1), make_assignment(course_id=2)]

    def respond(request: Request) -> Response:
        offset = int(request.args.get("offset", "0"))
        page = first_page if offset == 0 else []
        body = {"assignments": page, "totalCount": 3}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(respond)

    result = await list_group(api_key, base_url)

    assert [a.course.id for a in result] == [1, 2]
    assert result.total_count == 3
    assert result.complete is False


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, konstantly.BadRequestError),
        (401, konstantly.AuthenticationError),
        (403, konstantly.PermissionDeniedError),
        (404, konstantly.NotFoundError),
        (500, konstantly.InternalServerError),
        (503, konstantly.InternalServerError),
    ],
)
async def test_status_maps_to_its_error_class(
    httpserver: HTTPServer,
    api_key: str,
    base_url: str,
    status: int,
    error_class: type[konstantly.APIStatusError],
) -> None:
    """Each documented status raises its own class with the server's message."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": status, "message": f"Failure {status}"}, status=status
    )

    with pytest.raises(konstantly.APIStatusError) as caught:
        await list_group(api_key, base_url)

    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert caught.value.message == f"Failure {status}"


async def test_rate_limit_reports_retry_after(
    httpserver: HTTPServer, api_key: str, base_url: str
) -> None:
    """A 429 raises RateLimitError with Retry-After in seconds."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 429, "message": "Too many requests"},
        status=429,
        headers={"Retry-After": "12"},
    )

    with pytest.raises(konstantly.RateLimitError) as caught:
        await list_group(api_key, base_url)

    assert caught.value.retry_after == 12.0


async def test_other_status_is_plain_status_error(
    httpserver: HTTPServer, api_key: str, base_url: str
) -> None:
    """A 418 is a plain APIStatusError."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 418, "message": "I'm a teapot"}, status=418
    )

    with pytest.raises(konstantly.APIStatusError) as caught:
        await list_group(api_key, base_url)

    assert type(caught.value) is konstantly.APIStatusError
    assert caught.value.status_code == 418


async def test_wrong_shape_names_the_path(
    httpserver: HTTPServer, api_key: str, base_url: str, example_body: dict[str, Any]
) -> None:
    """A malformed body raises ResponseValidationError naming the field."""
    example_body["assignments"][1]["course"]["createdAt"] = "yesterday"
    httpserver.expect_request(PATH).respond_with_json(example_body)

    with pytest.raises(konstantly.ResponseValidationError) as caught:
        await list_group(api_key, base_url)

    assert caught.value.path == "assignments[1].course.createdAt"


async def test_body_not_json_is_a_validation_error(
    httpserver: HTTPServer, api_key: str, base_url: str
) -> None:
    """A 200 carrying HTML raises ResponseValidationError."""
    httpserver.expect_request(PATH).respond_with_data(
        "<html>Maintenance</html>", content_type="text/html"
    )

    with pytest.raises(konstantly.ResponseValidationError):
        await list_group(api_key, base_url)


@pytest.mark.parametrize("group_id", [0, -1, True, "123", 1.5])
async def test_group_id_checked_before_any_request(
    httpserver: HTTPServer, api_key: str, base_url: str, group_id: Any
) -> None:
    """A group id that is not a positive int raises InvalidArgumentError."""
    with pytest.raises(konstantly.InvalidArgumentError):
        await list_group(api_key, base_url, group_id)

    assert httpserver.log == []


async def test_missing_api_key_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, base_url: str
) -> None:
    """The async client needs a key just as the sync one does."""
    monkeypatch.delenv("KONSTANTLY_API_KEY", raising=False)

    with pytest.raises(konstantly.ConfigurationError) as caught:
        konstantly.AsyncKonstantly(base_url=base_url)

    assert "KONSTANTLY_API_KEY" in str(caught.value)


async def test_http_base_url_refused_for_remote_host() -> None:
    """http to a non-loopback host is refused by the async client too."""
    with pytest.raises(konstantly.ConfigurationError):
        konstantly.AsyncKonstantly(api_key="k", base_url="http://example.com/v1")


async def test_api_key_never_logged_or_shown(
    httpserver: HTTPServer,
    api_key: str,
    base_url: str,
    example_body: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The key appears in no log record or repr of the async client."""
    caplog.set_level(logging.DEBUG)
    httpserver.expect_request(PATH).respond_with_json(example_body)

    async with konstantly.AsyncKonstantly(
        api_key=api_key, base_url=base_url, max_retries=0
    ) as client:
        await client.groups.list_assignments(123)
        shown = [repr(client)]

    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if api_key in text]
