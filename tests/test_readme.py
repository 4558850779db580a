"""Every code example in README.md runs, so the documentation cannot rot.

Python examples run against a fake site, with the environment a user would
have set. The example pytest test runs through pytester with the installed
plugin. Each `konstantly` command of the shell examples runs as a process,
and so do the benchmark commands, on a copy of `benchmarks/`. Outputs the
README shows (the demo's table, the fake site's first lines) are compared with
what the commands print. The set-up and check commands (`make demo`, `make
test`, `make regen`, `pip install`, ...) are what the suite itself is run by,
so they are the only lines not run here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from konstantly.testing import FakeKonstantly

REPOSITORY = Path(__file__).resolve().parent.parent
README = REPOSITORY / "README.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [body for lang, body in _BLOCK.findall(text) if lang == language]


def _lines(block: str) -> list[str]:
    """The commands of a shell block, without their comments."""
    return [line.split("  #")[0].strip() for line in block.splitlines()]


def _with_any_port(text: str) -> str:
    return _PORT.sub("127.0.0.1:PORT", text)


def _run_python(
    source: str, tmp_path: Path, *, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `source` as a script of its own in a fresh interpreter."""
    script = tmp_path / "example.py"
    script.write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


PYTHON_EXAMPLES = [block for block in _blocks("python") if "def test_" not in block]
PYTEST_EXAMPLES = [block for block in _blocks("python") if "def test_" in block]
COMMANDS = [
    line.removeprefix("$ ")
    for block in _blocks("console")
    for line in _lines(block)
    if line.startswith("$ konstantly")
]
BENCHMARK_COMMANDS = [
    line
    for block in _blocks("sh")
    if "benchmarks" in block
    for line in _lines(block)
    if line
]
DEMO_OUTPUT, FAKE_SERVER_OUTPUT = (
    block for block in _blocks("text") if "127.0.0.1:" in block
)


@pytest.fixture
def site_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKonstantly]:
    """A fake site, with the environment variables pointing at it."""
    with FakeKonstantly() as site:
        monkeypatch.setenv("KONSTANTLY_API_KEY", site.api_key)
        monkeypatch.setenv("KONSTANTLY_BASE_URL", site.base_url)
        monkeypatch.delenv("KONSTANTLY_SITE", raising=False)
        yield site


def test_readme_has_examples_of_each_kind() -> None:
    """The extraction below finds the examples, so the tests cannot pass empty."""
    assert len(PYTHON_EXAMPLES) >= 4
    assert len(PYTEST_EXAMPLES) == 1
    assert len(COMMANDS) >= 4
    assert BENCHMARK_COMMANDS == [
        "make bench",
        ".venv/bin/python -m benchmarks.profile",
    ]


@pytest.mark.parametrize("source", PYTHON_EXAMPLES)
def test_python_example_runs(
    source: str,
    site_environment: FakeKonstantly,
    tmp_path: Path,
) -> None:
    """Each Python example runs to its end in a fresh interpreter."""
    result = _run_python(source, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_first_example_prints_the_documented_deadlines(
    site_environment: FakeKonstantly, tmp_path: Path
) -> None:
    """The library example prints both courses with their due times."""
    output = _run_python(PYTHON_EXAMPLES[0], tmp_path, check=True).stdout

    # Two months on Berlin's calendar keep the wall-clock time, 14:16, across
    # the end of summer time: 12:16 UTC in September, 13:16 UTC in November.
    assert "2 True" in output
    assert "Customer Relationship Management" in output
    assert "2015-11-25 13:16:40+00:00" in output
    assert "relative: 2 months" in output


def test_pytest_example_passes(pytester: pytest.Pytester) -> None:
    """The example test passes with the installed plugin's fixtures."""
    pytester.makepyfile(test_example=PYTEST_EXAMPLES[0])

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("command", COMMANDS)
def test_shell_example_runs(
    command: str, site_environment: FakeKonstantly, tmp_path: Path
) -> None:
    """Each `konstantly` command of the README exits 0 against the fake site."""
    (tmp_path / "groups.txt").write_text("123\n200\n# a comment\n201\n")
    argv = [sys.executable, "-m", "konstantly", *shlex.split(command)[1:]]

    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout or (tmp_path / "report.csv").exists()


def test_error_example_prints_the_status_and_message(
    site_environment: FakeKonstantly, tmp_path: Path
) -> None:
    """The Errors example catches the 404 of an unknown group, as it says."""
    (source,) = [block for block in PYTHON_EXAMPLES if "NotFoundError" in block]

    output = _run_python(source, tmp_path, check=True).stdout

    assert output == "404 Group not found\n"


def test_demo_prints_what_the_readme_shows() -> None:
    """`make demo` prints the README's table, line for line, but for the port."""
    environment = {**os.environ, "TZ": "America/New_York"}
    environment.pop("KONSTANTLY_API_KEY", None)

    output = subprocess.run(
        [sys.executable, str(REPOSITORY / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=environment,
    ).stdout

    assert _with_any_port(output) == _with_any_port(DEMO_OUTPUT)


def test_fake_server_prints_what_the_readme_shows() -> None:
    """`konstantly fake-server` starts with the README's three lines."""
    server = subprocess.Popen(
        [sys.executable, "-m", "konstantly", "fake-server", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert server.stdout is not None
    try:
        printed = [server.stdout.readline() for _ in range(3)]
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()

    assert _with_any_port("".join(printed)) == _with_any_port(FAKE_SERVER_OUTPUT)


def test_benchmark_commands_run(tmp_path: Path) -> None:
    """The Performance section's commands run, on a copy of `benchmarks/`.

    `make bench` runs `python -m benchmarks`; a copy keeps the committed
    results.json as it is. Nothing is asserted on the figures themselves:
    they depend on the machine.
    """
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")
    assert "bench: $(INSTALLED)\n\t$(BIN)/python -m benchmarks\n" in makefile
    shutil.copytree(REPOSITORY / "benchmarks", tmp_path / "benchmarks")

    def run(module: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", module],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=600,
            check=True,
        ).stdout

    table = run("benchmarks")
    profile = run("benchmarks.profile")

    results = json.loads((tmp_path / "benchmarks" / "results.json").read_text())
    scenarios = [scenario["scenario"] for scenario in results["scenarios"]]
    assert scenarios == ["parse", "round-trips", "fan-out", "memory"]
    for scenario in results["scenarios"]:
        for ratio in scenario["ratios"]:
            assert ratio["value"] > 0, ratio
            assert ratio["met"] in (True, False, None), ratio
            assert ratio["name"] in table
    assert "list_assignments" in profile
