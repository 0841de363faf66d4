"""Fixtures for tests/shard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shard_helpers import PROJECT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for a module's tests that only read what earlier runs wrote."""
    return make_project(tmp_path_factory.mktemp("shared") / "project")


def make_project(root: Path) -> Path:
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    # test_slow outweighs the rest; the median of the known durations (1 s) estimates the others.
    durations = {f"test_alpha.py::test_number[{n}]": 1.0 for n in range(6)}
    durations["test_alpha.py::test_slow"] = 30.0
    (root / ".omnicloud").mkdir()
    (root / ".omnicloud" / "durations.json").write_text(
        json.dumps({"version": 1, "durations": durations})
    )
    return root
