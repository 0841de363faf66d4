"""Requirement traceability (seed 003): which tests verify which requirements.

Tests say what they verify with ``@pytest.mark.requirement("001-FR-012")``; the plugin checks
each id against ``traceability.pattern`` and records it as a JUnit property, so the report is
built from results (it works the same under xdist and across shards).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from omnicloud.results import TestResult

PROPERTY = "requirement"
DEFAULT_PATTERN = r"^\d{3}-FR-\d{3}[a-z]?$"


@dataclass(frozen=True)
class TraceabilityReport:
    """Seed 003's report: totals, coverage, uncovered requirements, requirement -> tests."""

    spec_id: str
    total_requirements: int
    covered_requirements: int
    coverage_percentage: float
    uncovered: list[str]
    coverage_map: dict[str, list[str]]
    undeclared: list[str]
    failing: dict[str, list[str]]


def invalid_ids(ids: Iterable[str], pattern: str) -> list[str]:
    compiled = re.compile(pattern)
    return [i for i in ids if not compiled.match(i)]


def build_report(
    requirements: Sequence[str], tests: Iterable[TestResult], spec_id: str = ""
) -> TraceabilityReport:
    """Coverage of the declared ``requirements`` by the tests that name them."""
    coverage: dict[str, list[str]] = {r: [] for r in requirements}
    failing: dict[str, list[str]] = {}
    undeclared: set[str] = set()
    for test in tests:
        for name, value in test.properties:
            if name != PROPERTY:
                continue
            if value not in coverage:
                undeclared.add(value)
                continue
            coverage[value].append(test.test_id)
            if not test.ok:
                failing.setdefault(value, []).append(test.test_id)
    covered = [r for r, ids in coverage.items() if ids]
    total = len(requirements)
    return TraceabilityReport(
        spec_id=spec_id,
        total_requirements=total,
        covered_requirements=len(covered),
        coverage_percentage=round(100.0 * len(covered) / total, 1) if total else 100.0,
        uncovered=[r for r in requirements if not coverage[r]],
        coverage_map={r: sorted(ids) for r, ids in coverage.items()},
        undeclared=sorted(undeclared),
        failing=failing,
    )


def render_markdown(report: TraceabilityReport) -> str:
    lines = [
        f"# Traceability{': ' + report.spec_id if report.spec_id else ''}",
        "",
        f"{report.covered_requirements} of {report.total_requirements} requirements covered"
        f" ({report.coverage_percentage:.1f} %)",
        "",
    ]
    if report.uncovered:
        lines += ["## Uncovered", "", *[f"- {r}" for r in report.uncovered], ""]
    lines += ["## Requirement to tests", "", "| requirement | tests | failing |", "|---|---|---|"]
    for requirement, tests in report.coverage_map.items():
        failing = len(report.failing.get(requirement, []))
        shown = "<br>".join(f"`{t}`" for t in tests) or "—"
        lines.append(f"| {requirement} | {shown} | {failing} |")
    if report.undeclared:
        lines += [
            "",
            "Tests name requirements that are not declared: " + ", ".join(report.undeclared),
        ]
    return "\n".join(lines) + "\n"


def write_report(report: TraceabilityReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "traceability.json", folder / "traceability.md"]
    paths[0].write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    return paths
