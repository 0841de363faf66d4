"""pubsub_persistent on Redis Streams: durable subscriptions are consumer groups.

``publish_persistent`` appends to the topic's stream (``XADD``, the stream id is the ordered
message id); a durable name is a consumer group created at the oldest stored message, so the
cursor lives on the server and survives the process; ``receive_durable`` is
``XREADGROUP ... NOACK BLOCK <timeout>`` (a message is consumed when read: the interface has no
acknowledgement).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from omnicloud.providers.redis.interfaces._core import (
    RedisCore,
    must_text,
    pack,
    response_error,
    unpack,
)
from tck_py.interfaces.models import Message


class DurablePubSubMixin(RedisCore):
    """Stored messages and server-side durable cursors."""

    def _log(self, topic: str) -> str:
        return self._key("topic-log", topic)

    async def publish_persistent(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        data = pack(payload, metadata, ts=time.time())
        return must_text(await self._client.xadd(self._log(topic), {"m": data}))

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        try:
            await self._client.xgroup_create(self._log(topic), durable_name, id="0", mkstream=True)
        except response_error() as error:
            if "BUSYGROUP" not in str(error):  # it exists: resume where it stopped
                raise

    async def receive_durable(
        self, topic: str, durable_name: str, timeout: float
    ) -> Message | None:
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout!r}")
        block = {"block": max(1, round(timeout * 1000))} if timeout > 0 else {}
        try:
            reply = await self._client.xreadgroup(
                durable_name, "reader", {self._log(topic): ">"}, count=1, noack=True, **block
            )
        except response_error() as error:
            if "NOGROUP" in str(error):
                raise KeyError(f"no durable subscription {durable_name!r} on {topic!r}") from None
            raise
        for _, entries in reply or ():
            for entry_id, fields in entries:
                header, payload = unpack(fields[b"m"])
                return Message(topic, payload, header["m"], must_text(entry_id), header["ts"])
        return None

    async def get_last_message_id(self, topic: str) -> str | None:
        newest = await self._client.xrevrange(self._log(topic), "+", "-", count=1)
        return must_text(newest[0][0]) if newest else None
