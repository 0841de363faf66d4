"""``omnicloud env prune`` removes half-written init-cache copies left by a killed run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from trust_support import environ, omnicloud


@pytest.fixture
def state_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="omnicloud-trust-state-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _dead_pid() -> int:
    pid = 4_000_000  # above the default pid_max: never a running process
    assert not Path(f"/proc/{pid}").exists()
    return pid


def test_prune_removes_stale_init_cache_copies_and_keeps_live_ones(
    tmp_path: Path, state_dir: Path
) -> None:
    cache = state_dir / "init-cache"
    stale = cache / f"postgres-3f2a.{_dead_pid()}.tmp"
    live = cache / f"postgres-3f2a.{os.getpid()}.tmp"
    done = cache / "postgres-3f2a"
    for folder in (stale, live, done):
        (folder / "base").mkdir(parents=True)
        (folder / "base" / "1").write_bytes(b"\0" * 4096)
    result = omnicloud(tmp_path, "env", "prune", env=environ(OMNICLOUD_STATE_DIR=str(state_dir)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"removed tempdir {stale} (run init-cache)" in result.stdout
    assert not stale.exists()
    assert live.is_dir()  # its writer still runs
    assert done.is_dir()  # the finished cache is kept
