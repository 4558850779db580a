"""How long one call may take: the defaults, the overrides, and slow servers.

A server that sends a byte now and then never lets a per-read timeout fire;
the client must still give up once an attempt has used its whole timeout.
Elapsed times are checked only as upper bounds, with room to spare.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import konstantly
import pytest
import tenacity
from konstantly.testing import FakeKonstantly, Fault

Timeouts = list[dict[str, float]]


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as running:
        yield running


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the backoff exact: 0.5 s before the first retry."""
    monkeypatch.setattr(tenacity.wait.random, "uniform", lambda low, high: low)


def make_client(site: FakeKonstantly, **options: Any) -> konstantly.Konstantly:
    return konstantly.Konstantly(
        api_key=site.api_key, base_url=site.base_url, **options
    )


def record_timeouts(
    client: konstantly.Konstantly | konstantly.AsyncKonstantly,
) -> Timeouts:
    """The timeouts each request of `client` went out with, as httpcore saw them."""
    seen: Timeouts = []

    def record(response: httpx.Response) -> None:
        seen.append(dict(response.request.extensions["timeout"]))

    async def record_async(response: httpx.Response) -> None:
        record(response)

    if isinstance(client, konstantly.Konstantly):
        client._api.get_httpx_client().event_hooks["response"].append(record)
    else:
        hooks = client._api.get_async_httpx_client().event_hooks["response"]
        hooks.append(record_async)
    return seen


def approx(seconds: float) -> Any:
    # The attempt's clock starts a moment before the request goes out.
    return pytest.approx(seconds, abs=0.25)


def test_default_timeout_is_5_s_to_connect_and_30_s_in_all(
    site: FakeKonstantly,
) -> None:
    """Connecting gets 5 s; reading, writing and the pool get 30 s."""
    with make_client(site) as client:
        timeouts = record_timeouts(client)
        client.groups.list_assignments(123)

    assert client._core.settings.timeout == httpx.Timeout(30.0, connect=5.0)
    assert timeouts == [
        {
            "connect": 5.0,
            "read": approx(30.0),
            "write": approx(30.0),
            "pool": approx(30.0),
        }
    ]


@pytest.mark.anyio
async def test_async_default_timeout_is_the_same(site: FakeKonstantly) -> None:
    """The asynchronous client starts from the same 5 s and 30 s."""
    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url
    ) as client:
        timeouts = record_timeouts(client)
        await client.groups.list_assignments(123)

    assert client._core.settings.timeout == httpx.Timeout(30.0, connect=5.0)
    assert timeouts[0]["connect"] == 5.0
    assert timeouts[0]["read"] == approx(30.0)


@pytest.mark.parametrize(
    ("timeout", "connect", "read"),
    [
        (2.5, 2.5, 2.5),
        (12, 5.0, 12.0),
        (httpx.Timeout(10.0, connect=1.0), 1.0, 10.0),
    ],
)
def test_client_timeout_applies_to_every_request(
    site: FakeKonstantly, timeout: float | httpx.Timeout, connect: float, read: float
) -> None:
    """A number caps connecting at 5 s; an httpx.Timeout is taken as it is."""
    with make_client(site, timeout=timeout) as client:
        timeouts = record_timeouts(client)
        client.groups.list_assignments(123)
        client.groups.list_assignments(203)

    assert len(timeouts) == 3
    for limits in timeouts:
        assert limits["connect"] == approx(connect)
        assert limits["read"] == approx(read)


def test_call_timeout_applies_to_that_call_only(site: FakeKonstantly) -> None:
    """timeout given to one call wins for that call; the next has the client's."""
    with make_client(site, timeout=20.0) as client:
        timeouts = record_timeouts(client)
        client.groups.list_assignments(123, timeout=1.5)
        client.groups.list_assignments(123)

    assert [limits["read"] for limits in timeouts] == [approx(1.5), approx(20.0)]
    assert [limits["connect"] for limits in timeouts] == [approx(1.5), 5.0]


def test_call_timeout_ends_a_slow_answer(site: FakeKonstantly) -> None:
    """A server slower than the call's timeout gives APITimeoutError."""
    site.inject(Fault.delay(2.0))
    started = time.monotonic()

    with (
        make_client(site, timeout=30.0, max_retries=0) as client,
        pytest.raises(konstantly.APITimeoutError) as caught,
    ):
        client.groups.list_assignments(123, timeout=0.3)

    assert time.monotonic() - started < 1.5
    assert str(caught.value).startswith("The server did not answer in time: ")
    assert not str(caught.value).endswith("..")


def test_slow_answer_within_the_timeout_arrives(site: FakeKonstantly) -> None:
    """Slow is not late: an answer inside the timeout is taken."""
    site.inject(Fault.delay(0.3))
    site.inject(Fault.trickle(interval=0.02, chunk=100))

    with make_client(site, timeout=1.0, max_retries=0) as client:
        first = client.groups.list_assignments(123)
        second = client.groups.list_assignments(123)

    assert len(first) == len(second) == 2


@pytest.mark.parametrize(
    "timeout",
    [0, -1.0, math.nan, math.inf, 1e10, "5", True, httpx.Timeout(None)],
)
def test_unusable_call_timeout_is_refused_before_sending(
    site: FakeKonstantly, timeout: Any
) -> None:
    """A call's timeout must be a positive number of seconds; nothing is sent."""
    with (
        make_client(site) as client,
        pytest.raises(konstantly.InvalidArgumentError, match="timeout"),
    ):
        client.groups.list_assignments(123, timeout=timeout)

    assert site.requests == []


@pytest.mark.parametrize(
    "timeout",
    [0, -2, math.nan, 86_401, httpx.Timeout(5.0, read=None), httpx.Timeout(1e300)],
)
def test_unusable_client_timeout_is_a_configuration_error(
    site: FakeKonstantly, timeout: Any
) -> None:
    """Waiting for ever is not an option a client can be built with."""
    with pytest.raises(konstantly.ConfigurationError, match="timeout"):
        make_client(site, timeout=timeout)


# A body sent one byte every half second would take minutes to arrive.
TRICKLE = Fault.trickle(interval=0.5)
TRICKLE_BOUND = 3.5  # 2 attempts x 1 s + 0.5 s of backoff + 1 s to spare


def test_trickling_server_times_out_every_attempt(
    site: FakeKonstantly, no_jitter: None
) -> None:
    """A body that never finishes ends in APITimeoutError after each attempt."""
    site.inject(TRICKLE, times=10)
    started = time.monotonic()

    with (
        make_client(site, timeout=1.0, max_retries=1) as client,
        pytest.raises(konstantly.APITimeoutError),
    ):
        client.groups.list_assignments(123)

    assert time.monotonic() - started < TRICKLE_BOUND
    assert len(site.requests) == 2


@pytest.mark.anyio
async def test_async_trickling_server_times_out_every_attempt(
    site: FakeKonstantly, no_jitter: None
) -> None:
    """The asynchronous client gives up on a trickle within the same bound."""
    site.inject(TRICKLE, times=10)
    started = time.monotonic()

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, timeout=1.0, max_retries=1
    ) as client:
        with pytest.raises(konstantly.APITimeoutError):
            await client.groups.list_assignments(123)

    assert time.monotonic() - started < TRICKLE_BOUND
    assert len(site.requests) == 2


@pytest.fixture
def slow_headers_url() -> Iterator[str]:
    """A server that sends its status line and headers one byte every 0.2 s."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: "
    head += b"x" * 1000
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # so that the accepting thread sees `stop`

    def answer(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            for byte in head:
                if stop.wait(0.2):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    yield f"http://{host}:{port}/openapi/v1"
    stop.set()
    listener.close()
    thread.join(5)


def test_trickled_headers_time_out(slow_headers_url: str) -> None:
    """Headers sent a byte at a time cannot hold a call beyond its timeout."""
    started = time.monotonic()

    with (
        konstantly.Konstantly(
            api_key="k", base_url=slow_headers_url, timeout=1.0, max_retries=0
        ) as client,
        pytest.raises(konstantly.APITimeoutError),
    ):
        client.groups.list_assignments(123)

    assert time.monotonic() - started < 2.0


@pytest.mark.anyio
async def test_async_trickled_headers_time_out(slow_headers_url: str) -> None:
    """The same holds for the asynchronous client."""
    started = time.monotonic()

    async with konstantly.AsyncKonstantly(
        api_key="k", base_url=slow_headers_url, timeout=1.0, max_retries=0
    ) as client:
        with pytest.raises(konstantly.APITimeoutError):
            await client.groups.list_assignments(123)

    assert time.monotonic() - started < 2.0


def test_timeout_counts_each_page_afresh(site: FakeKonstantly) -> None:
    """Each page's attempt has the whole timeout, not what the last one left."""
    site.inject(Fault.delay(0.6))
    site.inject(Fault.delay(0.6))

    with make_client(site, timeout=1.0, max_retries=0) as client:
        result = client.groups.list_assignments(203)

    assert len(result) == 25
    assert len(site.requests) == 2
