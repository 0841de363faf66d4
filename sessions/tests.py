"""``nox -s tests``: the test suite (pytest, xdist over the machine's cores)."""

from __future__ import annotations

import os

import nox

from _common import BYTECODE_CACHES, install_dev
from omnicloud.nox_sessions import venv_backend

#: Extra xdist workers per core: most of the suite's time is spent waiting (servers booting,
#: subprocess runs, TTLs and delays), not computing, so one worker per core leaves cores idle.
WORKERS_PER_CORE = 2
#: Beyond this many extra workers, per-worker servers cost more than the waits they overlap.
MAX_EXTRA_WORKERS = 4


def default_workers() -> str:
    """Two xdist workers per usable core, at most four more than the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    return str(min(cores * WORKERS_PER_CORE, cores + MAX_EXTRA_WORKERS))


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def tests(session: nox.Session) -> None:
    """Run the test suite (posargs go to pytest; OMNICLOUD_TEST_WORKERS sets the workers)."""
    install_dev(session)
    workers = os.environ.get("OMNICLOUD_TEST_WORKERS") or default_workers()
    args = session.posargs or ["-n", workers, "--dist", "loadgroup", "tests"]
    session.run("python", "-m", "pytest", *args, env=BYTECODE_CACHES)
