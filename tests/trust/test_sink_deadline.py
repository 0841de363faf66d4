"""A sink server that trickles its answer cannot keep triage (or certify) running."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from trust_support import environ, omnicloud

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="1">
<testcase classname="omnicloud.toml.scratch-kv:kv_store" name="test_get" time="0.1">
<failure message="AssertionError: expected b'v', got None">trace</failure></testcase>
</testsuite></testsuites>
"""


@pytest.fixture
def trickling_server() -> Iterator[int]:
    """Answers every request with one byte every 0.3 s, forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        with conn:
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.wait(0.3):
                    conn.sendall(b"X")
            except OSError:
                return

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            worker = threading.Thread(target=trickle, args=(conn,), daemon=True)
            worker.start()
            workers.append(worker)

    workers: list[threading.Thread] = []
    serving = threading.Thread(target=serve, daemon=True)
    serving.start()
    yield int(server.getsockname()[1])
    stop.set()
    serving.join()
    for worker in workers:
        worker.join()
    server.close()


def test_a_trickling_sink_is_abandoned_at_its_deadline(
    tmp_path: Path, trickling_server: int
) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT, encoding="utf-8")
    (tmp_path / "omnicloud.toml").write_text(
        '[project]\nname = "sinks"\n\n[failures]\nsink_deadline = "3s"\n\n'
        f'[failures.webhook]\nurl = "http://127.0.0.1:{trickling_server}/hook"\n'
        'timeout = "1s"\nretries = 0\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    result = omnicloud(
        tmp_path, "triage", "junit.xml", "--no-history", "--exit-zero", env=environ(), timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "webhook: not done within 3 s (failures.sink_deadline); abandoned" in result.stderr
    assert time.monotonic() - started < 50
