"""What a client written by hand does, to measure the facade against.

This follows the API documentation's sample client: fetch the body, decode it
with `json.loads`, make a dataclass per row and turn every time into a
`datetime` with `datetime.fromtimestamp`. Each call opens a fresh connection,
and many groups are fetched one after another.

The sample's times are naive local times, which is a bug (a deadline must not
depend on the reader's timezone); it is kept here because what is measured is
the cost of doing it that way, not its correctness. A relative deadline stays a
plain dict: the sample does not count it into a due time.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx


@dataclass
class Course:
    """A course as the sample client keeps it."""

    id: int
    name: str
    annotation: str
    is_draft: bool
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


@dataclass
class Assignment:
    """An assignment as the sample client keeps it."""

    course: Course
    assigned_at: datetime
    deadline_at: datetime | None
    deadline_period: dict[str, Any] | None


def assignments_url(base_url: str, group_id: int) -> str:
    """The address of a group's assignments."""
    return f"{base_url}/groups/{group_id}/assignments"


def fetch_with_urllib(base_url: str, api_key: str, group_id: int) -> list[Assignment]:
    """One group by hand, on a fresh connection from the standard library."""
    request = urllib.request.Request(
        assignments_url(base_url, group_id), headers={"X-API-KEY": api_key}
    )
    with urllib.request.urlopen(request) as response:
        content = response.read()
    return parse(content)


def fetch_with_httpx_get(
    base_url: str, api_key: str, group_id: int
) -> list[Assignment]:
    """One group by hand with `httpx.get`, which builds a new client every call."""
    response = httpx.get(
        assignments_url(base_url, group_id), headers={"X-API-KEY": api_key}
    )
    response.raise_for_status()
    return parse(response.content)


def fetch_each(
    base_url: str, api_key: str, group_ids: Iterable[int]
) -> dict[int, list[Assignment]]:
    """Many groups by hand: one after another, each on a fresh connection."""
    return {
        group_id: fetch_with_urllib(base_url, api_key, group_id)
        for group_id in group_ids
    }


def parse(content: bytes) -> list[Assignment]:
    """The assignments of a body, the sample client's way."""
    body = json.loads(content)
    return [_assignment(item) for item in body["assignments"]]


def _assignment(item: dict[str, Any]) -> Assignment:
    deadline_at = item.get("deadlineAt")
    return Assignment(
        course=_course(item["course"]),
        assigned_at=datetime.fromtimestamp(item["assignedAt"]),
        deadline_at=datetime.fromtimestamp(deadline_at) if deadline_at else None,
        deadline_period=item.get("deadlinePeriod"),
    )


def _course(item: dict[str, Any]) -> Course:
    published_at = item.get("publishedAt")
    return Course(
        id=item["id"],
        name=item["name"],
        annotation=item["annotation"],
        is_draft=item["isDraft"],
        created_at=datetime.fromtimestamp(item["createdAt"]),
        updated_at=datetime.fromtimestamp(item["updatedAt"]),
        published_at=datetime.fromtimestamp(published_at) if published_at else None,
    )
