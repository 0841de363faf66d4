"""Fault proxy idle cost: round trips through the proxy with no toxic, beside direct ones.

    python bench/fault_proxy.py [--round-trips 5000] [--rounds 5]

A redis-server (process provisioner's command line, on a free port) answers ``PING`` over a
plain blocking socket, directly and through ``omnicloud.faults.proxy.FaultProxy``; rounds
alternate the two so that machine noise hits both alike. Prints the median round trip of each
and the difference: the proxy's added latency per round trip (target: under 50 us on loopback).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

from omnicloud.faults.proxy import FaultProxy
from omnicloud.provision.process import free_port


def round_trips(port: int, count: int) -> list[float]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for _ in range(count):
            start = time.perf_counter()
            sock.sendall(b"PING\r\n")
            if sock.recv(64) != b"+PONG\r\n":
                raise RuntimeError("unexpected answer")
            times.append(time.perf_counter() - start)
        return times


def wait_for(port: int) -> None:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            round_trips(port, 1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            with FaultProxy("127.0.0.1", port) as proxy:
                direct, proxied = [], []
                for _ in range(args.rounds):
                    direct.append(statistics.median(round_trips(port, args.round_trips)))
                    proxied.append(statistics.median(round_trips(proxy.port, args.round_trips)))
        finally:
            server.terminate()
            server.wait(10)
    d, p = statistics.median(direct) * 1e6, statistics.median(proxied) * 1e6
    print(f"round trips: {args.rounds} rounds x {args.round_trips} PINGs, median of medians")
    print(f"  direct        {d:8.1f} us")
    print(f"  fault proxy   {p:8.1f} us   (no toxic)")
    print(f"  added         {p - d:8.1f} us per round trip (target < 50 us); ratio {p / d:.2f}x")


if __name__ == "__main__":
    main()
