"""Pytest fixtures for code that talks to Konstantly.

Installing konstantly registers this module with pytest (a `pytest11` entry
point), so the fixtures need no `-p` option and no `pytest_plugins` line; a
test only names them:

    def test_lists_the_documented_example(konstantly_client):
        assignments = konstantly_client.groups.list_assignments(123)
        assert len(assignments) == 2
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from konstantly.testing._fake_site import FakeKonstantly

if TYPE_CHECKING:
    from konstantly import Konstantly


@pytest.fixture
def fake_konstantly() -> Iterator[FakeKonstantly]:
    """A running fake Konstantly site with the bundled groups, stopped afterwards."""
    with FakeKonstantly() as site:
        yield site


@pytest.fixture
def konstantly_client(fake_konstantly: FakeKonstantly) -> Iterator[Konstantly]:
    """A `konstantly.Konstantly` client of `fake_konstantly`, closed afterwards."""
    # Imported here so the fake site works even where the client cannot be
    # imported, and so loading the plugin stays cheap.
    import konstantly

    client = konstantly.Konstantly(
        api_key=fake_konstantly.api_key, base_url=fake_konstantly.base_url
    )
    try:
        yield client
    finally:
        client.close()
