"""Run the ``konstantly`` command as ``python -m konstantly``."""

from __future__ import annotations

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
