"""Recipes merged with config, readiness strategies and their error messages, pure helpers."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omnicloud.config import Config
from omnicloud.config.models import ReadyConfig, ServiceConfig
from omnicloud.errors import ConfigError, ExitCode, InfrastructureError
from omnicloud.provision.base import ServiceHandle, config_hash, redact
from omnicloud.provision.external import parse_endpoint
from omnicloud.provision.isolation import worker_index, worker_view
from omnicloud.provision.kinds.postgres import PostgresPing
from omnicloud.provision.kinds.redis import RedisPing
from omnicloud.provision.process import free_port
from omnicloud.provision.ready import (
    CommandCheck,
    Deadline,
    HTTPCheck,
    LogCheck,
    ProvisionFailed,
    ProvisionTimeout,
    ReadyTarget,
    TCPCheck,
    checks_for,
    wait_ready,
)
from omnicloud.provision.recipes import endpoint_fields, require_port, resolve_service
from omnicloud.provision.registry import get_provisioner


def test_redis_recipe_fills_in_command_image_url_and_checks() -> None:
    spec = resolve_service("cache", ServiceConfig(recipe="redis"))
    assert spec.command[0] == "redis-server"
    assert "{port}" in spec.command
    assert spec.image == "redis:7"
    assert spec.port == 6379
    assert spec.ready.tcp
    assert spec.ready.ping
    assert endpoint_fields(spec, "h", 1)["url"] == "redis://h:1/0"


def test_service_named_like_a_recipe_uses_it_and_config_overrides_it() -> None:
    spec = resolve_service(
        "postgres",
        ServiceConfig(image="local/pg:1", port=6000, fields={"password": {"secret": "s3"}}),
    )
    assert spec.recipe == "postgres"
    assert spec.image == "local/pg:1"
    assert spec.port == 6000
    assert spec.env["POSTGRES_PASSWORD"] == "s3"
    assert endpoint_fields(spec, "db", 7)["url"] == "postgresql://postgres:s3@db:7/postgres"


def test_explicit_ready_table_replaces_the_recipe_checks_and_names_its_key() -> None:
    spec = resolve_service("redis", ServiceConfig(ready=ReadyConfig(log="Ready", timeout=3)))
    assert not spec.ready.ping
    assert spec.ready.log == "Ready"
    assert spec.timeout == 3
    assert spec.timeout_key == "services.redis.ready.timeout"
    spec = resolve_service("redis", ServiceConfig(startup_timeout=9))
    assert spec.timeout == 9
    assert spec.timeout_key == "services.redis.startup_timeout"


def test_unknown_recipe_is_a_config_error_with_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_service("db", ServiceConfig(recipe="postgress"))
    assert str(info.value) == (
        "services.db.recipe: unknown recipe 'postgress'; did you mean 'postgres'?"
        " (accepted: 'etcd', 'moto', 'nats', 'postgres', 'rabbitmq', 'redis')"
    )


def test_service_without_recipe_or_port_gets_a_free_port_and_containers_ask_for_it() -> None:
    """The process provisioner picks a free port anyway; only containers need the real one."""
    spec = resolve_service("queue", ServiceConfig(command=["q", "{port}"]))
    assert spec.port == 0
    with pytest.raises(ConfigError) as info:
        require_port(spec, "docker")
    assert str(info.value).startswith("services.queue.port: the docker provisioner publishes")
    assert info.value.exit_code == ExitCode.CONFIG


def test_unknown_provisioner_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        get_provisioner("dokcer")
    assert "unknown provisioner 'dokcer'; did you mean 'docker'?" in str(info.value)
    assert "'embedded', 'external', 'kubernetes', 'process'" in str(info.value)


def test_config_hash_is_stable_and_changes_with_the_services() -> None:
    a = resolve_service("redis", ServiceConfig())
    b = resolve_service("redis", ServiceConfig(command=["redis-server", "--port", "{port}"]))
    assert config_hash("local", "process", [a]) == config_hash("local", "process", [a])
    assert config_hash("local", "process", [a]) != config_hash("local", "process", [b])
    assert config_hash("local", "process", [a]) != config_hash("ci", "process", [a])


def test_checks_are_composed_cheap_first() -> None:
    ready = ReadyConfig(tcp=True, ping=True, log="x", http="/h", command=["true"])
    kinds = [type(c) for c in checks_for(ready, "redis")]
    assert kinds == [TCPCheck, LogCheck, RedisPing, HTTPCheck, CommandCheck]
    assert isinstance(checks_for(ReadyConfig(ping=True), "postgres")[0], PostgresPing)
    assert [type(c) for c in checks_for(ReadyConfig(), None)] == [TCPCheck]


def test_ping_without_a_protocol_recipe_is_refused() -> None:
    with pytest.raises(InfrastructureError, match="'ping' readiness needs a recipe"):
        checks_for(ReadyConfig(ping=True), None)


def test_timeout_names_service_key_last_error_and_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    log.write_text("".join(f"line {i}\n" for i in range(40)) + "FATAL: cannot bind\n")
    target = ReadyTarget("cache", "127.0.0.1", free_port(), log_path=log)
    deadline = Deadline(timeout=0.0, interval=0.01, key="services.cache.ready.timeout")
    with pytest.raises(ProvisionTimeout) as info:
        wait_ready(target, [TCPCheck()], deadline)
    message = info.value.message
    assert message.startswith(
        "service 'cache' not ready after 0s [services.cache.ready.timeout]; last error: tcp: "
    )
    assert "Connection refused" in message or "Errno" in message
    assert message.endswith("line 39\nFATAL: cannot bind")
    assert "line 20" not in message  # only the tail
    assert info.value.exit_code == ExitCode.INFRASTRUCTURE


def test_a_dead_service_fails_at_once_instead_of_waiting(tmp_path: Path) -> None:
    target = ReadyTarget("db", "127.0.0.1", free_port())
    deadline = Deadline(timeout=60.0, interval=0.01, key="services.db.ready.timeout")
    with pytest.raises(ProvisionFailed, match=r"service 'db' exited with code 1 before it was"):
        wait_ready(target, [TCPCheck()], deadline, alive=lambda: "exited with code 1")


def test_log_check_waits_for_the_line(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("starting\n")
    target = ReadyTarget("s", "127.0.0.1", 1, log_path=log)
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        log.write_text("starting\nReady to accept connections\n")

    waited = wait_ready(target, [LogCheck("Ready to accept")], Deadline(10, 0.25, "k"), sleep=sleep)
    assert polls == [0.25]
    assert waited >= 0


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_check_accepts_2xx_and_retries_others(http_port: int) -> None:
    target = ReadyTarget("web", "127.0.0.1", http_port)
    HTTPCheck("/ok").check(target)
    with pytest.raises(Exception, match="HTTP 503"):
        HTTPCheck("/starting").check(target)


def test_command_check_fills_host_and_port() -> None:
    target = ReadyTarget("s", "127.0.0.1", 4242)
    CommandCheck(("sh", "-c", 'test "$0" = 127.0.0.1:4242', "{host}:{port}")).check(target)
    with pytest.raises(Exception, match="exited 1"):
        CommandCheck(("sh", "-c", "exit 1")).check(target)


def test_worker_view_isolates_redis_by_database_and_prefix() -> None:
    base = {
        "redis": {
            "kind": "redis",
            "host": "h",
            "port": 1,
            "db": 0,
            "prefix": "",
            "url": "redis://h:1/0",
        }
    }
    views = [worker_view(base, w)["redis"] for w in ("gw0", "gw1")]
    assert [v["db"] for v in views] == [1, 2]
    assert [v["url"] for v in views] == ["redis://h:1/1", "redis://h:1/2"]
    assert [v["prefix"] for v in views] == ["gw0:", "gw1:"]
    assert worker_view(base, None) == base


def test_worker_view_isolates_postgres_by_schema() -> None:
    base = {"pg": {"kind": "postgres", "schema": "public", "url": "postgresql://u:p@h:5/d"}}
    view = worker_view(base, "gw3")["pg"]
    assert view["schema"] == "omnicloud_gw3"
    assert view["url"] == "postgresql://u:p@h:5/d?options=-csearch_path%3Domnicloud_gw3"
    assert worker_view({"x": {"kind": "other", "a": 1}}, "gw1") == {"x": {"kind": "other", "a": 1}}
    assert worker_index("master") is None
    assert worker_index("gw12") == 12


def test_parse_endpoint_reads_credentials_and_database() -> None:
    fields = parse_endpoint("postgresql://app:s%40cret@db.internal:6543/orders", 5432)
    assert fields == {
        "host": "db.internal",
        "port": 6543,
        "user": "app",
        "password": "s@cret",
        "database": "orders",
        "url": "postgresql://app:s%40cret@db.internal:6543/orders",
    }
    assert parse_endpoint("redis://cache/3", 6379)["db"] == 3
    with pytest.raises(ValueError, match="no host"):
        parse_endpoint("not a url", 1)


def test_redact_hides_passwords_also_inside_urls() -> None:
    shown = redact({"password": "pw1", "url": "postgresql://u:pw1@h/d", "user": "u"})
    assert shown == {"password": "******", "url": "postgresql://u:******@h/d", "user": "u"}


def test_handles_round_trip_through_json() -> None:
    handle = ServiceHandle("redis", "process", "127.0.0.1", 5, {"url": "u"}, {"pid": 3}, "/log")
    assert ServiceHandle.from_json(handle.to_json()) == handle
    assert handle.endpoint() == {"host": "127.0.0.1", "port": 5, "url": "u"}


def test_environment_is_picked_from_option_then_env_var_then_default(
    make_config: Callable[[str], Config],
) -> None:
    from omnicloud.errors import SelectionError
    from omnicloud.provision.lifecycle import pick_environment

    config = make_config("""
        [project]
        default_environment = "local"
        [environments.local]
        provisioner = "process"
        [environments.docker]
        provisioner = "docker"
    """)
    assert pick_environment(config, None, {})[0] == "local"
    assert pick_environment(config, None, {"OMNICLOUD_ENV": "docker"})[0] == "docker"
    assert pick_environment(config, "local", {"OMNICLOUD_ENV": "docker"})[0] == "local"
    with pytest.raises(SelectionError, match="unknown environment 'dockr'; did you mean 'docker'"):
        pick_environment(config, "dockr", {})


def test_server_binaries_off_path_are_found_newest_version_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnicloud.provision import process

    for version in ("9", "10", "15"):
        binary = tmp_path / "postgresql" / version / "bin" / "omnicloud-test-initdb"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755 if version != "15" else 0o644)  # 15 is not executable
    monkeypatch.setattr(process, "SERVER_BIN_GLOBS", (str(tmp_path / "postgresql" / "*" / "bin"),))
    assert process.find_binary("omnicloud-test-initdb") == str(
        tmp_path / "postgresql" / "10" / "bin" / "omnicloud-test-initdb"
    )
    assert process.find_binary("omnicloud-no-such-binary") is None
    assert process.find_binary("sh") == shutil.which("sh")  # PATH first
