"""A hostile server: every way an answer can go wrong, one by one and at random.

The first half walks through the answers a server, or a proxy in front of
it, can give instead of the documented ones, and checks that each becomes the
right typed error (with the path of the fault in the body where there is
one), never a KeyError, ValueError, TypeError, OverflowError, OSError or
JSONDecodeError. Cases already covered by test_errors.py and
test_deadlines.py are not repeated here.

The second half is the chaos run: hundreds of calls against a FakeKonstantly
that rate-limits, fails, drops, cuts, slows and stalls its answers at random,
from a fixed seed; a stalled answer outlasts the timeout, so each call's
deadline is put to the test too. Run it with `pytest -s tests/test_chaos.py`
to see its figures.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import konstantly
import pytest
import tenacity
from konstantly import _retry
from konstantly._retry import RetryPolicy
from konstantly.testing import FakeKonstantly, Fault

GROUP = 9


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as running:
        yield running


def make_client(site: FakeKonstantly, **options: Any) -> konstantly.Konstantly:
    options = {"max_retries": 0, **options}
    return konstantly.Konstantly(
        api_key=site.api_key, base_url=site.base_url, **options
    )


def fetch_raw(
    site: FakeKonstantly,
    status: int,
    body: bytes,
    content_type: str = "application/json",
) -> konstantly.GroupAssignments:
    """Serve exactly `body` for the group; list it with a client that never retries."""
    site.set_raw_response(GROUP, status, body, {"Content-Type": content_type})
    with make_client(site) as client:
        return client.groups.list_assignments(GROUP)


def valid_body() -> dict[str, Any]:
    return {
        "assignments": [
            {
                "assignedAt": 1_443_183_322,
                "deadlineAt": 1_444_188_932,
                "course": {
                    "id": 123,
                    "name": "Sales Strategy Fundamentals",
                    "annotation": "Learn essential sales strategies",
                    "isDraft": False,
                    "createdAt": 1_507_807_711,
                    "updatedAt": 1_507_808_372,
                    "publishedAt": 1_508_225_229,
                },
            },
            {
                "assignedAt": 1_443_183_400,
                "deadlinePeriod": {"measure": "months", "value": 2},
                "course": {
                    "id": 124,
                    "name": "Customer Relationship Management",
                    "annotation": "Master modern CRM",
                    "isDraft": False,
                    "createdAt": 1_507_807_800,
                    "updatedAt": 1_507_808_400,
                    "publishedAt": 1_508_225_300,
                },
            },
        ],
        "totalCount": 2,
    }


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


# Error bodies that are not the API's {"status": ..., "message": ...}.
NOT_THE_ERROR_FORMAT = [
    pytest.param(400, b'{"status": 400, "mess', id="truncated json"),
    pytest.param(404, b"\xff\xfe\x00\x81", id="not utf-8"),
    pytest.param(401, b'{"status": 401, "message": 5}', id="message a number"),
    pytest.param(403, b'{"status": 403, "message": "  "}', id="message blank"),
    pytest.param(404, b'{"status": 404}', id="no message"),
    pytest.param(429, b"null", id="null"),
    pytest.param(500, b'"Internal error"', id="json string"),
    pytest.param(503, b"[" * 100_000, id="nested 100000 deep"),
    pytest.param(502, b"<html><body>Bad gateway</body></html>", id="html"),
    pytest.param(504, b"   \r\n  ", id="whitespace"),
]
ERROR_CLASSES = {
    400: konstantly.BadRequestError,
    401: konstantly.AuthenticationError,
    403: konstantly.PermissionDeniedError,
    404: konstantly.NotFoundError,
    429: konstantly.RateLimitError,
}


@pytest.mark.parametrize(("status", "body"), NOT_THE_ERROR_FORMAT)
def test_error_body_in_no_known_format_keeps_its_status(
    site: FakeKonstantly, status: int, body: bytes
) -> None:
    """Whatever the body, the status picks the error class and the message reads."""
    with pytest.raises(konstantly.APIStatusError) as caught:
        fetch_raw(site, status, body, content_type="text/html")

    error = caught.value
    assert type(error) is ERROR_CLASSES.get(status, konstantly.InternalServerError)
    assert error.status_code == status
    assert error.message.startswith(f"The server answered {status} ")
    assert len(error.body_excerpt) <= 200


@pytest.mark.parametrize("status", [520, 522, 599])
def test_nonstandard_5xx_is_an_internal_server_error(
    site: FakeKonstantly, status: int
) -> None:
    """Statuses past the registered ones, as CDNs send them, are server errors."""
    with pytest.raises(konstantly.InternalServerError) as caught:
        fetch_raw(site, status, b"")

    assert caught.value.status_code == status
    assert caught.value.message == f"The server answered {status} with an empty body."


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_not_followed_and_the_target_hears_nothing(
    site: FakeKonstantly, status: int
) -> None:
    """The key is not carried to where a redirect points, even a willing site."""
    with FakeKonstantly(api_key=site.api_key) as target:
        location = f"{target.base_url}/groups/123/assignments"
        site.inject(Fault.redirect(location, status=status))

        with (
            make_client(site, max_retries=2) as client,
            pytest.raises(konstantly.APIStatusError) as caught,
        ):
            client.groups.list_assignments(123)

        assert target.requests == []
    assert type(caught.value) is konstantly.APIStatusError
    assert caught.value.status_code == status
    assert repr(location) in caught.value.message
    assert len(site.requests) == 1


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault.truncate(), id="half the body"),
        pytest.param(Fault.truncate(keep=0), id="headers only"),
        pytest.param(Fault.truncate(keep=831), id="all but one byte"),
        pytest.param(Fault.drop(), id="no answer"),
    ],
)
def test_cut_or_missing_answer_is_a_connection_error(
    site: FakeKonstantly, fault: Fault
) -> None:
    """A body shorter than its Content-Length, or none at all, is not a timeout."""
    site.inject(fault)

    with (
        make_client(site) as client,
        pytest.raises(konstantly.APIConnectionError) as caught,
    ):
        client.groups.list_assignments(123)

    assert not isinstance(caught.value, konstantly.APITimeoutError)
    assert str(caught.value).startswith("The request failed: RemoteProtocolError: ")
    # httpx's error holds the request and its key; it is kept off the chain.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _drop(*path: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target = body
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


A0 = ("assignments", 0)
A1 = ("assignments", 1)
# One fault each, beyond those of test_errors.py: nulls, missing keys, wrong
# types, times out of range and periods too long for a calendar.
WRONG_BODIES = [
    ("totalCount null", _set("totalCount", value=None), "totalCount"),
    ("assignments null", _set("assignments", value=None), "assignments"),
    ("course null", _set(*A0, "course", value=None), "assignments[0].course"),
    (
        "name null",
        _set(*A1, "course", "name", value=None),
        "assignments[1].course.name",
    ),
    (
        "isDraft null",
        _set(*A0, "course", "isDraft", value=None),
        "assignments[0].course.isDraft",
    ),
    (
        "createdAt null",
        _set(*A0, "course", "createdAt", value=None),
        "assignments[0].course.createdAt",
    ),
    (
        "measure null",
        _set(*A1, "deadlinePeriod", "measure", value=None),
        "assignments[1].deadlinePeriod.measure",
    ),
    (
        "value null",
        _set(*A1, "deadlinePeriod", "value", value=None),
        "assignments[1].deadlinePeriod.value",
    ),
    ("name missing", _drop(*A0, "course", "name"), "assignments[0].course.name"),
    (
        "annotation missing",
        _drop(*A0, "course", "annotation"),
        "assignments[0].course.annotation",
    ),
    (
        "isDraft missing",
        _drop(*A1, "course", "isDraft"),
        "assignments[1].course.isDraft",
    ),
    (
        "updatedAt missing",
        _drop(*A1, "course", "updatedAt"),
        "assignments[1].course.updatedAt",
    ),
    ("id missing", _drop(*A0, "course", "id"), "assignments[0].course.id"),
    (
        "measure missing",
        _drop(*A1, "deadlinePeriod", "measure"),
        "assignments[1].deadlinePeriod.measure",
    ),
    (
        "value missing",
        _drop(*A1, "deadlinePeriod", "value"),
        "assignments[1].deadlinePeriod.value",
    ),
    (
        "assignedAt a float",
        _set(*A0, "assignedAt", value=1.5e9),
        "assignments[0].assignedAt",
    ),
    ("totalCount a float", _set("totalCount", value=2.0), "totalCount"),
    (
        "isDraft 0",
        _set(*A0, "course", "isDraft", value=0),
        "assignments[0].course.isDraft",
    ),
    (
        "name a number",
        _set(*A0, "course", "name", value=7),
        "assignments[0].course.name",
    ),
    (
        "annotation a list",
        _set(*A1, "course", "annotation", value=["a"]),
        "assignments[1].course.annotation",
    ),
    ("course a list", _set(*A1, "course", value=[]), "assignments[1].course"),
    (
        "createdAt in milliseconds",
        _set(*A0, "course", "createdAt", value=1_507_807_711_000),
        "assignments[0].course.createdAt",
    ),
    (
        "publishedAt beyond 9999",
        _set(*A1, "course", "publishedAt", value=253_402_300_800),
        "assignments[1].course.publishedAt",
    ),
    (
        "deadlineAt negative",
        _set(*A0, "deadlineAt", value=-1),
        "assignments[0].deadlineAt",
    ),
    (
        "deadlineAt 2**64",
        _set(*A0, "deadlineAt", value=2**64),
        "assignments[0].deadlineAt",
    ),
    (
        "period value negative",
        _set(*A1, "deadlinePeriod", "value", value=-2),
        "assignments[1].deadlinePeriod.value",
    ),
    (
        "10**20 hours",
        _set(*A1, "deadlinePeriod", value={"measure": "hours", "value": 10**20}),
        "assignments[1].deadlinePeriod",
    ),
    (
        "10**30 months",
        _set(*A1, "deadlinePeriod", value={"measure": "months", "value": 10**30}),
        "assignments[1].deadlinePeriod",
    ),
    (
        "2**63 weeks",
        _set(*A1, "deadlinePeriod", value={"measure": "weeks", "value": 2**63}),
        "assignments[1].deadlinePeriod",
    ),
    (
        "3 million days",
        _set(*A1, "deadlinePeriod", value={"measure": "days", "value": 3_000_000}),
        "assignments[1].deadlinePeriod",
    ),
]


@pytest.mark.parametrize(
    ("change", "path"),
    [pytest.param(change, path, id=name) for name, change, path in WRONG_BODIES],
)
def test_wrong_body_is_a_validation_error_at_its_path(
    site: FakeKonstantly, change: Callable[[dict[str, Any]], None], path: str
) -> None:
    """Each fault in a 200's body is a ResponseValidationError naming its place."""
    body = valid_body()
    change(body)

    with pytest.raises(konstantly.ResponseValidationError) as caught:
        fetch_raw(site, 200, encode(body))

    assert caught.value.path == path


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b'{"totalCount": 1' + b"0" * 5000 + b', "assignments": []}',
            id="5000 digits",
        ),
        pytest.param(b'{"assignments": ' + b"[" * 100_000, id="nested 100000 deep"),
        pytest.param(b'{"totalCount": 2, "assignments": [NaN]}', id="NaN"),
        pytest.param(b"\xef\xbb\xbf{}", id="byte order mark"),
    ],
)
def test_unreadable_200_is_a_validation_error(
    site: FakeKonstantly, body: bytes
) -> None:
    """Numbers too long to read, nesting too deep to parse: a validation error."""
    with pytest.raises(konstantly.ResponseValidationError):
        fetch_raw(site, 200, body)


@pytest.mark.parametrize("seconds", [0, 1, 253_402_300_799])
def test_times_at_the_edges_of_the_range_are_accepted(
    site: FakeKonstantly, seconds: int
) -> None:
    """The epoch and the last second of 9999 are valid unix seconds."""
    body = valid_body()
    body["assignments"][0].update(assignedAt=seconds, deadlineAt=seconds)
    body["assignments"][0]["course"].update(createdAt=seconds, updatedAt=seconds)

    first, _ = fetch_raw(site, 200, encode(body))

    assert int(first.assigned_at.timestamp()) == seconds
    assert first.due_at == (first.assigned_at if seconds else None)
    assert int(first.course.created_at.timestamp()) == seconds


def test_unknown_fields_are_ignored_and_kept_on_raw(site: FakeKonstantly) -> None:
    """Fields a newer API adds do not disturb the result and can still be read."""
    body = valid_body()
    body["cursor"] = "abc"
    body["assignments"][0]["status"] = {"state": "active", "members": [1, 2]}
    body["assignments"][0]["course"]["tags"] = ["sales", None]
    body["assignments"][1]["deadlinePeriod"]["calendar"] = "iso8601"

    first, second = fetch_raw(site, 200, encode(body))

    assert first.course.name == "Sales Strategy Fundamentals"
    assert first.raw.additional_properties == {
        "status": {"state": "active", "members": [1, 2]}
    }
    assert first.raw.course.additional_properties == {"tags": ["sales", None]}
    assert second.raw.deadline_period is not None
    assert second.raw.deadline_period.additional_properties == {"calendar": "iso8601"}
    assert second.deadline is not None
    assert str(second.deadline.period) == "2 months"


# --- The chaos run -----------------------------------------------------------

SEED = 20_260_611
CALLS = 300
ASYNC_CALLS = 100
TIMEOUT = 1.0
MAX_RETRIES = 5
# Room for the time the client itself takes between attempts.
MARGIN = 0.75
GROUPS = (123, 200, 201, 202, 203)  # 203 comes in two pages
# How often a page meets more failures in a row than the client retries.
STORMS = 0.004


@dataclasses.dataclass(frozen=True)
class Injected:
    kind: str
    fault: Fault


def failing_fault(rng: random.Random) -> Injected:
    """A fault that fails its request, drawn with a bad day's weights."""
    kinds: list[tuple[str, int, Callable[[], Fault]]] = [
        ("429 Retry-After: 0", 16, lambda: Fault.status(429, retry_after="0")),
        ("429 Retry-After: 1", 2, lambda: Fault.status(429, retry_after="1")),
        ("429 without Retry-After", 12, lambda: Fault.status(429)),
        ("503 Retry-After: 0", 8, lambda: Fault.status(503, retry_after="0")),
        (
            "5xx without Retry-After",
            20,
            lambda: Fault.status(rng.choice([500, 502, 503, 504]), b"<h1>oops</h1>"),
        ),
        ("dropped connection", 18, Fault.drop),
        ("truncated body", 18, lambda: Fault.truncate(keep=rng.randrange(0, 400))),
        # These two outlast the timeout, so the attempt's own deadline ends them.
        ("stalled answer", 3, lambda: Fault.delay(TIMEOUT * 3)),
        ("body trickled past the timeout", 3, lambda: Fault.trickle(interval=0.05)),
    ]
    kind, _, build = rng.choices(kinds, weights=[weight for _, weight, _ in kinds])[0]
    return Injected(kind, build())


def slow_fault(rng: random.Random) -> Injected:
    """A fault that slows its answer down, but not beyond the timeout."""
    if rng.random() < 0.6:
        return Injected("slow answer", Fault.delay(rng.uniform(0.05, 0.3)))
    chunk = rng.choice([512, 1024])
    return Injected("trickled body", Fault.trickle(interval=0.01, chunk=chunk))


def is_slow(injected: Injected) -> bool:
    return injected.kind in ("slow answer", "trickled body")


@dataclasses.dataclass
class Plan:
    """The faults queued for one call, and what they must lead to."""

    group_id: int
    faults: list[Injected]
    requests: int
    fails: bool

    @property
    def failing(self) -> int:
        return sum(not is_slow(injected) for injected in self.faults)


def draw_plan(rng: random.Random) -> Plan:
    """Per page: failing faults, now and then a storm of six, perhaps a slow answer.

    The site takes faults from one queue, one per request, so the plan plays
    the call out in advance: each page asks until an answer arrives (clean or
    slow) or six attempts have failed. Only the faults the call will take are
    queued, so none is left over for the next call.
    """
    group_id = rng.choice(GROUPS)
    pages = 2 if group_id == 203 else 1
    drawn: list[Injected] = []
    for _ in range(pages):
        if rng.random() < STORMS:
            drawn += [failing_fault(rng) for _ in range(MAX_RETRIES + 1)]
        while rng.random() < 0.35:
            drawn.append(failing_fault(rng))
        if rng.random() < 0.15:
            drawn.append(slow_fault(rng))

    queue = iter(drawn)
    taken = requests = 0
    for _ in range(pages):
        for attempt in range(MAX_RETRIES + 1):
            injected = next(queue, None)
            requests += 1
            taken += injected is not None
            if injected is None or is_slow(injected):
                break
            if attempt == MAX_RETRIES:
                return Plan(group_id, drawn[:taken], requests, fails=True)
    return Plan(group_id, drawn[:taken], requests, fails=False)


def snapshot(result: konstantly.GroupAssignments) -> list[Any]:
    return [(a.raw.to_dict(), a.due_at, a.assigned_at) for a in result]


def bundled_course_ids(group_id: int) -> list[int]:
    data = resources.files("konstantly.testing").joinpath("data")
    body = json.loads(data.joinpath(f"group-{group_id}.json").read_bytes())
    return [item["course"]["id"] for item in body["assignments"]]


@dataclasses.dataclass
class Figures:
    seed: int
    calls: int = 0
    faults: Counter[str] = dataclasses.field(default_factory=Counter)
    hit: int = 0
    recovered: int = 0
    failed: Counter[str] = dataclasses.field(default_factory=Counter)
    requests: int = 0
    slowest: float = 0.0
    slowest_call: str = ""
    started: float = dataclasses.field(default_factory=time.monotonic)

    def report(self, title: str) -> str:
        failed = sum(self.failed.values())
        lines = [
            f"{title}: {self.calls} calls (seed {self.seed}, timeout {TIMEOUT} s, "
            f"max_retries {MAX_RETRIES}), {self.requests} requests, "
            f"{time.monotonic() - self.started:.1f} s",
            f"  injected faults: {sum(self.faults.values())}",
            *(f"    {kind}: {count}" for kind, count in sorted(self.faults.items())),
            f"  calls hit by a failing fault: {self.hit}; recovered: {self.recovered}; "
            f"failed: {failed} {dict(self.failed) or ''}".rstrip(),
            f"  succeeded: {self.calls - failed} of {self.calls} "
            f"({(self.calls - failed) / self.calls:.1%})",
            f"  slowest call: {self.slowest:.2f} s ({self.slowest_call})",
        ]
        return "\n".join(lines)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Shorten the backoff 50 times and record every pause, still sleeping it.

    Retry-After values are kept as the server sent them.
    """
    monkeypatch.setattr(
        _retry,
        "_BACKOFF",
        tenacity.wait_exponential_jitter(multiplier=0.01, max=0.16, jitter=0.01),
    )
    paused: list[float] = []
    make_sync = RetryPolicy.retrying
    make_async = RetryPolicy.async_retrying

    def sleep(seconds: float) -> None:
        paused.append(seconds)
        time.sleep(seconds)

    async def async_sleep(seconds: float) -> None:
        paused.append(seconds)
        await tenacity.asyncio._portable_async_sleep(seconds)

    def retrying(policy: RetryPolicy) -> tenacity.Retrying:
        controller = make_sync(policy)
        controller.sleep = sleep
        return controller

    def async_retrying(policy: RetryPolicy) -> tenacity.AsyncRetrying:
        controller = make_async(policy)
        controller.sleep = async_sleep
        return controller

    monkeypatch.setattr(RetryPolicy, "retrying", retrying)
    monkeypatch.setattr(RetryPolicy, "async_retrying", async_retrying)
    return paused


@dataclasses.dataclass
class Call:
    plan: Plan
    requests_before: int
    waits_before: int
    started: float


def begin(
    site: FakeKonstantly, rng: random.Random, waits: list[float], figures: Figures
) -> Call:
    plan = draw_plan(rng)
    for injected in plan.faults:
        site.inject(injected.fault)
        figures.faults[injected.kind] += 1
    return Call(plan, len(site.requests), len(waits), time.monotonic())


def check(
    call: Call,
    outcome: konstantly.GroupAssignments | konstantly.KonstantlyError,
    expected: dict[int, list[Any]],
    site: FakeKonstantly,
    waits: list[float],
    figures: Figures,
) -> None:
    """One call's outcome is right, in time, and accounts for every fault."""
    elapsed = time.monotonic() - call.started
    requests = len(site.requests) - call.requests_before
    paused = sum(waits[call.waits_before :])
    plan = call.plan
    figures.calls += 1
    figures.requests += requests
    figures.hit += plan.failing > 0
    if elapsed > figures.slowest:
        kinds = ", ".join(injected.kind for injected in plan.faults) or "no faults"
        figures.slowest = elapsed
        figures.slowest_call = f"group {plan.group_id}: {kinds}"

    # Each attempt is bounded by the timeout; the pauses come on top.
    assert elapsed <= requests * TIMEOUT + paused + MARGIN, plan
    assert requests == plan.requests, plan
    if isinstance(outcome, konstantly.KonstantlyError):
        figures.failed[type(outcome).__name__] += 1
        assert plan.fails, (plan, outcome)
        return

    figures.recovered += plan.failing > 0
    assert not plan.fails, plan
    assert snapshot(outcome) == expected[plan.group_id]
    assert outcome.complete is True
    assert outcome.total_count == len(expected[plan.group_id])


def expected_results(site: FakeKonstantly) -> dict[int, list[Any]]:
    """Every group as a fault-free call sees it, checked against the bundled data."""
    with make_client(site) as client:
        results = {
            group_id: client.groups.list_assignments(group_id) for group_id in GROUPS
        }
    for group_id, result in results.items():
        assert [a.course.id for a in result] == bundled_course_ids(group_id)
    return {group_id: snapshot(result) for group_id, result in results.items()}


def test_chaos_every_call_is_complete_and_correct_or_a_typed_error(
    site: FakeKonstantly, waits: list[float]
) -> None:
    """300 calls through random faults: right answers or typed errors, in time.

    With max_retries=5 at least 99% of the calls must succeed: only a storm
    of six failures in a row on one page may defeat the client.
    """
    expected = expected_results(site)
    rng = random.Random(SEED)
    figures = Figures(SEED)

    with make_client(site, timeout=TIMEOUT, max_retries=MAX_RETRIES) as client:
        for _ in range(CALLS):
            call = begin(site, rng, waits, figures)
            outcome: konstantly.GroupAssignments | konstantly.KonstantlyError
            try:
                outcome = client.groups.list_assignments(call.plan.group_id)
            except konstantly.KonstantlyError as error:
                outcome = error
            check(call, outcome, expected, site, waits, figures)

    print(f"\n{figures.report('chaos run, synchronous client')}")
    assert figures.calls == CALLS
    assert sum(figures.failed.values()) <= CALLS // 100
    assert figures.recovered >= CALLS // 4


@pytest.mark.anyio
async def test_async_chaos_every_call_is_complete_and_correct_or_a_typed_error(
    site: FakeKonstantly, waits: list[float]
) -> None:
    """The asynchronous client weathers the same storm, from another seed."""
    expected = expected_results(site)
    rng = random.Random(SEED + 1)
    figures = Figures(SEED + 1)

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key,
        base_url=site.base_url,
        timeout=TIMEOUT,
        max_retries=MAX_RETRIES,
    ) as client:
        for _ in range(ASYNC_CALLS):
            call = begin(site, rng, waits, figures)
            outcome: konstantly.GroupAssignments | konstantly.KonstantlyError
            try:
                outcome = await client.groups.list_assignments(call.plan.group_id)
            except konstantly.KonstantlyError as error:
                outcome = error
            check(call, outcome, expected, site, waits, figures)

    print(f"\n{figures.report('chaos run, asynchronous client')}")
    assert figures.calls == ASYNC_CALLS
    assert sum(figures.failed.values()) <= ASYNC_CALLS // 100
    assert figures.recovered >= ASYNC_CALLS // 4
