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


def session_python(session: str) -> str:
    """The planned sessions' shared environment (``.nox/omnicloud``), else the session's own."""
    for folder in ("omnicloud", session, session.replace("-", "_")):
        for name in ("bin/python", "Scripts/python.exe"):
            candidate = ROOT / ".nox" / folder / name
            if candidate.exists():
                return str(candidate)
    sys.exit(f"run 'nox -s {session}' once first so the session environment exists")


def selection(session: str) -> tuple[list[str], list[str], str]:
    """What the certify session selects, as pytest options and as ``omnicloud certify`` ones,
    and the xdist distribution the configuration sets (raw pytest gets the same)."""
    sys.path.insert(0, str(ROOT / "src"))
    from omnicloud.config import load_config
    from omnicloud.plan import plan_sessions

    config = load_config(ROOT / "omnicloud.toml")
    spec = next(s for s in plan_sessions(config) if s.name == session)
    certify = list(spec.argv[1:])
    pytest_args = [
        f"--omnicloud-{certify[i][2:]}={certify[i + 1]}" for i in range(0, len(certify), 2)
    ]
    return pytest_args, certify, config.run.dist


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
        f"   ratio {ratio:5.3f}   overhead {ours_median - raw_median:+.3f}s",
        flush=True,
    )
    return ratio


def startup(repeat: int) -> None:
    """nox's fixed cost alone: ``nox -l`` loading the noxfile with the session plan cached
    (no models imported) against the same with the cache removed before each run."""
    from omnicloud.nox_sessions import PLAN_CACHE

    cache = ROOT / PLAN_CACHE
    listing = ["nox", "-l"]
    timed(listing)  # writes the cache
    cached, planned = [], []
    for _ in range(repeat):
        cached.append(timed(listing))
        cache.unlink(missing_ok=True)
        planned.append(timed(listing))
    hit, miss = statistics.median(cached), statistics.median(planned)
    print(
        f"{'nox -l (noxfile load)':28} cached plan {hit:7.3f}s   planned {miss:7.3f}s"
        f"   saved {miss - hit:+.3f}s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--startup", action="store_true", help="only nox's start-up, plan cached vs not"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--session", default="certify-kv", help="a certify session")
    args = parser.parse_args()
    if args.startup:
        startup(args.repeat)
        return 0
    session = args.session
    subprocess.run(["nox", "-s", session], cwd=ROOT, check=True, capture_output=True)
    python = session_python(session)
    pytest_args, certify_args, dist = selection(session)
    raw = [
        python,
        "-m",
        "pytest",
        "omnicloud.toml",
        *pytest_args,
        "-q",
        "-p",
        "no:cacheprovider",
        "--junitxml=omnicloud-results/raw-junit.xml",
    ]
    compare(session, ["nox", "-s", session], raw, args.repeat)
    n = str(args.workers)
    compare(
        f"{session} -n {n}",
        ["nox", "-s", session, "--", "-n", n],
        [*raw, "-n", n, f"--dist={dist}"],
        args.repeat,
    )
    compare(
        "omnicloud certify (no nox)",
        [python, "-m", "omnicloud", "certify", *certify_args],
        raw,
        args.repeat,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
