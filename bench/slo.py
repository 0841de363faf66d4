"""SLO runner overhead: the measuring loop against a bare loop of the same client calls.

    python bench/slo.py [--operations 20000] [--rounds 5] [--concurrency 1 16]

Against a redis-server on a free port, the same keyvalue_basic schedule (get/set/exists/delete
through ``omnicloud.providers.redis:create_store``) runs as a bare loop (``await call``, nothing
else) and as the SLO runner's timed loop (two clock reads and an append per call), after a
warm-up and alternating which goes first, so that machine noise hits both alike. Prints each
loop's operations per second and the runner's overhead (target: under 5 %), plus the runner's
own cost per operation measured on a no-op call (the figure noise cannot hide).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time

from omnicloud.provision.process import free_port
from omnicloud.slo.measure import bare_loop, prepare, runner_cost_ns, timed_loop
from omnicloud.slo.workloads import WORKLOADS


async def compare(port: int, operations: int, rounds: int, concurrency: int) -> None:
    from omnicloud.providers.redis import create_store

    store = await create_store(f"redis://127.0.0.1:{port}/0", prefix="bench:")
    workload = WORKLOADS["keyvalue_basic"]
    value = workload.value(100)
    schedule = workload.schedule(operations)
    try:
        await prepare(store, workload, value)
        # warm-up: the connection pool grows to `concurrency` connections before anything counts
        await bare_loop(store, schedule, value, concurrency=concurrency)
        bare, timed = [], []
        for n in range(rounds):  # alternating which goes first, so drift favours neither
            first_bare = n % 2 == 0
            if first_bare:
                bare.append(await bare_loop(store, schedule, value, concurrency=concurrency))
            timed.append(await timed_loop(store, schedule, value, concurrency=concurrency))
            if not first_bare:
                bare.append(await bare_loop(store, schedule, value, concurrency=concurrency))
    finally:
        await store.aclose()
    b, t = statistics.median(bare), statistics.median(timed)
    print(
        f"  concurrency {concurrency:>3}: bare {operations / b:9.0f} ops/s,"
        f" runner {operations / t:9.0f} ops/s, overhead {t / b - 1:+.1%} (target < 5 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.3)
            print(f"keyvalue_basic on redis: {args.rounds} rounds x {args.operations} operations")
            for concurrency in args.concurrency:
                asyncio.run(compare(port, args.operations, args.rounds, concurrency))
            cost = asyncio.run(runner_cost_ns())
            print(f"  the runner's own cost on a no-op call: {cost:.0f} ns per operation")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
