"""``process``: services run from local binaries, each in a private directory on free ports.

Every service gets ``<run dir>/<service>/`` holding its data dir, log and pid file. The process
runs in its own session (so a terminal Ctrl-C reaches us, and we stop it in order) and carries
its directory as working directory, which is how ``stop`` and ``prune`` recognise it and never
signal a recycled pid.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from omnicloud.provision.base import (
    STATE_DIR_ENV,
    Leftover,
    RunContext,
    ServiceHandle,
    ServiceSpec,
    private_dir,
    state_root,
)
from omnicloud.provision.kinds import Recipe, get_kind
from omnicloud.provision.ready import (
    Deadline,
    ProvisionFailed,
    ProvisionTimeout,
    ReadyTarget,
    checks_for,
    failure,
    wait_ready,
)
from omnicloud.provision.recipes import endpoint_fields, fill

HOST = "127.0.0.1"
STOP_GRACE = 10.0

#: Servers started by this process, by pid: kept for the process lifetime so that a service
#: kept running on purpose is not reported as a leaked ``Popen``, and a stopped one is reaped.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def free_port(host: str = HOST) -> int:
    """A port the kernel just handed out, free at the time of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ProcessProvisioner:
    """Runs each service as a local process (``redis-server``, ``initdb`` + ``postgres``)."""

    name = "process"
    reusable = True
    port_forward = False
    prunable = True
    environment_keys: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._children = _CHILDREN

    def start(self, spec: ServiceSpec, run: RunContext) -> ServiceHandle:
        directory = run.service_dir(spec.name)
        data_dir = directory / "data"
        data_dir.mkdir(mode=0o700, exist_ok=True)
        port = free_port()
        ports = {name: free_port() for name in spec.ports}
        local_ports = {name: free_port() for name in spec.local_ports}
        values: dict[str, Any] = {
            **spec.fields,
            "host": HOST,
            "port": port,
            "data_dir": str(data_dir),
            **{f"ports.{k}": v for k, v in {**local_ports, **ports}.items()},
        }
        handle = ServiceHandle(
            name=spec.name,
            provisioner=self.name,
            host=HOST,
            port=port,
            fields=endpoint_fields(spec, HOST, port, **{f"port_{k}": v for k, v in ports.items()}),
            resources={"dir": str(directory), "run_id": run.run_id, "pid": None},
            log_path=str(directory / "service.log"),
        )
        try:
            self._launch(spec, handle, values, run)
        except BaseException:
            self.stop(handle)
            raise
        return handle

    def _launch(
        self, spec: ServiceSpec, handle: ServiceHandle, values: dict[str, Any], run: RunContext
    ) -> None:
        directory = Path(handle.resources["dir"])
        log_path = Path(str(handle.log_path))
        account = _account(spec.run_as)
        _write_files(spec, values)
        if account is not None:
            reachable_by(account, directory, spec)
            _chown_tree(directory, account)
        env = {
            **os.environ,
            **{k: fill(v, values) for k, v in {**spec.local_env, **spec.env}.items()},
            "OMNICLOUD_SERVICE_DIR": str(directory),
            "OMNICLOUD_RUN_ID": run.run_id,
        }
        target = ReadyTarget(spec.name, HOST, handle.port, handle.endpoint(), log_path)
        with log_path.open("ab") as log:
            if spec.init and not _restore_init(spec, directory / "data", account):
                for step in spec.init:
                    self._init_step(
                        spec,
                        _argv(spec, step, values, key="init"),
                        log,
                        env=env,
                        target=target,
                        account=account,
                    )
                _save_init(spec, directory / "data")
            proc = subprocess.Popen(
                _argv(spec, spec.command, values),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=directory,
                start_new_session=True,
                **_as_user(account),
            )
        self._children[proc.pid] = proc
        handle.resources["pid"] = proc.pid
        handle.resources["stop_signal"] = spec.stop_signal
        (directory / "pid").write_text(str(proc.pid), encoding="utf-8")

        def died() -> str | None:
            code = proc.poll()
            return None if code is None else f"exited with code {code}"

        deadline = Deadline(spec.timeout, spec.ready.interval, spec.timeout_key)
        wait_ready(target, checks_for(spec.ready, spec.recipe), deadline, alive=died)

    def _init_step(
        self,
        spec: ServiceSpec,
        argv: list[str],
        log: Any,
        *,
        env: dict[str, str],
        target: ReadyTarget,
        account: pwd.struct_passwd | None,
    ) -> None:
        # Its own process group: an init step's children (initdb starts postgres in bootstrap
        # mode) are killed with it when a signal or the timeout cuts the start short.
        step = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=target.log_path.parent if target.log_path else None,
            start_new_session=True,
            **_as_user(account),
        )
        try:
            code = step.wait(timeout=spec.timeout)
        except BaseException as exc:
            _signal_group(step.pid, signal.SIGKILL)
            step.wait()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise failure(
                    ProvisionTimeout,
                    target,
                    f"could not be initialised in {spec.timeout:g}s ({argv[0]} still running)",
                    "initialisation timed out",
                    spec.timeout_key,
                ) from None
            raise
        if code != 0:
            raise failure(
                ProvisionFailed,
                target,
                f"could not be initialised ({argv[0]} exited {code})",
                "initialisation failed",
                f"services.{spec.name}.init",
            )

    def stop(self, handle: ServiceHandle) -> None:
        pid = handle.resources.get("pid")
        directory = Path(handle.resources["dir"])
        if pid:
            sig = getattr(signal, str(handle.resources.get("stop_signal", "SIGTERM")))
            self._terminate(int(pid), directory, sig)
        shutil.rmtree(directory, ignore_errors=True)

    def _terminate(self, pid: int, directory: Path, sig: int) -> None:
        if _owned(pid, directory):
            # The whole group: children of the server (postgres backends) share it.
            _signal_group(pid, sig)
            if not self._wait_gone(pid, directory, STOP_GRACE):
                _signal_group(pid, signal.SIGKILL)
                self._wait_gone(pid, directory, STOP_GRACE)
        self._reap(pid)
        # The leader gone is not the group gone: a member can outlive it (RabbitMQ's epmd, once
        # seen after a Ctrl-C while the node booted). Whatever of the group still runs in the
        # service's folder is killed; a stranger that reused the pid is never a member there.
        for member in _members(pid, directory):
            _signal(member, signal.SIGKILL)

    def _wait_gone(self, pid: int, directory: Path, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._reap(pid)
            if not _owned(pid, directory):
                return True
            time.sleep(0.02)
        return False

    def _reap(self, pid: int) -> None:
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]

    def alive(self, handle: ServiceHandle) -> bool:
        pid = handle.resources.get("pid")
        if not pid:
            return False
        return _owned(int(pid), Path(handle.resources["dir"])) and _accepts(
            handle.host, handle.port
        )

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        # Pid files live in this state root: they are always this owner's.
        found = []
        for pid_file in sorted((state_root() / "runs").glob("*/*/pid")):
            run_id = pid_file.parent.parent.name
            if run_id in live_runs:
                continue
            pid = pid_file.read_text(encoding="utf-8").strip()
            found.append(Leftover("process", pid, run_id, str(pid_file.parent)))
        return found

    def remove(self, leftover: Leftover) -> None:
        directory = Path(leftover.detail)
        stop_signal = "SIGINT" if (directory / "data" / "pgdata").exists() else "SIGTERM"
        if leftover.ident.isdigit():
            self._terminate(int(leftover.ident), directory, getattr(signal, stop_signal))
        shutil.rmtree(directory, ignore_errors=True)


def _init_cache(spec: ServiceSpec) -> Path:
    """Where the result of ``spec.init`` is kept: keyed by the init commands, the binaries they
    run (path, size, mtime) and the account, so any change initialises afresh."""
    parts: list[str] = [repr(spec.init), str(spec.run_as), str(os.geteuid())]
    for step in spec.init:
        binary = shutil.which(step[0]) if step else None
        if binary:
            stat = os.stat(binary)
            parts.append(f"{binary}:{stat.st_size}:{stat.st_mtime_ns}")
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
    return state_root() / "init-cache" / f"{spec.recipe or spec.name}-{key}"


def _restore_init(spec: ServiceSpec, data_dir: Path, account: pwd.struct_passwd | None) -> bool:
    """Copy a cached initialised data dir (initdb takes seconds, a copy a fraction of that)."""
    cached = _init_cache(spec)
    if not cached.is_dir():
        return False
    shutil.copytree(cached, data_dir, symlinks=True, dirs_exist_ok=True)
    if account is not None:
        _chown_tree(data_dir, account)
    return True


def _save_init(spec: ServiceSpec, data_dir: Path) -> None:
    cached = _init_cache(spec)
    if cached.exists():
        return
    private_dir(cached.parent, parents=True)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    shutil.copytree(data_dir, tmp, symlinks=True)
    try:
        tmp.rename(cached)  # atomic: concurrent runs never see a half-copied cache
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_files(spec: ServiceSpec, values: dict[str, Any]) -> None:
    """The config files the service's kind asks for, written into its data dir."""
    kind = get_kind(spec.recipe) if spec.recipe else None
    if kind is None or kind.recipe.files is None:
        return
    data_dir = Path(values["data_dir"])
    for relative, content in kind.recipe.files(values).items():
        path = data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _argv(
    spec: ServiceSpec, template: tuple[str, ...], values: dict[str, Any], key: str = "command"
) -> list[str]:
    """``template`` filled, its program resolved; ``key`` names it in errors (command, init)."""
    if not template:
        raise ProvisionFailed(
            f"service '{spec.name}' has no command for the process provisioner",
            hint=f"set services.{spec.name}.command or a recipe",
        )
    argv = [fill(part, values) for part in template]
    _require_binaries(spec, argv[0], key)
    binary = find_binary(argv[0])
    assert binary is not None
    return [binary, *argv[1:]]


def _require_binaries(spec: ServiceSpec, program: str, key: str = "command") -> None:
    """The program, and for a kind's own command every binary the kind needs, are installed;
    otherwise one line naming the binary and the package that provides it."""
    kind = get_kind(spec.recipe) if spec.recipe else None
    packages = dict(kind.packages) if kind is not None else {}
    needed = {program: packages.get(program, program)}
    if kind is not None and program in _programs(kind.recipe):
        needed.update(packages)  # rabbitmq's `sh` runs epmd and the server script
    for binary, package in needed.items():
        if find_binary(binary) is None:
            how = (
                f"pip install '{package.removeprefix('pip:').strip()}'"
                if package.startswith("pip:")
                else f"apt-get install {package}"
            )
            raise ProvisionFailed(
                f"service '{spec.name}': the '{binary}' binary is not on PATH"
                f" [services.{spec.name}.{key}]",
                hint=f"install it ({how}) or use another environment",
            )


def _programs(recipe: Recipe) -> set[str]:
    return {step[0] for step in (recipe.command, *recipe.init) if step}


#: Where distributions keep server binaries that are not on PATH (Debian's postgresql-NN).
SERVER_BIN_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")


def find_binary(name: str) -> str | None:
    """``name`` on PATH or next to this Python (a virtualenv's ``moto_server``), else in the
    distributions' server directories (newest version)."""
    here = str(Path(sys.executable).parent)
    found = shutil.which(name, path=os.pathsep.join([here, os.environ.get("PATH", os.defpath)]))
    if found is not None or os.sep in name:
        return found
    candidates = [Path(d) / name for pattern in SERVER_BIN_GLOBS for d in glob.glob(pattern)]
    existing = [c for c in candidates if os.access(c, os.X_OK)]
    existing.sort(key=lambda c: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", str(c))])
    return str(existing[-1]) if existing else None


def _account(user: str | None) -> pwd.struct_passwd | None:
    """The account to run as: only when we are root (servers such as postgres refuse root)."""
    if user is None or os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(user)
    except KeyError:
        return pwd.getpwnam("nobody")


def reachable_by(account: pwd.struct_passwd, directory: Path, spec: ServiceSpec) -> None:
    """Every directory above ``directory`` lets ``account`` through, or a clear error.

    The service's own directory is handed to the account; its parents (a ``mktemp -d`` is
    0700) are the user's, and changing their permissions is the user's call.
    """
    for parent in reversed(directory.parents):
        info = parent.stat()
        if info.st_uid == account.pw_uid:
            bit = stat.S_IXUSR
        elif info.st_gid == account.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            raise ProvisionFailed(
                f"service '{spec.name}' runs as user '{account.pw_name}' (the server refuses"
                f" to run as root), which cannot enter {parent}"
                f" (mode {stat.S_IMODE(info.st_mode):04o}), a parent of its data directory",
                hint=f"let it through with 'chmod o+x {parent}', or set {STATE_DIR_ENV} to a"
                " directory every user can enter (e.g. /tmp/omnicloud)",
            )


def _as_user(account: pwd.struct_passwd | None) -> dict[str, Any]:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _chown_tree(directory: Path, account: pwd.struct_passwd) -> None:
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)


def _owned(pid: int, directory: Path) -> bool:
    """Whether ``pid`` runs and is the service we started in ``directory`` (not a reused pid).

    Servers rewrite their process title over argv and environ, so the reliable mark is the
    working directory: it was started in ``directory`` and servers only chdir below it.
    """
    status = _stat(pid)[:1]
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    return status not in ([], ["Z"]) and (cwd == directory or directory in cwd.parents)


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, pgrp, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _members(pgid: int, directory: Path) -> list[int]:
    """Running processes of process group ``pgid`` whose working directory is in ``directory``."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and _stat(int(entry.name))[2:3] == [str(pgid)]
        and _owned(int(entry.name), directory)
    ]


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False
