from __future__ import annotations

import asyncio
import copy as _copy
import json
import logging
import weakref
from datetime import tzinfo
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx
from konstantly_openapi import Client as GeneratedClient
from konstantly_openapi.api.groups import list_group_assignments

from . import _transport
from ._config import Settings, resolve_max_retries, resolve_settings, resolve_timeout
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    InvalidArgumentError,
    KonstantlyError,
    ResponseValidationError,
    status_error,
)
from ._groups import AsyncGroups, Groups
from ._logging import hide_in_http_logs
from ._retry import RetryPolicy, parse_retry_after
from ._validation import parse_assignment_list
from ._version import __version__

__all__ = ["AsyncKonstantly", "Konstantly"]

logger = logging.getLogger(__name__)

USER_AGENT = f"konstantly-python/{__version__}"
# Room for MAX_CONCURRENCY groups at once, each on a connection kept alive.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=64)
_CLOSED = (
    "This client is closed, as its `with` block ended or close() was called; "
    "create a new client."
)
_MAX_MESSAGE = 500
_MAX_EXCERPT = 200
_Error = TypeVar("_Error", bound=KonstantlyError)


class _Core:
    """What the synchronous and asynchronous clients share: settings and rules."""

    def __init__(
        self,
        *,
        api_key: str | None,
        site: str | None,
        base_url: str | None,
        timezone: str | tzinfo,
        timeout: float | httpx.Timeout,
        max_retries: int,
        max_retry_wait: float,
    ) -> None:
        self.settings: Settings = resolve_settings(
            api_key=api_key,
            site=site,
            base_url=base_url,
            timezone=timezone,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
        )
        hide_in_http_logs(self.settings.api_key)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-API-KEY": self.settings.api_key,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            # Only what the transport can inflate within MAX_BODY_BYTES; httpx
            # would also ask for br and zstd whenever their packages are
            # installed, and hand back however much they decode to.
            "Accept-Encoding": "gzip, deflate",
        }

    def call_options(
        self, timeout: float | httpx.Timeout | None, max_retries: int | None
    ) -> tuple[RetryPolicy, httpx.Timeout]:
        """The retry policy and timeout of one call, from its overrides."""
        settings = self.settings
        if max_retries is not None:
            max_retries = resolve_max_retries(max_retries, error=InvalidArgumentError)
        policy = RetryPolicy(
            max_retries=settings.max_retries if max_retries is None else max_retries,
            max_retry_wait=settings.max_retry_wait,
        )
        if timeout is None:
            return policy, settings.timeout
        return policy, resolve_timeout(timeout, error=InvalidArgumentError)

    def page_or_error(self, response: httpx.Response) -> dict[str, Any]:
        """The checked body of a page, or the typed error its answer means."""
        logger.debug("HTTP %d for %s", response.status_code, response.request.url.path)
        if response.status_code != 200:
            raise self.status_error(response)

        try:
            return parse_assignment_list(response.content)
        except ResponseValidationError as error:
            failure = error
        # Raised outside the except clause, so that the copy carries neither
        # the first error nor the body as its context.
        raise self.redacted(failure)

    def status_error(self, response: httpx.Response) -> APIStatusError:
        """The typed error for a non-200 answer, with nothing secret in it."""
        status_code = response.status_code
        location = response.headers.get("Location")
        if 300 <= status_code < 400 and location:
            message = (
                f"The server redirected to {location!r}. Redirects are not "
                "followed, so that the API key goes to no other address; check "
                "the site or base_url."
            )
        else:
            message = _server_message(response) or _describe(response)

        excerpt = " ".join(response.content[:1000].decode("utf-8", "replace").split())
        return status_error(
            status_code,
            self.redact(message)[:_MAX_MESSAGE],
            body_excerpt=self.redact(excerpt)[:_MAX_EXCERPT],
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def redact(self, text: str) -> str:
        """`text` with the API key blotted out, should a server echo it."""
        return text.replace(self.settings.api_key, "[redacted]")

    def redacted(self, error: _Error) -> _Error:
        """
        A copy of `error` whose message has the key blotted out.

        Messages quote what the server sent (a body, a status line, a header),
        where a hostile server or a proxy may echo the key. The copy has no
        cause, context or traceback of its own yet.
        """
        copy = _copy.copy(error)
        copy.message = self.redact(error.message)
        copy.args = (copy.message,)
        return copy

    def repr(self, name: str) -> str:
        base_url = self.settings.base_url
        timezone = str(self.settings.timezone)
        return f"{name}(base_url={base_url!r}, timezone={timezone!r})"


def _server_message(response: httpx.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message.strip() else None


def _describe(response: httpx.Response) -> str:
    status = f"{response.status_code} {response.reason_phrase}".strip()
    if not response.content.strip():
        return f"The server answered {status} with an empty body."
    content_type = response.headers.get("Content-Type", "no content type")
    return (
        f"The server answered {status} with a body that is not the API's error "
        f"format ({content_type}); a proxy in front of the site may have answered."
    )


def _transport_error(error: httpx.HTTPError) -> APIConnectionError:
    """
    The typed error for a failed request, with httpx's words in its message.

    Raise it outside the except clause: httpx's error holds the request, and
    the request its headers, the key among them, so it must be neither the
    typed error's cause nor its context.
    """
    # httpx's messages may or may not end in a full stop; these end with one.
    details = str(error).rstrip(".") or "no details"
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"The server did not answer in time: {details}.")
    return APIConnectionError(f"The request failed: {type(error).__name__}: {details}.")


class _ClientBase:
    """The settings, the generated client and the rules both clients share."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        site: str | None = None,
        base_url: str | None = None,
        timezone: str | tzinfo = "UTC",
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 2,
        max_retry_wait: float = 60.0,
    ) -> None:
        self._core = _Core(
            api_key=api_key,
            site=site,
            base_url=base_url,
            timezone=timezone,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
        )
        settings = self._core.settings
        self._api = GeneratedClient(base_url=settings.base_url)
        self._options: dict[str, Any] = {
            "base_url": settings.base_url,
            "headers": self._core.headers,
            "timeout": settings.timeout,
            "follow_redirects": False,
        }
        self._connect()

    def _connect(self) -> None:
        """Give the generated client its httpx client, and the client its groups."""
        raise NotImplementedError

    @property
    def timezone(self) -> tzinfo:
        """The calendar that relative deadlines are counted in."""
        return self._core.settings.timezone

    def __repr__(self) -> str:
        return self._core.repr(type(self).__name__)


class Konstantly(_ClientBase):
    """
    A client for the Konstantly REST API.

    Every argument falls back to an environment variable, so that
    `Konstantly()` works where the environment is set up. Use it as a context
    manager, or call `close()`, to release its connections.

    Args:
        api_key: The site's API key. None reads `KONSTANTLY_API_KEY`.
        site: The site's name, as in `https://<site>.konstant.ly`. None reads
            `KONSTANTLY_SITE`.
        base_url: The API's full address; wins over `site`. None reads
            `KONSTANTLY_BASE_URL`. Plain http is accepted only for loopback.
        timezone: The calendar that relative deadlines are counted in: an IANA
            name or a tzinfo.
        timeout: Seconds one attempt may take in all (connecting takes at most
            5 of them), or an httpx.Timeout.
        max_retries: How often a failed request is tried again.
        max_retry_wait: The longest pause, in seconds, a server may ask for in
            `Retry-After`; a longer one raises RateLimitError at once.

    Raises:
        ConfigurationError: A setting is missing or invalid.
    """

    def _connect(self) -> None:
        transport = httpx.HTTPTransport(limits=POOL_LIMITS)
        self._api.set_httpx_client(
            httpx.Client(
                transport=_transport.SyncAttemptTransport(transport), **self._options
            )
        )
        self.groups = Groups(self)

    def close(self) -> None:
        """Release the client's connections; the client cannot be used after."""
        self._api.get_httpx_client().close()

    def _check_open(self) -> None:
        if self._api.get_httpx_client().is_closed:
            raise ConfigurationError(_CLOSED)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _fetch_page(
        self, group_id: int, offset: int, timeout: httpx.Timeout
    ) -> dict[str, Any]:
        request = _page_request(group_id, offset)
        token = _transport.start(_transport.Attempt(timeout))
        failure: KonstantlyError | None = None
        try:
            response = self._api.get_httpx_client().request(**request)
        except httpx.HTTPError as exc:
            failure = _transport_error(exc)
        except ResponseValidationError as exc:  # the transport's size and coding
            failure = exc
        finally:
            _transport.finish(token)
        if failure is not None:
            raise self._core.redacted(failure)
        return self._core.page_or_error(response)


def _running_asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop running this code; None under another library (trio)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _page_request(group_id: int, offset: int) -> dict[str, Any]:
    # The generated module builds the request (method, path, query) as the
    # spec describes it. Its sync_detailed() would also decode the body a
    # second time and build every generated model at once; the facade checks
    # the body itself and builds each model when it is first read.
    logger.debug("GET /groups/%d/assignments (offset %d)", group_id, offset)
    return list_group_assignments._get_kwargs(group_id, offset=offset)


class AsyncKonstantly(_ClientBase):
    """
    An asynchronous client for the Konstantly REST API.

    It takes the same arguments as `Konstantly` and offers the same methods,
    as coroutines. Use it with `async with`, or await `aclose()`.

    Raises:
        ConfigurationError: A setting is missing or invalid.
    """

    def _connect(self) -> None:
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        transport = httpx.AsyncHTTPTransport(limits=POOL_LIMITS)
        self._api.set_async_httpx_client(
            httpx.AsyncClient(
                transport=_transport.AsyncAttemptTransport(transport), **self._options
            )
        )
        self.groups = AsyncGroups(self)

    async def aclose(self) -> None:
        """Release the client's connections; the client cannot be used after."""
        await self._api.get_async_httpx_client().aclose()

    def _check_open(self) -> None:
        if self._api.get_async_httpx_client().is_closed:
            raise ConfigurationError(_CLOSED)

        # Pooled connections belong to the event loop that opened them, and
        # another loop cannot use them (httpx fails with "Event loop is
        # closed"), so a client stays with the loop of its first call.
        loop = _running_asyncio_loop()
        if loop is None:
            return
        if self._loop is None:
            self._loop = weakref.ref(loop)
        elif self._loop() is not loop:
            message = (
                "This client was first used in another event loop, whose "
                "connections it cannot share; create one client inside each "
                "asyncio.run(), or keep one loop for the client's life."
            )
            raise ConfigurationError(message)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _fetch_page(
        self, group_id: int, offset: int, timeout: httpx.Timeout
    ) -> dict[str, Any]:
        request = _page_request(group_id, offset)
        token = _transport.start(_transport.Attempt(timeout))
        failure: KonstantlyError | None = None
        try:
            # The cancel scope bounds the whole attempt, however slowly the
            # server sends its headers or its body.
            with anyio.fail_after(_transport.budget(timeout)):
                http_client = self._api.get_async_httpx_client()
                response = await http_client.request(**request)
        except TimeoutError:
            failure = APITimeoutError("The server did not answer within the timeout.")
        except httpx.HTTPError as exc:
            failure = _transport_error(exc)
        except ResponseValidationError as exc:  # the transport's size and coding
            failure = exc
        finally:
            _transport.finish(token)
        if failure is not None:
            raise self._core.redacted(failure)
        return self._core.page_or_error(response)
