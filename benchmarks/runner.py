"""Runs each scenario in a process of its own and reports on them together."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from .scenarios import SCENARIOS

RESULTS: Final = Path(__file__).with_name("results.json")
_PACKAGES: Final = ("konstantly", "httpx", "httpcore", "anyio", "attrs")


def main(argv: list[str]) -> int:
    """Run the scenarios named in `argv` (all when empty) and report on them."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"one of {', '.join(SCENARIOS)}; all when none is named",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        metavar="FILE",
        help="where to write the figures as JSON (default: benchmarks/results.json)",
    )
    arguments = parser.parse_args(argv)
    names = arguments.scenarios or list(SCENARIOS)
    for name in names:
        if name not in SCENARIOS:
            parser.error(f"no scenario {name!r}; choose from {', '.join(SCENARIOS)}")

    described = machine()
    started = time.monotonic()
    results = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.append(_run_scenario(name))
    elapsed = time.monotonic() - started

    report = {
        "machine": described,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "elapsed_s": round(elapsed, 1),
        "scenarios": results,
    }
    print(format_table(report))
    arguments.results.write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    )
    print(f"\nwrote {arguments.results} in {elapsed:.0f} s")
    return 0


def _run_scenario(name: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.scenarios", name],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "memory_gib": round(_memory_bytes() / 1024**3, 1),
        # The figures are only as quiet as the machine: other work shows here.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": {name: metadata.version(name) for name in _PACKAGES},
    }


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table, one block per scenario."""
    lines = []
    for number, scenario in enumerate(report["scenarios"], start=1):
        lines.append(f"\n{number}. {scenario['title']}")
        for figure in scenario["figures"].values():
            lines.append(f"   {figure['label']:<62} {_amount(figure):>26}")
        for ratio in scenario["ratios"]:
            target = f"{ratio['op']} {ratio['target']:g}x" if ratio["op"] else ""
            verdict = {True: "met", False: "NOT MET", None: ""}[ratio["met"]]
            lines.append(
                f"   {ratio['name']:<48} {ratio['value']:>8.2f}x {target:>9}  {verdict}"
            )
    described = report["machine"]
    lines.append(
        f"\n{described['cpu']}, {described['usable_cpus']} CPUs, {described['python']}"
    )
    return "\n".join(lines)


def _amount(figure: dict[str, Any]) -> str:
    if figure["unit"] == "MiB":
        return f"{figure['retained_mib']:.1f} held, {figure['peak_mib']:.1f} peak MiB"
    seconds = figure["value"]
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def _cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or "unknown"


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _git_commit() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return completed.stdout.strip()
