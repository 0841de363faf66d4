"""Triage reports as Markdown and JSON, for everyone and per owner (pure: data in, text out)."""

from __future__ import annotations

import json
import re
from typing import Any

from omnicloud.triage.model import ClassifiedFailure, TriageReport


def owner_slug(owner: str) -> str:
    """A file-name-safe form of an owner (``@acme/storage-team`` -> ``acme-storage-team``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", owner).strip("-.") or "unowned"


def report_to_dict(report: TriageReport, owner: str | None = None) -> dict[str, Any]:
    failures = report.by_owner().get(owner, []) if owner else list(report.failures)
    return {
        "run_id": report.run_id,
        "owner": owner,
        "summary": _summary(failures),
        "failures": [item.to_dict() for item in failures],
        "fixed": [vars(f) for f in report.fixed] if owner is None else [],
        "flakiness": report.flakiness
        if owner is None
        else {
            t: r for t, r in report.flakiness.items() if t in {f.failure.test_id for f in failures}
        },
        "owners": sorted(report.by_owner()) if owner is None else [owner],
    }


def render_json(report: TriageReport, owner: str | None = None) -> str:
    return json.dumps(report_to_dict(report, owner), indent=2, sort_keys=True, default=str) + "\n"


def _summary(failures: list[ClassifiedFailure]) -> dict[str, Any]:
    categories: dict[str, int] = {}
    states: dict[str, int] = {}
    for item in failures:
        categories[item.category] = categories.get(item.category, 0) + 1
        states[item.history] = states.get(item.history, 0) + 1
    return {"total": len(failures), "categories": categories, "history": states}


def render_markdown(report: TriageReport, owner: str | None = None) -> str:
    groups = report.by_owner()
    if owner is not None:
        groups = {owner: groups.get(owner, [])}
    title = f"Triage of run {report.run_id}" + (f" for {owner}" if owner else "")
    lines = [f"# {title}", ""]
    total = sum(len(v) for v in groups.values()) if owner else len(report.failures)
    lines.append(f"{total} failure(s); {report.passed} passed.")
    lines.append("")
    for name, items in groups.items():
        lines += [f"## {name} ({len(items)})", ""]
        lines += ["| test | category | history | evidence |", "|---|---|---|---|"]
        lines += [_row(item) for item in items]
        lines.append("")
        for item in items:
            lines += _details(item)
    if owner is None and report.fixed:
        lines += ["## Fixed since the previous run", ""]
        lines += [
            f"- `{f.test_id}` ({f.category}, last failed in {f.last_failed_run})"
            for f in report.fixed
        ]
        lines.append("")
    if owner is None and report.flakiness:
        lines += ["## Flakiness (share of recent runs that were flaky)", ""]
        lines += [f"- `{test}`: {rate:.0%}" for test, rate in sorted(report.flakiness.items())]
        lines.append("")
    if owner is None and report.anomalies:
        lines += ["## Problems in the JUnit files", ""]
        lines += [f"- {_cell(text, 400)}" for text in report.anomalies]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return text.replace("|", "\\|")


def _row(item: ClassifiedFailure) -> str:
    return (
        f"| `{_cell(item.failure.test_id)}` | {item.category} | {item.history} |"
        f" `{_cell(item.evidence_text, 60)}` |"
    )


def _details(item: ClassifiedFailure) -> list[str]:
    lines = [f"### `{_cell(item.failure.test_id, 200)}`", ""]
    lines.append(
        f"- status: {item.failure.status}; category: **{item.category}**"
        f" (rule `{item.rule or '-'}`)"
    )
    if item.failure.provider:
        lines.append(f"- provider: {item.failure.provider}; contract: {item.failure.contract}")
    lines.append(f"- owners: {', '.join(item.owners)} (from {item.owner_source})")
    lines.append(
        f"- history: {item.history}; first seen in run {item.first_seen_run}"
        + (f" at commit {item.first_seen_commit[:12]}" if item.first_seen_commit else "")
    )
    lines.append(f"- fingerprint: `{item.fingerprint}`")
    if item.suggestion:
        lines.append(f"- suggestion: {item.suggestion}")
    if item.failure.message:
        lines += ["", "```text", item.failure.message[:1000], "```"]
    lines.append("")
    return lines
