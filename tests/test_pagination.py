"""Completeness: every assignment the server announces is asked for.

When `totalCount` is larger than what arrived, the client asks again with
`offset` set to the number gathered so far. A server that runs dry or ignores
`offset` ends the call with what arrived, marked incomplete, never in a loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import konstantly
import pytest
from konstantly import _pagination
from konstantly.testing import FakeKonstantly, Fault
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GROUP = 7
PATH = f"/openapi/v1/groups/{GROUP}/assignments"


def assignment(course_id: int) -> dict[str, Any]:
    return {
        "assignedAt": 1_700_000_000 + course_id,
        "deadlinePeriod": {"measure": "days", "value": course_id % 30 + 1},
        "course": {
            "id": course_id,
            "name": f"Course {course_id}",
            "annotation": f"About course {course_id}",
            "isDraft": False,
            "createdAt": 1_690_000_000,
            "updatedAt": 1_690_000_100,
            "publishedAt": 1_690_000_200,
        },
    }


def assignments(count: int, first: int = 1) -> list[dict[str, Any]]:
    return [assignment(course_id) for course_id in range(first, first + count)]


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly() as running:
        yield running


Warnings = Callable[[], list[str]]


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> Warnings:
    """The WARNING messages of the konstantly logger so far, when called."""
    caplog.set_level(logging.WARNING, logger="konstantly")

    def messages() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.name.startswith("konstantly")
            and record.levelno == logging.WARNING
        ]

    return messages


def make_client(site: FakeKonstantly, **options: Any) -> konstantly.Konstantly:
    return konstantly.Konstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=0, **options
    )


def offsets(site: FakeKonstantly, group_id: int = GROUP) -> list[int]:
    path = f"/openapi/v1/groups/{group_id}/assignments"
    return [
        int(request.query["offset"][0])
        for request in site.requests
        if request.path == path
    ]


def course_ids(result: konstantly.GroupAssignments) -> list[int]:
    return [assignment.course.id for assignment in result]


def incomplete_warning(
    announced: int,
    arrived: int,
    group_id: int = GROUP,
    reason: str = "a page brought nothing new",
) -> str:
    return (
        f"group {group_id}: the server announced {announced} assignments but "
        f"{arrived} arrived before {reason}; the result is incomplete"
    )


@pytest.mark.parametrize(
    ("count", "page_size", "expected_offsets"),
    [
        (45, 20, [0, 20, 40]),
        (40, 20, [0, 20]),
        (5, 1, [0, 1, 2, 3, 4]),
        (20, 20, [0]),
        (3, None, [0]),
    ],
)
def test_asks_for_the_next_page_at_the_count_so_far(
    site: FakeKonstantly,
    warnings: Warnings,
    count: int,
    page_size: int | None,
    expected_offsets: list[int],
) -> None:
    """Each further page starts at `offset` = what arrived, until all are in."""
    site.add_group(GROUP, assignments(count), page_size=page_size)

    with make_client(site) as client:
        result = client.groups.list_assignments(GROUP)

    assert offsets(site) == expected_offsets
    assert course_ids(result) == list(range(1, count + 1))
    assert result.total_count == count
    assert result.complete is True
    assert warnings() == []


def test_bundled_paged_group_arrives_whole(site: FakeKonstantly) -> None:
    """Group 203's 25 assignments come in pages of 20 and 5."""
    with make_client(site) as client:
        result = client.groups.list_assignments(203)

    assert offsets(site, 203) == [0, 20]
    assert len(result) == 25
    assert len({assignment.course.id for assignment in result}) == 25
    assert result.complete is True


def test_server_that_runs_dry_gives_an_incomplete_result(
    site: FakeKonstantly, warnings: Warnings
) -> None:
    """totalCount 8 but only 5 exist: the empty page ends the call, warned once."""
    site.add_group(GROUP, assignments(5), total_count=8, page_size=2)

    with make_client(site) as client:
        result = client.groups.list_assignments(GROUP)

    assert offsets(site) == [0, 2, 4, 5]
    assert course_ids(result) == [1, 2, 3, 4, 5]
    assert result.total_count == 8
    assert result.complete is False
    assert warnings() == [incomplete_warning(8, 5)]


def test_empty_first_page_ends_the_call(
    site: FakeKonstantly, warnings: Warnings
) -> None:
    """No assignments at all though 4 were announced: one request, incomplete."""
    site.add_group(GROUP, [], total_count=4)

    with make_client(site) as client:
        result = client.groups.list_assignments(GROUP)

    assert offsets(site) == [0]
    assert list(result) == []
    assert result.complete is False
    assert warnings() == [incomplete_warning(4, 0)]


@pytest.mark.parametrize(("page_size", "arrived"), [(3, 3), (None, 5)])
def test_server_that_ignores_offset_adds_no_duplicates(
    site: FakeKonstantly, warnings: Warnings, page_size: int | None, arrived: int
) -> None:
    """The first page again, whatever the offset: asked once more, then kept."""
    site.add_group(
        GROUP, assignments(5), total_count=12, page_size=page_size, ignore_offset=True
    )

    with make_client(site) as client:
        result = client.groups.list_assignments(GROUP)

    assert offsets(site) == [0, arrived]
    assert course_ids(result) == list(range(1, arrived + 1))
    assert result.complete is False
    assert warnings() == [incomplete_warning(12, arrived)]


def test_more_than_announced_is_complete_and_not_asked_again(
    site: FakeKonstantly, warnings: Warnings
) -> None:
    """A totalCount below what arrived asks for nothing more."""
    site.add_group(GROUP, assignments(3), total_count=1)

    with make_client(site) as client:
        result = client.groups.list_assignments(GROUP)

    assert offsets(site) == [0]
    assert course_ids(result) == [1, 2, 3]
    assert result.total_count == 1
    assert result.complete is True
    assert warnings() == []


def test_error_on_a_later_page_is_the_call_s_error(site: FakeKonstantly) -> None:
    """A page that fails ends the call with its error, not with half a result."""
    site.add_group(GROUP, assignments(5), page_size=2)
    site.inject(Fault.delay(0.0))  # the first page arrives unharmed
    site.inject(Fault.status(404))

    with make_client(site) as client, pytest.raises(konstantly.NotFoundError):
        client.groups.list_assignments(GROUP)

    assert offsets(site) == [0, 2]


def serve_pages(
    httpserver: HTTPServer, pages: dict[int, list[int]], total: int
) -> None:
    """Answer each offset with the courses listed for it; others get nothing."""

    def respond(request: Request) -> Response:
        offset = int(request.args["offset"])
        page = [assignment(course_id) for course_id in pages.get(offset, [])]
        body = json.dumps({"assignments": page, "totalCount": total})
        return Response(body, content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(respond)


def test_overlapping_page_stops_without_duplicates(
    httpserver: HTTPServer, warnings: Warnings
) -> None:
    """A page that repeats part of the last one is taken in once, then the call ends."""
    serve_pages(httpserver, {0: [1, 2, 3], 3: [3, 4]}, total=6)

    with konstantly.Konstantly(
        api_key="k", base_url=httpserver.url_for("/openapi/v1"), max_retries=0
    ) as client:
        result = client.groups.list_assignments(GROUP)

    assert [request.args["offset"] for request, _ in httpserver.log] == ["0", "3"]
    assert course_ids(result) == [1, 2, 3, 4]
    assert result.complete is False
    assert warnings() == [
        incomplete_warning(
            6, 4, reason="a page repeated assignments an earlier page had sent"
        )
    ]


def test_twins_within_one_page_are_both_kept(
    site: FakeKonstantly, warnings: Warnings
) -> None:
    """Two assignments of one course at one time on the same page both arrive."""
    first = assignment(1)
    twin = {**assignment(1), "deadlineAt": 1_800_000_000}
    site.add_group(GROUP, [first, twin])

    with make_client(site) as client:
        result = client.groups.list_assignments(GROUP)

    assert course_ids(result) == [1, 1]
    assert [a.due_at for a in result] == [
        datetime(2023, 11, 16, 22, 13, 21, tzinfo=UTC),
        datetime(2027, 1, 15, 8, 0, tzinfo=UTC),
    ]
    assert result.complete is True
    assert warnings() == []


def test_server_that_invents_pages_is_stopped(
    httpserver: HTTPServer, warnings: Warnings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New assignments on every page, for ever, still end after MAX_PAGES pages."""
    monkeypatch.setattr(_pagination, "MAX_PAGES", 30)

    def respond(request: Request) -> Response:
        offset = int(request.args["offset"])
        body = json.dumps(
            {"assignments": [assignment(offset + 1)], "totalCount": 10**9}
        )
        return Response(body, content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(respond)

    with konstantly.Konstantly(
        api_key="k", base_url=httpserver.url_for("/openapi/v1"), max_retries=0
    ) as client:
        result = client.groups.list_assignments(GROUP)

    assert len(httpserver.log) == 30
    assert course_ids(result) == list(range(1, 31))
    assert result.complete is False
    assert warnings() == [incomplete_warning(10**9, 30, reason="30 pages")]


def test_server_that_sends_huge_pages_without_end_is_stopped(
    httpserver: HTTPServer, warnings: Warnings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of new assignments, one more always announced, end at MAX_ASSIGNMENTS."""
    monkeypatch.setattr(_pagination, "MAX_ASSIGNMENTS", 25)

    def respond(request: Request) -> Response:
        offset = int(request.args["offset"])
        page = assignments(10, first=offset + 1)
        body = json.dumps({"assignments": page, "totalCount": offset + 11})
        return Response(body, content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(respond)

    with konstantly.Konstantly(
        api_key="k", base_url=httpserver.url_for("/openapi/v1"), max_retries=0
    ) as client:
        result = client.groups.list_assignments(GROUP)

    assert [request.args["offset"] for request, _ in httpserver.log] == [
        "0",
        "10",
        "20",
    ]
    assert course_ids(result) == list(range(1, 31))
    assert result.complete is False
    assert warnings() == [
        incomplete_warning(31, 30, reason="25 assignments, the most one call gathers")
    ]


def test_growing_total_count_is_followed_to_the_largest(
    httpserver: HTTPServer, warnings: Warnings
) -> None:
    """A later page announcing more is believed; what never arrives is flagged."""
    pages = {
        "0": {"assignments": assignments(2), "totalCount": 3},
        "2": {"assignments": assignments(4)[2:], "totalCount": 10},
        "4": {"assignments": [], "totalCount": 10},
    }
    for offset, body in pages.items():
        httpserver.expect_request(
            PATH, query_string={"offset": offset}
        ).respond_with_json(body)

    with konstantly.Konstantly(
        api_key="k", base_url=httpserver.url_for("/openapi/v1"), max_retries=0
    ) as client:
        result = client.groups.list_assignments(GROUP)

    assert course_ids(result) == [1, 2, 3, 4]
    assert result.total_count == 10
    assert result.complete is False
    assert warnings() == [incomplete_warning(10, 4)]


def test_page_limit_is_finite_and_generous() -> None:
    """The guard against endless paging lies far beyond any real group."""
    assert _pagination.MAX_PAGES == 2_000


@pytest.mark.anyio
async def test_async_client_asks_for_every_page(site: FakeKonstantly) -> None:
    """The asynchronous client pages with the same offsets."""
    site.add_group(GROUP, assignments(45), page_size=20)

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=0
    ) as client:
        result = await client.groups.list_assignments(GROUP)

    assert offsets(site) == [0, 20, 40]
    assert course_ids(result) == list(range(1, 46))
    assert result.complete is True


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("ignore_offset", "expected_offsets", "arrived"),
    [(False, [0, 2, 4, 5], 5), (True, [0, 2], 2)],
)
async def test_async_client_stops_when_nothing_new_arrives(
    site: FakeKonstantly,
    warnings: Warnings,
    ignore_offset: bool,
    expected_offsets: list[int],
    arrived: int,
) -> None:
    """Running dry or ignoring offset ends the asynchronous call the same way."""
    site.add_group(
        GROUP, assignments(5), total_count=9, page_size=2, ignore_offset=ignore_offset
    )

    async with konstantly.AsyncKonstantly(
        api_key=site.api_key, base_url=site.base_url, max_retries=0
    ) as client:
        result = await client.groups.list_assignments(GROUP)

    assert offsets(site) == expected_offsets
    assert course_ids(result) == list(range(1, arrived + 1))
    assert result.complete is False
    assert warnings() == [incomplete_warning(9, arrived)]


@pytest.fixture
def many_groups(site: FakeKonstantly) -> FakeKonstantly:
    """Groups 1 to 6 in pages of 4 (group g has 3g assignments); 8 is short."""
    for group_id in range(1, 7):
        site.add_group(group_id, assignments(3 * group_id, 100 * group_id), page_size=4)
    site.add_group(8, assignments(3), total_count=5, page_size=2)
    return site


def check_many(results: dict[int, Any], site: FakeKonstantly) -> None:
    for group_id in range(1, 7):
        result = results[group_id]
        expected = list(range(100 * group_id, 100 * group_id + 3 * group_id))
        assert course_ids(result) == expected
        assert result.complete is True
        assert offsets(site, group_id) == list(range(0, 3 * group_id, 4))
    assert course_ids(results[8]) == [1, 2, 3]
    assert results[8].complete is False


def test_many_groups_each_arrive_whole(
    many_groups: FakeKonstantly, warnings: Warnings
) -> None:
    """Several paged groups side by side: every group complete, in the order asked."""
    ids = [6, 1, 8, 2, 3, 4, 5, 1]
    seen: list[int] = []

    with make_client(many_groups) as client:
        results = client.groups.list_assignments_many(
            ids, concurrency=3, on_result=lambda group_id, _: seen.append(group_id)
        )

    assert list(results) == [6, 1, 8, 2, 3, 4, 5]
    assert sorted(seen) == [1, 2, 3, 4, 5, 6, 8]
    check_many(results, many_groups)
    assert warnings() == [incomplete_warning(5, 3, group_id=8)]


def test_many_groups_keep_each_error_in_place(many_groups: FakeKonstantly) -> None:
    """return_exceptions=True: a missing group's error stands in its place."""
    with make_client(many_groups) as client:
        results = client.groups.list_assignments_many(
            [1, 2, 404, 3, 4, 5, 6, 8], concurrency=4, return_exceptions=True
        )

    assert list(results) == [1, 2, 404, 3, 4, 5, 6, 8]
    assert isinstance(results[404], konstantly.NotFoundError)
    check_many(results, many_groups)


def test_many_groups_raise_the_first_error(many_groups: FakeKonstantly) -> None:
    """return_exceptions=False: a missing group's error is the call's error."""
    with make_client(many_groups) as client, pytest.raises(konstantly.NotFoundError):
        client.groups.list_assignments_many([1, 404, 2], concurrency=2)


@pytest.mark.anyio
async def test_async_many_groups_each_arrive_whole(
    many_groups: FakeKonstantly, warnings: Warnings
) -> None:
    """The asynchronous client fetches several paged groups just as completely."""
    async with konstantly.AsyncKonstantly(
        api_key=many_groups.api_key, base_url=many_groups.base_url, max_retries=0
    ) as client:
        results = await client.groups.list_assignments_many(
            [6, 1, 8, 2, 3, 4, 5, 1], concurrency=3
        )

    assert list(results) == [6, 1, 8, 2, 3, 4, 5]
    check_many(results, many_groups)
    assert warnings() == [incomplete_warning(5, 3, group_id=8)]


@pytest.mark.anyio
async def test_async_many_groups_keep_each_error_in_place(
    many_groups: FakeKonstantly,
) -> None:
    """return_exceptions=True keeps the missing group's error in its place."""
    async with konstantly.AsyncKonstantly(
        api_key=many_groups.api_key, base_url=many_groups.base_url, max_retries=0
    ) as client:
        results = await client.groups.list_assignments_many(
            [1, 2, 404, 3, 4, 5, 6, 8], concurrency=4, return_exceptions=True
        )

    assert list(results) == [1, 2, 404, 3, 4, 5, 6, 8]
    assert isinstance(results[404], konstantly.NotFoundError)
    check_many(results, many_groups)


@pytest.mark.anyio
async def test_async_many_groups_raise_the_first_error(
    many_groups: FakeKonstantly,
) -> None:
    """return_exceptions=False raises the missing group's error."""
    async with konstantly.AsyncKonstantly(
        api_key=many_groups.api_key, base_url=many_groups.base_url, max_retries=0
    ) as client:
        with pytest.raises(konstantly.NotFoundError):
            await client.groups.list_assignments_many([1, 404, 2], concurrency=2)
