"""In-memory brokers are private by default and share their topics within a namespace."""

from __future__ import annotations

import uuid

from omnicloud.providers.memory.messaging import InMemoryBroker


async def test_brokers_in_one_namespace_share_topics() -> None:
    namespace = f"test-{uuid.uuid4()}"
    publisher, reader = InMemoryBroker(namespace=namespace), InMemoryBroker(namespace=namespace)
    await publisher.producer().publish(topic="orders", payload=b"created", key="order-1")
    message = await reader.get_message("orders", timeout=1.0)
    assert message is not None
    assert (message.payload, message.key) == (b"created", "order-1")


async def test_brokers_without_a_namespace_are_private() -> None:
    await InMemoryBroker().producer().publish(topic="orders", payload=b"created")
    assert await InMemoryBroker().get_message("orders", timeout=0.05) is None
