"""Test-data generation: omnicloud next to mimesis and Faker on seed 004's ``users`` schema.

    python bench/data.py [--count 1000000] [--peer-count 1000000] [--faker-count 20000]
                         [--rounds 3]

The schema is {id: uuid, name: full name, email, created_at: ISO timestamp}, one dict per entity
for every tool (omnicloud is also timed up to its columns, its native form). omnicloud and
mimesis generate ``--count`` / ``--peer-count`` entities; Faker is far slower and generates
``--faker-count``, its rate extrapolated (its cost per entity is flat in the count), and the
output says which figures are extrapolated. Rounds are interleaved (ours, mimesis, Faker, ours,
...) so machine load hits all tools alike; the best round of each is reported. Rates are per CPU
second of the benchmark process: the tools are single-threaded and CPU-bound, and CPU time is
not inflated by other processes on a shared machine (the load average is printed). Peers use
their fastest API, direct provider calls in a comprehension (mimesis ``Person``,
``Cryptographic``, ``Datetime``; Faker ``uuid4``, ``name``, ``email``, ``date_time``), not
their schema builders, which are slower still.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from collections.abc import Callable
from typing import Any

from omnicloud.config.models import DatasetConfig
from omnicloud.data import Generator, dataset_fingerprint
from omnicloud.data.export import to_jsonl

USERS = {"id": "uuid", "name": "name", "email": "email", "created_at": "timestamp"}
Bench = Callable[[int], list[dict[str, Any]]]


def ours(count: int) -> list[dict[str, Any]]:
    config = {"users": DatasetConfig.model_validate({"count": count, "seed": 42, "fields": USERS})}
    return Generator(config).generate("users").records()


def ours_columns(count: int) -> Any:
    config = {"users": DatasetConfig.model_validate({"count": count, "seed": 42, "fields": USERS})}
    return Generator(config).generate("users")


def mimesis(count: int) -> list[dict[str, Any]]:
    from mimesis import Cryptographic, Datetime, Person
    from mimesis.locales import Locale

    person, clock, crypto = Person(Locale.EN, seed=42), Datetime(seed=42), Cryptographic(seed=42)
    return [
        {
            "id": crypto.uuid(),
            "name": person.full_name(),
            "email": person.email(),
            "created_at": clock.datetime().isoformat(),
        }
        for _ in range(count)
    ]


def faker(count: int) -> list[dict[str, Any]]:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(42)
    return [
        {
            "id": fake.uuid4(),
            "name": fake.name(),
            "email": fake.email(),
            "created_at": fake.date_time().isoformat(),
        }
        for _ in range(count)
    ]


def timed(bench: Callable[[int], Any], count: int) -> float:
    """CPU seconds of this process: the tools are single-threaded and CPU-bound, and CPU time
    does not count the time other processes on a shared machine take from us."""
    started = time.process_time()
    result = bench(count)
    elapsed = time.process_time() - started
    assert len(result) == count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--peer-count", type=int, default=1_000_000)
    parser.add_argument("--faker-count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    ours(1000)  # build the lookup tables once, as any long-lived process would
    best: dict[str, float] = {}
    plan: list[tuple[str, Bench | Callable[[int], Any], int]] = [
        ("omnicloud (dicts)", ours, args.count),
        ("omnicloud (columns)", ours_columns, args.count),
        ("mimesis", mimesis, args.peer_count),
        ("faker", faker, args.faker_count),
    ]
    for _ in range(args.rounds):
        for name, bench, count in plan:
            rate = count / timed(bench, count)
            best[name] = max(best.get(name, 0.0), rate)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"users schema {sorted(USERS)}; best of {args.rounds} interleaved rounds;"
        f" CPU time of this process; load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    for name, _bench, count in plan:
        note = "" if count == args.count else f"  (measured on {count:,}, extrapolated)"
        print(
            f"  {name:<22} {best[name]:>12,.0f} entities/s"
            f"  -> {args.count:,} in {args.count / best[name]:7.2f} s{note}"
        )
    ours_rate = best["omnicloud (dicts)"]
    print(
        f"ratio omnicloud/mimesis: {ours_rate / best['mimesis']:.1f}x"
        f"   omnicloud/faker: {ours_rate / best['faker']:.1f}x"
        f"   (columns only: {best['omnicloud (columns)'] / best['mimesis']:.1f}x mimesis)"
    )
    seed_floor = 1000 / ours_rate
    print(f"seed 004 floor (1,000 entities < 60 s): {seed_floor * 1000:.2f} ms")

    sample = ours_columns(10_000)
    digest = hashlib.sha256(to_jsonl(sample).encode()).hexdigest()
    config = {"users": DatasetConfig.model_validate({"count": 10_000, "seed": 42, "fields": USERS})}
    print(
        f"determinism: 10,000 users seed 42 -> jsonl sha256 {digest[:16]}...,"
        f" fingerprint {dataset_fingerprint('users', config)[:23]}..."
    )


if __name__ == "__main__":
    main()
