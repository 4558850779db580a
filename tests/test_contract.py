"""The fake site against the spec: schemathesis probes `konstantly fake-server`.

Tests that pass against the fake site only say something about the real API
while the fake answers as openapi/konstantly.yaml describes. Schemathesis
sends the spec's example, then the boundary values of every parameter, then
random ones, with and without the API key and with methods the spec does not
declare, and runs all of its checks on every answer: status codes, headers
and bodies against their schemas, 4xx for invalid input and for a missing
key, 405 for an undeclared method.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from konstantly.testing import FakeKonstantly

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "konstantly.yaml"
API_KEY = "kty-contract-3e9d51a7"
# Per phase and operation: about 330 cases in all, which take some 5 s; the
# whole file stays under 20 s.
MAX_EXAMPLES = 300
# A fixed seed makes a failure reproducible with the command the test prints.
SEED = 20261203
SERVER_START_TIMEOUT = 15.0
SERVER_STOP_TIMEOUT = 10.0
RUN_TIMEOUT = 120.0
_BASE_URL_LINE = re.compile(r"Fake Konstantly site at (?P<base_url>http://\S+)")


@dataclasses.dataclass(frozen=True)
class ContractRun:
    """What one schemathesis run printed, reported and saw on the wire."""

    command: list[str]
    exit_code: int
    output: str
    report: dict[str, Any]
    statuses: collections.Counter[int]

    def explain(self) -> str:
        """The command and its output, for an assertion message."""
        return f"$ {' '.join(self.command)}\n{self.output}"


def run_schemathesis(
    base_url: str, workdir: Path, *, max_examples: int = MAX_EXAMPLES
) -> ContractRun:
    """Run the schemathesis CLI against the site at `base_url`."""
    json_report = workdir / "report.json"
    har_report = workdir / "traffic.har"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "run",
        str(SPEC),
        # The spec's server is https://{site}.konstant.ly/openapi/v1, and the
        # fake serves the same paths under its own base URL.
        "--url",
        base_url,
        "--header",
        f"X-API-KEY: {API_KEY}",
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(SEED),
        "--request-timeout",
        "10",
        # No example database: a run depends on the seed alone and leaves no files.
        "--generation-database",
        "none",
        "--report",
        "json,har",
        "--report-json-path",
        str(json_report),
        "--report-har-path",
        str(har_report),
    ]
    # Run in an empty folder, so no schemathesis.toml or report folder of the
    # repository's takes part.
    completed = subprocess.run(
        command,
        cwd=workdir,
        env={**os.environ, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    output = completed.stdout + completed.stderr
    assert json_report.is_file(), f"schemathesis wrote no report:\n{output}"
    report = json.loads(json_report.read_text(encoding="utf-8"))
    entries = json.loads(har_report.read_text(encoding="utf-8"))["log"]["entries"]
    statuses = collections.Counter(entry["response"]["status"] for entry in entries)
    return ContractRun(command, completed.returncode, output, report, statuses)


@pytest.fixture(scope="module")
def fake_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `konstantly fake-server`, run as its own process."""
    stderr_path = tmp_path_factory.mktemp("fake-server") / "stderr.txt"
    with stderr_path.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "konstantly", "fake-server", "--port", "0"],
            env={**os.environ, "KONSTANTLY_API_KEY": API_KEY},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            first_line = _first_line(process, SERVER_START_TIMEOUT)
            match = _BASE_URL_LINE.fullmatch(first_line.strip())
            assert match is not None, (
                f"fake-server's first line is {first_line!r}, not its address; "
                f"stderr: {stderr_path.read_text(encoding='utf-8')!r}"
            )
            yield match["base_url"]
        finally:
            _stop(process)


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, or '' if it prints none in time."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline()


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop the process the way Ctrl+C would, killing it if it lingers."""
    process.terminate()
    try:
        process.wait(SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="module")
def contract_run(
    fake_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> ContractRun:
    """One schemathesis run against `konstantly fake-server`, shared by the tests."""
    return run_schemathesis(fake_server_url, tmp_path_factory.mktemp("schemathesis"))


def test_fake_server_passes_every_schemathesis_check(contract_run: ContractRun) -> None:
    run = contract_run

    assert run.exit_code == 0, run.explain()
    assert run.report["failures"] == [], run.explain()
    assert run.report["errors"] == [], run.explain()
    assert run.report["operations"]["tested"] == 1, run.explain()
    phases = {name: phase["status"] for name, phase in run.report["phases"].items()}
    assert phases == {
        "examples": "success",
        "coverage": "success",
        "fuzzing": "success",
        "stateful": "skip",
    }
    # A warning means part of the run proved nothing, such as every request
    # being refused for its key or a base URL that misses the API.
    warnings = {name: found for name, found in run.report["warnings"].items() if found}
    assert warnings == {}, run.explain()


def test_schemathesis_run_generates_cases_reaching_every_kind_of_answer(
    contract_run: ContractRun,
) -> None:
    run = contract_run

    test_cases = run.report["test_cases"]
    assert test_cases["generated"] > MAX_EXAMPLES, run.explain()
    assert test_cases["with_failures"] == 0, run.explain()
    summary = re.search(
        r"(?P<generated>\d+) generated, (?P<passed>\d+) passed", run.output
    )
    assert summary is not None, run.explain()
    assert (
        int(summary["passed"]) == int(summary["generated"]) == test_cases["generated"]
    )
    # 200: bodies checked against AssignmentList; 400: invalid groupId and
    # offset; 401: the key left out or wrong; 404: unknown groups; 405:
    # methods the spec does not declare. Nothing else, 5xx least of all.
    assert set(run.statuses) == {200, 400, 401, 404, 405}, run.statuses


def test_schemathesis_run_fails_when_a_200_body_breaks_the_spec(
    tmp_path: Path,
) -> None:
    # The check that matters most: a fake whose bodies drift from the spec
    # (here an ISO time where the API sends unix seconds) must fail the run.
    body = {
        "assignments": [
            {
                "assignedAt": "2015-09-25T12:15:22Z",
                "course": {
                    "id": 1,
                    "name": "Course 1",
                    "annotation": "About course 1",
                    "isDraft": False,
                    "createdAt": 1507807711,
                    "updatedAt": 1507808372,
                },
            }
        ],
        "totalCount": 1,
    }
    with FakeKonstantly(api_key=API_KEY) as site:
        site.set_raw_response(123, 200, json.dumps(body).encode())
        run = run_schemathesis(site.base_url, tmp_path, max_examples=20)

    assert run.exit_code == 1, run.explain()
    failures = [
        (failure["code"], failure["title"]) for failure in run.report["failures"]
    ]
    assert failures == [("ST108", "Response violates schema")], run.explain()
    assert '"2015-09-25T12:15:22Z" is not of type "integer"' in run.output


@pytest.fixture(scope="module")
def list_group_assignments() -> schemathesis.APIOperation:
    """The spec's one operation, as schemathesis validates responses to it."""
    schema = schemathesis.openapi.from_path(SPEC)
    return schema["/groups/{groupId}/assignments"]["GET"]


# Schemathesis's random group ids almost never hit a bundled group but 123,
# the spec's example, so every bundled page is checked here one by one.
@pytest.mark.parametrize(
    ("group_id", "query", "status"),
    [
        pytest.param("123", {}, 200, id="documented-example"),
        pytest.param("200", {}, 200, id="absolute-deadlines"),
        pytest.param("201", {}, 200, id="relative-deadlines"),
        pytest.param("202", {}, 200, id="edge-cases"),
        pytest.param("203", {}, 200, id="first-page"),
        pytest.param("203", {"offset": "20"}, 200, id="second-page"),
        pytest.param("203", {"offset": "40"}, 200, id="past-the-last-page"),
        pytest.param("999", {}, 404, id="unknown-group"),
        pytest.param("0", {}, 400, id="group-id-zero"),
        pytest.param("abc", {}, 400, id="group-id-not-a-number"),
        pytest.param("123", {"offset": "-1"}, 400, id="negative-offset"),
    ],
)
def test_fake_site_answer_conforms_to_the_spec(
    list_group_assignments: schemathesis.APIOperation,
    group_id: str,
    query: dict[str, str],
    status: int,
) -> None:
    with FakeKonstantly(api_key=API_KEY) as site:
        response = httpx.get(
            f"{site.base_url}/groups/{group_id}/assignments",
            params=query,
            headers={"X-API-KEY": API_KEY},
        )

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    # Raises with the schema path and the offending value on a mismatch.
    list_group_assignments.validate_response(response)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing-key"),
        pytest.param({"X-API-KEY": "kty-wrong"}, id="wrong-key"),
        pytest.param({"X-API-KEY": ""}, id="empty-key"),
    ],
)
def test_fake_site_refuses_a_bad_key_with_the_documented_401(
    list_group_assignments: schemathesis.APIOperation, headers: dict[str, str]
) -> None:
    with FakeKonstantly(api_key=API_KEY) as site:
        response = httpx.get(f"{site.base_url}/groups/123/assignments", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid API key"}
    list_group_assignments.validate_response(response)
