"""The fake Konstantly site a benchmark talks to, in a process of its own.

Run as `python -m benchmarks.server SITE [--tls PEM]`; it prints `BASE_URL
API_KEY` on its first line and serves until its standard input closes. With
`--tls`, it answers over https with the key and certificate chain in PEM, as
a real Konstantly site does. A process of its own
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

import argparse
import os
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import trustme
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
def trusted_certificate() -> Iterator[Path]:
    """A certificate for 127.0.0.1 that this process trusts, as `--tls` takes it.

    A certificate authority made for the run signs it; `SSL_CERT_FILE` names
    that authority, and both httpx and urllib read it from there, so neither
    client needs an option of its own to trust the site.
    """
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    with tempfile.TemporaryDirectory() as folder:
        authority_file = Path(folder, "authority.pem")
        server_file = Path(folder, "server.pem")
        authority.cert_pem.write_to_path(authority_file)
        certificate.private_key_and_cert_chain_pem.write_to_path(server_file)
        previous = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = str(authority_file)
        try:
            yield server_file
        finally:
            if previous is None:
                del os.environ["SSL_CERT_FILE"]
            else:
                os.environ["SSL_CERT_FILE"] = previous


@contextmanager
def served(name: str, *, tls: Path | None = None) -> Iterator[tuple[str, str]]:
    """Run the site `name` in a child process; yields its base URL and API key.

    With `tls`, a file from `trusted_certificate`, the site answers over https.
    """
    command = [sys.executable, "-m", "benchmarks.server", name]
    if tls is not None:
        command += ["--tls", str(tls)]
    process = subprocess.Popen(
        command,
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("site", choices=SITES)
    parser.add_argument("--tls", metavar="PEM", help="answer over https")
    arguments = parser.parse_args(argv)

    _fake_site._Server.request_queue_size = max(
        _fake_site._Server.request_queue_size, _LISTEN_BACKLOG
    )
    if arguments.tls:
        _answer_over_tls(arguments.tls)
    with build_site(arguments.site) as site:
        base_url = site.base_url
        if arguments.tls:
            base_url = "https" + base_url.removeprefix("http")
        print(base_url, site.api_key, flush=True)
        sys.stdin.read()
    return 0


def _answer_over_tls(pem: str) -> None:
    """Make the fake sites of this process speak TLS on every connection."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    accept = _fake_site._Server.get_request

    def get_request(server: _fake_site._Server) -> tuple[socket.socket, Any]:
        # The handshake runs here, on the thread that accepts connections; a
        # failed one is an OSError, which socketserver drops with the
        # connection. The calls a benchmark makes over TLS come one at a time.
        connection, address = accept(server)
        return context.wrap_socket(connection, server_side=True), address

    _fake_site._Server.get_request = get_request  # type: ignore[method-assign]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
