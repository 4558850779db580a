"""The test kit: a fake Konstantly site to run clients and tools against.

    from konstantly.testing import FakeKonstantly, Fault

    with FakeKonstantly() as site:
        site.inject(Fault.status(503, retry_after="1"))
        ...  # point a client at site.base_url with site.api_key

The site is a real HTTP server on loopback, so whatever talks to it goes
through real sockets, headers and JSON. The groups it serves out of the box
are listed in `konstantly.testing._fake_site`'s docstring. The pytest
fixtures `fake_konstantly` and `konstantly_client` live in
`konstantly.testing.pytest_plugin`.
"""

from __future__ import annotations

from konstantly.testing._fake_site import (
    DEFAULT_API_KEY,
    FakeKonstantly,
    FakeSiteError,
    Fault,
    RecordedRequest,
    serve,
)

__all__ = [
    "DEFAULT_API_KEY",
    "FakeKonstantly",
    "FakeSiteError",
    "Fault",
    "RecordedRequest",
    "serve",
]
