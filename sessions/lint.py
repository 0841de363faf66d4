"""``nox -s lint``: ruff check and format check."""

from __future__ import annotations

import nox

from _common import install_dev
from omnicloud.nox_sessions import venv_backend

PATHS = ["src", "tests", "sessions", "bench", "noxfile.py"]


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def lint(session: nox.Session) -> None:
    """Lint with ruff (strict rule set in pyproject.toml)."""
    install_dev(session)
    session.run("ruff", "check", *PATHS)
    session.run("ruff", "format", "--check", *PATHS)
