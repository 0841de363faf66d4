# /// script
# requires-python = ">=3.11"
# dependencies = ["nox>=2025.2.9", "pydantic>=2.5"]
# ///
"""Sessions of this repository: the certify sessions planned from omnicloud.toml, plus the
development sessions in sessions/ (tests, lint, typecheck, docs, bench).

The script block lets a bare ``pip install nox`` run this file: nox prepares a small environment
with what loading the configuration needs, and each session installs the project itself.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from omnicloud.nox_sessions import register

register()
