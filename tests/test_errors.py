"""Error responses and malformed bodies become the documented exceptions."""

from __future__ import annotations

import pickle
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import konstantly
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MakeClient = Callable[..., konstantly.Konstantly]
Fetch = Callable[..., konstantly.GroupAssignments]

PATH = "/openapi/v1/groups/123/assignments"


def list_group_123(client: konstantly.Konstantly) -> konstantly.GroupAssignments:
    return client.groups.list_assignments(123)


@pytest.mark.parametrize(
    ("status", "message", "error_class"),
    [
        (400, "Validation failed", konstantly.BadRequestError),
        (401, "Invalid API key", konstantly.AuthenticationError),
        (403, "Access denied", konstantly.PermissionDeniedError),
        (404, "Group not found", konstantly.NotFoundError),
        (429, "Too many requests", konstantly.RateLimitError),
        (500, "Internal server error", konstantly.InternalServerError),
        (502, "Bad gateway", konstantly.InternalServerError),
        (503, "Service unavailable", konstantly.InternalServerError),
    ],
)
def test_status_maps_to_its_error_class(
    httpserver: HTTPServer,
    make_client: MakeClient,
    status: int,
    message: str,
    error_class: type[konstantly.APIStatusError],
) -> None:
    """Each documented status raises its own class with the server's message."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": status, "message": message}, status=status
    )

    with pytest.raises(konstantly.APIStatusError) as caught:
        list_group_123(make_client())

    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert caught.value.message == message
    assert message in str(caught.value)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("status", [402, 418, 422])
def test_other_statuses_are_plain_status_errors(
    httpserver: HTTPServer, make_client: MakeClient, status: int
) -> None:
    """A status with no class of its own is a plain APIStatusError."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": status, "message": "Licence limit reached"}, status=status
    )

    with pytest.raises(konstantly.APIStatusError) as caught:
        list_group_123(make_client())

    assert type(caught.value) is konstantly.APIStatusError
    assert caught.value.status_code == status
    assert caught.value.message == "Licence limit reached"


def test_redirect_is_not_followed(
    httpserver: HTTPServer, make_client: MakeClient
) -> None:
    """A 302 is a plain APIStatusError; the key is not sent to another URL."""
    httpserver.expect_request(PATH).respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_json(
        {"assignments": [], "totalCount": 0}
    )

    with pytest.raises(konstantly.APIStatusError) as caught:
        list_group_123(make_client())

    assert type(caught.value) is konstantly.APIStatusError
    assert caught.value.status_code == 302
    assert [request.path for request, _ in httpserver.log] == [PATH]


def test_bad_request_carries_field_errors_in_message_or_body(
    httpserver: HTTPServer, make_client: MakeClient
) -> None:
    """A 400 with field errors still reads as the server's message."""
    httpserver.expect_request(PATH).respond_with_json(
        {
            "status": 400,
            "message": "Validation failed",
            "errors": {"offset": ["Must be a non-negative integer."]},
        },
        status=400,
    )

    with pytest.raises(konstantly.BadRequestError) as caught:
        list_group_123(make_client())

    assert caught.value.status_code == 400
    assert caught.value.message == "Validation failed"


@pytest.mark.parametrize(("retry_after", "expected"), [("30", 30.0), ("0", 0.0)])
def test_rate_limit_reports_retry_after_seconds(
    httpserver: HTTPServer, make_client: MakeClient, retry_after: str, expected: float
) -> None:
    """Retry-After in seconds is offered as retry_after."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 429, "message": "Too many requests"},
        status=429,
        headers={"Retry-After": retry_after},
    )

    with pytest.raises(konstantly.RateLimitError) as caught:
        list_group_123(make_client())

    assert caught.value.status_code == 429
    assert caught.value.retry_after == expected
    assert str(caught.value) == (
        f"Too many requests (HTTP 429, retry after {retry_after} s)"
    )


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}])
def test_rate_limit_without_usable_retry_after(
    httpserver: HTTPServer, make_client: MakeClient, headers: dict[str, str]
) -> None:
    """A 429 with no Retry-After, or a garbled one, has retry_after None."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 429, "message": "Too many requests"}, status=429, headers=headers
    )

    with pytest.raises(konstantly.RateLimitError) as caught:
        list_group_123(make_client())

    assert caught.value.retry_after is None
    assert str(caught.value) == "Too many requests (HTTP 429)"


def test_html_error_page_still_maps_by_status(
    httpserver: HTTPServer, make_client: MakeClient
) -> None:
    """A proxy's HTML 500 page is an InternalServerError with a short message."""
    page = "<html><body><h1>500 Internal Server Error</h1>" + "x" * 100_000
    httpserver.expect_request(PATH).respond_with_data(
        page + "</body></html>", status=500, content_type="text/html"
    )

    with pytest.raises(konstantly.InternalServerError) as caught:
        list_group_123(make_client())

    assert caught.value.status_code == 500
    assert isinstance(caught.value.message, str)
    assert len(str(caught.value)) < 2_000
    assert caught.value.body_excerpt.startswith("<html><body><h1>500 Internal")
    assert len(caught.value.body_excerpt) < 1_000


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (503, b"", konstantly.InternalServerError),
        (404, b"Not Found", konstantly.NotFoundError),
        (401, b'{"status": "401"}', konstantly.AuthenticationError),
        (403, b"[1, 2]", konstantly.PermissionDeniedError),
    ],
)
def test_unexpected_error_bodies_still_map_by_status(
    httpserver: HTTPServer,
    make_client: MakeClient,
    status: int,
    body: bytes,
    error_class: type[konstantly.APIStatusError],
) -> None:
    """Empty, plain-text or odd JSON error bodies do not hide the status."""
    httpserver.expect_request(PATH).respond_with_data(body, status=status)

    with pytest.raises(konstantly.APIStatusError) as caught:
        list_group_123(make_client())

    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert isinstance(caught.value.message, str)


def test_error_does_not_show_the_api_key(
    httpserver: HTTPServer, make_client: MakeClient, api_key: str
) -> None:
    """A 401 names the problem without repeating the key that was sent."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 401, "message": "Invalid API key"}, status=401
    )

    with pytest.raises(konstantly.AuthenticationError) as caught:
        list_group_123(make_client())

    assert api_key not in str(caught.value)
    assert api_key not in repr(caught.value)


def test_key_echoed_by_the_server_is_blotted_out(
    httpserver: HTTPServer, make_client: MakeClient, api_key: str
) -> None:
    """A server that repeats the key in its error does not leak it further."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 401, "message": f"Key {api_key} is not valid"}, status=401
    )

    with pytest.raises(konstantly.AuthenticationError) as caught:
        list_group_123(make_client())

    error = caught.value
    assert error.message.startswith("Key ")
    for shown in (error.message, error.body_excerpt, str(error), repr(error)):
        assert api_key not in shown


def test_refused_connection_is_a_connection_error(make_client: MakeClient) -> None:
    """Nothing listening on the port gives APIConnectionError, not a timeout."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}/openapi/v1")

    with pytest.raises(konstantly.APIConnectionError) as caught:
        list_group_123(client)

    assert not isinstance(caught.value, konstantly.APITimeoutError)


@pytest.fixture
def stalled_server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    """A server whose answer waits until the test is over."""
    release = threading.Event()

    def respond(request: Request) -> Response:
        release.wait(timeout=10)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(respond)
    yield httpserver
    release.set()


def test_read_timeout_is_a_timeout_error(
    stalled_server: HTTPServer, make_client: MakeClient
) -> None:
    """A server that does not answer in time gives APITimeoutError."""
    client = make_client(timeout=0.2)

    with pytest.raises(konstantly.APITimeoutError):
        list_group_123(client)


def test_status_error_survives_pickling(
    httpserver: HTTPServer, make_client: MakeClient
) -> None:
    """A status error crosses process boundaries, as multiprocessing pickles it."""
    httpserver.expect_request(PATH).respond_with_json(
        {"status": 429, "message": "Slow down"},
        status=429,
        headers={"Retry-After": "120"},
    )
    with pytest.raises(konstantly.RateLimitError) as caught:
        list_group_123(make_client(max_retries=0))

    copy = pickle.loads(pickle.dumps(caught.value))

    assert type(copy) is konstantly.RateLimitError
    assert (copy.message, copy.status_code, copy.retry_after) == (
        "Slow down",
        429,
        120.0,
    )
    assert copy.body_excerpt == caught.value.body_excerpt
    assert str(copy) == "Slow down (HTTP 429, retry after 120 s)"


def test_validation_error_survives_pickling(
    fetch_assignments: Fetch, example_body: dict[str, Any]
) -> None:
    """A validation error keeps its message and path through pickling."""
    example_body["assignments"][1]["course"]["createdAt"] = "yesterday"
    with pytest.raises(konstantly.ResponseValidationError) as caught:
        fetch_assignments(example_body)

    copy = pickle.loads(pickle.dumps(caught.value))

    assert copy.path == "assignments[1].course.createdAt"
    assert str(copy) == str(caught.value)


def test_error_hierarchy() -> None:
    """Every error is a KonstantlyError, arranged as the contract draws it."""
    k = konstantly
    assert issubclass(k.ConfigurationError, k.KonstantlyError)
    assert issubclass(k.InvalidArgumentError, k.KonstantlyError)
    assert issubclass(k.InvalidArgumentError, ValueError)
    assert issubclass(k.APIConnectionError, k.KonstantlyError)
    assert issubclass(k.APITimeoutError, k.APIConnectionError)
    assert issubclass(k.APIStatusError, k.KonstantlyError)
    assert issubclass(k.ResponseValidationError, k.KonstantlyError)
    for status_error in (
        k.BadRequestError,
        k.AuthenticationError,
        k.PermissionDeniedError,
        k.NotFoundError,
        k.RateLimitError,
        k.InternalServerError,
    ):
        assert issubclass(status_error, k.APIStatusError)
    assert issubclass(k.KonstantlyError, Exception)
    assert not issubclass(k.APIStatusError, k.APIConnectionError)
    assert not issubclass(k.ResponseValidationError, ValueError)


# Each case breaks the documented example in one place; the error names it.
VALIDATION_CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("missing assignments", lambda b: b.pop("assignments"), "assignments"),
    ("missing totalCount", lambda b: b.pop("totalCount"), "totalCount"),
    ("assignments an object", lambda b: b.update(assignments={}), "assignments"),
    (
        "totalCount a string",
        lambda b: b.update(totalCount="2"),
        "totalCount",
    ),
    (
        "totalCount negative",
        lambda b: b.update(totalCount=-1),
        "totalCount",
    ),
    (
        "createdAt a string",
        lambda b: b["assignments"][1]["course"].update(createdAt="1507807800"),
        "assignments[1].course.createdAt",
    ),
    (
        "assignedAt null",
        lambda b: b["assignments"][0].update(assignedAt=None),
        "assignments[0].assignedAt",
    ),
    (
        "assignedAt missing",
        lambda b: b["assignments"][1].pop("assignedAt"),
        "assignments[1].assignedAt",
    ),
    (
        "assignedAt a boolean",
        lambda b: b["assignments"][0].update(assignedAt=True),
        "assignments[0].assignedAt",
    ),
    (
        "isDraft a string",
        lambda b: b["assignments"][0]["course"].update(isDraft="no"),
        "assignments[0].course.isDraft",
    ),
    (
        "course id a string",
        lambda b: b["assignments"][0]["course"].update(id="123"),
        "assignments[0].course.id",
    ),
    (
        "course missing",
        lambda b: b["assignments"][0].pop("course"),
        "assignments[0].course",
    ),
    (
        "measure an int",
        lambda b: b["assignments"][1]["deadlinePeriod"].update(measure=2),
        "assignments[1].deadlinePeriod.measure",
    ),
    (
        "period value a string",
        lambda b: b["assignments"][1]["deadlinePeriod"].update(value="2"),
        "assignments[1].deadlinePeriod.value",
    ),
    (
        "deadlinePeriod a list",
        lambda b: b["assignments"][1].update(deadlinePeriod=["months", 2]),
        "assignments[1].deadlinePeriod",
    ),
    (
        "assignment not an object",
        lambda b: b["assignments"].append(7),
        "assignments[2]",
    ),
    (
        "assignedAt in milliseconds",
        lambda b: b["assignments"][0].update(assignedAt=1443183322000),
        "assignments[0].assignedAt",
    ),
    (
        "deadlineAt in milliseconds",
        lambda b: b["assignments"][0].update(deadlineAt=1444188932000),
        "assignments[0].deadlineAt",
    ),
    (
        "assignedAt negative",
        lambda b: b["assignments"][1].update(assignedAt=-1),
        "assignments[1].assignedAt",
    ),
    (
        "publishedAt negative",
        lambda b: b["assignments"][0]["course"].update(publishedAt=-5),
        "assignments[0].course.publishedAt",
    ),
    (
        "updatedAt beyond year 9999",
        lambda b: b["assignments"][1]["course"].update(updatedAt=253402300800),
        "assignments[1].course.updatedAt",
    ),
    (
        "deadlineAt beyond year 9999",
        lambda b: b["assignments"][0].update(deadlineAt=10**15),
        "assignments[0].deadlineAt",
    ),
    (
        "period ending beyond year 9999",
        lambda b: b["assignments"][1]["deadlinePeriod"].update(value=10**6),
        "assignments[1].deadlinePeriod",
    ),
]


@pytest.mark.parametrize(
    ("break_body", "path"),
    [pytest.param(fn, path, id=name) for name, fn, path in VALIDATION_CASES],
)
def test_wrong_shape_names_the_path(
    fetch_assignments: Fetch,
    example_body: dict[str, Any],
    break_body: Callable[[dict[str, Any]], Any],
    path: str,
) -> None:
    """A body of the wrong shape raises ResponseValidationError at its path."""
    break_body(example_body)

    with pytest.raises(konstantly.ResponseValidationError) as caught:
        fetch_assignments(example_body)

    assert caught.value.path == path
    assert path in str(caught.value)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"[]", "application/json", id="top-level array"),
        pytest.param(b'"assignments"', "application/json", id="top-level string"),
        pytest.param(b"null", "application/json", id="top-level null"),
        pytest.param(b"<html>Welcome</html>", "text/html", id="html"),
        pytest.param(b'{"assignments": [', "application/json", id="cut short"),
        pytest.param(b"", "application/json", id="empty"),
        pytest.param(b"\xff\xfe\x00", "application/json", id="not utf-8"),
    ],
)
def test_body_that_is_not_an_object_is_a_validation_error(
    httpserver: HTTPServer, make_client: MakeClient, body: bytes, content_type: str
) -> None:
    """A 200 whose body is not a JSON object raises ResponseValidationError."""
    httpserver.expect_request(PATH).respond_with_data(
        body, status=200, content_type=content_type
    )

    with pytest.raises(konstantly.ResponseValidationError):
        list_group_123(make_client())
