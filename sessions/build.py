"""``nox -s build``: the sdist and wheel in ``dist/``, checked with ``twine check``.

The wheel is what getting started installs until a release is on PyPI, and what the release
workflow (``.github/workflows/release.yml``) publishes with PyPI trusted publishing.
"""

from __future__ import annotations

import shutil

import nox

from _common import ROOT
from omnicloud.nox_sessions import venv_backend


@nox.session(venv_backend=venv_backend(), reuse_venv=True, tags=["dev"], default=False)
def build(session: nox.Session) -> None:
    """Build the sdist and wheel into dist/ and check their metadata with twine."""
    session.install("build>=1.0", "twine>=5")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    artifacts = sorted(str(path) for path in dist.iterdir())
    session.run("python", "-m", "twine", "check", "--strict", *artifacts)
