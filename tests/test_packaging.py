"""The wheel as users get it: its files, its metadata, and a fresh install of it.

The rest of the suite runs against the editable install, which reads the
source tree; only a built wheel shows whether the package data, the typing
markers and the entry points really ship. The wheel is built once and
installed once, into a new virtual environment, per run of this file.
"""

from __future__ import annotations

import configparser
import email.parser
import importlib.metadata
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import konstantly
import pytest
from konstantly._version import __version__
from konstantly.testing import FakeKonstantly

ROOT = Path(__file__).resolve().parents[1]
# Where each top-level package of the wheel comes from in the repository.
PACKAGE_SOURCES = {
    "konstantly": ROOT / "facade" / "konstantly",
    "konstantly_openapi": ROOT / "generated" / "konstantly_openapi",
}
DIST_INFO = f"konstantly-{__version__}.dist-info"
BUNDLED_GROUP_IDS = (123, 200, 201, 202, 203)
BUILD_TIMEOUT = 120.0
INSTALL_TIMEOUT = 300.0
RUN_TIMEOUT = 60.0
USER_AGENT = f"konstantly-python/{__version__}"


def run(
    command: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run a command that must succeed, showing all its output if it does not."""
    completed = subprocess.run(
        [os.fspath(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, (
        f"$ {' '.join(map(os.fspath, command))}\n"
        f"exit code {completed.returncode}\n{completed.stdout}{completed.stderr}"
    )
    return completed


def source_files(package: str) -> set[str]:
    """The files of a package's source folder, as wheel paths."""
    folder = PACKAGE_SOURCES[package]
    return {
        f"{package}/{path.relative_to(folder).as_posix()}"
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    }


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the working tree, the way pip builds it for users."""
    wheel_dir = tmp_path_factory.mktemp("wheel")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ROOT,
            "--no-deps",
            "--wheel-dir",
            wheel_dir,
            "--quiet",
            "--disable-pip-version-check",
        ],
        timeout=BUILD_TIMEOUT,
    )

    wheels = sorted(wheel_dir.glob("*.whl"))
    assert [wheel.name for wheel in wheels] == [
        f"konstantly-{__version__}-py3-none-any.whl"
    ]
    return wheels[0]


@pytest.fixture(scope="module")
def wheel(wheel_path: Path) -> Iterator[zipfile.ZipFile]:
    """The built wheel, open for reading."""
    with zipfile.ZipFile(wheel_path) as archive:
        yield archive


@pytest.fixture(scope="module")
def clean_env() -> dict[str, str]:
    """Environment variables that keep the development install out of reach."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="module")
def fresh_venv(
    wheel_path: Path,
    clean_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A new virtual environment with the wheel and pytest installed from it.

    Dependencies come from the package index, as they would for a user.
    """
    venv_dir = tmp_path_factory.mktemp("fresh-venv")
    run([sys.executable, "-m", "venv", venv_dir], env=clean_env)
    # The same pytest as here, so its plugin machinery is the one the suite
    # knows; konstantly itself does not depend on pytest.
    pytest_requirement = f"pytest=={importlib.metadata.version('pytest')}"
    run(
        [
            venv_dir / "bin" / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            wheel_path,
            pytest_requirement,
        ],
        env=clean_env,
        timeout=INSTALL_TIMEOUT,
    )
    return venv_dir


def test_wheel_holds_exactly_the_two_packages_and_its_metadata(
    wheel: zipfile.ZipFile,
) -> None:
    top_level = {name.split("/", 1)[0] for name in wheel.namelist()}

    assert top_level == {"konstantly", "konstantly_openapi", DIST_INFO}


@pytest.mark.parametrize("package", sorted(PACKAGE_SOURCES))
def test_wheel_ships_every_source_file_of_the_package(
    wheel: zipfile.ZipFile, package: str
) -> None:
    shipped = {name for name in wheel.namelist() if name.startswith(f"{package}/")}

    assert shipped == source_files(package)
    assert f"{package}/py.typed" in shipped


def test_wheel_bundles_the_fake_site_groups_byte_for_byte(
    wheel: zipfile.ZipFile,
) -> None:
    data_dir = PACKAGE_SOURCES["konstantly"] / "testing" / "data"

    for group_id in BUNDLED_GROUP_IDS:
        name = f"group-{group_id}.json"
        shipped = wheel.read(f"konstantly/testing/data/{name}")
        assert shipped == (data_dir / name).read_bytes(), name


def test_wheel_declares_the_command_and_the_pytest_plugin(
    wheel: zipfile.ZipFile,
) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(f"{DIST_INFO}/entry_points.txt").decode())

    declared = {
        section: dict(entry_points.items(section))
        for section in entry_points.sections()
    }
    assert declared == {
        "console_scripts": {"konstantly": "konstantly._cli:entry_point"},
        "pytest11": {"konstantly": "konstantly.testing.pytest_plugin"},
    }


def test_wheel_metadata_carries_the_package_version(
    wheel: zipfile.ZipFile,
) -> None:
    metadata = email.parser.Parser().parsestr(
        wheel.read(f"{DIST_INFO}/METADATA").decode()
    )

    assert metadata["Name"] == "konstantly"
    assert metadata["Version"] == __version__
    assert metadata["Requires-Python"] == ">=3.11"
    assert konstantly.__version__ == __version__


def test_installed_command_prints_the_version(
    fresh_venv: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    command = run([fresh_venv / "bin" / "konstantly", "--version"], env=clean_env)
    module = run(
        [fresh_venv / "bin" / "python", "-m", "konstantly", "--version"],
        cwd=tmp_path,
        env=clean_env,
    )

    assert command.stdout == f"konstantly {__version__}\n"
    assert module.stdout == f"konstantly {__version__}\n"


def test_installed_packages_import_from_the_fresh_environment(
    fresh_venv: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    script = (
        "import konstantly, konstantly_openapi\n"
        "print(konstantly.__version__)\n"
        "print(konstantly.__file__)\n"
        "print(konstantly_openapi.__file__)\n"
    )

    # Run from an empty folder, so nothing is imported from the working tree.
    completed = run(
        [fresh_venv / "bin" / "python", "-c", script], cwd=tmp_path, env=clean_env
    )

    version, *files = completed.stdout.splitlines()
    assert version == __version__
    for file in files:
        assert Path(file).is_relative_to(fresh_venv), file
        assert "site-packages" in Path(file).parts, file


def test_installed_pytest_lists_the_plugin_fixtures(
    fresh_venv: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    completed = run(
        [fresh_venv / "bin" / "pytest", "--fixtures", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=clean_env,
    )

    lines = completed.stdout.splitlines()
    plugins = next(line for line in lines if line.startswith("plugins: "))
    assert f"konstantly-{__version__}" in plugins.removeprefix("plugins: ").split(", ")
    assert "fixtures defined from konstantly.testing.pytest_plugin" in completed.stdout
    plugin = Path("site-packages", "konstantly", "testing", "pytest_plugin.py")
    for fixture in ("fake_konstantly", "konstantly_client"):
        line = next(line for line in lines if line.startswith(f"{fixture} -- "))
        assert os.fspath(plugin) in line, line


def test_installed_plugin_serves_the_bundled_example_to_a_test(
    fresh_venv: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    # The example of the plugin's docstring, run as a user's project would:
    # no conftest, the plugin found through its entry point alone.
    (tmp_path / "test_example.py").write_text(
        "def test_lists_the_documented_example(konstantly_client):\n"
        "    assignments = konstantly_client.groups.list_assignments(123)\n"
        "    assert [a.course.id for a in assignments] == [123, 124]\n",
        encoding="utf-8",
    )

    completed = run(
        [fresh_venv / "bin" / "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=clean_env,
    )

    assert "1 passed" in completed.stdout


def test_client_sends_its_version_in_the_user_agent() -> None:
    with FakeKonstantly() as site:
        with konstantly.Konstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            client.groups.list_assignments(123)
        requests = site.requests

    assert [request.headers["user-agent"] for request in requests] == [USER_AGENT]


@pytest.mark.anyio
async def test_async_client_sends_its_version_in_the_user_agent() -> None:
    with FakeKonstantly() as site:
        async with konstantly.AsyncKonstantly(
            api_key=site.api_key, base_url=site.base_url
        ) as client:
            await client.groups.list_assignments(123)
        requests = site.requests

    assert [request.headers["user-agent"] for request in requests] == [USER_AGENT]
