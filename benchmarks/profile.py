"""Where the facade's time and memory go: `python -m benchmarks.profile`.

- `time`: pyinstrument's call tree of `list_assignments` on the 10,000
  assignment body of the parse scenario, served from another process, plus
  cProfile's functions by their own time.
- `memory`: tracemalloc's allocations still held by a GroupAssignments of
  100,000 assignments fetched over loopback, by the line that made them, and
  the bytes per assignment of each kind of object it holds.

Profilers slow the code down, unevenly: read the shares, not the times.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import sys
import tracemalloc
from collections import Counter
from typing import Any, Final

import konstantly
from pyinstrument import Profiler

from .server import MEMORY_GROUP_ID, PARSE_GROUP_ID, served

PROFILED_CALLS: Final = 5
TOP: Final = 25


def profile_time() -> None:
    """Print where `list_assignments` spends its time on a large body."""
    with (
        served("parse") as (base_url, api_key),
        konstantly.Konstantly(
            api_key=api_key, base_url=base_url, max_retries=0
        ) as client,
    ):
        client.groups.list_assignments(PARSE_GROUP_ID)

        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(PROFILED_CALLS):
                client.groups.list_assignments(PARSE_GROUP_ID)
        print(profiler.output_text(unicode=True, show_all=False, short_mode=False))

        by_function = cProfile.Profile()
        with by_function:
            for _ in range(PROFILED_CALLS):
                client.groups.list_assignments(PARSE_GROUP_ID)
    output = io.StringIO()
    stats = pstats.Stats(by_function, stream=output)
    stats.strip_dirs().sort_stats("tottime").print_stats(TOP)
    print(output.getvalue())


def profile_memory() -> None:
    """Print what a GroupAssignments of many assignments holds on to."""
    with (
        served("memory") as (base_url, api_key),
        konstantly.Konstantly(
            api_key=api_key, base_url=base_url, max_retries=0
        ) as client,
    ):
        gc.collect()
        tracemalloc.start(1)
        result = client.groups.list_assignments(MEMORY_GROUP_ID)
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()

    print(f"held: {held / 2**20:.1f} MiB, {held / len(result):.0f} bytes a row\n")
    for statistic in snapshot.statistics("lineno")[:TOP]:
        print(f"{statistic.size / 2**20:8.1f} MiB  {statistic.traceback[0]}")

    print("\nbytes per assignment, by the kind of object held:")
    for kind, size in _sizes_by_kind(result).most_common():
        print(f"{size / len(result):8.0f}  {kind}")


def _sizes_by_kind(root: object) -> Counter[str]:
    """sys.getsizeof of everything reachable from `root`, once each, by type."""
    sizes: Counter[str] = Counter()
    seen: set[int] = set()
    pending: list[Any] = [root]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        kind = type(item)
        sizes[f"{kind.__module__}.{kind.__qualname__}"] += sys.getsizeof(item)
        pending.extend(gc.get_referents(item))
    return sizes


def main(argv: list[str]) -> int:
    """Profile what `argv` names: `time`, `memory`, or both when empty."""
    kinds = argv or ["time", "memory"]
    if any(kind not in {"time", "memory"} for kind in kinds):
        print("usage: python -m benchmarks.profile [time] [memory]")
        return 2

    if "time" in kinds:
        profile_time()
    if "memory" in kinds:
        profile_memory()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
