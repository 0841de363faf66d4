"""Helpers for tests/shard: a small generated test project run by real pytest processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SHARD_VARIABLES = (
    "OMNICLOUD_SHARD",
    "OMNICLOUD_SHARD_COUNT",
    "JOB_COMPLETION_INDEX",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "OMNICLOUD_CONFIG",
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_AUTO_NUM_WORKERS",
)

PROJECT = {
    "pytest.ini": "[pytest]\n",
    "test_alpha.py": """
import pytest

@pytest.mark.parametrize("n", range(12))
def test_number(n):
    assert n != 7, "seven is unlucky"

def test_slow():
    pass

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_error(broken):
    pass
""",
    "pkg/test_beta.py": """
class TestBeta:
    def test_one(self): pass
    def test_two(self): pass
    def test_three(self): assert False, "beta three"

def test_param_names_with_odd_chars():
    pass
""",
    "pkg/__init__.py": "",
}


# Plugins this project does not use; skipping them makes each pytest process ~3x faster to start.
QUIET_PLUGINS = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:faker",
    "-p",
    "no:benchmark",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:split",
    "-p",
    "no:asyncio",  # no async tests here; and without an omnicloud.toml it is left as installed
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SHARD_VARIABLES}
    env.update(extra)
    return env


def run(args: Sequence[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_pytest(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(["-m", "pytest", *QUIET_PLUGINS, "-q", *args], project, **env)


def run_omnicloud(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from omnicloud.cli import main; sys.exit(main())"
    return run(["-c", code, *args], project, **env)
