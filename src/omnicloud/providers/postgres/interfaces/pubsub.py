"""pubsub_basic, pubsub_filtering, pubsub_ordering, pubsub_persistent with LISTEN/NOTIFY.

A message is a row (so payloads of any size fit: a ``NOTIFY`` payload is capped at 8000 bytes)
inserted by the same statement that sends ``pg_notify`` on the topic's channel with the row id;
PostgreSQL delivers a notification to every listening connection once the insert commits, in
commit order, and never to a connection that started listening later. Each store listens on its
own second connection: ``subscribe`` returns once ``LISTEN`` has run, so messages published
before it are not delivered. The listener fetches the rows it was notified of in batches, and the
same query evaluates the attribute filters (``metadata @> filter``, JSONB containment of string
pairs is exactly "every filter pair matches"), then hands each message to the mailboxes of the
topic's subscriber ids. Durable subscriptions are cursors (a row id) over the stored messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnicloud.providers.postgres._base import quote_ident
from omnicloud.providers.postgres._client import psycopg_module
from omnicloud.providers.postgres.interfaces._core import NOW, StoreCore
from tck_py.interfaces.models import Message

DDL = (
    "CREATE TABLE IF NOT EXISTS ocs_pubsub (id bigserial PRIMARY KEY, ns text NOT NULL,"
    " topic text NOT NULL, payload bytea NOT NULL, metadata jsonb NOT NULL, ts float8 NOT NULL,"
    " durable boolean NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ocs_pubsub_topic ON ocs_pubsub (ns, topic, durable, id)",
    "CREATE TABLE IF NOT EXISTS ocs_pubsub_durable (ns text NOT NULL, topic text NOT NULL,"
    " name text NOT NULL, cursor bigint NOT NULL, PRIMARY KEY (ns, topic, name))",
)
TABLES = ("ocs_pubsub", "ocs_pubsub_durable")

#: How long the listener waits for notifications before it runs queued LISTEN/UNLISTEN.
LISTEN_SLICE = 0.05
#: Polling interval of a durable receive that waits for a new message.
POLL = 0.02
#: Non-durable rows older than this are deleted (every ``CLEANUP_EVERY`` publishes).
KEEP_SECONDS = 300.0
CLEANUP_EVERY = 100

_PUBLISH = (
    "WITH m AS (INSERT INTO ocs_pubsub (ns, topic, payload, metadata, ts, durable)"
    f" VALUES (%s, %s, %s, %s, {NOW}, %s) RETURNING id)"
    " SELECT id, pg_notify(%s, id::text) FROM m"
)
# The notified rows, each with the filtered subscribers whose filter its attributes contain.
_FETCH = (
    "SELECT m.id, m.topic, m.payload, m.metadata, m.ts, (SELECT coalesce(array_agg(f.key),"
    " ARRAY[]::text[]) FROM jsonb_each(%s::jsonb -> m.topic) f WHERE m.metadata @> f.value)"
    " FROM ocs_pubsub m WHERE m.id = ANY(%s)"
)


def channel(ns: str, topic: str) -> str:
    """The notification channel of a topic: an identifier under PostgreSQL's 63-byte limit."""
    return "ocs_" + hashlib.sha256(f"{ns}/{topic}".encode()).hexdigest()[:40]


@dataclass
class _Topic:
    """Who follows a topic in this store: subscriber id -> filter (None: everything)."""

    subscribers: dict[str, dict[str, str] | None] = field(default_factory=dict)


class _Listener:
    """The store's listening connection and the task that reads its notifications."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.commands: asyncio.Queue[tuple[str, asyncio.Future[None]]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None


class PubSubMixin(StoreCore):
    _url: str
    _schema: str

    def _init_pubsub(self) -> None:
        self._topics: dict[str, _Topic] = {}
        self._channels: dict[str, str] = {}
        self._mailboxes: dict[str, asyncio.Queue[Message]] = {}
        self._listener: _Listener | None = None
        self._listener_lock = asyncio.Lock()
        self._published = 0

    # ------------------------------------------------------------------------ publishing
    async def _publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None, durable: bool
    ) -> str:
        jsonb = psycopg_module().types.json.Jsonb
        row = await self._fetchone(
            _PUBLISH,
            (
                self._ns,
                topic,
                bytes(payload),
                jsonb(dict(metadata or {})),
                durable,
                channel(self._ns, topic),
            ),
        )
        self._published += 1
        if self._published % CLEANUP_EVERY == 0:
            await self._execute(
                f"DELETE FROM ocs_pubsub WHERE ns = %s AND NOT durable AND ts < {NOW} - %s",
                (self._ns, KEEP_SECONDS),
            )
        return str(row[0])

    async def publish(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._publish(topic, payload, metadata, durable=False)

    async def publish_with_attributes(
        self, topic: str, payload: bytes, attributes: Mapping[str, str]
    ) -> str:
        return await self._publish(topic, payload, attributes, durable=False)

    async def publish_ordered(
        self,
        topic: str,
        payload: bytes,
        ordering_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Same-key order is publish order: one connection commits (and notifies) in order."""
        return await self._publish(topic, payload, metadata, durable=False)

    # ----------------------------------------------------------------------- subscribing
    async def _ensure_listener(self) -> _Listener:
        async with self._listener_lock:
            if self._listener is None:
                psycopg = psycopg_module()
                conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
                await conn.execute(
                    "SELECT set_config('search_path', %s, false)", (quote_ident(self._schema),)
                )
                listener = _Listener(conn)
                listener.task = asyncio.ensure_future(self._listen(listener))
                self._listener = listener
            return self._listener

    async def _command(self, sql: str) -> None:
        listener = await self._ensure_listener()
        if listener.error is not None:
            raise listener.error
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await listener.commands.put((sql, done))
        await done

    async def _listen(self, listener: _Listener) -> None:
        try:
            while True:
                while not listener.commands.empty():
                    sql, done = listener.commands.get_nowait()
                    try:
                        await listener.conn.execute(sql)
                    except Exception as error:
                        done.set_exception(error)
                    else:
                        done.set_result(None)
                ids = [
                    int(n.payload)
                    async for n in listener.conn.notifies(timeout=LISTEN_SLICE)
                    if n.channel in self._channels
                ]
                if ids:
                    await self._dispatch(listener.conn, ids)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # the server went away: receive must say so
            listener.error = error
            while not listener.commands.empty():
                listener.commands.get_nowait()[1].set_exception(error)

    async def _dispatch(self, conn: Any, ids: list[int]) -> None:
        filters = {
            topic: {s: f for s, f in state.subscribers.items() if f is not None}
            for topic, state in self._topics.items()
        }
        cur = await conn.execute(_FETCH, (json.dumps(filters), ids))
        rows = {row[0]: row for row in await cur.fetchall()}
        for message_id in ids:
            if message_id not in rows:
                continue
            _, topic, payload, metadata, ts, matched = rows[message_id]
            message = Message(topic, bytes(payload), dict(metadata), str(message_id), float(ts))
            state = self._topics.get(topic)
            if state is None:
                continue
            for subscriber, wanted in state.subscribers.items():
                if wanted is None or subscriber in matched:
                    self._mailbox(subscriber).put_nowait(message)

    def _mailbox(self, subscriber_id: str) -> asyncio.Queue[Message]:
        return self._mailboxes.setdefault(subscriber_id, asyncio.Queue())

    async def _follow(self, topic: str, subscriber_id: str, filter: dict[str, str] | None) -> None:
        self._mailbox(subscriber_id)
        name = channel(self._ns, topic)
        if name not in self._channels:
            await self._command(f'LISTEN "{name}"')
            self._channels[name] = topic
        self._topics.setdefault(topic, _Topic()).subscribers[subscriber_id] = filter

    async def subscribe(self, topic: str, subscriber_id: str) -> None:
        await self._follow(topic, subscriber_id, None)

    async def subscribe_filtered(
        self, topic: str, subscriber_id: str, filter: Mapping[str, str]
    ) -> None:
        await self._follow(topic, subscriber_id, {str(k): str(v) for k, v in filter.items()})

    async def unsubscribe(self, topic: str, subscriber_id: str) -> None:
        state = self._topics.get(topic)
        if state is None or state.subscribers.pop(subscriber_id, "absent") == "absent":
            return
        if not state.subscribers:
            del self._topics[topic]
            name = channel(self._ns, topic)
            self._channels.pop(name, None)
            await self._command(f'UNLISTEN "{name}"')

    async def receive(self, subscriber_id: str, timeout: float) -> Message | None:
        listener = self._listener
        if listener is not None and listener.error is not None:
            raise listener.error
        try:
            return await asyncio.wait_for(self._mailbox(subscriber_id).get(), timeout)
        except TimeoutError:
            if listener is not None and listener.error is not None:
                raise listener.error from None
            return None

    # ------------------------------------------------------------------------ persistent
    async def publish_persistent(
        self, topic: str, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> str:
        return await self._publish(topic, payload, metadata, durable=True)

    async def subscribe_durable(self, topic: str, durable_name: str) -> None:
        await self._execute(
            "INSERT INTO ocs_pubsub_durable VALUES (%s, %s, %s, 0) ON CONFLICT DO NOTHING",
            (self._ns, topic, durable_name),
        )

    async def _advance(self, topic: str, durable_name: str) -> Message | None:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "SELECT cursor FROM ocs_pubsub_durable WHERE ns = %s AND topic = %s"
                " AND name = %s FOR UPDATE",
                (self._ns, topic, durable_name),
            )
            found = await cur.fetchone()
            if found is None:
                raise KeyError(f"topic {topic!r} has no durable subscription {durable_name!r}")
            cur = await conn.execute(
                "SELECT id, payload, metadata, ts FROM ocs_pubsub WHERE ns = %s AND topic = %s"
                " AND durable AND id > %s ORDER BY id LIMIT 1",
                (self._ns, topic, found[0]),
            )
            row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute(
                "UPDATE ocs_pubsub_durable SET cursor = %s WHERE ns = %s AND topic = %s"
                " AND name = %s",
                (row[0], self._ns, topic, durable_name),
            )
            return Message(topic, bytes(row[1]), dict(row[2]), str(row[0]), float(row[3]))

    async def receive_durable(
        self, topic: str, durable_name: str, timeout: float
    ) -> Message | None:
        deadline = time.monotonic() + timeout
        while True:
            message = await self._advance(topic, durable_name)
            if message is not None or time.monotonic() >= deadline:
                return message
            await asyncio.sleep(POLL)

    async def get_last_message_id(self, topic: str) -> str | None:
        row = await self._fetchone(
            "SELECT max(id) FROM ocs_pubsub WHERE ns = %s AND topic = %s AND durable",
            (self._ns, topic),
        )
        return None if row[0] is None else str(row[0])

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        if listener.task is not None:
            listener.task.cancel()
            # cancelled, or already failed (its error was kept): closing anyway
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener.task
        await listener.conn.close()
