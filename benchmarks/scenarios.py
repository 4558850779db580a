"""The benchmark scenarios, one per process: `python -m benchmarks.scenarios NAME`.

Each scenario prints one JSON object on stdout: its figures (times or memory)
and the ratios between them, each ratio with its target and whether it is met.
`python -m benchmarks` runs them all and collects the objects.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any, Final

import httpx
import konstantly

from . import baselines
from .bodies import make_body
from .server import (
    DOCUMENTED_GROUP_ID,
    FAN_OUT_GROUP_IDS,
    FAN_OUT_GROUP_SIZE,
    MEMORY_COUNT,
    MEMORY_GROUP_ID,
    PARSE_COUNT,
    PARSE_GROUP_ID,
    served,
    trusted_certificate,
)
from .timing import Timing, measure

PARSE_WARMUPS: Final = 3
PARSE_RUNS: Final = 15
ROUND_TRIP_CALLS: Final = 500
ROUND_TRIP_RUNS: Final = 5
FAN_OUT_CONCURRENCY: Final = 16
FAN_OUT_RUNS: Final = 10
SEQUENTIAL_RUNS: Final = 3
MIB: Final = 1024 * 1024

Result = dict[str, Any]


def parse() -> Result:
    """Scenario 1: one body of 10,000 assignments, from request to result."""
    with (
        served("parse") as (base_url, api_key),
        konstantly.Konstantly(
            api_key=api_key, base_url=base_url, max_retries=0
        ) as client,
        httpx.Client(headers={"X-API-KEY": api_key}) as http,
    ):
        url = baselines.assignments_url(base_url, PARSE_GROUP_ID)
        _expect(len(client.groups.list_assignments(PARSE_GROUP_ID)), PARSE_COUNT)
        timings = measure(
            {
                "facade": lambda: client.groups.list_assignments(PARSE_GROUP_ID),
                "facade_read": lambda: _read_every_value(
                    client.groups.list_assignments(PARSE_GROUP_ID)
                ),
                "by_hand": lambda: baselines.fetch_with_urllib(
                    base_url, api_key, PARSE_GROUP_ID
                ),
                "by_hand_httpx_get": lambda: baselines.fetch_with_httpx_get(
                    base_url, api_key, PARSE_GROUP_ID
                ),
                "floor": lambda: json.loads(http.get(url).content),
            },
            warmups=PARSE_WARMUPS,
            runs=PARSE_RUNS,
        )

    facade = timings["facade"].median
    return {
        "scenario": "parse",
        "title": f"Parse {PARSE_COUNT:,} assignments (one 3 MB page over loopback)",
        "figures": {
            "facade": _time_figure(
                "facade: Konstantly(max_retries=0), pooled connection",
                timings["facade"],
            ),
            "facade_read": _time_figure(
                "    facade, then every value read, due times too",
                timings["facade_read"],
            ),
            "hand_written": _time_figure(
                "(a) by hand: urllib, json.loads, dataclasses", timings["by_hand"]
            ),
            "hand_written_httpx_get": _time_figure(
                "    by hand with httpx.get instead of urllib",
                timings["by_hand_httpx_get"],
            ),
            "floor": _time_figure(
                "(b) floor: pooled httpx.Client + json.loads", timings["floor"]
            ),
        },
        "ratios": [
            _ratio(
                "facade / (a) by hand",
                facade / timings["by_hand"].median,
                "<=",
                1.0,
            ),
            _ratio("facade / (b) floor", facade / timings["floor"].median, "<=", 3.0),
            _ratio(
                "facade, every value read / (a) by hand",
                timings["facade_read"].median / timings["by_hand"].median,
            ),
        ],
        "notes": [
            f"Medians of {PARSE_RUNS} runs after {PARSE_WARMUPS} warm-ups, the "
            "five taking turns.",
            "The facade converts a value when it is first read. Reading them "
            "all adds the datetimes the by-hand client makes up front, and the "
            "due time of every relative deadline, which it never computes.",
            "The by-hand client opens a fresh connection per call, as the "
            "documentation's sample does; urllib is used because httpx.get also "
            "builds an SSL context per call, which would flatter the facade.",
        ],
    }


def round_trips() -> Result:
    """Scenario 2: many small calls, pooled connection against fresh ones.

    A Konstantly site speaks only https, so the calls go over TLS on
    loopback, and a fresh connection pays for a handshake as it would against
    the real site. The same calls over plain http show what is left of a
    fresh connection's cost without TLS.
    """
    calls = range(ROUND_TRIP_CALLS)
    with (
        trusted_certificate() as certificate,
        served("round-trips", tls=certificate) as (https_url, https_key),
        served("round-trips") as (http_url, http_key),
        konstantly.Konstantly(
            api_key=https_key, base_url=https_url, max_retries=0
        ) as client,
        konstantly.Konstantly(
            api_key=http_key, base_url=http_url, max_retries=0
        ) as http_client,
        httpx.Client(headers={"X-API-KEY": https_key}) as pooled,
    ):
        _expect(len(client.groups.list_assignments(DOCUMENTED_GROUP_ID)), 2)
        _expect(len(http_client.groups.list_assignments(DOCUMENTED_GROUP_ID)), 2)
        url = baselines.assignments_url(https_url, DOCUMENTED_GROUP_ID)

        def repeated(call: Callable[[], object]) -> Callable[[], None]:
            def calls_in_a_row() -> None:
                for _ in calls:
                    call()

            return calls_in_a_row

        def by_urllib(base_url: str, api_key: str) -> Callable[[], None]:
            return repeated(
                lambda: baselines.fetch_with_urllib(
                    base_url, api_key, DOCUMENTED_GROUP_ID
                )
            )

        timings = measure(
            {
                "facade": repeated(
                    lambda: client.groups.list_assignments(DOCUMENTED_GROUP_ID)
                ),
                "urllib": by_urllib(https_url, https_key),
                "pooled_httpx": repeated(lambda: json.loads(pooled.get(url).content)),
                "facade_http": repeated(
                    lambda: http_client.groups.list_assignments(DOCUMENTED_GROUP_ID)
                ),
                "urllib_http": by_urllib(http_url, http_key),
            },
            warmups=1,
            runs=ROUND_TRIP_RUNS,
        )
        # About 30 ms a call, most of it making an SSL context: one run is
        # long enough.
        by_httpx_get = repeated(
            lambda: baselines.fetch_with_httpx_get(
                https_url, https_key, DOCUMENTED_GROUP_ID
            )
        )
        timings.update(measure({"httpx_get": by_httpx_get}, warmups=0, runs=1))

    facade = timings["facade"].median
    return {
        "scenario": "round-trips",
        "title": (
            f"{ROUND_TRIP_CALLS} sequential calls for group 123 (2 assignments), "
            "over https"
        ),
        "figures": {
            "facade": _time_figure(
                "facade: one client, pooled connection", timings["facade"]
            ),
            "urllib": _time_figure(
                "by hand: urllib per call (new connection and TLS handshake)",
                timings["urllib"],
            ),
            "httpx_get": _time_figure(
                "by hand: httpx.get per call (new client and connection)",
                timings["httpx_get"],
            ),
            "pooled_httpx": _time_figure(
                "floor: pooled httpx.Client + json.loads", timings["pooled_httpx"]
            ),
            "facade_http": _time_figure(
                "plain http: facade, pooled connection", timings["facade_http"]
            ),
            "urllib_http": _time_figure(
                "plain http: urllib per call (new connection)",
                timings["urllib_http"],
            ),
        },
        "ratios": [
            _ratio(
                "urllib per call / facade", timings["urllib"].median / facade, ">=", 2.0
            ),
            _ratio("httpx.get per call / facade", timings["httpx_get"].median / facade),
            _ratio(
                "facade / pooled httpx floor", facade / timings["pooled_httpx"].median
            ),
            _ratio(
                "plain http: urllib per call / facade",
                timings["urllib_http"].median / timings["facade_http"].median,
            ),
        ],
        "notes": [
            f"Medians of {ROUND_TRIP_RUNS} runs of {ROUND_TRIP_CALLS} calls, all "
            "but httpx.get taking turns; httpx.get: one run.",
            "The site answers over TLS on loopback with a certificate made for "
            "the run: a fresh connection pays for the handshake, as against a "
            "real Konstantly site, though not for a network round trip.",
            "httpx.get also makes a new SSL context per call. Over plain http a "
            "fresh loopback connection costs almost nothing, so there urllib "
            "keeps up with the pooled client.",
            "The floor is what httpx itself costs per call with a kept-alive "
            "connection; the rest of the facade's time is its checks, retry "
            "bookkeeping and models.",
        ],
    }


def fan_out() -> Result:
    """Scenario 3: 200 groups behind 20 ms of latency, side by side."""
    group_ids = list(FAN_OUT_GROUP_IDS)
    # One event loop for every run, so that the asynchronous client's runs
    # can take turns with the others.
    loop = asyncio.new_event_loop()
    with served("fan-out") as (base_url, api_key):
        options = {"api_key": api_key, "base_url": base_url, "max_retries": 0}
        async_client = konstantly.AsyncKonstantly(**options)
        sync_client = konstantly.Konstantly(**options)

        def async_many() -> object:
            many = async_client.groups.list_assignments_many(
                group_ids, concurrency=FAN_OUT_CONCURRENCY
            )
            return _expect_groups(loop.run_until_complete(many))

        def sync_many() -> object:
            many = sync_client.groups.list_assignments_many(
                group_ids, concurrency=FAN_OUT_CONCURRENCY
            )
            return _expect_groups(many)

        def sequential() -> object:
            return baselines.fetch_each(base_url, api_key, group_ids)

        try:
            timings = measure(
                {"async": async_many, "threads": sync_many},
                warmups=1,
                runs=FAN_OUT_RUNS,
            )
            # Waiting on the latency, 200 times over, is most of it: its time
            # hardly varies, and a run takes seconds.
            timings.update(
                measure({"sequential": sequential}, warmups=0, runs=SEQUENTIAL_RUNS)
            )
        finally:
            sync_client.close()
            loop.run_until_complete(async_client.aclose())
            loop.close()

    sequential_median = timings["sequential"].median
    return {
        "scenario": "fan-out",
        "title": (
            f"{len(group_ids)} groups of {FAN_OUT_GROUP_SIZE} assignments, "
            "20 ms latency each"
        ),
        "figures": {
            "async_many": _time_figure(
                "facade: AsyncKonstantly.list_assignments_many, concurrency 16",
                timings["async"],
            ),
            "sync_many": _time_figure(
                "facade: Konstantly.list_assignments_many, 16 threads",
                timings["threads"],
            ),
            "sequential": _time_figure(
                "by hand: one group after another (urllib)", timings["sequential"]
            ),
        },
        "ratios": [
            _ratio(
                "sequential / async",
                sequential_median / timings["async"].median,
                ">=",
                10.0,
            ),
            _ratio(
                "sequential / sync threads",
                sequential_median / timings["threads"].median,
            ),
        ],
        "notes": [
            f"Medians of {FAN_OUT_RUNS} runs after a warm-up, the two facade "
            f"clients taking turns; sequential: {SEQUENTIAL_RUNS} runs. Each "
            "facade client is made once and keeps its connections.",
            f"The ideal with 16 at a time is {len(group_ids) / 16:.1f} rounds "
            "of 20 ms = 0.25 s.",
        ],
    }


def memory() -> Result:
    """Scenario 4: memory held by 100,000 parsed assignments."""
    body = make_body(MEMORY_COUNT)
    tree_retained, tree_peak = _traced(lambda: json.loads(body))
    by_hand_retained, by_hand_peak = _traced(lambda: baselines.parse(body))
    with (
        served("memory") as (base_url, api_key),
        konstantly.Konstantly(
            api_key=api_key, base_url=base_url, max_retries=0
        ) as client,
    ):
        facade_retained, facade_peak = _traced(
            lambda: client.groups.list_assignments(MEMORY_GROUP_ID)
        )

    def figure(label: str, retained: int, peak: int) -> dict[str, Any]:
        return {
            "label": label,
            "unit": "MiB",
            "value": retained / MIB,
            "retained_mib": retained / MIB,
            "peak_mib": peak / MIB,
        }

    return {
        "scenario": "memory",
        "title": (
            f"Memory of {MEMORY_COUNT:,} parsed assignments "
            f"({len(body) / MIB:.0f} MiB body; tracemalloc)"
        ),
        "figures": {
            "json_tree": figure("json.loads tree", tree_retained, tree_peak),
            "facade": figure(
                "facade: GroupAssignments from list_assignments",
                facade_retained,
                facade_peak,
            ),
            "hand_written": figure(
                "by hand: dataclasses from json.loads", by_hand_retained, by_hand_peak
            ),
        },
        "ratios": [
            _ratio(
                "facade held / json tree held",
                facade_retained / tree_retained,
                "<=",
                1.5,
            ),
            _ratio("facade peak / json tree peak", facade_peak / tree_peak, "<=", 1.5),
        ],
        "notes": [
            "Held: traced memory still allocated once the result is made and "
            "garbage collected; peak: the most traced while making it.",
            "The facade fetches the body over loopback, so its peak also counts "
            "the body's bytes and httpx's buffers; for json.loads and the "
            "by-hand parse the bytes exist before tracing starts.",
        ],
    }


def _read_every_value(
    assignments: konstantly.GroupAssignments,
) -> list[tuple[Any, ...]]:
    """Every value of every assignment, as the rows of a report that shows them."""
    return [
        (
            assignment.assigned_at,
            assignment.due_at,
            assignment.course.id,
            assignment.course.name,
            assignment.course.annotation,
            assignment.course.is_draft,
            assignment.course.created_at,
            assignment.course.updated_at,
            assignment.course.published_at,
        )
        for assignment in assignments
    ]


def _traced(build: Callable[[], object]) -> tuple[int, int]:
    """The memory `build`'s result holds, and the peak while building it."""
    gc.collect()
    tracemalloc.start()
    kept = build()
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return retained, peak


def _time_figure(label: str, timing: Timing) -> dict[str, Any]:
    return {"label": label, "unit": "s", "value": timing.median, **timing.as_json()}


def _ratio(
    name: str, value: float, op: str | None = None, target: float | None = None
) -> dict[str, Any]:
    met = None
    if op == "<=" and target is not None:
        met = value <= target
    elif op == ">=" and target is not None:
        met = value >= target
    return {"name": name, "value": value, "op": op, "target": target, "met": met}


def _expect(count: int, expected: int) -> None:
    if count != expected:
        message = f"The benchmark expected {expected} assignments, got {count}."
        raise RuntimeError(message)


def _expect_groups(results: dict[int, Any]) -> dict[int, Any]:
    _expect(len(results), len(FAN_OUT_GROUP_IDS))
    for result in results.values():
        _expect(len(result), FAN_OUT_GROUP_SIZE)
    return results


SCENARIOS: Final[dict[str, Callable[[], Result]]] = {
    "parse": parse,
    "round-trips": round_trips,
    "fan-out": fan_out,
    "memory": memory,
}


def main(argv: list[str]) -> int:
    """Run the scenario named in `argv` and print its result as JSON."""
    if len(argv) != 1 or argv[0] not in SCENARIOS:
        print(f"usage: python -m benchmarks.scenarios {{{','.join(SCENARIOS)}}}")
        return 2

    print(json.dumps(SCENARIOS[argv[0]]()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
