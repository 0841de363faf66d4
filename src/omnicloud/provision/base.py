"""The provisioning vocabulary: resolved service specs, handles, run context, the Protocol.

A provisioner turns a ``ServiceSpec`` into a running service and a ``ServiceHandle`` (plain,
JSON-serialisable data) from which it, or another process later (``env down``, ``prune``), can
stop it. ``start`` cleans up after itself when it fails half-way; ``stop`` is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from omnicloud.config.models import ReadyConfig

RUN_ID_LABEL = "omnicloud.run-id"
CONFIG_HASH_LABEL = "omnicloud.config-hash"
SERVICE_LABEL = "omnicloud.service"
#: Which machine and state root started a resource: prune only touches its own by default.
OWNER_LABEL = "omnicloud.owner"
STATE_DIR_ENV = "OMNICLOUD_STATE_DIR"
SECRET_FIELDS = frozenset({"password", "url", "dsn"})


def new_run_id() -> str:
    """A short id, unique per run and valid in DNS-1123 labels, container labels and paths."""
    return f"{int(time.time()):x}-{secrets.token_hex(3)}"


def state_root() -> Path:
    """Where runs keep pid files, logs, data dirs and reuse state (``$OMNICLOUD_STATE_DIR``)."""
    configured = os.environ.get(STATE_DIR_ENV)
    root = (
        Path(configured)
        if configured
        else Path(tempfile.gettempdir()) / (f"omnicloud-{os.getuid()}")
    )
    return private_dir(root, parents=True)


def private_dir_mode() -> int:
    """0700 (endpoints, pid files and logs are this user's alone); as root 0711: a server that
    refuses to run as root (PostgreSQL) runs as its own account and must pass through to the
    directory handed to it, but nobody else may list or read what the folders hold."""
    return 0o711 if os.geteuid() == 0 else 0o700


def private_dir(path: Path, *, parents: bool = False) -> Path:
    """``path`` created if missing and set to :func:`private_dir_mode`."""
    path.mkdir(parents=parents, exist_ok=True)
    path.chmod(private_dir_mode())
    return path


def owner_id() -> str:
    """This machine and state root, as a label value (another user's or CI job's runs differ)."""
    text = f"{socket.gethostname()}:{state_root()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ServiceSpec:
    """A service with its recipe merged in: everything a provisioner needs, nothing more."""

    name: str
    recipe: str | None
    image: str | None
    command: tuple[str, ...]
    container_command: tuple[str, ...] | None
    init: tuple[tuple[str, ...], ...]
    port: int
    ports: Mapping[str, int]
    env: Mapping[str, str]
    volumes: Mapping[str, str]
    tmpfs: tuple[str, ...]
    ready: ReadyConfig
    timeout: float
    timeout_key: str
    url: str | None
    fields: Mapping[str, Any]
    resources: Mapping[str, str]
    run_as: str | None = None
    stop_signal: str = "SIGTERM"
    endpoint: str | None = None
    #: process only: extra free ports (``{ports.<name>}``) and environment of a local server.
    local_ports: tuple[str, ...] = ()
    local_env: Mapping[str, str] = field(default_factory=dict)

    def fingerprint(self) -> dict[str, Any]:
        data = asdict(self)
        data["ready"] = self.ready.model_dump(mode="json")
        return data


@dataclass
class ServiceHandle:
    """A started service: where it listens, and what to remove when it stops."""

    name: str
    provisioner: str
    host: str
    port: int
    fields: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    log_path: str | None = None

    def endpoint(self) -> dict[str, Any]:
        """Connection info for ``{services.<name>.<field>}``: host, port, url, credentials."""
        return {"host": self.host, "port": self.port, **self.fields}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceHandle:
        return cls(**dict(data))


@dataclass(frozen=True)
class RunContext:
    """One provisioning run: its id, config hash, private directory and resource labels."""

    run_id: str
    config_hash: str
    directory: Path
    environment: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        return {
            RUN_ID_LABEL: self.run_id,
            CONFIG_HASH_LABEL: self.config_hash,
            OWNER_LABEL: owner_id(),
        }

    def service_dir(self, name: str) -> Path:
        path = self.directory / name
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)  # handed to the service's account when it runs as another user
        return path


@dataclass(frozen=True)
class Leftover:
    """Something a dead run left behind, found by ``Provisioner.leftovers``."""

    kind: str
    ident: str
    run_id: str
    detail: str = ""


class Provisioner(Protocol):
    """Starts and stops services for one kind of environment (chosen by ``name``).

    Capabilities are class attributes, read before any provisioner is made: the lifecycle asks
    them instead of comparing provisioner names.
    """

    name: str
    #: Services can be kept between runs (``reuse``, ``--keep``) and found again later.
    reusable: ClassVar[bool]
    #: Endpoints are reached through port-forwards that end with this process.
    port_forward: ClassVar[bool]
    #: Leaves resources a dead run can leave behind, which ``prune`` sweeps.
    prunable: ClassVar[bool]
    #: Keys of ``environments.<env>`` handed to the constructor besides its ``options``.
    environment_keys: ClassVar[tuple[str, ...]]

    def start(self, spec: ServiceSpec, run: RunContext) -> ServiceHandle:
        """Start ``spec`` and wait until it is ready; clean up and raise on failure."""
        ...

    def stop(self, handle: ServiceHandle) -> None:
        """Stop the service and remove its resources; safe to call twice."""
        ...

    def alive(self, handle: ServiceHandle) -> bool:
        """Whether a (reused) service is still running and answering."""
        ...

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        """Resources labelled with a run id not in ``live_runs`` (and with ``owner``, if given)."""
        ...

    def remove(self, leftover: Leftover) -> None:
        """Remove one leftover found by ``leftovers``."""
        ...


def config_hash(
    environment: str,
    provisioner: str,
    specs: list[ServiceSpec],
    options: Mapping[str, Any] | None = None,
) -> str:
    """A stable hash of everything that shapes the services: the key for reuse."""
    payload = {
        "environment": environment,
        "provisioner": provisioner,
        "options": {k: str(v) for k, v in (options or {}).items()},
        "services": [s.fingerprint() for s in sorted(specs, key=lambda s: s.name)],
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def redact(endpoint: Mapping[str, Any]) -> dict[str, Any]:
    """An endpoint safe to print: passwords hidden, also inside URLs."""
    password = endpoint.get("password")
    out: dict[str, Any] = {}
    for key, value in endpoint.items():
        if key == "password" and value:
            out[key] = "******"
        elif isinstance(value, str) and password and str(password) in value:
            out[key] = value.replace(str(password), "******")
        else:
            out[key] = value
    return out
