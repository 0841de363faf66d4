"""Verdict logic on controlled numbers: pass, fail, inconclusive, never a lie; baselines."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from omnicloud.config.models import Config
from omnicloud.slo.baseline import compare, regressions
from omnicloud.slo.measure import Trial
from omnicloud.slo.profiles import resolve_slo
from omnicloud.slo.runner import Measurement, Settings, evaluate, measure, record
from omnicloud.slo.verdict import latency_verdict, overall, throughput_verdict

MS = 1_000_000


def trial(latencies_ms: list[float], mode: str = "open", elapsed: float = 1.0) -> Trial:
    t = Trial("open" if mode == "open" else "closed", elapsed=elapsed)
    t.latencies_ns.extend(int(v * MS) for v in latencies_ms)
    return t


def config(slo: str) -> Config:
    return Config.model_validate(
        {
            "providers": {
                "kv": {
                    "factory": "omnicloud.providers.memory.memstore:MemStore",
                    "implements": ["keyvalue_basic"],
                    "slo": {"keyvalue_basic": slo_table(slo)},
                }
            }
        }
    )


def slo_table(text: str) -> dict[str, Any]:
    return dict(part.split("=") for part in text.split(","))


def test_every_sample_well_under_target_passes() -> None:
    slo = resolve_slo(config("p99=5ms"), "kv", "keyvalue_basic")
    trials = [trial([0.5 + (i % 10) * 0.05 for i in range(2000)]) for _ in range(3)]
    (verdict,) = evaluate(Measurement(slo, trials, []), 0.95)
    assert verdict.outcome == "pass"
    assert verdict.high <= 0.005


def test_a_slow_tail_fails_even_with_too_few_samples_to_estimate_the_percentile() -> None:
    slo = resolve_slo(config("p99=5ms"), "kv", "keyvalue_basic")
    (verdict,) = evaluate(Measurement(slo, [trial([20.0] * 100)], []), 0.95)
    assert verdict.outcome == "fail"
    assert "100 of 100 samples exceed the target" in verdict.reason
    assert "enough to miss it" in verdict.reason


def test_too_few_samples_is_inconclusive_not_pass() -> None:
    slo = resolve_slo(config("p99=5ms"), "kv", "keyvalue_basic")
    (verdict,) = evaluate(Measurement(slo, [trial([0.1] * 300)], []), 0.95)
    assert verdict.outcome == "inconclusive"
    assert "too few samples: p99 needs at least 1000, got 300" in verdict.reason


def test_trials_that_disagree_widely_are_inconclusive() -> None:
    # a quiet trial (p99 1 ms) and a noisy one (9 ms): the interval over trials straddles 5 ms
    verdict = latency_verdict(
        "p99", 0.99, 0.005, pooled=lambda p: 0.004, count=4000,
        per_trial=[0.001, 0.009], confidence=0.95,
    )  # fmt: skip
    assert verdict.outcome == "inconclusive"
    assert (verdict.low, verdict.high) == (0.001, 0.009)


def test_throughput_needs_two_trials_and_an_interval_clear_of_the_target() -> None:
    assert throughput_verdict(1000, [5000], confidence=0.95, samples=1).outcome == "inconclusive"
    assert throughput_verdict(1000, [5000, 5100], confidence=0.95, samples=2).outcome == "pass"
    assert throughput_verdict(1000, [500, 510, 490], confidence=0.95, samples=3).outcome == "fail"
    assert throughput_verdict(1000, [400, 1600], confidence=0.95, samples=2).outcome == (
        "inconclusive"
    )


def test_the_overall_outcome_is_never_pass_with_an_inconclusive_metric() -> None:
    assert overall(["pass", "inconclusive"]) == "inconclusive"
    assert overall(["pass", "fail", "inconclusive"]) == "fail"
    assert overall([]) == "inconclusive"
    assert overall(["pass", "pass"]) == "pass"


def test_failed_operations_fail_the_measurement() -> None:
    slo = resolve_slo(config("p99=5ms"), "kv", "keyvalue_basic")
    bad = trial([0.5] * 2000)
    bad.errors = 50
    metrics = evaluate(Measurement(slo, [bad, trial([0.5] * 2000)], []), 0.95)
    assert [m.metric for m in metrics] == ["p99", "errors"]
    assert overall([m.outcome for m in metrics]) == "fail"


class _Sleepy:
    """keyvalue_basic answering every call after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.data: dict[str, str] = {}

    async def set(self, key: str, value: str) -> None:
        await asyncio.sleep(self.delay)
        self.data[key] = value

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(self.delay)
        return self.data.get(key)

    async def exists(self, key: str) -> bool:
        await asyncio.sleep(self.delay)
        return key in self.data

    async def delete(self, key: str) -> None:
        await asyncio.sleep(self.delay)
        self.data.pop(key, None)


@pytest.mark.parametrize("delay", [0.02])
async def test_a_provider_sleeping_20ms_fails_a_5ms_p99(delay: float) -> None:
    slo = resolve_slo(config("p99=5ms,rate=400/s,concurrency=16"), "kv", "keyvalue_basic")

    async def create() -> _Sleepy:
        return _Sleepy(delay)

    measured = await measure(create, slo, Settings(trials=2, duration=0.3, warmup=0.05))
    data = record(measured, 0.95)
    assert data["outcome"] == "fail"
    assert data["open_loop"]["p50"] >= delay
    assert "samples exceed the target" in data["metrics"][0]["reason"]


def _report(cls: str, p99: float, low: float, high: float) -> dict[str, Any]:
    metric = {"metric": "p99", "measured": p99, "low": low, "high": high, "unit": "s"}
    return {
        "machine": {"class": cls},
        "records": [{"provider": "kv", "interface": "keyvalue_basic", "metrics": [metric]}],
    }


def test_a_baseline_flags_only_changes_outside_the_noise() -> None:
    from omnicloud.slo.baseline import baseline_of

    base = baseline_of(_report("2 x cpu", 0.002, 0.0018, 0.0022))
    assert not regressions(compare(_report("2 x cpu", 0.0023, 0.0020, 0.0025), base, 0.1))
    slower = compare(_report("2 x cpu", 0.004, 0.0036, 0.0044), base, 0.1)
    assert [c["metric"] for c in regressions(slower)] == ["p99"]
    other = compare(_report("64 x other", 0.004, 0.0036, 0.0044), base, 0.1)
    assert not other["comparable"]
    assert "differs from this one" in other["reason"]
