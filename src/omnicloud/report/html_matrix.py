"""The compliance matrix as ONE self-contained HTML page.

No external assets: CSS and the small sorting script are inline, so the file reads offline,
as a CI artifact, or attached to a ticket. Clicking a column header sorts the rows; a cell that
did not pass links to the list of its failing tests with their output.
"""

from __future__ import annotations

from html import escape

from omnicloud.report.matrix import CONTRACT_ROW, LABELS, Cell, Matrix, family_of

#: Symbols found in every common font (emoji fonts are often missing offline or on CI boxes).
SYMBOLS = {
    "pass": "\u2713",
    "fail": "\u2717",
    "false_claim": "\u2717",
    "expected_failure": "\u26a0",
    "unexpected_pass": "\u203c",
    "not_claimed": "\u00b7",
    "probe_pass": "\u2605",
    "not_run": "\u25cb",
}

#: Sort order of statuses: what needs attention first.
_RANK = {
    "false_claim": 0,
    "fail": 1,
    "unexpected_pass": 2,
    "expected_failure": 3,
    "not_run": 4,
    "probe_pass": 5,
    "pass": 6,
    "not_claimed": 7,
}

_CSS = """
:root { --pass:#1a7f37; --bad:#cf222e; --warn:#9a6700; --info:#0969da; --mute:#6e7781; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px;
       color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: var(--mute); margin-bottom: 16px; }
.summary { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0 20px; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 14px; min-width: 210px; }
.card b { font-size: 15px; } .card .bad { color: var(--bad); font-weight: 600; }
.verdict-ok { color: var(--pass); font-weight: 600; } .verdict-bad { color: var(--bad);
  font-weight: 600; }
table.matrix { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid #d0d7de; padding: 4px 10px;
  text-align: left; white-space: nowrap; }
table.matrix thead th { background: #f6f8fa; position: sticky; top: 0; cursor: pointer;
  user-select: none; }
table.matrix thead th:hover { background: #eaeef2; }
table.matrix thead th[aria-sort=ascending]::after { content: " \\25B2"; font-size: 10px; }
table.matrix thead th[aria-sort=descending]::after { content: " \\25BC"; font-size: 10px; }
tr.family-start td { border-top: 2px solid #8c959f; }
td.family { color: var(--mute); } td.iface { font-family: ui-monospace, monospace; }
td.s-pass { background: #dafbe1; color: var(--pass); }
td.s-fail, td.s-false_claim { background: #ffebe9; color: var(--bad); font-weight: 600; }
td.s-unexpected_pass { background: #fbefff; color: #8250df; font-weight: 600; }
td.s-expected_failure { background: #fff8c5; color: var(--warn); }
td.s-probe_pass { background: #ddf4ff; color: var(--info); font-weight: 600; }
td.s-not_claimed { color: #afb8c1; } td.s-not_run { color: var(--warn); }
td a { color: inherit; }
.legend span { display: inline-block; margin: 2px 10px 2px 0; }
.failures section { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 14px;
  margin: 10px 0; }
.failures section:target { outline: 3px solid var(--info); }
.failures h3 { font-size: 15px; margin: 4px 0; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; max-height: 420px;
  font-size: 12px; white-space: pre-wrap; word-break: break-word; }
.reason { color: var(--warn); }
"""

_JS = """
document.getElementById("quiet").addEventListener("change", function (event) {
  document.querySelectorAll("tr[data-quiet]").forEach(function (row) {
    row.hidden = event.target.checked;
  });
});
document.querySelectorAll("table.matrix thead th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].getAttribute("data-sort");
      var y = b.cells[column].getAttribute("data-sort");
      var order = x < y ? -1 : x > y ? 1 : 0;
      if (order === 0) { order = Number(a.dataset.index) - Number(b.dataset.index); }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { row.classList.remove("family-start"); body.appendChild(row); });
  });
});
"""


def render_html(matrix: Matrix) -> str:
    """The whole page as a string."""
    title = f"Interface compliance: {matrix.meta.get('project', 'omnicloud')}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _meta(matrix),
        _summary(matrix),
        _legend(),
        _table(matrix),
        _failures(matrix),
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _meta(matrix: Matrix) -> str:
    keys = ("run_id", "generated", "junit", "probe", "tck_version")
    shown = [f"{k}: <code>{escape(str(matrix.meta[k]))}</code>" for k in keys if k in matrix.meta]
    return f'<div class="meta">{" &middot; ".join(shown)}</div>'


def _summary(matrix: Matrix) -> str:
    cards = []
    for provider in matrix.providers:
        counts = matrix.counts(provider)
        claimed = [r for r in matrix.rows if r != CONTRACT_ROW and matrix.cell(provider, r).claimed]
        holding = sum(matrix.cell(provider, r).status == "pass" for r in claimed)
        contract = matrix.cell(provider, CONTRACT_ROW)
        bad = sum(counts.get(s, 0) for s in ("fail", "false_claim", "unexpected_pass"))
        verdict = (
            '<span class="verdict-bad">problems</span>'
            if bad
            else '<span class="verdict-ok">claims hold</span>'
        )
        lines = [
            f"<b>{escape(provider)}</b> &mdash; {verdict}",
            f"{holding} of {len(claimed)} claimed interfaces pass",
        ]
        if contract.claimed:  # interface-only providers have no contract suite
            lines.append(f"contract {escape(contract.suite)}: {escape(LABELS[contract.status][0])}")
        for status in (
            "false_claim",
            "fail",
            "unexpected_pass",
            "expected_failure",
            "probe_pass",
            "not_run",
        ):
            if counts.get(status):
                css = ' class="bad"' if status in ("false_claim", "fail", "unexpected_pass") else ""
                lines.append(f"<span{css}>{counts[status]} {escape(LABELS[status][1])}</span>")
        cards.append('<div class="card">' + "<br>".join(lines) + "</div>")
    return '<div class="summary">' + "".join(cards) + "</div>"


def _legend() -> str:
    items = "".join(
        f"<span>{SYMBOLS[status]} <b>{escape(short)}</b>: {escape(long)}</span>"
        for status, (short, long, _) in LABELS.items()
    )
    return f'<div class="legend">{items}</div>'


def _table(matrix: Matrix) -> str:
    head = "".join(f"<th scope=col>{escape(p)}</th>" for p in matrix.providers)
    rows = []
    previous = ""
    for index, row in enumerate(matrix.rows):
        family = family_of(row)
        css = ' class="family-start"' if family != previous and index else ""
        previous = family
        cells = "".join(_td(matrix.cell(p, row)) for p in matrix.providers)
        quiet = (
            " data-quiet"
            if all(matrix.cell(p, row).status == "not_claimed" for p in matrix.providers)
            else ""
        )
        name = row if row != CONTRACT_ROW else "contract suite"
        rows.append(
            f'<tr data-index="{index}"{css}{quiet}><td class="family" data-sort="{index:03d}">'
            f'{escape(family)}</td><td class=iface data-sort="{escape(row)}">{escape(name)}'
            f"</td>{cells}</tr>"
        )
    return (
        '<h2>Matrix</h2><p><label><input type="checkbox" id="quiet"> hide interfaces no'
        " provider claims or passes</label> &middot; click a column header to sort</p>"
        '<table class="matrix"><thead><tr><th scope=col>family</th>'
        f"<th scope=col>interface</th>{head}</tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table>"
    )


def _td(cell: Cell) -> str:
    symbol = SYMBOLS[cell.status]
    text = symbol if cell.status == "not_claimed" else f"{symbol} {escape(cell.label)}"
    if _has_section(cell):
        text = f'<a href="#{escape(cell.anchor)}">{text}</a>'
    title = escape(
        LABELS[cell.status][1] + (f": {cell.expected_reason}" if cell.expected_reason else "")
    )
    counts = f"{cell.passed} passed, {cell.failed} failed, {cell.xfailed} xfailed"
    return (
        f'<td class="s-{cell.status}" data-sort="{_RANK[cell.status]}" '
        f'title="{title} ({counts})">{text}</td>'
    )


def _has_section(cell: Cell) -> bool:
    return bool(cell.failures) or cell.status == "unexpected_pass"


def _failures(matrix: Matrix) -> str:
    sections = []
    for cell in matrix.cells.values():
        if not _has_section(cell):
            continue
        reason = (
            f'<p class="reason">expected failure [{escape(cell.expected_kind or "")}]:'
            f" {escape(cell.expected_reason or '')}</p>"
            if cell.expected_kind
            else ""
        )
        tests = "".join(
            f"<details><summary><b>{escape(f.outcome)}</b> <code>{escape(f.name)}</code>"
            f" &mdash; {escape(f.message.splitlines()[0] if f.message else '')}</summary>"
            f"<pre>{escape(f.message)}\n\n{escape(f.detail)}</pre></details>"
            for f in cell.failures
        )
        sections.append(
            f'<section id="{escape(cell.anchor)}"><h3>{escape(cell.provider)} &middot; '
            f"{escape(cell.row)} &mdash; {escape(LABELS[cell.status][1])}</h3>{reason}"
            f"<p>{_count_line(cell)}</p>{tests}</section>"
        )
    if not sections:
        return "<h2>Failing tests</h2><p>None.</p>"
    return '<h2>Failing tests</h2><div class="failures">' + "".join(sections) + "</div>"


def _count_line(cell: Cell) -> str:
    if cell.status == "unexpected_pass":
        return (
            f"All {cell.passed} tests passed although this interface is declared as an"
            " expected failure: remove the entry from expected_failures."
        )
    return f"{len(cell.failures)} test(s) did not pass."
