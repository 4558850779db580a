"""The API key shows nowhere: not in logs, reprs, errors or the command's output.

A fake key is planted, every path a call can take is run with every logger
(httpx and httpcore included) capturing at DEBUG, and all that could be shown
to a person is searched for the key: log messages and tracebacks, the repr
and str of the client, its results and its errors with their whole chain of
causes, and what the command prints, with and without --debug.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import konstantly
import pytest
import tenacity
from konstantly import _cli
from konstantly._retry import RetryPolicy
from konstantly.testing import FakeKonstantly, Fault

KEY = "sk-planted-secret-4242"
ECHO_HTML = (
    "<html><body><h1>500 Internal Server Error</h1>"
    f"<pre>GET /groups/123/assignments\nX-API-KEY: {KEY}</pre></body></html>"
).encode()
ECHO_JSON = json.dumps({"status": 429, "message": f"Slow down, {KEY}"}).encode()


@pytest.fixture
def site() -> Iterator[FakeKonstantly]:
    with FakeKonstantly(api_key=KEY) as running:
        yield running


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of every logger, down to DEBUG, kept for searching."""
    caplog.set_level(logging.DEBUG)
    for name in ("konstantly", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries go ahead at once: the pauses are not what is tested here."""
    make_sync = RetryPolicy.retrying
    make_async = RetryPolicy.async_retrying

    async def skip(seconds: float) -> None:
        return None

    def retrying(policy: RetryPolicy) -> tenacity.Retrying:
        controller = make_sync(policy)
        controller.sleep = lambda seconds: None
        return controller

    def async_retrying(policy: RetryPolicy) -> tenacity.AsyncRetrying:
        controller = make_async(policy)
        controller.sleep = skip
        return controller

    monkeypatch.setattr(RetryPolicy, "retrying", retrying)
    monkeypatch.setattr(RetryPolicy, "async_retrying", async_retrying)


def shown(value: object) -> list[str]:
    """Whatever a person could see of a value: its str and repr, and for an
    error, its arguments, attributes and formatted traceback, causes included."""
    texts = [str(value), repr(value)]
    if isinstance(value, BaseException):
        texts.append("".join(traceback.format_exception(value)))
        seen: set[int] = set()
        error: BaseException | None = value
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            texts += [str(error), repr(error), repr(error.args)]
            for attribute in vars(error).values():
                texts.append(repr(attribute))
                if isinstance(attribute, httpx.Request):
                    texts.append(repr(attribute.headers.raw))
            error = error.__cause__ or error.__context__
    elif isinstance(value, konstantly.GroupAssignments):
        texts += [repr(list(value))]
        texts += [repr(assignment.raw) for assignment in value]
    return texts


def assert_key_hidden(texts: list[str], caplog: pytest.LogCaptureFixture) -> None:
    texts = [*texts, caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert [text for text in texts if KEY in text] == []


# Each scenario sets the site up, then says which group to ask for.
Scenario = Callable[[FakeKonstantly], int]


def succeeds(site: FakeKonstantly) -> int:
    return 203  # two pages


def unknown_group(site: FakeKonstantly) -> int:
    return 999


def server_error_echoing_the_key(site: FakeKonstantly) -> int:
    site.inject(Fault.status(500, ECHO_HTML, content_type="text/html"), times=3)
    return 123


def rate_limit_echoing_the_key(site: FakeKonstantly) -> int:
    site.inject(Fault.status(429, ECHO_JSON, retry_after="0"), times=3)
    return 123


def too_slow(site: FakeKonstantly) -> int:
    site.inject(Fault.delay(1.0), times=3)
    return 123


def dropped(site: FakeKonstantly) -> int:
    site.inject(Fault.drop(), times=3)
    return 123


def truncated(site: FakeKonstantly) -> int:
    site.inject(Fault.truncate(), times=3)
    return 123


def redirected(site: FakeKonstantly) -> int:
    site.inject(Fault.redirect("https://elsewhere.example/openapi/v1"))
    return 123


def body_echoing_the_key(site: FakeKonstantly) -> int:
    body = {"assignments": [], "totalCount": KEY}
    site.set_raw_response(9, 200, json.dumps(body).encode())
    return 9


def page_echoing_the_key(site: FakeKonstantly) -> int:
    site.set_raw_response(9, 200, ECHO_HTML, {"Content-Type": "text/html"})
    return 9


def key_in_a_field_name(site: FakeKonstantly) -> int:
    body = {"assignments": [{KEY: 1}], "totalCount": 1}
    site.set_raw_response(9, 200, json.dumps(body).encode())
    return 9


def coding_echoing_the_key(site: FakeKonstantly) -> int:
    site.set_raw_response(9, 200, b"{}", {"Content-Encoding": KEY})
    return 9


def measure_echoing_the_key(site: FakeKonstantly) -> int:
    assignment = {
        "assignedAt": 1_700_000_000,
        "deadlinePeriod": {"measure": KEY, "value": 1},
        "course": {
            "id": 1,
            "name": "Course",
            "annotation": "",
            "isDraft": False,
            "createdAt": 1_690_000_000,
            "updatedAt": 1_690_000_000,
        },
    }
    site.add_group(9, [assignment])
    return 9


SCENARIOS = [
    pytest.param(succeeds, id="success"),
    pytest.param(unknown_group, id="404"),
    pytest.param(server_error_echoing_the_key, id="500 html echoing the key"),
    pytest.param(rate_limit_echoing_the_key, id="429 echoing the key"),
    pytest.param(too_slow, id="timeout"),
    pytest.param(dropped, id="dropped connection"),
    pytest.param(truncated, id="truncated body"),
    pytest.param(redirected, id="redirect"),
    pytest.param(body_echoing_the_key, id="validation error echoing the key"),
    pytest.param(page_echoing_the_key, id="200 html echoing the key"),
    pytest.param(key_in_a_field_name, id="validation error, key as a field name"),
    pytest.param(coding_echoing_the_key, id="key as the content coding"),
]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_key_hidden_on_every_path(
    site: FakeKonstantly,
    everything_logged: pytest.LogCaptureFixture,
    scenario: Scenario,
) -> None:
    """Success and every failure: no record, repr or error shows the key."""
    group_id = scenario(site)

    with konstantly.Konstantly(
        api_key=KEY, base_url=site.base_url, timeout=0.3
    ) as client:
        try:
            outcome: object = client.groups.list_assignments(group_id)
        except konstantly.KonstantlyError as error:
            outcome = error
        texts = shown(client) + shown(outcome)

    assert site.requests, "the scenario should have reached the site"
    names = {record.name.split(".")[0] for record in everything_logged.records}
    assert {"konstantly", "httpcore"} <= names
    assert_key_hidden(texts, everything_logged)


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_async_key_hidden_on_every_path(
    site: FakeKonstantly,
    everything_logged: pytest.LogCaptureFixture,
    scenario: Scenario,
) -> None:
    """The asynchronous client keeps the key as well hidden."""
    group_id = scenario(site)

    async with konstantly.AsyncKonstantly(
        api_key=KEY, base_url=site.base_url, timeout=0.3
    ) as client:
        try:
            outcome: object = await client.groups.list_assignments(group_id)
        except konstantly.KonstantlyError as error:
            outcome = error
        texts = shown(client) + shown(outcome)

    assert_key_hidden(texts, everything_logged)


def test_key_as_an_unknown_measure_is_not_logged(
    site: FakeKonstantly, everything_logged: pytest.LogCaptureFixture
) -> None:
    """The warning about an unknown measure names it without the key.

    The measure itself is the server's data, kept as it came on the result.
    """
    group_id = measure_echoing_the_key(site)

    with konstantly.Konstantly(api_key=KEY, base_url=site.base_url) as client:
        result = client.groups.list_assignments(group_id)

    assert result[0].deadline is not None
    assert result[0].deadline.period == konstantly.DeadlinePeriod(KEY, 1)
    assert "unknown unit '[redacted]'" in everything_logged.text
    assert_key_hidden([], everything_logged)


# Answers that break HTTP itself, with the key in the part httpx complains of.
BROKEN_ANSWERS = [
    pytest.param(b"HTTP/1.1 " + KEY.encode() + b"\r\n\r\n", id="status line"),
    pytest.param(
        b"HTTP/1.1 200 OK\r\nX-Echo: a\x00" + KEY.encode() + b"\r\n\r\n",
        id="header line",
    ),
    pytest.param(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + KEY.encode()
        + b"\r\n",
        id="chunk size",
    ),
]


@pytest.mark.parametrize("answer", BROKEN_ANSWERS)
def test_key_hidden_in_a_broken_answer(
    raw_server: Callable[[bytes], Any],
    everything_logged: pytest.LogCaptureFixture,
    answer: bytes,
) -> None:
    """httpx quotes what it could not parse; the error quotes it without the key."""
    server = raw_server(answer)

    with (
        konstantly.Konstantly(api_key=KEY, base_url=server.base_url) as client,
        pytest.raises(konstantly.APIConnectionError) as caught,
    ):
        client.groups.list_assignments(123)

    assert "[redacted]" in str(caught.value)
    assert_key_hidden(shown(client) + shown(caught.value), everything_logged)


@pytest.mark.anyio
@pytest.mark.parametrize("answer", BROKEN_ANSWERS)
async def test_async_key_hidden_in_a_broken_answer(
    raw_server: Callable[[bytes], Any],
    everything_logged: pytest.LogCaptureFixture,
    answer: bytes,
) -> None:
    """The asynchronous client hides it the same way."""
    server = raw_server(answer)

    async with konstantly.AsyncKonstantly(
        api_key=KEY, base_url=server.base_url
    ) as client:
        with pytest.raises(konstantly.APIConnectionError) as caught:
            await client.groups.list_assignments(123)

    assert "[redacted]" in str(caught.value)
    assert_key_hidden(shown(client) + shown(caught.value), everything_logged)


def test_wrong_key_from_the_environment_is_not_shown(
    everything_logged: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 401 for a key read from KONSTANTLY_API_KEY names no key."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", KEY)

    with FakeKonstantly(api_key="the-right-key") as site:
        with (
            konstantly.Konstantly(base_url=site.base_url) as client,
            pytest.raises(konstantly.AuthenticationError) as caught,
        ):
            client.groups.list_assignments(123)
        sent = site.requests[0].headers["x-api-key"]

    assert sent == KEY
    assert caught.value.message == "Invalid API key"
    assert_key_hidden(shown(client) + shown(caught.value), everything_logged)


def test_many_groups_hide_the_key_in_every_error(
    site: FakeKonstantly, everything_logged: pytest.LogCaptureFixture
) -> None:
    """The errors list_assignments_many keeps in place show no key either."""
    site.inject(Fault.status(500, ECHO_HTML, content_type="text/html"), times=3)

    with konstantly.Konstantly(api_key=KEY, base_url=site.base_url) as client:
        results = client.groups.list_assignments_many(
            [123, 999, 200], concurrency=1, return_exceptions=True
        )

    assert isinstance(results[123], konstantly.InternalServerError)
    assert isinstance(results[999], konstantly.NotFoundError)
    texts = [text for result in results.values() for text in shown(result)]
    assert_key_hidden([*texts, repr(results)], everything_logged)


CONFIGURATION_MISTAKES = [
    pytest.param({"api_key": f"{KEY}\n{KEY}"}, id="key with a newline"),
    pytest.param({"api_key": f"{KEY} {KEY}"}, id="key with a space"),
    pytest.param({"api_key": f"{KEY}\t{KEY}"}, id="key with a tab"),
    pytest.param({"api_key": f"{KEY}-\u00e9"}, id="key with a non-ASCII letter"),
    pytest.param({"base_url": f"https://{KEY}@acme.konstant.ly/v1"}, id="key as user"),
    pytest.param({"base_url": f"https://acme.konstant.ly/v1?key={KEY}"}, id="query"),
    pytest.param({"base_url": "http://acme.konstant.ly/openapi/v1"}, id="plain http"),
    pytest.param({"site": "acme site"}, id="site not a label"),
    pytest.param({"timezone": "Mars/Olympus_Mons"}, id="timezone"),
    pytest.param({"timeout": -1}, id="timeout"),
    pytest.param({"max_retries": -1}, id="max_retries"),
    pytest.param({"max_retry_wait": float("nan")}, id="max_retry_wait"),
]


@pytest.mark.parametrize("options", CONFIGURATION_MISTAKES)
def test_configuration_errors_do_not_show_the_key(
    everything_logged: pytest.LogCaptureFixture, options: dict[str, Any]
) -> None:
    """Refusing a setting never repeats the key, even a malformed one."""
    options = {"api_key": KEY, "site": "acme", **options}

    with pytest.raises(konstantly.ConfigurationError) as caught:
        konstantly.Konstantly(**options)

    assert_key_hidden(shown(caught.value), everything_logged)


@pytest.mark.parametrize(
    "base_url",
    [
        f"http://user:{KEY}@acme.example/openapi/v1",
        f"ftp://{KEY}@acme.example/",
        f"https://user:{KEY}@acme.konstant.ly/openapi/v1",
        f"https://{KEY}@[bad/",
    ],
)
def test_key_in_a_refused_base_url_is_not_shown(
    everything_logged: pytest.LogCaptureFixture, base_url: str
) -> None:
    """A base URL carrying the key as its password is refused without echoing it."""
    with pytest.raises(konstantly.ConfigurationError) as caught:
        konstantly.Konstantly(api_key=KEY, base_url=base_url)

    assert_key_hidden(shown(caught.value), everything_logged)


@pytest.mark.parametrize(
    ("group_id", "options"),
    [("123", {}), (0, {}), (123, {"timeout": 0}), (123, {"max_retries": -1})],
)
def test_argument_errors_do_not_show_the_key(
    site: FakeKonstantly,
    everything_logged: pytest.LogCaptureFixture,
    group_id: Any,
    options: dict[str, Any],
) -> None:
    """A wrong argument to a call is refused without the key, and nothing is sent."""
    with (
        konstantly.Konstantly(api_key=KEY, base_url=site.base_url) as client,
        pytest.raises(konstantly.InvalidArgumentError) as caught,
    ):
        client.groups.list_assignments(group_id, **options)

    assert site.requests == []
    assert_key_hidden(shown(client) + shown(caught.value), everything_logged)


# --- The command ------------------------------------------------------------

CLI_SCENARIOS = [
    pytest.param(succeeds, 0, id="success"),
    pytest.param(unknown_group, 1, id="404"),
    pytest.param(server_error_echoing_the_key, 1, id="500 html echoing the key"),
    pytest.param(rate_limit_echoing_the_key, 1, id="429 echoing the key"),
    pytest.param(dropped, 1, id="dropped connection"),
    pytest.param(redirected, 1, id="redirect"),
    pytest.param(body_echoing_the_key, 1, id="validation error echoing the key"),
    pytest.param(page_echoing_the_key, 1, id="200 html echoing the key"),
]


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["quiet", "debug"])
@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
@pytest.mark.parametrize(("scenario", "exit_status"), CLI_SCENARIOS)
def test_command_output_never_shows_the_key(
    site: FakeKonstantly,
    everything_logged: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    scenario: Scenario,
    exit_status: int,
    output_format: str,
    debug: list[str],
) -> None:
    """Whatever happens, stdout and stderr hold no key, tracebacks included."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", KEY)
    group_id = scenario(site)

    status = _cli.main(
        [
            *debug,
            "assignments",
            str(group_id),
            "--base-url",
            site.base_url,
            "--format",
            output_format,
        ]
    )

    out, err = capsys.readouterr()
    assert status == exit_status, err
    assert (exit_status == 0) == bool(out.strip())
    if debug:
        assert " DEBUG konstantly" in err
    assert KEY not in out
    assert KEY not in err
    assert_key_hidden([], everything_logged)


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["quiet", "debug"])
@pytest.mark.parametrize(
    "where",
    [
        ["--base-url", "http://acme.example/openapi/v1"],
        ["--site", "not a site"],
        ["--base-url", f"https://acme.konstant.ly/v1?key={KEY}"],
    ],
    ids=["plain http", "bad site", "key in the query"],
)
def test_command_configuration_errors_never_show_the_key(
    everything_logged: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: list[str],
    debug: list[str],
) -> None:
    """A setting the client refuses exits 2 with a message that holds no key."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", KEY)

    status = _cli.main([*debug, "assignments", "123", *where])

    out, err = capsys.readouterr()
    assert status == 2
    assert "ConfigurationError: " in err
    assert KEY not in out + err
    assert_key_hidden([], everything_logged)


def test_command_key_file_is_read_but_not_shown(
    site: FakeKonstantly,
    everything_logged: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A key from --api-key-file is used and, on a 404, still not printed."""
    monkeypatch.delenv("KONSTANTLY_API_KEY", raising=False)
    key_file = tmp_path / "key"
    key_file.write_text(f"{KEY}\n", encoding="utf-8")

    status = _cli.main(
        [
            *("--debug", "assignments", "999", "--base-url", site.base_url),
            *("--api-key-file", str(key_file)),
        ]
    )

    out, err = capsys.readouterr()
    assert status == 1
    assert "NotFoundError: Group not found" in err
    assert site.requests[0].headers["x-api-key"] == KEY
    assert KEY not in out + err
    assert_key_hidden([], everything_logged)


def run_command(
    site: FakeKonstantly, *arguments: str
) -> subprocess.CompletedProcess[str]:
    """`python -m konstantly assignments ...` with the key and KONSTANTLY_LOG=debug."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("KONSTANTLY_")
    }
    environment |= {"KONSTANTLY_API_KEY": KEY, "KONSTANTLY_LOG": "debug"}
    return subprocess.run(
        [
            *(sys.executable, "-m", "konstantly", "assignments", *arguments),
            *("--base-url", site.base_url),
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_debug_log_of_a_process_shows_no_key(site: FakeKonstantly) -> None:
    """KONSTANTLY_LOG=debug writes DEBUG lines to stderr, none with the key."""
    ok = run_command(site, "123")
    site.set_raw_response(404, 404, ECHO_HTML, {"Content-Type": "text/html"})
    failed = run_command(site, "404")

    assert ok.returncode == 0, ok.stderr
    assert failed.returncode == 1, failed.stderr
    for process in (ok, failed):
        assert " DEBUG konstantly._client: GET /groups/" in process.stderr
        assert KEY not in process.stdout
        assert KEY not in process.stderr
    assert "NotFoundError: " in failed.stderr
