"""Every planned nox session shares one environment: ``nox -s affected`` after
``nox -s certify-kv`` neither creates nor installs a second one (through the real ``nox``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_newcomer import BIN, clean_env

CONFIG = """\
[project]
name = "scratch"
base_ref = "main"

[sessions]
venv = "virtualenv"

[providers.memory-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
"""
NOXFILE = "from omnicloud.nox_sessions import register\n\nregister()\n"


def run(*argv: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def environments(project: Path) -> list[str]:
    return sorted(p.name for p in (project / ".nox").iterdir() if p.is_dir() and p.name[0] != ".")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    (folder / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "noxfile.py").write_text(NOXFILE, encoding="utf-8")
    (folder / ".gitignore").write_text(".nox/\n.omnicloud/\nomnicloud-results/\n")
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "scratch"],
    ):
        subprocess.run(argv, cwd=folder, check=True, capture_output=True)
    return folder


@pytest.mark.slow
def test_affected_after_certify_kv_reuses_the_one_environment(project: Path) -> None:
    first = run(str(BIN / "nox"), "-s", "certify-kv", cwd=project)
    log = first.stdout + first.stderr
    assert first.returncode == 0, log[-3000:]
    assert "Creating virtual environment" in log
    assert "pip install" in log
    assert environments(project) == ["omnicloud"]

    second = run(str(BIN / "nox"), "-s", "affected", cwd=project)
    log = second.stdout + second.stderr
    assert second.returncode == 0, log[-3000:]
    assert "Creating virtual environment" not in log
    assert "pip install" not in log
    assert "environment up to date (reused)" in log
    assert f"{project / '.nox' / 'omnicloud'} (reused)" in log
    assert environments(project) == ["omnicloud"]
