"""Show the ``konstantly`` command at work against the fake site (``make demo``).

Starts ``konstantly fake-server`` on a free loopback port, lists group 123's
assignments through ``konstantly assignments``, stops the server and exits with
the listing's exit status. Nothing leaves this machine.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Final

DEMO_API_KEY: Final = "demo-key"
DEMO_GROUP_ID: Final = "123"
STARTUP_TIMEOUT: Final = 20.0  # seconds
SHUTDOWN_TIMEOUT: Final = 5.0  # seconds

_BASE_URL = re.compile(r"https?://\S+")


class DemoError(Exception):
    """The fake server could not be started."""


def main() -> int:
    """Run the demo.

    Returns:
        The exit status of ``konstantly assignments``, or 1 when the fake server
        did not start.
    """
    environment = {**os.environ, "KONSTANTLY_API_KEY": DEMO_API_KEY}
    # The server's stdout is a pipe; unbuffered, its first line arrives at once.
    server = subprocess.Popen(
        [sys.executable, "-m", "konstantly", "fake-server", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**environment, "PYTHONUNBUFFERED": "1"},
        text=True,
        encoding="utf-8",
    )
    try:
        base_url = _read_base_url(server)
        command = ["assignments", DEMO_GROUP_ID, "--base-url", base_url]
        print("$ konstantly", *command, flush=True)
        listing = subprocess.run(
            [sys.executable, "-m", "konstantly", *command],
            env=environment,
            check=False,
        )
    except DemoError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    finally:
        _stop(server)

    return listing.returncode


def _read_base_url(server: subprocess.Popen[str]) -> str:
    """Wait for the server's first line and take the base URL from it."""
    if server.stdout is None or server.stderr is None:  # pragma: no cover
        raise DemoError("the fake server's output is not piped")
    first_lines: queue.Queue[str] = queue.Queue()
    error_lines: list[str] = []
    # Both pipes are read to the end in the background, so that a chatty
    # server never blocks on a full pipe while the demo runs.
    _read_in_background(server.stdout, on_line=first_lines.put)
    error_reader = _read_in_background(server.stderr, on_line=error_lines.append)

    try:
        first_line = first_lines.get(timeout=STARTUP_TIMEOUT)
    except queue.Empty:
        message = f"the fake server printed nothing within {STARTUP_TIMEOUT:g} s"
        raise DemoError(message) from None

    match = _BASE_URL.search(first_line)
    if match is None:
        # The server says why on stderr as it exits.
        error_reader.join(timeout=SHUTDOWN_TIMEOUT)
        output = "".join(error_lines).strip() or first_line.strip() or "no output"
        message = f"the fake server did not start: {output}"
        raise DemoError(message)
    return match.group()


def _read_in_background(
    stream: IO[str], *, on_line: Callable[[str], object]
) -> threading.Thread:
    def read() -> None:
        for line in stream:
            on_line(line)
        on_line("")  # end of output: wakes a reader still waiting for a line

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def _stop(server: subprocess.Popen[str]) -> None:
    """Ask the server to stop (SIGTERM), then kill it if it does not."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
