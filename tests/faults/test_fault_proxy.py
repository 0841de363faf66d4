"""The fault proxy on loopback: forwarding, and each toxic doing what toxiproxy's does.

The upstream is a plain TCP echo server on 127.0.0.1 (a real socket, no service needed).
Delay assertions check the toxic's own effect (an added 100 ms shows as at least 100 ms),
never the proxy's speed (bench/fault_proxy.py measures that).
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from omnicloud.faults.proxy import FaultProxy, Toxic


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:  # the proxy reset the connection (the point of some tests)
            return


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo_port: int) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", echo_port) as running:
        yield running


def _client(proxy: FaultProxy, timeout: float = 2.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout)
    sock.settimeout(timeout)
    return sock


def _round_trip(sock: socket.socket, data: bytes = b"ping") -> tuple[bytes, float]:
    start = time.monotonic()
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - start


def _cut(sock: socket.socket) -> bool:
    """Whether the proxy closed or reset this connection (within a second)."""
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        try:
            sock.sendall(b"?")
            if sock.recv(16) == b"":
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        time.sleep(0.01)
    return False


def _refused(proxy: FaultProxy) -> bool:
    """Whether a new connection is reset or closed (at connect, or right after)."""
    try:
        sock = _client(proxy, timeout=1)
    except ConnectionResetError:
        return True
    with sock:
        return _cut(sock)


def test_bytes_pass_both_ways_unchanged(proxy: FaultProxy) -> None:
    with _client(proxy) as sock:
        payload = bytes(range(256)) * 64
        assert _round_trip(sock, payload)[0] == payload
        assert proxy.connections == 1


def test_latency_delays_only_the_stream_it_is_on(proxy: FaultProxy) -> None:
    with _client(proxy) as sock:
        proxy.add(Toxic("latency", latency=0.1, stream="downstream"))
        data, took = _round_trip(sock)
        assert data == b"ping"
        assert took >= 0.1
        proxy.clear()
        assert _round_trip(sock)[1] < 0.1 + took  # healed: the delay is gone


def test_reset_peer_resets_open_connections_and_new_ones(proxy: FaultProxy) -> None:
    with _client(proxy) as sock:
        _round_trip(sock)
        proxy.add(Toxic("reset_peer"))
        assert _cut(sock)
    assert _refused(proxy)
    proxy.clear()
    with _client(proxy) as sock:
        assert _round_trip(sock)[0] == b"ping"


def test_timeout_drops_traffic_until_healed(proxy: FaultProxy) -> None:
    proxy.add(Toxic("timeout"))  # a partition: nothing passes, nothing is closed
    with _client(proxy, timeout=0.3) as sock:
        sock.sendall(b"lost")
        with pytest.raises(TimeoutError):
            sock.recv(16)
    proxy.clear()
    with _client(proxy) as sock:
        assert _round_trip(sock)[0] == b"ping"


def test_timeout_with_a_duration_closes_the_connection(proxy: FaultProxy) -> None:
    proxy.add(Toxic("timeout", timeout=0.1, stream="upstream"))
    with _client(proxy) as sock:
        sock.sendall(b"x")
        assert sock.recv(16) == b""  # closed by the proxy after 100 ms


def test_bandwidth_limits_the_rate(proxy: FaultProxy) -> None:
    proxy.add(Toxic("bandwidth", rate=64, stream="upstream"))  # 64 KB/s
    with _client(proxy, timeout=5) as sock:
        data, took = _round_trip(sock, b"x" * 16384)
        assert len(data) == 16384
        assert took >= 16384 / (64 * 1024)


def test_a_disabled_proxy_cuts_connections_and_refuses_new_ones(proxy: FaultProxy) -> None:
    with _client(proxy) as sock:
        _round_trip(sock)
        proxy.disable()
        assert _cut(sock)
    assert _refused(proxy)
    proxy.enable()
    with _client(proxy) as sock:
        assert _round_trip(sock)[0] == b"ping"


def test_toxicity_zero_affects_no_connection(proxy: FaultProxy) -> None:
    proxy.add(Toxic("latency", latency=1.0, toxicity=0.0))
    with _client(proxy) as sock:
        assert _round_trip(sock)[1] < 1.0


def test_bytes_keep_their_order_while_toxics_come_and_go(proxy: FaultProxy) -> None:
    """Chunks queued through a toxic and chunks written directly once it is gone never
    overtake each other (the switch between the two paths keeps the stream's order)."""
    sent = b"".join(b"%05d;" % n for n in range(3000))
    received = bytearray()
    with _client(proxy, timeout=5) as sock:

        def read() -> None:
            while len(received) < len(sent) and (chunk := sock.recv(65536)):
                received.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()
        for n, start in enumerate(range(0, len(sent), 600)):
            if n % 5 == 1:
                proxy.add(Toxic("latency", latency=0.005, jitter=0.004))
            elif n % 5 == 3:
                proxy.clear()
            sock.sendall(sent[start : start + 600])
            time.sleep(0.002)
        proxy.clear()
        reader.join(10)
    assert bytes(received) == sent
