"""Fixtures for provisioning tests: a private state root per test, configs from TOML text."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import Config, parse_config


@pytest.fixture(autouse=True)
def state_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own state root, so leftover checks see only its own runs.

    Not under pytest's tmp_path: pytest resets that tree to mode 0700 whenever a session
    starts, and PostgreSQL runs as an unprivileged user that must reach its data dir.
    """
    root = Path(tempfile.mkdtemp(prefix="omnicloud-test-state-"))
    root.chmod(0o755)
    monkeypatch.setenv("OMNICLOUD_STATE_DIR", str(root))
    monkeypatch.delenv("OMNICLOUD_ENDPOINTS", raising=False)
    monkeypatch.delenv("OMNICLOUD_ENV", raising=False)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[[str], Config]:
    def make(text: str) -> Config:
        path = tmp_path / "omnicloud.toml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return parse_config(path.read_text(encoding="utf-8"), path, environ=dict(os.environ))

    return make


@pytest.fixture(scope="module")
def client() -> Any:
    """A Docker engine client (docker provisioner tests); skips or fails without an engine."""
    from omnicloud.errors import InfrastructureError
    from omnicloud.provision.docker import docker_client
    from service_guard import require

    try:
        engine = docker_client()
    except InfrastructureError as exc:
        engine = None
        reason = exc.message
    require(
        engine is not None,
        "a Docker engine",
        "start one with 'dockerd > /tmp/dockerd.log 2>&1 &'" if engine is None else "",
    )
    assert engine is not None, reason
    return engine
