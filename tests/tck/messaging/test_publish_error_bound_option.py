"""The producer suite's ``publish_error_within`` bound is set per provider in ``omnicloud.toml``.

A provider option ``publish_error_within`` (seconds) becomes the suite attribute of that
provider's producer test class; the messaging adapter consumes it, the factory never sees it.
The scratch project's broker takes 0.6 s to report an unreachable broker: within the default
5 s bound, outside a bound of 0.3 s set in the configuration.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omnicloud.adapters.messaging import build_fixtures
from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.errors import ConfigError
from omnicloud.providers.memory.messaging import InMemoryBroker

SLOW_BROKER = """
import asyncio

from omnicloud.providers.memory.messaging import InMemoryBroker, InMemoryProducer
from tck_py.shared.exceptions import PublishError


class SlowProducer(InMemoryProducer):
    async def publish(self, topic, payload, key=None, headers=None):
        if self._unreachable:
            await asyncio.sleep(0.6)  # a client retrying its connection before giving up
            raise PublishError(self._unreachable)
        await super().publish(topic, payload, key, headers)


class SlowBroker(InMemoryBroker):
    producer_class = SlowProducer

    def __init__(self):  # takes no options: publish_error_within must not reach it
        super().__init__()
"""

CONFIG = """
[project]
name = "bound"

[providers.slow-default]
contract = "producer"
factory = "slow_broker:SlowBroker"

[providers.slow-bounded]
contract = "producer"
factory = "slow_broker:SlowBroker"
options = {{ publish_error_within = {bound} }}
"""

MEMORY_BROKER = "omnicloud.providers.memory.messaging:InMemoryBroker"
TEST = "test_publish_error_is_raised_within_the_bound"
NESTED = ("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark")


def _run(pytester: pytest.Pytester, bound: str) -> pytest.RunResult:
    pytester.makepyfile(slow_broker=SLOW_BROKER)
    pytester.makefile(".toml", omnicloud=CONFIG.format(bound=bound))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest_inprocess("omnicloud.toml", *NESTED, "-k", TEST)


def test_the_bound_comes_from_the_provider_options(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "0.3")
    result.assert_outcomes(passed=1, failed=1)
    failed = [line for line in result.stdout.lines if line.startswith("FAILED")]
    assert len(failed) == 1
    assert "slow-bounded" in failed[0], result.stdout.str()
    assert "within 0.3 s" in result.stdout.str()


def _runtime(**options: Any) -> ProviderRuntime:
    return ProviderRuntime("p", CONTRACTS["producer"], InMemoryBroker, options)


def test_the_option_sets_the_suite_attribute_and_nothing_else() -> None:
    assert build_fixtures(_runtime(publish_error_within=12))["publish_error_within"] == 12.0
    assert "publish_error_within" not in build_fixtures(_runtime())


@pytest.mark.parametrize("value", [0, -1.0, "5", True])
def test_a_bound_that_is_not_a_positive_number_is_a_config_error(value: Any) -> None:
    with pytest.raises(ConfigError, match=r"providers\.p\.options\.publish_error_within"):
        build_fixtures(_runtime(publish_error_within=value))


def test_the_bound_is_only_for_the_producer_contract() -> None:
    runtime = ProviderRuntime(
        "c", CONTRACTS["consumer"], InMemoryBroker, {"publish_error_within": 1}
    )
    with pytest.raises(ConfigError, match="only the producer contract"):
        build_fixtures(runtime)


def test_a_bad_bound_stops_certify_before_any_test_with_exit_two(tmp_path: Path) -> None:
    config = CONFIG.format(bound='"fast"').replace("slow_broker:SlowBroker", MEMORY_BROKER)
    (tmp_path / "omnicloud.toml").write_text(config, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud", "certify", "-n", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == (
        "error: providers.slow-bounded.options.publish_error_within: must be a positive number"
        " of seconds, got 'fast'"
    )
    assert "collected" not in done.stdout
