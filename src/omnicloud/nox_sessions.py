"""Register omnicloud's planned sessions with nox.

A project's ``noxfile.py`` is two lines::

    from omnicloud.nox_sessions import register
    register()

``register`` loads the configuration, plans the sessions (``certify``, ``certify-kv``,
``certify-<provider>``, ``affected``, ``matrix``, ...) and declares each as a nox session that
calls the ``omnicloud`` command, passing posargs through. It also loads every module of a
``sessions/`` folder next to the noxfile, so a repository can add its own sessions there.

Two things keep a session's start cheap:

* the plan is cached in ``.omnicloud/nox-sessions.json`` next to the configuration, keyed by a
  digest of the configuration file, the environment variables it interpolates and the planning
  code; while the digest matches, loading the noxfile imports neither pydantic nor the models;
* every planned session runs in ONE environment, ``<envdir>/omnicloud`` (nox's own
  ``VirtualEnv``), installed once: ``nox -s affected`` after ``nox -s certify-kv`` reuses it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omnicloud.config.models import Config, SessionsConfig

STAMP = ".omnicloud-install-stamp"
#: Seconds nox waits after forwarding Ctrl-C, then after SIGTERM, before killing the command.
INTERRUPT_TIMEOUT = 60.0
TERMINATE_TIMEOUT = 30.0
#: The environment every planned session shares, a folder of nox's envdir.
SHARED_ENV = "omnicloud"
#: Where the plan is cached, relative to the configuration's folder.
PLAN_CACHE = Path(".omnicloud") / "nox-sessions.json"
_CACHE_FORMAT = 1
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
#: The modules whose code decides the plan: an edit to any of them invalidates the cache.
_PLANNING_CODE = ("plan.py", "contracts.py", "nox_sessions.py", "config")


@dataclass(frozen=True)
class PlannedSession:
    """A session as nox needs it (the fields of ``omnicloud.plan.SessionSpec``)."""

    name: str
    description: str
    argv: tuple[str, ...]
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What registering needs from a configuration: its sessions and environment policy."""

    source: Path
    sessions: tuple[PlannedSession, ...]
    venv: str = "auto"
    reuse: bool = True
    python: str | None = None
    install: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()


def venv_backend(policy: SessionsConfig | None = None) -> str:
    """nox's ``venv_backend`` for the configured policy (default ``auto``; ``"none"`` runs in
    this Python)."""
    return _backend("auto" if policy is None else policy.venv)


def _backend(venv: str) -> str:
    if venv == "auto":
        return "uv|virtualenv" if shutil.which("uv") else "virtualenv"
    return venv


def install_once(session: Any, *args: str, root: Path | None = None) -> None:
    """``pip install args`` into the session's environment unless an identical install is
    recorded there (the stamp hashes the arguments and the project's pyproject.toml), so reused
    environments start without touching the network."""
    if getattr(session, "venv_backend", "none") == "none" or not args:
        return
    location = Path(session.virtualenv.location)
    stamped_install(session, location, args, root, lambda: session.install(*args))


def stamped_install(
    session: Any,
    location: Path,
    args: Sequence[str],
    root: Path | None,
    install: Callable[[], object],
) -> bool:
    """Run ``install`` unless ``location``'s stamp records these arguments; True if it ran."""
    digest = hashlib.sha256("\0".join(args).encode())
    pyproject = (root or Path.cwd()) / "pyproject.toml"
    if pyproject.is_file():
        digest.update(pyproject.read_bytes())
    stamp = location / STAMP
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        session.log("environment up to date (reused)")
        return False
    install()
    stamp.write_text(digest.hexdigest())
    return True


def install_args(config: Config, root: Path) -> list[str]:
    """What a session environment needs: omnicloud itself plus the configured provider code."""
    return _install_args(config.sessions.install, config.sessions.extras, root)


def _install_args(install: Sequence[str], extras: Sequence[str], root: Path) -> list[str]:
    args = list(install)
    suffix = f"[{','.join(extras)}]" if extras else ""
    if not args and ((root / "pyproject.toml").is_file() or (root / "setup.py").is_file()):
        # This project is omnicloud itself: its extras are the backend clients to install.
        args = ["-e", f"{root}{suffix}" if _installs_omnicloud(root) else str(root)]
    if not _installs_omnicloud(root):
        args.append(_omnicloud_requirement(extras))
    return args


def _installs_omnicloud(root: Path) -> bool:
    pyproject = root / "pyproject.toml"
    return pyproject.is_file() and 'name = "open-omni-cloud-tck"' in pyproject.read_text()


def _omnicloud_requirement(extras: Sequence[str]) -> str:
    """This omnicloud: its source folder when installed from one, else the released version."""
    from importlib.metadata import PackageNotFoundError, distribution

    suffix = f"[{','.join(extras)}]" if extras else ""
    try:
        dist = distribution("open-omni-cloud-tck")
    except PackageNotFoundError:
        return f"open-omni-cloud-tck{suffix}"
    direct = dist.read_text("direct_url.json")
    if direct:
        origin = json.loads(direct)
        url = origin.get("url", "")
        vcs = origin.get("vcs_info", {})
        if vcs.get("vcs") == "git":  # installed from the repository: the same commit again
            return f"open-omni-cloud-tck{suffix} @ git+{url}@{vcs.get('commit_id', 'HEAD')}"
        if url.startswith("file://"):
            return f"open-omni-cloud-tck{suffix} @ {url}"
    return f"open-omni-cloud-tck{suffix}=={dist.version}"


# --- the plan and its cache --------------------------------------------------------------------


def plan_digest(source: Path, environ: Mapping[str, str] | None = None) -> str:
    """What the plan depends on: the configuration file, the variables it interpolates (set or
    not) and the planning code (modification time and size of each of its files)."""
    environ = os.environ if environ is None else environ
    raw = source.read_bytes()
    digest = hashlib.sha256(f"{_CACHE_FORMAT}\0{source.resolve()}\0".encode())
    digest.update(raw)
    for name in sorted(set(_VARIABLE.findall(raw.decode("utf-8", "replace")))):
        digest.update(f"\0{name}={environ.get(name, chr(0))}".encode())
    for path in _planning_files():
        stat = path.stat()
        digest.update(f"\0{path.name}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()


def _planning_files() -> Iterable[Path]:
    package = Path(__file__).resolve().parent
    for name in _PLANNING_CODE:
        path = package / name
        yield from sorted(path.glob("*.py")) if path.is_dir() else (path,)


def plan_from_config(config: Config) -> Plan:
    from omnicloud.plan import plan_sessions

    assert config.source is not None
    sessions = tuple(
        PlannedSession(s.name, s.description, s.argv, s.tags, s.requires)
        for s in plan_sessions(config)
    )
    policy = config.sessions
    return Plan(
        config.source,
        sessions,
        policy.venv,
        policy.reuse,
        policy.python,
        tuple(policy.install),
        tuple(policy.extras),
    )


def read_cached_plan(source: Path, digest: str) -> Plan | None:
    """The cached plan when its digest is ``digest``; None when absent, stale or unreadable."""
    try:
        data = json.loads((source.parent / PLAN_CACHE).read_text(encoding="utf-8"))
        if data.get("digest") != digest:
            return None
        sessions = tuple(
            PlannedSession(s["name"], s["description"], *(tuple(s[k]) for k in _TUPLES))
            for s in data["sessions"]
        )
        policy = data["policy"]
        return Plan(
            Path(data["source"]),
            sessions,
            policy["venv"],
            policy["reuse"],
            policy["python"],
            tuple(policy["install"]),
            tuple(policy["extras"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


_TUPLES = ("argv", "tags", "requires")


def write_cached_plan(plan: Plan, digest: str) -> None:
    """Best effort: a read-only checkout simply plans on every start."""
    sessions = [
        {"name": s.name, "description": s.description, **{k: list(getattr(s, k)) for k in _TUPLES}}
        for s in plan.sessions
    ]
    policy = {
        "venv": plan.venv,
        "reuse": plan.reuse,
        "python": plan.python,
        "install": list(plan.install),
        "extras": list(plan.extras),
    }
    data = {"digest": digest, "source": str(plan.source), "policy": policy, "sessions": sessions}
    path = plan.source.parent / PLAN_CACHE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def load_plan(config_path: str | Path | None = None) -> Plan:
    """The sessions of the configuration: from the cache when current, else planned (and
    cached). Configuration errors print as one line and exit with their code."""
    from omnicloud.config.find import find_config
    from omnicloud.errors import OmnicloudError

    try:
        source = Path(config_path) if config_path is not None else find_config()
        digest = plan_digest(source)
    except OmnicloudError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    except OSError:
        digest = ""  # unreadable: loading reports it with its code
    cached = read_cached_plan(source, digest) if digest else None
    if cached is not None:
        return cached
    from omnicloud.config import load_config

    try:
        plan = plan_from_config(load_config(source))
    except OmnicloudError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    if digest:
        write_cached_plan(plan, digest)
    return plan


# --- sessions ----------------------------------------------------------------------------------


def shared_environment(session: Any, plan: Plan) -> Any:
    """The one environment of every planned session: ``<envdir>/omnicloud``, made by nox's own
    ``VirtualEnv`` on first use and reused after (unless ``[sessions] reuse = false``)."""
    from nox.virtualenv import get_virtualenv

    env = get_virtualenv(
        *_backend(plan.venv).split("|"),
        download_python="auto",
        envdir=str(session.cache_dir.parent / SHARED_ENV),
        reuse_existing=plan.reuse,
        interpreter=plan.python,
    )
    created = env.create()
    state = "created" if created else "reused"
    session.log(f"shared session environment {env.location} ({state})")
    return env


def _install_into(session: Any, env: Any, args: Sequence[str]) -> None:
    python = str(Path(env.bin) / "python")
    if env.venv_backend == "uv":
        session.run("uv", "pip", "install", "--python", python, *args, external=True, silent=True)
    else:
        session.run(python, "-m", "pip", "install", *args, external=True, silent=True)


def session_function(spec: PlannedSession, plan: Plan, root: Path) -> Callable[[Any], None]:
    def run(session: Any) -> None:
        # nox runs from the noxfile's folder; the configuration's folder is the project's root.
        session.chdir(root)
        if plan.venv == "none":
            command: tuple[str, ...] = (sys.executable, "-m", "omnicloud")
            env: dict[str, str] = {}
        else:
            shared = shared_environment(session, plan)
            args = _install_args(plan.install, plan.extras, root)
            stamped_install(
                session,
                Path(shared.location),
                args,
                root,
                lambda: _install_into(session, shared, args),
            )
            command = (str(Path(shared.bin) / "omnicloud"),)
            path = os.pathsep.join([*shared.bin_paths, os.environ.get("PATH", "")])
            env = {"VIRTUAL_ENV": shared.location, "PATH": path}
        session.run(
            *command,
            *spec.argv,
            "--config",
            str(plan.source),
            *session.posargs,
            env=env,
            external=True,
            # nox's defaults (SIGTERM 0.3 s after Ctrl-C, SIGKILL 0.2 s later) kill a run
            # before it has stopped its services: give the teardown the time it needs.
            interrupt_timeout=INTERRUPT_TIMEOUT,
            terminate_timeout=TERMINATE_TIMEOUT,
        )

    run.__doc__ = spec.description
    run.__name__ = spec.name.replace("-", "_")
    return run


def register(
    config_path: str | Path | None = None,
    *,
    sessions_dir: str | Path | None = None,
) -> list[str]:
    """Declare the planned sessions (and a ``sessions/`` folder's modules) with nox."""
    import nox

    plan = load_plan(config_path)
    root = plan.source.parent
    names = []
    for spec in plan.sessions:
        declare = nox.session(
            name=spec.name,
            tags=list(spec.tags),
            python=plan.python,
            # The session itself makes (or reuses) the shared environment: nox makes none.
            venv_backend="none",
            requires=list(spec.requires) or None,
            default=spec.name == "certify",
        )
        declare(session_function(spec, plan, root))
        names.append(spec.name)
    folder = Path(sessions_dir) if sessions_dir is not None else root / "sessions"
    load_session_modules(folder)
    return names


def load_session_modules(folder: Path) -> list[str]:
    """Import every ``*.py`` in ``folder`` (each declares sessions with ``@nox.session``)."""
    loaded: list[str] = []
    if not folder.is_dir():
        return loaded
    if str(folder) not in sys.path:  # session modules may share helpers (sessions/_common.py)
        sys.path.insert(0, str(folder))
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"omnicloud_sessions_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        loaded.append(path.stem)
    return loaded
