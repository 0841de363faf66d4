"""Stored baselines: ``--save-baseline PATH`` writes one, ``--baseline PATH`` compares to it.

A baseline holds each measured metric's value and interval with the machine class it came
from. Only a run on the same machine class is compared (a laptop's figures say nothing about
a CI runner's). A regression is a change that stays outside the noise: the current interval
lies wholly beyond the baseline's, widened by the configured tolerance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omnicloud.errors import ConfigError, ResultsError

KIND = "omnicloud-slo-baseline"


def baseline_of(report: Mapping[str, Any]) -> dict[str, Any]:
    metrics: dict[str, dict[str, Any]] = {}
    for record in report["records"]:
        key = f"{record['provider']}/{record['interface']}"
        metrics[key] = {
            m["metric"]: {k: m[k] for k in ("measured", "low", "high", "unit")}
            for m in record["metrics"]
            if m["metric"] != "errors"
        }
    return {"kind": KIND, "version": 1, "machine": report["machine"], "metrics": metrics}


def save_baseline(path: Path, report: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline_of(report), indent=2) + "\n", encoding="utf-8")


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--baseline {path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:  # binary, not JSON, or nested past parsing
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise ResultsError(f"--baseline {path}: not JSON ({reason})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ResultsError(
            f"--baseline {path}: not an SLO baseline (kind {KIND!r})",
            hint="write one with 'omnicloud slo --save-baseline PATH'",
        )
    return data


#: Latency changes smaller than this are scheduling noise whatever their ratio (a 20 us p50
#: doubling to 40 us on a shared runner is not a regression anyone should chase).
MIN_LATENCY_CHANGE = 0.0005


def _regressed(metric: str, now: Mapping[str, Any], then: Mapping[str, Any], tol: float) -> bool:
    if metric == "throughput":
        return bool(now["high"] < then["low"] * (1 - tol))
    limit = max(then["high"] * (1 + tol), then["high"] + MIN_LATENCY_CHANGE)
    return bool(now["low"] > limit)


def compare(
    report: Mapping[str, Any], baseline: Mapping[str, Any], tolerance: float
) -> dict[str, Any]:
    """``{"comparable", "reason", "changes": [...]}``; each change says whether it regressed."""
    here, there = report["machine"]["class"], baseline["machine"]["class"]
    if here != there:
        return {
            "comparable": False,
            "reason": f"baseline machine class '{there}' differs from this one ('{here}')",
            "changes": [],
        }
    changes = []
    current = baseline_of(report)["metrics"]
    for key, metrics in current.items():
        for metric, now in metrics.items():
            then = baseline["metrics"].get(key, {}).get(metric)
            if then is None:
                continue
            changes.append(
                {
                    "target": key,
                    "metric": metric,
                    "baseline": then["measured"],
                    "current": now["measured"],
                    "change": now["measured"] / then["measured"] - 1 if then["measured"] else 0,
                    "regression": _regressed(metric, now, then, tolerance),
                }
            )
    return {"comparable": True, "reason": "", "changes": changes}


def regressions(comparison: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    return [c for c in comparison.get("changes", []) if c["regression"]]
