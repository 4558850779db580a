"""Fixtures shared by the test suite: a loopback HTTP server and payload builders."""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from importlib import resources
from types import TracebackType
from typing import Any

import konstantly
import pytest
from pytest_httpserver import HTTPServer

# The documented example, as served by GET /groups/123/assignments: the copy
# bundled with the fake site, which tests/test_testing.py checks against the
# API documentation's own file.
EXAMPLE_BODY: dict[str, Any] = json.loads(
    resources.files("konstantly.testing").joinpath("data/group-123.json").read_text()
)

pytest_plugins = ["pytester"]


class RawServer:
    """A loopback server that answers every request with the same raw bytes.

    For answers no well-behaved HTTP server would send: broken status lines
    and headers. It closes each connection after its answer.
    """

    def __init__(self, answer: bytes) -> None:
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        port = self._listener.getsockname()[1]
        return f"http://127.0.0.1:{port}/openapi/v1"

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                connection.sendall(self._answer)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()


@pytest.fixture
def anyio_backend() -> str:
    """Run anyio-marked tests on asyncio only."""
    return "asyncio"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Bind the test HTTP server to IPv4 loopback on a free port."""
    return ("127.0.0.1", 0)


@pytest.fixture
def api_key() -> str:
    """A fake API key, distinctive enough to spot if it leaks."""
    return "kty-test-9f3b7c2e51d04a68"


@pytest.fixture
def base_url(httpserver: HTTPServer) -> str:
    """The API root on the loopback test server."""
    return httpserver.url_for("/openapi/v1")


@pytest.fixture
def example_body() -> dict[str, Any]:
    """A fresh copy of the documented example body, safe to modify."""
    return copy.deepcopy(EXAMPLE_BODY)


@pytest.fixture
def make_assignment() -> Callable[..., dict[str, Any]]:
    """Build one assignment as the API sends it; extra keywords are wire fields.

    For example `make_assignment(deadlineAt=0, deadlinePeriod=None)`; a field
    not passed is left out of the body.
    """

    def make(
        *, assigned_at: int = 1443183322, course_id: int = 1, **fields: Any
    ) -> dict[str, Any]:
        return {
            "assignedAt": assigned_at,
            "course": {
                "id": course_id,
                "name": f"Course {course_id}",
                "annotation": f"About course {course_id}",
                "isDraft": False,
                "createdAt": 1507807711,
                "updatedAt": 1507808372,
                "publishedAt": 1508225229,
            },
            **fields,
        }

    return make


@pytest.fixture
def make_client(
    api_key: str, base_url: str
) -> Iterator[Callable[..., konstantly.Konstantly]]:
    """Build clients aimed at the test server, closed when the test ends."""
    with contextlib.ExitStack() as stack:

        def make(**options: Any) -> konstantly.Konstantly:
            options = {
                "api_key": api_key,
                "base_url": base_url,
                "max_retries": 0,
                **options,
            }
            return stack.enter_context(konstantly.Konstantly(**options))

        yield make


@pytest.fixture
def fetch_assignments(
    httpserver: HTTPServer, make_client: Callable[..., konstantly.Konstantly]
) -> Callable[..., konstantly.GroupAssignments]:
    """Serve a body for group 123 and list it with a client built from options."""

    def fetch(body: Any, **options: Any) -> konstantly.GroupAssignments:
        httpserver.expect_request(
            "/openapi/v1/groups/123/assignments", method="GET"
        ).respond_with_json(body)
        return make_client(**options).groups.list_assignments(123)

    return fetch


@pytest.fixture
def raw_server() -> Iterator[Callable[[bytes], RawServer]]:
    """Start RawServers answering with given bytes, stopped when the test ends."""
    with contextlib.ExitStack() as stack:
        yield lambda answer: stack.enter_context(RawServer(answer))
