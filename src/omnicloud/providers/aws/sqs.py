"""Amazon SQS behind the queue interfaces (``queue_*`` methods).

Each logical queue is a FIFO queue (``<prefix><namespace>-<queue>.fifo``, one message group),
created on first use; payloads travel base64-encoded, metadata as string message attributes,
and the message id this provider returns travels as the attribute ``omnicloud-id``. A message
taken with a visibility timeout is acknowledged with the receipt handle kept by this provider.

Delays: FIFO queues refuse per-message ``DelaySeconds``, so a delayed message waits in a standard
queue of its own (``<...>-<queue>-delayed``, which does take them) and is moved to the tail of
the FIFO queue by the first receive or peek on that queue after it is due (sent with the delayed
message's id as deduplication id, so a move repeated within SQS's 5-minute deduplication window
is dropped, then deleted).

What this provider can and cannot claim, and why (SQS has no peek that is not a delivery), is in
docs/backends/aws.md.
"""

from __future__ import annotations

import base64
import math
import time
import uuid
from collections.abc import Mapping
from typing import Any

from omnicloud.providers.aws._client import AwsClient, AwsOptions, error_code
from tck_py.interfaces.models import QueueMessage

_GROUP = "omnicloud"
_ID = "omnicloud-id"  # the message id this provider returns, kept when a delay moves a message
#: Error codes of a queue that does not exist (query and JSON protocols).
_NO_QUEUE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})


#: What ``[providers.aws-sqs]`` declares in omnicloud.toml (every interface builds on queue_basic).
IMPLEMENTS = ("queue_basic", "queue_visibility", "queue_dead_letter", "queue_delayed")
#: Declared as expected failures of kind "never" (by SQS's design), with the reason.
NEVER = {
    "queue_basic": "SQS has no peek that is not a delivery: a peek is a receive, counted in"
    " ApproximateReceiveCount (test_peek_does_not_remove)",
    "queue_dead_letter": "a peek is a receive, counted toward the redrive's maxReceiveCount:"
    " a peeked message can be dead-lettered before any consumer had it"
    " (test_a_peek_is_not_a_delivery)",
}
#: SQS's ceiling for ``DelaySeconds``.
MAX_DELAY = 900


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
        # queue -> until when (monotonic) a missing delay queue needs no new look: every delay
        # is at least 1 s and its queue exists before it is sent, so nothing delayed after a
        # look that found no queue can be due less than 1 s after that look began.
        self._no_delays_until: dict[str, float] = {}

    async def _url(self, queue: str) -> str:
        if queue not in self._urls:
            created = await self._sqs.create_queue(
                QueueName=f"{self.name_prefix}{queue}.fifo",
                Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
            )
            self._urls[queue] = str(created["QueueUrl"])
        return self._urls[queue]

    def _delay_name(self, queue: str) -> str:
        return f"{self.name_prefix}{queue}-delayed"

    async def _delay_url(self, queue: str) -> str:
        """The delay queue's URL, derived from the FIFO queue's (same account, region and
        endpoint): readers need not create a queue only to find it empty."""
        return (await self._url(queue)).rsplit("/", 1)[0] + "/" + self._delay_name(queue)

    async def _send(
        self, queue: str, payload: bytes, metadata: Mapping[str, str] | None, delay: int = 0
    ) -> str:
        message_id = uuid.uuid4().hex
        attributes = {
            k: {"DataType": "String", "StringValue": v}
            for k, v in {**(metadata or {}), _ID: message_id}.items()
        }
        body = base64.b64encode(bytes(payload)).decode() or "="
        if delay:
            await self._sqs.send_message(
                QueueUrl=await self._delay_queue(queue),
                MessageBody=body,
                MessageAttributes=attributes,
                DelaySeconds=delay,
            )
        else:
            await self._sqs.send_message(
                QueueUrl=await self._url(queue),
                MessageBody=body,
                MessageAttributes=attributes,
                MessageGroupId=_GROUP,
                MessageDeduplicationId=message_id,
            )
        return message_id

    async def _delay_queue(self, queue: str) -> str:
        key = f"{queue}\0delayed"
        if key not in self._urls:
            created = await self._sqs.create_queue(QueueName=self._delay_name(queue))
            self._urls[key] = str(created["QueueUrl"])
        self._no_delays_until.pop(queue, None)
        return self._urls[key]

    async def _move_due(self, queue: str) -> None:
        """Due delayed messages to the tail of the FIFO queue (see the module doc)."""
        started = time.monotonic()
        if started < self._no_delays_until.get(queue, 0.0):
            return
        try:
            received = await self._sqs.receive_message(
                QueueUrl=await self._delay_url(queue),
                MaxNumberOfMessages=10,
                VisibilityTimeout=30,
                MessageAttributeNames=["All"],
            )
        except Exception as exc:
            if error_code(exc) in _NO_QUEUE:  # nothing was ever delayed on this queue
                self._no_delays_until[queue] = started + 1.0
                return
            raise
        for raw in received.get("Messages") or []:
            attributes = raw.get("MessageAttributes") or {}
            await self._sqs.send_message(
                QueueUrl=await self._url(queue),
                MessageBody=raw["Body"],
                MessageAttributes=attributes,
                MessageGroupId=_GROUP,
                MessageDeduplicationId=str(attributes[_ID]["StringValue"]),
            )
            await self._sqs.delete_message(
                QueueUrl=await self._delay_url(queue), ReceiptHandle=raw["ReceiptHandle"]
            )

    async def _receive(self, queue: str, visibility: int) -> dict[str, Any] | None:
        await self._move_due(queue)
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
        attributes = {
            k: str(v.get("StringValue", ""))
            for k, v in (raw.get("MessageAttributes") or {}).items()
        }
        return QueueMessage(
            message_id=attributes.pop(_ID, str(raw["MessageId"])),
            payload=b"" if body == "=" else base64.b64decode(body),
            metadata=attributes,
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
        # The lease is counted from before the request: SQS's own clock starts later, so this
        # provider never acknowledges a message SQS has already made visible again.
        started = time.monotonic()
        raw = await self._receive(queue, _seconds(visibility_timeout))
        if raw is None:
            return None
        message = self._message(raw)
        deadline = started + visibility_timeout
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
        try:
            await self._sqs.delete_message(QueueUrl=await self._url(queue), ReceiptHandle=receipt)
        except Exception as exc:
            if error_code(exc) == "ReceiptHandleIsInvalid":  # SQS ended the lease first
                return False
            raise
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
        if delay > MAX_DELAY:
            raise ValueError(f"SQS delays messages for at most {MAX_DELAY} s, got {delay}")
        return await self._send(queue, payload, metadata, delay=_seconds(delay))

    async def queue_scheduled_count(self, queue: str) -> int:
        """Messages not yet due: the delay queue's ``ApproximateNumberOfMessagesDelayed`` (exact
        on moto; approximate and eventually consistent on AWS, see docs/backends/aws.md)."""
        try:
            attributes = await self._sqs.get_queue_attributes(
                QueueUrl=await self._delay_url(queue),
                AttributeNames=["ApproximateNumberOfMessagesDelayed"],
            )
        except Exception as exc:
            if error_code(exc) in _NO_QUEUE:
                return 0
            raise
        return int(attributes["Attributes"].get("ApproximateNumberOfMessagesDelayed", 0))

    async def aclose(self) -> None:
        await self._client.aclose()


async def create_queues(namespace: str | None = None, **options: Any) -> SqsQueues:
    """Factory for ``factory = "omnicloud.providers.aws:create_queues"`` (see the module doc)."""
    settings = AwsOptions(**options)
    client = await AwsClient.open("sqs", settings)
    return SqsQueues(client, f"{settings.prefix}{namespace or uuid.uuid4().hex[:12]}-")
