"""Shard balance: our partition vs pytest-split's least_duration vs round-robin, side by side.

    python bench/shards.py [--tests 500] [--seeds 20] [--unknown 0.1] [--tck] [--e2e SECONDS]

Balance: for N = 2, 4, 8 shards, each algorithm partitions the same suite knowing only the
recorded durations (``--unknown`` of the tests have none and are estimated: the median for ours,
the mean for pytest-split, nothing for round-robin). Each shard is then charged the tests' *true*
durations; efficiency = ideal / slowest shard, where ideal = max(total / N, longest test). 1.0
is a perfect split. Suites: log-normal durations (sigma 1.0 and 1.5, ``--seeds`` suites each);
with ``--tck``, the real TCK run on this repository's omnicloud.toml (durations from its JUnit).

End to end (``--e2e``): a generated suite of sleeping tests with log-normal durations summing to
``--e2e`` seconds (10 % never timed) runs as N = 2 and 4 shard processes, one after the other as
if each had its own machine; each shard's wall time includes interpreter start-up, plugin loading,
collection and the partition. Efficiency = ideal / the slowest shard's wall time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_split.algorithms import Algorithms

from omnicloud.shard.durations import save_durations
from omnicloud.shard.junit import case_id, cases, read_junit
from omnicloud.shard.partition import partition_by_duration

ROOT = Path(__file__).resolve().parent.parent
Partition = Callable[[Sequence[str], int, Mapping[str, float]], list[list[str]]]


@dataclass(frozen=True)
class _Item:
    nodeid: str


def ours(ids: Sequence[str], n: int, known: Mapping[str, float]) -> list[list[str]]:
    return [list(s.tests) for s in partition_by_duration(ids, n, known)]


def pytest_split(ids: Sequence[str], n: int, known: Mapping[str, float]) -> list[list[str]]:
    groups = Algorithms.least_duration.value(n, [_Item(i) for i in ids], dict(known))
    return [[item.nodeid for item in g.selected] for g in groups]


def round_robin(ids: Sequence[str], n: int, known: Mapping[str, float]) -> list[list[str]]:
    return [list(ids[i::n]) for i in range(n)]


ALGORITHMS: dict[str, Partition] = {
    "omnicloud": ours,
    "pytest-split": pytest_split,
    "round-robin": round_robin,
}


def efficiency(shards: list[list[str]], true: Mapping[str, float]) -> float:
    loads = [sum(true[t] for t in shard) for shard in shards]
    ideal = max(sum(true.values()) / len(shards), *true.values())
    return ideal / max(loads)


def lognormal_suite(count: int, sigma: float, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    return {
        f"tests/test_m{i % 37:02}.py::test_{i:05}": rng.lognormvariate(-1.0, sigma)
        for i in range(count)
    }


def hide(true: Mapping[str, float], fraction: float, seed: int) -> dict[str, float]:
    rng = random.Random(seed + 7919)
    return {t: d for t, d in true.items() if rng.random() >= fraction}


Instance = tuple[dict[str, float], dict[str, float]]  # (true durations, recorded durations)


def balance_table(suites: Sequence[tuple[str, list[Instance]]]) -> None:
    print("\nbalance: efficiency = ideal / slowest shard, mean over the instances")
    print(
        f"{'suite':44} {'N':>2}  "
        + "  ".join(f"{name:>12}" for name in ALGORITHMS)
        + "  ours/pytest-split"
    )
    for label, instances in suites:
        for n in (2, 4, 8):
            scores = {
                name: statistics.mean(
                    efficiency(algorithm(sorted(true), n, known), true) for true, known in instances
                )
                for name, algorithm in ALGORITHMS.items()
            }
            print(
                f"{label:44} {n:>2}  "
                + "  ".join(f"{scores[k]:>12.3f}" for k in ALGORITHMS)
                + f"  {scores['omnicloud'] / scores['pytest-split']:>17.3f}"
            )


def bimodal_suite(count: int, seed: int) -> dict[str, float]:
    """95 % unit tests around 50 ms, 5 % integration tests around 20 s."""
    rng = random.Random(seed)
    return {
        f"tests/test_m{i % 37:02}.py::test_{i:05}": rng.lognormvariate(3.0, 0.5)
        if rng.random() < 0.05
        else rng.lognormvariate(-3.0, 0.7)
        for i in range(count)
    }


def with_new_tests(true: dict[str, float], fraction: float, seed: int) -> Instance:
    """A pull request added ``fraction`` more unit tests (~50 ms) the store has never seen."""
    rng = random.Random(seed + 31)
    new = {
        f"tests/test_new.py::test_{i:05}": rng.lognormvariate(-3.0, 0.7)
        for i in range(int(len(true) * fraction))
    }
    return {**true, **new}, dict(true)


def tck_durations() -> dict[str, float]:
    """Durations of the real TCK: one unsharded run of this repository's omnicloud.toml."""
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "tck.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "omnicloud.toml",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={junit}",
                "--shard=off",
            ],
            cwd=ROOT,
            capture_output=True,
            check=False,
            timeout=1800,
        )
        return {case_id(c): float(c.time or 0.0) for _s, c in cases(read_junit(junit))}


SLEEP_TEST = """\
import time
import pytest

DURATIONS = {durations}


@pytest.mark.parametrize("seconds", DURATIONS, ids=[f"t{{i:03}}" for i in range(len(DURATIONS))])
def test_sleep(seconds):
    time.sleep(seconds)
"""


def end_to_end(total: float, unknown: float) -> None:
    rng = random.Random(42)
    raw = [rng.lognormvariate(0.0, 1.0) for _ in range(60)]
    durations = [round(d * total / sum(raw), 3) for d in raw]
    print(
        f"\nend to end: {len(durations)} sleeping tests, {sum(durations):.1f}s in total,"
        f" longest {max(durations):.1f}s, {unknown:.0%} never timed; each shard process run"
        " alone, as on its own machine"
    )
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "pytest.ini").write_text("[pytest]\n")
        (project / "test_sleep.py").write_text(SLEEP_TEST.format(durations=durations))
        true = {f"test_sleep.py::test_sleep[t{i:03}]": d for i, d in enumerate(durations)}
        save_durations(project / ".omnicloud" / "durations.json", hide(true, unknown, 1))
        plain = min(_timed([[*PYTEST, "--collect-only"]], project) for _ in range(5))
        sharded = min(
            _timed([[*PYTEST, "--shard=1/4", "--collect-only"]], project) for _ in range(5)
        )
        print(
            f"  start-up + collection: plain pytest {plain:.2f}s, with --shard {sharded:.2f}s"
            f" (ratio {sharded / plain:.3f})"
        )
        for n in (2, 4):
            # One shard at a time, as if each had its own machine: on this 2-core box N
            # concurrent interpreters would fight over the CPU during start-up, which N
            # separate CI machines do not.
            walls = [_timed([[*PYTEST, f"--shard={i}/{n}"]], project) for i in range(1, n + 1)]
            ideal = max(sum(true.values()) / n, *true.values())
            print(
                f"  N={n}: ideal {ideal:6.2f}s  shard walls {' '.join(f'{w:.2f}' for w in walls)}"
                f"  efficiency (ideal / slowest) {ideal / max(walls):.3f}; minus the start-up"
                f" measured above {ideal / (max(walls) - sharded):.3f}"
            )


PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def _timed(commands: Sequence[Sequence[str]], cwd: Path) -> float:
    """Wall time until the last of ``commands`` (started at once) ends."""
    started = time.perf_counter()
    procs = [
        subprocess.Popen(list(c), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in commands
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - started


def partition_speed() -> None:
    for count in (10_000, 100_000):
        true = lognormal_suite(count, 1.0, 0)
        ids = sorted(true)
        started = time.perf_counter()
        partition_by_duration(ids, 8, true)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        pytest_split(ids, 8, true)
        split_s = time.perf_counter() - started
        print(
            f"partition of {count} tests into 8 shards: omnicloud {ours_s:.3f}s,"
            f" pytest-split {split_s:.3f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--unknown", type=float, default=0.1)
    parser.add_argument("--tck", action="store_true", help="also balance the real TCK suite")
    parser.add_argument(
        "--e2e",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also run an end-to-end sharded suite of this many seconds",
    )
    args = parser.parse_args()
    seeds = range(args.seeds)
    unknown = f"{args.unknown:.0%} unknown"

    def randomly_hidden(true: dict[str, float], seed: int) -> Instance:
        return true, hide(true, args.unknown, seed)

    suites = [
        (
            f"log-normal s=1.0, {args.tests}, {unknown}",
            [randomly_hidden(lognormal_suite(args.tests, 1.0, s), s) for s in seeds],
        ),
        (
            f"log-normal s=1.5, {args.tests}, {unknown}",
            [randomly_hidden(lognormal_suite(args.tests, 1.5, s), s) for s in seeds],
        ),
        (
            f"bimodal 5% slow, {args.tests}, {unknown}",
            [randomly_hidden(bimodal_suite(args.tests, s), s) for s in seeds],
        ),
        (
            f"bimodal + {unknown} new unit tests",
            [with_new_tests(bimodal_suite(args.tests, s), args.unknown, s) for s in seeds],
        ),
    ]
    if args.tck:
        tck = tck_durations()
        print(
            f"TCK run: {len(tck)} tests, {sum(tck.values()):.2f}s in total, longest"
            f" {max(tck.values()):.2f}s"
        )
        suites.append(
            (f"real TCK, {len(tck)} tests, {unknown}", [randomly_hidden(tck, s) for s in seeds])
        )
    balance_table(suites)
    print()
    partition_speed()
    if args.e2e:
        end_to_end(args.e2e, args.unknown)


if __name__ == "__main__":
    main()
