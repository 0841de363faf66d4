"""A user's own broker is certified from ``omnicloud.toml`` with nothing but a factory path.

The scratch project below holds only a provider module written against the messaging adapter's
broker convention (some members sync, some async, queues from asyncio) and an
``omnicloud.toml``; plain ``pytest omnicloud.toml`` runs the suites through the omnicloud plugin.
"""

from __future__ import annotations

import pytest

from tck_py.messaging.consumer import BaseTestConsumerContract
from tck_py.messaging.delayed_messaging import BaseTestDelayedMessagingContract


def _test_count(suite: type) -> int:
    return sum(1 for name in dir(suite) if name.startswith("test_"))


USER_BROKER = '''
import asyncio
from collections import defaultdict
from types import SimpleNamespace

from tck_py.shared.exceptions import PublishError


class Bus:
    """A toy in-process bus with the broker members omnicloud's messaging adapter uses."""

    def __init__(self, url="bus://local"):
        self.url = url
        self.queues = defaultdict(asyncio.Queue)
        self.tasks = []

    def producer(self, config=None):
        reachable = self.url in (config or {}).get("bootstrap_servers", self.url)
        bus = self

        class Producer:
            async def publish(self, topic, payload, key=None, headers=None):
                if not reachable:
                    raise PublishError(f"cannot reach {config}")
                await bus.queues[topic].put(SimpleNamespace(
                    payload=payload, key=key, headers=dict(headers or {})))

        return Producer()

    async def get_message(self, topic, timeout):
        try:
            return await asyncio.wait_for(self.queues[topic].get(), timeout)
        except TimeoutError:
            return None

    def dead_letter_topic(self, topic, config):
        return "dead-letters:" + topic

    async def consumer(self, handler, topic, config):
        async def run():
            while True:
                message = await self.queues[topic].get()
                try:
                    for _ in range(config.get("max_attempts", 3)):
                        try:
                            outcome = (await handler(message)).name
                        except Exception:
                            outcome = "RETRY"
                        if outcome in ("SUCCESS", "FAIL"):
                            break
                except asyncio.CancelledError:  # stopped mid-handling: at least once
                    self.queues[topic].put_nowait(message)
                    raise
                if outcome != "SUCCESS":
                    await self.queues[self.dead_letter_topic(topic, config)].put(message)

        task = asyncio.create_task(run())
        self.tasks.append(task)
        return task

    def delayed_publisher(self):
        loop = asyncio.get_running_loop()
        bus = self

        class Delayed:
            async def publish(self, topic, payload, key=None, headers=None, delay_seconds=None):
                message = SimpleNamespace(payload=payload, key=key, headers=dict(headers or {}))
                if delay_seconds:
                    loop.call_later(delay_seconds, bus.queues[topic].put_nowait, message)
                else:
                    bus.queues[topic].put_nowait(message)

        return Delayed()

    async def aclose(self):
        for task in self.tasks:
            task.cancel()
'''

CONFIG = """
[project]
name = "acme-bus"

[providers.acme-consumer]
contract = "consumer"
factory = "acme_bus:Bus"
options = { url = "bus://acme" }

[providers.acme-delayed]
contract = "delayed_messaging"
factory = "acme_bus:Bus"
"""


def test_user_broker_is_certified_from_the_config_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(acme_bus=USER_BROKER)
    pytester.makefile(".toml", omnicloud=CONFIG)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    # The two 2-second upstream delay tests add time, not coverage of the convention.
    slow = "not test_message_is_delivered_after_delay and not test_delayed_message_retains"
    nested = ("-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark")  # see guards
    result = pytester.runpytest_inprocess("omnicloud.toml", *nested, "-k", slow)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    expected = _test_count(BaseTestConsumerContract) + _test_count(BaseTestDelayedMessagingContract)
    assert outcomes["passed"] == expected - 2, result.stdout.str()
