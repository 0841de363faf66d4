"""Faults on the service itself: crash and restart on the same data, hang and resume.

Works on services the ``process`` provisioner started: it knows their process group (the
server and its children, e.g. PostgreSQL's backends), their directory and the command that
started them. A crash is ``SIGKILL`` to the group (no shutdown, no final flush: what a power
cut leaves of the process's memory); the restart runs the same command on the same data
directory and port and waits for the kind's readiness checks. A hang is ``SIGSTOP`` (the
server keeps its sockets open and answers nothing) until ``SIGCONT``.

The ``docker`` provisioner's services are driven by ``faults.docker_service.DockerControl``
(``docker kill`` + ``start``, ``docker pause``); both have the shape of ``ServiceFaults``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from omnicloud.errors import InfrastructureError
from omnicloud.provision.base import ServiceHandle, ServiceSpec
from omnicloud.provision.process import _signal_group, _stat, find_binary
from omnicloud.provision.ready import Deadline, ReadyTarget, checks_for, wait_ready
from omnicloud.provision.recipes import fill

#: Servers restarted by this process, kept so they are reaped (and not reported as leaked).
_RESTARTED: dict[int, subprocess.Popen[bytes]] = {}


class ServiceFaults(Protocol):
    """What a fault run does to a service, whichever provisioner started it."""

    @property
    def restartable(self) -> str | None:
        """Why the service cannot be restarted on its data, or ``None`` when it can."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def crash(self) -> None: ...

    def restart(self, timeout: float = 60.0) -> float: ...


@dataclass
class ServiceControl:
    """Signals and restarts one process-provisioned service (its handle is kept current)."""

    spec: ServiceSpec
    handle: ServiceHandle

    @classmethod
    def for_handle(cls, spec: ServiceSpec, handle: ServiceHandle) -> ServiceControl:
        if handle.provisioner != "process" or not handle.resources.get("pid"):
            raise InfrastructureError(
                f"service '{handle.name}': crash and hang faults need the process provisioner"
                f" (this one runs under '{handle.provisioner}')",
                hint="run 'omnicloud faults' in an environment with provisioner = \"process\"",
            )
        return cls(spec, handle)

    @property
    def restartable(self) -> str | None:
        """Why this service cannot be restarted on its data, or ``None`` when it can."""
        if self.spec.local_ports:
            return (
                f"service '{self.spec.name}' uses private ports"
                f" ({', '.join(self.spec.local_ports)}) its start did not record"
            )
        return None

    @property
    def pid(self) -> int:
        return int(self.handle.resources["pid"])

    @property
    def directory(self) -> Path:
        return Path(self.handle.resources["dir"])

    def pause(self) -> None:
        """The server stops answering, its connections stay open (a hang)."""
        _signal_group(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        _signal_group(self.pid, signal.SIGCONT)

    def crash(self) -> None:
        """SIGKILL to the server's process group; returns once the server is gone."""
        _signal_group(self.pid, signal.SIGCONT)  # a stopped group must be able to die
        _signal_group(self.pid, signal.SIGKILL)
        child = _RESTARTED.pop(self.pid, None)
        if child is not None:
            child.wait(10)
            return
        end = time.monotonic() + 10
        while time.monotonic() < end and _alive(self.pid):
            time.sleep(0.01)
        with contextlib.suppress(ChildProcessError):  # the provisioner's child: reap the zombie
            os.waitpid(self.pid, os.WNOHANG)

    def restart(self, timeout: float = 60.0) -> float:
        """Start the same command on the same data dir and port; seconds until ready."""
        values: dict[str, Any] = {
            **self.spec.fields,
            "host": self.handle.host,
            "port": self.handle.port,
            "data_dir": str(self.directory / "data"),
        }
        argv = [fill(part, values) for part in self.spec.command]
        binary = find_binary(argv[0]) or argv[0]
        env = {
            **os.environ,
            **{k: fill(v, values) for k, v in {**self.spec.local_env, **self.spec.env}.items()},
            "OMNICLOUD_SERVICE_DIR": str(self.directory),
        }
        log_path = Path(str(self.handle.log_path))
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [binary, *argv[1:]],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.directory,
                start_new_session=True,
                **_as_account(self.spec.run_as),
            )
        _RESTARTED[proc.pid] = proc
        self.handle.resources["pid"] = proc.pid  # teardown now stops the new server
        (self.directory / "pid").write_text(str(proc.pid), encoding="utf-8")
        target = ReadyTarget(
            self.spec.name, self.handle.host, self.handle.port, self.handle.endpoint(), log_path
        )

        def died() -> str | None:
            code = proc.poll()
            return None if code is None else f"exited with code {code} after a restart"

        deadline = Deadline(timeout, 0.05, f"services.{self.spec.name}")
        return wait_ready(target, checks_for(self.spec.ready, self.spec.recipe), deadline, died)


def _alive(pid: int) -> bool:
    return _stat(pid)[:1] not in ([], ["Z"])


def _as_account(user: str | None) -> dict[str, Any]:
    """As the process provisioner does: servers that refuse root run as their own account."""
    if user is None or os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        account = pwd.getpwnam("nobody")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
