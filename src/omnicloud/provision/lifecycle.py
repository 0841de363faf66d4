"""Provisioning as a context manager: start, share, reuse, always clean up, prune leftovers.

``provision(config, environment=...)`` starts the services an environment needs and yields an
``Environment`` (handles + endpoints). Whatever was started is stopped when the block ends,
normally, on an exception, on Ctrl-C, or on SIGTERM (turned into ``KeyboardInterrupt`` while the
block runs), and a start that fails half-way stops what already started. With ``reuse = true``
(or ``keep=True``) services stay up and are recorded in a state file keyed by the config hash; the
next run with the same hash checks they still answer and starts nothing. Each run owns
``<state root>/runs/<run id>/`` with an ``owner.json``; ``prune`` removes what runs whose owner
died left behind: processes by pid file, containers and namespaces by label, temp dirs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from omnicloud.config.models import Config, EnvironmentConfig
from omnicloud.endpoints import ENV_ENDPOINTS, needed_services, write_endpoints, write_private
from omnicloud.errors import ConfigError, InfrastructureError, SelectionError, did_you_mean, one_of
from omnicloud.provision.base import (
    Leftover,
    Provisioner,
    RunContext,
    ServiceHandle,
    ServiceSpec,
    config_hash,
    new_run_id,
    owner_id,
    private_dir,
    private_dir_mode,
    redact,
    state_root,
)
from omnicloud.provision.options import parse_options
from omnicloud.provision.progress import Progress
from omnicloud.provision.recipes import resolve_service
from omnicloud.provision.registry import REGISTRY, get_provisioner, provisioner_class

ENV_VAR = "OMNICLOUD_ENV"
DEFAULT_ENVIRONMENT = "default"


@dataclass
class Environment:
    """Services up for one run: their handles and where their endpoints were written."""

    name: str
    provisioner: str
    run_id: str
    config_hash: str
    handles: dict[str, ServiceHandle] = field(default_factory=dict)
    reused: bool = False
    kept: bool = False
    endpoints_file: Path | None = None

    def endpoints(self) -> dict[str, dict[str, Any]]:
        return {name: handle.endpoint() for name, handle in self.handles.items()}

    def describe(self) -> list[str]:
        """One line per service, secrets hidden."""
        return [
            f"{name}: {json.dumps(redact(ep), sort_keys=True)}"
            for name, ep in self.endpoints().items()
        ]


def pick_environment(
    config: Config, explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, EnvironmentConfig]:
    """``--env``, then ``$OMNICLOUD_ENV``, then ``project.default_environment``."""
    environ = os.environ if environ is None else environ
    name = explicit or environ.get(ENV_VAR) or config.project.default_environment
    if name is None:
        return DEFAULT_ENVIRONMENT, config.environments.get(
            DEFAULT_ENVIRONMENT, EnvironmentConfig()
        )
    if name not in config.environments:
        known = list(config.environments)
        raise SelectionError(
            f"unknown environment '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})",
            hint="environments are the [environments.<name>] tables of the configuration",
        )
    return name, config.environments[name]


def services_for(config: Config, providers: Iterable[str]) -> list[str]:
    """Services the given providers need (declared or named in options), in config order."""
    wanted: set[str] = set()
    for name in providers:
        provider = config.providers[name]
        wanted.update(provider.services)
        wanted.update(needed_services(provider.options))
    return [name for name in config.services if name in wanted] + sorted(
        wanted - set(config.services)
    )


def resolve_specs(
    config: Config, env_name: str, env: EnvironmentConfig, names: Iterable[str]
) -> list[ServiceSpec]:
    specs = []
    for name in names:
        if name not in config.services:
            known = list(config.services)
            raise ConfigError(
                f"unknown service '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})",
                key=f"services.{name}",
            )
        specs.append(resolve_service(name, config.services[name], env.endpoints.get(name)))
    return specs


@contextlib.contextmanager
def provision(
    config: Config,
    *,
    environment: str | None = None,
    services: Iterable[str] | None = None,
    keep: bool = False,
    progress: Progress | None = None,
) -> Iterator[Environment]:
    """Start the services of ``environment`` (all configured ones unless ``services``)."""
    env_name, env_cfg = pick_environment(config, environment)
    specs = resolve_specs(
        config, env_name, env_cfg, list(config.services) if services is None else services
    )
    chash = config_hash(env_name, env_cfg.provisioner, specs, env_cfg.options)
    reuse = env_cfg.reuse or keep
    progress = progress or Progress(enabled=False)
    if not specs:
        yield Environment(env_name, env_cfg.provisioner, "", chash)
        return
    cls = provisioner_class(env_cfg.provisioner)
    if reuse and not cls.reusable:
        why = (
            "they are reached through port-forwards that end with the process"
            if cls.port_forward
            else "it cannot find them again"
        )
        raise InfrastructureError(
            f"environment '{env_name}' uses {env_cfg.provisioner}, whose services cannot be"
            f" kept between runs: {why}",
            hint=f"remove environments.{env_name}.reuse (and --keep), or use the external"
            " provisioner with the services' URLs",
        )
    provisioner = cls(**provisioner_arguments(env_cfg, cls.environment_keys))
    if reuse:
        found = _reusable(chash, provisioner, progress)
        if found is not None:
            yield found
            return
    run = _new_run(env_name, env_cfg, chash, keep=reuse)
    with interrupts_as_keyboard_interrupt(), contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, run.directory, True)
        # Runs last: removes anything labelled with this run that an interrupt landing between
        # two statements kept from being registered below.
        stack.callback(_sweep, provisioner, run.run_id)
        env = Environment(env_name, env_cfg.provisioner, run.run_id, chash, kept=reuse)
        for spec in specs:
            with progress.starting(spec.name, env_cfg.provisioner):
                handle = provisioner.start(spec, run)
            env.handles[spec.name] = handle
            stack.callback(provisioner.stop, handle)
        env.endpoints_file = write_endpoints(run.directory / "endpoints.json", env.endpoints())
        if reuse:
            _save_state(run, env)
            stack.pop_all()  # deliberately kept: `omnicloud env down` or `prune --all` stops them
        yield env


def _sweep(provisioner: Provisioner, run_id: str) -> None:
    for leftover in provisioner.leftovers(set(), owner_id()):
        if leftover.run_id == run_id:
            provisioner.remove(leftover)


def provisioner_arguments(env: EnvironmentConfig, keys: Iterable[str] = ()) -> dict[str, Any]:
    """The constructor arguments of ``env``'s provisioner: its typed options (validated at
    load) and the environment keys it declares (kubernetes: ``namespace``, ``context``)."""
    options = parse_options(env.provisioner, env.options).model_dump(exclude_none=True)
    options.update({k: getattr(env, k) for k in keys if getattr(env, k) is not None})
    return options


class _Interrupted:
    """SIGTERM raises ``KeyboardInterrupt`` once; repeated signals cannot abort the cleanup."""

    def __init__(self) -> None:
        self.raised = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if not self.raised:
            self.raised = True
            raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


@contextlib.contextmanager
def interrupts_as_keyboard_interrupt() -> Iterator[None]:
    """Make SIGTERM unwind like Ctrl-C, so every ``finally`` and ``__exit__`` runs.

    Only when nobody handles SIGTERM yet: a caller with its own handler (the certify pipeline
    records which signal stopped it) keeps it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None):
        yield
        return
    previous = signal.signal(signal.SIGTERM, _Interrupted())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- runs on disk -------------------------------------------------------------------------------


def runs_dir() -> Path:
    return private_dir(state_root() / "runs")


def _new_run(env_name: str, env: EnvironmentConfig, chash: str, *, keep: bool) -> RunContext:
    run_id = new_run_id()
    directory = runs_dir() / run_id
    directory.mkdir(mode=0o700)
    directory.chmod(private_dir_mode())
    owner = {
        "pid": os.getpid(),
        "started": _process_start(os.getpid()),
        "keep": keep,
        "environment": env_name,
        "provisioner": env.provisioner,
        "config_hash": chash,
        "created": time.time(),
    }
    write_private(directory / "owner.json", json.dumps(owner))
    return RunContext(run_id, chash, directory, env_name, dict(env.options))


def _process_start(pid: int) -> str:
    """The kernel's start time of ``pid``: with the pid, it identifies a process uniquely."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _save_state(run: RunContext, env: Environment) -> None:
    state = {
        "environment": env.name,
        "provisioner": env.provisioner,
        "run_id": env.run_id,
        "config_hash": env.config_hash,
        "handles": {n: h.to_json() for n, h in env.handles.items()},
    }
    tmp = run.directory / "state.json.tmp"
    write_private(tmp, json.dumps(state))  # 0600: it holds the services' credentials
    tmp.replace(run.directory / "state.json")


def kept_runs() -> list[tuple[Path, dict[str, Any]]]:
    """Runs kept alive on purpose (reuse / env up), with their saved state."""
    found = []
    for state_file in sorted(runs_dir().glob("*/state.json")):
        state = _read_json(state_file)
        if state is not None:
            found.append((state_file.parent, state))
    return found


def _reusable(chash: str, provisioner: Provisioner, progress: Progress) -> Environment | None:
    for directory, state in kept_runs():
        if state.get("config_hash") != chash:
            continue
        handles = {n: ServiceHandle.from_json(h) for n, h in state["handles"].items()}
        if all(provisioner.alive(h) for h in handles.values()):
            env = Environment(
                state["environment"],
                state["provisioner"],
                state["run_id"],
                chash,
                handles,
                reused=True,
                kept=True,
                endpoints_file=directory / "endpoints.json",
            )
            for name in handles:
                progress.reused(name, env.provisioner)
            return env
        _stop_run(directory, state, provisioner)
    return None


def _stop_run(directory: Path, state: Mapping[str, Any], provisioner: Provisioner) -> None:
    for data in state.get("handles", {}).values():
        provisioner.stop(ServiceHandle.from_json(data))
    shutil.rmtree(directory, ignore_errors=True)


def teardown(environment: str | None = None) -> list[str]:
    """Stop kept services (of one environment, or all); return the run ids stopped."""
    stopped = []
    for directory, state in kept_runs():
        if environment is not None and state.get("environment") != environment:
            continue
        _stop_run(directory, state, get_provisioner(str(state["provisioner"])))
        stopped.append(str(state["run_id"]))
    return stopped


def live_runs(include_kept: bool = True) -> set[str]:
    """Runs whose owner process still runs (and, unless told otherwise, kept runs)."""
    live = set()
    for owner_file in runs_dir().glob("*/owner.json"):
        owner = _read_json(owner_file) or {}
        pid = int(owner.get("pid", 0))
        running = pid > 0 and _process_start(pid) == owner.get("started") != ""
        if running or (include_kept and owner.get("keep")):
            live.add(owner_file.parent.name)
    return live


def prunable() -> list[str]:
    """Provisioners whose dead runs can leave something behind (``prunable`` capability)."""
    return [name for name in REGISTRY if provisioner_class(name).prunable]


def prune(
    *,
    include_kept: bool = False,
    any_owner: bool = False,
    provisioners: Iterable[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Leftover]:
    """Remove what dead runs left behind; return what was removed.

    Containers and namespaces are only considered when this machine and state root started
    them (label ``omnicloud.owner``), unless ``any_owner``: another user's or CI job's live run
    on a shared engine or cluster is not ours to judge.

    A provisioner whose backend cannot be reached (no Docker engine, no cluster) is skipped
    and reported as a ``Leftover`` of kind ``unreachable``.
    """
    live = live_runs(include_kept)
    removed: list[Leftover] = []
    for name in prunable() if provisioners is None else provisioners:
        try:
            provisioner = get_provisioner(name, **dict((options or {}).get(name, {})))
            found = provisioner.leftovers(live, None if any_owner else owner_id())
        except InfrastructureError as exc:
            removed.append(Leftover("unreachable", name, "", exc.message))
            continue
        for leftover in found:
            provisioner.remove(leftover)
            removed.append(leftover)
    for directory in sorted(runs_dir().iterdir()):
        if directory.is_dir() and directory.name not in live:
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(Leftover("tempdir", str(directory), directory.name))
    removed.extend(prune_init_cache())
    return removed


def prune_init_cache() -> list[Leftover]:
    """Half-written init-cache copies (``<name>.<pid>.tmp``) whose writer is gone: a run
    killed while saving the cache leaves one (tens of MB) that nothing else removes."""
    removed = []
    for partial in sorted((state_root() / "init-cache").glob("*.tmp")):
        pid = partial.name.rsplit(".", 2)[-2] if partial.name.count(".") >= 2 else ""
        if pid.isdigit() and _process_start(int(pid)) != "":
            continue  # still being written by a live run
        if partial.is_dir() and not partial.is_symlink():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        removed.append(Leftover("tempdir", str(partial), "init-cache"))
    return removed


@contextlib.contextmanager
def services_for_run(
    config: Config,
    providers: Iterable[str],
    *,
    environment: str | None = None,
    keep: bool = False,
    progress: Progress | None = None,
) -> Iterator[Environment | None]:
    """The provisioning stage of a run: services the ``providers`` need, exported to pytest.

    Starts them (see ``provision``), points ``$OMNICLOUD_ENDPOINTS`` at their endpoints for the
    block (xdist workers inherit it; the pytest sub-plugin then provisions nothing) and restores
    it afterwards. Yields ``None`` when nothing is needed or endpoints were handed in already.
    Raises ``InfrastructureError`` (exit code 5) when a service cannot start.
    """
    services = services_for(config, providers)
    if not services or os.environ.get(ENV_ENDPOINTS):
        yield None
        return
    with provision(
        config, environment=environment, services=services, keep=keep, progress=progress
    ) as env:
        # Services were started or reused: either way their endpoints file exists.
        assert env.endpoints_file is not None
        os.environ[ENV_ENDPOINTS] = str(env.endpoints_file)
        try:
            yield env
        finally:
            # It was unset on entry (handed-in endpoints return above): unset it again.
            os.environ.pop(ENV_ENDPOINTS, None)


def dead_services(config: Config, env: Environment) -> list[str]:
    """Services of a running ``env`` that no longer answer (stopped by ``env down`` from
    another shell, or crashed): the failures of their providers are the infrastructure's."""
    if not env.handles:
        return []
    cfg = config.environments.get(env.name, EnvironmentConfig(provisioner=env.provisioner))
    cls = provisioner_class(env.provisioner)
    provisioner = cls(**provisioner_arguments(cfg, cls.environment_keys))
    return [name for name, handle in env.handles.items() if not provisioner.alive(handle)]
