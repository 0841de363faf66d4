"""``omnicloud slo`` as a subprocess: an inconclusive verdict has its own exit code (7), is
never reported as pass, and ``--allow-inconclusive`` turns it into 0 while still printing it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# 2 trials of 150 ms at 200 arrivals/s give a few dozen latencies: far too few to estimate a
# p99.9 (10,000 needed) and none above 10 s, so its verdict is inconclusive on any machine.
CONFIG = """
[project]
results_dir = "results"
[slo]
trials = 2
duration = "150ms"
warmup = "20ms"
[slo.profiles.undecidable]
"p99.9" = "10s"
rate = "200/s"
concurrency = 2
[slo.profiles.missed]
p50 = "1ns"
rate = "200/s"
concurrency = 2
[providers.memstore]
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic"]
slo = "{profile}"
"""


def _slo(tmp_path: Path, profile: str, *extra: str) -> tuple[int, str, dict[str, object]]:
    path = tmp_path / "omnicloud.toml"
    path.write_text(CONFIG.replace("{profile}", profile), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud", "slo", "--config", str(path), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    (record,) = json.loads((tmp_path / "results" / "slo.json").read_text())["records"]
    return done.returncode, done.stdout + done.stderr, record


def test_an_inconclusive_verdict_exits_seven_and_is_never_a_pass(tmp_path: Path) -> None:
    code, out, record = _slo(tmp_path, "undecidable")
    assert code == 7, out
    assert record["outcome"] == "inconclusive"
    assert "INCONCLUSIVE memstore / keyvalue_basic" in out
    assert "too few samples: p99.9 needs at least 10000" in out
    assert "SLO: 0 pass, 0 fail, 1 inconclusive" in out
    assert "exit 7" in out


def test_allow_inconclusive_exits_zero_and_still_prints_inconclusive(tmp_path: Path) -> None:
    code, out, record = _slo(tmp_path, "undecidable", "--allow-inconclusive")
    assert code == 0, out
    assert record["outcome"] == "inconclusive"
    assert "INCONCLUSIVE memstore / keyvalue_basic" in out
    assert "0 pass" in out
    assert "not a pass" in out


@pytest.mark.parametrize("extra", [(), ("--allow-inconclusive",)])
def test_a_missed_target_exits_one_whatever_inconclusive_allows(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    code, out, record = _slo(tmp_path, "missed", *extra)
    assert code == 1, out
    assert record["outcome"] == "fail"
