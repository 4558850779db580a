"""Limits every attempt keeps, whatever the server sends: size and time."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import anyio
import konstantly
import pytest
from konstantly import _transport
from konstantly.testing import FakeKonstantly

GROUP = 31


@pytest.fixture
def huge_body_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKonstantly]:
    """A site whose answer is larger than the (lowered) body limit."""
    monkeypatch.setattr(_transport, "MAX_BODY_BYTES", 4096)
    body = {"assignments": [], "totalCount": 0, "padding": "x" * 10_000}
    with FakeKonstantly(bundled=False) as site:
        site.set_raw_response(GROUP, 200, json.dumps(body).encode())
        yield site


def test_sync_client_refuses_a_body_beyond_the_limit(
    huge_body_site: FakeKonstantly,
) -> None:
    """An endless or enormous body ends in a typed error, not in a full memory."""
    with (
        konstantly.Konstantly(
            api_key=huge_body_site.api_key,
            base_url=huge_body_site.base_url,
            max_retries=3,
        ) as client,
        pytest.raises(konstantly.ResponseValidationError, match="larger than"),
    ):
        client.groups.list_assignments(GROUP)

    assert len(huge_body_site.requests) == 1


@pytest.mark.anyio
async def test_async_client_refuses_a_body_beyond_the_limit(
    huge_body_site: FakeKonstantly,
) -> None:
    """The asynchronous client keeps the same limit."""
    async with konstantly.AsyncKonstantly(
        api_key=huge_body_site.api_key, base_url=huge_body_site.base_url
    ) as client:
        with pytest.raises(konstantly.ResponseValidationError, match="larger"):
            await client.groups.list_assignments(GROUP)


def test_body_within_the_limit_arrives_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The limit counts bytes: a body just under it is read in full."""
    with FakeKonstantly() as site:
        monkeypatch.setattr(_transport, "MAX_BODY_BYTES", 832)
        with konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            result = client.groups.list_assignments(123)

    assert [a.course.id for a in result] == [123, 124]


def test_real_limit_is_far_beyond_any_group() -> None:
    """100,000 assignments take about 30 MiB; the limit leaves room for twice that."""
    assert _transport.MAX_BODY_BYTES == 64 * 2**20


class _HangUpAfterEachAnswer:
    """A server that closes every connection right after its answer.

    It announces nothing about closing, so a client believes the connection
    can be reused, and learns otherwise only by checking the socket.
    """

    BODY = b'{"assignments": [], "totalCount": 0}'
    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    )

    def __init__(self) -> None:
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
                connection.sendall(self.ANSWER)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()


@pytest.fixture
def hang_up_server() -> Iterator[_HangUpAfterEachAnswer]:
    server = _HangUpAfterEachAnswer()
    yield server
    server.close()


def test_sync_client_sees_a_connection_the_server_closed(
    hang_up_server: _HangUpAfterEachAnswer,
) -> None:
    """A pooled connection closed by the server is replaced, not reused."""
    with konstantly.Konstantly(
        api_key="k", base_url=hang_up_server.base_url, max_retries=0
    ) as client:
        for _ in range(3):
            assert client.groups.list_assignments(GROUP).total_count == 0
            time.sleep(0.05)

    assert hang_up_server.connections == 3


@pytest.mark.anyio
async def test_async_client_sees_a_connection_the_server_closed(
    hang_up_server: _HangUpAfterEachAnswer,
) -> None:
    """The asynchronous pool replaces a closed connection the same way."""
    async with konstantly.AsyncKonstantly(
        api_key="k", base_url=hang_up_server.base_url, max_retries=0
    ) as client:
        for _ in range(3):
            result = await client.groups.list_assignments(GROUP)
            assert result.total_count == 0
            await anyio.sleep(0.05)

    assert hang_up_server.connections == 3
