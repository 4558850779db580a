from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from dateutil.tz import tzlocal

from ._errors import ConfigurationError

API_KEY_ENV = "KONSTANTLY_API_KEY"
SITE_ENV = "KONSTANTLY_SITE"
BASE_URL_ENV = "KONSTANTLY_BASE_URL"

# A site is the first label of `<site>.konstant.ly` (RFC 1035, section 2.3.1).
_SITE_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_LOOPBACK_NAMES = frozenset({"localhost"})
_MACHINE_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_CREDENTIALS = re.compile(r"://[^/?#]*@")
# Connecting should be quick; reading a large group may take a while.
_CONNECT_TIMEOUT = 5.0
# Far beyond any answer or any pause worth waiting for; longer ones overflow
# the system's socket timeouts and sleeps.
_MAX_SECONDS = 86_400.0
# With the backoff's cap of 8 s, a hundred retries already wait a quarter of
# an hour.
_MAX_RETRIES = 100


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a client needs, checked once when it is built."""

    api_key: str
    base_url: str
    timezone: tzinfo
    timeout: httpx.Timeout
    max_retries: int
    max_retry_wait: float

    def __repr__(self) -> str:
        return f"Settings(base_url={self.base_url!r}, timezone={self.timezone!s})"


def resolve_settings(
    *,
    api_key: str | None,
    site: str | None,
    base_url: str | None,
    timezone: str | tzinfo,
    timeout: float | httpx.Timeout,
    max_retries: int,
    max_retry_wait: float,
) -> Settings:
    """Combine the arguments with the environment and check every value."""
    return Settings(
        api_key=_resolve_api_key(api_key),
        base_url=_resolve_base_url(site, base_url),
        timezone=resolve_timezone(timezone),
        timeout=resolve_timeout(timeout, error=ConfigurationError),
        max_retries=resolve_max_retries(max_retries, error=ConfigurationError),
        max_retry_wait=_resolve_max_retry_wait(max_retry_wait),
    )


def _resolve_api_key(api_key: str | None) -> str:
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
    if not isinstance(api_key, str | None):
        message = (
            f"api_key must be a string, got {type(api_key).__name__}; pass the "
            f"key or set {API_KEY_ENV}."
        )
        raise ConfigurationError(message)
    # A newline from `echo key > file` or a stray space from a copy is not
    # part of any key.
    api_key = api_key.strip() if api_key is not None else ""
    if not api_key:
        message = (
            f"No API key: pass api_key=... or set the {API_KEY_ENV} environment "
            "variable to the key from your site's Settings > API page."
        )
        raise ConfigurationError(message)

    # The key's value is never part of a message, only what is wrong with it.
    # A header carries visible ASCII only (RFC 9110, section 5.5).
    if not is_visible_ascii(api_key):
        message = (
            "The API key holds spaces, control characters or non-ASCII letters, "
            f"which no key has; check api_key or {API_KEY_ENV} for a copying "
            "mistake."
        )
        raise ConfigurationError(message)
    return api_key


def _resolve_base_url(site: str | None, base_url: str | None) -> str:
    if base_url is not None:
        return _check_base_url(base_url)
    if site is not None:
        return _site_url(site)

    env_base_url = os.environ.get(BASE_URL_ENV)
    if env_base_url:
        return _check_base_url(env_base_url)
    env_site = os.environ.get(SITE_ENV)
    if env_site:
        return _site_url(env_site)

    message = (
        "No site: pass site='yoursite' (for https://yoursite.konstant.ly) or "
        f"base_url=..., or set {SITE_ENV} or {BASE_URL_ENV}."
    )
    raise ConfigurationError(message)


def _site_url(site: str) -> str:
    if not isinstance(site, str) or not _SITE_LABEL.fullmatch(site):
        message = (
            f"The site {site!r} is not a DNS label: use only the first part of "
            "your address, e.g. 'acme' for https://acme.konstant.ly."
        )
        raise ConfigurationError(message)
    return f"https://{site.lower()}.konstant.ly/openapi/v1"


def _check_base_url(base_url: str) -> str:
    if not isinstance(base_url, str):
        message = f"base_url must be a string, got {type(base_url).__name__}."
        raise ConfigurationError(message)

    # Messages show the URL without its user part and query, where a key may sit.
    shown = _CREDENTIALS.sub("://***@", re.split(r"[?#]", base_url, maxsplit=1)[0])
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError, ValueError):
        message = f"The base URL {shown!r} is not a valid URL."
        raise ConfigurationError(message) from None

    if url.userinfo or url.query or url.fragment:
        message = (
            f"The base URL {shown!r} must not carry credentials, a query or a "
            "fragment; pass the API key as api_key instead."
        )
        raise ConfigurationError(message)
    if url.port is not None and not 0 < url.port < 2**16:
        message = (
            f"The base URL {shown!r} names port {url.port}; a port runs from 1 "
            "to 65535."
        )
        raise ConfigurationError(message)
    if url.scheme not in ("http", "https") or not url.host:
        message = (
            f"The base URL {shown!r} must be an absolute http(s) URL, such as "
            "'https://acme.konstant.ly/openapi/v1'."
        )
        raise ConfigurationError(message)
    # The key travels in a header: plain http would show it to the network.
    if url.scheme == "http" and not _is_loopback(url.host):
        message = (
            f"The base URL {shown!r} uses plain http, which would send the API "
            "key unencrypted; use https (http is allowed only for localhost)."
        )
        raise ConfigurationError(message)
    return str(url).rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_timezone(timezone: str | tzinfo) -> tzinfo:
    """The calendar for relative deadlines, from an IANA name or a tzinfo."""
    if isinstance(timezone, tzinfo):
        return _check_tzinfo(timezone)

    message = (
        f"Unknown timezone {timezone!r}: use an IANA name such as 'UTC' or "
        "'Europe/Berlin', or a tzinfo object."
    )
    # These names are files that follow the machine's own zone, which a
    # deadline must never depend on.
    if timezone in _MACHINE_ZONES:
        raise ConfigurationError(message)
    try:
        return ZoneInfo(timezone)
    # A name may also be a folder ('Europe') or too long for a file name.
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ConfigurationError(message) from None


def _check_tzinfo(timezone: tzinfo) -> tzinfo:
    """`timezone` if it is a zone that does not follow the machine's own."""
    if isinstance(timezone, tzlocal) or (
        isinstance(timezone, ZoneInfo) and timezone.key in _MACHINE_ZONES
    ):
        message = (
            f"The timezone {timezone!r} follows the machine's own zone, which a "
            "deadline must not depend on; name the zone, e.g. 'Europe/Berlin'."
        )
        raise ConfigurationError(message)

    # A tzinfo of one's own may be broken; better to learn it here than
    # on the first relative deadline.
    try:
        offset = datetime(2000, 1, 1, tzinfo=timezone).utcoffset()
    except Exception:
        offset = None
    if offset is None or abs(offset) >= timedelta(hours=24):
        message = (
            f"The timezone {timezone!r} gives no usable UTC offset; use an IANA "
            "name such as 'Europe/Berlin', or a zoneinfo.ZoneInfo."
        )
        raise ConfigurationError(message)
    return timezone


def resolve_timeout(
    timeout: float | httpx.Timeout, *, error: type[Exception]
) -> httpx.Timeout:
    """An httpx timeout with every limit set; `error` is raised otherwise."""
    if isinstance(timeout, httpx.Timeout):
        limits = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if all(_is_up_to_a_day(limit) for limit in limits):
            return timeout
    elif _is_up_to_a_day(timeout):
        seconds = float(timeout)
        return httpx.Timeout(seconds, connect=min(_CONNECT_TIMEOUT, seconds))

    message = (
        f"timeout must be a positive number of seconds, up to a day, or an "
        f"httpx.Timeout with every limit set so, got {timeout!r}; waiting "
        "forever is not an option."
    )
    raise error(message)


def _is_up_to_a_day(value: object) -> bool:
    return _is_positive_number(value) and value <= _MAX_SECONDS


def is_visible_ascii(text: str) -> bool:
    """Whether `text` could be a header's value: visible ASCII, no spaces."""
    return all("!" <= char <= "~" for char in text)


def resolve_max_retries(max_retries: int, *, error: type[Exception]) -> int:
    """A retry count checked as a non-negative int; `error` is raised otherwise."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        message = f"max_retries must be an int, got {max_retries!r}."
        raise error(message)
    if not 0 <= max_retries <= _MAX_RETRIES:
        message = f"max_retries must be from 0 to {_MAX_RETRIES}, got {max_retries!r}."
        raise error(message)
    return max_retries


def _resolve_max_retry_wait(max_retry_wait: float) -> float:
    if max_retry_wait == 0 or _is_up_to_a_day(max_retry_wait):
        return float(max_retry_wait)

    message = f"max_retry_wait must be from 0 seconds to a day, got {max_retry_wait!r}."
    raise ConfigurationError(message)


def _is_positive_number(value: object) -> TypeGuard[float]:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
