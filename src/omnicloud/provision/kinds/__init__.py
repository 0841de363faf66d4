"""Service kinds as data: one module per kind of server, registered by its file name.

A kind (``redis``, ``postgres``, ``etcd``, ``nats``, ``rabbitmq``, ``moto``) is everything the
tool knows about one server: its recipe (the local command line for ``process``, the image and
environment for ``docker``/``kubernetes``, endpoint fields, url and readiness), its protocol
ping, its per-worker isolation view and the Debian package providing its binaries. Each module
in this package defines ``KIND``; adding a kind is adding one module (and its test).

Modules are imported on first use only, so a worker reading one endpoint imports one kind.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.provision.ready import ReadyCheck

#: ``view(endpoint, worker_id, worker_index) -> endpoint`` as that xdist worker must use it.
WorkerView = Callable[[dict[str, Any], str, int], dict[str, Any]]
#: ``files(values) -> {path relative to the data dir: content}`` written before the server starts.
FileMaker = Callable[[Mapping[str, Any]], Mapping[str, str]]


@dataclass(frozen=True)
class Recipe:
    """Conventions of one server, for every provisioner.

    ``command``, ``init``, ``env`` and the files made by ``files`` may use ``{port}``,
    ``{data_dir}``, ``{host}``, ``{ports.<name>}`` (a free port per name in ``local_ports``,
    process provisioner only) and every endpoint field (``{user}``, ``{password}``...).
    """

    name: str
    image: str
    port: int
    command: tuple[str, ...]
    container_command: tuple[str, ...] | None = None
    init: tuple[tuple[str, ...], ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    #: Environment for the process provisioner only (paths and ports of a local server).
    local_env: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    ready: Mapping[str, Any] = field(default_factory=dict)
    run_as: str | None = None
    stop_signal: str = "SIGTERM"
    #: Appended to both commands, and the url used instead, when a ``password`` field is set.
    password_args: tuple[str, ...] = ()
    password_url: str | None = None
    #: Extra ports the process provisioner picks free (``{ports.<name>}``), never published.
    local_ports: tuple[str, ...] = ()
    #: Config files the server reads, written into its data dir before it starts (process).
    files: FileMaker | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of service: its recipe, protocol ping, worker isolation and packages."""

    name: str
    summary: str
    recipe: Recipe
    #: Binary -> the Debian package (or pip requirement) that provides it.
    packages: Mapping[str, str]
    ping: ReadyCheck | None = None
    view: WorkerView | None = None
    #: How one xdist worker is kept apart from the others, for the docs.
    isolation: str = "none: workers share the service"
    #: Other names the Python API accepts for this kind (``postgresql``).
    aliases: tuple[str, ...] = ()


@cache
def kind_names() -> tuple[str, ...]:
    """The registered kinds: every module of this package not starting with ``_``."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name[0] != "_"))


@cache
def get_kind(name: str) -> Kind | None:
    """The kind registered as ``name`` (imported on first use), or ``None``."""
    if name not in kind_names():
        return None
    kind: Kind = import_module(f"{__name__}.{name}").KIND
    assert kind.name == name, f"{__name__}.{name} defines KIND named {kind.name!r}"
    return kind


def all_kinds() -> list[Kind]:
    return [kind for name in kind_names() if (kind := get_kind(name)) is not None]


def kind_for_alias(name: str) -> Kind | None:
    """The kind called ``name`` or one of its aliases (``postgresql`` -> ``postgres``)."""
    return get_kind(name) or next((k for k in all_kinds() if name in k.aliases), None)
