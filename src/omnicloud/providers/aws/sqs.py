"""Amazon SQS behind the queue interfaces' surface (``queue_*`` methods); not certified.

Queues are FIFO queues (``<prefix><namespace>-<queue>.fifo``, one message group), created on
first use; payloads travel base64-encoded, metadata as string message attributes. A message
taken with a visibility timeout is acknowledged with the receipt handle kept by this provider.

SQS cannot honestly pass the catalog's queue suites (docs/backends/aws.md says why: no peek
that is not a delivery, FIFO message groups that let one message be in flight, visibility in
whole seconds, no per-message delay on FIFO queues), so this provider claims no interface; it
exists to measure exactly that (``omnicloud certify --probe``) and for applications that want a
pull queue over SQS with these semantics.
"""

from __future__ import annotations

import base64
import math
import time
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.aws._client import AwsClient, AwsOptions
from tck_py.interfaces.models import QueueMessage

_GROUP = "omnicloud"


def _seconds(value: float) -> int:
    """SQS counts in whole seconds: round up, never shorten what was asked for."""
    return min(43200, max(0, math.ceil(value)))


class SqsQueues:
    """The ``queue_*`` surface over SQS FIFO queues."""

    def __init__(self, client: AwsClient, name_prefix: str) -> None:
        self._client = client
        self._sqs: Any = client.client
        self.name_prefix = name_prefix
        self._urls: dict[str, str] = {}
        self._held: dict[tuple[str, str], tuple[str, float]] = {}  # receipt, lease deadline
        self._dead_letters: dict[str, str] = {}

    async def _url(self, queue: str) -> str:
        if queue not in self._urls:
            created = await self._sqs.create_queue(
                QueueName=f"{self.name_prefix}{queue}.fifo",
                Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
            )
            self._urls[queue] = str(created["QueueUrl"])
        return self._urls[queue]

    async def _send(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None, **extra: Any
    ) -> str:
        attributes = {
            k: {"DataType": "String", "StringValue": v} for k, v in (metadata or {}).items()
        }
        sent = await self._sqs.send_message(
            QueueUrl=await self._url(queue),
            MessageBody=base64.b64encode(bytes(payload)).decode() or "=",
            MessageAttributes=attributes,
            MessageGroupId=_GROUP,
            MessageDeduplicationId=uuid.uuid4().hex,
            **extra,
        )
        return str(sent["MessageId"])

    async def _receive(self, queue: str, visibility: int) -> dict[str, Any] | None:
        received = await self._sqs.receive_message(
            QueueUrl=await self._url(queue),
            MaxNumberOfMessages=1,
            VisibilityTimeout=visibility,
            AttributeNames=["ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages") or []
        return dict(messages[0]) if messages else None

    @staticmethod
    def _message(raw: Mapping[str, Any]) -> QueueMessage:
        body = str(raw["Body"])
        return QueueMessage(
            message_id=str(raw["MessageId"]),
            payload=b"" if body == "=" else base64.b64decode(body),
            metadata={
                k: str(v.get("StringValue", ""))
                for k, v in (raw.get("MessageAttributes") or {}).items()
            },
            delivery_count=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
        )

    # -- queue_basic ------------------------------------------------------------------------

    async def queue_enqueue(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._send(queue, payload, metadata)

    async def queue_dequeue(self, queue: str) -> QueueMessage | None:
        raw = await self._receive(queue, 30)
        if raw is None:
            return None
        await self._sqs.delete_message(
            QueueUrl=await self._url(queue), ReceiptHandle=raw["ReceiptHandle"]
        )
        return self._message(raw)

    async def queue_peek(self, queue: str) -> QueueMessage | None:
        raw = await self._receive(queue, 0)  # counts as a receive: SQS has no peek
        return None if raw is None else self._message(raw)

    # -- queue_visibility -------------------------------------------------------------------

    async def queue_dequeue_with_timeout(
        self, queue: str, visibility_timeout: float
    ) -> QueueMessage | None:
        if visibility_timeout <= 0:
            raise ValueError(f"visibility_timeout must be positive, got {visibility_timeout}")
        raw = await self._receive(queue, _seconds(visibility_timeout))
        if raw is None:
            return None
        message = self._message(raw)
        deadline = time.monotonic() + visibility_timeout
        self._held[(queue, message.message_id)] = (str(raw["ReceiptHandle"]), deadline)
        return message

    def _lease(self, queue: str, message_id: str) -> str | None:
        held = self._held.get((queue, message_id))
        if held is None or time.monotonic() >= held[1]:
            return None
        return held[0]

    async def queue_ack(self, queue: str, message_id: str) -> bool:
        receipt = self._lease(queue, message_id)
        self._held.pop((queue, message_id), None)
        if receipt is None:
            return False
        await self._sqs.delete_message(QueueUrl=await self._url(queue), ReceiptHandle=receipt)
        return True

    async def _change(self, queue: str, message_id: str, seconds: float) -> bool:
        receipt = self._lease(queue, message_id)
        if receipt is None:
            return False
        await self._sqs.change_message_visibility(
            QueueUrl=await self._url(queue),
            ReceiptHandle=receipt,
            VisibilityTimeout=_seconds(seconds),
        )
        return True

    async def queue_release(self, queue: str, message_id: str) -> bool:
        released = await self._change(queue, message_id, 0)
        self._held.pop((queue, message_id), None)
        return released

    async def queue_extend_visibility(
        self, queue: str, message_id: str, visibility_timeout: float
    ) -> bool:
        if not await self._change(queue, message_id, visibility_timeout):
            return False
        receipt, _ = self._held[(queue, message_id)]
        self._held[(queue, message_id)] = (receipt, time.monotonic() + visibility_timeout)
        return True

    # -- queue_dead_letter ------------------------------------------------------------------

    async def queue_configure_dead_letter(
        self, queue: str, dead_letter_queue: str, max_deliveries: int
    ) -> None:
        if max_deliveries < 1:
            raise ValueError(f"max_deliveries must be at least 1, got {max_deliveries}")
        dlq_url = await self._url(dead_letter_queue)
        attributes = await self._sqs.get_queue_attributes(
            QueueUrl=dlq_url, AttributeNames=["QueueArn"]
        )
        policy = (
            f'{{"deadLetterTargetArn": "{attributes["Attributes"]["QueueArn"]}",'
            f' "maxReceiveCount": "{max_deliveries}"}}'
        )
        await self._sqs.set_queue_attributes(
            QueueUrl=await self._url(queue), Attributes={"RedrivePolicy": policy}
        )
        self._dead_letters[queue] = dead_letter_queue

    async def queue_get_dead_letters(self, queue: str) -> list[QueueMessage]:
        dead_letter_queue = self._dead_letters.get(queue)
        if dead_letter_queue is None:
            return []
        received = await self._sqs.receive_message(
            QueueUrl=await self._url(dead_letter_queue),
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            AttributeNames=["ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        )
        return [self._message(raw) for raw in received.get("Messages") or []]

    # -- queue_delayed ----------------------------------------------------------------------

    async def queue_enqueue_delayed(
        self, queue: str, payload: bytes, delay: float, metadata: Mapping[str, str] | None = None
    ) -> str:
        if delay < 0:
            raise ValueError(f"delay must not be negative, got {delay}")
        # FIFO queues refuse per-message DelaySeconds (InvalidParameterValue): the SQS limit.
        return await self._send(queue, payload, metadata, DelaySeconds=_seconds(delay))

    async def queue_scheduled_count(self, queue: str) -> int:
        attributes = await self._sqs.get_queue_attributes(
            QueueUrl=await self._url(queue), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
        )
        return int(attributes["Attributes"].get("ApproximateNumberOfMessagesDelayed", 0))

    async def aclose(self) -> None:
        await self._client.aclose()


async def create_queues(namespace: str | None = None, **options: Any) -> SqsQueues:
    """Factory for ``factory = "omnicloud.providers.aws:create_queues"`` (see the module doc)."""
    settings = AwsOptions(**options)
    client = await AwsClient.open("sqs", settings)
    return SqsQueues(client, f"{settings.prefix}{namespace or uuid.uuid4().hex[:12]}-")
