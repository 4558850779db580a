"""Per-attempt limits between httpx and the network.

The generated client calls httpx with no per-call options, so each attempt
publishes its limits in a context variable, and the transports below apply
them to every request made inside it.
"""

from __future__ import annotations

import ssl
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from ._errors import ResponseValidationError

# Far beyond any group: 100,000 assignments take about 30 MiB of JSON.
MAX_BODY_BYTES = 64 * 2**20

# The most one call into zlib may inflate: one network read's worth, so that
# a compressed body is held to MAX_BODY_BYTES without a spike beyond it.
_PIECE_BYTES = 64 * 2**10

# The codings the transport inflates itself, with zlib's window bits for
# each; None for deflate, whose wrapping is read from its first two bytes.
_INFLATABLE = {"gzip": zlib.MAX_WBITS | 16, "deflate": None}

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


class _Inflater:
    """
    Inflates one gzip or deflate body, a piece of at most _PIECE_BYTES at a time.

    httpx's decoders inflate each network read whole, with no limit: 64 KiB of
    deflate data can unpack to 64 MiB. Hence the transport inflates bodies
    itself, in pieces it can count.
    """

    def __init__(self, coding: str) -> None:
        self._coding = coding
        # zlib's decompressor type has no public name; made on the first data.
        self._zlib: Any = None
        self._head = b""  # deflate's first byte, until a second shows its wrapping

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The pieces `data` inflates to; a few bytes may wait for `finish`."""
        while data:
            if self._zlib is None:
                data = self._start(data)
                continue
            if self._zlib.eof:  # only deflate's decompressor outlives its stream
                raise self._unreadable("more data follows the end of its stream")

            piece = self._inflate(data)
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                data = self._after_end()
            if piece:
                yield piece

    def finish(self) -> Iterator[bytes]:
        """What zlib still holds once the body has ended, after checking it ended."""
        if self._zlib is not None:
            while piece := self._inflate(b""):
                yield piece
        # An empty body is no stream at all, and fine; half a stream is not.
        if self._head or (self._zlib is not None and not self._zlib.eof):
            raise self._unreadable("it ends before its compressed stream does")

    def _start(self, data: bytes) -> bytes:
        """Make the decompressor for a stream beginning with `data`; returns `data`."""
        wbits = _INFLATABLE[self._coding]
        if wbits is None:
            # httpx accepts deflate both as RFC 9110 defines it, zlib-wrapped,
            # and raw, as some servers send it; zlib's two-byte header says
            # which one arrived.
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return b""
            self._head = b""
            wbits = zlib.MAX_WBITS if _has_zlib_header(data) else -zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits)
        return data

    def _after_end(self) -> bytes:
        """The data after a finished stream, which only gzip may continue."""
        rest: bytes = self._zlib.unused_data
        if self._coding == "gzip":
            # RFC 1952, section 2.2: a gzip body may be a series of members.
            self._zlib = None
            return rest
        if rest:
            raise self._unreadable("more data follows the end of its stream")
        return b""

    def _inflate(self, data: bytes) -> bytes:
        try:
            piece: bytes = self._zlib.decompress(data, _PIECE_BYTES)
        except zlib.error as error:
            raise self._unreadable(str(error)) from None
        return piece

    def _unreadable(self, reason: str) -> ResponseValidationError:
        # A complete answer that cannot be inflated would come back the same
        # if asked again, so it is final, like any other malformed body, and
        # not a connection error to retry. A body cut short by a dropped
        # connection fails in httpx first, as an APIConnectionError.
        message = (
            f"The answer is not valid {self._coding!r} data: {reason}. The server, "
            "or a proxy in front of it, is sending broken compressed answers."
        )
        return ResponseValidationError(message)


def _has_zlib_header(data: bytes) -> bool:
    """Whether `data` starts with a zlib header (RFC 1950, section 2.2)."""
    try:
        zlib.decompressobj().decompress(data[:2])
    except zlib.error:
        return False
    return True


class _InflatingStream(httpx.SyncByteStream):
    """A gzip or deflate body, inflated a bounded piece at a time."""

    def __init__(self, stream: httpx.SyncByteStream, coding: str) -> None:
        self._stream = stream
        self._coding = coding

    def __iter__(self) -> Iterator[bytes]:
        inflater = _Inflater(self._coding)
        for chunk in self._stream:
            yield from inflater.decode(chunk)
        yield from inflater.finish()

    def close(self) -> None:
        self._stream.close()


class _InflatingAsyncStream(httpx.AsyncByteStream):
    """A gzip or deflate body, inflated a bounded piece at a time."""

    def __init__(self, stream: httpx.AsyncByteStream, coding: str) -> None:
        self._stream = stream
        self._coding = coding

    async def __aiter__(self) -> AsyncIterator[bytes]:
        inflater = _Inflater(self._coding)
        async for chunk in self._stream:
            for piece in inflater.decode(chunk):
                yield piece
        for piece in inflater.finish():
            yield piece

    async def aclose(self) -> None:
        await self._stream.aclose()


def _take_content_coding(response: httpx.Response) -> str | None:
    """
    The coding the transport inflates the body from, taken off its headers.

    Without the header httpx passes the body on as it is, so that what the
    transport's streams count is what the body inflates to, not what came
    over the wire. None when there is nothing to inflate.

    Raises:
        ResponseValidationError: The answer is in a coding the client did not
            ask for, which httpx might inflate without limit.
    """
    if "Content-Encoding" not in response.headers:
        return None

    value = ", ".join(response.headers.get_list("Content-Encoding"))
    # Content codings are case-insensitive (RFC 9110, section 8.4.1).
    codings = [coding.strip().lower() for coding in value.split(",")]
    codings = [coding for coding in codings if coding]
    if codings in ([], ["identity"]):
        del response.headers["Content-Encoding"]
        return None
    if len(codings) == 1 and codings[0] in _INFLATABLE:
        del response.headers["Content-Encoding"]
        return codings[0]

    # br and zstd, when their packages are installed, would be inflated by
    # httpx whole; compress, unknown codings and chains are not the API's.
    message = (
        f"The server answered with Content-Encoding {value!r}, which the client "
        "does not ask for and cannot hold to its size limit. Only gzip and "
        "deflate are accepted; a proxy in front of the site that compresses "
        "answers on its own should honour the request's Accept-Encoding."
    )
    raise ResponseValidationError(message)


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
        if not isinstance(response.stream, httpx.SyncByteStream):
            return response

        try:
            coding = _take_content_coding(response)
        except ResponseValidationError:
            response.close()  # or the pool counts its connection busy
            raise

        stream = response.stream
        if coding is not None:
            stream = _InflatingStream(stream, coding)
        response.stream = _GuardedStream(stream, attempt.deadline, request)
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
        if not isinstance(response.stream, httpx.AsyncByteStream):
            return response

        try:
            coding = _take_content_coding(response)
        except ResponseValidationError:
            await response.aclose()  # or the pool counts its connection busy
            raise

        stream = response.stream
        if coding is not None:
            stream = _InflatingAsyncStream(stream, coding)
        response.stream = _GuardedAsyncStream(stream)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
