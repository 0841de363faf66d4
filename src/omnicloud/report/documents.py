"""``report.json`` and ``report.md``: the run's results for machines and for people.

Suites that ``--probe`` ran (``meta["probes"]``: ``provider:suite`` of interfaces a provider does
not declare) are no verdict: their rows say "could declare" or "does not implement", and their
failures are not violations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from omnicloud.redaction import redact
from omnicloud.report.verdicts import untested_targets
from omnicloud.results import Results
from omnicloud.results.model import verdict as suite_verdict


def report_data(results: Results, meta: Mapping[str, Any]) -> dict[str, Any]:
    summary = results.summary()
    probes = set(meta.get("probes") or ())
    untested = untested_targets(results, meta.get("triage") or {})
    return {
        "meta": dict(meta),
        "summary": asdict(summary) | {"total": summary.total},
        "targets": [
            {"provider": p, "suite": s, **asdict(v)}
            | ({"probe": True} if f"{p}:{s}" in probes else {})
            | ({"untested": True} if (p, s) in untested else {})
            for (p, s), v in sorted(results.by_target().items())
        ],
        "violations": [
            {
                "provider": t.provider,
                "suite": t.suite,
                "test": t.name,
                "id": t.test_id,
                "node_id": t.pytest_id,
                "outcome": t.outcome,
                "message": t.message,
            }
            for t in results.failures
            if f"{t.provider}:{t.suite}" not in probes
        ],
    }


def render_markdown(data: Mapping[str, Any]) -> str:
    s = data["summary"]
    lines = [
        f"# Certification report: {data['meta'].get('project', '')}",
        "",
        f"{s['passed']} passed, {s['failed']} failed, {s['errors']} errors,"
        f" {s['skipped']} skipped in {s['time']:.2f}s",
        "",
        "| provider | suite | passed | failed | errors | skipped | time | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    incomplete = data["meta"].get("status") == "INCOMPLETE"
    unfinished = set(data["meta"].get("unfinished_targets") or ())
    if incomplete:
        lines[1:1] = ["", f"**INCOMPLETE**: {data['meta'].get('incomplete_reason', '')}"]
    for t in data["targets"]:
        verdict = suite_verdict(t["failed"], t["errors"], t.get("expected", 0))
        verdict = f"**{verdict}**" if verdict in ("VIOLATION", "ERROR") else verdict
        if t.get("untested"):  # every failure was infrastructure or setup: not tested
            verdict = "**ERROR** (not tested: infrastructure or setup)"
        if t.get("probe"):  # not declared: a finding, never a verdict
            verdict = _probe_finding(t)
        if f"{t['provider']}:{t['suite']}" in unfinished and verdict == "compliant":
            verdict = "**INCOMPLETE**"
        lines.append(
            f"| {t['provider']} | {t['suite']} | {t['passed']} | {t['failed']} |"
            f" {t['errors']} | {t['skipped']} | {t['time']:.2f}s | {verdict} |"
        )
    for name, reason in sorted((data["meta"].get("sat_out") or {}).items()):
        lines.append(f"| {name} | - | | | | | | sat out: {reason} |")
    datasets = data["meta"].get("datasets") or {}
    if datasets:
        lines += ["", "Datasets: " + ", ".join(f"`{n}` {fp}" for n, fp in datasets.items())]
    if data["violations"]:
        lines += ["", "## Violated tests", ""]
        triaged = data["meta"].get("triage") or {}
        for v in data["violations"]:
            first = (v["message"] or "").splitlines()[0] if v["message"] else ""
            found = triaged.get(v["id"]) or {}
            routed = (
                f" [{found.get('category')}; owners: {', '.join(found.get('owners') or [])}]"
                if found
                else ""
            )
            lines.append(
                f"- `{v.get('node_id') or v['id']}` ({v['outcome']}){routed}"
                f"{': ' + first if first else ''}"
            )
    return "\n".join(lines) + "\n"


def _probe_finding(target: Mapping[str, Any]) -> str:
    if target["failed"] + target["errors"]:
        return "does not implement (probe)"
    return "could declare (probe)" if target["passed"] else "probe: no test ran"


def write_documents(
    results: Results, meta: Mapping[str, Any], folder: Path, secrets: list[str]
) -> dict[str, Path]:
    data = report_data(results, meta)
    paths = {"json": folder / "report.json", "markdown": folder / "report.md"}
    _write(paths["json"], redact(json.dumps(data, indent=2), secrets))
    _write(paths["markdown"], redact(render_markdown(data), secrets))
    return paths


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
