"""The workflow report: a timeline of the steps, their status, and the data that flowed."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from omnicloud.redaction import redact
from omnicloud.workflows.engine import WorkflowResult

BAR_WIDTH = 30
_STYLE = {"passed": "green", "failed": "red", "unavailable": "yellow", "skipped": "dim"}


def _bar(start: float, duration: float, total: float) -> str:
    if total <= 0:
        return ""
    begin = int(start / total * BAR_WIDTH)
    length = max(1, round(duration / total * BAR_WIDTH)) if duration else 0
    return " " * begin + "█" * min(length, BAR_WIDTH - begin)


def _show(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def render_terminal(result: WorkflowResult, console: Console) -> None:
    table = Table(title=f"Workflow {result.name} ({result.duration:.2f}s)", title_justify="left")
    for column in ("step", "application", "status", "start", "time", "timeline", "reason"):
        table.add_column(column)
    for step in result.steps:
        style = _STYLE[step.status]
        table.add_row(
            step.name,
            step.application or "(command)",
            f"[{style}]{step.status}[/]",
            f"{step.started:.2f}s",
            f"{step.duration:.2f}s",
            _bar(step.started, step.duration, result.duration),
            step.reason,
        )
    console.print(table)
    if result.flow:
        console.print("[bold]Data flow[/]")
        for key, value in result.flow.items():
            readers = [s.name for s in result.steps if key in s.consumed]
            console.print(
                f"  {key} = {_show(value)}  ({result.producers.get(key)} ->"
                f" {', '.join(readers) or 'nobody'})",
                highlight=False,
            )


def render_markdown(result: WorkflowResult) -> str:
    lines = [
        f"# Workflow `{result.name}`",
        "",
        f"{len(result.steps)} steps in {result.duration:.2f}s",
        "",
        "| step | application | status | start | time | reason |",
        "|---|---|---|---:|---:|---|",
    ]
    for step in result.steps:
        lines.append(
            f"| {step.name} | {step.application or '(command)'} | {step.status} |"
            f" {step.started:.2f}s | {step.duration:.2f}s | {step.reason} |"
        )
    if result.flow:
        lines += ["", "## Data flow", "", "| value | from | to | content |", "|---|---|---|---|"]
        for key, value in result.flow.items():
            readers = ", ".join(s.name for s in result.steps if key in s.consumed)
            lines.append(f"| {key} | {result.producers.get(key)} | {readers} | `{_show(value)}` |")
    failed = [(s, t) for s in result.steps for t in s.tests if not t.ok]
    if failed:
        lines += ["", "## Failed tests", ""]
        lines += [
            f"- {s.name}: `{t.test_id}`: {t.message.splitlines()[0] if t.message else ''}"
            for s, t in failed
        ]
    return "\n".join(lines) + "\n"


def write_reports(result: WorkflowResult, secrets: list[str]) -> list[Path]:
    json_path = result.folder / "workflow.json"
    md_path = result.folder / "workflow.md"
    json_path.write_text(
        redact(json.dumps(result.to_dict(), indent=2, default=str), secrets), encoding="utf-8"
    )
    md_path.write_text(redact(render_markdown(result), secrets), encoding="utf-8")
    return [json_path, md_path]
