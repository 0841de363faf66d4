"""``nox -s typecheck``: mypy --strict over the packages."""

from __future__ import annotations

import nox

from _common import install_dev
from omnicloud.nox_sessions import venv_backend


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def typecheck(session: nox.Session) -> None:
    """Type-check src/ with mypy in strict mode."""
    install_dev(session)
    session.run("mypy", *session.posargs)
