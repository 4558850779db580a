from __future__ import annotations

import logging
import os
import sys

__all__ = [
    "LOG_ENV",
    "StderrHandler",
    "configure_from_environment",
    "enable_stderr_logging",
    "hide_in_http_logs",
]

LOG_ENV = "KONSTANTLY_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.Handler):
    """Write each record to `sys.stderr` as it is then, not as it was at the start.

    While the progress bar shows, rich's Progress puts a proxy in `sys.stderr`
    (its documented `redirect_stderr`) that prints each line above the bar; a
    handler holding on to the real stderr would write across the bar instead.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            stream = sys.stderr
            stream.write(line + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def enable_stderr_logging(level: int) -> None:
    """Show the `konstantly` logger's records at `level` and above on stderr."""
    logger = logging.getLogger("konstantly")
    logger.setLevel(level)
    if not any(getattr(h, "_konstantly", False) for h in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._konstantly = True  # type: ignore[attr-defined]  # our marker
        logger.addHandler(handler)


def configure_from_environment() -> None:
    """Attach a stderr handler when KONSTANTLY_LOG is `debug` or `info`."""
    level = _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is not None:
        enable_stderr_logging(level)


# httpcore logs, at DEBUG, the headers of each answer and the exceptions it
# raises, both of which quote what the server sent; a hostile server or a
# proxy may echo the key there.
_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_HIDDEN: set[str] = set()


class _HideKeys(logging.Filter):
    """Blots the keys of this process's clients out of each record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = shown = record.getMessage()
        for key in _HIDDEN:
            shown = shown.replace(key, "[redacted]")
        if shown != message:
            record.msg, record.args = shown, None
        return True


_HIDE_KEYS = _HideKeys()


def hide_in_http_logs(api_key: str) -> None:
    """Keep `api_key` out of the records of httpx's and httpcore's loggers."""
    _HIDDEN.add(api_key)
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _HIDE_KEYS not in logger.filters:
            logger.addFilter(_HIDE_KEYS)
