"""`python -m benchmarks`: run every scenario, print a table, write results.json."""

from __future__ import annotations

import sys

from .runner import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
