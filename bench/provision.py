"""Time to ready per service and provisioner, fresh vs reused, side by side.

    python bench/provision.py [--rounds 3] [--no-docker] [--services redis,postgres,...]

Each round starts every service of a reused environment from scratch (fresh), then provisions
the same environment again (reused: the state file is found and the services answer), then
stops them. Docker uses images built from host binaries (python -m omnicloud.provision.images).
Every service kind is measured (moto under process only: it has no local image).
Targets (docs/performance-provision.md): process Redis < 1 s, process Postgres < 5 s, reused 0 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from omnicloud.config import parse_config
from omnicloud.errors import InfrastructureError
from omnicloud.provision.lifecycle import provision, teardown
from omnicloud.provision.progress import Progress

KINDS = ("redis", "postgres", "etcd", "nats", "rabbitmq", "moto")
WITHOUT_IMAGE = {"moto"}
CONFIG = (
    "".join(
        f'[services.{kind}]\nrecipe = "{kind}"\nimage = "omnicloud-local/{kind}:latest"\n'
        for kind in KINDS
    )
    + """
[environments.process]
provisioner = "process"
reuse = true
[environments.docker]
provisioner = "docker"
reuse = true
"""
)


def measure(
    environment: str, rounds: int, services: list[str]
) -> dict[tuple[str, str], list[float]]:
    config = parse_config(CONFIG, Path("bench.toml"), environ={})
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for service in services:
            for kind in ("fresh", "reused"):
                progress = Progress(enabled=False)
                start = time.perf_counter()
                with provision(
                    config, environment=environment, services=[service], progress=progress
                ) as env:
                    assert env.reused == (kind == "reused")
                timings.setdefault((service, kind), []).append(time.perf_counter() - start)
            teardown(environment)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true")
    parser.add_argument("--services", default=",".join(KINDS), help="comma-separated kinds")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="omnicloud-bench-"))
    state.chmod(0o755)
    os.environ["OMNICLOUD_STATE_DIR"] = str(state)
    try:
        report(args.rounds, [] if args.no_docker else ["docker"], args.services.split(","))
    finally:
        shutil.rmtree(state, ignore_errors=True)
    return 0


def report(rounds: int, extra: list[str], services: list[str]) -> None:
    environments = ["process", *extra]
    print(f"{'provisioner':<12}{'service':<10}{'fresh (s)':>12}{'reused (s)':>12}{'ratio':>10}")
    for environment in environments:
        try:
            chosen = [s for s in services if environment == "process" or s not in WITHOUT_IMAGE]
            timings = measure(environment, rounds, chosen)
        except InfrastructureError as exc:
            print(f"{environment:<12}skipped: {exc.message}")
            continue
        for service in chosen:
            fresh = statistics.median(timings[(service, "fresh")])
            reused = statistics.median(timings[(service, "reused")])
            print(
                f"{environment:<12}{service:<10}{fresh:>12.3f}{reused:>12.3f}"
                f"{fresh / reused:>9.0f}x"
            )


if __name__ == "__main__":
    raise SystemExit(main())
