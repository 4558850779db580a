"""Limits every attempt keeps, whatever the server sends: size, time and coding."""

from __future__ import annotations

import contextlib
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import anyio
import konstantly
import pytest
from konstantly import _transport
from konstantly._client import POOL_LIMITS
from konstantly.testing import FakeKonstantly, Fault

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


_EMPTY_BODY = b'{"assignments": [], "totalCount": 0}'
# It announces nothing about closing, so a client believes the connection can
# be reused, and learns otherwise only by checking the socket.
_ANSWER_THEN_HANG_UP = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_EMPTY_BODY), _EMPTY_BODY)
)


@pytest.fixture
def hang_up_server(raw_server: Callable[[bytes], Any]) -> Any:
    """A server that closes every connection right after its answer."""
    return raw_server(_ANSWER_THEN_HANG_UP)


def test_sync_client_sees_a_connection_the_server_closed(
    hang_up_server: Any,
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
    hang_up_server: Any,
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


# Compressed answers: inflated by the transport, a bounded piece at a time

# The documented example, as the fake site bundles it.
EXAMPLE = (
    resources.files("konstantly.testing").joinpath("data/group-123.json").read_bytes()
)
EXAMPLE_COURSES = [
    (123, "Sales Strategy Fundamentals"),
    (124, "Customer Relationship Management"),
]

# Spaces that pack into about 65 KiB and take the body past the real limit.
BOMB_PADDING = 65 * 2**20


def _deflate(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """A valid, empty assignment list padded with spaces, gzipped."""
    padding = b" " * BOMB_PADDING
    return gzip.compress(b'{"assignments": [], "totalCount": 0' + padding + b"}")


@contextlib.contextmanager
def serving(body: bytes, coding: str, *, status: int = 200) -> Iterator[FakeKonstantly]:
    """A fake site answering GROUP with `body`, marked as in `coding`."""
    with FakeKonstantly(bundled=False) as site:
        site.set_raw_response(GROUP, status, body, headers={"Content-Encoding": coding})
        yield site


def refused_at_once(body: bytes, coding: str) -> konstantly.ResponseValidationError:
    """The error a client with retries to spare raises at its first request."""
    with serving(body, coding) as site:
        with (
            konstantly.Konstantly(
                api_key=site.api_key, base_url=site.base_url, max_retries=3
            ) as client,
            pytest.raises(konstantly.ResponseValidationError) as caught,
        ):
            client.groups.list_assignments(GROUP)

        assert len(site.requests) == 1
    return caught.value


def _courses(result: konstantly.GroupAssignments) -> list[tuple[int, str]]:
    return [(assignment.course.id, assignment.course.name) for assignment in result]


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(EXAMPLE)),
        ("deflate", _deflate(EXAMPLE, zlib.MAX_WBITS)),
        ("deflate", _deflate(EXAMPLE, -zlib.MAX_WBITS)),
        ("GZip", gzip.compress(EXAMPLE)),
        ("gzip", gzip.compress(EXAMPLE[:100]) + gzip.compress(EXAMPLE[100:])),
    ],
    ids=["gzip", "zlib-wrapped deflate", "raw deflate", "mixed case", "two members"],
)
def test_compressed_body_is_inflated(coding: str, body: bytes) -> None:
    """gzip, and deflate in both the forms httpx accepts, give the same list."""
    with (
        serving(body, coding) as site,
        konstantly.Konstantly(api_key=site.api_key, base_url=site.base_url) as client,
    ):
        result = client.groups.list_assignments(GROUP)

    assert _courses(result) == EXAMPLE_COURSES
    assert result.total_count == 2


@pytest.mark.anyio
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_async_client_inflates_a_compressed_body(coding: str) -> None:
    """The asynchronous client inflates the same codings to the same list."""
    compress = gzip.compress if coding == "gzip" else zlib.compress
    with serving(compress(EXAMPLE), coding) as site:
        async with konstantly.AsyncKonstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            result = await client.groups.list_assignments(GROUP)

    assert _courses(result) == EXAMPLE_COURSES


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_body_arriving_a_byte_at_a_time_is_inflated(wbits: int) -> None:
    """deflate's wrapping is told from its first two bytes, even apart."""
    with serving(_deflate(EXAMPLE, wbits), "deflate") as site:
        site.inject(Fault.trickle(interval=0.001, chunk=1))
        # No retry: a second attempt would get the body whole.
        with konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url, max_retries=0
        ) as client:
            result = client.groups.list_assignments(GROUP)

    assert _courses(result) == EXAMPLE_COURSES


def test_compressed_error_answer_keeps_its_message() -> None:
    """An error status's gzipped body is inflated for its message too."""
    body = gzip.compress(b'{"status": 404, "message": "Group 31 is gone"}')
    with (
        serving(body, "gzip", status=404) as site,
        konstantly.Konstantly(api_key=site.api_key, base_url=site.base_url) as client,
        pytest.raises(konstantly.NotFoundError) as caught,
    ):
        client.groups.list_assignments(GROUP)

    assert caught.value.message == "Group 31 is gone"


def test_empty_body_marked_gzip_is_taken_as_empty() -> None:
    """No bytes at all are no broken stream: the status decides the error."""
    with (
        serving(b"", "gzip", status=503) as site,
        konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url, max_retries=0
        ) as client,
        pytest.raises(konstantly.InternalServerError) as caught,
    ):
        client.groups.list_assignments(GROUP)

    assert caught.value.status_code == 503
    assert caught.value.message == (
        "The server answered 503 Service Unavailable with an empty body."
    )


def test_sync_client_refuses_a_gzip_bomb(gzip_bomb: bytes) -> None:
    """65 KiB that inflate past 64 MiB end in a typed error, at the first attempt."""
    error = refused_at_once(gzip_bomb, "gzip")

    assert "larger than 64 MiB" in error.message


@pytest.mark.anyio
async def test_async_client_refuses_a_gzip_bomb(gzip_bomb: bytes) -> None:
    """The asynchronous client counts the inflated bytes the same way."""
    with serving(gzip_bomb, "gzip") as site:
        async with konstantly.AsyncKonstantly(
            api_key=site.api_key, base_url=site.base_url, max_retries=3
        ) as client:
            with pytest.raises(
                konstantly.ResponseValidationError, match="larger than 64 MiB"
            ):
                await client.groups.list_assignments(GROUP)

        assert len(site.requests) == 1


# With the limit at 1 MiB, a bomb inflating to 65 MiB shows whether the
# client stops at the limit or inflates first and counts after; an eighth of
# the bomb leaves room for the limit, a piece in flight and the test's own.
LOWERED_LIMIT = 2**20
PEAK_BOUND = BOMB_PADDING // 8


@pytest.fixture
def bomb_site(
    monkeypatch: pytest.MonkeyPatch, gzip_bomb: bytes
) -> Iterator[FakeKonstantly]:
    """A site answering with the gzip bomb, and a body limit of 1 MiB."""
    monkeypatch.setattr(_transport, "MAX_BODY_BYTES", LOWERED_LIMIT)
    with serving(gzip_bomb, "gzip") as site:
        yield site


def test_sync_client_inflates_a_bomb_in_bounded_memory(
    bomb_site: FakeKonstantly,
) -> None:
    """The memory used stays near the limit, far below what the bomb inflates to."""
    with konstantly.Konstantly(
        api_key=bomb_site.api_key, base_url=bomb_site.base_url
    ) as client:
        tracemalloc.start()
        try:
            with pytest.raises(konstantly.ResponseValidationError, match="larger"):
                client.groups.list_assignments(GROUP)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert peak < PEAK_BOUND


@pytest.mark.anyio
async def test_async_client_inflates_a_bomb_in_bounded_memory(
    bomb_site: FakeKonstantly,
) -> None:
    """The asynchronous client's memory stays as bounded."""
    async with konstantly.AsyncKonstantly(
        api_key=bomb_site.api_key, base_url=bomb_site.base_url
    ) as client:
        tracemalloc.start()
        try:
            with pytest.raises(konstantly.ResponseValidationError, match="larger"):
                await client.groups.list_assignments(GROUP)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert peak < PEAK_BOUND


@pytest.mark.parametrize(
    ("coding", "body", "reason"),
    [
        ("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 40, "Error -3 while decompressing"),
        ("gzip", gzip.compress(EXAMPLE)[:-20], "it ends before its compressed stream"),
        ("gzip", gzip.compress(EXAMPLE) + b"trailing", "Error -3 while decompressing"),
        ("deflate", b"\xff" * 40, "Error -3 while decompressing"),
        ("deflate", zlib.compress(EXAMPLE) + b"x", "more data follows the end"),
    ],
    ids=["bad gzip", "cut gzip", "gzip and more", "bad deflate", "deflate and more"],
)
def test_corrupt_compressed_body_is_a_validation_error(
    coding: str, body: bytes, reason: str
) -> None:
    """A complete answer whose body cannot be inflated is final, not retried."""
    error = refused_at_once(body, coding)

    assert error.message.startswith(f"The answer is not valid {coding!r} data: ")
    assert reason in error.message
    assert error.message.endswith(
        "The server, or a proxy in front of it, is sending broken compressed answers."
    )


@pytest.mark.anyio
async def test_async_client_refuses_a_corrupt_compressed_body() -> None:
    """The asynchronous client raises the same typed error for a broken body."""
    with serving(gzip.compress(EXAMPLE)[:-20], "gzip") as site:
        async with konstantly.AsyncKonstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            with pytest.raises(
                konstantly.ResponseValidationError, match="not valid 'gzip' data"
            ):
                await client.groups.list_assignments(GROUP)


def test_trickled_compressed_body_still_meets_the_deadline() -> None:
    """Inflating leaves the attempt's deadline in force for a slow body."""
    with serving(gzip.compress(EXAMPLE), "gzip") as site:
        site.inject(Fault.trickle(interval=0.1, chunk=1))
        started = time.monotonic()
        with (
            konstantly.Konstantly(
                api_key=site.api_key, base_url=site.base_url, timeout=0.5, max_retries=0
            ) as client,
            pytest.raises(konstantly.APITimeoutError),
        ):
            client.groups.list_assignments(GROUP)

    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "coding", ["br", "zstd", "compress", "x-rot13", "gzip, br", "gzip, gzip"]
)
def test_coding_the_client_did_not_ask_for_is_refused(coding: str) -> None:
    """Only gzip and deflate can be held to the limit; anything else is final."""
    error = refused_at_once(gzip.compress(EXAMPLE), coding)

    assert error.message == (
        f"The server answered with Content-Encoding {coding!r}, which the client "
        "does not ask for and cannot hold to its size limit. Only gzip and deflate "
        "are accepted; a proxy in front of the site that compresses answers on its "
        "own should honour the request's Accept-Encoding."
    )


@pytest.mark.anyio
async def test_async_client_refuses_a_coding_it_did_not_ask_for() -> None:
    """The asynchronous client refuses brotli the same way, and stays usable."""
    with serving(b"\x1b\x00\x00", "br") as site:
        async with konstantly.AsyncKonstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            with pytest.raises(konstantly.ResponseValidationError, match="'br'"):
                await client.groups.list_assignments(GROUP)
            site.set_raw_response(GROUP, 200, EXAMPLE)
            result = await client.groups.list_assignments(GROUP)

    assert _courses(result) == EXAMPLE_COURSES


def test_identity_coding_is_the_body_as_sent() -> None:
    """`identity`, the coding that changes nothing, is read like no coding."""
    with (
        serving(EXAMPLE, "Identity") as site,
        konstantly.Konstantly(api_key=site.api_key, base_url=site.base_url) as client,
    ):
        result = client.groups.list_assignments(GROUP)

    assert _courses(result) == EXAMPLE_COURSES


def test_refused_answers_free_their_connections() -> None:
    """More refusals than the pool has connections leave the client working."""
    with (
        serving(b"\x1b\x00\x00", "br") as site,
        konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url, timeout=2.0, max_retries=0
        ) as client,
    ):
        for _ in range(POOL_LIMITS.max_connections + 1):
            with pytest.raises(konstantly.ResponseValidationError):
                client.groups.list_assignments(GROUP)
        site.set_raw_response(GROUP, 200, EXAMPLE)
        result = client.groups.list_assignments(GROUP)

    assert _courses(result) == EXAMPLE_COURSES
