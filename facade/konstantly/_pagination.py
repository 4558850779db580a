from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from ._deadlines import KNOWN_MEASURES
from ._models import Assignment, GroupAssignments

__all__ = ["Pager"]

logger = logging.getLogger(__name__)

# 40,000 assignments at the API's usual 20 a page, far more than any group
# has; a server that keeps inventing new assignments still cannot keep a call
# going for ever.
MAX_PAGES = 2_000
# About 200 MiB held, five times the largest page the size limit lets in: a
# server that sends huge pages without end cannot fill the memory either.
MAX_ASSIGNMENTS = 200_000


class Pager:
    """Gathers the pages of one group's assignments into one result."""

    def __init__(
        self, group_id: int, timezone: tzinfo, redact: Callable[[str], str]
    ) -> None:
        self._group_id = group_id
        self._timezone = timezone
        # Logged text from the server goes through this, should it hold the key.
        self._redact = redact
        self._assignments: list[Assignment] = []
        self._seen: set[tuple[int, int]] = set()
        self._total_count = 0
        self._pages = 0
        self._unknown_measures: set[str] = set()

    def add(self, page: dict[str, Any]) -> int | None:
        """
        Take one page in; returns the offset of the next page, or None when done.

        The API's other list endpoints page with `offset`; a page that brings
        nothing new (empty, or repeating what arrived, as a server that ignores
        `offset` would) ends the call rather than looping. When pages disagree
        on `totalCount`, the largest count is the one to meet.
        """
        self._pages += 1
        total_count: int = page["totalCount"]
        if total_count != self._total_count and self._pages > 1:
            logger.debug(
                "group %d: page %d announces %d assignments, earlier pages %d",
                self._group_id,
                self._pages,
                total_count,
                self._total_count,
            )
        self._total_count = max(self._total_count, total_count)

        items: list[dict[str, Any]] = page["assignments"]
        fresh = 0
        keys = set()
        for item in items:
            # A course is assigned to a group once at a given time, so an
            # earlier page's assignment again is the server repeating itself.
            # Within one page everything is kept: nothing says which to drop.
            key = (item["course"]["id"], item["assignedAt"])
            keys.add(key)
            if key in self._seen:
                continue
            self._assignments.append(Assignment(item, self._timezone))
            period = item.get("deadlinePeriod")
            if (
                period
                and period["measure"] not in KNOWN_MEASURES
                and not item.get("deadlineAt")
            ):
                self._unknown_measures.add(period["measure"])
            fresh += 1
        self._seen |= keys

        arrived = len(self._assignments)
        if arrived >= self._total_count:
            return None
        logger.debug(
            "group %d: %d of %d assignments after page %d",
            self._group_id,
            arrived,
            self._total_count,
            self._pages,
        )
        if not fresh:
            reason = "a page brought nothing new"
        elif fresh < len(items):
            reason = "a page repeated assignments an earlier page had sent"
        elif self._pages >= MAX_PAGES:
            reason = f"{MAX_PAGES} pages"
        elif arrived >= MAX_ASSIGNMENTS:
            reason = f"{MAX_ASSIGNMENTS:,} assignments, the most one call gathers"
        else:
            return arrived

        logger.warning(
            "group %d: the server announced %d assignments but %d arrived "
            "before %s; the result is incomplete",
            self._group_id,
            self._total_count,
            arrived,
            reason,
        )
        return None

    def result(self) -> GroupAssignments:
        """Everything gathered, as the call's result."""
        for measure in sorted(self._unknown_measures):
            logger.warning(
                "group %d: deadlines in the unknown unit %r have no due time; "
                "a newer version of this client may know it",
                self._group_id,
                self._redact(measure),
            )
        return GroupAssignments(
            self._group_id,
            self._assignments,
            total_count=self._total_count,
        )
