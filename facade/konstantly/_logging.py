from __future__ import annotations

import logging
import os
import sys

__all__ = [
    "LOG_ENV",
    "StderrHandler",
    "configure_from_environment",
    "enable_stderr_logging",
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
