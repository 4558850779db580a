"""Every code example in README.md runs, so the documentation cannot rot.

Python examples run against a fake site, with the environment a user would
have set. The example pytest test runs through pytester with the installed
plugin. Each `konstantly` command of the shell examples runs as a process.
The set-up commands (`make ...`, `pip install`) are what the suite itself is
run by, so they are the only lines not run here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from konstantly.testing import FakeKonstantly

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [body for lang, body in _BLOCK.findall(text) if lang == language]


PYTHON_EXAMPLES = [block for block in _blocks("python") if "def test_" not in block]
PYTEST_EXAMPLES = [block for block in _blocks("python") if "def test_" in block]
COMMANDS = [
    line.removeprefix("$ ").split("  #")[0].strip()
    for block in _blocks("console")
    for line in block.splitlines()
    if line.startswith("$ konstantly")
]


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


@pytest.mark.parametrize("source", PYTHON_EXAMPLES)
def test_python_example_runs(
    source: str,
    site_environment: FakeKonstantly,
    tmp_path: Path,
) -> None:
    """Each Python example runs to its end in a fresh interpreter."""
    script = tmp_path / "example.py"
    script.write_text(source, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_first_example_prints_the_documented_deadlines(
    site_environment: FakeKonstantly, tmp_path: Path
) -> None:
    """The library example prints both courses with their due times."""
    script = tmp_path / "example.py"
    script.write_text(PYTHON_EXAMPLES[0], encoding="utf-8")

    output = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

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
