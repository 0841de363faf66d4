"""Register omnicloud's planned sessions with nox.

A project's ``noxfile.py`` is two lines::

    from omnicloud.nox_sessions import register
    register()

``register`` loads the configuration, plans the sessions (``certify``, ``certify-kv``,
``certify-<provider>``, ``affected``, ``matrix``, ...) and declares each as a nox session that
calls the ``omnicloud`` command, passing posargs through. It also loads every module of a
``sessions/`` folder next to the noxfile, so a repository can add its own sessions there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omnicloud.config.models import Config, SessionsConfig
from omnicloud.plan import SessionSpec, plan_sessions

STAMP = ".omnicloud-install-stamp"
#: Seconds nox waits after forwarding Ctrl-C, then after SIGTERM, before killing the command.
INTERRUPT_TIMEOUT = 60.0
TERMINATE_TIMEOUT = 30.0


def venv_backend(policy: SessionsConfig) -> str | None:
    """nox's ``venv_backend`` for the configured policy (``None`` runs in this Python)."""
    if policy.venv == "none":
        return "none"
    if policy.venv == "auto":
        return "uv|virtualenv" if shutil.which("uv") else "virtualenv"
    return policy.venv


def install_once(session: Any, *args: str, root: Path | None = None) -> None:
    """``pip install args`` into the session's environment unless an identical install is
    recorded there (the stamp hashes the arguments and the project's pyproject.toml), so reused
    environments start without touching the network."""
    if getattr(session, "venv_backend", "none") == "none" or not args:
        return
    digest = hashlib.sha256("\0".join(args).encode())
    pyproject = (root or Path.cwd()) / "pyproject.toml"
    if pyproject.is_file():
        digest.update(pyproject.read_bytes())
    stamp = Path(session.virtualenv.location) / STAMP
    if stamp.is_file() and stamp.read_text() == digest.hexdigest():
        session.log("environment up to date (reused)")
        return
    session.install(*args)
    stamp.write_text(digest.hexdigest())


def install_args(config: Config, root: Path) -> list[str]:
    """What a session environment needs: omnicloud itself plus the configured provider code."""
    args = list(config.sessions.install)
    extras = f"[{','.join(config.sessions.extras)}]" if config.sessions.extras else ""
    if not args and ((root / "pyproject.toml").is_file() or (root / "setup.py").is_file()):
        # This project is omnicloud itself: its extras are the backend clients to install.
        args = ["-e", f"{root}{extras}" if _installs_omnicloud(root) else str(root)]
    if not _installs_omnicloud(root):
        args.append(_omnicloud_requirement(config.sessions.extras))
    return args


def _installs_omnicloud(root: Path) -> bool:
    pyproject = root / "pyproject.toml"
    return pyproject.is_file() and 'name = "open-omni-cloud-tck"' in pyproject.read_text()


def _omnicloud_requirement(extras: Sequence[str]) -> str:
    """This omnicloud: its source folder when installed from one, else the released version."""
    import json
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


def session_function(spec: SessionSpec, config: Config, root: Path) -> Callable[[Any], None]:
    args = install_args(config, root)

    def run(session: Any) -> None:
        # nox runs from the noxfile's folder; the configuration's folder is the project's root.
        session.chdir(root)
        install_once(session, *args, root=root)
        external = session.venv_backend == "none"
        command = ("omnicloud",) if not external else (sys.executable, "-m", "omnicloud")
        session.run(
            *command,
            *spec.argv,
            "--config",
            str(config.source),
            *session.posargs,
            external=external,
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

    from omnicloud.config import load_config
    from omnicloud.errors import OmnicloudError

    try:
        config = load_config(config_path)
    except OmnicloudError as exc:
        print(exc.render(), file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    assert config.source is not None
    root = config.source.parent
    backend = venv_backend(config.sessions)
    names = []
    for spec in plan_sessions(config):
        declare = nox.session(
            name=spec.name,
            tags=list(spec.tags),
            python=config.sessions.python,
            venv_backend=backend,
            reuse_venv=config.sessions.reuse,
            requires=list(spec.requires) or None,
            default=spec.name == "certify",
        )
        declare(session_function(spec, config, root))
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
