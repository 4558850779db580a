"""Repeated wall-clock measurements and their summary."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """The wall-clock seconds of repeated runs of one piece of work."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def as_json(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "min_s": min(self.samples),
            "max_s": max(self.samples),
            "runs": len(self.samples),
        }


def measure(
    works: Mapping[str, Callable[[], object]], *, warmups: int, runs: int
) -> dict[str, Timing]:
    """Time `runs` calls of each piece of work, after `warmups` untimed ones.

    The pieces take turns, one call each per round, so that a change in the
    machine's load during the measurement falls on all of them alike. Each
    call starts after a full garbage collection, and its result is dropped
    before the next, so no call pays for collecting another's objects.
    """
    for _ in range(warmups):
        for work in works.values():
            work()

    samples: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(runs):
        for name, work in works.items():
            gc.collect()
            started = time.perf_counter()
            result = work()
            samples[name].append(time.perf_counter() - started)
            del result
    return {name: Timing(tuple(times)) for name, times in samples.items()}
