"""A TCP fault proxy with toxiproxy's vocabulary, owned by the run that starts it.

toxiproxy itself cannot be installed here (it is on no package registry these machines reach),
so this is a small proxy with the same words, so that users recognise it: a *toxic* has a
``type`` (``latency`` with ``jitter``, ``bandwidth``, ``slow_close``, ``timeout``,
``reset_peer``), a ``stream`` (``upstream``: client to server, ``downstream``: server to client)
and a ``toxicity`` (the share of connections it affects). ``disable()`` cuts every connection
and refuses new ones (toxiproxy's ``enabled = false``).

Each connection has one thread per direction, blocking in ``recv_into`` on a preallocated
buffer. With no toxic on its direction the thread writes the bytes on at once (``sendall``, no
queue, no copy, no event loop between the two sockets: the idle cost is the two extra loopback
hops, see docs/performance.md). When a toxic applies, chunks go, stamped with their arrival
time, to a queue that a second thread drains through the toxics; once the queue is empty and the
toxics are gone, the direct path resumes, order kept. The proxy's threads are daemons: a caller's
event loop (the provider under test) and a synchronous caller (a test, a benchmark) drive it
alike.
"""

from __future__ import annotations

import contextlib
import queue
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Stream = Literal["upstream", "downstream"]
BUFFER = 65536
_CHUNK = tuple[float, bytes]


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


def _later(delay: float, action: Callable[..., object], *args: object) -> None:
    timer = threading.Timer(delay, action, args)
    timer.daemon = True
    timer.start()


def _thread(target: Callable[..., object], *args: object) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


class _Pump:
    """One direction of a connection: reads ``source``, writes ``target``."""

    def __init__(self, link: _Link, stream: Stream) -> None:
        self.link = link
        self.stream = stream
        self.queue: queue.SimpleQueue[_CHUNK | None] | None = None
        self.lock = threading.Lock()

    def run(self, source: socket.socket, target: socket.socket) -> None:
        buffer = bytearray(BUFFER)
        view = memoryview(buffer)
        try:
            while count := source.recv_into(buffer):
                if self.queue is None and not self.link.toxics(self.stream):
                    target.sendall(view[:count])
                else:
                    self._enqueue(time.monotonic(), bytes(view[:count]), target)
        except OSError:
            pass  # reset or closed under us: the link closes either way
        self.link.close_later(self.stream)

    def _enqueue(self, arrived: float, data: bytes, target: socket.socket) -> None:
        with self.lock:
            if self.queue is None:
                self.queue = queue.SimpleQueue()
                _thread(self._drain, self.queue, target)
            self.queue.put((arrived, data))

    def _drain(self, chunks: queue.SimpleQueue[_CHUNK | None], target: socket.socket) -> None:
        while (chunk := chunks.get()) is not None:
            try:
                if self.link.through_toxics(self.stream, *chunk):
                    target.sendall(chunk[1])
            except OSError:
                return
            with self.lock:
                if chunks.empty() and not self.link.toxics(self.stream):
                    self.queue = None  # back to the direct path, order kept
                    return

    def stop(self) -> None:
        with self.lock:
            if self.queue is not None:
                self.queue.put(None)


class _Link:
    """A client connection and its upstream connection."""

    def __init__(self, proxy: FaultProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.server: socket.socket | None = None
        self.pumps = (_Pump(self, "upstream"), _Pump(self, "downstream"))
        self.closed = False
        self.dice: dict[int, bool] = {}
        self._lock = threading.Lock()

    def open(self) -> None:
        """Connect upstream (nothing is read from the client before), then pump both ways."""
        if not self.proxy.enabled:
            self.close(reset=True)
            return
        try:
            server = socket.create_connection(self.proxy.upstream, timeout=10)
        except OSError:
            self.close(reset=True)
            return
        server.settimeout(None)
        for sock in (self.client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self.closed:
                server.close()
                return
            self.server = server
        self.proxy.reset_if_toxic(self)
        _thread(self.pumps[1].run, server, self.client)
        self.pumps[0].run(self.client, server)

    def toxics(self, stream: Stream) -> list[Toxic]:
        found = []
        for toxic in self.proxy.active:
            if not toxic.applies_to(stream):
                continue
            hit = self.dice.setdefault(id(toxic), random.random() < toxic.toxicity)
            if hit:
                found.append(toxic)
        return found

    def through_toxics(self, stream: Stream, arrived: float, data: bytes) -> bool:
        """Apply the direction's toxics to one chunk; False when the chunk is dropped."""
        for toxic in self.toxics(stream):
            if toxic.type == "latency":
                delay = toxic.latency + random.uniform(-toxic.jitter, toxic.jitter)
                time.sleep(max(0.0, arrived + delay - time.monotonic()))
            elif toxic.type == "bandwidth":
                if toxic.rate <= 0:
                    return False
                time.sleep(len(data) / (toxic.rate * 1024))
            elif toxic.type == "timeout":
                if toxic.timeout > 0:
                    _later(toxic.timeout, self.close)
                return False
        return not self.closed

    def close_later(self, stream: Stream) -> None:
        delay = max((t.delay for t in self.toxics(stream) if t.type == "slow_close"), default=0.0)
        if delay:
            _later(delay, self.close)
        else:
            self.close()

    def close(self, reset: bool = False) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        self.proxy.links.discard(self)
        for pump in self.pumps:
            pump.stop()
        for sock in (self.client, self.server):
            if sock is not None:
                _close(sock, reset)


def _close(sock: socket.socket, reset: bool) -> None:
    """Wake the threads blocked on ``sock`` and close it: with a FIN, or a RST (linger 0, as
    toxiproxy's reset_peer) when ``reset``."""
    with contextlib.suppress(OSError):
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)  # wakes the reader without sending anything
        else:
            sock.shutdown(socket.SHUT_RDWR)
    sock.close()


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
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        listener = socket.create_server(("127.0.0.1", self.listen_port), backlog=128)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()
        return self

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        if self._accepting is not None:
            self._accepting.join(5)
        self._cut_all()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # control (any thread) ------------------------------------------------------------------
    def add(self, *toxics: Toxic) -> None:
        """Add toxics; ``reset_peer`` resets every current connection (after its ``delay``)
        and every new one while it is active."""
        self.active = (*self.active, *toxics)
        for link in list(self.links):
            self.reset_if_toxic(link)

    def clear(self) -> None:
        """Remove every toxic: the fault heals (dropped bytes stay dropped, as in toxiproxy)."""
        self.active = ()

    def disable(self) -> None:
        """Cut every connection and refuse new ones until ``enable()``."""
        self.enabled = False
        self._cut_all()

    def enable(self) -> None:
        self.enabled = True

    @property
    def connections(self) -> int:
        return len(self.links)

    # inside the proxy's threads --------------------------------------------------------------
    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            link = _Link(self, client)
            self.links.add(link)
            _thread(link.open)

    def reset_if_toxic(self, link: _Link) -> None:
        for toxic in link.toxics("upstream") + link.toxics("downstream"):
            if toxic.type == "reset_peer":
                _later(toxic.delay, link.close, True)
                return

    def _cut_all(self) -> None:
        for link in list(self.links):
            link.close(reset=True)
