from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ._errors import InvalidArgumentError, KonstantlyError
from ._models import GroupAssignments
from ._pagination import Pager

if TYPE_CHECKING:
    from ._client import AsyncKonstantly, Konstantly
    from ._retry import RetryPolicy

__all__ = ["MAX_CONCURRENCY", "AsyncGroups", "Groups", "check_group_id"]

logger = logging.getLogger(__name__)

# Below the connection pool's size (see _client.POOL_LIMITS), so that many
# groups at once queue here rather than time out waiting for a connection.
MAX_CONCURRENCY = 64
_MAX_GROUP_ID = 2**63 - 1

GroupResult = GroupAssignments | KonstantlyError
OnResult = Callable[[int, GroupResult], None]


class Groups:
    """The group endpoints of a synchronous client: `client.groups`."""

    def __init__(self, client: Konstantly) -> None:
        self._client = client

    def list_assignments(
        self,
        group_id: int,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> GroupAssignments:
        """
        The courses assigned to a group, all pages of them.

        Args:
            group_id: The group's identifier, a positive int.
            timeout: This call's timeout per attempt; None keeps the client's.
            max_retries: This call's retry count; None keeps the client's.

        Returns:
            The assignments; `complete` is False when the server announced more
            than it delivered.

        Raises:
            InvalidArgumentError: An argument is wrong; nothing was sent.
            APIStatusError: The server answered with an error status (a subclass
                names which).
            APIConnectionError: No complete answer arrived, after all retries.
            ResponseValidationError: The answer does not match the API's schema.
        """
        client = self._client
        group_id, policy, call_timeout = _start(client, group_id, timeout, max_retries)
        pager = Pager(group_id, client.timezone, client._core.redact)

        offset: int | None = 0
        while offset is not None:
            page: dict[str, Any] = policy.retrying()(
                client._fetch_page, group_id, offset, call_timeout
            )
            offset = pager.add(page)
        return pager.result()

    def list_assignments_many(
        self,
        group_ids: Iterable[int],
        *,
        concurrency: int = 8,
        return_exceptions: bool = False,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        on_result: OnResult | None = None,
    ) -> dict[int, GroupResult]:
        """
        The assignments of many groups, fetched side by side on a thread pool.

        Args:
            group_ids: The groups; a group named twice is fetched once.
            concurrency: How many groups are fetched at the same time (1 to 64).
            return_exceptions: False raises the first group's error and stops
                the rest; True puts each failed group's error in the result.
            timeout: Each call's timeout per attempt; None keeps the client's.
            max_retries: Each call's retry count; None keeps the client's.
            on_result: Called with each group's id and result (or error) as it
                arrives, from a worker thread; for progress displays.

        Returns:
            A dict from group id to its GroupAssignments (or, with
            `return_exceptions=True`, to the KonstantlyError it ended in), in
            the order of `group_ids`.

        Raises:
            InvalidArgumentError: A group id or option is wrong; nothing was sent.
            KonstantlyError: With `return_exceptions=False`, the first error.
        """
        ids = _check_many(group_ids, concurrency, return_exceptions, on_result)
        self._client._core.call_options(timeout, max_retries)
        results: dict[int, GroupResult] = {}

        def fetch(group_id: int) -> None:
            try:
                result: GroupResult = self.list_assignments(
                    group_id, timeout=timeout, max_retries=max_retries
                )
            except KonstantlyError as error:
                if not return_exceptions:
                    raise
                result = error
            results[group_id] = result
            if on_result is not None:
                on_result(group_id, result)

        pool = ThreadPoolExecutor(concurrency, "konstantly")
        try:
            futures = [pool.submit(fetch, group_id) for group_id in ids]
            wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:
            # Ctrl+C gives control back at once, rather than after the
            # requests under way have ended.
            # Limitation: threads cannot be stopped, so those requests still
            # run to their end (within their timeout) in the background, and
            # the interpreter waits for them before it exits.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True, cancel_futures=True)

        # The shutdown waited for every group that had started.
        for future in futures:
            error = None if future.cancelled() else future.exception()
            if error is not None:
                raise error
        return {group_id: results[group_id] for group_id in ids}


class AsyncGroups:
    """The group endpoints of an asynchronous client: `client.groups`."""

    def __init__(self, client: AsyncKonstantly) -> None:
        self._client = client

    async def list_assignments(
        self,
        group_id: int,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> GroupAssignments:
        """
        The courses assigned to a group, all pages of them.

        See `Groups.list_assignments`: the arguments, result and errors are the
        same.
        """
        client = self._client
        group_id, policy, call_timeout = _start(client, group_id, timeout, max_retries)
        pager = Pager(group_id, client.timezone, client._core.redact)

        offset: int | None = 0
        while offset is not None:
            page: dict[str, Any] = await policy.async_retrying()(
                client._fetch_page, group_id, offset, call_timeout
            )
            offset = pager.add(page)
        return pager.result()

    async def list_assignments_many(
        self,
        group_ids: Iterable[int],
        *,
        concurrency: int = 8,
        return_exceptions: bool = False,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        on_result: OnResult | None = None,
    ) -> dict[int, GroupResult]:
        """
        The assignments of many groups, fetched side by side.

        A semaphore lets at most `concurrency` groups run at once; retries and
        `Retry-After` apply to each request on its own. See
        `Groups.list_assignments_many` for the arguments, result and errors.
        """
        ids = _check_many(group_ids, concurrency, return_exceptions, on_result)
        self._client._core.call_options(timeout, max_retries)
        results: dict[int, GroupResult] = {}
        failures: list[Exception] = []
        # Limitation: on a slow CPU the event loop, not the network, sets the
        # pace: httpcore's pool checks every idle connection each time it
        # hands one out. The thread pool of the synchronous client is not
        # held back that way.
        semaphore = anyio.Semaphore(concurrency)

        def stop(error: Exception, scope: anyio.CancelScope) -> None:
            failures.append(error)
            scope.cancel()

        async def fetch(group_id: int, scope: anyio.CancelScope) -> None:
            try:
                async with semaphore:
                    result: GroupResult = await self.list_assignments(
                        group_id, timeout=timeout, max_retries=max_retries
                    )
            except KonstantlyError as error:
                if not return_exceptions:
                    stop(error, scope)
                    return
                result = error
            results[group_id] = result
            try:
                if on_result is not None:
                    on_result(group_id, result)
            except Exception as error:  # the caller's own, raised as it is
                stop(error, scope)

        async with anyio.create_task_group() as tasks:
            for group_id in ids:
                tasks.start_soon(fetch, group_id, tasks.cancel_scope)
        if failures:
            raise failures[0]
        return {group_id: results[group_id] for group_id in ids}


def _start(
    client: Konstantly | AsyncKonstantly,
    group_id: int,
    timeout: float | httpx.Timeout | None,
    max_retries: int | None,
) -> tuple[int, RetryPolicy, httpx.Timeout]:
    """Check a call's arguments and the client before anything is sent."""
    group_id = check_group_id(group_id)
    policy, call_timeout = client._core.call_options(timeout, max_retries)
    client._check_open()
    return group_id, policy, call_timeout


def check_group_id(group_id: object) -> int:
    """`group_id` if it is a usable group identifier; raises otherwise."""
    if isinstance(group_id, bool) or not isinstance(group_id, int):
        message = (
            f"group_id must be an int, got {group_id!r}; convert identifiers read "
            "from text with int() first."
        )
        raise InvalidArgumentError(message)
    if not 1 <= group_id <= _MAX_GROUP_ID:
        message = f"group_id must be a positive 64-bit integer, got {group_id!r}."
        raise InvalidArgumentError(message)
    return group_id


def _check_many(
    group_ids: Iterable[int],
    concurrency: int,
    return_exceptions: bool,
    on_result: OnResult | None,
) -> list[int]:
    if not isinstance(return_exceptions, bool):
        message = f"return_exceptions must be True or False, got {return_exceptions!r}."
        raise InvalidArgumentError(message)
    if on_result is not None and (
        not callable(on_result) or inspect.iscoroutinefunction(on_result)
    ):
        message = (
            f"on_result must be a plain function taking a group id and a result, "
            f"got {on_result!r}; it is called, never awaited."
        )
        raise InvalidArgumentError(message)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        message = f"concurrency must be an int, got {concurrency!r}."
        raise InvalidArgumentError(message)
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        message = (
            f"concurrency must be between 1 and {MAX_CONCURRENCY}, got "
            f"{concurrency!r}; more would wait for connections anyway."
        )
        raise InvalidArgumentError(message)
    if isinstance(group_ids, str | bytes) or not isinstance(group_ids, Iterable):
        message = f"group_ids must be an iterable of ints, got {group_ids!r}."
        raise InvalidArgumentError(message)

    # Every id is checked before the first request, and each is fetched once.
    return list(dict.fromkeys(check_group_id(group_id) for group_id in group_ids))
