"""Fresh-process re-runs: a test failing once is flaky, with the evidence kept in JUnit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from omnicloud.results import parse_tree
from omnicloud.triage.flakes import child_args, rerun_failed
from omnicloud.triage.inputs import TriageInput, read_failures


def read_junit(path: Path) -> TriageInput:
    return read_failures([path])


TESTS = """
import os
from pathlib import Path

MARKER = Path(__file__).with_name("failed-once")


def test_passes():
    assert True


def test_fails_the_first_time():
    if not MARKER.exists():
        MARKER.write_text(str(os.getpid()))
        print("first attempt in", os.getpid())
        assert 1 == 2, "first attempt fails"


def test_always_fails():
    raise ConnectionRefusedError("[Errno 111] Connection refused")
"""


# Keep each fresh process cheap; -o junit_logging keeps captured stdout as evidence.
FAST = [
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:faker",
    "-o",
    "junit_logging=system-out",
]


def write_tests(tmp_path: Path) -> Path:
    (tmp_path / "test_sample.py").write_text(TESTS)
    return tmp_path / "test_sample.py"


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNICLOUD_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "test_sample.py", *FAST, "--junitxml=junit.xml", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def cases(junit: Path) -> dict[str, object]:
    root = parse_tree(junit).getroot()
    return {case.get("name"): case for case in root.iter("testcase")}


def test_plugin_reruns_failures_in_a_fresh_process_and_records_flakes(tmp_path: Path) -> None:
    write_tests(tmp_path)
    result = run_pytest(tmp_path, "--omnicloud-reruns", "2")
    assert result.returncode == 1, result.stdout + result.stderr  # one test still fails
    junit = tmp_path / "junit.xml"
    found = cases(junit)

    flaky = found["test_fails_the_first_time"]
    assert flaky.find("failure") is None  # type: ignore[attr-defined]
    evidence = flaky.findall("flakyFailure")  # type: ignore[attr-defined]
    assert len(evidence) == 1
    assert "first attempt fails" in evidence[0].get("message")
    assert "assert 1 == 2" in evidence[0].find("stackTrace").text
    first_pid = (tmp_path / "failed-once").read_text()
    assert f"first attempt in {first_pid}" in (flaky.find("system-out").text or "")  # type: ignore[attr-defined]
    assert str(os.getpid()) != first_pid

    broken = found["test_always_fails"]
    assert broken.find("failure") is not None  # type: ignore[attr-defined]
    reruns = broken.findall("rerunFailure")  # type: ignore[attr-defined]
    assert len(reruns) == 2
    assert all("Connection refused" in r.get("message") for r in reruns)

    suite = parse_tree(junit).getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("1", "0")
    run = read_junit(junit)
    assert {f.test_id.split("::")[-1]: f.status for f in run.failures} == {
        "test_fails_the_first_time": "flaky",
        "test_always_fails": "failed",
    }
    assert len(run.failures[0].attempts) + len(run.failures[1].attempts) == 3


def test_exit_status_is_zero_when_every_failure_was_flaky(tmp_path: Path) -> None:
    write_tests(tmp_path)
    result = run_pytest(tmp_path, "--omnicloud-reruns", "1", "-k", "not always")
    assert result.returncode == 0, result.stdout + result.stderr
    assert cases(tmp_path / "junit.xml")["test_fails_the_first_time"].findall("flakyFailure")  # type: ignore[attr-defined]


def test_rerun_failed_function_rewrites_a_junit_file(tmp_path: Path) -> None:
    write_tests(tmp_path)
    assert run_pytest(tmp_path).returncode == 1  # no --omnicloud-reruns: nothing re-run
    junit = tmp_path / "junit.xml"
    before = cases(junit)
    assert before["test_fails_the_first_time"].find("failure") is not None  # type: ignore[attr-defined]
    assert not before["test_always_fails"].findall("rerunFailure")  # type: ignore[attr-defined]
    assert rerun_failed(junit, FAST, 1, cwd=tmp_path) == junit
    run = read_junit(junit)
    statuses = {f.test_id.split("::")[-1]: f.status for f in run.failures}
    assert statuses == {"test_fails_the_first_time": "flaky", "test_always_fails": "failed"}
    assert run.passed[-1].endswith("test_passes")


def test_child_args_drop_junit_xdist_and_rerun_options() -> None:
    assert child_args(
        [
            "-x",
            "--junitxml",
            "a.xml",
            "-n",
            "2",
            "--junit-xml=b.xml",
            "-n4",
            "--omnicloud-reruns=3",
            "--dist",
            "load",
            "-k",
            "kv",
        ]
    ) == ["-x", "-k", "kv"]
