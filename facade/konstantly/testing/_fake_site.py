"""A fake Konstantly site: a real HTTP server on loopback, for tests and demos.

`FakeKonstantly` answers `GET /openapi/v1/groups/{groupId}/assignments` the way
openapi/konstantly.yaml describes it, from groups held in memory. A test can
page the answers, announce more than there is, replace a group's answer with
arbitrary bytes, slow every request down, and break the next requests on
purpose with a `Fault`. `serve` runs a site in the foreground for
`konstantly fake-server`.

The bundled groups live in `konstantly/testing/data/group-<id>.json`, one
AssignmentList body each, and are served unless `FakeKonstantly(bundled=False)`:

- 123: the documented example, served byte for byte: one absolute deadline and
  one period of 2 months.
- 200: absolute deadlines: one long past, one in 2030, and one with both a
  `deadlineAt` and a `deadlinePeriod` (the absolute deadline wins).
- 201: relative deadlines, one per measure: 48 hours, 7 days across the EU
  daylight-saving change of 30 March 2025, 6 weeks, 3 months, 1 month from
  31 January (the month-end case: 28 February), and a period next to
  `"deadlineAt": 0`.
- 202: edge cases: `"deadlinePeriod": null`, no deadline fields at all,
  `"deadlineAt": 0` alone, the unknown measure `"years"`, a draft course
  (`"isDraft": true`, `"publishedAt": 0`), Cyrillic, Japanese and accented
  French course names, and a name starting with "=" (for spreadsheet export).
- 203: 25 assignments of a sales academy, served in pages of 20, so a client
  must ask again with `offset=20`.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import functools
import http
import http.server
import ipaddress
import json
import logging
import os
import re
import reprlib
import signal
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal, Self, get_args
from urllib.parse import parse_qs, urlsplit

from konstantly._version import __version__

_logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "test-key"
"""The API key a site accepts unless it is given another one."""

_API_ROOT = "/openapi/v1"
_ASSIGNMENTS_PATH = re.compile(r"/openapi/v1/groups/(?P<group_id>[^/]+)/assignments")
_DIGITS = re.compile(r"[0-9]+")
_GROUP_FILE = re.compile(r"group-(?P<group_id>[0-9]+)\.json")
_DOCUMENTED_GROUP_ID = 123
_INT64_MAX = 2**63 - 1
# How deep a data file may nest arrays and objects: far more than an
# AssignmentList needs, and far from Python's recursion limit.
_MAX_DATA_DEPTH = 100
# Four times the largest answer a client takes in; a wrong path, such as
# /dev/zero, is refused there instead of read without end.
_MAX_DATA_FILE = 256 * 2**20
# Bigger than any body a client of this API sends; a larger one ends the
# connection instead of being read.
_MAX_REQUEST_BODY = 1 << 20
# How often the serving thread looks at its shutdown flag: the upper bound on
# how long stop() waits for it.
_POLL_INTERVAL = 0.02
_STOP_JOIN_TIMEOUT = 5.0
_JSON = "application/json"

# The page sizes of bundled groups that the site serves in pages.
_BUNDLED_PAGE_SIZES = {203: 20}

FaultKind = Literal["status", "delay", "drop", "truncate", "trickle", "redirect"]


class FakeSiteError(Exception):
    """The fake site was given a bad argument, cannot start, or cannot load its data.

    Every check happens at the call that receives the bad value, so a test
    fails where the mistake is rather than later, as a dropped connection.
    The message is a whole sentence that names the bad value and says what to
    do instead, so a command-line tool can print it as it is.
    """


@dataclasses.dataclass(frozen=True, repr=False)
class RecordedRequest:
    """One request the fake site received, as it arrived.

    Attributes:
        method: The HTTP method, such as `"GET"`.
        path: The path without the query string, as sent (not percent-decoded).
        query: Each query parameter's values, in the order sent.
        headers: The request headers, names in lower case; repeated headers
            are joined with `", "`.
        received_at: `time.monotonic()` when the request arrived, for checking
            the pauses between retries.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    received_at: float

    def __repr__(self) -> str:
        # Test failures print requests; the key must not appear in them.
        headers = {
            name: "<redacted>" if name == "x-api-key" else value
            for name, value in self.headers.items()
        }
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, "
            f"query={self.query!r}, headers={headers!r})"
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Fault:
    """Something that goes wrong with one assignments request.

    Build faults with the class methods (`Fault.status(503)`, `Fault.drop()`,
    ...) and queue them with `FakeKonstantly.inject`. Only GET requests for
    the assignments endpoint take faults from the queue; any other request is
    answered normally and leaves the queue alone.

    Attributes:
        kind: What goes wrong: `"status"`, `"delay"`, `"drop"`, `"truncate"`,
            `"trickle"` or `"redirect"`.
        status_code: The status sent by `status` and `redirect` faults.
        body: The body sent by a `status` fault, as bytes.
        headers: Extra response headers of `status` and `redirect` faults.
        seconds: How long a `delay` fault waits, or a `trickle` fault's pause
            between chunks.
        chunk: How many body bytes a `trickle` fault sends at a time.
        keep: How many body bytes a `truncate` fault sends; `None` sends half.

    Raises:
        FakeSiteError: If `kind` is not one of the kinds above or `body` is
            not bytes; the class methods take care of both.
    """

    kind: FaultKind
    status_code: int | None = None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    chunk: int = 1
    keep: int | None = None

    def __post_init__(self) -> None:
        # Built directly, a fault skips the class methods' checks; these two
        # would otherwise end the connection mid-answer instead of failing here.
        if self.kind not in get_args(FaultKind):
            message = (
                f"A fault's kind is one of {', '.join(get_args(FaultKind))}, not "
                f"{self.kind!r}; build faults with Fault.status(), Fault.drop() "
                "and the other class methods."
            )
            raise FakeSiteError(message)
        if not isinstance(self.body, bytes):
            message = (
                f"A fault's body is bytes, not {_describe_value(self.body)}; "
                "Fault.status() also takes a str or a dict or list."
            )
            raise FakeSiteError(message)

    @classmethod
    def status(
        cls,
        code: int,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        *,
        retry_after: str | float | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str = _JSON,
    ) -> Fault:
        """Answer with this status and body instead of the real answer.

        Args:
            code: The HTTP status code, 100 to 599.
            body: The response body: bytes are sent as they are, a str as
                UTF-8, and a dict or list as JSON. `None` sends the API's
                Error body, `{"status": code, "message": <the status's reason
                phrase>}`.
            retry_after: The `Retry-After` header, either a number of seconds
                or an HTTP date (RFC 9110, section 10.2.3); `None` sends none.
                Numbers are sent as they print, so `0.5` tests a malformed
                value.
            headers: More response headers to send.
            content_type: The `Content-Type` header, whatever the body's type.

        Returns:
            The fault.

        Raises:
            FakeSiteError: If `code` is not an HTTP status code, or `body` is
                of another type or cannot be encoded.
        """
        _check_int("A status fault's code", code, 100, 599)

        if body is None:
            encoded = _error_body(code, _reason_phrase(code))
        else:
            encoded = _encode_body("A status fault's body", body)
        extra = [("Content-Type", content_type)]
        if retry_after is not None:
            extra.append(("Retry-After", str(retry_after)))
        extra.extend((headers or {}).items())
        return cls(kind="status", status_code=code, body=encoded, headers=tuple(extra))

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait, then answer normally.

        Args:
            seconds: How long to wait before answering, 0 or more.

        Returns:
            The fault.

        Raises:
            FakeSiteError: If `seconds` is not a number of 0 or more.
        """
        _check_seconds("A delay", seconds)
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without sending any response.

        Returns:
            The fault.
        """
        return cls(kind="drop")

    @classmethod
    def truncate(cls, keep: int | None = None) -> Fault:
        """Send the real answer's headers and only part of its body, then close.

        The `Content-Length` header announces the whole body, so the client
        sees the connection end early.

        Args:
            keep: How many body bytes to send, 0 or more; `None` sends half the
                body. Values at or over the body's length are cut to one byte
                less.

        Returns:
            The fault.

        Raises:
            FakeSiteError: If `keep` is not an integer of 0 or more.
        """
        if keep is not None:
            _check_int("A truncate fault's keep", keep, 0)

        return cls(kind="truncate", keep=keep)

    @classmethod
    def trickle(cls, interval: float = 0.5, chunk: int = 1) -> Fault:
        """Send the real answer slowly: headers at once, then the body bit by bit.

        Args:
            interval: Seconds to wait before each chunk of the body, above 0
                (a trickle without pauses is a normal answer).
            chunk: How many bytes each chunk holds, 1 or more.

        Returns:
            The fault.

        Raises:
            FakeSiteError: If `interval` is not a number above 0 or `chunk`
                is not an integer of 1 or more.
        """
        _check_seconds("A trickle interval", interval, positive=True)
        _check_int("A trickle fault's chunk", chunk, 1)

        return cls(kind="trickle", seconds=interval, chunk=chunk)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """Answer with a redirect to `location` and an empty body.

        Args:
            location: The `Location` header.
            status: The redirect status, 300 to 399.

        Returns:
            The fault.

        Raises:
            FakeSiteError: If `status` is not a 3xx code.
        """
        _check_int("A redirect fault's status", status, 300, 399)

        return cls(
            kind="redirect",
            status_code=status,
            headers=(("Location", location), ("Content-Type", _JSON)),
        )

    def _replacement(self) -> _Response | None:
        """The response sent instead of the real one, if this fault has one."""
        if self.status_code is None:
            return None
        return _Response(self.status_code, self.body, self.headers)


@dataclasses.dataclass(frozen=True)
class _Response:
    """A whole HTTP response, ready to send."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (("Content-Type", _JSON),)


@dataclasses.dataclass(frozen=True)
class _Group:
    """A group's assignments and how the site pages them."""

    assignments: tuple[Any, ...]
    total_count: int | None = None
    page_size: int | None = None
    ignore_offset: bool = False
    # The file the group came from, served as it is when a request asks for
    # the whole list, so the documented example arrives byte for byte.
    source: bytes | None = None

    def page(self, offset: int) -> _Response:
        """The response for one page, starting at `offset`."""
        start = 0 if self.ignore_offset else offset
        end = None if self.page_size is None else start + self.page_size
        assignments = list(self.assignments[start:end])

        whole_list = start == 0 and len(assignments) == len(self.assignments)
        if self.source is not None and whole_list:
            return _Response(200, self.source)

        total_count = len(self.assignments)
        if self.total_count is not None:
            total_count = self.total_count
        body = {"assignments": assignments, "totalCount": total_count}
        return _Response(200, _json_bytes(body))


class FakeKonstantly:
    """A fake Konstantly site on a free loopback port.

    Use it as a context manager, or call `start()` and `stop()`:

        with FakeKonstantly() as site:
            client = konstantly.Konstantly(
                api_key=site.api_key, base_url=site.base_url
            )

    All methods may be called from any thread while the site is serving.

    Args:
        api_key: The only `X-API-KEY` value the site accepts.
        bundled: Whether to serve the bundled groups (see the module's
            docstring); `False` starts with no groups at all.
        host: The loopback address to listen on.
        port: The port to listen on; 0 picks a free one.
        latency: Seconds added to every request, 0 or more.

    Raises:
        FakeSiteError: If `api_key` is empty or not a str, `latency` is not a
            number of 0 or more, `host` is not a loopback address or `port`
            is not a port number.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        bundled: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            message = (
                f"The fake site needs a non-empty str as api_key, not {api_key!r}."
            )
            raise FakeSiteError(message)
        _check_loopback(host)
        _check_port(port)

        self._api_key = api_key
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._groups: dict[int, _Group] = dict(_bundled_groups()) if bundled else {}
        self._raw_responses: dict[int, _Response] = {}
        self._faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.latency = latency

    def __repr__(self) -> str:
        where = self._server.base_url if self._server else "not running"
        return f"<FakeKonstantly {where}>"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def api_key(self) -> str:
        """The API key the site accepts."""
        return self._api_key

    @property
    def base_url(self) -> str:
        """The API's root URL, such as `http://127.0.0.1:8123/openapi/v1`.

        Raises:
            FakeSiteError: If the site is not running.
        """
        if self._server is None:
            message = "The fake site is not running: call start() or use `with`."
            raise FakeSiteError(message)

        return self._server.base_url

    @property
    def latency(self) -> float:
        """Seconds the site waits before answering any request.

        Raises:
            FakeSiteError: When set to anything but a number of 0 or more.
        """
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        _check_seconds("The latency", seconds)
        self._latency = float(seconds)

    @property
    def group_ids(self) -> tuple[int, ...]:
        """The ids of the groups the site serves, in order."""
        with self._lock:
            return tuple(sorted(self._groups.keys() | self._raw_responses.keys()))

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def start(self) -> None:
        """Start listening and serving on a background thread.

        Raises:
            FakeSiteError: If the site is already running or cannot listen on
                its address.
        """
        if self._server is not None:
            message = "The fake site is already running; stop() it first."
            raise FakeSiteError(message)

        server = _Server(self._host, self._port, self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},
            name=f"fake-konstantly-{server.server_port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        _logger.debug("Fake Konstantly site listening at %s", server.base_url)

    def stop(self) -> None:
        """Stop serving, end open connections and free the port.

        Slow answers in flight (delays, trickles, latency) end at once without
        finishing. Calling `stop()` on a stopped site does nothing.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return

        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(_STOP_JOIN_TIMEOUT)
        _logger.debug("Fake Konstantly site at %s stopped", server.base_url)

    def add_group(
        self,
        group_id: int,
        assignments: Sequence[Mapping[str, Any]],
        *,
        total_count: int | None = None,
        page_size: int | None = None,
        ignore_offset: bool = False,
    ) -> None:
        """Serve a group, replacing any group or raw response of that id.

        Only the containers are checked: a list (or tuple) holding dicts (or
        other mappings). What the dicts hold is sent as it is, however far it
        strays from the API's schema, so a test can serve odd assignments.

        Args:
            group_id: The group's id, 1 or more.
            assignments: The group's assignments as the API sends them
                (JSON-compatible dicts); the site keeps a copy.
            total_count: The `totalCount` to announce, 0 or more; `None`
                announces the real number. A larger number simulates a server
                that loses assignments.
            page_size: How many assignments one response holds, 1 or more;
                `None` sends them all at once.
            ignore_offset: Whether to ignore `offset` and always send the
                first page, like a server that does not page.

        Raises:
            FakeSiteError: If a number is not an integer in its range,
                `assignments` is not a list of dicts, or the assignments
                cannot be encoded as JSON.
        """
        _check_group_id(group_id)
        if total_count is not None:
            _check_int("total_count", total_count, 0)
        if page_size is not None:
            _check_int("page_size", page_size, 1)
        if not isinstance(assignments, list | tuple):
            message = (
                f"The assignments of group {group_id} are a list of dicts, not "
                f"{_describe_value(assignments)}."
            )
            raise FakeSiteError(message)
        for index, item in enumerate(assignments):
            if not isinstance(item, Mapping):
                message = (
                    f"Assignment {index} of group {group_id} is a dict, not "
                    f"{_describe_value(item)}."
                )
                raise FakeSiteError(message)
        try:
            encoded = _json_bytes([dict(item) for item in assignments])
        except (TypeError, ValueError, RecursionError) as error:
            message = f"The assignments of group {group_id} are not JSON: {error}."
            raise FakeSiteError(message) from error

        group = _Group(
            # Decoding what was encoded makes the copy, already in the shape
            # it is served in (tuples as lists, keys as strings).
            assignments=tuple(json.loads(encoded)),
            total_count=total_count,
            page_size=page_size,
            ignore_offset=ignore_offset,
        )
        with self._lock:
            self._groups[group_id] = group
            self._raw_responses.pop(group_id, None)

    def set_raw_response(
        self,
        group_id: int,
        status: int,
        body: bytes | str | dict[str, Any] | list[Any],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer every authorised request for a group with these exact bytes.

        The key, the group id and `offset` are still checked first, and faults
        still apply. The site sends `Content-Type: application/json` and the
        body's real length unless `headers` names those headers itself.

        Args:
            group_id: The group's id, 1 or more.
            status: The HTTP status code to send, 100 to 599.
            body: The body to send: bytes byte for byte, a str as UTF-8, and
                a dict or list as JSON.
            headers: Response headers to send.

        Raises:
            FakeSiteError: If `group_id` or `status` is not an integer in its
                range, or `body` is of another type or cannot be encoded.
        """
        _check_group_id(group_id)
        _check_int("A raw response's status", status, 100, 599)
        encoded = _encode_body("A raw response's body", body)

        extra = dict(headers or {})
        if not any(name.lower() == "content-type" for name in extra):
            extra["Content-Type"] = _JSON
        response = _Response(status, encoded, tuple(extra.items()))
        with self._lock:
            self._raw_responses[group_id] = response

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue a fault for the next `times` assignments requests.

        Faults are taken in the order they were queued, one per request.

        Args:
            fault: What goes wrong, built with `Fault.status()`, `Fault.drop()`
                or another of `Fault`'s class methods.
            times: How many requests in a row it happens to, 1 or more.

        Raises:
            FakeSiteError: If `fault` is not a `Fault` or `times` is not an
                integer of 1 or more.
        """
        if not isinstance(fault, Fault):
            message = (
                f"inject() takes a Fault, such as Fault.status(503) or "
                f"Fault.drop(), not {_describe_value(fault)}."
            )
            raise FakeSiteError(message)
        _check_int("A fault's times", times, 1)

        with self._lock:
            self._faults.extend([fault] * times)

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self._requests.clear()

    def _replace_groups(self, groups: Mapping[int, _Group]) -> None:
        """Serve exactly these groups."""
        with self._lock:
            self._groups = dict(groups)
            self._raw_responses.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _respond(self, request: RecordedRequest) -> _Response:
        """The answer the API gives to this request, before any fault."""
        match = _ASSIGNMENTS_PATH.fullmatch(request.path)
        if match is None:
            return _error(404, "Not found")
        if request.method != "GET":
            return _error(405, "Method not allowed", headers=(("Allow", "GET"),))
        if request.headers.get("x-api-key") != self._api_key:
            return _error(401, "Invalid API key")

        group_id = _parse_int(match["group_id"])
        if group_id is None or not 1 <= group_id <= _INT64_MAX:
            return _validation_error("groupId", "Must be a positive integer.")
        offsets = request.query.get("offset", ["0"])
        offset = _parse_int(offsets[-1])
        if len(offsets) != 1 or offset is None or offset > _INT64_MAX:
            return _validation_error("offset", "Must be a non-negative integer.")

        with self._lock:
            raw_response = self._raw_responses.get(group_id)
            group = self._groups.get(group_id)
        if raw_response is not None:
            return raw_response
        if group is None:
            return _error(404, "Group not found")
        return group.page(offset)


class _Server(http.server.ThreadingHTTPServer):
    """The HTTP server behind one running FakeKonstantly."""

    daemon_threads = True

    def __init__(self, host: str, port: int, site: FakeKonstantly) -> None:
        self.site = site
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in host:
            self.address_family = socket.AF_INET6
        try:
            super().__init__((host, port), _Handler)
        except OSError as error:
            message = f"The fake site cannot listen on {host!r} port {port}: {error}."
            raise FakeSiteError(message) from error

    @property
    def base_url(self) -> str:
        host = str(self.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_port}{_API_ROOT}"

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host's name up in DNS, which can
        # take seconds and tells nothing on loopback.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,
    ) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(
        self, request: socket.socket | tuple[bytes, socket.socket]
    ) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,
    ) -> None:
        # Clients hanging up mid-answer are part of what the site is for;
        # the default prints a traceback to stderr.
        _logger.debug("Connection from %s ended early", client_address, exc_info=True)

    def close_connections(self) -> None:
        """End every open connection, waking the threads that wait on them."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            # Closed already, by the client or by its handler, is fine too.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Reads one request at a time and answers it, faults included."""

    # HTTP/1.1 keeps connections open between requests, as real servers do;
    # every answer then needs an exact Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle's algorithm the
    # body would wait for the client's delayed ACK, 40 ms on Linux.
    disable_nagle_algorithm = True
    # A product token as RFC 9110, section 10.2.4 describes the Server header.
    server_version = f"FakeKonstantly/{__version__}"
    server: _Server

    def version_string(self) -> str:
        # The default appends " " and sys_version, the Python version, which
        # says nothing about the site.
        return self.server_version

    def do_GET(self) -> None:
        self._handle()

    # Every method a client may aim at a resource (RFC 9110's but CONNECT,
    # PATCH and QUERY) reaches _respond, which answers all but GET with 405
    # and `Allow: GET` (RFC 9110, section 15.5.6). Without a do_ method,
    # http.server sends an HTML 501, which says the method is unknown.
    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET
    do_TRACE = do_QUERY = do_GET

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The default line holds the query string; the path and status are
        # enough, and headers (the API key) are never logged.
        path = urlsplit(self.path).path
        _logger.debug("%s %s -> %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        _logger.debug(format, *args)

    def _handle(self) -> None:
        site = self.server.site
        request = self._recorded_request()
        self._discard_request_body()
        site._record(request)

        if not self._pause(site.latency):
            self.close_connection = True
            return
        fault = None
        if request.method == "GET" and _ASSIGNMENTS_PATH.fullmatch(request.path):
            fault = site._take_fault()
        replacement = fault._replacement() if fault is not None else None
        response = site._respond(request) if replacement is None else replacement

        if fault is None or replacement is not None:
            self._send(response)
        elif fault.kind == "delay":
            if self._pause(fault.seconds):
                self._send(response)
            else:
                self.close_connection = True
        elif fault.kind == "drop":
            self.close_connection = True
        elif fault.kind == "truncate":
            self._send_truncated(response, fault.keep)
        else:
            self._send_slowly(response, fault.seconds, fault.chunk)

    def _recorded_request(self) -> RecordedRequest:
        url = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return RecordedRequest(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=headers,
            received_at=time.monotonic(),
        )

    def _discard_request_body(self) -> None:
        """Read a request body away, so the connection can take another request."""
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") is not None:
            self.close_connection = True
        elif length is not None:
            size = _parse_int(length.strip())
            if size is None or size > _MAX_REQUEST_BODY:
                self.close_connection = True
            elif size:
                self.rfile.read(size)

    def _pause(self, seconds: float) -> bool:
        """Wait, unless the site stops first; says whether to go on."""
        if seconds > 0:
            return not self.server.stopping.wait(seconds)
        return not self.server.stopping.is_set()

    def _send_head(self, response: _Response) -> None:
        self.send_response(response.status)
        names = set()
        for name, value in response.headers:
            self.send_header(name, value)
            names.add(name.lower())
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection and "connection" not in names:
            # RFC 9112, section 9.6: a server that will close after this
            # answer says so, so the client does not send another request.
            self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, response: _Response) -> None:
        self._send_head(response)
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _send_truncated(self, response: _Response, keep: int | None) -> None:
        kept = len(response.body) // 2 if keep is None else keep
        kept = max(0, min(kept, len(response.body) - 1))
        self._send_head(response)
        self.wfile.write(response.body[:kept])
        self.close_connection = True

    def _send_slowly(self, response: _Response, interval: float, chunk: int) -> None:
        self._send_head(response)
        for start in range(0, len(response.body), chunk):
            if not self._pause(interval):
                self.close_connection = True
                return
            self.wfile.write(response.body[start : start + chunk])


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    data: str | os.PathLike[str] | None = None,
    api_key: str | None = None,
) -> None:
    """Run a fake Konstantly site in the foreground until SIGINT or SIGTERM.

    It prints three lines on stdout, flushed at once, so a script can start
    the site and read where it is from the first:

        Fake Konstantly site at http://127.0.0.1:8123/openapi/v1
        Groups: 123, 200, 201, 202, 203
        Press Ctrl+C to stop.

    The base URL ends the first line; an IPv6 host is in brackets. The second
    lists the group ids served, in increasing order. Errors are raised, never
    printed, and nothing more is printed on stopping.

    Args:
        host: The loopback address to listen on.
        port: The port to listen on; 0 picks a free one.
        data: A JSON file to serve instead of the bundled groups, in UTF-8
            (a leading byte order mark is skipped): either one AssignmentList
            body (an object with an "assignments" array of objects and an
            integer "totalCount" of 0 or more), served byte for byte as group
            123, or an object mapping group ids (positive integers written in
            digits, such as "7") to AssignmentList bodies. An empty object is
            refused, since it would serve no group at all. `None` serves the
            bundled groups.
        api_key: The API key to accept; `None` takes `$KONSTANTLY_API_KEY`,
            or `"test-key"` when that is unset or empty.

    Raises:
        FakeSiteError: If `host` is not a loopback address, the port is taken,
            the data file is unreadable, not UTF-8, not JSON, nested too
            deeply, holds a name twice in one object, names a group twice
            (as "7" and "007") or is not in one of the shapes above, or the
            call is not made from the main thread (signals need it).
    """
    if threading.current_thread() is not threading.main_thread():
        message = "serve() waits for signals, so call it from the main thread."
        raise FakeSiteError(message)
    _check_loopback(host)
    _check_port(port)
    groups = None if data is None else _load_data_file(data)
    if api_key is None:
        api_key = os.environ.get("KONSTANTLY_API_KEY") or DEFAULT_API_KEY

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    previous = {
        signum: signal.signal(signum, request_stop)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        site = FakeKonstantly(
            api_key=api_key, bundled=groups is None, host=host, port=port
        )
        if groups is not None:
            site._replace_groups(groups)
        with site:
            print(f"Fake Konstantly site at {site.base_url}", flush=True)
            print(f"Groups: {', '.join(map(str, site.group_ids))}", flush=True)
            print("Press Ctrl+C to stop.", flush=True)
            # A timeout keeps the wait short enough for signal handlers to
            # run promptly on every platform.
            while not stop_requested.wait(0.2):
                pass
    finally:
        for signum, handler in previous.items():
            # None stands for a handler set outside Python; it cannot be put back.
            if handler is not None:
                signal.signal(signum, handler)


def _load_data_file(path: str | os.PathLike[str]) -> dict[int, _Group]:
    """The groups a `serve(data=...)` file describes."""
    name = os.fspath(path)
    try:
        with Path(path).open("rb") as data_file:
            raw = data_file.read(_MAX_DATA_FILE + 1)
    except OSError as error:
        message = f"Cannot read the data file {name!r}: {error.strerror or error}."
        raise FakeSiteError(message) from error
    if len(raw) > _MAX_DATA_FILE:
        message = (
            f"The data file {name!r} is larger than {_MAX_DATA_FILE // 2**20} MiB, "
            "far beyond what a client takes in; serve smaller groups."
        )
        raise FakeSiteError(message)
    document = _parse_data_file(raw, name)

    if isinstance(document, dict) and "assignments" in document:
        where = f"The data file {name!r}"
        source = raw.removeprefix(codecs.BOM_UTF8)
        return {_DOCUMENTED_GROUP_ID: _group_from_body(document, where, source)}
    if isinstance(document, dict) and not document:
        message = (
            f"The data file {name!r} is an empty object, which would serve no "
            'group at all; map a group id to a body, as in {"7": '
            '{"assignments": [], "totalCount": 0}}.'
        )
        raise FakeSiteError(message)
    if not isinstance(document, dict):
        message = (
            f"The data file {name!r} holds neither an AssignmentList body (an "
            'object with "assignments" and "totalCount") nor an object mapping '
            "group ids to such bodies."
        )
        raise FakeSiteError(message)

    groups: dict[int, _Group] = {}
    keys: dict[int, str] = {}
    for key, body in document.items():
        group_id = _parse_int(key)
        if group_id is None or group_id < 1:
            message = (
                f"The data file {name!r} uses {reprlib.repr(key)} as a group id; "
                'group ids are positive 64-bit integers written in digits, such as "7".'
            )
            raise FakeSiteError(message)
        if group_id in keys:
            message = (
                f"The data file {name!r} names group {group_id} twice, as "
                f"{keys[group_id]!r} and {key!r}; keep one of them."
            )
            raise FakeSiteError(message)
        keys[group_id] = key
        where = f"Group {key} in the data file {name!r}"
        groups[group_id] = _group_from_body(body, where)
    return groups


def _parse_data_file(raw: bytes, name: str) -> Any:
    """The JSON value in a data file's bytes; a FakeSiteError says what is wrong."""
    try:
        # RFC 8259, section 8.1: JSON between systems is UTF-8, and a parser
        # may skip a byte order mark, which some editors write.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = (
            f"The data file {name!r} is not UTF-8 text: the byte "
            f"{raw[error.start]:#04x} at offset {error.start} cannot start or "
            "continue a character. Save it as UTF-8, the encoding JSON uses."
        )
        raise FakeSiteError(message) from error

    too_deep = (
        f"The data file {name!r} nests arrays or objects more than "
        f"{_MAX_DATA_DEPTH} levels deep; a data file needs five at most."
    )
    try:
        document = json.loads(text, object_pairs_hook=_object_with_unique_names)
    except _DuplicateNameError as error:
        message = (
            f"The data file {name!r} has the name {error.name!r} twice in one "
            "object, and all but the last would be lost; keep one of them."
        )
        raise FakeSiteError(message) from error
    except RecursionError as error:
        raise FakeSiteError(too_deep) from error
    except ValueError as error:
        message = f"The data file {name!r} is not valid JSON: {error}."
        raise FakeSiteError(message) from error

    # Python's own limit is near 1000 levels and depends on how deep the call
    # stack already is, so a file just under it here could fail later, when
    # a serving thread encodes it again.
    if _nesting_depth(document) > _MAX_DATA_DEPTH:
        raise FakeSiteError(too_deep)
    return document


class _DuplicateNameError(Exception):
    """A JSON object holds the same name twice."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _object_with_unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a name given twice (RFC 8259, section 4)."""
    value: dict[str, Any] = {}
    for name, item in pairs:
        if name in value:
            raise _DuplicateNameError(name)
        value[name] = item
    return value


def _nesting_depth(document: Any) -> int:
    """How many arrays and objects deep a decoded JSON value goes, without recursion."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            pending.extend((item, depth + 1) for item in value)
    return deepest


def _group_from_body(body: Any, where: str, source: bytes | None = None) -> _Group:
    """A group serving an AssignmentList body; `where` starts error messages."""
    shape = 'an object with an "assignments" array and an integer "totalCount"'
    if not isinstance(body, dict):
        message = f"{where} is not an AssignmentList body ({shape})."
        raise FakeSiteError(message)
    assignments = body.get("assignments")
    total_count = body.get("totalCount")
    if not isinstance(assignments, list):
        message = f'{where} has no "assignments" array; an AssignmentList is {shape}.'
        raise FakeSiteError(message)
    if not all(isinstance(assignment, dict) for assignment in assignments):
        message = f'{where} has an item of "assignments" that is not an object.'
        raise FakeSiteError(message)
    if type(total_count) is not int or total_count < 0:
        message = (
            f'{where} has "totalCount": {json.dumps(total_count)}; it must be an '
            "integer of 0 or more."
        )
        raise FakeSiteError(message)

    return _Group(
        assignments=tuple(assignments),
        total_count=None if total_count == len(assignments) else total_count,
        source=source,
    )


@functools.cache
def _bundled_groups() -> dict[int, _Group]:
    """The groups shipped in konstantly/testing/data, read once."""
    groups = {}
    for entry in resources.files("konstantly.testing").joinpath("data").iterdir():
        match = _GROUP_FILE.fullmatch(entry.name)
        if match is None:
            continue
        group_id = int(match["group_id"])
        raw = entry.read_bytes()
        group = _group_from_body(json.loads(raw), f"Bundled {entry.name}", raw)
        page_size = _BUNDLED_PAGE_SIZES.get(group_id)
        groups[group_id] = dataclasses.replace(group, page_size=page_size)
    return groups


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        # ip_address() takes integers too; a host is spelt as a str.
        loopback = isinstance(host, str) and ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        message = (
            f"The fake site listens on loopback only, and {host!r} is not a "
            "loopback address: use 127.0.0.1, ::1 or localhost."
        )
        raise FakeSiteError(message)


def _check_port(port: int) -> None:
    if not _is_int(port) or not 0 <= port <= 65535:
        message = f"Ports run from 0 (any free port) to 65535, not {port!r}."
        raise FakeSiteError(message)


def _check_group_id(group_id: int) -> None:
    if not _is_int(group_id) or not 1 <= group_id <= _INT64_MAX:
        message = f"Group ids are positive 64-bit integers, not {group_id!r}."
        raise FakeSiteError(message)


def _check_int(what: str, value: int, minimum: int, maximum: int | None = None) -> None:
    """Refuse anything but an int (a bool is not one) from minimum to maximum."""
    if maximum is None:
        in_range = _is_int(value) and minimum <= value
        allowed = f"an integer of {minimum} or more"
    else:
        in_range = _is_int(value) and minimum <= value <= maximum
        allowed = f"an integer from {minimum} to {maximum}"
    if not in_range:
        message = f"{what} must be {allowed}, not {value!r}."
        raise FakeSiteError(message)


def _check_seconds(what: str, seconds: float, *, positive: bool = False) -> None:
    """Refuse anything but a number of seconds a thread can wait for."""
    number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    # Every comparison with NaN is false, so NaN fails here too.
    if not number or not (seconds > 0 if positive else seconds >= 0):
        allowed = "above 0" if positive else "of 0 or more"
        message = f"{what} must be a number of seconds {allowed}, not {seconds!r}."
        raise FakeSiteError(message)
    if seconds > threading.TIMEOUT_MAX:
        message = (
            f"{what} must be at most {threading.TIMEOUT_MAX:.0f} seconds, the "
            f"longest a thread can wait, not {seconds!r}."
        )
        raise FakeSiteError(message)


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True as a count or an id is a mistake;
    # IntEnum members such as http.HTTPStatus.OK are welcome.
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_int(text: str) -> int | None:
    """The integer of 0 to 2**63 - 1 spelt with ASCII digits only, or None."""
    if not _DIGITS.fullmatch(text):
        return None
    # int() refuses strings of over 4300 digits (CPython's int_max_str_digits);
    # anything over 19 significant digits is beyond 64 bits anyway.
    significant = text.lstrip("0")
    if len(significant) > len(str(_INT64_MAX)):
        return None
    value = int(text)
    return value if value <= _INT64_MAX else None


def _encode_body(what: str, body: object) -> bytes:
    """A response body as bytes: bytes as they are, a str as UTF-8, JSON otherwise."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError as error:
            message = f"{what} cannot be encoded as UTF-8: {error}."
            raise FakeSiteError(message) from error
    if isinstance(body, dict | list):
        try:
            return _json_bytes(body)
        except (TypeError, ValueError, RecursionError) as error:
            message = f"{what} cannot be encoded as JSON: {error}."
            raise FakeSiteError(message) from error

    message = (
        f"{what} must be bytes (sent as they are), a str (sent as UTF-8) or a "
        f"dict or list (sent as JSON), not {_describe_value(body)}."
    )
    raise FakeSiteError(message)


def _describe_value(value: object) -> str:
    """A value's type and a short repr of it, for error messages."""
    return f"{type(value).__name__} {reprlib.repr(value)}"


def _json_bytes(value: Any) -> bytes:
    # RFC 8259 makes UTF-8 the encoding of JSON, so non-ASCII names go over
    # the wire as UTF-8 rather than as \\u escapes.
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _error_body(status: int, message: str, **extra: Any) -> bytes:
    return _json_bytes({"status": status, "message": message, **extra})


def _error(
    status: int, message: str, *, headers: tuple[tuple[str, str], ...] = ()
) -> _Response:
    body = _error_body(status, message)
    return _Response(status, body, (("Content-Type", _JSON), *headers))


def _validation_error(field: str, problem: str) -> _Response:
    body = _error_body(400, "Validation failed", errors={field: [problem]})
    return _Response(400, body)


def _reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
