"""When and how long to wait before trying a request again, on tenacity."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import tenacity

from ._errors import APIConnectionError, APIStatusError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

logger = logging.getLogger(__name__)

# Statuses that say "not now" rather than "never": a timeout on the server's
# side, rate limiting, and the failures of a server or its gateway.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Exponential backoff from half a second, capped at 8 s, with up to half a
# second of jitter so that clients failing together do not retry together.
_BACKOFF = tenacity.wait_exponential_jitter(multiplier=0.5, max=8.0, jitter=0.5)


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """
    Seconds to wait from a `Retry-After` header, or None when it is unreadable.

    RFC 9110, section 10.2.3 allows a number of seconds or an HTTP date; a date
    in the past means "now". The result is never negative.
    """
    if value is None:
        return None

    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT by definition
        moment = moment.replace(tzinfo=UTC)

    seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one call retries: how often, and the longest wait it accepts."""

    max_retries: int
    max_retry_wait: float

    def should_retry(self, error: BaseException) -> bool:
        """Whether `error` is worth another attempt."""
        retry = self._is_retryable(error)
        logger.debug(
            "%s is %s", type(error).__name__, "retryable" if retry else "final"
        )
        return retry

    def _is_retryable(self, error: BaseException) -> bool:
        if isinstance(error, APIConnectionError):
            return True
        if not isinstance(error, APIStatusError):
            return False
        if error.status_code not in RETRYABLE_STATUSES:
            return False
        # A server that asks for a longer pause than the caller accepts gets
        # its error raised at once, rather than a sleep nobody wants.
        return error.retry_after is None or error.retry_after <= self.max_retry_wait

    def wait_seconds(self, state: tenacity.RetryCallState) -> float:
        """The pause before the next attempt: the server's wish, or a backoff."""
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, APIStatusError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_wait)
        return _BACKOFF(state)

    def retrying(self) -> tenacity.Retrying:
        """A tenacity controller for a synchronous call."""
        return tenacity.Retrying(**self._options())

    def async_retrying(self) -> tenacity.AsyncRetrying:
        """A tenacity controller for an asynchronous call."""
        return tenacity.AsyncRetrying(**self._options())

    def _options(self) -> dict[str, Any]:
        return {
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "wait": self.wait_seconds,
            "retry": tenacity.retry_if_exception(self.should_retry),
            "before_sleep": self._log_sleep,
            "reraise": True,
        }

    def _log_sleep(self, state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        pause = state.upcoming_sleep
        logger.info(
            "retrying in %.2f s (attempt %d of %d) after %s",
            pause,
            state.attempt_number + 1,
            self.max_retries + 1,
            type(error).__name__,
        )
