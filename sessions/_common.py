"""Helpers shared by this repository's development sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omnicloud.nox_sessions import install_once

ROOT = Path(__file__).resolve().parent.parent


def install_dev(session: Any, *extras: str) -> None:
    """The project (editable) with its dev extras; skipped when the reused env is current."""
    install_once(session, "-e", f".[{','.join(('dev', *extras))}]", root=ROOT)
