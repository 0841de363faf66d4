"""Orchestration overhead: ``nox -s certify-kv`` (reused environment) against the same tests
run by raw ``pytest`` in the same environment, side by side; also with xdist workers.

    python bench/overhead.py [--repeat 5] [--workers 2]

Prints the median wall time of each and the ratio (target <= 1.02, seed < 1.05).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(
            f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout[-2000:]}"
            f"\n{result.stderr[-2000:]}"
        )
    return elapsed


def session_python() -> str:
    for name in ("bin/python", "Scripts/python.exe"):
        candidate = ROOT / ".nox" / "certify-kv" / name
        if candidate.exists():
            return str(candidate)
    sys.exit("run 'nox -s certify-kv' once first so the session environment exists")


def compare(label: str, ours: list[str], raw: list[str], repeat: int) -> float:
    timed(ours)  # warm caches (bytecode, filesystem) for both sides alike
    timed(raw)
    ours_times, raw_times = [], []
    for _ in range(repeat):  # interleaved so machine load affects both sides alike
        ours_times.append(timed(ours))
        raw_times.append(timed(raw))
    ours_median, raw_median = statistics.median(ours_times), statistics.median(raw_times)
    ratio = ours_median / raw_median
    print(
        f"{label:28} omnicloud {ours_median:7.3f}s   raw pytest {raw_median:7.3f}s"
        f"   ratio {ratio:5.3f}   overhead {ours_median - raw_median:+.3f}s"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    subprocess.run(["nox", "-s", "certify-kv"], cwd=ROOT, check=True, capture_output=True)
    python = session_python()
    raw = [
        python,
        "-m",
        "pytest",
        "omnicloud.toml",
        "--omnicloud-contract=kv_store",
        "-q",
        "-p",
        "no:cacheprovider",
        "--junitxml=omnicloud-results/raw-junit.xml",
    ]
    compare("certify-kv", ["nox", "-s", "certify-kv"], raw, args.repeat)
    n = str(args.workers)
    compare(
        f"certify-kv -n {n}",
        ["nox", "-s", "certify-kv", "--", "-n", n],
        [*raw, "-n", n],
        args.repeat,
    )
    compare(
        "omnicloud certify (no nox)",
        [python, "-m", "omnicloud", "certify", "--contract", "kv"],
        raw,
        args.repeat,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
