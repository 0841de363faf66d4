"""Fixtures: a real git repository per test (see affected_repo.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from affected_repo import Project, make_project


@pytest.fixture
def project_factory(tmp_path: Path) -> Callable[..., Project]:
    def build(extra_config: str = "", name: str = "repo") -> Project:
        return make_project(tmp_path / name, extra_config)

    return build


@pytest.fixture
def project(project_factory: Callable[..., Project]) -> Project:
    return project_factory()
