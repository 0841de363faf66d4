"""SLO and fault verdicts as records beside the correctness matrix and in certificates.

``omnicloud slo`` and ``omnicloud faults`` write ``slo.json`` and ``faults.json`` into the
results folder; ``load_verdicts`` reads whichever exist, and the matrix (JSON, Markdown, HTML)
and each provider's certificate show them in their own section, with the run that made them
and the file's SHA-256, so a reader can tell which measurement a badge stands for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

FILES = {"slo": "slo.json", "faults": "faults.json"}
BADGES = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}


def load_verdicts(folder: Path) -> dict[str, Any]:
    """``{"slo": report, "faults": report}`` for the reports present (unreadable ones are
    reported as such, never silently dropped)."""
    found: dict[str, Any] = {}
    for kind, name in FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            report = json.loads(data)
        except json.JSONDecodeError as exc:
            report = {"error": f"{path}: not JSON ({exc})", "records": []}
        report["file"] = {"name": name, "sha256": hashlib.sha256(data).hexdigest()}
        found[kind] = report
    return found


def _rows(report: Mapping[str, Any], provider: str | None = None) -> list[dict[str, Any]]:
    return [r for r in report.get("records", []) if provider is None or r["provider"] == provider]


def summary(verdicts: Mapping[str, Any], provider: str | None = None) -> dict[str, Any]:
    """Compact, JSON-ready: per record its outcome and the figures behind it."""
    out: dict[str, Any] = {}
    if "slo" in verdicts:
        slo = verdicts["slo"]
        out["slo"] = {
            "file": slo.get("file"),
            "run_id": slo.get("run_id"),
            "machine": slo.get("machine", {}).get("class"),
            "records": [
                {
                    "provider": r["provider"],
                    "interface": r["interface"],
                    "outcome": r["outcome"],
                    "profile": r["slo"]["source"],
                    "metrics": [
                        {
                            k: m[k]
                            for k in ("metric", "target", "measured", "low", "high", "outcome")
                        }
                        for m in r["metrics"]
                    ],
                }
                for r in _rows(slo, provider)
            ],
        }
    if "faults" in verdicts:
        faults = verdicts["faults"]
        out["faults"] = {
            "file": faults.get("file"),
            "run_id": faults.get("run_id"),
            "records": [
                {
                    "provider": r["provider"],
                    "profile": r["profile"],
                    "outcome": r["outcome"],
                    "checks": {c["invariant"]: c["outcome"] for c in r["checks"]},
                }
                for r in _rows(faults, provider)
            ],
        }
    return out


def _slo_cell(record: Mapping[str, Any]) -> str:
    parts = [
        f"{m['metric']} {_figure(m['measured'], m.get('unit', 's'))}" for m in record["metrics"]
    ]
    return f"{BADGES[record['outcome']]} ({', '.join(parts)})"


def _figure(value: float, unit: str) -> str:
    from omnicloud.slo.units import format_latency, format_rate

    if unit == "ops/s":
        return format_rate(value)
    if unit == "ratio":
        return f"{value:.1%}"
    return format_latency(value)


def markdown(verdicts: Mapping[str, Any]) -> list[str]:
    """The Markdown section (nothing when neither report exists)."""
    lines: list[str] = []
    if _rows(verdicts.get("slo", {})):
        slo = verdicts["slo"]
        lines += [
            f"### Performance (SLO) — run {slo.get('run_id', '?')} on"
            f" {slo.get('machine', {}).get('class', '?')}",
            "",
            "| provider | interface | verdict (measured) |",
            "|---|---|---|",
        ]
        lines += [f"| {r['provider']} | {r['interface']} | {_slo_cell(r)} |" for r in _rows(slo)]
        lines.append("")
    if _rows(verdicts.get("faults", {})):
        faults = verdicts["faults"]
        lines += [
            f"### Under faults — run {faults.get('run_id', '?')}",
            "",
            "| provider | fault | verdict | invariants |",
            "|---|---|---|---|",
        ]
        for r in _rows(faults):
            checks = "; ".join(f"{c['invariant']}: {c['outcome']}" for c in r["checks"])
            lines.append(
                f"| {r['provider']} | {r['profile']} | {BADGES[r['outcome']]} |"
                f" {checks or r.get('error', '')} |"
            )
        lines.append("")
    return lines


def html(verdicts: Mapping[str, Any]) -> str:
    """The HTML section: one table per report, outcome badges with the figures behind them."""
    parts = []
    if _rows(verdicts.get("slo", {})):
        rows = "".join(
            f"<tr><td>{escape(r['provider'])}</td><td>{escape(r['interface'])}</td>"
            f'<td class="v-{escape(r["outcome"])}">{escape(_slo_cell(r))}</td></tr>'
            for r in _rows(verdicts["slo"])
        )
        parts.append(
            "<section><h2>Performance (SLO)</h2><table><tr><th>provider</th><th>interface</th>"
            f"<th>verdict (measured)</th></tr>{rows}</table></section>"
        )
    if _rows(verdicts.get("faults", {})):
        rows = "".join(
            f"<tr><td>{escape(r['provider'])}</td><td>{escape(r['profile'])}</td>"
            f'<td class="v-{escape(r["outcome"])}">{BADGES[r["outcome"]]}</td><td>'
            + escape("; ".join(f"{c['invariant']}: {c['outcome']}" for c in r["checks"]))
            + "</td></tr>"
            for r in _rows(verdicts["faults"])
        )
        parts.append(
            "<section><h2>Under faults</h2><table><tr><th>provider</th><th>fault</th>"
            f"<th>verdict</th><th>invariants</th></tr>{rows}</table></section>"
        )
    return "\n".join(parts)
