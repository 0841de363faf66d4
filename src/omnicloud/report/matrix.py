"""The compliance matrix: interfaces (rows) x providers (columns), claims versus results.

``build_matrix`` is pure: configuration (what each provider claims and expects to fail) plus the
typed results of a run in, a ``Matrix`` out. The renderers below turn it into a terminal table,
Markdown (also the GitHub job summary) and JSON; ``html_matrix`` renders the HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from omnicloud.capabilities.validator import PROBLEMS, Status, classify, is_expected_failure
from omnicloud.config.models import Config
from omnicloud.redaction import redact
from omnicloud.results import Results, TestResult
from tck_py.interfaces.catalog import INTERFACES

CONTRACT_ROW = "contract"
DETAIL_LIMIT = 6000  # characters of traceback and output kept per failing test

#: status -> (short label, long label, symbol)
LABELS: dict[str, tuple[str, str, str]] = {
    "pass": ("pass", "pass", "✅"),
    "fail": ("FAIL", "contract suite fails", "❌"),
    "false_claim": ("FALSE CLAIM", "declared, but its suite fails", "❌"),
    "expected_failure": ("xfail", "expected failure", "⚠️"),
    "unexpected_pass": ("XPASS", "expected failure that passes: remove the entry", "❗"),
    "not_claimed": ("-", "not claimed", "·"),
    "probe_pass": ("probe pass", "not declared, but passes: declare it", "💡"),
    "not_run": ("not run", "declared, but no test ran", "⏸"),
}


@dataclass(frozen=True)
class FailedTest:
    """A test that did not pass, with what a reader needs to see why."""

    name: str
    outcome: str
    message: str
    detail: str


@dataclass(frozen=True)
class Cell:
    provider: str
    row: str  # an interface name, or CONTRACT_ROW
    suite: str  # the interface, or the provider's contract
    status: Status
    claimed: bool
    expected_kind: str | None = None
    expected_reason: str | None = None
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0
    failures: tuple[FailedTest, ...] = ()

    @property
    def anchor(self) -> str:
        return f"cell-{self.provider}-{self.row}".replace(" ", "-")

    @property
    def label(self) -> str:
        short = LABELS[self.status][0]
        if self.row == CONTRACT_ROW:
            return f"{short}: {self.suite}" if self.claimed else "no contract"
        return f"{short} ({self.expected_kind})" if self.expected_kind and self.claimed else short

    @property
    def problem(self) -> bool:
        return self.status in PROBLEMS


@dataclass(frozen=True)
class Matrix:
    providers: tuple[str, ...]
    rows: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def cell(self, provider: str, row: str) -> Cell:
        return self.cells[(provider, row)]

    def problems(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.problem]

    def suggestions(self) -> list[Cell]:
        return [c for c in self.cells.values() if c.status == "probe_pass"]

    def exit_code(self) -> int:
        return 1 if self.problems() else 0

    def counts(self, provider: str, *, interfaces_only: bool = False) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows[1:] if interfaces_only else self.rows:
            status = self.cells[(provider, row)].status
            out[status] = out.get(status, 0) + 1
        return out


def family_of(row: str) -> str:
    spec = INTERFACES.get(row)
    return spec.family if spec is not None else CONTRACT_ROW


def build_matrix(
    config: Config,
    results: Results,
    *,
    providers: Sequence[str] = (),
    meta: Mapping[str, Any] | None = None,
) -> Matrix:
    """Classify every (provider, interface) of ``providers`` (default: those in the results)."""
    by_target: dict[tuple[str, str], list[TestResult]] = {}
    for test in results:
        if test.provider in config.providers and test.suite:
            by_target.setdefault((test.provider, test.suite), []).append(test)
    chosen = tuple(providers) or tuple(
        p for p in config.providers if any(k[0] == p for k in by_target)
    )
    secrets = config.secret_values()
    rows = (CONTRACT_ROW, *INTERFACES)
    cells: dict[tuple[str, str], Cell] = {}
    for provider in chosen:
        for row in rows:
            cells[(provider, row)] = _cell(config, provider, row, by_target, secrets)
    return Matrix(chosen, rows, cells, dict(meta or {}))


def _cell(
    config: Config,
    provider: str,
    row: str,
    by_target: Mapping[tuple[str, str], list[TestResult]],
    secrets: list[str],
) -> Cell:
    settings = config.providers[provider]
    if row == CONTRACT_ROW and settings.contract is None:  # an interface-only provider
        return Cell(provider=provider, row=row, suite="", status="not_claimed", claimed=False)
    suite = (settings.contract or "") if row == CONTRACT_ROW else row
    tests = by_target.get((provider, suite), [])
    claimed = row == CONTRACT_ROW or row in settings.implements
    expected = settings.expected_failures.get(row)
    status = classify(
        tests, claimed=claimed, expected=expected is not None, contract=row == CONTRACT_ROW
    )
    return Cell(
        provider=provider,
        row=row,
        suite=suite,
        status=status,
        claimed=claimed,
        expected_kind=expected.kind if expected else None,
        expected_reason=expected.reason if expected else None,
        passed=sum(t.outcome == "passed" for t in tests),
        failed=sum(t.outcome in ("failed", "error") for t in tests),
        skipped=sum(t.outcome == "skipped" and not is_expected_failure(t) for t in tests),
        xfailed=sum(is_expected_failure(t) for t in tests),
        failures=tuple(_failed(t, secrets) for t in tests if _shown(t, status)),
    )


def _shown(test: TestResult, status: str) -> bool:
    if test.outcome in ("failed", "error"):
        return status != "not_claimed"  # an undeclared probe failing is expected, not news
    return is_expected_failure(test)


def _failed(test: TestResult, secrets: list[str]) -> FailedTest:
    detail = "\n".join(part for part in (test.traceback, test.stdout, test.stderr) if part)
    if len(detail) > DETAIL_LIMIT:
        detail = detail[:DETAIL_LIMIT] + f"\n... ({len(detail) - DETAIL_LIMIT} more characters)"
    return FailedTest(
        test.name, test.outcome, redact(test.message, secrets), redact(detail, secrets)
    )


# ------------------------------------------------------------------------------------ renderers
def to_json(matrix: Matrix) -> dict[str, Any]:
    """A JSON-ready document: every cell, plus per-provider counts and the problems."""
    return {
        "meta": dict(matrix.meta),
        "providers": list(matrix.providers),
        "rows": [{"name": r, "family": family_of(r)} for r in matrix.rows],
        "cells": [
            {
                "provider": c.provider,
                "row": c.row,
                "suite": c.suite,
                "status": c.status,
                "claimed": c.claimed,
                "expected_failure": (
                    {"kind": c.expected_kind, "reason": c.expected_reason}
                    if c.expected_kind
                    else None
                ),
                "passed": c.passed,
                "failed": c.failed,
                "skipped": c.skipped,
                "xfailed": c.xfailed,
                "failures": [f.__dict__ for f in c.failures],
            }
            for c in matrix.cells.values()
        ],
        "summary": {p: matrix.counts(p) for p in matrix.providers},
        "problems": [f"{c.provider}:{c.row}: {LABELS[c.status][1]}" for c in matrix.problems()],
        "declare": [f"{c.provider}:{c.row}" for c in matrix.suggestions()],
    }


def render_markdown(matrix: Matrix, *, rows: Iterable[str] | None = None) -> str:
    """Markdown for reports and the GitHub job summary."""
    lines = [f"## Interface compliance matrix ({matrix.meta.get('project', '')})".rstrip(), ""]
    lines.append("| interface | " + " | ".join(f"`{p}`" for p in matrix.providers) + " |")
    lines.append("|---|" + "---|" * len(matrix.providers))
    for row in rows if rows is not None else matrix.rows:
        cells = [matrix.cell(p, row) for p in matrix.providers]
        name = "**contract suite**" if row == CONTRACT_ROW else row
        lines.append(f"| {name} | " + " | ".join(_md_cell(c) for c in cells) + " |")
    lines += [
        "",
        "| provider | claimed | pass | false claims | expected failures |"
        " unexpected passes | probe passes |",
        "|---|---|---|---|---|---|---|",
    ]
    for provider in matrix.providers:
        n = matrix.counts(provider, interfaces_only=True)
        claimed = sum(matrix.cell(provider, r).claimed for r in matrix.rows[1:])
        lines.append(
            f"| `{provider}` | {claimed} | {n.get('pass', 0)} |"
            f" {n.get('false_claim', 0)} | {n.get('expected_failure', 0)} |"
            f" {n.get('unexpected_pass', 0)} | {n.get('probe_pass', 0)} |"
        )
    lines.append("")
    if matrix.problems():
        lines.append("### Problems")
        lines += [
            f"- `{c.provider}` **{c.row}**: {LABELS[c.status][1]}"
            + (f" ({c.failed} failing tests)" if c.failed else "")
            for c in matrix.problems()
        ]
        lines.append("")
    if matrix.suggestions():
        lines.append("### Passing but not declared (add them to `implements`)")
        lines += [f"- `{c.provider}`: {c.row}" for c in matrix.suggestions()]
        lines.append("")
    lines.append(
        "Legend: "
        + "; ".join(f"{s} {v[0]} = {v[1]}" for v, s in ((v, v[2]) for v in LABELS.values()))
    )
    return "\n".join(lines) + "\n"


def _md_cell(cell: Cell) -> str:
    symbol = LABELS[cell.status][2]
    return symbol if cell.status == "not_claimed" else f"{symbol} {cell.label}"


_STYLES = {
    "pass": "green",
    "fail": "bold red",
    "false_claim": "bold red",
    "expected_failure": "yellow",
    "unexpected_pass": "bold magenta",
    "not_claimed": "dim",
    "probe_pass": "cyan",
    "not_run": "dim yellow",
}


def render_terminal(matrix: Matrix, console: Console, *, all_rows: bool = False) -> None:
    """A rich table; by default only rows where some provider claims, probes or fails."""
    table = Table(title="Interface compliance (claims vs results)", title_justify="left")
    table.add_column("interface")
    for provider in matrix.providers:
        table.add_column(provider)
    for row in matrix.rows:
        cells = [matrix.cell(p, row) for p in matrix.providers]
        if not all_rows and all(c.status == "not_claimed" and not c.failures for c in cells):
            continue
        label = "contract suite" if row == CONTRACT_ROW else row
        table.add_row(label, *(f"[{_STYLES[c.status]}]{c.label}[/]" for c in cells))
    console.print(table)
    for cell in matrix.problems():
        console.print(
            f"[bold red]{cell.provider}:{cell.row}[/] {LABELS[cell.status][1]}", highlight=False
        )
        for failure in cell.failures[:5]:
            first = failure.message.splitlines()[0][:150] if failure.message else ""
            console.print(
                f"    {failure.outcome}: {failure.name}  {first}", highlight=False, markup=False
            )
    for cell in matrix.suggestions():
        console.print(
            f"[cyan]{cell.provider}:{cell.row}[/] passes but is not declared: add it to implements",
            highlight=False,
        )
