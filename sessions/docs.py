"""``nox -s docs``: regenerate the configuration reference and check the docs' links."""

from __future__ import annotations

import nox

from _common import install_dev
from omnicloud.nox_sessions import venv_backend


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def docs(session: nox.Session) -> None:
    """Write docs/configuration.md from the models and the JSON Schema; check links."""
    install_dev(session)
    session.run("python", "-m", "omnicloud.docgen", "docs")
