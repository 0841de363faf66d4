"""A small async client of etcd's v3 JSON gateway (``/v3/kv/range``, ``/v3/kv/txn``, leases).

etcd serves its gRPC API as JSON over HTTP; keys and values travel base64-encoded, 64-bit
numbers as strings, and fields at their default (false, 0, empty) are left out of replies.
``aiohttp`` is imported lazily, so a missing extra is one clear error.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any

from omnicloud.errors import ProviderError

DEFAULT_URL = "http://127.0.0.1:2379"


def aiohttp_module() -> Any:
    try:
        import aiohttp
    except ImportError:
        raise ProviderError(
            "the etcd providers need aiohttp, which is not installed",
            hint="pip install 'open-omni-cloud-tck[etcd]'",
        ) from None
    return aiohttp


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def range_end(prefix: bytes) -> bytes:
    """The first key after every key starting with ``prefix`` (etcd's ``--prefix``). Pure."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return b"\x00"  # etcd: from key to the end of the keyspace
    return stripped[:-1] + bytes([stripped[-1] + 1])


@dataclass(frozen=True)
class KeyValue:
    key: bytes
    value: bytes
    mod_revision: int
    lease: int


def key_values(reply: dict[str, Any]) -> list[KeyValue]:
    """The ``kvs`` of a range reply, decoded."""
    return [
        KeyValue(
            unb64(kv["key"]),
            unb64(kv.get("value", "")),
            int(kv.get("mod_revision", 0)),
            int(kv.get("lease", 0)),
        )
        for kv in reply.get("kvs", [])
    ]


def put(key: bytes, value: bytes, lease: int = 0) -> dict[str, Any]:
    """A ``request_put`` operation for a transaction."""
    body: dict[str, Any] = {"key": b64(key), "value": b64(value)}
    if lease:
        body["lease"] = str(lease)
    return {"request_put": body}


def delete(key: bytes) -> dict[str, Any]:
    return {"request_delete_range": {"key": b64(key)}}


def unchanged(key: bytes, mod_revision: int) -> dict[str, Any]:
    """A compare: ``key`` still has ``mod_revision`` (0: still absent)."""
    return {
        "key": b64(key),
        "target": "MOD",
        "result": "EQUAL",
        "mod_revision": str(mod_revision),
    }


class EtcdGateway:
    """One HTTP session to one etcd endpoint; close it with ``aclose`` on the loop that made it."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        aiohttp = aiohttp_module()
        self._url = url.rstrip("/")
        self._session = aiohttp.ClientSession(raise_for_status=True)

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        # a file-like body: aiohttp warns about (and would copy) large raw byte bodies
        data = io.BytesIO(json.dumps(body).encode("ascii"))
        headers = {"Content-Type": "application/json"}
        url = f"{self._url}/v3/{path}"
        async with self._session.post(url, data=data, headers=headers) as response:
            reply: dict[str, Any] = await response.json(content_type=None)
        return reply

    async def get(self, key: bytes) -> KeyValue | None:
        found = key_values(await self.call("kv/range", {"key": b64(key)}))
        return found[0] if found else None

    async def scan(self, prefix: bytes) -> list[KeyValue]:
        """Every key starting with ``prefix``, in byte order."""
        reply = await self.call(
            "kv/range",
            {
                "key": b64(prefix),
                "range_end": b64(range_end(prefix)),
                "sort_order": "ASCEND",
                "sort_target": "KEY",
            },
        )
        return key_values(reply)

    async def txn(
        self,
        compare: list[dict[str, Any]],
        success: list[dict[str, Any]],
        failure: list[dict[str, Any]] | None = None,
    ) -> bool:
        reply = await self.call(
            "kv/txn", {"compare": compare, "success": success, "failure": failure or []}
        )
        return bool(reply.get("succeeded", False))

    async def grant(self, ttl: int) -> int:
        return int((await self.call("lease/grant", {"TTL": str(ttl)}))["ID"])

    async def revoke(self, lease: int) -> None:
        """End ``lease`` and delete its keys; a lease that already expired is fine."""
        try:
            await self.call("lease/revoke", {"ID": str(lease)})
        except aiohttp_module().ClientResponseError as error:
            if error.status != 404:  # etcd: "requested lease not found"
                raise

    @property
    def closed(self) -> bool:
        return bool(self._session.closed)

    async def aclose(self) -> None:
        await self._session.close()
