"""The fault report: ``faults.json`` and its terminal summary."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

KIND = "omnicloud-faults"
FILE = "faults.json"
MARKS = {"pass": "PASS", "fail": "FAIL", "n/a": "n/a", "error": "ERROR"}
SERVICE_FAULTS = {
    "process": "yes (SIGKILL + restart on the same data dir; SIGSTOP/SIGCONT)",
    "docker": "yes (docker kill + start of the same container; docker pause/unpause)",
}


def injectable(provisioner: str) -> dict[str, str]:
    """What this environment can inject, for the report and the docs."""
    service = SERVICE_FAULTS.get(
        provisioner, f"no: the '{provisioner}' provisioner is not driven for crash/hang faults"
    )
    return {"network": "yes (fault proxy between provider and service)", "service": service}


def build_report(
    records: Sequence[dict[str, Any]],
    *,
    meta: Mapping[str, Any],
    skipped: Mapping[str, str],
    provisioner: str,
) -> dict[str, Any]:
    return {
        "kind": KIND,
        "version": 1,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **meta,
        "injectable": injectable(provisioner),
        "records": list(records),
        "skipped": dict(skipped),
    }


def render_lines(report: Mapping[str, Any]) -> list[str]:
    lines = []
    for record in report["records"]:
        ops = record["operations"]
        lines.append(
            f"  {MARKS[record['outcome']]:<5} {record['provider']} / {record['profile']}"
            f" ({record['summary']}): {ops['ok']} ok, {ops['fail']} failed, {ops['hung']} hung"
        )
        lines.extend(
            f"      {MARKS[c['outcome']]:<5} {c['invariant']}: {c['detail']}"
            for c in record["checks"]
        )
        if record.get("error"):
            lines.append(f"      the fault could not be run: {record['error']}")
    for name, reason in {**report.get("skipped", {}), **report.get("not_run", {})}.items():
        lines.append(f"  not run {name}: {reason}")
    return lines


def headline(report: Mapping[str, Any]) -> str:
    outcomes = [r["outcome"] for r in report["records"]]
    providers = len({r["provider"] for r in report["records"]})
    return (
        f"Faults: {outcomes.count('pass')} pass, {outcomes.count('fail')} fail,"
        f" {outcomes.count('error')} could not run, of"
        f" {len(outcomes)} provider x fault runs across {providers} providers"
    )
