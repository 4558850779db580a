from __future__ import annotations

import logging
import os

__all__ = ["LOG_ENV", "configure_from_environment", "enable_stderr_logging"]

LOG_ENV = "KONSTANTLY_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def enable_stderr_logging(level: int) -> None:
    """Show the `konstantly` logger's records at `level` and above on stderr."""
    logger = logging.getLogger("konstantly")
    logger.setLevel(level)
    if not any(getattr(h, "_konstantly", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._konstantly = True  # type: ignore[attr-defined]  # our marker
        logger.addHandler(handler)


def configure_from_environment() -> None:
    """Attach a stderr handler when KONSTANTLY_LOG is `debug` or `info`."""
    level = _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is not None:
        enable_stderr_logging(level)
