"""Helpers shared by this repository's development sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnicloud.nox_sessions import install_once

ROOT = Path(__file__).resolve().parent.parent

#: The suite starts a few hundred nested Python processes (``omnicloud``, ``pytest``, ``nox``),
#: each importing this project and tck_py and rewriting the suites' assertions. With
#: ``PYTHONDONTWRITEBYTECODE`` set (as in many CI images) every one of them compiled and rewrote
#: everything again from source: about 0.5-0.8 s of CPU per process. The tests write the caches.
BYTECODE_CACHES = {"PYTHONDONTWRITEBYTECODE": ""}


def install_dev(session: Any, *extras: str) -> None:
    """The project (editable) with its dev extras; skipped when the reused env is current."""
    install_once(session, "-e", f".[{','.join(('dev', *extras))}]", root=ROOT)
