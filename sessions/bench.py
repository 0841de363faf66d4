"""``nox -s bench``: the benchmarks in bench/, each printing its ratio against a peer."""

from __future__ import annotations

from pathlib import Path

import nox

from _common import ROOT, install_dev
from omnicloud.nox_sessions import venv_backend


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def bench(session: nox.Session) -> None:
    """Run every bench/*.py (or the ones named in posargs)."""
    install_dev(session, "bench")
    names = session.posargs or sorted(p.stem for p in (ROOT / "bench").glob("*.py"))
    for name in names:
        session.run("python", str(Path("bench") / f"{name}.py"))
