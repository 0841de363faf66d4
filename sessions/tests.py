"""``nox -s tests``: the test suite (pytest, xdist over the machine's cores)."""

from __future__ import annotations

import os

import nox

from _common import install_dev
from omnicloud.nox_sessions import venv_backend


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def tests(session: nox.Session) -> None:
    """Run the test suite (posargs go to pytest)."""
    install_dev(session, "bench")
    workers = os.environ.get("OMNICLOUD_TEST_WORKERS", "auto")
    args = session.posargs or ["-n", workers, "--dist", "loadgroup", "tests"]
    session.run("python", "-m", "pytest", *args)
