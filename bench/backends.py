"""Real backends: time to a verdict cold and warm, the store's overhead over its client, the matrix.

    python bench/backends.py [--workers 2] [--ops 2000] [--matrix] [PROVIDER ...]

For each real-backend provider of this repository's omnicloud.toml (``local`` environment, a
copy of the file with ``reuse = true``):

* cold: ``omnicloud certify --provider P -n 2`` with no server running (the run starts it and,
  reusing, keeps it); warm: the same command again (the run finds the server and starts nothing);
  the environment is torn down after each provider;
* for the providers with a key-value store over a client library (Redis: redis-py, PostgreSQL:
  psycopg), N ``set`` + N ``get`` through the store against the same N + N calls issued directly
  with the client library on the same server, same event loop; the ratio is the store's own cost.

``--matrix`` also times ``OMNICLOUD_ENV=local omnicloud matrix -n 2`` on the repository's own
configuration (no reuse: every server is started and stopped inside the run). Every line carries
the load average at its start: the 2 cores are often shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = {
    "redis": "redis",
    "postgres": "postgres",
    "etcd": "etcd",
    "etcd-lock": "etcd",
    "nats": "nats",
    "rabbitmq": "rabbitmq",
    "aws-s3": "moto",
    "aws-secrets": "moto",
    "aws-sqs": "moto",
}
OMNICLOUD = [str(Path(sys.executable).with_name("omnicloud"))]  # the console script


def load() -> float:
    return os.getloadavg()[0]


def reusing_config(directory: Path) -> Path:
    text = (ROOT / "omnicloud.toml").read_text(encoding="utf-8")
    local = '[environments.local]\nprovisioner = "process"\n'
    if local not in text:
        raise SystemExit("omnicloud.toml has no plain [environments.local] block to copy")
    path = directory / "omnicloud.toml"
    path.write_text(text.replace(local, local + "reuse = true\n", 1), encoding="utf-8")
    return path


def run(command: list[str], *, verdict: bool = False) -> float:
    """Wall time of ``command``. A failing verdict (exit 1: some test failed) is timed all the
    same and its failures printed; any other failure stops the bench."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode == 1 and verdict:
        lines = done.stdout.splitlines() + done.stderr.splitlines()
        failed = [line for line in lines if "FAILED" in line] or lines[-8:]
        print(f"  exit 1 after {elapsed:.1f} s: " + "; ".join(failed)[:1500], flush=True)
    elif done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:] + done.stderr.splitlines()[-5:])
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    return elapsed


def certify(config: Path, provider: str, workers: int, results: Path) -> float:
    command = [*OMNICLOUD, "certify", "-c", str(config), "--provider", provider]
    return run([*command, "-n", str(workers), "--results-dir", str(results)], verdict=True)


def endpoints(config: Path, service: str, output: Path) -> dict[str, Any]:
    command = [*OMNICLOUD, "env", "up", service, "-c", str(config), "-o", str(output)]
    run(command)
    found: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))[service]
    return found


async def timed(operations: Callable[[int], Awaitable[None]], count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        await operations(index)
    return time.perf_counter() - started


async def side_by_side(
    store: Callable[[int], Awaitable[None]], direct: Callable[[int], Awaitable[None]], count: int
) -> tuple[float, float]:
    """Seconds per ``count`` calls of each: ten interleaved rounds, the median round of each, so
    a load change on the shared machine hits both sides alike."""
    await timed(direct, 50)  # warm both connections and code paths
    await timed(store, 50)
    rounds = 10
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(await timed(store, count // rounds))
        theirs.append(await timed(direct, count // rounds))
    return statistics.median(ours) * rounds, statistics.median(theirs) * rounds


async def redis_pair(endpoint: dict[str, Any], count: int) -> tuple[float, float]:
    import redis.asyncio as redis

    from omnicloud.providers.redis import create_kv_store

    prefix = f"{endpoint.get('prefix', '')}bench-{uuid.uuid4().hex[:8]}:"
    store = await create_kv_store(url=endpoint["url"], prefix=prefix)
    client = redis.Redis.from_url(endpoint["url"], decode_responses=True)
    try:

        async def through_store(i: int) -> None:
            await store.set(f"k{i}", "v")
            await store.get(f"k{i}")

        async def direct(i: int) -> None:
            await client.set(f"{prefix}d{i}", "v")
            await client.get(f"{prefix}d{i}")

        return await side_by_side(through_store, direct, count)
    finally:
        await store.aclose()
        await client.aclose()


async def postgres_pair(endpoint: dict[str, Any], count: int) -> tuple[float, float]:
    import psycopg

    from omnicloud.providers.postgres import create_kv_store
    from omnicloud.providers.postgres.kv import _digest

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    store = await create_kv_store(url=endpoint["url"], schema=schema)
    conn = await psycopg.AsyncConnection.connect(endpoint["url"], autocommit=True)
    await conn.execute(f'SET search_path TO "{schema}"')
    upsert = (
        "INSERT INTO omnicloud_kv (ns, kh, k, v) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (ns, kh) DO UPDATE SET v = EXCLUDED.v"
    )
    select = "SELECT v FROM omnicloud_kv WHERE ns = %s AND kh = %s"
    try:

        async def through_store(i: int) -> None:
            await store.set(f"k{i}", "v")
            await store.get(f"k{i}")

        async def direct(i: int) -> None:
            key = f"d{i}".encode()
            await conn.execute(upsert, ("d", _digest(f"d{i}"), key, b"v"))
            await (await conn.execute(select, ("d", _digest(f"d{i}")))).fetchone()

        return await side_by_side(through_store, direct, count)
    finally:
        await store.aclose()
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


DIRECT = {"redis": ("redis-py", redis_pair), "postgres": ("psycopg", postgres_pair)}


def bench_provider(provider: str, config: Path, args: argparse.Namespace, tmp: Path) -> None:
    down = [*OMNICLOUD, "env", "down", "-c", str(config)]
    subprocess.run(down, check=False, capture_output=True)
    try:
        start_load = load()
        line = f"{provider:<12}"
        if not args.direct_only:
            cold = certify(config, provider, args.workers, tmp / f"{provider}-cold")
            warm = certify(config, provider, args.workers, tmp / f"{provider}-warm")
            line += f" cold {cold:6.1f} s  warm {warm:6.1f} s  warm/cold {warm / cold:.2f}"
        if provider in DIRECT:
            name, pair = DIRECT[provider]
            endpoint = endpoints(config, PROVIDERS[provider], tmp / "endpoints.json")
            store, direct = asyncio.run(pair(endpoint, args.ops))
            per_op = 1e6 / (2 * args.ops)
            line += (
                f"  | {args.ops} set+get: store {store * per_op:5.0f} us/op"
                f"  {name} {direct * per_op:5.0f} us/op  ratio {store / direct:.2f}"
            )
        print(f"{line}  (load {start_load:.1f})", flush=True)
    finally:
        subprocess.run(down, check=False, capture_output=True)


def bench_matrix(workers: int, tmp: Path) -> None:
    start_load = load()
    command = [*OMNICLOUD, "matrix", "-c", str(ROOT / "omnicloud.toml"), "-n", str(workers)]
    command += ["--results-dir", str(tmp / "matrix")]
    elapsed = run(command, verdict=True)
    print(f"matrix -n {workers}: {elapsed:6.1f} s  (load {start_load:.1f})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ops", type=int, default=2000, help="set+get pairs in the overhead")
    parser.add_argument("--matrix", action="store_true", help="also time the whole matrix")
    parser.add_argument("--matrix-only", action="store_true")
    parser.add_argument("--direct-only", action="store_true", help="only the store/client pairs")
    parser.add_argument("providers", nargs="*", default=list(PROVIDERS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omnicloud-bench-backends-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user, which must reach its data folder
        os.environ["OMNICLOUD_STATE_DIR"] = str(tmp / "state")
        os.environ["OMNICLOUD_ENV"] = "local"
        if not args.matrix_only:
            config = reusing_config(tmp)
            for provider in args.providers:
                bench_provider(provider, config, args, tmp)
        if args.matrix or args.matrix_only:
            bench_matrix(args.workers, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
