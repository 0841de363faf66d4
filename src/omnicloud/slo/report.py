"""The SLO report: one JSON document per run (``slo.json``) and its terminal summary."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from omnicloud.slo.units import format_latency, format_rate

KIND = "omnicloud-slo"
FILE = "slo.json"
MARKS = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}


def build_report(
    records: Sequence[dict[str, Any]],
    *,
    machine: Mapping[str, Any],
    settings: Mapping[str, Any],
    meta: Mapping[str, Any],
    skipped: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "kind": KIND,
        "version": 1,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **meta,
        "machine": dict(machine),
        "settings": dict(settings),
        "records": list(records),
        "skipped": dict(skipped),
    }


def _value(metric: Mapping[str, Any], key: str) -> str:
    value = float(metric[key])
    return format_rate(value) if metric["unit"] == "ops/s" else format_latency(value)


def _metric_line(metric: Mapping[str, Any]) -> str:
    if metric["unit"] == "ratio":
        return f"    errors: {metric['reason']}  -> {MARKS[metric['outcome']]}"
    sign = ">=" if metric["metric"] == "throughput" else "<="
    return (
        f"    {metric['metric']}: {_value(metric, 'measured')}"
        f" [{_value(metric, 'low')} .. {_value(metric, 'high')}]"
        f" target {sign} {_value(metric, 'target')}  -> {MARKS[metric['outcome']]}"
        f" ({metric['reason']})"
    )


def render_lines(report: Mapping[str, Any]) -> list[str]:
    """Per provider and interface: the outcome, each metric with its interval and target."""
    machine = report["machine"]
    lines = [
        f"SLO on {machine['class']} (load {', '.join(map(str, machine['load_average']))}),"
        f" {report['settings']['trials']} trials of {report['settings']['duration']}s,"
        f" {int(report['settings']['confidence'] * 100)}% intervals"
    ]
    for record in report["records"]:
        overhead = record.get("runner_overhead", {})
        share = overhead.get("share_of_median")
        cost = (
            f"  runner {overhead['per_operation_ns'] / 1000:.1f}us/op = {share:.3%} of the median"
            if share is not None
            else ""
        )
        lines.append(
            f"  {MARKS[record['outcome']]:<12} {record['provider']} / {record['interface']}"
            f"  ({record['slo']['source']}){cost}"
        )
        lines.extend(_metric_line(m) for m in record["metrics"])
        if record.get("error"):
            lines.append(f"    could not be measured: {record['error']}")
    for name, reason in report.get("skipped", {}).items():
        lines.append(f"  skipped      {name}: {reason}")
    if report.get("note"):
        lines.append(f"  note: {report['note']}")
    return lines


def headline(report: Mapping[str, Any]) -> str:
    outcomes = [r["outcome"] for r in report["records"]]
    counts = {k: outcomes.count(k) for k in ("pass", "fail", "inconclusive", "error")}
    errors = f", {counts['error']} could not be measured" if counts["error"] else ""
    return (
        f"SLO: {counts['pass']} pass, {counts['fail']} fail, {counts['inconclusive']}"
        f" inconclusive{errors} of {len(outcomes)} provider x interface measurements"
    )
