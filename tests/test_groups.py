"""Many groups at once, and the rules every call keeps, on both clients."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import konstantly
import pytest
from konstantly.testing import FakeKonstantly, Fault

# Bundled groups 123, 200 and 201 hold 2, 4 and 6 assignments; this one is
# unknown to the fake site.
MISSING = 999


@pytest.fixture(scope="module")
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as fake_site:
        yield fake_site


@pytest.fixture
def client(site: FakeKonstantly) -> Iterator[konstantly.Konstantly]:
    with konstantly.Konstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=0
    ) as sync_client:
        yield sync_client


def sizes(results: dict[int, Any]) -> dict[int, Any]:
    return {
        group_id: len(result)
        if isinstance(result, konstantly.GroupAssignments)
        # The error's class stands for the error.
        else type(result).__name__
        for group_id, result in results.items()
    }


def test_many_groups_in_the_order_asked(client: konstantly.Konstantly) -> None:
    """The dict follows the ids' order, each id once."""
    results = client.groups.list_assignments_many([201, 123, 200, 123], concurrency=2)

    assert list(results) == [201, 123, 200]
    assert sizes(results) == {201: 6, 123: 2, 200: 4}


def test_failed_group_is_kept_with_return_exceptions(
    client: konstantly.Konstantly,
) -> None:
    """With return_exceptions, a failed group holds its error; the rest arrive."""
    results = client.groups.list_assignments_many(
        [123, MISSING, 200], return_exceptions=True
    )

    assert sizes(results) == {123: 2, MISSING: "NotFoundError", 200: 4}


def test_first_error_is_raised_without_return_exceptions(
    client: konstantly.Konstantly,
) -> None:
    """By default the group's own typed error is raised, not a wrapper."""
    with pytest.raises(konstantly.NotFoundError):
        client.groups.list_assignments_many([123, MISSING, 200])


def test_on_result_sees_every_group(client: konstantly.Konstantly) -> None:
    """The callback gets each group once, with its result or error."""
    seen: dict[int, str] = {}

    client.groups.list_assignments_many(
        [123, MISSING],
        return_exceptions=True,
        on_result=lambda group_id, result: seen.update(
            {group_id: type(result).__name__}
        ),
    )

    assert seen == {123: "GroupAssignments", MISSING: "NotFoundError"}


class CallbackFailed(Exception):
    """The caller's own error, raised from its callback."""


def failing_callback(group_id: int, result: object) -> None:
    raise CallbackFailed(group_id)


def test_callback_error_is_raised_as_it_is(client: konstantly.Konstantly) -> None:
    """An error of the caller's callback comes back unwrapped."""
    with pytest.raises(CallbackFailed):
        client.groups.list_assignments_many([123], on_result=failing_callback)


@pytest.mark.anyio
async def test_async_callback_error_is_raised_as_it_is(site: FakeKonstantly) -> None:
    """The asynchronous client raises it unwrapped too, not in an ExceptionGroup."""
    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url
    ) as client:
        with pytest.raises(CallbackFailed):
            await client.groups.list_assignments_many(
                [123, 200], on_result=failing_callback
            )


@pytest.mark.anyio
async def test_async_many_groups(site: FakeKonstantly) -> None:
    """The asynchronous client gives the same dict, errors in place."""
    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=0
    ) as client:
        results = await client.groups.list_assignments_many(
            [200, MISSING, 123], concurrency=3, return_exceptions=True
        )

    assert sizes(results) == {200: 4, MISSING: "NotFoundError", 123: 2}


async def coroutine_callback(group_id: int, result: object) -> None:
    """A coroutine function, which the client would never await."""


@pytest.mark.parametrize(
    "options",
    [
        {"group_ids": [123, "200"]},
        {"group_ids": "123"},
        {"group_ids": 123},
        {"concurrency": 0},
        {"concurrency": 65},
        {"concurrency": True},
        {"return_exceptions": "yes"},
        {"on_result": 5},
        {"on_result": coroutine_callback},
    ],
)
def test_wrong_arguments_are_refused_before_any_request(
    client: konstantly.Konstantly, site: FakeKonstantly, options: dict[str, Any]
) -> None:
    """Every argument is checked before the first request goes out."""
    site.clear_requests()
    arguments = {"group_ids": [123, 200], **options}

    with pytest.raises(konstantly.InvalidArgumentError):
        client.groups.list_assignments_many(**arguments)

    assert site.requests == []


def test_closed_client_says_so(site: FakeKonstantly) -> None:
    """A call after close() is a ConfigurationError, not httpx's RuntimeError."""
    client = konstantly.Konstantly(api_key=site.api_key, base_url=site.base_url)
    client.close()

    with pytest.raises(konstantly.ConfigurationError, match="closed"):
        client.groups.list_assignments(123)


@pytest.mark.anyio
async def test_closed_async_client_says_so(site: FakeKonstantly) -> None:
    """The asynchronous client says the same after aclose()."""
    client = konstantly.AsyncKonstantly(api_key=site.api_key, base_url=site.base_url)
    await client.aclose()

    with pytest.raises(konstantly.ConfigurationError, match="closed"):
        await client.groups.list_assignments(123)


def test_second_event_loop_is_refused(site: FakeKonstantly) -> None:
    """A client whose connections live in one loop says so in another."""
    client = konstantly.AsyncKonstantly(api_key=site.api_key, base_url=site.base_url)
    first_loop = asyncio.new_event_loop()
    try:
        first = first_loop.run_until_complete(client.groups.list_assignments(123))
        with pytest.raises(konstantly.ConfigurationError, match="another event loop"):
            asyncio.run(client.groups.list_assignments(123))
        again = first_loop.run_until_complete(client.groups.list_assignments(123))
    finally:
        first_loop.run_until_complete(client.aclose())
        first_loop.close()

    assert len(first) == len(again) == 2


def test_interrupt_returns_while_requests_are_under_way() -> None:
    """Ctrl+C during many groups comes back before the stalled group ends."""
    arrived: list[int] = []
    with FakeKonstantly() as stalling_site:
        stalling_site.inject(Fault.delay(60.0))

        def interrupt_once_asked() -> None:
            while not stalling_site.requests:
                time.sleep(0.01)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

        with konstantly.Konstantly(
            api_key=stalling_site.api_key,
            base_url=stalling_site.base_url,
            timeout=120.0,
        ) as client:
            threading.Thread(target=interrupt_once_asked, daemon=True).start()
            with pytest.raises(KeyboardInterrupt):
                client.groups.list_assignments_many(
                    [123], on_result=lambda group_id, _: arrived.append(group_id)
                )

            # Nothing had arrived: the call did not wait for the stalled group.
            assert arrived == []
