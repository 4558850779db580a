"""Client configuration: arguments, environment variables and argument checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import konstantly
import pytest
from dateutil.tz import tzlocal
from pytest_httpserver import HTTPServer

MakeClient = Callable[..., konstantly.Konstantly]

PATH = "/openapi/v1/groups/123/assignments"
ENV_NAMES = ("KONSTANTLY_API_KEY", "KONSTANTLY_SITE", "KONSTANTLY_BASE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test with none of the client's variables set."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def build(**options: Any) -> konstantly.Konstantly:
    """Build a client and close it at once; construction is what is tested.

    The client has no public base_url attribute; its repr shows the address.
    """
    with konstantly.Konstantly(**options) as client:
        return client


@pytest.mark.parametrize("api_key", [None, "", "  \n"])
def test_missing_api_key_names_argument_and_variable(api_key: str | None) -> None:
    """Without a key, the error says how to give one."""
    with pytest.raises(konstantly.ConfigurationError) as caught:
        build(api_key=api_key, site="acme")

    assert "api_key" in str(caught.value)
    assert "KONSTANTLY_API_KEY" in str(caught.value)


def test_missing_site_names_arguments_and_variables() -> None:
    """Without a site or base URL, the error names all four ways to give one."""
    with pytest.raises(konstantly.ConfigurationError) as caught:
        build(api_key="secret-key")

    message = str(caught.value)
    for name in ("site", "base_url", "KONSTANTLY_SITE", "KONSTANTLY_BASE_URL"):
        assert name in message
    assert "secret-key" not in message


def test_api_key_and_base_url_from_environment(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    example_body: dict[str, Any],
) -> None:
    """KONSTANTLY_API_KEY and KONSTANTLY_BASE_URL stand in for the arguments."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", "key-from-env")
    monkeypatch.setenv("KONSTANTLY_BASE_URL", base_url)
    httpserver.expect_request(PATH).respond_with_json(example_body)

    with konstantly.Konstantly(max_retries=0) as client:
        result = client.groups.list_assignments(123)

    assert len(result) == 2
    assert httpserver.log[0][0].headers["X-API-KEY"] == "key-from-env"


def test_arguments_win_over_environment(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    example_body: dict[str, Any],
) -> None:
    """An api_key or base_url argument is used instead of its variable."""
    monkeypatch.setenv("KONSTANTLY_API_KEY", "key-from-env")
    monkeypatch.setenv("KONSTANTLY_BASE_URL", "https://unused.example.com/openapi/v1")
    httpserver.expect_request(PATH).respond_with_json(example_body)

    with konstantly.Konstantly(
        api_key="key-from-argument", base_url=base_url, max_retries=0
    ) as client:
        client.groups.list_assignments(123)

    assert httpserver.log[0][0].headers["X-API-KEY"] == "key-from-argument"


def test_site_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """KONSTANTLY_SITE alone is enough to build a client for that site."""
    monkeypatch.setenv("KONSTANTLY_SITE", "acme")

    client = build(api_key="k")

    assert "'https://acme.konstant.ly/openapi/v1'" in repr(client)


@pytest.mark.parametrize("site", ["acme", "my-school", "a", "school42"])
def test_site_becomes_its_konstantly_url(site: str) -> None:
    """A site name is the subdomain of konstant.ly, with the API root."""
    client = build(api_key="k", site=site)

    assert f"'https://{site}.konstant.ly/openapi/v1'" in repr(client)


def test_base_url_wins_over_site(
    httpserver: HTTPServer, base_url: str, example_body: dict[str, Any]
) -> None:
    """With both a site and a base URL, requests go to the base URL."""
    httpserver.expect_request(PATH).respond_with_json(example_body)

    with konstantly.Konstantly(
        api_key="k", site="acme", base_url=base_url, max_retries=0
    ) as client:
        result = client.groups.list_assignments(123)

    assert len(result) == 2
    assert len(httpserver.log) == 1


def test_base_url_variable_wins_over_site_variable(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    example_body: dict[str, Any],
) -> None:
    """KONSTANTLY_BASE_URL wins over KONSTANTLY_SITE too."""
    monkeypatch.setenv("KONSTANTLY_SITE", "acme")
    monkeypatch.setenv("KONSTANTLY_BASE_URL", base_url)
    httpserver.expect_request(PATH).respond_with_json(example_body)

    with konstantly.Konstantly(api_key="k", max_retries=0) as client:
        client.groups.list_assignments(123)

    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/openapi/v1",
        "http://127.0.0.1:8080/openapi/v1",
        "http://127.5.6.7/openapi/v1",
        "http://[::1]:8080/openapi/v1",
        "https://acme.konstant.ly/openapi/v1",
        "https://lms.example.com/openapi/v1",
    ],
)
def test_https_or_loopback_http_is_allowed(url: str) -> None:
    """Plain http is fine for loopback hosts; https for any host."""
    client = build(api_key="k", base_url=url)

    assert repr(url) in repr(client)


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.konstant.ly/openapi/v1",
        "http://10.0.0.1/openapi/v1",
        "http://192.168.1.20:8080/openapi/v1",
        "http://localhost.attacker.example/openapi/v1",
        "http://127.0.0.1.nip.io/openapi/v1",
        "ftp://localhost/openapi/v1",
        "acme.konstant.ly/openapi/v1",
        "not a url",
        "https://acme.konstant.ly:99999/openapi/v1",
        "http://127.0.0.1:0/openapi/v1",
    ],
)
def test_other_base_urls_are_refused(url: str) -> None:
    """http to a non-loopback host would send the key in clear text: refused."""
    with pytest.raises(konstantly.ConfigurationError) as caught:
        build(api_key="secret-key", base_url=url)

    assert "secret-key" not in str(caught.value)


@pytest.mark.parametrize(
    "site", ["bad site!", "a.b", "acme.konstant.ly", "-acme", "acme_school", "a" * 64]
)
def test_site_must_be_a_dns_label(site: str) -> None:
    """A site is one DNS label: letters, digits and inner hyphens, at most 63."""
    with pytest.raises(konstantly.ConfigurationError) as caught:
        build(api_key="k", site=site)

    assert repr(site) in str(caught.value)


def test_surrounding_whitespace_is_trimmed_from_the_key(
    httpserver: HTTPServer, example_body: dict[str, Any]
) -> None:
    """A newline left by `echo key > file` does not reach the header."""
    httpserver.expect_request(
        "/openapi/v1/groups/123/assignments", headers={"X-API-KEY": "abc-123"}
    ).respond_with_json(example_body)

    with konstantly.Konstantly(
        api_key=" abc-123\n", base_url=httpserver.url_for("/openapi/v1")
    ) as client:
        assignments = client.groups.list_assignments(123)

    assert len(assignments) == 2


@pytest.mark.parametrize("api_key", ["abc def", "abc\x00", "clé", "abc\u200b"])
def test_key_with_inner_spaces_or_non_ascii_is_refused(api_key: str) -> None:
    """Header values are visible ASCII; anything else is a copying mistake."""
    with pytest.raises(konstantly.ConfigurationError, match="KONSTANTLY_API_KEY"):
        build(api_key=api_key, site="acme")


@pytest.mark.parametrize(
    "timezone",
    ["Mars/Olympus_Mons", "", "UTC+25", "localtime", "posixrules", "Europe", "a" * 300],
)
def test_unknown_timezone_is_refused(timezone: str) -> None:
    """A timezone that is not an IANA zone's name is a configuration error."""
    with pytest.raises(konstantly.ConfigurationError, match="Unknown timezone"):
        build(api_key="k", site="acme", timezone=timezone)


class _Broken(tzinfo):
    """A tzinfo of one's own that cannot say its offset."""

    def utcoffset(self, moment: datetime | None) -> timedelta:
        raise NotImplementedError

    def dst(self, moment: datetime | None) -> timedelta:
        return timedelta(0)


class _OffTheClock(_Broken):
    def utcoffset(self, moment: datetime | None) -> timedelta:
        return timedelta(hours=30)


@pytest.mark.parametrize(
    ("make_zone", "words"),
    [
        (tzlocal, "follows the machine's own zone"),
        (lambda: ZoneInfo("localtime"), "follows the machine's own zone"),
        (_Broken, "gives no usable UTC offset"),
        (_OffTheClock, "gives no usable UTC offset"),
    ],
)
def test_unusable_tzinfo_is_refused(
    make_zone: Callable[[], tzinfo], words: str
) -> None:
    """A tzinfo that follows the machine or has no offset is refused up front."""
    with pytest.raises(konstantly.ConfigurationError, match=words):
        build(api_key="k", site="acme", timezone=make_zone())


def test_fixed_offset_tzinfo_is_accepted() -> None:
    """Any working tzinfo will do, such as a fixed offset."""
    zone = timezone(timedelta(hours=5, minutes=30))

    client = build(api_key="k", site="acme", timezone=zone)

    assert client.timezone is zone


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"max_retries": -1}, "max_retries must be from 0 to 100, got -1."),
        ({"max_retries": 10**9}, "max_retries must be from 0 to 100"),
        ({"max_retries": True}, "max_retries must be an int, got True."),
        ({"max_retries": 2.0}, "max_retries must be an int, got 2.0."),
        ({"max_retry_wait": -1}, "from 0 seconds to a day, got -1."),
        ({"max_retry_wait": 1e10}, "from 0 seconds to a day, got 10000000000.0."),
        ({"max_retry_wait": float("nan")}, "from 0 seconds to a day, got nan."),
        ({"max_retry_wait": "60"}, "from 0 seconds to a day, got '60'."),
    ],
)
def test_unusable_retry_settings_are_refused(
    options: dict[str, Any], words: str
) -> None:
    """Retries are bounded: neither a call nor its waits may run for ever."""
    with pytest.raises(konstantly.ConfigurationError) as caught:
        build(api_key="k", site="acme", **options)

    assert words in str(caught.value)


def test_widest_retry_settings_are_accepted() -> None:
    """A hundred retries and a day's wait are the most, and allowed."""
    client = build(api_key="k", site="acme", max_retries=100, max_retry_wait=86_400)

    assert repr(client) == (
        "Konstantly(base_url='https://acme.konstant.ly/openapi/v1', timezone='UTC')"
    )


def test_configuration_error_is_not_raised_lazily() -> None:
    """Bad settings fail when the client is built, before any request."""
    with pytest.raises(konstantly.ConfigurationError):
        konstantly.Konstantly(api_key="k", site="acme", timezone="Nowhere/Special")


@pytest.mark.parametrize("group_id", [0, -1, True, False, "123", 1.5, None])
def test_group_id_must_be_a_positive_int(
    httpserver: HTTPServer, make_client: MakeClient, group_id: Any
) -> None:
    """A group id that is not a positive int is refused before any request."""
    client = make_client()

    with pytest.raises(konstantly.InvalidArgumentError) as caught:
        client.groups.list_assignments(group_id)

    assert isinstance(caught.value, ValueError)
    assert repr(group_id) in str(caught.value)
    assert httpserver.log == []


def test_repr_never_shows_the_api_key(api_key: str, base_url: str) -> None:
    """repr(client) describes the client without its key."""
    client = build(api_key=api_key, base_url=base_url)

    assert api_key not in repr(client)
    assert api_key not in str(client)
