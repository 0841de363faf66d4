"""The NATS store certified by every interface suite it claims, against a real nats-server.

One nats-server with JetStream per test session, started by the process provisioner (the
``nats`` service kind: a free port, a private store directory), stopped at the end. Each
test's providers are created and closed on the test's loop; each takes a fresh namespace, so
tests never see each other's streams.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from backend_suites import Opener, StoreProvider, closing_factory, process_service

from omnicloud.providers.nats import IMPLEMENTS, NatsStore, create_store
from omnicloud.providers.nats._base import connect
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


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """A nats-server with JetStream started by the process provisioner for this session (free
    port, private store directory); stopped, its files removed, at the end."""
    require_binary("nats-server", "nats-server")
    with process_service("nats") as endpoint:
        yield str(endpoint["url"])


@pytest.fixture
def open_store(nats_url: str) -> Opener:
    """Fresh stores on the test's loop (closed, streams deleted, after the test)."""
    return functools.partial(create_store, url=nats_url, prefix="tck-", storage="memory")


class TestNatsStreamBasic(StoreProvider, BaseTestStreamBasicInterface):
    pass


class TestNatsStreamConsumerGroups(StoreProvider, BaseTestStreamConsumerGroupsInterface):
    pass


class TestNatsStreamReplay(StoreProvider, BaseTestStreamReplayInterface):
    pass


class TestNatsStreamRetention(StoreProvider, BaseTestStreamRetentionInterface):
    pass


class TestNatsStreamPartitioning(StoreProvider, BaseTestStreamPartitioningInterface):
    pass


class TestNatsPubSubBasic(StoreProvider, BaseTestPubSubBasicInterface):
    pass


class TestNatsPubSubWildcards(StoreProvider, BaseTestPubSubWildcardsInterface):
    pass


class TestNatsPubSubPersistent(StoreProvider, BaseTestPubSubPersistentInterface):
    pass


class TestNatsPubSubOrdering(StoreProvider, BaseTestPubSubOrderingInterface):
    pass


def test_every_claimed_interface_has_a_suite_class_here() -> None:
    tested = {
        cls.interface
        for cls in globals().values()
        if isinstance(cls, type)
        and issubclass(cls, StoreProvider)
        and issubclass(cls, InterfaceSuite)
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
    async def open_broken(**options: Any) -> NatsStore:
        return broken(await connect(nats_url), "tck-", "memory", **options)

    async with closing_factory(open_broken) as factory:
        with pytest.raises(AssertionError):
            await test(factory)


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
