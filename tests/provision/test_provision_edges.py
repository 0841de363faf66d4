"""Edges of the provisioning vocabulary that the end-to-end tests do not reach: redaction, the
no-op provisioners, bad endpoints, failing readiness pings against misbehaving servers, the
kinds table tool and the progress display of a failed start."""

from __future__ import annotations

import http.server
import io
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from omnicloud.config.models import ServiceConfig
from omnicloud.provision.base import Leftover, RunContext, ServiceHandle, redact
from omnicloud.provision.embedded import EmbeddedProvisioner
from omnicloud.provision.external import ExternalProvisioner, parse_endpoint
from omnicloud.provision.kinds import DOCS_BEGIN, DOCS_END, kinds_table, with_kinds_table
from omnicloud.provision.kinds.__main__ import main as kinds_main
from omnicloud.provision.kinds._http import http_get
from omnicloud.provision.kinds.etcd import EtcdPing
from omnicloud.provision.kinds.moto import MotoPing
from omnicloud.provision.kinds.nats import NatsPing
from omnicloud.provision.kinds.postgres import _sharedir
from omnicloud.provision.kinds.postgres import worker_view as postgres_view
from omnicloud.provision.progress import Progress
from omnicloud.provision.ready import (
    CommandCheck,
    HTTPCheck,
    NotReady,
    ProvisionFailed,
    ReadyTarget,
    read_log,
)
from omnicloud.provision.recipes import resolve_service


def test_redact_hides_passwords_also_inside_urls() -> None:
    endpoint = {"host": "h", "port": 1, "password": "s3cret", "url": "redis://:s3cret@h:1/0"}
    assert redact(endpoint) == {
        "host": "h",
        "port": 1,
        "password": "******",
        "url": "redis://:******@h:1/0",
    }
    # No password: nothing to hide, an empty one is shown as it is.
    assert redact({"url": "redis://h:1", "password": ""}) == {"url": "redis://h:1", "password": ""}


def test_a_handle_survives_its_json_form() -> None:
    handle = ServiceHandle("db", "process", "127.0.0.1", 5, {"user": "u"}, {"pid": 7}, "/x/log")
    again = ServiceHandle.from_json(json.loads(json.dumps(handle.to_json())))
    assert again == handle
    assert again.endpoint() == {"host": "127.0.0.1", "port": 5, "user": "u"}


@pytest.mark.parametrize("provisioner", [EmbeddedProvisioner(), ExternalProvisioner()])
def test_provisioners_without_resources_stop_nothing_and_leave_nothing(
    provisioner: EmbeddedProvisioner | ExternalProvisioner,
) -> None:
    handle = ServiceHandle("db", provisioner.name, "h", 1)
    assert provisioner.stop(handle) is None
    assert provisioner.alive(handle) is True
    assert provisioner.leftovers(set(), None) == []
    assert provisioner.remove(Leftover("process", "1", "run")) is None


def test_embedded_refuses_to_start_a_service_and_says_what_to_set(tmp_path: Path) -> None:
    run = RunContext("r1", "h", tmp_path, "unit")
    with pytest.raises(ProvisionFailed) as info:
        EmbeddedProvisioner().start(resolve_service("redis", ServiceConfig()), run)
    assert "environment 'unit' uses the 'embedded' provisioner" in info.value.message
    assert info.value.hint is not None
    assert "environments.unit.provisioner" in info.value.hint


def test_external_endpoint_without_a_host_names_the_key(tmp_path: Path) -> None:
    spec = resolve_service("redis", ServiceConfig(), "redis://:5/0")
    with pytest.raises(ProvisionFailed) as info:
        ExternalProvisioner().start(spec, RunContext("r1", "h", tmp_path, "ext"))
    assert info.value.message == "environments.ext.endpoints.redis: no host in 'redis://:5/0'"


def test_parse_endpoint_without_a_path_has_no_database() -> None:
    assert parse_endpoint("redis://cache:6390", 6379) == {
        "host": "cache",
        "port": 6390,
        "url": "redis://cache:6390",
    }
    assert parse_endpoint("postgresql://u:p%40ss@db/app", 5432)["password"] == "p@ss"


# -- readiness checks against servers that answer wrongly ----------------------------------------


@contextmanager
def http_server(status: int, body: bytes) -> Iterator[int]:
    """A local HTTP server answering every GET with ``status`` and ``body``; yields its port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _target(port: int) -> ReadyTarget:
    return ReadyTarget("svc", "127.0.0.1", port)


def test_http_get_turns_an_error_status_into_not_ready() -> None:
    with http_server(503, b"starting") as port:
        url = f"http://127.0.0.1:{port}/x"
        with pytest.raises(NotReady, match=f"HTTP 503 from {url}"):
            http_get(url)
    with http_server(200, b"fine") as port:
        assert http_get(f"http://127.0.0.1:{port}/") == "fine"


@pytest.mark.parametrize("body", [b'{"health": "false"}', b"[]", b"<html>"])
def test_etcd_ping_refuses_an_unhealthy_or_foreign_answer(body: bytes) -> None:
    assert EtcdPing().describe() == "etcd /health"
    with http_server(200, body) as port, pytest.raises(NotReady, match="unhealthy"):
        EtcdPing().check(_target(port))


def test_etcd_ping_accepts_a_healthy_member() -> None:
    with http_server(200, b'{"health": "true"}') as port:
        EtcdPing().check(_target(port))


def test_moto_ping_needs_the_dashboard_api() -> None:
    assert MotoPing().describe() == "moto /moto-api/data.json"
    with http_server(404, b"") as port, pytest.raises(NotReady, match="HTTP 404"):
        MotoPing().check(_target(port))


@contextmanager
def line_server(greeting: bytes, answer: bytes) -> Iterator[int]:
    """A TCP server that sends ``greeting``, reads once, sends ``answer`` (one client)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(greeting)
            conn.recv(4096)
            conn.sendall(answer)
            conn.recv(4096)  # until the client closes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        thread.join(5)


def test_nats_ping_refuses_a_server_that_is_not_nats() -> None:
    assert NatsPing().describe() == "nats PING"
    expected = "unexpected greeting b'\\+OK redis"
    with line_server(b"+OK redis\r\n", b"") as port, pytest.raises(NotReady, match=expected):
        NatsPing().check(_target(port))


def test_nats_ping_refuses_a_server_that_does_not_pong() -> None:
    refusal = b"-ERR 'Authorization Violation'\r\n"
    expected = 'unexpected answer b"-ERR'
    with line_server(b"INFO {}\r\n", refusal) as port, pytest.raises(NotReady, match=expected):
        NatsPing().check(_target(port))


def test_postgres_view_without_url_only_sets_the_schema() -> None:
    assert postgres_view({"host": "h"}, "gw1", 1) == {
        "host": "h",
        "schema": "omnicloud_gw1",
        "url": "",
    }
    view = postgres_view({"url": "postgresql://h/db?sslmode=disable"}, "gw1", 1)
    assert view["url"].endswith("?sslmode=disable&options=-csearch_path%3Domnicloud_gw1")


def test_postgres_share_dir_falls_back_to_the_debian_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    bindir = tmp_path / "lib" / "postgresql" / "16" / "bin"
    bindir.mkdir(parents=True)
    expected = str(tmp_path / "share" / "postgresql" / "16")
    assert _sharedir(bindir) == expected  # no pg_config at all
    failing = bindir / "pg_config"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    assert _sharedir(bindir) == expected  # a pg_config that fails
    failing.write_text("#!/bin/sh\necho /opt/pg/share\n")
    assert _sharedir(bindir) == "/opt/pg/share"


def test_command_and_http_checks_describe_themselves_and_judge_the_answer(tmp_path: Path) -> None:
    assert CommandCheck(("true", "{port}")).describe() == "command true {port}"
    assert HTTPCheck("/ready").describe() == "http /ready"
    with http_server(204, b"") as port:
        HTTPCheck("/ready").check(_target(port))
    with http_server(500, b"") as port, pytest.raises(NotReady, match="HTTP 500"):
        HTTPCheck(f"http://127.0.0.1:{port}/ready").check(_target(0))
    with pytest.raises(NotReady, match="false exited 1"):
        CommandCheck(("false",)).check(_target(1))


def test_an_unreadable_log_reads_as_empty(tmp_path: Path) -> None:
    assert read_log(tmp_path) == ""  # a directory: OSError
    assert read_log(None) == ""


# -- the kinds table tool -------------------------------------------------------------------------


def test_kinds_table_tool_rewrites_the_block_and_refuses_a_document_without_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="the document has no"):
        with_kinds_table("# no table here\n")
    doc = tmp_path / "environments.md"
    doc.write_text(f"# Kinds\n{DOCS_BEGIN}\nstale\n{DOCS_END}\nafter\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud.provision.kinds", str(doc)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {doc}\n"
    assert doc.read_text(encoding="utf-8") == (
        f"# Kinds\n{DOCS_BEGIN}\n{kinds_table()}{DOCS_END}\nafter\n"
    )
    doc.write_text(f"{DOCS_BEGIN}\n{DOCS_END}\n", encoding="utf-8")
    assert kinds_main([str(doc)]) == 0  # the same tool, imported
    assert doc.read_text(encoding="utf-8") == f"{DOCS_BEGIN}\n{kinds_table()}{DOCS_END}\n"


# -- progress --------------------------------------------------------------------------------------


def test_progress_reports_a_failed_start_and_lets_the_error_through() -> None:
    out = io.StringIO()
    progress = Progress(enabled=True, file=out)
    with pytest.raises(ProvisionFailed), progress.starting("db", "process"):
        raise ProvisionFailed("boom")
    assert "x db (process) failed to start" in out.getvalue()
    assert "db" not in progress.timings  # no ready time for a service that never started
