"""Tests of the fake Konstantly site itself, over real HTTP with plain httpx."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import konstantly
import konstantly.testing
import pytest
import yaml
from konstantly.testing import FakeKonstantly, FakeSiteError, Fault, serve
from konstantly_openapi.models import AssignmentList

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = "/groups/{group_id}/assignments"
# The sha256 of data/group-assignments-example.json as published with the API
# documentation; the bundled group-123.json must be that file, byte for byte.
DOCUMENTED_EXAMPLE_SHA256 = (
    "65331999a29358da6587e0224512d288e6eb19017d41e904d1b48b5294a54c9c"
)
SECRET_KEY = "kty-fake-secret-5e1d0c2b"
# Bodies a test may give as something other than bytes, and the bytes sent.
TEXT_AND_JSON_BODIES = [
    pytest.param("plain text", b"plain text", id="plain str"),
    pytest.param(
        '{"status":503,"message":"Сбой"}',
        '{"status":503,"message":"Сбой"}'.encode(),
        id="JSON str as UTF-8",
    ),
    pytest.param(
        {"status": 503, "message": "s"},
        b'{"status": 503, "message": "s"}',
        id="dict as JSON",
    ),
    pytest.param([1, "é"], '[1, "é"]'.encode(), id="list as JSON"),
]
BODY_TYPES = "bytes (sent as they are), a str (sent as UTF-8) or a dict or list"
# Every client shares one TLS context: loading the CA bundle for each new
# client would cost tens of milliseconds, though these tests speak plain HTTP.
TLS_CONTEXT = httpx.create_ssl_context()


def bundled_bytes(group_id: int) -> bytes:
    data = resources.files("konstantly.testing").joinpath("data")
    return data.joinpath(f"group-{group_id}.json").read_bytes()


def bundled_body(group_id: int) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(bundled_bytes(group_id))
    return body


def assignment(course_id: int) -> dict[str, Any]:
    return {
        "assignedAt": 1700000000 + course_id,
        "course": {
            "id": course_id,
            "name": f"Course {course_id}",
            "annotation": f"About course {course_id}",
            "isDraft": False,
            "createdAt": 1690000000,
            "updatedAt": 1690000100,
            "publishedAt": 1690000200,
        },
    }


def exchange_raw(site: FakeKonstantly, request: bytes) -> bytes:
    """Send raw request bytes and read the reply until the site closes."""
    host, port = urlsplit(site.base_url).hostname, urlsplit(site.base_url).port
    reply = bytearray()
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(request)
        while chunk := connection.recv(65536):
            reply.extend(chunk)
    return bytes(reply)


def nested_lists(depth: int) -> list[Any]:
    """A list inside a list ... `depth` lists deep, innermost empty."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def course_ids(response: httpx.Response) -> list[int]:
    return [item["course"]["id"] for item in response.json()["assignments"]]


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as running:
        yield running


@pytest.fixture
def empty_site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly(bundled=False) as running:
        yield running


def make_http(site: FakeKonstantly, **options: Any) -> httpx.Client:
    headers = {"X-API-KEY": site.api_key}
    return httpx.Client(
        base_url=site.base_url, headers=headers, verify=TLS_CONTEXT, **options
    )


@pytest.fixture
def http(site: FakeKonstantly) -> Iterator[httpx.Client]:
    with make_http(site) as client:
        yield client


@pytest.fixture
def empty_http(empty_site: FakeKonstantly) -> Iterator[httpx.Client]:
    with make_http(empty_site) as client:
        yield client


class TestDocumentedEndpoint:
    def test_bundled_group_123_is_the_documented_example_file(self) -> None:
        digest = hashlib.sha256(bundled_bytes(123)).hexdigest()

        assert digest == DOCUMENTED_EXAMPLE_SHA256

    def test_group_123_is_served_byte_for_byte_as_json(
        self, http: httpx.Client
    ) -> None:
        response = http.get("/groups/123/assignments")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-length"] == "832"
        assert response.content == bundled_bytes(123)

    def test_group_123_equals_the_example_in_the_spec(self, http: httpx.Client) -> None:
        spec = yaml.safe_load((REPO / "openapi" / "konstantly.yaml").read_text())
        operation = spec["paths"]["/groups/{groupId}/assignments"]["get"]
        content = operation["responses"]["200"]["content"]["application/json"]

        response = http.get("/groups/123/assignments")

        assert response.json() == content["examples"]["documented"]["value"]

    @pytest.mark.parametrize("headers", [{}, {"X-API-KEY": "wrong-key"}])
    def test_missing_or_wrong_key_gets_401(
        self, site: FakeKonstantly, headers: dict[str, str]
    ) -> None:
        url = f"{site.base_url}/groups/123/assignments"

        response = httpx.get(url, headers=headers)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"status": 401, "message": "Invalid API key"}

    def test_unknown_group_gets_the_documented_404(self, http: httpx.Client) -> None:
        response = http.get("/groups/999/assignments")

        assert response.status_code == 404
        assert response.content == b'{"status": 404, "message": "Group not found"}'

    @pytest.mark.parametrize(
        "group_id",
        ["abc", "0", "-1", "1.5", "%201", "9223372036854775808", "9" * 5000],
    )
    def test_group_id_that_is_not_a_positive_integer_gets_400(
        self, http: httpx.Client, group_id: str
    ) -> None:
        response = http.get(f"/groups/{group_id}/assignments")

        assert response.status_code == 400
        assert response.json() == {
            "status": 400,
            "message": "Validation failed",
            "errors": {"groupId": ["Must be a positive integer."]},
        }

    @pytest.mark.parametrize(
        "query",
        [
            "offset=-1",
            "offset=abc",
            "offset=",
            "offset=1.0",
            "offset=1&offset=2",
            "offset=9223372036854775808",
            # More digits than int() converts: once a dropped connection.
            f"offset={'9' * 5000}",
        ],
    )
    def test_offset_that_is_not_a_non_negative_integer_gets_400(
        self, http: httpx.Client, query: str
    ) -> None:
        response = http.get(f"/groups/123/assignments?{query}")

        assert response.status_code == 400
        assert response.json() == {
            "status": 400,
            "message": "Validation failed",
            "errors": {"offset": ["Must be a non-negative integer."]},
        }

    @pytest.mark.parametrize(
        "path", ["/groups", "/groups/123", "/groups/123/assignments/", "/courses"]
    )
    def test_unknown_path_gets_404(self, http: httpx.Client, path: str) -> None:
        response = http.get(path)

        assert response.status_code == 404
        assert response.json() == {"status": 404, "message": "Not found"}

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def test_other_methods_get_405_allowing_get(
        self, http: httpx.Client, method: str
    ) -> None:
        response = http.request(method, "/groups/123/assignments", content=b"{}")

        assert response.status_code == 405
        assert response.headers["allow"] == "GET"
        assert response.json() == {"status": 405, "message": "Method not allowed"}

    def test_head_gets_405_without_a_body(self, http: httpx.Client) -> None:
        response = http.head("/groups/123/assignments")

        assert response.status_code == 405
        assert response.content == b""

    def test_connection_is_reused_between_requests(self, http: httpx.Client) -> None:
        first = http.get("/groups/123/assignments")
        second = http.post("/groups/123/assignments", content=b'{"a": 1}')
        third = http.get("/groups/123/assignments")

        assert [first.status_code, second.status_code, third.status_code] == [
            200,
            405,
            200,
        ]
        assert first.extensions["network_stream"] is third.extensions["network_stream"]

    def test_request_body_of_absurd_length_gets_an_answer_and_a_close(
        self, site: FakeKonstantly
    ) -> None:
        request = (
            "POST /openapi/v1/groups/123/assignments HTTP/1.1\r\n"
            f"Host: x\r\nContent-Length: {'9' * 5000}\r\n\r\n"
        )

        reply = exchange_raw(site, request.encode())

        assert reply.startswith(b"HTTP/1.1 405 ")
        assert b"\r\nConnection: close\r\n" in reply

    def test_server_header_names_the_site_and_version(
        self, site: FakeKonstantly
    ) -> None:
        request = (
            "GET /openapi/v1/groups/123/assignments HTTP/1.1\r\n"
            f"Host: x\r\nX-API-KEY: {site.api_key}\r\nConnection: close\r\n\r\n"
        )

        reply = exchange_raw(site, request.encode())

        server_line = f"\r\nServer: FakeKonstantly/{konstantly.__version__}\r\n"
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
        assert server_line.encode() in reply

    def test_non_ascii_names_are_sent_as_utf8(self, http: httpx.Client) -> None:
        response = http.get("/groups/202/assignments")

        assert "Основы информационной безопасности".encode() in response.content
        assert "新入社員研修".encode() in response.content
        assert b"\\u" not in response.content


class TestPagination:
    def test_offset_returns_each_page_with_the_full_total(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        empty_site.add_group(7, [assignment(n) for n in range(1, 6)], page_size=2)

        pages = [
            empty_http.get(f"/groups/7/assignments?offset={offset}")
            for offset in (0, 2, 4, 6)
        ]

        assert [course_ids(page) for page in pages] == [[1, 2], [3, 4], [5], []]
        assert {page.json()["totalCount"] for page in pages} == {5}

    def test_without_page_size_offset_returns_the_rest(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        empty_site.add_group(7, [assignment(n) for n in range(1, 6)])

        response = empty_http.get("/groups/7/assignments", params={"offset": 3})

        assert course_ids(response) == [4, 5]
        assert response.json()["totalCount"] == 5

    def test_ignore_offset_always_returns_the_first_page(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        empty_site.add_group(
            7, [assignment(n) for n in range(1, 6)], page_size=2, ignore_offset=True
        )

        response = empty_http.get("/groups/7/assignments", params={"offset": 2})

        assert course_ids(response) == [1, 2]
        assert response.json()["totalCount"] == 5

    def test_total_count_override_announces_more_than_there_is(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        empty_site.add_group(7, [assignment(1), assignment(2)], total_count=5)

        first = empty_http.get("/groups/7/assignments")
        rest = empty_http.get("/groups/7/assignments", params={"offset": 2})

        assert (course_ids(first), first.json()["totalCount"]) == ([1, 2], 5)
        assert (course_ids(rest), rest.json()["totalCount"]) == ([], 5)

    def test_bundled_group_203_comes_in_pages_of_20(self, http: httpx.Client) -> None:
        first = http.get("/groups/203/assignments")
        second = http.get("/groups/203/assignments", params={"offset": 20})

        assert course_ids(first) == list(range(401, 421))
        assert course_ids(second) == list(range(421, 426))
        assert first.json()["totalCount"] == second.json()["totalCount"] == 25

    def test_add_group_replaces_the_group_and_keeps_a_copy(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        assignments = [assignment(1)]
        site.add_group(123, assignments)
        assignments.append(assignment(2))
        assignments[0]["course"]["name"] = "Changed afterwards"

        response = http.get("/groups/123/assignments")

        assert response.json()["assignments"] == [assignment(1)]
        assert response.json()["totalCount"] == 1

    def test_empty_group_is_served_with_total_count_zero(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        empty_site.add_group(7, [])

        response = empty_http.get("/groups/7/assignments")

        assert response.json() == {"assignments": [], "totalCount": 0}

    def test_unbundled_site_starts_without_groups(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        response = empty_http.get("/groups/123/assignments")

        assert empty_site.group_ids == ()
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("group_id", "options", "problem"),
        [
            (0, {}, "Group ids are positive 64-bit integers, not 0."),
            (-3, {}, "Group ids are positive 64-bit integers, not -3."),
            (True, {}, "Group ids are positive 64-bit integers, not True."),
            ("7", {}, "Group ids are positive 64-bit integers, not '7'."),
            (2**63, {}, f"Group ids are positive 64-bit integers, not {2**63}."),
            (7, {"total_count": -1}, "total_count must be an integer of 0 or more"),
            (7, {"total_count": 1.5}, "total_count must be an integer of 0 or more"),
            (7, {"page_size": 0}, "page_size must be an integer of 1 or more"),
            (7, {"page_size": True}, "page_size must be an integer of 1 or more"),
        ],
    )
    def test_add_group_refuses_values_out_of_range(
        self,
        empty_site: FakeKonstantly,
        group_id: Any,
        options: dict[str, Any],
        problem: str,
    ) -> None:
        with pytest.raises(FakeSiteError, match=re.escape(problem)):
            empty_site.add_group(group_id, [], **options)

        assert empty_site.group_ids == ()

    @pytest.mark.parametrize(
        ("assignments", "problem"),
        [
            ("x", "The assignments of group 5 are a list of dicts, not str 'x'."),
            (None, "The assignments of group 5 are a list of dicts, not NoneType"),
            (
                {"course": {}},
                "The assignments of group 5 are a list of dicts, not dict "
                "{'course': {}}.",
            ),
            (["x"], "Assignment 0 of group 5 is a dict, not str 'x'."),
            ([{}, 3], "Assignment 1 of group 5 is a dict, not int 3."),
        ],
    )
    def test_add_group_refuses_assignments_that_are_not_a_list_of_dicts(
        self, empty_site: FakeKonstantly, assignments: Any, problem: str
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            empty_site.add_group(5, assignments)

        assert str(caught.value).startswith(problem)
        assert empty_site.group_ids == ()

    @pytest.mark.parametrize(
        "assignments",
        [[{"assignedAt": object()}], [{"course": {"tags": {1, 2}}}]],
    )
    def test_add_group_refuses_assignments_that_are_not_json(
        self, empty_site: FakeKonstantly, assignments: Any
    ) -> None:
        with pytest.raises(FakeSiteError, match="group 7 are not JSON: "):
            empty_site.add_group(7, assignments)

    def test_add_group_serves_odd_assignments_as_they_are(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        odd: tuple[dict[str, Any], ...] = (
            {"course": "not an object", "assignedAt": None},
            {},
        )
        empty_site.add_group(5, odd)

        response = empty_http.get("/groups/5/assignments")

        assert response.status_code == 200
        assert response.json() == {
            "assignments": [{"course": "not an object", "assignedAt": None}, {}],
            "totalCount": 2,
        }


class TestRawResponses:
    def test_raw_response_is_served_byte_for_byte(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        body = b"<html><body>Bad gateway</body></html>"
        site.set_raw_response(123, 502, body, headers={"Content-Type": "text/html"})

        response = http.get("/groups/123/assignments", params={"offset": 5})

        assert response.status_code == 502
        assert response.headers["content-type"] == "text/html"
        assert response.content == body

    def test_raw_response_defaults_to_json_content_type(
        self, empty_site: FakeKonstantly, empty_http: httpx.Client
    ) -> None:
        empty_site.set_raw_response(9, 200, b'{"assignments": "nope"')

        response = empty_http.get("/groups/9/assignments")

        assert response.headers["content-type"] == "application/json"
        assert response.content == b'{"assignments": "nope"'
        assert empty_site.group_ids == (9,)

    def test_raw_response_still_needs_the_key(self, site: FakeKonstantly) -> None:
        site.set_raw_response(123, 200, b"[]")

        response = httpx.get(f"{site.base_url}/groups/123/assignments")

        assert response.status_code == 401

    @pytest.mark.parametrize(("body", "sent"), TEXT_AND_JSON_BODIES)
    def test_raw_response_body_may_be_a_str_dict_or_list(
        self,
        empty_site: FakeKonstantly,
        empty_http: httpx.Client,
        body: Any,
        sent: bytes,
    ) -> None:
        empty_site.set_raw_response(9, 503, body)

        response = empty_http.get("/groups/9/assignments")

        assert response.status_code == 503
        assert response.headers["content-length"] == str(len(sent))
        assert response.content == sent

    @pytest.mark.parametrize(
        ("body", "shown"),
        [
            (42, "int 42"),
            (None, "NoneType None"),
            (bytearray(b"x"), "bytearray bytearray(b'x')"),
            (("a",), "tuple ('a',)"),
        ],
    )
    def test_raw_response_refuses_other_body_types(
        self, empty_site: FakeKonstantly, body: Any, shown: str
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            empty_site.set_raw_response(9, 200, body)

        assert str(caught.value) == (
            f"A raw response's body must be {BODY_TYPES} (sent as JSON), not {shown}."
        )
        assert empty_site.group_ids == ()

    @pytest.mark.parametrize(
        ("status", "problem"),
        [
            (99, "A raw response's status must be an integer from 100 to 599, not 99."),
            ("200", "must be an integer from 100 to 599, not '200'."),
        ],
    )
    def test_raw_response_refuses_a_bad_status(
        self, empty_site: FakeKonstantly, status: Any, problem: str
    ) -> None:
        with pytest.raises(FakeSiteError, match=re.escape(problem)):
            empty_site.set_raw_response(9, status, b"")

    def test_add_group_replaces_a_raw_response(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.set_raw_response(7, 500, b"")
        site.add_group(7, [assignment(1)])

        response = http.get("/groups/7/assignments")

        assert response.status_code == 200
        assert course_ids(response) == [1]


class TestFaults:
    def test_status_fault_sends_its_status_body_and_retry_after(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        headers = {"X-RateLimit-Limit": "100"}
        site.inject(Fault.status(429, retry_after="2", headers=headers))

        response = http.get("/groups/123/assignments")

        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"
        assert response.headers["x-ratelimit-limit"] == "100"
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"status": 429, "message": "Too Many Requests"}

    def test_status_fault_with_custom_body_and_content_type(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.status(503, b"<h1>Down</h1>", content_type="text/html"))

        response = http.get("/groups/123/assignments")

        assert response.status_code == 503
        assert response.headers["content-type"] == "text/html"
        assert "retry-after" not in response.headers
        assert response.content == b"<h1>Down</h1>"

    @pytest.mark.parametrize(("body", "sent"), TEXT_AND_JSON_BODIES)
    def test_status_fault_body_may_be_a_str_dict_or_list(
        self, site: FakeKonstantly, http: httpx.Client, body: Any, sent: bytes
    ) -> None:
        site.inject(Fault.status(503, body=body))

        response = http.get("/groups/123/assignments")

        assert response.status_code == 503
        assert response.headers["content-length"] == str(len(sent))
        assert response.content == sent

    def test_status_fault_with_a_str_body_reaches_a_client_as_a_503(
        self, site: FakeKonstantly
    ) -> None:
        site.inject(Fault.status(503, body='{"status":503,"message":"s"}'))
        client = konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url, max_retries=0
        )

        with client, pytest.raises(konstantly.InternalServerError) as caught:
            client.groups.list_assignments(123)

        assert (caught.value.status_code, caught.value.message) == (503, "s")

    def test_status_fault_takes_an_http_status_member(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.status(HTTPStatus.SERVICE_UNAVAILABLE))

        response = http.get("/groups/123/assignments")

        assert response.status_code == 503
        assert response.json() == {"status": 503, "message": "Service Unavailable"}

    @pytest.mark.parametrize(
        ("body", "problem"),
        [
            (
                42,
                f"A status fault's body must be {BODY_TYPES} (sent as JSON), "
                "not int 42.",
            ),
            ({"when": object()}, "A status fault's body cannot be encoded as JSON: "),
            ([float("nan"), {1j}], "A status fault's body cannot be encoded as JSON: "),
            ("\ud800", "A status fault's body cannot be encoded as UTF-8: "),
        ],
    )
    def test_status_fault_refuses_bodies_it_cannot_send(
        self, body: Any, problem: str
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            Fault.status(503, body=body)

        assert str(caught.value).startswith(problem)

    def test_fault_built_directly_refuses_a_body_that_is_not_bytes(self) -> None:
        with pytest.raises(FakeSiteError) as caught:
            Fault(kind="status", status_code=503, body="down")  # type: ignore[arg-type]

        assert str(caught.value) == (
            "A fault's body is bytes, not str 'down'; Fault.status() also takes a "
            "str or a dict or list."
        )

    def test_fault_built_directly_refuses_an_unknown_kind(self) -> None:
        with pytest.raises(FakeSiteError, match="not 'hang'; build faults with"):
            Fault(kind="hang")  # type: ignore[arg-type]

    def test_faults_apply_in_order_then_normal_answers_resume(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.status(503), times=2)
        site.inject(Fault.status(500))

        statuses = [http.get("/groups/123/assignments").status_code for _ in range(4)]

        assert statuses == [503, 503, 500, 200]

    def test_faults_wait_for_an_assignments_request(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.status(503))

        other_path = http.get("/courses")
        other_method = http.post("/groups/123/assignments")
        assignments = http.get("/groups/999/assignments")

        assert (other_path.status_code, other_method.status_code) == (404, 405)
        assert assignments.status_code == 503

    def test_drop_closes_the_connection_without_a_response(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.drop())

        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            http.get("/groups/123/assignments")
        assert http.get("/groups/123/assignments").status_code == 200

    def test_truncate_sends_half_the_body_under_the_full_length(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.truncate())

        with pytest.raises(httpx.RemoteProtocolError) as caught:
            http.get("/groups/123/assignments")

        assert "received 416 bytes, expected 832" in str(caught.value)

    def test_truncate_keeps_the_bytes_asked_for(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.truncate(keep=10))
        received = bytearray()

        def read_raw_body() -> None:
            with http.stream("GET", "/groups/123/assignments") as response:
                for chunk in response.iter_raw():
                    received.extend(chunk)

        with pytest.raises(httpx.RemoteProtocolError):
            read_raw_body()
        assert bytes(received) == bundled_bytes(123)[:10]

    def test_trickle_is_slow_but_complete(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.trickle(interval=0.02, chunk=100))
        started = time.monotonic()

        response = http.get("/groups/123/assignments")

        # 832 bytes in chunks of 100 is 9 pauses of 0.02 seconds.
        assert time.monotonic() - started >= 0.18
        assert response.content == bundled_bytes(123)

    def test_trickle_sends_headers_before_the_body(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        # 832 bytes in two chunks: the pause falls between them, after the
        # headers, so they arrive before it ends and the body only after.
        interval = 0.3
        site.inject(Fault.trickle(interval=interval, chunk=416))
        started = time.monotonic()

        with http.stream("GET", "/groups/123/assignments") as response:
            headers_after = time.monotonic() - started
            body = response.read()
        body_after = time.monotonic() - started

        assert headers_after < interval <= body_after
        assert body == bundled_bytes(123)

    def test_delay_waits_then_answers_normally(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.delay(0.15))
        started = time.monotonic()

        response = http.get("/groups/123/assignments")

        assert time.monotonic() - started >= 0.15
        assert response.content == bundled_bytes(123)

    def test_delay_longer_than_the_timeout_times_the_client_out(
        self, site: FakeKonstantly
    ) -> None:
        site.inject(Fault.delay(0.5))

        with make_http(site, timeout=0.1) as http, pytest.raises(httpx.ReadTimeout):
            http.get("/groups/123/assignments")

    def test_redirect_sends_location_and_an_empty_body(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.redirect("https://example.test/login", status=307))

        response = http.get("/groups/123/assignments")

        assert response.status_code == 307
        assert response.headers["location"] == "https://example.test/login"
        assert response.content == b""

    @pytest.mark.parametrize(
        ("build", "problem"),
        [
            (
                lambda: Fault.status(99),
                "A status fault's code must be an integer from 100 to 599, not 99.",
            ),
            (lambda: Fault.status(600), "from 100 to 599, not 600."),
            (
                lambda: Fault.status("503"),  # type: ignore[arg-type]
                "from 100 to 599, not '503'.",
            ),
            (
                lambda: Fault.delay(-1),
                "A delay must be a number of seconds of 0 or more, not -1.",
            ),
            (lambda: Fault.delay(float("nan")), "of 0 or more, not nan."),
            (
                lambda: Fault.delay("1"),  # type: ignore[arg-type]
                "of 0 or more, not '1'.",
            ),
            (
                lambda: Fault.delay(float("inf")),
                f"A delay must be at most {threading.TIMEOUT_MAX:.0f} seconds, the "
                "longest a thread can wait, not inf.",
            ),
            (
                lambda: Fault.truncate(keep=-1),
                "A truncate fault's keep must be an integer of 0 or more, not -1.",
            ),
            (
                lambda: Fault.truncate(keep=2.5),  # type: ignore[arg-type]
                "of 0 or more, not 2.5.",
            ),
            (
                lambda: Fault.trickle(0),
                "A trickle interval must be a number of seconds above 0, not 0.",
            ),
            (lambda: Fault.trickle(interval=-0.1), "above 0, not -0.1."),
            (lambda: Fault.trickle(float("nan")), "above 0, not nan."),
            (
                lambda: Fault.trickle(chunk=0),
                "A trickle fault's chunk must be an integer of 1 or more, not 0.",
            ),
            (lambda: Fault.trickle(chunk=True), "of 1 or more, not True."),
            (
                lambda: Fault.redirect("/elsewhere", status=200),
                "A redirect fault's status must be an integer from 300 to 399, "
                "not 200.",
            ),
        ],
    )
    def test_fault_constructors_refuse_bad_arguments(
        self, build: Any, problem: str
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            build()

        assert str(caught.value).endswith(problem)

    @pytest.mark.parametrize(
        ("times", "problem"),
        [
            (0, "A fault's times must be an integer of 1 or more, not 0."),
            (-2, "A fault's times must be an integer of 1 or more, not -2."),
            (True, "A fault's times must be an integer of 1 or more, not True."),
            (1.0, "A fault's times must be an integer of 1 or more, not 1.0."),
        ],
    )
    def test_inject_refuses_times_that_are_not_a_positive_int(
        self, site: FakeKonstantly, http: httpx.Client, times: Any, problem: str
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            site.inject(Fault.drop(), times=times)

        assert str(caught.value) == problem
        assert http.get("/groups/123/assignments").status_code == 200

    @pytest.mark.parametrize(
        ("fault", "shown"),
        [("x", "str 'x'"), (Fault.drop, "method <bound method")],
    )
    def test_inject_refuses_what_is_not_a_fault(
        self, site: FakeKonstantly, http: httpx.Client, fault: Any, shown: str
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            site.inject(fault)

        assert str(caught.value).startswith(
            "inject() takes a Fault, such as Fault.status(503) or Fault.drop(), "
            f"not {shown}"
        )
        assert http.get("/groups/123/assignments").status_code == 200


class TestRecording:
    def test_requests_are_recorded_as_they_arrived(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        http.get("/groups/123/assignments", params={"offset": "0"})
        http.post("/courses", headers={"X-Custom": "a"})

        first, second = site.requests

        assert (first.method, first.path, first.query) == (
            "GET",
            "/openapi/v1/groups/123/assignments",
            {"offset": ["0"]},
        )
        assert first.headers["x-api-key"] == "test-key"
        assert first.headers["host"] == site.base_url.split("/")[2]
        assert (second.method, second.path, second.headers["x-custom"]) == (
            "POST",
            "/openapi/v1/courses",
            "a",
        )
        assert first.received_at <= second.received_at

    def test_faulty_and_rejected_requests_are_recorded_too(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.inject(Fault.drop())

        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/groups/123/assignments")
        http.get("/groups/abc/assignments")

        assert [request.path for request in site.requests] == [
            "/openapi/v1/groups/123/assignments",
            "/openapi/v1/groups/abc/assignments",
        ]

    def test_clear_requests_forgets_them(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        http.get("/groups/123/assignments")

        site.clear_requests()
        http.get("/groups/200/assignments")

        assert [request.path for request in site.requests] == [
            "/openapi/v1/groups/200/assignments"
        ]

    def test_recorded_request_repr_hides_the_key(self) -> None:
        with FakeKonstantly(api_key=SECRET_KEY) as site, make_http(site) as http:
            http.get("/groups/123/assignments")
            request = site.requests[0]

        assert request.headers["x-api-key"] == SECRET_KEY
        assert SECRET_KEY not in repr(request)
        assert "'x-api-key': '<redacted>'" in repr(request)

    def test_requests_from_many_threads_are_all_recorded(
        self, site: FakeKonstantly
    ) -> None:
        def fetch() -> None:
            with make_http(site) as http:
                for _ in range(5):
                    http.get("/groups/123/assignments")

        threads = [threading.Thread(target=fetch) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(site.requests) == 20


class TestLatencyAndLifecycle:
    def test_latency_is_added_to_every_request(
        self, site: FakeKonstantly, http: httpx.Client
    ) -> None:
        site.latency = 0.1
        started = time.monotonic()

        found = http.get("/groups/123/assignments")
        not_found = http.get("/nowhere")

        assert time.monotonic() - started >= 0.2
        assert (found.status_code, not_found.status_code) == (200, 404)

    @pytest.mark.parametrize("latency", [-0.5, float("nan"), "0.1", None])
    def test_latency_that_is_not_a_number_of_0_or_more_is_refused(
        self, site: FakeKonstantly, latency: Any
    ) -> None:
        with pytest.raises(FakeSiteError) as caught:
            site.latency = latency

        assert str(caught.value) == (
            f"The latency must be a number of seconds of 0 or more, not {latency!r}."
        )
        assert site.latency == 0.0

    def test_latency_given_to_the_constructor_is_checked_too(self) -> None:
        with pytest.raises(FakeSiteError, match="0 or more, not -1"):
            FakeKonstantly(latency=-1)

    def test_base_url_names_the_loopback_port(self, site: FakeKonstantly) -> None:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/openapi/v1", site.base_url)
        assert repr(site) == f"<FakeKonstantly {site.base_url}>"

    def test_stopped_site_has_no_base_url_and_refuses_connections(self) -> None:
        site = FakeKonstantly()
        site.start()
        url = f"{site.base_url}/groups/123/assignments"

        site.stop()
        site.stop()

        with pytest.raises(FakeSiteError, match="not running"):
            _ = site.base_url
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)
        assert repr(site) == "<FakeKonstantly not running>"

    def test_starting_twice_is_refused(self, site: FakeKonstantly) -> None:
        with pytest.raises(FakeSiteError, match="already running"):
            site.start()

    def test_stopped_site_can_start_again(self) -> None:
        site = FakeKonstantly()
        with site:
            pass

        with site, make_http(site) as http:
            response = http.get("/groups/123/assignments")

        assert response.status_code == 200

    def test_stop_is_prompt_with_a_trickle_in_flight(self) -> None:
        outcome: list[BaseException | httpx.Response] = []
        site = FakeKonstantly()
        site.start()
        site.inject(Fault.trickle(interval=1.0, chunk=1))

        def fetch() -> None:
            with make_http(site) as http:
                try:
                    outcome.append(http.get("/groups/123/assignments"))
                except httpx.HTTPError as error:
                    outcome.append(error)

        thread = threading.Thread(target=fetch)
        thread.start()
        while not site.requests:
            time.sleep(0.005)
        started = time.monotonic()
        site.stop()
        stopped_after = time.monotonic() - started
        thread.join(5)

        assert stopped_after < 0.5
        assert isinstance(outcome[0], httpx.RemoteProtocolError)

    def test_stop_ends_idle_keep_alive_connections(self) -> None:
        site = FakeKonstantly()
        site.start()
        with make_http(site) as http:
            http.get("/groups/123/assignments")
            site.stop()

            with pytest.raises(httpx.TransportError):
                http.get("/groups/123/assignments")

    @pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", ""])
    def test_non_loopback_hosts_are_refused(self, host: str) -> None:
        with pytest.raises(FakeSiteError, match="loopback only"):
            FakeKonstantly(host=host)

    @pytest.mark.parametrize("api_key", ["", None, b"key"])
    def test_api_key_that_is_not_a_non_empty_str_is_refused(self, api_key: Any) -> None:
        with pytest.raises(FakeSiteError) as caught:
            FakeKonstantly(api_key=api_key)

        assert str(caught.value) == (
            f"The fake site needs a non-empty str as api_key, not {api_key!r}."
        )

    @pytest.mark.parametrize("port", [-1, 65536, "8080", True])
    def test_port_that_is_not_a_port_number_is_refused(self, port: Any) -> None:
        with pytest.raises(FakeSiteError) as caught:
            FakeKonstantly(port=port)

        assert str(caught.value) == (
            f"Ports run from 0 (any free port) to 65535, not {port!r}."
        )

    def test_site_listens_on_ipv6_loopback(self) -> None:
        site = FakeKonstantly(host="::1")
        site.start()
        try:
            with make_http(site) as http:
                response = http.get("/groups/123/assignments")
            base_url = site.base_url
        finally:
            site.stop()

        assert base_url.startswith("http://[::1]:")
        assert response.status_code == 200


class TestLogging:
    def test_logs_hold_neither_the_key_nor_the_query(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="konstantly.testing")

        with FakeKonstantly(api_key=SECRET_KEY) as site, make_http(site) as http:
            http.get("/groups/123/assignments", params={"offset": "31337"})
            http.get("/groups/123/assignments", headers={"X-API-KEY": "guess"})
        # The handler thread logs after sending; the site has stopped by now.

        messages = [record.getMessage() for record in caplog.records]
        assert "GET /openapi/v1/groups/123/assignments -> 200" in messages
        assert "GET /openapi/v1/groups/123/assignments -> 401" in messages
        assert not [text for text in messages if SECRET_KEY in text]
        assert not [text for text in messages if "31337" in text or "guess" in text]


class TestBundledData:
    @pytest.mark.parametrize("group_id", [123, 200, 201, 202, 203])
    def test_bundled_group_is_a_valid_assignment_list(self, group_id: int) -> None:
        body = bundled_body(group_id)

        parsed = AssignmentList.from_dict(body)

        assert parsed.total_count == len(body["assignments"])
        assert parsed.to_dict()["assignments"][0]["course"]["id"] > 0

    def test_default_site_serves_the_bundled_groups(self, site: FakeKonstantly) -> None:
        assert site.group_ids == (123, 200, 201, 202, 203)

    def test_group_200_has_only_absolute_deadlines(self) -> None:
        assignments = bundled_body(200)["assignments"]

        assert all(item["deadlineAt"] > 0 for item in assignments)
        assert any("deadlinePeriod" in item for item in assignments)

    def test_group_201_has_every_measure_and_the_month_end_case(self) -> None:
        assignments = bundled_body(201)["assignments"]
        periods = {
            (item["deadlinePeriod"]["measure"], item["deadlinePeriod"]["value"])
            for item in assignments
        }
        jan_31 = [item for item in assignments if item["assignedAt"] == 1738324800]

        assert periods >= {("hours", 48), ("days", 7), ("weeks", 6), ("months", 3)}
        assert jan_31[0]["deadlinePeriod"] == {"measure": "months", "value": 1}
        assert any(item.get("deadlineAt") == 0 for item in assignments)

    def test_group_202_covers_the_edge_cases(self) -> None:
        assignments = bundled_body(202)["assignments"]
        by_name = {item["course"]["name"]: item for item in assignments}
        names = "".join(by_name)

        assert by_name["Time Management Workshop"]["deadlinePeriod"] is None
        assert by_name["Business English Writing"].keys() == {"assignedAt", "course"}
        assert by_name["Presentation Skills"]["deadlineAt"] == 0
        assert by_name["Annual Ethics Certification"]["deadlinePeriod"] == {
            "measure": "years",
            "value": 1,
        }
        draft = by_name["Advanced Negotiation Tactics"]["course"]
        assert (draft["isDraft"], draft["publishedAt"]) == (True, 0)
        assert re.search("[\u0430-\u044f]", names)
        assert re.search("[\u3040-\u30ff\u4e00-\u9fff]", names)
        assert "è" in names
        assert any(name.startswith("=") for name in by_name)

    def test_data_ships_inside_the_package(self) -> None:
        data = REPO / "facade" / "konstantly" / "testing" / "data"

        assert sorted(path.name for path in data.iterdir()) == [
            "group-123.json",
            "group-200.json",
            "group-201.json",
            "group-202.json",
            "group-203.json",
        ]


def start_serve(
    *arguments: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Run serve(...) in a child process and read its first line."""
    code = f"from konstantly.testing import serve; serve({', '.join(arguments)})"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 10)
    if not ready:
        process.kill()
        raise AssertionError("serve() printed nothing within 10 seconds.")
    return process, process.stdout.readline()


def stop_serve(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> str:
    """Signal a serve() child to stop; return the rest of its stdout."""
    process.send_signal(signum)
    try:
        returncode = process.wait(timeout=5)
    finally:
        process.kill()
    assert process.stdout is not None
    assert process.stderr is not None
    # Read the pipes themselves: communicate() would skip what readline()
    # has buffered already.
    with process.stdout, process.stderr:
        stdout, stderr = process.stdout.read(), process.stderr.read()
    assert (returncode, stderr) == (0, "")
    return stdout


def base_url_of(line: str) -> str:
    match = re.fullmatch(
        r"Fake Konstantly site at (http://127\.0\.0\.1:\d+/openapi/v1)\n", line
    )
    assert match is not None, line
    return match[1]


class TestServe:
    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
    def test_serve_prints_its_url_first_and_stops_on_a_signal(
        self, signum: int
    ) -> None:
        process, line = start_serve()
        try:
            base_url = base_url_of(line)
            response = httpx.get(
                f"{base_url}/groups/123/assignments",
                headers={"X-API-KEY": "test-key"},
            )
        finally:
            rest = stop_serve(process, signum)

        assert response.content == bundled_bytes(123)
        assert rest == "Groups: 123, 200, 201, 202, 203\nPress Ctrl+C to stop.\n"

    def test_serve_takes_the_key_from_the_environment(self) -> None:
        process, line = start_serve(env={"KONSTANTLY_API_KEY": SECRET_KEY})
        try:
            url = f"{base_url_of(line)}/groups/123/assignments"
            default_key = httpx.get(url, headers={"X-API-KEY": "test-key"})
            env_key = httpx.get(url, headers={"X-API-KEY": SECRET_KEY})
        finally:
            rest = stop_serve(process)

        assert (default_key.status_code, env_key.status_code) == (401, 200)
        assert SECRET_KEY not in line + rest

    def test_serve_serves_a_single_body_as_group_123(self, tmp_path: Path) -> None:
        data = tmp_path / "body.json"
        data.write_bytes(b'{"assignments": [], "totalCount": 0, "extra": true}')

        process, line = start_serve(f"data={str(data)!r}", "api_key='k'")
        try:
            url = f"{base_url_of(line)}/groups/{{}}/assignments"
            group_123 = httpx.get(url.format(123), headers={"X-API-KEY": "k"})
            group_200 = httpx.get(url.format(200), headers={"X-API-KEY": "k"})
        finally:
            stop_serve(process)

        assert group_123.content == data.read_bytes()
        assert group_200.status_code == 404

    def test_serve_serves_a_mapping_of_groups(self, tmp_path: Path) -> None:
        bodies = {
            "7": {"assignments": [assignment(1)], "totalCount": 1},
            "8": {"assignments": [assignment(2)], "totalCount": 4},
        }
        data = tmp_path / "groups.json"
        data.write_text(json.dumps(bodies))

        process, line = start_serve(f"data={str(data)!r}")
        try:
            url = f"{base_url_of(line)}/groups/{{}}/assignments"
            headers = {"X-API-KEY": "test-key"}
            responses = [httpx.get(url.format(n), headers=headers) for n in (7, 8, 123)]
        finally:
            stop_serve(process)

        assert responses[0].json() == bodies["7"]
        assert responses[1].json() == bodies["8"]
        assert responses[2].status_code == 404

    def test_serve_refuses_a_non_loopback_host(self) -> None:
        problem = "'0.0.0.0' is not a loopback address"

        with pytest.raises(FakeSiteError, match=re.escape(problem)):
            serve(host="0.0.0.0")

    def test_serve_refuses_a_bad_port(self) -> None:
        with pytest.raises(FakeSiteError, match="to 65535, not 70000"):
            serve(port=70000)

    def test_serve_reports_a_port_in_use(self, site: FakeKonstantly) -> None:
        port = int(site.base_url.split(":")[2].split("/")[0])

        problem = f"cannot listen on '127.0.0.1' port {port}: "

        with pytest.raises(FakeSiteError, match=re.escape(problem)):
            FakeKonstantly(port=port).start()

    @pytest.mark.parametrize(
        ("content", "problem"),
        [
            (b"{not json", "is not valid JSON: Expecting property name"),
            (b"\xff\xfe\x00", "is not UTF-8 text: the byte 0xff at offset 0"),
            (
                '{"assignments": [{"name": "Café"}], "totalCount": 1}'.encode(
                    "latin-1"
                ),
                "is not UTF-8 text: the byte 0xe9 at offset 30 cannot start or "
                "continue a character. Save it as UTF-8",
            ),
            (b"[" * 100_000, "nests arrays or objects more than 100 levels deep"),
            (b"[]", "holds neither an AssignmentList body"),
            (b"{}", "is an empty object, which would serve no group at all"),
            (
                b'{"7": {"assignments": [], "totalCount": 0}, "7": {}}',
                "has the name '7' twice in one object",
            ),
            (
                b'{"assignments": [{"a": 1, "a": 2}], "totalCount": 1}',
                "has the name 'a' twice in one object",
            ),
            (b'{"assignments": {}, "totalCount": 0}', 'has no "assignments" array'),
            (b'{"assignments": [1], "totalCount": 1}', "that is not an object"),
            (b'{"assignments": []}', '"totalCount": null; it must be an integer'),
            (b'{"assignments": [], "totalCount": -1}', '"totalCount": -1'),
            (b'{"assignments": [], "totalCount": true}', '"totalCount": true'),
            (b'{"seven": {"assignments": [], "totalCount": 0}}', "uses 'seven' as"),
            (b'{"0": {"assignments": [], "totalCount": 0}}', "uses '0' as a group"),
            (b'{"9223372036854775808": []}', "uses '9223372036854775808' as a"),
            (b'{"' + b"9" * 5000 + b'": []}', "uses '999999999999...9999999999999' as"),
            (b'{"7": []}', "Group 7 in the data file"),
        ],
    )
    def test_serve_reports_a_bad_data_file(
        self, tmp_path: Path, content: bytes, problem: str
    ) -> None:
        data = tmp_path / "data.json"
        data.write_bytes(content)

        with pytest.raises(FakeSiteError, match=re.escape(problem)):
            serve(data=data)

    def test_serve_refuses_two_keys_naming_one_group(self, tmp_path: Path) -> None:
        data = tmp_path / "data.json"
        body = {"assignments": [], "totalCount": 0}
        data.write_text(json.dumps({"7": body, "8": body, "007": body}))

        with pytest.raises(FakeSiteError) as caught:
            serve(data=data)

        assert str(caught.value) == (
            f"The data file {str(data)!r} names group 7 twice, as '7' and '007'; "
            "keep one of them."
        )

    def test_serve_serves_a_data_file_nested_100_levels_deep(
        self, tmp_path: Path
    ) -> None:
        # The mapping, the body, "assignments" and an assignment are four levels.
        body = {"assignments": [{"x": nested_lists(100 - 4)}], "totalCount": 1}
        data = tmp_path / "data.json"
        data.write_text(json.dumps({"7": body}))

        process, line = start_serve(f"data={str(data)!r}")
        try:
            url = f"{base_url_of(line)}/groups/7/assignments"
            response = httpx.get(url, headers={"X-API-KEY": "test-key"})
        finally:
            stop_serve(process)

        assert response.json() == body

    @pytest.mark.parametrize("depth", [101, 990, 100_000])
    def test_serve_refuses_a_data_file_nested_deeper_than_100_levels(
        self, tmp_path: Path, depth: int
    ) -> None:
        # The mapping and the body are two levels; the rest are arrays.
        arrays = depth - 2
        data = tmp_path / "data.json"
        data.write_text(
            '{"7": {"assignments": [], "totalCount": 0, "x": '
            f"{'[' * arrays}{']' * arrays}}}}}"
        )

        with pytest.raises(FakeSiteError) as caught:
            serve(data=data)

        assert str(caught.value) == (
            f"The data file {str(data)!r} nests arrays or objects more than 100 "
            "levels deep; a data file needs five at most."
        )

    def test_serve_skips_a_byte_order_mark(self, tmp_path: Path) -> None:
        body = b'{"assignments": [], "totalCount": 0}'
        data = tmp_path / "body.json"
        data.write_bytes(b"\xef\xbb\xbf" + body)

        process, line = start_serve(f"data={str(data)!r}")
        try:
            url = f"{base_url_of(line)}/groups/123/assignments"
            response = httpx.get(url, headers={"X-API-KEY": "test-key"})
        finally:
            rest = stop_serve(process)

        assert response.content == body
        assert rest == "Groups: 123\nPress Ctrl+C to stop.\n"

    def test_fake_server_command_reports_a_deep_data_file_in_one_line(
        self, tmp_path: Path
    ) -> None:
        data = tmp_path / "deep.json"
        data.write_bytes(b"[" * 100_000)

        completed = subprocess.run(
            [sys.executable, "-m", "konstantly", "fake-server", "--data", str(data)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

        assert (completed.returncode, completed.stdout) == (2, "")
        assert completed.stderr == (
            f"FakeSiteError: The data file {str(data)!r} nests arrays or objects "
            "more than 100 levels deep; a data file needs five at most.\n"
        )

    def test_serve_reports_a_missing_data_file(self, tmp_path: Path) -> None:
        missing = tmp_path / "missing.json"

        with pytest.raises(FakeSiteError) as caught:
            serve(data=missing)

        assert str(caught.value) == (
            f"Cannot read the data file {str(missing)!r}: No such file or directory."
        )

    def test_serve_refuses_an_endless_data_file(self) -> None:
        with pytest.raises(FakeSiteError) as caught:
            serve(data="/dev/zero")

        assert str(caught.value) == (
            "The data file '/dev/zero' is larger than 256 MiB, far beyond what a "
            "client takes in; serve smaller groups."
        )

    def test_serve_refuses_to_run_off_the_main_thread(self) -> None:
        errors: list[FakeSiteError] = []

        def run() -> None:
            try:
                serve()
            except FakeSiteError as error:
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(5)

        assert "from the main thread" in str(errors[0])


class TestPytestPlugin:
    def test_fixtures_serve_the_bundled_site_to_a_client(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Installed entry points stay out, so the plugin is loaded once, here.
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        pytester.makepyfile(
            """
            import httpx

            def test_site(fake_konstantly):
                url = fake_konstantly.base_url + "/groups/123/assignments"
                headers = {"X-API-KEY": fake_konstantly.api_key}
                assert httpx.get(url, headers=headers).status_code == 200

            def test_client(konstantly_client, fake_konstantly):
                result = konstantly_client.groups.list_assignments(123)
                assert [a.course.id for a in result] == [123, 124]
                assert len(fake_konstantly.requests) == 1
            """
        )

        result = pytester.runpytest("-p", "konstantly.testing.pytest_plugin")

        result.assert_outcomes(passed=2)


def test_public_names_are_exported_in_sorted_order() -> None:
    assert konstantly.testing.__all__ == [
        "DEFAULT_API_KEY",
        "FakeKonstantly",
        "FakeSiteError",
        "Fault",
        "RecordedRequest",
        "serve",
    ]
