"""``omnicloud init`` then ``omnicloud affected`` is safe on a plain project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from affected_repo import Project, git

from omnicloud.cli.cmd_init import detect_test_paths, ignore_local_state

CALC = "def add(a, b):\n    return a + b\n"


def omnicloud(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_BASE_REF", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def plain_project(root: Path) -> Project:
    root.mkdir(parents=True)
    project = Project(root)
    project.git("init", "-q", "-b", "main")
    project.write("src/calc/__init__.py", "")
    project.write("src/calc/ops.py", CALC)
    project.write(
        "tests/test_ops.py",
        "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
    )
    project.write("docs/index.md", "# calc\n")
    project.write(".gitignore", "__pycache__/\n/omnicloud-results\n")
    project.commit("base")
    return project


@pytest.mark.slow
def test_init_then_affected_selects_and_fails_a_seeded_bug(tmp_path: Path) -> None:
    project = plain_project(tmp_path / "calc")
    init = omnicloud(project.root, "init")
    assert init.returncode == 0, init.stderr
    config = (project.root / "omnicloud.toml").read_text()
    assert 'base_ref = "main"' in config
    assert 'test_paths = ["tests"]' in config
    ignored = (project.root / ".gitignore").read_text()
    assert ignored == (
        "__pycache__/\n/omnicloud-results\n# omnicloud: local state and run results\n.omnicloud/\n"
    )  # the results folder was already ignored: not added twice
    assert "added .omnicloud/ to" in init.stdout
    project.commit("adopt omnicloud")
    project.git("checkout", "-q", "-b", "feature")
    project.write("src/calc/ops.py", CALC.replace("a + b", "a - b"))
    project.commit("bug")
    done = omnicloud(project.root, "affected", "--run")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tests/test_ops.py" in done.stdout
    assert "base main (from project.base_ref" in done.stdout


def test_init_in_a_clone_takes_the_remote_default_branch(tmp_path: Path) -> None:
    upstream = plain_project(tmp_path / "upstream")
    upstream.git("branch", "-m", "main", "trunk")
    git(tmp_path, "clone", "-q", str(upstream.root), "clone")
    init = omnicloud(tmp_path / "clone", "init")
    assert init.returncode == 0, init.stderr
    assert 'base_ref = "origin/trunk"' in (tmp_path / "clone" / "omnicloud.toml").read_text()


def test_init_outside_git_leaves_the_base_to_the_repository(tmp_path: Path) -> None:
    init = omnicloud(tmp_path, "init")
    assert init.returncode == 0, init.stderr
    config = (tmp_path / "omnicloud.toml").read_text()
    assert "base_ref =" not in config
    assert "# test_paths" in config  # no test folder: a commented hint, not a silent gap
    assert (tmp_path / ".gitignore").read_text().splitlines()[1:] == [
        ".omnicloud/",
        "omnicloud-results/",
    ]
    assert omnicloud(tmp_path, "validate").returncode == 0


def test_gitignore_entries_are_added_once(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("build")  # no final newline
    assert ignore_local_state(tmp_path) == [".omnicloud/", "omnicloud-results/"]
    assert ignore_local_state(tmp_path) == []
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines == [
        "build",
        "# omnicloud: local state and run results",
        ".omnicloud/",
        "omnicloud-results/",
    ]


def test_test_paths_come_from_pytest_settings_else_conventional_folders(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "unit").mkdir()
    (tmp_path / "test" / "unit" / "store_test.py").write_text("")
    (tmp_path / "tests").mkdir()  # empty: not a test folder
    assert detect_test_paths(tmp_path) == ["test"]
    (tmp_path / "checks").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["checks", "missing"]\n'
    )
    assert detect_test_paths(tmp_path) == ["checks"]
