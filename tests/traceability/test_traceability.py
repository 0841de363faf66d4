"""Requirement traceability on a fixture project: exactly the uncovered requirements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omnicloud.results import TestResult
from omnicloud.traceability import build_report

CONFIG = """
[project]
name = "traced"

[traceability]
spec_id = "001"
requirements = ["001-FR-001", "001-FR-002", { id = "001-FR-003", title = "audit" },
                "001-FR-004a", "001-FR-005"]
"""

TESTS = """
import pytest

@pytest.mark.requirement("001-FR-001")
def test_login():
    pass

@pytest.mark.requirement("001-FR-002", "001-FR-004a")
def test_checkout():
    pass

@pytest.mark.requirement("001-FR-002")
def test_checkout_fails():
    assert False

def test_untraced():
    pass
"""


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "test_app.py").write_text(TESTS, encoding="utf-8")
    return tmp_path


def test_report_lists_exactly_the_uncovered_requirements(project: Path) -> None:
    junit = project / "omnicloud-results" / "junit.xml"
    run(
        project,
        "-m",
        "pytest",
        "test_app.py",
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit1",
        "-p",
        "no:cacheprovider",
        "-q",
    )
    done = run(project, "-m", "omnicloud", "traceability")
    assert done.returncode == 1  # requirements are uncovered
    report = json.loads((project / "omnicloud-results" / "traceability.json").read_text())
    assert report["uncovered"] == ["001-FR-003", "001-FR-005"]
    assert report["total_requirements"] == 5
    assert report["covered_requirements"] == 3
    assert report["coverage_percentage"] == 60.0
    assert report["coverage_map"]["001-FR-002"] == [
        "test_app::test_checkout",
        "test_app::test_checkout_fails",
    ]
    assert report["failing"] == {"001-FR-002": ["test_app::test_checkout_fails"]}
    assert "3 of 5 requirements covered (60.0 %)" in done.stdout


def test_requirement_id_not_matching_the_seed_pattern_is_refused(project: Path) -> None:
    (project / "test_app.py").write_text(
        'import pytest\n\n@pytest.mark.requirement("FR-12")\ndef test_x():\n    pass\n'
    )
    done = run(project, "-m", "pytest", "test_app.py", "-p", "no:cacheprovider", "-q")
    assert done.returncode == 4
    assert (
        "test_app.py::test_x: requirement id 'FR-12' does not match ^\\d{3}-FR-\\d{3}[a-z]?$"
    ) in done.stdout + done.stderr


def test_declared_requirement_ids_are_checked_at_load(project: Path) -> None:
    (project / "omnicloud.toml").write_text(CONFIG.replace('"001-FR-005"', '"1-FR-5"'))
    done = run(project, "-m", "omnicloud", "validate")
    assert done.returncode == 2
    assert (
        "traceability.requirements.4: requirement id '1-FR-5' does not match"
        " ^\\d{3}-FR-\\d{3}[a-z]?$"
    ) in done.stderr


def test_undeclared_requirements_are_reported() -> None:
    tests = [TestResult("m", "t", "passed", properties=(("requirement", "001-FR-009"),))]
    report = build_report(["001-FR-001"], tests)
    assert report.undeclared == ["001-FR-009"]
    assert report.uncovered == ["001-FR-001"]
    assert report.coverage_percentage == 0.0
