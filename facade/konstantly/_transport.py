"""Per-attempt limits between httpx and the network.

The generated client calls httpx with no per-call options, so each attempt
publishes its limits in a context variable, and the transports below apply
them to every request made inside it.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from ._errors import ResponseValidationError

# Far beyond any group: 100,000 assignments take about 30 MiB of JSON.
MAX_BODY_BYTES = 64 * 2**20

__all__ = [
    "MAX_BODY_BYTES",
    "AsyncAttemptTransport",
    "Attempt",
    "SyncAttemptTransport",
    "current",
]


@dataclass(slots=True)
class Attempt:
    """One try of one request: its timeouts, and the deadline they add up to."""

    timeout: httpx.Timeout
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + budget(self.timeout)

    def apply(self, request: httpx.Request) -> None:
        """Give `request` this attempt's timeouts, none beyond its deadline."""
        remaining = max(self.deadline - time.monotonic(), 0.001)
        limits = self.timeout.as_dict()
        request.extensions["timeout"] = {
            name: min(limit, remaining) if limit is not None else remaining
            for name, limit in limits.items()
        }


_CURRENT: ContextVar[Attempt | None] = ContextVar("konstantly_attempt", default=None)


def current() -> Attempt | None:
    """The attempt in progress in this thread or task, if any."""
    return _CURRENT.get()


def start(attempt: Attempt) -> object:
    """Make `attempt` the current one; returns a token for `finish`."""
    return _CURRENT.set(attempt)


def finish(token: object) -> None:
    """Restore the attempt that was current before `start`."""
    _CURRENT.reset(token)  # type: ignore[arg-type]  # the token from start()


def budget(timeout: httpx.Timeout) -> float:
    """The longest one attempt may take, all phases together."""
    limits = [limit for limit in timeout.as_dict().values() if limit is not None]
    return max(limits)


class _GuardedStream(httpx.SyncByteStream):
    """A body that stops at its attempt's deadline or at MAX_BODY_BYTES."""

    def __init__(
        self, stream: httpx.SyncByteStream, deadline: float, request: httpx.Request
    ) -> None:
        self._stream = stream
        self._deadline = deadline
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self._stream:
            # The read timeout restarts with every byte, so a server that
            # trickles its body would never hit it: the deadline does.
            if time.monotonic() > self._deadline:
                message = "The answer took longer than the timeout to arrive"
                raise httpx.ReadTimeout(message, request=self._request)
            received += len(chunk)
            _check_size(received)
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _GuardedAsyncStream(httpx.AsyncByteStream):
    """A body that stops at MAX_BODY_BYTES; the caller bounds its time."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._stream:
            received += len(chunk)
            _check_size(received)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


def _check_size(received: int) -> None:
    # A body without end would otherwise fill the memory before the deadline.
    if received > MAX_BODY_BYTES:
        message = (
            f"The answer is larger than {MAX_BODY_BYTES // 2**20} MiB, far beyond "
            "any group's assignments; the server or a proxy is misbehaving."
        )
        raise ResponseValidationError(message)


def _within_deadline(
    timeout: float | None, error: type[httpcore.TimeoutException]
) -> float | None:
    """`timeout` cut to what is left of the current attempt; `error` if nothing."""
    attempt = current()
    if attempt is None:
        return timeout
    remaining = attempt.deadline - time.monotonic()
    if remaining <= 0:
        raise error("The attempt took longer than its timeout")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineNetworkStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(
            max_bytes, _within_deadline(timeout, httpcore.ReadTimeout)
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _within_deadline(timeout, httpcore.ConnectTimeout)
        tls_stream = self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _DeadlineNetworkStream(tls_stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineNetworkBackend(httpcore.NetworkBackend):
    """Opens connections that keep to the deadline of the attempt using them."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, timeout, local_address, socket_options
        )
        return _DeadlineNetworkStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _DeadlineNetworkStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class SyncAttemptTransport(httpx.BaseTransport):
    """Applies the current attempt's limits to a synchronous transport."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner
        # httpcore's read timeout restarts with every read, so a server that
        # sends its status line or headers a byte at a time would hold a
        # synchronous call for ever; reads that know the attempt's deadline
        # stop it.
        # Limitation: httpx offers no argument for the network backend, hence
        # the reach into its pool's private attribute (httpx is pinned below
        # 0.29). Should it move, slow headers fall back to the per-read
        # timeout; the body stays bounded by _GuardedStream.
        pool = getattr(inner, "_pool", None)
        if isinstance(pool, httpcore.ConnectionPool):
            pool._network_backend = _DeadlineNetworkBackend(pool._network_backend)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = current()
        if attempt is None:
            return self._inner.handle_request(request)

        attempt.apply(request)
        response = self._inner.handle_request(request)
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _GuardedStream(response.stream, attempt.deadline, request)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncAttemptTransport(httpx.AsyncBaseTransport):
    """Applies the current attempt's timeouts to an asynchronous transport.

    The deadline of the whole attempt is enforced around it by the caller,
    with a cancel scope, which covers slow headers and slow bodies alike.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = current()
        if attempt is None:
            return await self._inner.handle_async_request(request)

        attempt.apply(request)
        response = await self._inner.handle_async_request(request)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _GuardedAsyncStream(response.stream)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
