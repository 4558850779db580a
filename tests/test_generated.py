"""The generated client follows the spec: `make check-generated` and `make regen`.

Each test works on a copy of the spec, the generated code and the Makefile, so
the repository stays as it is, and runs make with this test run's virtual
environment, where the pinned generator is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
GENERATED = Path("generated", "konstantly_openapi")
OPERATION = GENERATED / "api" / "groups" / "list_group_assignments.py"
SPEC = Path("openapi", "konstantly.yaml")
# A word of the operation's description, which the generated module repeats.
DESCRIPTION = "Lists the courses assigned to one group"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what the generator reads and writes, with the Makefile."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPOSITORY / name, tmp_path / name)
    for folder in ("openapi", "generated"):
        shutil.copytree(REPOSITORY / folder, tmp_path / folder)
    return tmp_path


def make(checkout: Path, target: str) -> subprocess.CompletedProcess[str]:
    # `-o` keeps make from reinstalling the environment the copy points at.
    venv = Path(sys.prefix)
    command = ["make", "-C", str(checkout), f"VENV={venv}", "-o", f"{venv}/.installed"]
    return subprocess.run(
        [*command, target],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_spec_edit_without_regen_fails_until_regenerated(checkout: Path) -> None:
    """A changed description fails the check; `make regen` carries it over."""
    spec = checkout / SPEC
    text = spec.read_text(encoding="utf-8")
    assert DESCRIPTION in text
    spec.write_text(
        text.replace(DESCRIPTION, "Lists every course assigned to one group"),
        encoding="utf-8",
    )

    stale = make(checkout, "check-generated")
    regenerated = make(checkout, "regen")
    fresh = make(checkout, "check-generated")

    assert stale.returncode != 0
    assert "generated/ is out of date with openapi/konstantly.yaml" in stale.stderr
    assert regenerated.returncode == 0, regenerated.stderr
    assert fresh.returncode == 0, fresh.stderr
    operation = (checkout / OPERATION).read_text(encoding="utf-8")
    assert "Lists every course assigned to one group" in operation


def test_generation_ignores_ruff_settings_around_it(checkout: Path) -> None:
    """Ruff settings above or inside the output change nothing it writes."""
    hostile = 'line-length = 40\n[format]\nquote-style = "single"\n'
    (checkout / "ruff.toml").write_text(hostile, encoding="utf-8")
    (checkout / GENERATED.parent / "ruff.toml").write_text(hostile, encoding="utf-8")

    result = make(checkout, "regen")

    assert result.returncode == 0, result.stderr
    changed = subprocess.run(
        ["diff", "-r", str(REPOSITORY / GENERATED), str(checkout / GENERATED)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert changed.stdout == ""
