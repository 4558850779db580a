"""Limits every attempt keeps, whatever the server sends: size and time."""

from __future__ import annotations

import json
from collections.abc import Iterator

import konstantly
import pytest
from konstantly import _transport
from konstantly.testing import FakeKonstantly

GROUP = 31


@pytest.fixture
def huge_body_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKonstantly]:
    """A site whose answer is larger than the (lowered) body limit."""
    monkeypatch.setattr(_transport, "MAX_BODY_BYTES", 4096)
    body = {"assignments": [], "totalCount": 0, "padding": "x" * 10_000}
    with FakeKonstantly(bundled=False) as site:
        site.set_raw_response(GROUP, 200, json.dumps(body).encode())
        yield site


def test_sync_client_refuses_a_body_beyond_the_limit(
    huge_body_site: FakeKonstantly,
) -> None:
    """An endless or enormous body ends in a typed error, not in a full memory."""
    with (
        konstantly.Konstantly(
            api_key=huge_body_site.api_key,
            base_url=huge_body_site.base_url,
            max_retries=3,
        ) as client,
        pytest.raises(konstantly.ResponseValidationError, match="larger than"),
    ):
        client.groups.list_assignments(GROUP)

    assert len(huge_body_site.requests) == 1


@pytest.mark.anyio
async def test_async_client_refuses_a_body_beyond_the_limit(
    huge_body_site: FakeKonstantly,
) -> None:
    """The asynchronous client keeps the same limit."""
    async with konstantly.AsyncKonstantly(
        api_key=huge_body_site.api_key, base_url=huge_body_site.base_url
    ) as client:
        with pytest.raises(konstantly.ResponseValidationError, match="larger"):
            await client.groups.list_assignments(GROUP)


def test_body_within_the_limit_arrives_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The limit counts bytes: a body just under it is read in full."""
    with FakeKonstantly() as site:
        monkeypatch.setattr(_transport, "MAX_BODY_BYTES", 832)
        with konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            result = client.groups.list_assignments(123)

    assert [a.course.id for a in result] == [123, 124]


def test_real_limit_is_far_beyond_any_group() -> None:
    """100,000 assignments take about 30 MiB; the limit leaves room for twice that."""
    assert _transport.MAX_BODY_BYTES == 64 * 2**20
