"""In-memory resilience providers are private by default and shared within a namespace."""

from __future__ import annotations

import uuid

from omnicloud.providers.memory.lock import InMemoryLockManager
from omnicloud.providers.memory.outbox import InMemoryOutbox
from omnicloud.providers.memory.sagas import InMemorySagaRepository
from tck_py.shared.models import OutboxEvent, SagaState


def _namespace() -> str:
    return f"test-{uuid.uuid4()}"


async def test_outbox_instances_share_a_namespace_and_nothing_else() -> None:
    namespace = _namespace()
    writer, relay = InMemoryOutbox(namespace=namespace), InMemoryOutbox(namespace=namespace)
    await writer.save_event(OutboxEvent("orders", b"created", aggregate_key="order-1"))
    await relay.save_event(OutboxEvent("orders", b"paid", aggregate_key="order-1"))
    records = await relay.get_pending_events_for_aggregate("order-1")
    assert [(r["sequence_id"], r["payload"]) for r in records] == [(1, b"created"), (2, b"paid")]
    assert await InMemoryOutbox().get_pending_aggregate_keys() == []
    assert await InMemoryOutbox(namespace=_namespace()).get_pending_aggregate_keys() == []


async def test_saga_repositories_share_a_namespace_and_nothing_else() -> None:
    namespace = _namespace()
    saga = SagaState("saga-1", "RUNNING", 0, [], {}, 0)
    await InMemorySagaRepository(namespace=namespace).create_state(saga)
    stored = await InMemorySagaRepository(namespace=namespace).get_state("saga-1")
    assert stored is not None
    assert stored.version == 1
    assert await InMemorySagaRepository().get_state("saga-1") is None


async def test_lock_managers_share_a_namespace_and_nothing_else() -> None:
    namespace = _namespace()
    first = InMemoryLockManager(namespace=namespace).get_lock("job", ttl=10)
    assert await first.acquire() is True
    assert await InMemoryLockManager(namespace=namespace).get_lock("job", ttl=10).acquire() is False
    assert await InMemoryLockManager().get_lock("job", ttl=10).acquire() is True
    await first.release()
    assert await InMemoryLockManager(namespace=namespace).get_lock("job", ttl=10).acquire() is True
