"""The fake Konstantly site a benchmark talks to, in a process of its own.

Run as `python -m benchmarks.server SITE`; it prints `BASE_URL API_KEY` on its
first line and serves until its standard input closes. A process of its own
keeps the server's work off the measured process's interpreter lock: with the
server in the same process, every request it answers would be counted against
the client being measured.

Sites:
- `parse`: group 1 answers with a body of 10,000 assignments (see
  `bodies.make_body`), sent byte for byte, so no time goes into encoding it.
- `round-trips`: the bundled groups, among them 123, the documented example.
- `fan-out`: groups 1 to 200, each with 20 assignments of its own, behind
  20 ms of latency per request.
- `memory`: group 1 answers with a body of 100,000 assignments.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from konstantly.testing import FakeKonstantly, _fake_site

from .bodies import make_assignments, make_body

PARSE_GROUP_ID: Final = 1
PARSE_COUNT: Final = 10_000
MEMORY_GROUP_ID: Final = 1
MEMORY_COUNT: Final = 100_000
DOCUMENTED_GROUP_ID: Final = 123
FAN_OUT_GROUP_IDS: Final = tuple(range(1, 201))
FAN_OUT_GROUP_SIZE: Final = 20
FAN_OUT_LATENCY: Final = 0.02
SITES: Final = ("parse", "round-trips", "fan-out", "memory")

# The listen backlog must hold every connection a fan-out opens at once. The
# fake site's server keeps socketserver's default of 5; past it, Linux drops
# the SYN and the client tries again only after a second.
_LISTEN_BACKLOG: Final = 128


def build_site(name: str) -> FakeKonstantly:
    """The fake site called `name`, not yet started."""
    if name == "parse":
        site = FakeKonstantly(bundled=False)
        site.set_raw_response(PARSE_GROUP_ID, 200, make_body(PARSE_COUNT))
        return site
    if name == "memory":
        site = FakeKonstantly(bundled=False)
        site.set_raw_response(MEMORY_GROUP_ID, 200, make_body(MEMORY_COUNT))
        return site
    if name == "round-trips":
        return FakeKonstantly()
    if name == "fan-out":
        site = FakeKonstantly(bundled=False, latency=FAN_OUT_LATENCY)
        for group_id in FAN_OUT_GROUP_IDS:
            site.add_group(group_id, make_assignments(FAN_OUT_GROUP_SIZE, group_id))
        return site
    message = f"There is no benchmark site {name!r}; choose one of {SITES}."
    raise ValueError(message)


@contextmanager
def served(name: str) -> Iterator[tuple[str, str]]:
    """Run the site `name` in a child process; yields its base URL and API key."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        base_url, api_key = process.stdout.readline().split()
        yield base_url, api_key
    finally:
        process.stdin.close()
        process.wait(timeout=10)


def main(argv: list[str]) -> int:
    """Serve the site named in `argv` until standard input closes."""
    if len(argv) != 1 or argv[0] not in SITES:
        print(f"usage: python -m benchmarks.server {{{','.join(SITES)}}}")
        return 2

    _fake_site._Server.request_queue_size = max(
        _fake_site._Server.request_queue_size, _LISTEN_BACKLOG
    )
    with build_site(argv[0]) as site:
        print(site.base_url, site.api_key, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
