"""A TCP fault proxy with toxiproxy's vocabulary, owned by the run that starts it.

toxiproxy itself cannot be installed here (it is on no package registry these machines reach),
so this is a small asyncio proxy with the same words, so that users recognise it: a *toxic*
has a ``type`` (``latency`` with ``jitter``, ``bandwidth``, ``slow_close``, ``timeout``,
``reset_peer``), a ``stream`` (``upstream``: client to server, ``downstream``: server to client)
and a ``toxicity`` (the share of connections it affects). ``disable()`` cuts every connection
and refuses new ones (toxiproxy's ``enabled = false``).

The proxy runs its own event loop in a daemon thread, so a caller's loop (the provider under
test) and a synchronous caller (a test, a benchmark) drive it alike. With no toxic, bytes are
written to the other side straight from ``data_received``: no queue, no task, no copy.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

Stream = Literal["upstream", "downstream"]
T = TypeVar("T")


@dataclass(frozen=True)
class Toxic:
    """One toxic, with toxiproxy's attributes (durations in seconds, ``rate`` in KB/s)."""

    type: Literal["latency", "bandwidth", "slow_close", "timeout", "reset_peer"]
    stream: Literal["upstream", "downstream", "both"] = "both"
    latency: float = 0.0
    jitter: float = 0.0
    rate: int = 0
    delay: float = 0.0
    timeout: float = 0.0
    toxicity: float = 1.0
    name: str = field(default="", compare=False)

    def applies_to(self, stream: Stream) -> bool:
        return self.stream in ("both", stream)


class _Half(asyncio.Protocol):
    """One socket of a proxied connection; ``peer`` is the other one."""

    def __init__(self, link: _Link, stream: Stream) -> None:
        self.link = link
        self.stream = stream  # the direction of the bytes this side receives
        self.transport: asyncio.Transport | None = None
        self.queue: asyncio.Queue[tuple[float, bytes]] | None = None
        self.pump: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.stream == "upstream":  # the client's side: nothing is read until upstream is up
            self.transport.pause_reading()
            asyncio.get_running_loop().create_task(self.link.proxy.connect(self.link))

    def data_received(self, data: bytes) -> None:
        toxics = self.link.toxics(self.stream)
        if not toxics and self.queue is None:
            self.link.write(self.stream, data)
            return
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.pump = asyncio.get_running_loop().create_task(self._pump())
        self.queue.put_nowait((time.monotonic(), data))

    async def _pump(self) -> None:
        assert self.queue is not None
        while True:
            arrived, data = await self.queue.get()
            if await self.link.through_toxics(self.stream, arrived, data):
                self.link.write(self.stream, data)
            if self.queue.empty() and not self.link.toxics(self.stream):
                self.queue = None  # back to the direct path, order kept
                return

    def eof_received(self) -> bool | None:
        self.link.close_later(self.stream)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.close_later(self.stream)


class _Link:
    """A client connection and its upstream connection."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.client = _Half(self, "upstream")
        self.server = _Half(self, "downstream")
        self.closed = False
        self.dice: dict[int, bool] = {}

    def toxics(self, stream: Stream) -> list[Toxic]:
        found = []
        for toxic in self.proxy.active:
            if not toxic.applies_to(stream):
                continue
            hit = self.dice.setdefault(id(toxic), random.random() < toxic.toxicity)
            if hit:
                found.append(toxic)
        return found

    def write(self, stream: Stream, data: bytes) -> None:
        target = self.server if stream == "upstream" else self.client
        if target.transport is not None and not target.transport.is_closing():
            target.transport.write(data)

    async def through_toxics(self, stream: Stream, arrived: float, data: bytes) -> bool:
        """Apply the direction's toxics to one chunk; False when the chunk is dropped."""
        for toxic in self.toxics(stream):
            if toxic.type == "latency":
                delay = toxic.latency + random.uniform(-toxic.jitter, toxic.jitter)
                await asyncio.sleep(max(0.0, arrived + delay - time.monotonic()))
            elif toxic.type == "bandwidth":
                if toxic.rate <= 0:
                    return False
                await asyncio.sleep(len(data) / (toxic.rate * 1024))
            elif toxic.type == "timeout":
                if toxic.timeout > 0:
                    asyncio.get_running_loop().call_later(toxic.timeout, self.close)
                return False
        return True

    def close_later(self, stream: Stream) -> None:
        delay = max((t.delay for t in self.toxics(stream) if t.type == "slow_close"), default=0.0)
        if delay:
            asyncio.get_running_loop().call_later(delay, self.close)
        else:
            self.close()

    def close(self, reset: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.proxy.links.discard(self)
        for half in (self.client, self.server):
            if half.transport is None:
                continue
            if reset:
                sock = half.transport.get_extra_info("socket")
                if sock is not None:  # linger 0: close sends RST, as reset_peer does
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                half.transport.abort()
            else:
                half.transport.close()
            if half.pump is not None:
                half.pump.cancel()


class FaultProxy:
    """Listens on ``127.0.0.1:<port>`` and forwards to ``upstream``, toxics permitting.

    ```python
    with FaultProxy("127.0.0.1", 6379) as proxy:       # point the provider at proxy.port
        proxy.add(Toxic("latency", latency=0.05, jitter=0.01))
        ...
        proxy.clear()                                  # healed
    ```
    """

    def __init__(self, upstream_host: str, upstream_port: int, listen_port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listen_port = listen_port
        self.port = 0
        self.active: tuple[Toxic, ...] = ()
        self.enabled = True
        self.links: set[_Link] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        self._server = self._call(self._serve())
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # control (any thread) ------------------------------------------------------------------
    def add(self, *toxics: Toxic) -> None:
        """Add toxics; ``reset_peer`` resets every current connection (after its ``delay``)
        and every new one while it is active."""
        self._run(lambda: self._add(toxics))

    def clear(self) -> None:
        """Remove every toxic: the fault heals (dropped bytes stay dropped, as in toxiproxy)."""
        self._run(lambda: setattr(self, "active", ()))

    def disable(self) -> None:
        """Cut every connection and refuse new ones until ``enable()``."""
        self._run(self._disable)

    def enable(self) -> None:
        self._run(lambda: setattr(self, "enabled", True))

    @property
    def connections(self) -> int:
        return len(self.links)

    # inside the proxy's loop -----------------------------------------------------------------
    async def _serve(self) -> asyncio.base_events.Server:
        return await self._loop.create_server(self._accept, "127.0.0.1", self.listen_port)

    def _accept(self) -> asyncio.Protocol:
        link = _Link(self)
        self.links.add(link)
        return link.client

    async def connect(self, link: _Link) -> None:
        """Open the upstream side of a new client connection (or refuse it)."""
        if not self.enabled:
            link.close(reset=True)
            return
        transport = link.client.transport
        try:
            await self._loop.create_connection(lambda: link.server, *self.upstream)
        except OSError:
            link.close(reset=True)
            return
        if transport is not None and not transport.is_closing():
            transport.resume_reading()
        self._reset_if_toxic(link)

    def _add(self, toxics: tuple[Toxic, ...]) -> None:
        self.active = (*self.active, *toxics)
        for link in list(self.links):
            self._reset_if_toxic(link)

    def _reset_if_toxic(self, link: _Link) -> None:
        for toxic in link.toxics("upstream") + link.toxics("downstream"):
            if toxic.type == "reset_peer":
                self._loop.call_later(toxic.delay, link.close, True)
                return

    def _disable(self) -> None:
        self.enabled = False
        for link in list(self.links):
            link.close(reset=True)

    async def _shutdown(self) -> None:
        self._disable()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def _run(self, action: Callable[[], object]) -> None:
        async def run() -> None:
            action()

        self._call(run())
