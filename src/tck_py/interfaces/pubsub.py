"""PubSub interfaces: basic, wildcards, persistent, filtering, ordering.

A subscriber is an id; ``receive(subscriber_id, timeout)`` returns its next message or ``None``.
Timing: "nothing arrives" checks wait 0.2 s; deliveries are awaited for up to 2 s.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tck_py.interfaces._support import InterfaceSuite, ProviderFactory, drain, unique

WAIT = 2.0
QUIET = 0.2


async def _drain(p: Any, subscriber: str, count: int) -> list[Any]:
    """Receive ``count`` messages, failing if one does not arrive within ``WAIT``."""
    received = []
    for index in range(count):
        message = await asyncio.wait_for(p.receive(subscriber, WAIT), WAIT + 5)
        assert message is not None, f"message {index + 1} of {count} never arrived"
        received.append(message)
    return received


async def _nothing(p: Any, subscriber: str) -> bool:
    return await asyncio.wait_for(p.receive(subscriber, QUIET), QUIET + 5) is None


class BaseTestPubSubBasicInterface(InterfaceSuite):
    """pubsub_basic: publish, subscribe, unsubscribe, receive."""

    interface = "pubsub_basic"

    async def test_subscriber_receives_payload_metadata_and_id(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        before = time.time()
        message_id = await p.publish(topic, b"hello", {"kind": "greeting"})
        (message,) = await _drain(p, sub, 1)
        assert (message.topic, bytes(message.payload)) == (topic, b"hello")
        assert dict(message.metadata) == {"kind": "greeting"}
        assert message.message_id == message_id
        assert message_id
        assert abs(message.timestamp - before) < 300  # seconds since the epoch, not millis

    async def test_messages_before_subscribe_are_not_delivered(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.publish(topic, b"early")
        await p.subscribe(topic, sub)
        await p.publish(topic, b"late")
        (message,) = await _drain(p, sub, 1)
        assert bytes(message.payload) == b"late"
        assert await _nothing(p, sub)

    async def test_every_subscriber_gets_every_message(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic = await provider_factory(), unique("t")
        subs = [unique("s") for _ in range(3)]
        for sub in subs:
            await p.subscribe(topic, sub)
        await p.publish(topic, b"m1")
        await p.publish(topic, b"m2")
        for sub in subs:
            assert [bytes(m.payload) for m in await _drain(p, sub, 2)] == [b"m1", b"m2"]

    async def test_order_is_preserved(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        for i in range(30):
            await p.publish(topic, f"{i}".encode())
        got = [bytes(m.payload) for m in await _drain(p, sub, 30)]
        assert got == [f"{i}".encode() for i in range(30)]

    async def test_topics_are_isolated(self, provider_factory: ProviderFactory) -> None:
        p, t1, t2, sub = await provider_factory(), unique("t"), unique("t"), unique("s")
        await p.subscribe(t1, sub)
        await p.publish(t2, b"other")
        await p.publish(t1 + "x", b"longer name")
        assert await _nothing(p, sub)

    async def test_unsubscribe_stops_only_that_subscriber(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, gone, stays = await provider_factory(), unique("t"), unique("s"), unique("s")
        await p.subscribe(topic, gone)
        await p.subscribe(topic, stays)
        await p.unsubscribe(topic, gone)
        await p.publish(topic, b"after")
        assert await _nothing(p, gone)
        assert [bytes(m.payload) for m in await _drain(p, stays, 1)] == [b"after"]

    async def test_subscribing_twice_delivers_once(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        await p.subscribe(topic, sub)
        await p.publish(topic, b"once")
        await _drain(p, sub, 1)
        assert await _nothing(p, sub)

    async def test_receive_times_out_with_none(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        assert await _nothing(p, sub)

    @pytest.mark.parametrize("payload", [b"", bytes(range(256)), b"x" * 65536])
    async def test_payloads_round_trip(
        self, provider_factory: ProviderFactory, payload: bytes
    ) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        await p.publish(topic, payload)
        (message,) = await _drain(p, sub, 1)
        assert bytes(message.payload) == payload

    async def test_metadata_is_copied_at_publish(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        metadata = {"a": "1"}
        await p.publish(topic, b"m", metadata)
        metadata["a"] = "changed"
        (message,) = await _drain(p, sub, 1)
        assert dict(message.metadata) == {"a": "1"}

    async def test_concurrent_publishers_lose_nothing(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)

        async def publisher(n: int) -> list[str]:
            return [await p.publish(topic, f"{n}:{i}".encode()) for i in range(20)]

        ids = [
            i for batch in await asyncio.gather(*(publisher(n) for n in range(5))) for i in batch
        ]
        got = await _drain(p, sub, 100)
        assert len(set(ids)) == 100
        assert sorted(bytes(m.payload) for m in got) == sorted(
            f"{n}:{i}".encode() for n in range(5) for i in range(20)
        )
        assert await _nothing(p, sub)


class BaseTestPubSubWildcardsInterface(InterfaceSuite):
    """pubsub_wildcards: '*' is one token, a final '>' one or more tokens."""

    interface = "pubsub_wildcards"

    async def _topics_for(self, pattern: str, topics: list[str], p: Any) -> list[str]:
        sub = unique("s")
        await p.subscribe_pattern(pattern, sub)
        for topic in topics:
            await p.publish(topic, topic.encode())
        received = await drain(lambda: p.receive(sub, QUIET), limit=100)
        for message in received:
            assert message.topic == bytes(message.payload).decode()
        return [m.topic for m in received]

    async def test_star_matches_exactly_one_token(self, provider_factory: ProviderFactory) -> None:
        p, root = await provider_factory(), unique("r")
        topics = [f"{root}.a", f"{root}.a.b", root, f"{root}.b", f"{root}x.a"]
        assert await self._topics_for(f"{root}.*", topics, p) == [f"{root}.a", f"{root}.b"]

    async def test_star_in_the_middle(self, provider_factory: ProviderFactory) -> None:
        p, root = await provider_factory(), unique("r")
        topics = [f"{root}.a.end", f"{root}.b.end", f"{root}.a.other", f"{root}.a.b.end"]
        got = await self._topics_for(f"{root}.*.end", topics, p)
        assert got == [f"{root}.a.end", f"{root}.b.end"]

    async def test_gt_matches_one_or_more_trailing_tokens(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, root = await provider_factory(), unique("r")
        topics = [root, f"{root}.a", f"{root}.a.b.c", f"{root}x.a"]
        got = await self._topics_for(f"{root}.>", topics, p)
        assert got == [f"{root}.a", f"{root}.a.b.c"]

    async def test_a_literal_pattern_matches_only_itself(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, root = await provider_factory(), unique("r")
        got = await self._topics_for(f"{root}.a", [f"{root}.a", f"{root}.ab", f"{root}.a.b"], p)
        assert got == [f"{root}.a"]

    async def test_unsubscribe_pattern_stops_delivery(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, root, sub = await provider_factory(), unique("r"), unique("s")
        await p.subscribe_pattern(f"{root}.*", sub)
        await p.unsubscribe_pattern(f"{root}.*", sub)
        await p.publish(f"{root}.a", b"x")
        assert await _nothing(p, sub)


class BaseTestPubSubPersistentInterface(InterfaceSuite):
    """pubsub_persistent: durable cursors over stored messages."""

    interface = "pubsub_persistent"

    async def _next(self, p: Any, topic: str, name: str) -> bytes | None:
        message = await asyncio.wait_for(p.receive_durable(topic, name, QUIET), QUIET + 5)
        return None if message is None else bytes(message.payload)

    async def test_messages_published_before_subscribing_are_delivered(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, name = await provider_factory(), unique("t"), unique("d")
        for i in range(3):
            await p.publish_persistent(topic, f"m{i}".encode())
        await p.subscribe_durable(topic, name)
        assert [await self._next(p, topic, name) for _ in range(4)] == [b"m0", b"m1", b"m2", None]

    async def test_a_durable_subscription_resumes_where_it_stopped(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, name = await provider_factory(), unique("t"), unique("d")
        await p.subscribe_durable(topic, name)
        for i in range(4):
            await p.publish_persistent(topic, f"m{i}".encode())
        assert await self._next(p, topic, name) == b"m0"
        await p.subscribe_durable(topic, name)  # resuming must not rewind
        assert [await self._next(p, topic, name) for _ in range(3)] == [b"m1", b"m2", b"m3"]

    async def test_durable_subscriptions_are_independent(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, a, b = await provider_factory(), unique("t"), unique("d"), unique("d")
        await p.publish_persistent(topic, b"m0")
        await p.subscribe_durable(topic, a)
        await p.subscribe_durable(topic, b)
        assert await self._next(p, topic, a) == b"m0"
        assert await self._next(p, topic, b) == b"m0"

    async def test_receive_waits_for_a_new_message(self, provider_factory: ProviderFactory) -> None:
        p, topic, name = await provider_factory(), unique("t"), unique("d")
        await p.subscribe_durable(topic, name)
        waiting = asyncio.ensure_future(p.receive_durable(topic, name, WAIT))
        await asyncio.sleep(0.05)
        await p.publish_persistent(topic, b"late")
        message = await asyncio.wait_for(waiting, WAIT + 5)
        assert message is not None
        assert bytes(message.payload) == b"late"

    async def test_last_message_id(self, provider_factory: ProviderFactory) -> None:
        p, topic = await provider_factory(), unique("t")
        assert await p.get_last_message_id(topic) is None
        ids = [await p.publish_persistent(topic, f"{i}".encode(), {"i": str(i)}) for i in range(3)]
        assert len(set(ids)) == 3
        assert await p.get_last_message_id(topic) == ids[-1]

    async def test_metadata_and_ids_are_kept(self, provider_factory: ProviderFactory) -> None:
        p, topic, name = await provider_factory(), unique("t"), unique("d")
        message_id = await p.publish_persistent(topic, b"m", {"k": "v"})
        await p.subscribe_durable(topic, name)
        message = await p.receive_durable(topic, name, WAIT)
        assert message is not None
        assert (message.message_id, dict(message.metadata)) == (message_id, {"k": "v"})

    async def test_unknown_durable_name_is_a_key_error(
        self, provider_factory: ProviderFactory
    ) -> None:
        p = await provider_factory()
        with pytest.raises(KeyError):
            await p.receive_durable(unique("t"), unique("d"), QUIET)


class BaseTestPubSubFilteringInterface(InterfaceSuite):
    """pubsub_filtering: attributes at publish, exact-match filters at subscribe."""

    interface = "pubsub_filtering"

    async def _received(self, p: Any, sub: str) -> list[bytes]:
        return [bytes(m.payload) for m in await drain(lambda: p.receive(sub, QUIET), 100)]

    async def test_only_matching_messages_arrive(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe_filtered(topic, sub, {"region": "eu"})
        await p.publish_with_attributes(topic, b"eu1", {"region": "eu", "tier": "gold"})
        await p.publish_with_attributes(topic, b"us1", {"region": "us"})
        await p.publish_with_attributes(topic, b"none", {})
        await p.publish_with_attributes(topic, b"EU", {"region": "EU"})
        assert await self._received(p, sub) == [b"eu1"]

    async def test_every_filter_pair_must_match(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe_filtered(topic, sub, {"region": "eu", "tier": "gold"})
        await p.publish_with_attributes(topic, b"both", {"region": "eu", "tier": "gold"})
        await p.publish_with_attributes(topic, b"one", {"region": "eu", "tier": "free"})
        assert await self._received(p, sub) == [b"both"]

    async def test_attributes_arrive_as_metadata(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe_filtered(topic, sub, {"a": "1"})
        await p.publish_with_attributes(topic, b"m", {"a": "1", "b": "2"})
        message = await p.receive(sub, WAIT)
        assert message is not None
        assert dict(message.metadata) == {"a": "1", "b": "2"}

    async def test_filtered_and_plain_subscribers_coexist(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic = await provider_factory(), unique("t")
        picky, everyone = unique("s"), unique("s")
        await p.subscribe_filtered(topic, picky, {"x": "1"})
        await p.subscribe(topic, everyone)
        await p.publish_with_attributes(topic, b"match", {"x": "1"})
        await p.publish_with_attributes(topic, b"miss", {"x": "2"})
        assert await self._received(p, picky) == [b"match"]
        assert await self._received(p, everyone) == [b"match", b"miss"]

    async def test_an_empty_filter_matches_everything(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe_filtered(topic, sub, {})
        await p.publish_with_attributes(topic, b"a", {"k": "v"})
        await p.publish_with_attributes(topic, b"b", {})
        assert await self._received(p, sub) == [b"a", b"b"]


class BaseTestPubSubOrderingInterface(InterfaceSuite):
    """pubsub_ordering: same-key messages arrive in publish order, even under concurrency."""

    interface = "pubsub_ordering"

    async def test_per_key_order_under_concurrent_publishers(
        self, provider_factory: ProviderFactory
    ) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)

        async def publisher(key: str) -> None:
            for i in range(20):
                await p.publish_ordered(topic, f"{key}:{i}".encode(), key)

        keys = [f"k{n}" for n in range(5)]
        await asyncio.gather(*(publisher(k) for k in keys))
        got = [bytes(m.payload).decode() for m in await _drain(p, sub, 100)]
        for key in keys:
            assert [g for g in got if g.startswith(key + ":")] == [f"{key}:{i}" for i in range(20)]

    async def test_metadata_is_delivered(self, provider_factory: ProviderFactory) -> None:
        p, topic, sub = await provider_factory(), unique("t"), unique("s")
        await p.subscribe(topic, sub)
        message_id = await p.publish_ordered(topic, b"m", "key", {"h": "v"})
        (message,) = await _drain(p, sub, 1)
        assert message.message_id == message_id
        assert dict(message.metadata).get("h") == "v"
