"""What every NATS provider shares: one connection, a private namespace, JetStream helpers.

Names: every subject starts with the instance's namespace (``prefix`` + 8 random hex), every
JetStream stream name with the same namespace, so two instances on one server never see each
other's data, and ``aclose`` deletes exactly the streams of its own namespace.

Metadata travels in one NATS header as JSON (``Omnicloud-Metadata``), so any ``str`` key and
value survives (NATS headers themselves cannot carry newlines or colons in keys).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import hashlib
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_URL = "nats://127.0.0.1:4222"
META_HEADER = "Omnicloud-Metadata"
ID_HEADER = "Omnicloud-Id"
TIME_HEADER = "Omnicloud-Time"
STATUS_HEADER = "Status"
API = "$JS.API"
#: Seconds a JetStream API call may take before the provider gives up.
API_TIMEOUT = 10.0

_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")


def token(name: str) -> str:
    """``name`` as one subject token and stream-name part: itself when it is plain, else a
    digest (``=`` + 32 hex; ``=`` never appears in a plain name, so the two cannot collide)."""
    if _SAFE.fullmatch(name):
        return name
    return "=" + hashlib.sha256(name.encode()).hexdigest()[:32]


def namespace(prefix: str) -> str:
    """A fresh namespace under ``prefix``: the per-instance isolation key."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", prefix)
    return f"{cleaned}{uuid.uuid4().hex[:8]}"


def check_topic(topic: str, *, pattern: bool = False) -> str:
    """A topic is dot-separated non-empty tokens; wildcards only in patterns, '>' only last."""
    tokens = topic.split(".")
    for index, part in enumerate(tokens):
        wildcard = pattern and (part == "*" or (part == ">" and index == len(tokens) - 1))
        if not wildcard and not _SUBJECT_TOKEN.fullmatch(part):
            kind = "pattern" if pattern else "topic"
            raise ValueError(f"invalid {kind} {topic!r}: tokens are non-empty, no spaces")
    return topic


def encode_headers(
    metadata: Mapping[str, str] | None, message_id: str | None = None
) -> dict[str, str]:
    headers = {META_HEADER: json.dumps(dict(metadata or {})), TIME_HEADER: repr(time.time())}
    if message_id is not None:
        headers[ID_HEADER] = message_id
    return headers


def decode_metadata(headers: Mapping[str, str] | None) -> dict[str, str]:
    raw = (headers or {}).get(META_HEADER)
    return dict(json.loads(raw)) if raw else {}


def header_time(headers: Mapping[str, str] | None) -> float:
    raw = (headers or {}).get(TIME_HEADER)
    return float(raw) if raw else time.time()


class JetStreamError(RuntimeError):
    """An error answer of the JetStream API (``code``: HTTP-like, ``err_code``: NATS's own)."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"JetStream error {error.get('err_code')}: {error.get('description')}")
        self.code = int(error.get("code", 0))
        self.err_code = int(error.get("err_code", 0))


def parse_time(text: str) -> float:
    """RFC 3339 with nanoseconds (what the server writes) to seconds since the epoch."""
    whole, _, rest = text.rstrip("Z").partition(".")
    fraction = rest.split("+")[0].split("-")[0] if rest else "0"
    seconds = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.UTC).timestamp()
    return seconds + float(f"0.{fraction}")


def parse_headers(raw: bytes) -> dict[str, str]:
    """``NATS/1.0\\r\\nKey: value\\r\\n...`` to a dict (our values never hold CR/LF)."""
    lines = raw.decode().split("\r\n")[1:]
    pairs = (line.partition(":") for line in lines if ":" in line)
    return {key.strip(): value.strip() for key, _, value in pairs}


@dataclass(frozen=True)
class StoredMessage:
    """A message read back from a stream by the message-get API."""

    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]
    time: float

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> StoredMessage:
        hdrs = raw.get("hdrs")
        return cls(
            int(raw["seq"]),
            str(raw["subject"]),
            base64.b64decode(raw.get("data") or ""),
            parse_headers(base64.b64decode(hdrs)) if hdrs else {},
            parse_time(raw["time"]),
        )


def is_status(msg: Any) -> bool:
    """A JetStream control message (404 no messages, 408 expired, 409, 503 no responders)."""
    return not msg.data and STATUS_HEADER in (msg.headers or {})


class NatsBase:
    """Owns one connection and a namespace; streams are created once, deleted at close."""

    def __init__(self, nc: Any, prefix: str = "", storage: str = "file", **options: Any) -> None:
        del options  # read by the family modules
        self._nc = nc
        self._js = nc.jetstream(timeout=API_TIMEOUT)
        self._ns = namespace(prefix)
        self._storage = storage
        self._loop = asyncio.get_running_loop()
        self._creating: dict[str, asyncio.Future[None]] = {}

    def _stream_name(self, kind: str, name: str) -> str:
        return f"{self._ns}-{kind}-{token(name)}"

    async def _api(self, subject: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One JetStream API request; an API error comes back as the ``error`` member."""
        payload = json.dumps(body).encode() if body is not None else b""
        reply = await self._nc.request(f"{API}.{subject}", payload, timeout=API_TIMEOUT)
        result: dict[str, Any] = json.loads(reply.data)
        return result

    async def _ensure_stream(self, name: str, subjects: list[str], **config: Any) -> None:
        """Create stream ``name`` once per instance (concurrent callers share one request)."""
        pending = self._creating.get(name)
        if pending is None:
            pending = self._loop.create_future()
            self._creating[name] = pending
            try:
                await self._create_stream(name, subjects, config)
            except BaseException as exc:
                del self._creating[name]  # later callers try again
                if isinstance(exc, Exception):
                    pending.set_exception(exc)
                    pending.exception()  # marked retrieved: no "never retrieved" warning
                else:
                    pending.cancel()  # the creator was cancelled: so are its waiters
                raise
            pending.set_result(None)
        await asyncio.shield(pending)

    async def _create_stream(
        self, name: str, subjects: list[str], config: Mapping[str, Any]
    ) -> None:
        body = {"name": name, "subjects": subjects, "storage": self._storage, **config}
        answer = await self._api(f"STREAM.CREATE.{name}", body)
        error = answer.get("error")
        # 10058: a stream by that name exists (made by this instance earlier); anything else is
        # a real failure.
        if error and error.get("err_code") != 10058:
            raise JetStreamError(error)

    async def _stream_state(self, name: str) -> dict[str, Any] | None:
        """The stream's ``state`` (``first_seq``, ``last_seq``, ``messages``), None if absent."""
        answer = await self._api(f"STREAM.INFO.{name}")
        if "error" in answer:
            if answer["error"].get("code") == 404:
                return None
            raise JetStreamError(answer["error"])
        state: dict[str, Any] = answer["state"]
        return state

    async def _publish(
        self,
        subject: str,
        payload: bytes,
        headers: Mapping[str, str],
        expected_subject_seq: int | None = None,
    ) -> int:
        """Store one message through JetStream; its stream sequence (>= 1)."""
        if not isinstance(payload, bytes | bytearray):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        sent = dict(headers)
        if expected_subject_seq is not None:
            sent["Nats-Expected-Last-Subject-Sequence"] = str(expected_subject_seq)
        reply = await self._nc.request(subject, bytes(payload), API_TIMEOUT, headers=sent)
        answer = json.loads(reply.data)
        if "error" in answer:
            raise JetStreamError(answer["error"])
        return int(answer["seq"])

    async def _get(self, stream: str, request: Mapping[str, Any]) -> StoredMessage | None:
        """``STREAM.MSG.GET``: ``{"seq", "next_by_subj"}`` or ``{"last_by_subj"}``; None if
        there is no such message."""
        answer = await self._api(f"STREAM.MSG.GET.{stream}", request)
        if "error" in answer:
            if answer["error"].get("code") == 404:
                return None
            raise JetStreamError(answer["error"])
        return StoredMessage.from_api(answer["message"])

    async def _pull(
        self, stream: str, consumer: str, batch: int, wait: float | None = None
    ) -> list[Any]:
        """Up to ``batch`` messages from a pull consumer: what is there now (``wait`` None), or
        waiting up to ``wait`` seconds for the first one. The client waits longer than the
        server's expiry, so no pull request outlives its reader and swallows a message."""
        inbox = self._nc.new_inbox()
        sub = await self._nc.subscribe(inbox)
        body: dict[str, Any] = {"batch": batch}
        if wait is None:
            body["no_wait"] = True
        else:
            body["expires"] = max(int(wait * 1e9), 1_000_000)
        try:
            await self._nc.publish(
                f"{API}.CONSUMER.MSG.NEXT.{stream}.{consumer}",
                json.dumps(body).encode(),
                reply=inbox,
            )
            return await self._collect(sub, batch, (wait or 0.0) + API_TIMEOUT)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _collect(self, sub: Any, batch: int, seconds: float) -> list[Any]:
        messages: list[Any] = []
        deadline = time.monotonic() + seconds
        while len(messages) < batch:
            try:
                msg = await sub.next_msg(timeout=max(deadline - time.monotonic(), 0.001))
            except TimeoutError:
                break
            if is_status(msg):
                break
            messages.append(msg)
        return messages

    async def _ack(self, msg_or_reply: Any) -> None:
        """Acknowledge and wait for the server's confirmation (later reads see the ack)."""
        reply = msg_or_reply if isinstance(msg_or_reply, str) else msg_or_reply.reply
        await self._nc.request(reply, b"+ACK", timeout=API_TIMEOUT)

    async def _delete_namespace(self) -> None:
        answer = await self._api("STREAM.NAMES", {"subject": f"{self._ns}.>"})
        for name in answer.get("streams") or []:
            await self._api(f"STREAM.DELETE.{name}")

    async def aclose(self) -> None:
        """Delete this instance's streams and close the connection (on the loop that made it;
        from another loop the connection is left to its own, closed, loop)."""
        if self._loop.is_closed() or self._loop is not asyncio.get_running_loop():
            return
        try:
            if not self._nc.is_closed:
                await self._delete_namespace()
        finally:
            await self._nc.close()


async def connect(url: str, **options: Any) -> Any:
    """A connection to ``url`` that fails fast (no endless reconnect) when nothing answers."""
    settings = {
        "connect_timeout": 2,
        "max_reconnect_attempts": 2,
        "reconnect_time_wait": 0.2,
        "allow_reconnect": False,
        **options,
    }
    from omnicloud.providers.nats._client import nats_module

    return await nats_module().connect(url, **settings)
