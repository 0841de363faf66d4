"""The matrix in a terminal: interfaces as rows, backends as columns, one short mark per cell.

Cells are single marks (a legend follows), so a column is as wide as its provider's name and
nothing is cut. When the columns do not fit the terminal, the table is printed in several parts,
each with the interface names, rather than squeezing cells into ``pas…``. Contract suites, which
have no interfaces, get one line each (or one line in all when they pass). The RFC-015 headline
ends the output.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from omnicloud.report.matrix import (
    CONTRACT_ROW,
    LABELS,
    Cell,
    Matrix,
    by_provider,
    real_summary,
)

#: status -> (mark, rich style). Plain characters every terminal font has.
MARKS: dict[str, tuple[str, str]] = {
    "pass": ("✓", "green"),
    "fail": ("✗", "bold red"),
    "false_claim": ("✗", "bold red"),
    "expected_failure": ("xf", "yellow"),
    "unexpected_pass": ("XP", "bold magenta"),
    "not_claimed": ("·", "dim"),
    "probe_pass": ("+", "cyan"),
    "not_run": ("?", "dim yellow"),
}

#: Characters a column takes besides its content (padding on both sides plus the separator).
COLUMN_EXTRA = 3
FAILURES_SHOWN = 5


def render_terminal(matrix: Matrix, console: Console, *, all_rows: bool = False) -> None:
    """The interface table (rows in play, or all 45), the contract suites, the findings."""
    columns = matrix.interface_providers()
    rows = matrix.interfaces if all_rows else matrix.rows_in_play()
    if columns and rows:
        for part in split_columns(matrix, columns, rows, console.width):
            console.print(_table(matrix, part, rows))
        console.print(_legend(), highlight=False)
    elif not columns:
        console.print("No provider declares an interface.", highlight=False)
    _contracts(matrix, console, all_rows=all_rows)
    _findings(matrix, console)
    console.print(f"[bold]{real_summary(matrix).line}[/]", highlight=False)


def split_columns(
    matrix: Matrix, columns: Sequence[str], rows: Sequence[str], width: int
) -> list[tuple[str, ...]]:
    """Consecutive groups of ``columns`` whose table fits in ``width`` characters.

    Pure, so the layout is tested without a terminal. A single column wider than the terminal
    still gets a part of its own (its header folds)."""
    first = max(len(r) for r in rows) + COLUMN_EXTRA + 1
    parts: list[tuple[str, ...]] = []
    current: list[str] = []
    used = first
    for name in columns:
        need = _header_width(matrix, name) + COLUMN_EXTRA
        if current and used + need > width:
            parts.append(tuple(current))
            current, used = [], first
        current.append(name)
        used += need
    if current:
        parts.append(tuple(current))
    return parts


def _header(matrix: Matrix, provider: str) -> str:
    return f"{provider} (ref)" if provider in matrix.references else provider


def _header_width(matrix: Matrix, provider: str) -> int:
    return max(len(_header(matrix, provider)), 2)


def _table(matrix: Matrix, columns: Sequence[str], rows: Sequence[str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("interface", no_wrap=True)
    for provider in columns:
        table.add_column(_header(matrix, provider), justify="center", overflow="fold")
    for row in rows:
        table.add_row(row, *(_mark(matrix.cell(p, row)) for p in columns))
    return table


def _mark(cell: Cell) -> str:
    mark, style = MARKS[cell.status]
    return f"[{style}]{mark}[/]"


def _legend() -> str:
    seen: dict[str, str] = {}
    for status, (mark, _) in MARKS.items():
        text = {"fail": "failing claim", "false_claim": "failing claim"}.get(
            status, "not declared" if status == "not_claimed" else LABELS[status][0]
        )
        seen.setdefault(mark, f"{mark} {text}")
    return "  ".join(seen.values()) + "   (ref) = reference implementation, not a real backend"


def _contracts(matrix: Matrix, console: Console, *, all_rows: bool) -> None:
    """One line per contract suite that did not pass (every one with ``all_rows``)."""
    providers = matrix.contract_providers()
    if not providers:
        return
    cells = [matrix.cell(p, CONTRACT_ROW) for p in providers]
    passing = [c for c in cells if c.status == "pass"]
    console.print(
        f"Contract suites: {len(passing)} of {len(cells)} pass", highlight=False, markup=False
    )
    for cell in cells:
        if cell.status == "pass" and not all_rows:
            continue
        console.print(
            f"  {_mark(cell)} {cell.provider}: {cell.suite} {LABELS[cell.status][0]}"
            f" ({cell.passed} passed, {cell.failed} failed)",
            highlight=False,
        )


def _findings(matrix: Matrix, console: Console) -> None:
    for cell in matrix.problems():
        what = f"{cell.provider}:{cell.row}"
        if cell.row == CONTRACT_ROW:
            what = f"{cell.provider} (contract {cell.suite}):"
        console.print(f"[bold red]{what}[/] {LABELS[cell.status][1]}", highlight=False)
        for failure in cell.failures[:FAILURES_SHOWN]:
            first = failure.message.splitlines()[0] if failure.message else ""
            console.print(
                f"    {failure.outcome}: {failure.name}  {first}", highlight=False, markup=False
            )
        if len(cell.failures) > FAILURES_SHOWN:
            console.print(
                f"    ... and {len(cell.failures) - FAILURES_SHOWN} more (matrix.html)",
                highlight=False,
            )
    for provider, rows in by_provider(matrix.suggestions()):
        console.print(
            f"[cyan]{provider}[/] could declare {', '.join(rows)}"
            " (passes, not declared: add to implements)",
            highlight=False,
        )
    for provider, rows in by_provider(matrix.not_implemented()):
        count = len(rows)
        console.print(
            f"{provider} does not implement {count} probed interface{'s' if count != 1 else ''}"
            " (not declared, and their suites fail: not a problem)",
            highlight=False,
            markup=False,
        )
