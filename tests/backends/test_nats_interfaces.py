"""The NATS store certified by every interface suite it claims, against a real nats-server.

One nats-server with JetStream per test session, started by the process provisioner (the
``nats`` service kind: a free port, a private store directory), stopped at the end. Each
test's providers are created and closed on the test's loop; each takes a fresh namespace, so
tests never see each other's streams.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.providers.nats import IMPLEMENTS, NatsStore, create_store
from omnicloud.providers.nats._base import connect
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from service_guard import require_binary
from tck_py.interfaces._support import InterfaceSuite
from tck_py.interfaces.catalog import INTERFACES
from tck_py.interfaces.pubsub import (
    BaseTestPubSubBasicInterface,
    BaseTestPubSubOrderingInterface,
    BaseTestPubSubPersistentInterface,
    BaseTestPubSubWildcardsInterface,
)
from tck_py.interfaces.stream import (
    BaseTestStreamBasicInterface,
    BaseTestStreamConsumerGroupsInterface,
    BaseTestStreamPartitioningInterface,
    BaseTestStreamReplayInterface,
    BaseTestStreamRetentionInterface,
)

pytestmark = [pytest.mark.services("nats"), pytest.mark.xdist_group("nats")]

Factory = Callable[..., Awaitable[Any]]


CONFIG = """
[project]
default_environment = "local"
[services.nats]
recipe = "nats"
[environments.local]
provisioner = "process"
"""


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """A nats-server with JetStream started by the process provisioner for this session (free
    port, private store directory); stopped, its files removed, at the end."""
    require_binary("nats-server", "nats-server")
    with tempfile.TemporaryDirectory(prefix="omnicloud-nats-backend-") as state:
        path = Path(state) / "omnicloud.toml"
        path.write_text(CONFIG, encoding="utf-8")
        config = parse_config(CONFIG, path, environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:  # only the start reads it
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            yield str(env.endpoints()["nats"]["url"])


@pytest.fixture
async def nats_factory(nats_url: str) -> AsyncIterator[Factory]:
    """Fresh stores on the test's loop, all closed (streams deleted) after the test."""
    made: list[Any] = []

    async def make(**options: Any) -> Any:
        store = await create_store(url=nats_url, prefix="tck-", storage="memory", **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.aclose()


class _Nats:
    @pytest.fixture
    def provider_factory(self, nats_factory: Factory) -> Factory:
        return nats_factory


class TestNatsStreamBasic(_Nats, BaseTestStreamBasicInterface):
    pass


class TestNatsStreamConsumerGroups(_Nats, BaseTestStreamConsumerGroupsInterface):
    pass


class TestNatsStreamReplay(_Nats, BaseTestStreamReplayInterface):
    pass


class TestNatsStreamRetention(_Nats, BaseTestStreamRetentionInterface):
    pass


class TestNatsStreamPartitioning(_Nats, BaseTestStreamPartitioningInterface):
    pass


class TestNatsPubSubBasic(_Nats, BaseTestPubSubBasicInterface):
    pass


class TestNatsPubSubWildcards(_Nats, BaseTestPubSubWildcardsInterface):
    pass


class TestNatsPubSubPersistent(_Nats, BaseTestPubSubPersistentInterface):
    pass


class TestNatsPubSubOrdering(_Nats, BaseTestPubSubOrderingInterface):
    pass


def test_every_claimed_interface_has_a_suite_class_here() -> None:
    tested = {
        cls.interface
        for cls in globals().values()
        if isinstance(cls, type) and issubclass(cls, _Nats) and issubclass(cls, InterfaceSuite)
    }
    assert tested == set(IMPLEMENTS)
    assert set(IMPLEMENTS) <= set(INTERFACES)


# -- broken stores: each real-server bug below must be caught by the suite ----------------------
class _WildcardTooWide(NatsStore):
    """Turns every '*' into '>': a pattern then matches deeper topics too."""

    async def subscribe_pattern(self, pattern: str, subscriber_id: str) -> None:
        wide = ".".join(
            ">" if t == "*" and i == len(pattern.split(".")) - 1 else t
            for i, t in enumerate(pattern.split("."))
        )
        await super().subscribe_pattern(wide, subscriber_id)


class _GroupWithoutSharing(NatsStore):
    """Gives every member its own cursor: the group no longer splits its records."""

    async def stream_read_group(
        self, stream: str, group: str, consumer: str, limit: int = 10
    ) -> list[Any]:
        await self.stream_create_group(stream, f"{group}/{consumer}")
        return await super().stream_read_group(stream, f"{group}/{consumer}", consumer, limit)


class _DurableThatRewinds(NatsStore):
    """Deletes and re-creates the durable consumer on resume: delivery restarts at the oldest."""

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        stream, durable = self._topic_stream(topic), self._durable(durable_name)
        await self._api(f"CONSUMER.DELETE.{stream}.{durable}")
        await super().subscribe_durable(topic, durable_name)


class _CompactThatDropsEverything(NatsStore):
    """Purges the whole stream whatever the limit."""

    async def stream_compact(self, stream: str) -> int:
        return await self._purge(self._log(stream)[0], {})


BROKEN: list[tuple[type[NatsStore], Callable[[Factory], Awaitable[None]]]] = [
    (_WildcardTooWide, BaseTestPubSubWildcardsInterface().test_star_matches_exactly_one_token),
    (
        _GroupWithoutSharing,
        BaseTestStreamConsumerGroupsInterface().test_consumers_split_the_records,
    ),
    (
        _DurableThatRewinds,
        BaseTestPubSubPersistentInterface().test_a_durable_subscription_resumes_where_it_stopped,
    ),
    (
        _CompactThatDropsEverything,
        BaseTestStreamRetentionInterface().test_max_records_keeps_the_newest,
    ),
]


@pytest.mark.parametrize(("broken", "test"), BROKEN, ids=[b.__name__ for b, _ in BROKEN])
async def test_the_suites_catch_a_broken_nats_store(
    nats_url: str, broken: type[NatsStore], test: Callable[[Factory], Awaitable[None]]
) -> None:
    made: list[NatsStore] = []

    async def make(**options: Any) -> NatsStore:
        made.append(broken(await connect(nats_url), "tck-", "memory", **options))
        return made[-1]

    try:
        with pytest.raises(AssertionError):
            await test(make)
    finally:
        for store in made:
            await store.aclose()


async def test_close_deletes_every_stream_of_the_instance_and_only_those(nats_url: str) -> None:
    kept = await create_store(url=nats_url, prefix="tck-")
    try:
        closed = await create_store(url=nats_url, prefix="tck-")
        for store in (kept, closed):
            await store.stream_append("s", b"x")
            await store.stream_create_partitions("p", 2)
            await store.publish_persistent("t", b"m")
        namespace = closed._ns
        await closed.aclose()
        answer = await kept._api("STREAM.NAMES", {"subject": f"{namespace}.>"})
        assert answer.get("streams") in (None, [])
        assert await kept.stream_latest_offset("s") == 0
    finally:
        await kept.aclose()
