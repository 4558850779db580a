"""Run the ``konstantly`` command as ``python -m konstantly``."""

from __future__ import annotations

from ._cli import entry_point

if __name__ == "__main__":
    entry_point()
