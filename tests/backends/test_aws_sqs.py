"""SQS (moto) against the queue interface suites it declares, and what no SQS provider can pass.

The provider (``omnicloud.providers.aws:create_queues``) declares queue_basic, queue_visibility,
queue_dead_letter and queue_delayed; queue_basic and queue_dead_letter are expected failures of
kind "never": SQS has no peek that is not a delivery. Here each suite runs on the session's
moto_server (fixture ``moto_url`` in conftest.py): every test passes except the two peek tests,
strict expected failures, so a change in SQS or moto that made them pass is noticed. Fast tests
pin the SQS behaviours the decisions rest on, and broken SQS wrappers show the suites catch what
a naive one gets wrong.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from omnicloud.providers.aws import IMPLEMENTS, NEVER, SqsQueues, create_queues
from suite_marks import marked
from tck_py.interfaces.queue import (
    BaseTestQueueBasicInterface,
    BaseTestQueueDeadLetterInterface,
    BaseTestQueueDelayedInterface,
    BaseTestQueueVisibilityInterface,
)

# One worker runs every AWS test: one moto_server (about 4 s of CPU to start) instead of one
# per worker.
pytestmark = [pytest.mark.services("moto"), pytest.mark.xdist_group("aws")]

Factory = Callable[..., Awaitable[Any]]
ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"region": "us-east-1", "access_key_id": "testing", "secret_access_key": "testing"}


def _options(url: str) -> dict[str, Any]:
    return {"endpoint_url": url, "prefix": "tck-", **CREDENTIALS}


@pytest.fixture
async def sqs_factory(moto_url: str) -> AsyncIterator[Factory]:
    """Fresh SQS providers (each under a random namespace), closed after the test."""
    made: list[Any] = []

    async def make(cls: type[SqsQueues] = SqsQueues) -> Any:
        made.append(await create_queues(**_options(moto_url)))
        made[-1].__class__ = cls  # a broken wrapper: the real provider, one method replaced
        return made[-1]

    yield make
    for provider in reversed(made):
        await provider.aclose()


def _never(test: Any, interface: str) -> Any:
    return marked(test, pytest.mark.xfail(reason=NEVER[interface], strict=True))


class _Sqs:
    @pytest.fixture
    def provider_factory(self, sqs_factory: Factory) -> Factory:
        return sqs_factory


# A few hundred SQS calls (12 examples of up to 20 steps, a queue created per example): slow.
_MACHINE = marked(BaseTestQueueBasicInterface.test_matches_a_deque_model, pytest.mark.slow)


class TestSqsQueueBasic(_Sqs, BaseTestQueueBasicInterface):
    test_peek_does_not_remove = _never(
        BaseTestQueueBasicInterface.test_peek_does_not_remove, "queue_basic"
    )
    test_matches_a_deque_model = _MACHINE


class TestSqsQueueVisibility(_Sqs, BaseTestQueueVisibilityInterface):
    pass


class TestSqsQueueDeadLetter(_Sqs, BaseTestQueueDeadLetterInterface):
    test_a_peek_is_not_a_delivery = _never(
        BaseTestQueueDeadLetterInterface.test_a_peek_is_not_a_delivery, "queue_dead_letter"
    )


class TestSqsQueueDelayed(_Sqs, BaseTestQueueDelayedInterface):
    pass


def test_the_configuration_declares_what_this_module_certifies() -> None:
    config = tomllib.loads((ROOT / "omnicloud.toml").read_text(encoding="utf-8"))
    sqs = config["providers"]["aws-sqs"]
    assert tuple(sqs["implements"]) == IMPLEMENTS
    expected = {name: entry["kind"] for name, entry in sqs["expected_failures"].items()}
    assert expected == dict.fromkeys(NEVER, "never")


# -- what SQS does, on which the decisions rest (docs/backends/aws.md) ---------------------------


async def test_a_peek_is_a_receive(sqs_factory: Factory) -> None:
    """No peek without a receive: the peek counts in ApproximateReceiveCount."""
    queues = await sqs_factory()
    await queues.queue_enqueue("q", b"head")
    peeked = await queues.queue_peek("q")
    taken = await queues.queue_dequeue("q")
    assert peeked is not None
    assert taken is not None
    assert (peeked.message_id, taken.delivery_count) == (taken.message_id, 2)


async def test_a_peeked_message_is_dead_lettered_by_the_redrive(sqs_factory: Factory) -> None:
    """With maxReceiveCount 1, a message peeked once goes to the dead-letter queue on the next
    receive: no consumer ever had it."""
    queues = await sqs_factory()
    await queues.queue_configure_dead_letter("q", "dlq", 1)
    await queues.queue_enqueue("q", b"job")
    assert await queues.queue_peek("q") is not None
    assert await queues.queue_dequeue_with_timeout("q", 30) is None
    assert [m.payload for m in await queues.queue_get_dead_letters("q")] == [b"job"]


async def test_fifo_queues_refuse_per_message_delays(sqs_factory: Factory) -> None:
    """Why delayed messages wait in a standard queue: a FIFO queue refuses DelaySeconds."""
    queues = await sqs_factory()
    with pytest.raises(Exception, match="DelaySeconds"):
        await queues._sqs.send_message(
            QueueUrl=await queues._url("q"),
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d",
            DelaySeconds=1,
        )


async def test_visibility_is_counted_in_whole_seconds(sqs_factory: Factory) -> None:
    """Why the suite waits out 1 s leases: a message taken for 0.1 s is hidden a whole second
    (the provider refuses its acknowledgement after 0.1 s, yet it is not visible again)."""
    queues = await sqs_factory()
    await queues.queue_enqueue("q", b"job")
    taken = await queues.queue_dequeue_with_timeout("q", 0.1)
    assert taken is not None
    await asyncio.sleep(0.4)
    assert await queues.queue_ack("q", taken.message_id) is False
    assert await queues.queue_dequeue_with_timeout("q", 30) is None


async def test_a_delayed_message_keeps_its_id_and_metadata(sqs_factory: Factory) -> None:
    queues = await sqs_factory()
    message_id = await queues.queue_enqueue_delayed("q", b"later", 0.5, {"k": "v"})
    await asyncio.sleep(1.2)
    taken = await queues.queue_dequeue("q")
    assert taken is not None
    assert (taken.message_id, dict(taken.metadata), taken.payload) == (
        message_id,
        {"k": "v"},
        b"later",
    )


async def test_a_delay_above_sqs_s_ceiling_is_refused(sqs_factory: Factory) -> None:
    queues = await sqs_factory()
    with pytest.raises(ValueError, match="at most 900"):
        await queues.queue_enqueue_delayed("q", b"x", 901)


# -- broken wrappers: what a naive SQS wrapper gets wrong ---------------------------------------


class AckByReceiptAlone(SqsQueues):
    """Acknowledges with the receipt handle whenever it has one: SQS deletes a message by a
    stale handle even after its lease ran out (and another consumer may hold it)."""

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        held = self._held.pop((queue, message_id), None)
        if held is None:
            return False
        await self._sqs.delete_message(QueueUrl=await self._url(queue), ReceiptHandle=held[0])
        return True


class DelayIgnoredOnFifo(SqsQueues):
    """Sends a delayed message straight to the FIFO queue (which refuses DelaySeconds)."""

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Any = None
    ) -> str:
        return await self.queue_enqueue(queue, payload, metadata)


class RedriveNotSet(SqsQueues):
    """Remembers the dead-letter queue but never sets the source queue's RedrivePolicy."""

    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        await self._url(dead_letter_queue)
        self._dead_letters[queue] = dead_letter_queue


async def _fails(test: Callable[[Factory], Awaitable[None]], factory: Factory) -> None:
    with pytest.raises(AssertionError):
        await test(factory)


async def test_the_suites_catch_broken_sqs_wrappers(sqs_factory: Factory) -> None:
    def broken(cls: type[SqsQueues]) -> Factory:
        return lambda: sqs_factory(cls)

    await _fails(
        BaseTestQueueVisibilityInterface().test_ack_after_the_timeout_is_refused,
        broken(AckByReceiptAlone),
    )
    await _fails(
        BaseTestQueueDelayedInterface().test_the_longest_shared_delay_is_honoured,
        broken(DelayIgnoredOnFifo),
    )
    await _fails(
        BaseTestQueueDeadLetterInterface().test_exactly_max_deliveries_then_dead_letter,
        broken(RedriveNotSet),
    )
