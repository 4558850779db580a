"""Which failures are tried again, how often, and how long the client waits.

Every call goes over real HTTP to a FakeKonstantly site. The pauses between
attempts are recorded through the retry controller's `sleep` hook instead of
being slept, so the tests assert the exact waits and stay fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import konstantly
import pytest
import tenacity
from konstantly._retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from konstantly.testing import FakeKonstantly, Fault

ASSIGNMENTS = "/openapi/v1/groups/123/assignments"


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as running:
        yield running


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses the retry controllers ask for, recorded instead of slept."""
    waits: list[float] = []
    make_sync = RetryPolicy.retrying
    make_async = RetryPolicy.async_retrying

    async def record_async(seconds: float) -> None:
        waits.append(seconds)

    def retrying(policy: RetryPolicy) -> tenacity.Retrying:
        controller = make_sync(policy)
        controller.sleep = waits.append
        return controller

    def async_retrying(policy: RetryPolicy) -> tenacity.AsyncRetrying:
        controller = make_async(policy)
        controller.sleep = record_async
        return controller

    monkeypatch.setattr(RetryPolicy, "retrying", retrying)
    monkeypatch.setattr(RetryPolicy, "async_retrying", async_retrying)
    return waits


@pytest.fixture
def jitter(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Fix the backoff's random jitter at a fraction of its range (0 to 1)."""

    def fix(fraction: float) -> None:
        monkeypatch.setattr(
            tenacity.wait.random,
            "uniform",
            lambda low, high: low + fraction * (high - low),
        )

    return fix


def make_client(site: FakeKonstantly, **options: Any) -> konstantly.Konstantly:
    return konstantly.Konstantly(
        api_key=site.api_key, base_url=site.base_url, **options
    )


def assignment_requests(site: FakeKonstantly) -> int:
    return sum(request.path == ASSIGNMENTS for request in site.requests)


def state_after(
    error: BaseException, attempt_number: int, policy: RetryPolicy
) -> tenacity.RetryCallState:
    """A retry state as tenacity builds it after attempt `attempt_number` failed."""
    state = tenacity.RetryCallState(policy.retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt_number
    state.set_exception((type(error), error, None))
    return state


def server_error(retry_after: float | None = None) -> konstantly.APIStatusError:
    return konstantly.InternalServerError(
        "Service unavailable", status_code=503, body_excerpt="", retry_after=retry_after
    )


RECOVERABLE_FAULTS = [
    pytest.param(Fault.drop(), id="dropped connection"),
    pytest.param(Fault.truncate(), id="truncated body"),
    pytest.param(Fault.delay(1.0), id="timeout"),
    *[pytest.param(Fault.status(code), id=str(code)) for code in (408, 429)],
    *[pytest.param(Fault.status(code), id=str(code)) for code in (500, 502, 503)],
    pytest.param(Fault.status(504), id="504"),
]


@pytest.mark.parametrize("fault", RECOVERABLE_FAULTS)
def test_get_is_tried_again_after_a_passing_failure(
    site: FakeKonstantly, sleeps: list[float], fault: Fault
) -> None:
    """Dropped, cut or slow answers and the statuses that say "not now" recover."""
    site.inject(fault)

    with make_client(site, timeout=0.3, max_retries=2) as client:
        result = client.groups.list_assignments(123)

    assert [assignment.course.id for assignment in result] == [123, 124]
    assert result.complete is True
    assert assignment_requests(site) == 2
    assert len(sleeps) == 1


def test_retryable_statuses_are_the_documented_ones() -> None:
    """Timeouts, rate limits and server or gateway failures, nothing else."""
    assert frozenset({408, 429, 500, 502, 503, 504}) == RETRYABLE_STATUSES


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, konstantly.BadRequestError),
        (401, konstantly.AuthenticationError),
        (403, konstantly.PermissionDeniedError),
        (404, konstantly.NotFoundError),
        (402, konstantly.APIStatusError),
        (409, konstantly.APIStatusError),
        (418, konstantly.APIStatusError),
        (422, konstantly.APIStatusError),
        (501, konstantly.InternalServerError),
        (505, konstantly.InternalServerError),
        (520, konstantly.InternalServerError),
    ],
)
def test_final_statuses_are_raised_after_one_request(
    site: FakeKonstantly,
    sleeps: list[float],
    status: int,
    error_class: type[konstantly.APIStatusError],
) -> None:
    """A status that will not change on its own is raised without a retry."""
    site.inject(Fault.status(status), times=5)

    with (
        make_client(site, max_retries=4) as client,
        pytest.raises(konstantly.APIStatusError) as caught,
    ):
        client.groups.list_assignments(123)

    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert assignment_requests(site) == 1
    assert sleeps == []


def test_redirect_is_not_tried_again(site: FakeKonstantly, sleeps: list[float]) -> None:
    """A 3xx is final: the client neither follows it nor asks again."""
    site.inject(Fault.redirect("http://127.0.0.1:9/elsewhere"), times=3)

    with (
        make_client(site, max_retries=2) as client,
        pytest.raises(konstantly.APIStatusError) as caught,
    ):
        client.groups.list_assignments(123)

    assert caught.value.status_code == 302
    assert assignment_requests(site) == 1


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_client_max_retries_bounds_the_requests(
    site: FakeKonstantly, sleeps: list[float], max_retries: int
) -> None:
    """A failure that persists is asked about max_retries + 1 times, then raised."""
    site.inject(Fault.status(503), times=10)

    with (
        make_client(site, max_retries=max_retries) as client,
        pytest.raises(konstantly.InternalServerError) as caught,
    ):
        client.groups.list_assignments(123)

    assert caught.value.status_code == 503
    assert assignment_requests(site) == max_retries + 1
    assert len(sleeps) == max_retries


@pytest.mark.parametrize(
    ("client_retries", "call_retries", "requests"), [(5, 1, 2), (0, 2, 3), (3, 0, 1)]
)
def test_call_max_retries_overrides_the_client(
    site: FakeKonstantly,
    sleeps: list[float],
    client_retries: int,
    call_retries: int,
    requests: int,
) -> None:
    """max_retries given to one call wins over the client's for that call only."""
    site.inject(Fault.status(502), times=10)

    with make_client(site, max_retries=client_retries) as client:
        with pytest.raises(konstantly.InternalServerError):
            client.groups.list_assignments(123, max_retries=call_retries)
        after_call = assignment_requests(site)
        site.clear_requests()
        with pytest.raises(konstantly.InternalServerError):
            client.groups.list_assignments(123)

    assert after_call == requests
    assert assignment_requests(site) == client_retries + 1


def test_the_default_is_two_retries(site: FakeKonstantly, sleeps: list[float]) -> None:
    """Without max_retries, a client asks three times in all."""
    site.inject(Fault.drop(), times=10)

    with make_client(site) as client, pytest.raises(konstantly.APIConnectionError):
        client.groups.list_assignments(123)

    assert assignment_requests(site) == 3


def test_each_page_is_retried_on_its_own(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """A failure on the second page asks for that page again, not the first."""
    site.inject(Fault.delay(0.0))  # the first page arrives unharmed
    site.inject(Fault.status(503, retry_after="0"))

    with make_client(site, max_retries=1) as client:
        result = client.groups.list_assignments(203)

    offsets = [request.query.get("offset") for request in site.requests]
    assert offsets == [["0"], ["20"], ["20"]]
    assert len(result) == 25
    assert result.complete is True
    assert sleeps == [0.0]


@pytest.mark.parametrize(
    ("attempt_number", "low", "high"),
    [(1, 0.5, 1.0), (2, 1.0, 1.5), (3, 2.0, 2.5), (4, 4.0, 4.5), (5, 8.0, 8.0)],
)
def test_backoff_doubles_from_half_a_second_with_jitter(
    jitter: Callable[[float], None], attempt_number: int, low: float, high: float
) -> None:
    """Each wait doubles, plus up to 0.5 s of jitter, never above 8 s."""
    policy = RetryPolicy(max_retries=10, max_retry_wait=60.0)
    state = state_after(server_error(), attempt_number, policy)

    jitter(0.0)
    least = policy.wait_seconds(state)
    jitter(1.0)
    most = policy.wait_seconds(state)

    assert (least, most) == (low, high)


@pytest.mark.parametrize("attempt_number", [6, 10, 60, 2000])
def test_backoff_is_capped_at_eight_seconds(
    jitter: Callable[[float], None], attempt_number: int
) -> None:
    """However many attempts failed, the pause stays at 8 s, with no overflow."""
    policy = RetryPolicy(max_retries=5000, max_retry_wait=60.0)
    jitter(1.0)

    wait = policy.wait_seconds(state_after(server_error(), attempt_number, policy))

    assert wait == 8.0


def test_backoff_jitter_spreads_the_waits() -> None:
    """Clients failing together do not all wait the same time."""
    policy = RetryPolicy(max_retries=3, max_retry_wait=60.0)
    state = state_after(konstantly.APIConnectionError("dropped"), 1, policy)

    waits = {policy.wait_seconds(state) for _ in range(200)}

    assert len(waits) > 100
    assert min(waits) >= 0.5
    assert max(waits) <= 1.0


@pytest.mark.parametrize(
    ("retry_after", "expected"), [(0.0, 0.0), (7.5, 7.5), (60.0, 60.0), (-3.0, 0.0)]
)
def test_server_wait_is_kept_within_zero_and_max_retry_wait(
    retry_after: float, expected: float
) -> None:
    """The server's wish is the wait, but never below 0 or above max_retry_wait."""
    policy = RetryPolicy(max_retries=2, max_retry_wait=60.0)

    wait = policy.wait_seconds(state_after(server_error(retry_after), 1, policy))

    assert wait == expected


def test_wait_function_clamps_a_wish_beyond_max_retry_wait() -> None:
    """Should a longer wish reach the wait function, it waits max_retry_wait."""
    policy = RetryPolicy(max_retries=2, max_retry_wait=5.0)

    wait = policy.wait_seconds(state_after(server_error(3600.0), 1, policy))

    assert wait == 5.0


def test_retry_after_seconds_are_waited_exactly(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """Retry-After in delta-seconds is the pause, on 429 and 503 alike."""
    site.inject(Fault.status(429, retry_after="0"))
    site.inject(Fault.status(503, retry_after="1"))
    site.inject(Fault.status(429, retry_after="3"))

    with make_client(site, max_retries=3) as client:
        result = client.groups.list_assignments(123)

    assert len(result) == 2
    assert sleeps == [0.0, 1.0, 3.0]
    assert assignment_requests(site) == 4


def test_retry_after_seconds_are_really_waited(site: FakeKonstantly) -> None:
    """Without the recording, a Retry-After of 1 s really pauses the client."""
    site.inject(Fault.status(429, retry_after="1"))

    with make_client(site, max_retries=1) as client:
        client.groups.list_assignments(123)

    first, second = (r.received_at for r in site.requests)
    assert 0.95 <= second - first < 5.0


def test_retry_after_http_date_is_waited_until(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """Retry-After as an HTTP date (RFC 9110, 10.2.3) waits until that moment."""
    moment = datetime.now(UTC) + timedelta(seconds=30)
    site.inject(Fault.status(503, retry_after=format_datetime(moment, usegmt=True)))

    with make_client(site, max_retries=1) as client:
        client.groups.list_assignments(123)

    # The date has whole seconds, and a little time passed since it was made.
    assert len(sleeps) == 1
    assert 27.0 <= sleeps[0] <= 30.0


def test_retry_after_date_in_the_past_means_now(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """A date already past asks for no pause at all."""
    site.inject(Fault.status(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))

    with make_client(site, max_retries=1) as client:
        client.groups.list_assignments(123)

    assert sleeps == [0.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Wed, 21 Oct 2015 07:29:00 GMT", 60.0),
        ("Wednesday, 21-Oct-15 07:28:30 GMT", 30.0),
        ("Wed Oct 21 07:28:10 2015", 10.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        ("soon", None),
        ("1.5", None),
        ("-1", None),
        ("", None),
        ("Wed, 99 Foo 2015 07:28:00 GMT", None),
        ("٣", None),
        (None, None),
    ],
)
def test_parse_retry_after_reads_both_forms(
    value: str | None, expected: float | None
) -> None:
    """Delta-seconds and the three HTTP-date forms; anything else is None."""
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)

    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    "retry_after",
    ["120", format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)],
    ids=["seconds", "http-date"],
)
def test_wait_beyond_max_retry_wait_raises_at_once(
    site: FakeKonstantly, sleeps: list[float], retry_after: str
) -> None:
    """A longer pause than the caller accepts raises RateLimitError, unslept."""
    site.inject(Fault.status(429, retry_after=retry_after), times=3)

    with (
        make_client(site, max_retries=2, max_retry_wait=60.0) as client,
        pytest.raises(konstantly.RateLimitError) as caught,
    ):
        client.groups.list_assignments(123)

    assert caught.value.retry_after is not None
    assert caught.value.retry_after > 60.0
    assert assignment_requests(site) == 1
    assert sleeps == []


def test_wait_equal_to_max_retry_wait_is_still_waited(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """max_retry_wait itself is accepted: the limit is inclusive."""
    site.inject(Fault.status(429, retry_after="5"))

    with make_client(site, max_retries=1, max_retry_wait=5.0) as client:
        client.groups.list_assignments(123)

    assert sleeps == [5.0]


def test_rate_limit_error_keeps_retry_after_when_retries_run_out(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """After the last attempt, the error still says how long the server asked."""
    site.inject(Fault.status(429, retry_after="2"), times=5)

    with (
        make_client(site, max_retries=2) as client,
        pytest.raises(konstantly.RateLimitError) as caught,
    ):
        client.groups.list_assignments(123)

    assert caught.value.retry_after == 2.0
    assert sleeps == [2.0, 2.0]


@pytest.mark.parametrize("retry_after", ["soon", "1.5", "-1", "", "Thu, 32 Foo"])
def test_unreadable_retry_after_falls_back_to_backoff(
    site: FakeKonstantly,
    sleeps: list[float],
    jitter: Callable[[float], None],
    retry_after: str,
) -> None:
    """A Retry-After that is neither seconds nor a date gets the usual backoff."""
    jitter(0.5)
    site.inject(Fault.status(429, retry_after=retry_after), times=2)

    with make_client(site, max_retries=2) as client:
        result = client.groups.list_assignments(123)

    assert len(result) == 2
    assert sleeps == [0.75, 1.25]


def test_info_line_before_each_retry_sleep(
    site: FakeKonstantly, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    """Each pause is announced at INFO with its length, attempt and reason."""
    caplog.set_level(logging.INFO, logger="konstantly")
    site.inject(Fault.status(503, retry_after="0"))
    site.inject(Fault.status(429, retry_after="1"))

    with make_client(site, max_retries=2) as client:
        client.groups.list_assignments(123)

    infos = [
        (record.name, record.getMessage())
        for record in caplog.records
        if record.levelno == logging.INFO
    ]
    assert infos == [
        (
            "konstantly._retry",
            "retrying in 0.00 s (attempt 2 of 3) after InternalServerError",
        ),
        (
            "konstantly._retry",
            "retrying in 1.00 s (attempt 3 of 3) after RateLimitError",
        ),
    ]


def test_no_info_line_when_nothing_is_retried(
    site: FakeKonstantly, caplog: pytest.LogCaptureFixture
) -> None:
    """A call that succeeds, or fails for good, says nothing at INFO."""
    caplog.set_level(logging.INFO, logger="konstantly")

    with make_client(site) as client:
        client.groups.list_assignments(123)
        site.inject(Fault.status(404))
        with pytest.raises(konstantly.NotFoundError):
            client.groups.list_assignments(123)

    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.drop(), id="dropped connection"),
        pytest.param(Fault.truncate(), id="truncated body"),
        pytest.param(Fault.delay(1.0), id="timeout"),
        pytest.param(Fault.status(429), id="429"),
        pytest.param(Fault.status(504), id="504"),
    ],
)
async def test_async_client_retries_the_same_failures(
    site: FakeKonstantly, sleeps: list[float], fault: Fault
) -> None:
    """The asynchronous client recovers from what the synchronous one does."""
    site.inject(fault)

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, timeout=0.3, max_retries=1
    ) as client:
        result = await client.groups.list_assignments(123)

    assert [assignment.course.id for assignment in result] == [123, 124]
    assert assignment_requests(site) == 2
    assert len(sleeps) == 1


@pytest.mark.anyio
async def test_async_client_honours_retry_after_and_max_retries(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """Retry-After is the pause, and a call's max_retries bounds its requests."""
    site.inject(Fault.status(503, retry_after="1"), times=10)

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=5
    ) as client:
        with pytest.raises(konstantly.InternalServerError):
            await client.groups.list_assignments(123, max_retries=2)

    assert sleeps == [1.0, 1.0]
    assert assignment_requests(site) == 3


@pytest.mark.anyio
async def test_async_wait_beyond_max_retry_wait_raises_at_once(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """The asynchronous client, too, refuses a pause longer than it accepts."""
    site.inject(Fault.status(429, retry_after="61"), times=3)

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, max_retry_wait=60.0
    ) as client:
        with pytest.raises(konstantly.RateLimitError) as caught:
            await client.groups.list_assignments(123)

    assert caught.value.retry_after == 61.0
    assert assignment_requests(site) == 1
    assert sleeps == []


@pytest.mark.anyio
async def test_async_final_status_is_not_retried(
    site: FakeKonstantly, sleeps: list[float]
) -> None:
    """A 404 is raised after one request by the asynchronous client too."""
    site.inject(Fault.status(404), times=3)

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=2
    ) as client:
        with pytest.raises(konstantly.NotFoundError):
            await client.groups.list_assignments(123)

    assert assignment_requests(site) == 1
    assert sleeps == []
