"""SLO verdicts against a real redis-server: the Redis store passes a target it clearly meets,
the same store slowed by 20 ms per call fails a 5 ms p99, and a run too short to estimate a
p99 says inconclusive. The targets are far from the measured figures on purpose: these tests
check the verdicts, not this machine's speed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.config.models import Config
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from omnicloud.slo.profiles import resolve_slo
from omnicloud.slo.runner import Settings, measure, record
from omnicloud.slo.targets import creator
from service_guard import require_binary

# One xdist worker runs the module: its Redis (the module fixture) starts once.
pytestmark = [pytest.mark.services("redis"), pytest.mark.xdist_group("slo-redis")]

CONFIG = """
[project]
default_environment = "local"
[environments.local]
provisioner = "process"
[services.redis]
recipe = "redis"
[providers.redis]
factory = "omnicloud.providers.redis:create_store"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}slo:" }
services = ["redis"]
implements = ["keyvalue_basic"]
slo = { keyvalue_basic = { p50 = "1s", p99 = "5ms", throughput = "10/s", rate = "200/s" } }
"""
SHORT = Settings(trials=2, duration=0.3, warmup=0.05)


@pytest.fixture(scope="module")
def redis() -> Iterator[tuple[Config, dict[str, Any]]]:
    require_binary("redis-server", "redis-server")
    with tempfile.TemporaryDirectory(prefix="omnicloud-slo-") as state:
        config = parse_config(CONFIG, Path(state) / "omnicloud.toml", environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            yield config, env.endpoints()


class _Slowed:
    """The real store, 20 ms slower on every call."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.store, name)

        async def slowed(*args: Any) -> Any:
            await asyncio.sleep(0.02)
            return await method(*args)

        return slowed if name in ("get", "set", "exists", "delete") else method


async def test_the_redis_store_passes_targets_it_clearly_meets(
    redis: tuple[Config, dict[str, Any]],
) -> None:
    config, endpoints = redis
    slo = dataclasses.replace(resolve_slo(config, "redis", "keyvalue_basic"), p99=None)
    data = record(await measure(creator(config, "redis", endpoints), slo, SHORT), 0.95)
    assert [(m["metric"], m["outcome"]) for m in data["metrics"]] == [
        ("p50", "pass"),
        ("throughput", "pass"),
    ]
    assert data["outcome"] == "pass"


async def test_a_run_too_short_for_a_p99_is_never_a_pass(
    redis: tuple[Config, dict[str, Any]],
) -> None:
    config, endpoints = redis
    slo = resolve_slo(config, "redis", "keyvalue_basic")
    data = record(await measure(creator(config, "redis", endpoints), slo, SHORT), 0.95)
    p99 = next(m for m in data["metrics"] if m["metric"] == "p99")
    assert data["open_loop"]["count"] == 120  # a p99 needs 1,000 samples
    # inconclusive, unless the samples already exceed 5 ms too often: then a fail
    assert p99["outcome"] in ("inconclusive", "fail")
    assert data["outcome"] != "pass"


async def test_the_same_store_slowed_by_20ms_fails_a_5ms_p99(
    redis: tuple[Config, dict[str, Any]],
) -> None:
    config, endpoints = redis
    plain = creator(config, "redis", endpoints)

    async def slowed() -> _Slowed:
        return _Slowed(await plain())

    slo = resolve_slo(config, "redis", "keyvalue_basic")
    data = record(await measure(slowed, slo, SHORT), 0.95)
    p99 = next(m for m in data["metrics"] if m["metric"] == "p99")
    assert (p99["outcome"], data["outcome"]) == ("fail", "fail")
    assert data["open_loop"]["p50"] >= 0.02
