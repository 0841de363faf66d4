"""The matrix as Markdown: the report file and the GitHub job summary.

The headline first, then interfaces (rows in play) x backends (columns), a per-backend summary,
the contract suites, the problems, and what probes found ("could declare", "does not
implement").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from omnicloud.report.matrix import (
    CONTRACT_ROW,
    LABELS,
    Cell,
    Matrix,
    by_provider,
    real_summary,
)


def render_markdown(matrix: Matrix, *, rows: Iterable[str] | None = None) -> str:
    """Markdown for reports and the GitHub job summary: the headline, the interface table
    (rows in play unless ``rows`` says otherwise), contract suites, problems, suggestions."""
    title = f"## Interface compliance matrix ({matrix.meta.get('project', '')})"
    lines = [title.replace(" ()", ""), "", _md_headline(matrix), ""]
    columns = matrix.interface_providers()
    if columns:
        lines += _md_interfaces(matrix, columns, matrix.rows_in_play() if rows is None else rows)
    if matrix.contract_providers():
        lines += _md_contracts(matrix)
    lines += _md_findings(matrix)
    if matrix.verdicts:
        from omnicloud.slo.records import markdown

        lines += markdown(matrix.verdicts)
    lines.append(
        "Legend: "
        + "; ".join(f"{s} {v[0]} = {v[1]}" for v, s in ((v, v[2]) for v in LABELS.values()))
    )
    return "\n".join(lines) + "\n"


def _md_headline(matrix: Matrix) -> str:
    real = real_summary(matrix)
    text = f"**{real.line}**"
    if real.backends:
        text += f" ({', '.join(f'`{p}`' for p in real.backends)})"
    if real.references:
        text += f"; reference: {', '.join(f'`{p}`' for p in real.references)}"
    return text + "."


def _md_interfaces(matrix: Matrix, columns: Sequence[str], rows: Iterable[str]) -> list[str]:
    heads = [f"`{p}`" + (" (reference)" if p in matrix.references else "") for p in columns]
    lines = ["| interface | " + " | ".join(heads) + " |", "|---|" + "---|" * len(columns)]
    for row in rows:
        if row == CONTRACT_ROW:
            continue
        cells = [matrix.cell(p, row) for p in columns]
        lines.append(f"| {row} | " + " | ".join(_md_cell(c) for c in cells) + " |")
    lines += [
        "",
        "| provider | claimed | pass | false claims | expected failures |"
        " unexpected passes | probe passes |",
        "|---|---|---|---|---|---|---|",
    ]
    for provider in columns:
        n = matrix.counts(provider, interfaces_only=True)
        claimed = sum(matrix.cell(provider, r).claimed for r in matrix.interfaces)
        lines.append(
            f"| `{provider}` | {claimed} | {n.get('pass', 0)} |"
            f" {n.get('false_claim', 0)} | {n.get('expected_failure', 0)} |"
            f" {n.get('unexpected_pass', 0)} | {n.get('probe_pass', 0)} |"
        )
    return [*lines, ""]


def _md_contracts(matrix: Matrix) -> list[str]:
    lines = [
        "### Contract suites",
        "",
        "| provider | contract | result | passed | failed |",
        "|---|---|---|---|---|",
    ]
    for provider in matrix.contract_providers():
        cell = matrix.cell(provider, CONTRACT_ROW)
        symbol, short = LABELS[cell.status][2], LABELS[cell.status][0]
        lines.append(
            f"| `{provider}` | {cell.suite} | {symbol} {short} | {cell.passed} | {cell.failed} |"
        )
    return [*lines, ""]


def _md_findings(matrix: Matrix) -> list[str]:
    lines: list[str] = []
    if matrix.problems():
        lines.append("### Problems")
        lines += [
            f"- `{c.provider}` **{c.row if c.row != CONTRACT_ROW else c.suite}**:"
            f" {LABELS[c.status][1]}" + (f" ({c.failed} failing tests)" if c.failed else "")
            for c in matrix.problems()
        ]
        lines.append("")
    if matrix.suggestions():
        lines.append("### Could declare (passes, not declared: add to `implements`)")
        lines += [f"- `{p}`: {', '.join(rows)}" for p, rows in by_provider(matrix.suggestions())]
        lines.append("")
    if matrix.not_implemented():
        lines.append("### Does not implement (probed, fails, not declared: no problem)")
        lines += [
            f"- `{p}`: {len(rows)} interfaces" for p, rows in by_provider(matrix.not_implemented())
        ]
        lines.append("")
    return lines


def _md_cell(cell: Cell) -> str:
    symbol = LABELS[cell.status][2]
    return symbol if cell.status == "not_claimed" else f"{symbol} {cell.label}"
