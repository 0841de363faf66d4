"""The RabbitMQ store and broker certified by every interface suite and messaging contract
they claim, against a real broker (one module: the node boots once per session).

One RabbitMQ node per test session (it takes tens of seconds to boot on a busy 2-core
machine): free AMQP and distribution ports, a private Erlang port mapper (epmd) on its own
port started in the node's process group, data and logs under the session's tmp dir. Teardown
stops the whole group, so neither the node nor epmd outlives the tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from omnicloud.adapters.messaging import build_fixtures
from omnicloud.adapters.runtime import ProviderRuntime
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.rabbitmq import (
    IMPLEMENTS,
    RabbitBroker,
    RabbitStore,
    create_broker,
    create_store,
)
from omnicloud.providers.rabbitmq._base import connect
from service_guard import require_binary
from tck_py.interfaces._support import InterfaceSuite
from tck_py.interfaces.catalog import INTERFACES
from tck_py.interfaces.pubsub import (
    BaseTestPubSubBasicInterface,
    BaseTestPubSubFilteringInterface,
    BaseTestPubSubOrderingInterface,
    BaseTestPubSubWildcardsInterface,
)
from tck_py.interfaces.queue import (
    BaseTestQueueBasicInterface,
    BaseTestQueueDeadLetterInterface,
    BaseTestQueueDelayedInterface,
    BaseTestQueuePriorityInterface,
    BaseTestQueueVisibilityInterface,
)
from tck_py.messaging.consumer import BaseTestConsumerContract
from tck_py.messaging.delayed_messaging import BaseTestDelayedMessagingContract
from tck_py.messaging.producer import BaseTestProducerContract

pytestmark = [pytest.mark.services("rabbitmq"), pytest.mark.slow]

Factory = Callable[..., Awaitable[Any]]
SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # Debian's /usr/sbin wrapper su's to a user
BOOT_SECONDS = 180.0
# epmd on the private port, in this process group; then the node replaces the shell.
LAUNCH = (
    'epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 &\n'
    'until epmd -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1; do sleep 0.05; done\n'
    'exec "$0"\n'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def amqp_ready(port: int) -> bool:
    """The broker answers the AMQP 0-9-1 header with a method frame (connection.start)."""
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5) as sock:
            sock.settimeout(2.0)
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            return sock.recv(1) == b"\x01"
    except OSError:
        return False


def node_env(root: Path, port: int) -> dict[str, str]:
    (root / "rabbitmq.conf").write_text(
        f"listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n"
        "disk_free_limit.absolute = 1\nvm_memory_high_watermark.relative = 0.9\n",
        encoding="utf-8",
    )
    (root / "enabled_plugins").write_text("[].\n", encoding="utf-8")
    return {
        **os.environ,
        "HOME": str(root),  # the Erlang cookie
        "ERL_EPMD_PORT": str(free_port()),
        "RABBITMQ_NODENAME": f"omnicloud-test{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
        "RABBITMQ_LOG_BASE": str(root / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_PID_FILE": str(root / "rabbitmq.pid"),
        "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(root / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(root / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false",
    }


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """TERM the node's process group (node, epmd, Erlang helpers), then KILL what is left."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                process.poll()
                return
            process.poll()
            time.sleep(0.1)


@pytest.fixture(scope="session")
def rabbitmq_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_binary("epmd", "erlang-base")
    require_binary("rabbitmq-server", "rabbitmq-server")
    root = tmp_path_factory.mktemp("rabbitmq")
    port = free_port()
    log = (root / "node.log").open("wb")
    process = subprocess.Popen(
        ["sh", "-c", LAUNCH, SERVER],
        env=node_env(root, port),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + BOOT_SECONDS
        while not amqp_ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (root / "node.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"RabbitMQ did not start on port {port}:\n{tail}")
            time.sleep(0.2)
        yield f"amqp://guest:guest@127.0.0.1:{port}/%2F"
    finally:
        stop_group(process)
        log.close()


@pytest.fixture
async def rabbitmq_factory(rabbitmq_url: str) -> AsyncIterator[Factory]:
    """Fresh stores on the test's loop, all closed (queues, exchanges deleted) afterwards."""
    made: list[Any] = []

    async def make(**options: Any) -> Any:
        made.append(await create_store(url=rabbitmq_url, prefix="tck.", **options))
        return made[-1]

    yield make
    for store in made:
        await store.aclose()


class _Rabbit:
    @pytest.fixture
    def provider_factory(self, rabbitmq_factory: Factory) -> Factory:
        return rabbitmq_factory


class TestRabbitQueueBasic(_Rabbit, BaseTestQueueBasicInterface):
    pass


class TestRabbitQueueVisibility(_Rabbit, BaseTestQueueVisibilityInterface):
    pass


class TestRabbitQueueDeadLetter(_Rabbit, BaseTestQueueDeadLetterInterface):
    pass


class TestRabbitQueuePriority(_Rabbit, BaseTestQueuePriorityInterface):
    pass


class TestRabbitQueueDelayed(_Rabbit, BaseTestQueueDelayedInterface):
    pass


class TestRabbitPubSubBasic(_Rabbit, BaseTestPubSubBasicInterface):
    pass


class TestRabbitPubSubWildcards(_Rabbit, BaseTestPubSubWildcardsInterface):
    pass


class TestRabbitPubSubFiltering(_Rabbit, BaseTestPubSubFilteringInterface):
    pass


class TestRabbitPubSubOrdering(_Rabbit, BaseTestPubSubOrderingInterface):
    pass


# -- broken stores: each real-broker bug below must be caught by the suite ----------------------
class _GreaterThanAsHash(RabbitStore):
    """Translates a final '>' to AMQP '#', which also matches zero words: the root itself."""

    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        queue = await self._subscriber(subscriber_id)
        await queue.bind(await self._topics(), routing_key=pattern.replace(">", "#"))


class _FilterMatchingAny(RabbitStore):
    """Binds filters with ``x-match = any``: one matching pair is enough."""

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        await self._topics()
        queue = await self._subscriber(subscriber_id)
        await queue.bind(f"{self._ns}attributes", arguments={"x-match": "any", **filter})


class _PriorityIgnored(RabbitStore):
    """Enqueues every message at the same AMQP priority."""

    async def queue_enqueue_with_priority(
        self, queue: str, payload: bytes, priority: int, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self.queue_enqueue(queue, payload, metadata)


class _QueueDelayAsPerMessageTtl(RabbitStore):
    """One waiting queue per queue, a TTL per message: the head blocks earlier-due messages."""

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        target = await self._queue(queue)
        waiting = await self._declare_queue(
            self._name("delay", queue),
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": target.name},
        )
        message_id, message = self._message(payload, 10, metadata)
        message.expiration = delay
        await self._channel.default_exchange.publish(message, routing_key=waiting.name)
        return message_id


BROKEN: list[tuple[type[RabbitStore], Callable[[Factory], Awaitable[None]]]] = [
    (
        _GreaterThanAsHash,
        BaseTestPubSubWildcardsInterface().test_gt_matches_one_or_more_trailing_tokens,
    ),
    (_FilterMatchingAny, BaseTestPubSubFilteringInterface().test_every_filter_pair_must_match),
    (_PriorityIgnored, BaseTestQueuePriorityInterface().test_higher_priority_first),
    (
        _QueueDelayAsPerMessageTtl,
        BaseTestQueueDelayedInterface().test_earlier_due_is_not_held_back,
    ),
]


@pytest.mark.parametrize(("broken", "test"), BROKEN, ids=[b.__name__ for b, _ in BROKEN])
async def test_the_suites_catch_a_broken_rabbitmq_store(
    rabbitmq_url: str, broken: type[RabbitStore], test: Callable[[Factory], Awaitable[None]]
) -> None:
    made: list[RabbitStore] = []

    async def make(**options: Any) -> RabbitStore:
        connection, channel = await connect(rabbitmq_url)
        made.append(broken(connection, channel, "tck.", **options))
        return made[-1]

    try:
        with pytest.raises(AssertionError):
            await test(make)
    finally:
        for store in made:
            await store.aclose()


# -- the broker: producer, consumer and delayed messaging, through omnicloud's adapter ---------
_ENDPOINT: dict[str, str] = {}


def _broker_fixture(contract: str) -> Any:
    runtime = ProviderRuntime(
        f"rabbitmq-{contract}",
        CONTRACTS[contract],
        create_broker,
        {"prefix": "tck."},
        resolve=lambda raw: {**raw, "url": _ENDPOINT["url"]},
    )
    return build_fixtures(runtime)["provider_factory"]


class _OnRabbit:
    @pytest.fixture(autouse=True)
    def _endpoint(self, rabbitmq_url: str) -> Iterator[None]:
        _ENDPOINT["url"] = rabbitmq_url
        yield
        _ENDPOINT.clear()


class TestRabbitProducer(_OnRabbit, BaseTestProducerContract):
    provider_factory = _broker_fixture("producer")


class TestRabbitConsumer(_OnRabbit, BaseTestConsumerContract):
    provider_factory = _broker_fixture("consumer")


class TestRabbitDelayedMessaging(_OnRabbit, BaseTestDelayedMessagingContract):
    provider_factory = _broker_fixture("delayed_messaging")


class _DelayAsPerMessageTtl(RabbitBroker):
    """The design docs/backends/rabbitmq.md rejects: one delay queue, a TTL per message."""

    async def put_delayed(self, topic: str, message: Any, delay_ms: int) -> None:
        target = await self._topic_queue(topic)
        waiting = await self._declare_queue(
            self._name("delay", topic),
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": target.name},
        )
        message.expiration = delay_ms / 1000
        await self._channel.default_exchange.publish(message, routing_key=waiting.name)


async def test_the_delayed_suite_catches_per_message_ttl_head_of_line_blocking(
    rabbitmq_url: str,
) -> None:
    connection, channel = await connect(rabbitmq_url)
    broker = _DelayAsPerMessageTtl(connection, channel, "tck.")
    publisher = broker.delayed_publisher()

    async def get_message(topic: str) -> Any:
        while (found := await broker.get_message(topic, 1.0)) is None:
            pass
        return found

    try:
        with pytest.raises(pytest.fail.Exception):
            await BaseTestDelayedMessagingContract().test_earlier_due_message_is_not_held_back(
                (publisher.publish, get_message)
            )
    finally:
        await broker.aclose()


def test_every_claimed_interface_has_a_suite_class_here() -> None:
    tested = {
        cls.interface
        for cls in globals().values()
        if isinstance(cls, type) and issubclass(cls, _Rabbit) and issubclass(cls, InterfaceSuite)
    }
    assert tested == set(IMPLEMENTS)
    assert set(IMPLEMENTS) <= set(INTERFACES)
