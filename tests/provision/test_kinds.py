"""Service kinds as data: the registry, each kind's pure parts, and the new kinds on real servers.

Every real-server test starts the kind through the process provisioner, talks to it in a
worker's isolated view with a real client, stops it, and checks that no process is left: not
the server, not a helper it spawned (RabbitMQ's epmd and beam).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from provision_support import port_open

from children import processes_in
from omnicloud.ci.setup import job_setup, server_packages
from omnicloud.config import Config
from omnicloud.config.models import ServiceConfig
from omnicloud.provision.isolation import worker_view
from omnicloud.provision.kinds import (
    all_kinds,
    get_kind,
    kind_for_alias,
    kind_names,
    with_kinds_table,
)
from omnicloud.provision.kinds.rabbitmq import KIND as RABBITMQ
from omnicloud.provision.kinds.rabbitmq import VHOSTS, config_files, password_hash
from omnicloud.provision.lifecycle import provision, prune
from omnicloud.provision.ready import ProvisionFailed
from omnicloud.provision.recipes import endpoint_fields, resolve_service
from service_guard import require, require_binary

NEW_KINDS = ("etcd", "moto", "nats", "rabbitmq")
#: Kinds with a real-server test: the new ones here, redis and postgres in test_process.py.
TESTED_ON_REAL_SERVERS = {*NEW_KINDS, "redis", "postgres"}


def test_every_kind_module_registers_itself_by_its_file_name() -> None:
    assert kind_names() == ("etcd", "moto", "nats", "postgres", "rabbitmq", "redis")
    for kind in all_kinds():
        assert kind.recipe.name == kind.name
        assert kind.packages, f"{kind.name} names no package for its binaries"
        assert kind.ping is not None
        assert kind.view is not None
        assert kind.recipe.ready.get("ping") is True
    assert get_kind("kafka") is None
    assert kind_for_alias("postgresql") is get_kind("postgres")


def test_every_kind_module_comes_with_a_real_server_test() -> None:
    """Adding a kind is one module and its test: a module alone fails here."""
    assert set(kind_names()) <= TESTED_ON_REAL_SERVERS, "add a real-server test for the new kind"


def test_the_kinds_table_in_the_docs_is_generated_from_the_kind_modules() -> None:
    document = (Path(__file__).parents[2] / "docs" / "environments.md").read_text("utf-8")
    assert with_kinds_table(document) == document, (
        "run 'python -m omnicloud.provision.kinds docs/environments.md'"
    )
    for name in kind_names():
        assert f"| `{name}` |" in document


def test_generated_ci_installs_each_kinds_packages_also_for_a_service_named_like_it(
    make_config: Callable[[str], Config],
) -> None:
    """The packages come from the kind modules: a new kind needs no entry anywhere else."""
    assert server_packages("postgres") == (["postgresql"], [])
    assert server_packages("moto") == ([], ["moto[server]"])
    assert server_packages("no-such-kind") == ([], [])
    config = make_config(
        '[services.etcd]\n[services.bus]\nrecipe = "nats"\n[services.aws]\nrecipe = "moto"\n'
        '[environments.local]\nprovisioner = "process"\n'
    )
    setup = job_setup(config, environment="local", has_project=False)
    assert setup.apt_packages == ("etcd-server", "nats-server")
    assert "'moto[server]'" in setup.install


@pytest.mark.parametrize("name", NEW_KINDS)
def test_a_service_named_like_a_kind_gets_its_recipe_url_and_prefix(name: str) -> None:
    spec = resolve_service(name, ServiceConfig())
    assert spec.recipe == name
    fields = endpoint_fields(spec, "127.0.0.1", 1234)
    assert fields["kind"] == name
    assert fields["prefix"] == ""
    assert str(fields["url"]).endswith("127.0.0.1:1234" + ("/%2F" if name == "rabbitmq" else ""))


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("etcd", {"prefix": "gw3/"}),
        ("nats", {"prefix": "gw3_"}),
        ("moto", {"prefix": "gw3-"}),
        (
            "rabbitmq",
            {
                "prefix": "gw3.",
                "vhost": "omnicloud_gw3",
                "url": "amqp://u:p@127.0.0.1:5/omnicloud_gw3",
            },
        ),
    ],
)
def test_each_worker_gets_its_own_corner_of_a_new_kind(name: str, fields: dict[str, Any]) -> None:
    url = "amqp://u:p@127.0.0.1:5/%2F" if name == "rabbitmq" else "x://h:1"
    endpoint = {"kind": name, "prefix": "", "url": url}
    view = worker_view({"svc": endpoint}, "gw3")["svc"]
    assert {k: view[k] for k in fields} == fields
    assert worker_view({"svc": endpoint}, None)["svc"] == endpoint


def test_rabbitmq_workers_beyond_the_vhosts_share_one_but_keep_their_own_prefix() -> None:
    endpoint = {"kind": "rabbitmq", "prefix": "", "url": "amqp://h:1/%2F"}
    late = worker_view({"q": endpoint}, f"gw{VHOSTS + 2}")["q"]
    early = worker_view({"q": endpoint}, "gw2")["q"]
    assert late["vhost"] == early["vhost"] == "omnicloud_gw2"
    assert late["prefix"] != early["prefix"]


def test_rabbitmq_password_hash_is_salted_sha256_in_rabbitmq_layout() -> None:
    encoded = password_hash("secret", salt=b"\x01\x02\x03\x04")
    raw = base64.b64decode(encoded)
    assert raw[:4] == b"\x01\x02\x03\x04"
    assert raw[4:] == hashlib.sha256(b"\x01\x02\x03\x04secret").digest()
    assert password_hash("secret") != password_hash("secret")  # a fresh salt each time


def test_rabbitmq_config_files_create_every_worker_vhost_for_the_configured_user() -> None:
    files = config_files({"user": "u", "password": "p", "port": 5999, "data_dir": "/d"})
    definitions = json.loads(files["definitions.json"])
    vhosts = {v["name"] for v in definitions["vhosts"]}
    assert vhosts == {"/", *(f"omnicloud_gw{i}" for i in range(VHOSTS))}
    assert {p["vhost"] for p in definitions["permissions"] if p["user"] == "u"} == vhosts
    assert "listeners.tcp.1 = 127.0.0.1:5999" in files["rabbitmq.conf"]
    assert "load_definitions = /d/definitions.json" in files["rabbitmq.conf"]


# -- real servers -------------------------------------------------------------------------------

LOCAL = """
[services.{name}]
recipe = "{name}"
[environments.local]
provisioner = "process"
"""


def _etcd_roundtrip(endpoint: dict[str, Any]) -> str:
    """Put and get one key through etcd's v3 JSON gateway, under the worker's prefix."""

    def post(path: str, body: dict[str, str]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{endpoint['url']}/v3/kv/{path}", data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    key = base64.b64encode(f"{endpoint['prefix']}k".encode()).decode()
    post("put", {"key": key, "value": base64.b64encode(b"v").decode()})
    kvs = post("range", {"key": key})["kvs"]
    return (
        base64.b64decode(kvs[0]["key"]).decode() + "=" + base64.b64decode(kvs[0]["value"]).decode()
    )


async def _nats_jetstream_roundtrip(endpoint: dict[str, Any]) -> str:
    import nats

    client = await nats.connect(endpoint["url"], connect_timeout=5)
    try:
        js = client.jetstream()
        stream, subject = f"{endpoint['prefix']}orders", f"{endpoint['prefix']}orders.new"
        await js.add_stream(name=stream, subjects=[subject])
        await js.publish(subject, b"hello")
        message = await js.get_msg(stream, 1)
        return f"{stream}:{message.data!r}"
    finally:
        await client.close()


def _moto_roundtrip(endpoint: dict[str, Any]) -> list[str]:
    """Create a bucket and list them over the S3 REST API (moto does not check signatures)."""
    bucket = f"{endpoint['prefix']}bucket"
    create = urllib.request.Request(f"{endpoint['url']}/{bucket}", method="PUT")
    with urllib.request.urlopen(create, timeout=5) as response:
        assert response.status == 200
    with urllib.request.urlopen(f"{endpoint['url']}/", timeout=5) as response:
        listing = ElementTree.fromstring(response.read())
    return [e.text or "" for e in listing.iter() if e.tag.endswith("}Name")]


async def _amqp_roundtrip(endpoint: dict[str, Any]) -> str:
    import aio_pika

    connection = await aio_pika.connect(endpoint["url"], timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{endpoint['prefix']}jobs", auto_delete=True)
        await channel.default_exchange.publish(aio_pika.Message(b"job"), routing_key=queue.name)
        message = await queue.get(timeout=5)
        await message.ack()
        return f"{queue.name}:{message.body!r}"


def _erlang_processes(directory: Path) -> list[str]:
    """beam and epmd processes started for ``directory``: by working directory or by argument
    (beam carries its home there); read from /proc, like ``pgrep -a 'beam|epmd'``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        command = _cmdline(int(proc.name)).replace(b"\0", b" ").decode(errors="replace")
        if ("beam" in command or "epmd" in command) and (
            str(directory) in command
            or int(proc.name) in processes_in(directory)
            or _started_for(int(proc.name), directory)
        ):
            found.append(f"{proc.name} {command[:80]}")
    return found


def _started_for(pid: int, directory: Path) -> bool:
    """Started with a service folder inside ``directory`` in its environment: finds a daemon that
    moved to ``/`` and dropped its arguments (``epmd -daemon``)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    prefix = f"OMNICLOUD_SERVICE_DIR={directory}".encode()
    return any(entry.startswith(prefix) for entry in environ)


@pytest.mark.services("rabbitmq")
def test_no_erl_of_the_rabbitmq_service_starts_a_daemon_epmd(tmp_path: Path) -> None:
    """An erl run with the service's environment while its private epmd is gone (a Ctrl-C
    during boot stopped it) fails to register instead of starting ``epmd -daemon``, which would
    leave the process group and outlive the run. Without ``ERL_FLAGS`` the same erl starts one."""
    require_binary("erl", "rabbitmq-server")
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),  # the Erlang cookie
        "ERL_EPMD_PORT": str(port),
        "ERL_FLAGS": RABBITMQ.recipe.local_env.get("ERL_FLAGS", ""),
    }
    probe = ["erl", "-noshell", "-sname", "omnicloud-probe", "-eval", "halt()."]
    try:
        done = subprocess.run(
            probe, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert "register/listen error" in done.stdout + done.stderr
        assert not port_open("127.0.0.1", port), "an epmd was started on the service's port"
    finally:  # a failure started one: stop it (no node is registered any more)
        subprocess.run(["epmd", "-port", str(port), "-kill"], capture_output=True, check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_and_check(
    make_config: Callable[[str], Config],
    state_dir: Path,
    name: str,
    use: Callable[[dict[str, Any]], Any],
) -> tuple[Any, dict[str, Any]]:
    config = make_config(LOCAL.format(name=name))
    with provision(config, environment="local") as env:
        endpoint = env.endpoints()[name]
        result = use(worker_view({name: endpoint}, "gw1")[name])
        pids = processes_in(state_dir)
        assert pids, f"{name} runs no process in its directory"
    assert not port_open("127.0.0.1", endpoint["port"])
    assert processes_in(state_dir) == []
    assert list((state_dir / "runs").iterdir()) == []
    return result, endpoint


@pytest.mark.services("etcd")
def test_etcd_starts_serves_the_v3_gateway_under_the_worker_prefix_and_stops(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("etcd", "etcd-server")
    result, _ = _start_and_check(make_config, state_dir, "etcd", _etcd_roundtrip)
    assert result == "gw1/k=v"


@pytest.mark.services("nats")
def test_nats_starts_with_jetstream_serves_a_prefixed_stream_and_stops(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("nats-server", "nats-server")
    result, _ = _start_and_check(
        make_config, state_dir, "nats", lambda ep: asyncio.run(_nats_jetstream_roundtrip(ep))
    )
    assert result == "gw1_orders:b'hello'"


@pytest.mark.services("moto")
def test_moto_starts_serves_s3_with_a_prefixed_bucket_and_stops(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    from omnicloud.provision.process import find_binary

    require(
        find_binary("moto_server") is not None,
        "the 'moto_server' binary",
        "install it with \"pip install 'moto[server]'\"",
    )
    result, _ = _start_and_check(make_config, state_dir, "moto", _moto_roundtrip)
    assert result == ["gw1-bucket"]


@pytest.mark.services("rabbitmq")
@pytest.mark.slow
def test_rabbitmq_starts_serves_the_worker_vhost_and_leaves_no_epmd_or_beam(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    require_binary("rabbitmq-server", "rabbitmq-server")
    require_binary("epmd", "erlang-base")

    def use(endpoint: dict[str, Any]) -> tuple[str, int]:
        return asyncio.run(_amqp_roundtrip(endpoint)), _epmd_port(state_dir)

    (result, epmd_port), endpoint = _start_and_check(make_config, state_dir, "rabbitmq", use)
    assert result == "gw1.jobs:b'job'"
    assert endpoint["url"].endswith("/%2F")
    assert _erlang_processes(state_dir) == []
    # A daemonised epmd (what erl starts by itself) runs from / and would still listen here.
    assert not port_open("127.0.0.1", epmd_port)


def _epmd_port(state_dir: Path) -> int:
    """The private epmd port the broker under ``state_dir`` was given (its environment)."""
    for pid in processes_in(state_dir):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in environ:
            if entry.startswith(b"ERL_EPMD_PORT="):
                port = int(entry.split(b"=", 1)[1])
                assert port_open("127.0.0.1", port), "the private epmd is not listening"
                return port
    raise AssertionError("no process of the broker has ERL_EPMD_PORT")


@pytest.mark.services("rabbitmq")
def test_a_kind_whose_helper_binary_is_missing_names_it_and_its_package(
    make_config: Callable[[str], Config],
    state_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rabbitmq's command is `sh`: the check also looks at what `sh` runs (epmd, the server)."""
    require_binary("rabbitmq-server", "rabbitmq-server")
    only_sh = tmp_path / "bin"
    only_sh.mkdir()
    (only_sh / "sh").symlink_to("/bin/sh")
    monkeypatch.setenv("PATH", str(only_sh))
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    config = make_config(LOCAL.format(name="rabbitmq"))
    with pytest.raises(ProvisionFailed) as info, provision(config, environment="local"):
        pytest.fail("must not start")
    assert info.value.message == (
        "service 'rabbitmq': the 'epmd' binary is not on PATH [services.rabbitmq.command]"
    )
    assert info.value.hint == "install it (apt-get install erlang-base) or use another environment"
    assert processes_in(state_dir) == []


_HOLD = """
import sys, time
from omnicloud.config import load_config
from omnicloud.provision.lifecycle import provision
try:
    with provision(load_config(sys.argv[1]), environment="local") as env:
        print(env.endpoints_file, flush=True)
        time.sleep(120)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _hold_rabbitmq(tmp_path: Path) -> subprocess.Popen[str]:
    config = tmp_path / "omnicloud.toml"
    config.write_text(LOCAL.format(name="rabbitmq"), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def _epmd_running(state_dir: Path) -> bool:
    return any(b"epmd" in _cmdline(pid) for pid in processes_in(state_dir))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it exited meanwhile
        return b""


@pytest.mark.services("rabbitmq")
@pytest.mark.slow
def test_ctrl_c_while_rabbitmq_boots_leaves_no_epmd_or_beam(
    tmp_path: Path, state_dir: Path
) -> None:
    """Its epmd is up and the node is booting: a half-started broker is stopped whole."""
    require_binary("rabbitmq-server", "rabbitmq-server")
    proc = _hold_rabbitmq(tmp_path)
    deadline = time.monotonic() + 60
    while not _epmd_running(state_dir):
        assert time.monotonic() < deadline, "epmd never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert processes_in(state_dir) == []
    assert _erlang_processes(state_dir) == []


@pytest.mark.services("rabbitmq")
@pytest.mark.slow
def test_a_killed_run_leaves_rabbitmq_to_prune_which_stops_epmd_too(
    tmp_path: Path, state_dir: Path
) -> None:
    """SIGKILL gives no chance to clean up: `prune` finds the run by its pid file and stops the
    server's whole process group, its private epmd included."""
    require_binary("rabbitmq-server", "rabbitmq-server")
    proc = _hold_rabbitmq(tmp_path)
    assert proc.stdout is not None
    if not proc.stdout.readline().strip():
        pytest.fail(f"provisioning failed: {proc.communicate(timeout=30)[1]}")
    assert _epmd_running(state_dir)
    proc.kill()
    proc.communicate(timeout=30)
    assert processes_in(state_dir), "the broker outlives its killed owner until pruned"
    removed = prune()
    assert [r.kind for r in removed if r.kind == "process"] == ["process"]
    assert processes_in(state_dir) == []
    assert _erlang_processes(state_dir) == []
