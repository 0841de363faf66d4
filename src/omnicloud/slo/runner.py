"""Measure one provider's interface against its SLO and turn the trials into a record.

``measure`` drives the trials (one warm-up, then open- and closed-loop trials interleaved so
that drift on the machine affects both alike); ``evaluate`` is the pure step from trials to
verdicts, and ``record`` the JSON kept in the results folder, the matrix and certificates.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from omnicloud.adapters.runtime import close_quietly
from omnicloud.slo.measure import Trial, closed_loop, new_histogram, open_loop, prepare
from omnicloud.slo.profiles import ResolvedSlo
from omnicloud.slo.verdict import (
    MetricVerdict,
    error_verdict,
    latency_verdict,
    overall,
    throughput_verdict,
)
from omnicloud.slo.workloads import WORKLOADS

SCHEDULE = 20_000  # operations in the cycled schedule (more than a short trial issues)


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure (``[slo]``, scaled up by ``--full``)."""

    trials: int = 3
    duration: float = 0.5
    warmup: float = 0.3
    confidence: float = 0.95


@dataclass
class Measurement:
    slo: ResolvedSlo
    open_trials: list[Trial]
    closed_trials: list[Trial]
    runner_cost_ns: float = 0.0


async def measure(
    create: Callable[[], Awaitable[Any]],
    slo: ResolvedSlo,
    settings: Settings,
    *,
    runner_cost_ns: float = 0.0,
) -> Measurement:
    """Open a fresh provider (its own isolated key space), prepare data, warm up, measure."""
    workload = WORKLOADS[slo.interface]
    value = workload.value(slo.payload)
    schedule = workload.schedule(SCHEDULE)
    store = await create()
    result = Measurement(slo, [], [], runner_cost_ns)
    try:
        await prepare(store, workload, value)
        await closed_loop(
            store, schedule, value, concurrency=slo.concurrency, duration=0, warmup=settings.warmup
        )
        for _ in range(settings.trials):
            if slo.latency_targets():
                result.open_trials.append(
                    await open_loop(
                        store,
                        schedule,
                        value,
                        rate=slo.rate,
                        duration=settings.duration,
                        warmup=0.0,
                        workers=slo.concurrency,
                    )
                )
            if slo.throughput is not None:
                result.closed_trials.append(
                    await closed_loop(
                        store,
                        schedule,
                        value,
                        concurrency=slo.concurrency,
                        duration=settings.duration,
                        warmup=0.0,
                    )
                )
    finally:
        await close_quietly(store)
    return result


def _seconds(histogram: Any) -> Callable[[float], float]:
    return lambda percentile: float(histogram.get_value_at_percentile(percentile)) / 1e6


def _exceeding(trials: Sequence[Trial], seconds: float) -> int:
    limit = seconds * 1e9
    return sum(1 for trial in trials for value in trial.latencies_ns if value > limit)


def evaluate(measurement: Measurement, confidence: float) -> list[MetricVerdict]:
    """Every target of the SLO checked against the trials (pure)."""
    slo = measurement.slo
    verdicts: list[MetricVerdict] = []
    if measurement.open_trials:
        pooled = new_histogram()
        per_trial = [t.histogram() for t in measurement.open_trials]
        for hist in per_trial:
            pooled.add(hist)
        for metric, quantile, target in slo.latency_targets():
            verdicts.append(
                latency_verdict(
                    metric,
                    quantile,
                    target,
                    pooled=_seconds(pooled),
                    count=pooled.get_total_count(),
                    per_trial=[_seconds(h)(quantile * 100) for h in per_trial],
                    confidence=confidence,
                    exceeding=_exceeding(measurement.open_trials, target),
                )
            )
    if slo.throughput is not None:
        samples = sum(t.count for t in measurement.closed_trials)
        verdicts.append(
            throughput_verdict(
                slo.throughput,
                [t.throughput for t in measurement.closed_trials],
                confidence=confidence,
                samples=samples,
            )
        )
    trials = [*measurement.open_trials, *measurement.closed_trials]
    errors = error_verdict(
        sum(t.errors for t in trials), sum(t.count + t.errors for t in trials), confidence
    )
    return [*verdicts, *([errors] if errors else [])]


def _summary(trials: Sequence[Trial]) -> dict[str, Any]:
    pooled = new_histogram()
    rows = []
    for trial in trials:
        hist = trial.histogram()
        pooled.add(hist)
        rows.append(
            {
                "count": trial.count,
                "errors": trial.errors,
                "behind": trial.behind,
                "abandoned": trial.abandoned,
                "elapsed": round(trial.elapsed, 4),
                "throughput": round(trial.throughput, 1),
                **{m: _seconds(hist)(q * 100) for m, q in (("p50", 0.5), ("p99", 0.99))},
            }
        )
    encoded = pooled.encode()
    return {
        "trials": rows,
        "count": pooled.get_total_count(),
        "p50": _seconds(pooled)(50),
        "p99": _seconds(pooled)(99),
        "p99.9": _seconds(pooled)(99.9),
        "max": pooled.get_max_value() / 1e6,
        # the pooled HDR histogram (compressed, base64), readable by any HdrHistogram library
        "histogram": encoded.decode() if isinstance(encoded, bytes) else base64.b64encode(encoded),
    }


def record(measurement: Measurement, confidence: float) -> dict[str, Any]:
    """The JSON record of one measurement: targets, verdicts, trials and histograms."""
    slo = measurement.slo
    metrics = evaluate(measurement, confidence)
    data: dict[str, Any] = {
        "provider": slo.provider,
        "interface": slo.interface,
        "outcome": overall([m.outcome for m in metrics]),
        "slo": slo.to_json(),
        "metrics": [m.to_json() for m in metrics],
    }
    if measurement.open_trials:
        data["open_loop"] = {"rate": slo.rate, "workers": slo.concurrency}
        data["open_loop"].update(_summary(measurement.open_trials))
    if measurement.closed_trials:
        data["closed_loop"] = {"concurrency": slo.concurrency}
        data["closed_loop"].update(_summary(measurement.closed_trials))
    p50 = data.get("open_loop", data.get("closed_loop", {})).get("p50") or 0.0
    data["runner_overhead"] = {
        "per_operation_ns": round(measurement.runner_cost_ns, 1),
        "share_of_median": round(measurement.runner_cost_ns / (p50 * 1e9), 4) if p50 else None,
    }
    return data


def error_record(slo: ResolvedSlo, exc: BaseException) -> dict[str, Any]:
    """A provider that could not be measured (it failed to open, or raised throughout)."""
    return {
        "provider": slo.provider,
        "interface": slo.interface,
        "outcome": "error",
        "slo": slo.to_json(),
        "metrics": [],
        "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500],
    }
