"""The process provisioner's edges with real processes: a failing init step, a server that
ignores SIGTERM, pids that are not ours, leftovers of live and dead runs, missing binaries and the
packages that provide them, accounts and directories a service cannot enter."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from children import pid_running, processes_in
from omnicloud.config.models import ServiceConfig
from omnicloud.provision import process
from omnicloud.provision.base import Leftover, RunContext, ServiceHandle, ServiceSpec, state_root
from omnicloud.provision.kinds.redis import RedisPing
from omnicloud.provision.process import (
    ProcessProvisioner,
    _accepts,
    _account,
    _init_cache,
    _restore_init,
    _save_init,
    _signal_group,
    find_binary,
    free_port,
    reachable_by,
)
from omnicloud.provision.ready import NotReady, ProvisionFailed, ProvisionTimeout, ReadyTarget
from omnicloud.provision.recipes import resolve_service
from service_guard import require_binary

#: A TCP server in Python that ignores SIGTERM (only SIGKILL stops it).
STUBBORN = (
    "import signal, socket, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    " s = socket.create_server(('127.0.0.1', int('{port}'))); time.sleep(120)"
)


def _spec(name: str = "svc", **config: Any) -> ServiceSpec:
    return resolve_service(name, ServiceConfig(**config))


def _run(tmp_path: Path, run_id: str = "r1") -> RunContext:
    directory = state_root() / "runs" / run_id
    directory.mkdir(parents=True, exist_ok=True)
    return RunContext(run_id, "h", directory, "local")


def test_a_failing_init_step_names_the_init_key(tmp_path: Path, state_dir: Path) -> None:
    spec = _spec(command=[sys.executable, "-c", STUBBORN], port=1, init=[["false"]])
    with pytest.raises(ProvisionFailed) as info:
        ProcessProvisioner().start(spec, _run(tmp_path))
    message = info.value.message
    assert message.startswith("service 'svc' could not be initialised (")
    assert "false exited 1) [services.svc.init]" in message
    assert not (state_dir / "init-cache").exists()  # nothing cached from a failed init


def test_an_init_step_running_past_the_timeout_is_killed_and_named(
    tmp_path: Path, state_dir: Path
) -> None:
    spec = _spec(
        command=[sys.executable, "-c", STUBBORN],
        port=1,
        init=[["sleep", "30"]],
        startup_timeout=0.3,
    )
    with pytest.raises(ProvisionTimeout) as info:
        ProcessProvisioner().start(spec, _run(tmp_path))
    message = info.value.message
    assert message.startswith("service 'svc' could not be initialised in 0.3s (")
    assert "sleep still running) [services.svc.startup_timeout]" in message
    assert processes_in(state_dir) == []  # the step was killed, not left sleeping


def test_a_service_without_a_command_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ProvisionFailed) as info:
        ProcessProvisioner().start(_spec(port=1), _run(tmp_path))
    assert info.value.message == "service 'svc' has no command for the process provisioner"


def test_a_server_ignoring_sigterm_is_killed_after_the_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "STOP_GRACE", 0.3)
    provisioner = ProcessProvisioner()
    handle = provisioner.start(
        _spec(command=[sys.executable, "-c", STUBBORN], port=1), _run(tmp_path)
    )
    pid = int(handle.resources["pid"])
    assert provisioner.alive(handle)
    provisioner.stop(handle)
    # Killed, not left running: a SIGKILLed process can take a moment to exit on a loaded
    # machine, but one that was never killed ignores SIGTERM and would still be here.
    deadline = time.monotonic() + 10
    while pid_running(pid):
        assert time.monotonic() < deadline, "the server ignoring SIGTERM was never killed"
        time.sleep(0.02)
    assert not Path(handle.resources["dir"]).exists()


#: A leader that stops on SIGTERM serving the port, and a member of its group that ignores
#: SIGTERM (as RabbitMQ's epmd once outlived its node): stopping the service stops both.
LEADER_AND_MEMBER = (
    "(trap '' TERM; exec sleep 120) & "
    "exec {python} -c \"import socket, time; s = socket.create_server(('127.0.0.1', {{port}}));"
    ' time.sleep(120)"'
)


def test_a_group_member_outliving_its_leader_is_stopped_too(tmp_path: Path) -> None:
    command = ["sh", "-c", LEADER_AND_MEMBER.format(python=sys.executable)]
    provisioner = ProcessProvisioner()
    handle = provisioner.start(_spec(command=command, port=1), _run(tmp_path))
    directory = Path(handle.resources["dir"])
    members = processes_in(directory)
    try:
        assert len(members) == 2, members  # the server and the sleep ignoring SIGTERM
        provisioner.stop(handle)
        deadline = time.monotonic() + 10
        while any(pid_running(pid) for pid in members):
            assert time.monotonic() < deadline, "a member of the service's group was left running"
            time.sleep(0.02)
    finally:
        for pid in members:  # nothing left behind should the assertion fail
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_pid_that_is_not_our_service_is_never_signalled(tmp_path: Path) -> None:
    # This test's own pid, "recorded" for a service directory it does not run in.
    directory = tmp_path / "svc"
    directory.mkdir()
    handle = ServiceHandle(
        "svc", "process", "127.0.0.1", 1, resources={"pid": os.getpid(), "dir": str(directory)}
    )
    provisioner = ProcessProvisioner()
    assert not provisioner.alive(handle)
    provisioner.stop(handle)  # we are still here
    assert not directory.exists()
    never_started = ServiceHandle(
        "svc", "process", "127.0.0.1", 1, resources={"pid": None, "dir": str(tmp_path / "x")}
    )
    assert not provisioner.alive(never_started)
    provisioner.stop(never_started)


def test_leftovers_skip_live_runs_and_remove_what_dead_ones_left(state_dir: Path) -> None:
    for run_id, pid in (("live-run", "123"), ("dead-run", "not-a-pid")):
        service = state_dir / "runs" / run_id / "svc"
        service.mkdir(parents=True)
        (service / "pid").write_text(pid)
    provisioner = ProcessProvisioner()
    found = provisioner.leftovers({"live-run"}, None)
    dead = str(state_dir / "runs" / "dead-run" / "svc")
    assert found == [Leftover("process", "not-a-pid", "dead-run", dead)]
    provisioner.remove(found[0])  # no pid to signal: the directory goes
    assert not Path(dead).exists()
    assert (state_dir / "runs" / "live-run" / "svc" / "pid").exists()


def test_a_missing_binary_names_the_package_or_pip_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(process, "SERVER_BIN_GLOBS", ())
    with pytest.raises(ProvisionFailed) as info:
        ProcessProvisioner().start(_spec("aws", recipe="moto"), _run(tmp_path))
    assert info.value.hint == "install it (pip install 'moto[server]') or use another environment"
    with pytest.raises(ProvisionFailed) as info:
        ProcessProvisioner().start(_spec("cache", recipe="redis"), _run(tmp_path, "r2"))
    assert info.value.message == (
        "service 'cache': the 'redis-server' binary is not on PATH [services.cache.command]"
    )
    assert info.value.hint == "install it (apt-get install redis-server) or use another environment"


def test_a_missing_init_binary_names_the_init_key(tmp_path: Path, state_dir: Path) -> None:
    spec = _spec(command=[sys.executable, "-c", STUBBORN], port=1, init=[["no-such-initdb"]])
    with pytest.raises(ProvisionFailed) as info:
        ProcessProvisioner().start(spec, _run(tmp_path))
    assert info.value.message == (
        "service 'svc': the 'no-such-initdb' binary is not on PATH [services.svc.init]"
    )


def test_server_binaries_off_path_are_found_newest_version_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("9", "16", "15"):
        binary = tmp_path / "pg" / version / "bin" / "initdb"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755 if version != "16" else 0o644)  # 16's is not executable
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(process, "SERVER_BIN_GLOBS", (str(tmp_path / "pg" / "*" / "bin"),))
    assert find_binary("initdb") == str(tmp_path / "pg" / "15" / "bin" / "initdb")
    assert find_binary("pg_ctl") is None
    assert find_binary(str(tmp_path / "pg" / "16" / "bin" / "initdb")) is None  # a path: as is


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts are only switched when running as root")
def test_an_unknown_account_falls_back_to_nobody() -> None:
    assert _account("omnicloud-no-such-user").pw_name == "nobody"  # type: ignore[union-attr]
    assert _account(None) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand directories to other users")
def test_reachable_by_follows_owner_group_and_other_bits(state_dir: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    spec = _spec(command=["x"], port=1)
    owned = state_dir / "owned"
    owned.mkdir(mode=0o700)
    os.chown(owned, nobody.pw_uid, 0)
    grouped = owned / "grouped"
    grouped.mkdir(mode=0o710)
    os.chown(grouped, 0, nobody.pw_gid)
    target = grouped / "service"
    reachable_by(nobody, target, spec)  # user bit on one, group bit on the other
    closed = grouped / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(ProvisionFailed) as info:
        reachable_by(nobody, closed / "service", spec)
    assert f"cannot enter {closed} (mode 0700)" in info.value.message
    assert info.value.hint is not None
    assert f"chmod o+x {closed}" in info.value.hint


def test_an_init_cache_saved_meanwhile_by_another_run_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = dataclasses.replace(_spec(command=["x"], port=1), init=(("true",), (), ("no-such",)))
    data = tmp_path / "data"
    data.mkdir()
    (data / "mine").write_text("mine")
    cached = _init_cache(spec)
    real_copytree = shutil.copytree

    def racing_copytree(src: Any, dst: Any, **kwargs: Any) -> Any:
        # Another run finishes saving the same cache while this one copies.
        real_copytree(src, cached, **kwargs)
        (cached / "theirs").write_text("theirs")
        return real_copytree(src, dst, **kwargs)

    monkeypatch.setattr(shutil, "copytree", racing_copytree)
    _save_init(spec, data)
    assert sorted(p.name for p in cached.iterdir()) == ["mine", "theirs"]
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no .tmp left
    monkeypatch.setattr(shutil, "copytree", real_copytree)
    _save_init(spec, data)  # already cached: nothing copied
    assert sorted(p.name for p in cached.iterdir()) == ["mine", "theirs"]
    restored = tmp_path / "restored"
    assert _restore_init(spec, restored, None)  # our own account: no ownership change
    assert sorted(p.name for p in restored.iterdir()) == ["mine", "theirs"]


def test_signals_reach_a_process_that_leads_no_group_and_skip_gone_ones() -> None:
    child = subprocess.Popen(["sleep", "30"])  # in our process group, not its own
    try:
        _signal_group(child.pid, signal.SIGTERM)
        assert child.wait(5) == -signal.SIGTERM
    finally:
        child.kill()
        child.wait()
    _signal_group(child.pid, signal.SIGTERM)  # reaped: nothing to signal, no error


def test_a_closed_port_does_not_accept() -> None:
    assert not _accepts("127.0.0.1", free_port())


@pytest.mark.services("redis")
def test_the_redis_ping_refuses_a_server_that_rejects_the_password(tmp_path: Path) -> None:
    require_binary("redis-server", "redis-server")
    command = ["redis-server", "--port", "{port}", "--requirepass", "right", "--save", ""]
    provisioner = ProcessProvisioner()
    handle = provisioner.start(_spec(command=command, port=1), _run(tmp_path))
    try:
        ping = RedisPing()
        right = ReadyTarget("svc", handle.host, handle.port, {"password": "right"})
        ping.check(right)
        wrong = ReadyTarget("svc", handle.host, handle.port, {"password": "wrong"})
        with pytest.raises(NotReady, match="unexpected answer b'-WRONGPASS"):
            ping.check(wrong)
    finally:
        provisioner.stop(handle)
