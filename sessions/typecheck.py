"""``nox -s typecheck``: mypy --strict over the packages and the tests."""

from __future__ import annotations

from pathlib import Path

import nox

from _common import ROOT, install_dev
from omnicloud.nox_sessions import venv_backend

TESTS = ROOT / "tests"
# Upstream-shaped example code, kept as users write it (seed READMEs, compat examples): it is
# run by the tests but not held to our strict typing.
EXCLUDED = (TESTS / "tck" / "compat",)


def test_folders() -> list[Path]:
    """Every folder of tests/ holding Python files, each checked on its own: test folders are
    not packages and several have a conftest.py, which one mypy run would see as one module
    found twice."""
    folders = {path.parent for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts}
    return sorted(f for f in folders if not any(f == x or x in f.parents for x in EXCLUDED))


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def typecheck(session: nox.Session) -> None:
    """Type-check src/ and tests/ with mypy in strict mode (arguments: mypy's, src only)."""
    install_dev(session)
    session.run("mypy", *session.posargs)
    if session.posargs:
        return
    # Helpers at the top of tests/ (service_guard, fake_kube) are imported by name from every
    # folder, as pytest's pythonpath = ["tests"] makes them importable.
    env = {"MYPYPATH": str(TESTS)}
    for folder in test_folders():
        files = sorted(str(p.relative_to(ROOT)) for p in folder.glob("*.py"))
        session.run("mypy", "--strict", *files, env=env)
