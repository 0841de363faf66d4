"""Noise-aware verdicts: pass, fail or inconclusive, each with its interval and confidence.

Pure functions over measured numbers. A latency percentile gets two intervals and keeps the
wider span of both: the order-statistic interval of the pooled samples (how well ``n``
samples pin a percentile down) and a bootstrap interval over the trials' own percentiles (how
much the runs disagree: a noisy machine widens it). A throughput gets the bootstrap interval
of its trials' mean. The verdict is ``pass`` when the whole interval meets the target,
``fail`` when the whole interval misses it, and ``inconclusive`` otherwise, or when there are
too few samples above the percentile to say anything about it. Inconclusive is never pass.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist, fmean
from typing import Any, Literal

Outcome = Literal["pass", "fail", "inconclusive"]
#: Fewest samples beyond a percentile for it to be estimated at all (p99 needs 1000 samples).
MIN_TAIL_SAMPLES = 10
#: Share of failed operations beyond which a measurement fails whatever its latencies.
MAX_ERROR_RATE = 0.001
RESAMPLES = 2000


@dataclass(frozen=True)
class MetricVerdict:
    """One target checked: ``measured`` with its ``[low, high]`` interval at ``confidence``."""

    metric: str  # p50, p99, p99.9, throughput
    target: float
    measured: float
    low: float
    high: float
    outcome: Outcome
    confidence: float
    samples: int
    reason: str
    unit: str = "s"  # seconds for latencies, operations per second for throughput

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def z_score(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def rank_interval(count: int, quantile: float, confidence: float) -> tuple[float, float]:
    """Percentile ranks (0..100) bounding the ``quantile`` of ``count`` samples (binomial,
    normal approximation): the true percentile lies between the samples at these ranks."""
    spread = z_score(confidence) * math.sqrt(count * quantile * (1 - quantile))
    low = max(0.0, (count * quantile - spread) / count)
    high = min(1.0, (count * quantile + spread + 1) / count)
    return low * 100, high * 100


def bootstrap_mean(
    values: Sequence[float], confidence: float, *, seed: int = 15
) -> tuple[float, float, list[float]]:
    """Percentile bootstrap interval of the mean of ``values``, and the resampled means."""
    rng = random.Random(seed)
    size = len(values)
    means = sorted(fmean(rng.choices(values, k=size)) for _ in range(RESAMPLES))
    tail = (1 - confidence) / 2
    low = means[int(tail * (RESAMPLES - 1))]
    high = means[math.ceil((1 - tail) * (RESAMPLES - 1))]
    return low, high, means


def _decide(
    low: float, high: float, meets: Callable[[float], bool], what: str
) -> tuple[Outcome, str]:
    if meets(low) and meets(high):
        return "pass", f"the whole interval meets the target ({what})"
    if not meets(low) and not meets(high):
        return "fail", f"the whole interval misses the target ({what})"
    return (
        "inconclusive",
        f"the interval straddles the target ({what}): more trials or a quieter machine",
    )


def latency_verdict(
    metric: str,
    quantile: float,
    target: float,
    *,
    pooled: Callable[[float], float],
    count: int,
    per_trial: Sequence[float],
    confidence: float,
    exceeding: int = 0,
) -> MetricVerdict:
    """``pooled(percentile)`` reads the pooled histogram (seconds); ``per_trial`` holds each
    trial's own value of this percentile; ``exceeding`` counts samples above the target.

    Too many samples above the target fail the percentile even when there are too few samples
    to estimate it (a binomial bound: with a p99 within target, at most 1 % of samples exceed
    it, give or take the interval's spread).
    """
    measured = pooled(quantile * 100)
    tail = count * (1 - quantile)
    allowed = tail + z_score(confidence) * math.sqrt(count * quantile * (1 - quantile)) + 1
    too_many = f"{exceeding} of {count} samples exceed the target, at most {allowed:.0f} may"
    if tail < MIN_TAIL_SAMPLES:
        needed = math.ceil(MIN_TAIL_SAMPLES / (1 - quantile))
        if count and exceeding > allowed:
            return MetricVerdict(
                metric, target, measured, measured, measured, "fail", confidence, count,
                f"{too_many} (too few samples to estimate the {metric}, enough to miss it)",
            )  # fmt: skip
        return MetricVerdict(
            metric, target, measured, measured, measured, "inconclusive", confidence, count,
            f"too few samples: {metric} needs at least {needed}, got {count}",
        )  # fmt: skip
    rank_low, rank_high = rank_interval(count, quantile, confidence)
    low, high = pooled(rank_low), pooled(rank_high)
    if len(per_trial) >= 2:
        boot_low, boot_high, _ = bootstrap_mean(per_trial, confidence)
        low, high = min(low, boot_low), max(high, boot_high)
    if exceeding > allowed:
        return MetricVerdict(
            metric, target, measured, low, high, "fail", confidence, count, too_many
        )
    outcome, reason = _decide(low, high, lambda v: v <= target, "lower is better")
    return MetricVerdict(metric, target, measured, low, high, outcome, confidence, count, reason)


def throughput_verdict(
    target: float, per_trial: Sequence[float], *, confidence: float, samples: int
) -> MetricVerdict:
    """Operations per second of each closed-loop trial against ``target``."""
    if len(per_trial) < 2:
        value = per_trial[0] if per_trial else 0.0
        return MetricVerdict(
            "throughput",
            target,
            value,
            value,
            value,
            "inconclusive",
            confidence,
            samples,
            "one trial cannot show its own noise: at least two are needed",
            unit="ops/s",
        )
    low, high, _ = bootstrap_mean(per_trial, confidence)
    outcome, reason = _decide(low, high, lambda v: v >= target, "higher is better")
    return MetricVerdict(
        "throughput",
        target,
        fmean(per_trial),
        low,
        high,
        outcome,
        confidence,
        samples,
        reason,
        unit="ops/s",
    )


def error_verdict(errors: int, total: int, confidence: float) -> MetricVerdict | None:
    """A fail when more than ``MAX_ERROR_RATE`` of the operations failed, else nothing."""
    if total == 0 or errors / total <= MAX_ERROR_RATE:
        return None
    rate = errors / total
    return MetricVerdict(
        "errors",
        MAX_ERROR_RATE,
        rate,
        rate,
        rate,
        "fail",
        confidence,
        total,
        f"{errors} of {total} operations failed",
        unit="ratio",
    )


def overall(outcomes: Sequence[Outcome]) -> Outcome:
    """Any fail fails; otherwise any inconclusive is inconclusive; pass needs every target met
    (and at least one target)."""
    if "fail" in outcomes:
        return "fail"
    if "inconclusive" in outcomes or not outcomes:
        return "inconclusive"
    return "pass"
