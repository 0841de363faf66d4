"""The compliance matrix as ONE self-contained HTML page, readable at a glance.

No external assets: CSS and the small script are inline, so the file reads offline, as a CI
artifact, or attached to a ticket. The page opens with RFC-015's headline; backends that declare
interfaces are the columns (real backends first, reference implementations after, marked), under
a header that stays in view while scrolling. Interfaces no provider declares are hidden until a
toggle shows them. Providers that only have a contract suite are listed in their own section.
Every cell that did not pass links to its failing tests, with their messages and output; clicking
a column header sorts the rows.
"""

from __future__ import annotations

from html import escape

from omnicloud.report.matrix import (
    CONTRACT_ROW,
    LABELS,
    Cell,
    Matrix,
    family_of,
    real_summary,
)

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

_BAD = ("fail", "false_claim", "unexpected_pass")

_CSS = """
:root { --pass:#1a7f37; --bad:#cf222e; --warn:#9a6700; --info:#0969da; --mute:#6e7781;
  --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px;
       color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: var(--mute); margin-bottom: 12px; }
.headline { font-size: 18px; font-weight: 600; margin: 8px 0 4px; }
.headline .n { color: var(--pass); }
.sub { color: var(--mute); margin: 0 0 14px; }
.summary { display: flex; gap: 10px; flex-wrap: wrap; margin: 10px 0 18px; }
.card { border: 1px solid var(--line); border-left: 5px solid var(--pass); border-radius: 6px;
  padding: 6px 12px; min-width: 170px; }
.card.has-bad { border-left-color: var(--bad); } .card.ref { border-left-color: var(--mute); }
.card b { font-size: 15px; } .card .bad { color: var(--bad); font-weight: 600; }
.tag { font-size: 11px; color: var(--mute); border: 1px solid var(--line); border-radius: 10px;
  padding: 0 6px; margin-left: 4px; font-weight: normal; }
.controls { margin: 6px 0 10px; color: var(--mute); }
table.matrix { border-collapse: separate; border-spacing: 0; }
table.matrix th, table.matrix td { border-right: 1px solid var(--line);
  border-bottom: 1px solid var(--line); padding: 3px 10px; white-space: nowrap; }
table.matrix tr > :first-child { border-left: 1px solid var(--line); }
table.matrix thead th { background: #f6f8fa; position: sticky; top: 0; z-index: 2;
  cursor: pointer; user-select: none; border-top: 1px solid var(--line); text-align: center;
  vertical-align: bottom; box-shadow: 0 1px 0 var(--line); }
table.matrix thead th.left { text-align: left; }
table.matrix thead th:hover { background: #eaeef2; }
table.matrix thead th small { display: block; font-weight: normal; color: var(--mute); }
table.matrix thead th.ref { background: #f0f1f3; color: #57606a; }
table.matrix thead th[aria-sort=ascending]::after { content: " \\25B2"; font-size: 10px; }
table.matrix thead th[aria-sort=descending]::after { content: " \\25BC"; font-size: 10px; }
tr.family-start > td { border-top: 2px solid #8c959f; }
td.family { color: var(--mute); } td.iface { font-family: ui-monospace, monospace; }
.gap { font: 11px system-ui, sans-serif; color: var(--warn); border: 1px solid #d4a72c;
  border-radius: 10px; padding: 0 6px; margin-left: 6px; }
tr[id] { scroll-margin-top: 48px; }
td.cell { text-align: center; min-width: 64px; }
td.s-pass { background: #dafbe1; color: var(--pass); }
td.s-fail, td.s-false_claim { background: #ffebe9; color: var(--bad); font-weight: 600; }
td.s-unexpected_pass { background: #fbefff; color: #8250df; font-weight: 600; }
td.s-expected_failure { background: #fff8c5; color: var(--warn); }
td.s-probe_pass { background: #ddf4ff; color: var(--info); font-weight: 600; }
td.s-not_claimed { color: #afb8c1; } td.s-not_run { color: var(--warn); }
td.ref { filter: saturate(0.45); }
td a { color: inherit; text-decoration: underline dotted; }
.legend { margin: 8px 0; color: #57606a; }
.legend span { display: inline-block; margin: 2px 12px 2px 0; }
table.plain { border-collapse: collapse; }
table.plain th, table.plain td { border: 1px solid var(--line); padding: 3px 10px;
  text-align: left; }
table.plain th { background: #f6f8fa; }
.failures section { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px;
  margin: 10px 0; scroll-margin-top: 12px; }
.failures section:target { outline: 3px solid var(--info); }
.failures h3 { font-size: 15px; margin: 4px 0; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; max-height: 420px;
  font-size: 12px; white-space: pre-wrap; word-break: break-word; }
.reason { color: var(--warn); }
"""

_JS = """
var toggle = document.getElementById("show-quiet");
if (toggle) {
  toggle.addEventListener("change", function (event) {
    document.querySelectorAll("tr[data-quiet]").forEach(function (row) {
      row.hidden = !event.target.checked;
    });
  });
}
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
    rows.forEach(function (row) {
      row.classList.remove("family-start");
      row.cells[0].textContent = row.cells[0].getAttribute("data-family");
      body.appendChild(row);
    });
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
        _headline(matrix),
        _cards(matrix),
        _table(matrix),
        _contracts(matrix),
        _verdicts(matrix),
        _failures(matrix),
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _verdicts(matrix: Matrix) -> str:
    """SLO and fault verdicts, when ``omnicloud slo`` / ``faults`` wrote them (their module)."""
    from omnicloud.slo.records import html

    return html(matrix.verdicts) if matrix.verdicts else ""


def _meta(matrix: Matrix) -> str:
    keys = ("run_id", "generated", "environment", "junit", "probe", "tck_version")
    shown = [f"{k}: <code>{escape(str(matrix.meta[k]))}</code>" for k in keys if k in matrix.meta]
    return f'<div class="meta">{" &middot; ".join(shown)}</div>'


def _headline(matrix: Matrix) -> str:
    real = real_summary(matrix)
    line = escape(real.line).replace(
        f"{len(real.passing)}/", f'<span class="n">{len(real.passing)}</span>/', 1
    )
    notes = []
    if real.backends:
        notes.append("real backends: " + ", ".join(escape(p) for p in real.backends))
    if real.references:
        notes.append("reference, not counted: " + ", ".join(escape(p) for p in real.references))
    sub = f'<p class="sub">{" &middot; ".join(notes)}</p>' if notes else ""
    return f'<p class="headline" id="headline">{line}</p>{sub}'


def _cards(matrix: Matrix) -> str:
    """One card per matrix column: how many of its declared interfaces hold."""
    cards = []
    lacking = [c.provider for c in matrix.not_implemented()]
    for provider in matrix.interface_providers():
        counts = matrix.counts(provider, interfaces_only=True)
        claimed = [r for r in matrix.interfaces if matrix.cell(provider, r).claimed]
        holding = sum(matrix.cell(provider, r).status == "pass" for r in claimed)
        bad = sum(counts.get(s, 0) for s in _BAD)
        css = "card has-bad" if bad else ("card ref" if provider in matrix.references else "card")
        tag = '<span class="tag">reference</span>' if provider in matrix.references else ""
        lines = [f"<b>{escape(provider)}</b>{tag}", f"{holding} of {len(claimed)} declared pass"]
        for status in ("false_claim", "unexpected_pass", "expected_failure", "probe_pass"):
            if counts.get(status):
                span = ' class="bad"' if status in _BAD else ""
                lines.append(f"<span{span}>{counts[status]} {escape(LABELS[status][1])}</span>")
        if lacking.count(provider):
            lines.append(f"{lacking.count(provider)} probed: does not implement")
        cards.append(f'<div class="{css}">' + "<br>".join(lines) + "</div>")
    return '<div class="summary">' + "".join(cards) + "</div>" if cards else ""


def _legend() -> str:
    words = {**{s: (v[0], v[1]) for s, v in LABELS.items()}, "not_claimed": ("not declared", "")}
    items = "".join(
        f"<span>{SYMBOLS[status]} <b>{escape(short)}</b>{': ' + escape(long) if long else ''}"
        "</span>"
        for status, (short, long) in words.items()
        if status != "fail"  # contract suites only: their own section says it
    )
    return f'<div class="legend">{items}</div>'


def _table(matrix: Matrix) -> str:
    columns = matrix.interface_providers()
    if not columns:
        return "<h2>Interfaces</h2><p>No provider declares an interface.</p>"
    in_play = set(matrix.rows_in_play())
    real = set(real_summary(matrix).passing)
    quiet = len(matrix.interfaces) - len(in_play)
    rows = []
    previous = ""
    for index, row in enumerate(matrix.interfaces):
        family = family_of(row)
        first = family != previous
        css = ' class="family-start"' if first and index else ""
        previous = family
        hidden = "" if row in in_play else " data-quiet hidden"
        gap = (
            ' <span class="gap" title="no real backend passes it">no real backend</span>'
            if row in in_play and row not in real
            else ""
        )
        cells = "".join(_td(matrix.cell(p, row), p in matrix.references) for p in columns)
        rows.append(
            f'<tr id="row-{escape(row)}" data-index="{index}"{css}{hidden}>'
            f'<td class="family" data-sort="{index:03d}" data-family="{escape(family)}">'
            f"{escape(family) if first else ''}</td>"
            f'<td class="iface" data-sort="{escape(row)}">{escape(row)}{gap}</td>{cells}</tr>'
        )
    toggle = (
        f'<label><input type="checkbox" id="show-quiet"> show the {quiet} interfaces no'
        " provider declares</label> &middot; "
        if quiet
        else ""
    )
    head = "".join(_th(matrix, p) for p in columns)
    return (
        f'<h2>Interfaces</h2><p class="controls">{toggle}click a column header to sort</p>'
        '<table class="matrix"><thead><tr><th scope=col class="left">family</th>'
        f'<th scope=col class="left">interface</th>{head}</tr></thead><tbody>'
        + "\n".join(rows)
        + "</tbody></table>"
        + _legend()
    )


def _th(matrix: Matrix, provider: str) -> str:
    claimed = [r for r in matrix.interfaces if matrix.cell(provider, r).claimed]
    holding = sum(matrix.cell(provider, r).status == "pass" for r in claimed)
    reference = provider in matrix.references
    note = f"{holding}/{len(claimed)}" + (" &middot; reference" if reference else "")
    css = ' class="ref"' if reference else ""
    return f"<th scope=col{css}>{escape(provider)}<small>{note}</small></th>"


def _td(cell: Cell, reference: bool = False) -> str:
    symbol = SYMBOLS[cell.status]
    text = symbol if cell.status == "not_claimed" else f"{symbol} {escape(cell.label)}"
    if _has_section(cell):
        text = f'<a href="#{escape(cell.anchor)}">{text}</a>'
    title = escape(
        LABELS[cell.status][1] + (f": {cell.expected_reason}" if cell.expected_reason else "")
    )
    counts = f"{cell.passed} passed, {cell.failed} failed, {cell.xfailed} xfailed"
    ref = " ref" if reference else ""
    return (
        f'<td class="cell s-{cell.status}{ref}" data-sort="{_RANK[cell.status]}" '
        f'title="{title} ({counts})">{text}</td>'
    )


def _contracts(matrix: Matrix) -> str:
    """Contract suites: every provider that has one; those without interfaces appear only here."""
    providers = matrix.contract_providers()
    if not providers:
        return ""
    only = set(matrix.contract_only())
    rows = []
    for provider in providers:
        cell = matrix.cell(provider, CONTRACT_ROW)
        status = f"{SYMBOLS[cell.status]} {escape(LABELS[cell.status][0])}"
        if _has_section(cell):
            status = f'<a href="#{escape(cell.anchor)}">{status}</a>'
        interfaces = "contract only" if provider in only else "also in the matrix above"
        rows.append(
            f"<tr><td><code>{escape(provider)}</code></td><td>{escape(cell.suite)}</td>"
            f'<td class="s-{cell.status}">{status}</td><td>{cell.passed}</td>'
            f"<td>{cell.failed}</td><td>{interfaces}</td></tr>"
        )
    passing = sum(matrix.cell(p, CONTRACT_ROW).status == "pass" for p in providers)
    return (
        f"<h2>Contract suites</h2><p>{passing} of {len(providers)} pass. Providers without"
        " interfaces are listed here only, not as matrix columns.</p>"
        '<table class="plain"><thead><tr><th>provider</th><th>contract</th><th>result</th>'
        "<th>passed</th><th>failed</th><th>interfaces</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
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
        what = cell.row if cell.row != CONTRACT_ROW else f"contract {cell.suite}"
        sections.append(
            f'<section id="{escape(cell.anchor)}"><h3>{escape(cell.provider)} &middot; '
            f"{escape(what)} &mdash; {escape(LABELS[cell.status][1])}</h3>{reason}"
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
