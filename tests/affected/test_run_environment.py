"""``affected --run`` tests the working tree's code with the project's own interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from affected_repo import Project

from omnicloud.affected.execute import choose_runner, source_path

CONFIG = """\
[project]
name = "calc"
base_ref = "main"

[affected]
test_paths = ["tests"]
"""
CALC = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def plain(tmp_path: Path) -> Project:
    """A src-layout project with no providers, a bug seeded on ``feature``."""
    project = Project(tmp_path / "calc")
    project.root.mkdir()
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", CONFIG)
    project.write("src/calc/__init__.py", "")
    project.write("src/calc/ops.py", CALC)
    project.write(
        "tests/test_ops.py",
        "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
    )
    project.commit("base")
    project.git("checkout", "-q", "-b", "feature")
    project.write("src/calc/ops.py", CALC.replace("a + b", "a - b"))  # the seeded bug
    project.commit("bug")
    return project


def installed_copy(tmp_path: Path) -> Path:
    """A correct copy of the package, as an older install in site-packages would be."""
    site = tmp_path / "site"
    (site / "calc").mkdir(parents=True)
    (site / "calc" / "__init__.py").write_text("")
    (site / "calc" / "ops.py").write_text(CALC)
    return site


def omnicloud(
    project: Project, *args: str, pythonpath: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    for name in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", "affected", "--run", *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_a_seeded_bug_fails_even_with_an_installed_copy_of_the_package(
    plain: Project, tmp_path: Path
) -> None:
    done = omnicloud(plain, pythonpath=str(installed_copy(tmp_path)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tests/test_ops.py" in done.stdout
    assert "assert -0 == 4" in done.stdout or "assert 0 == 4" in done.stdout


@pytest.mark.slow
def test_the_named_interpreter_runs_the_tests(plain: Project, tmp_path: Path) -> None:
    marker = tmp_path / "used"
    wrapper = tmp_path / "project-python"
    wrapper.write_text(
        textwrap.dedent(f"""\
            #!/bin/sh
            echo "$@" > {marker}
            exec {sys.executable} "$@"
        """)
    )
    wrapper.chmod(0o755)
    done = omnicloud(plain, "--python", str(wrapper))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"with --python {wrapper}" in done.stdout
    assert marker.read_text().startswith("-m pytest tests/test_ops.py")


def test_the_project_virtualenv_is_preferred_to_this_interpreter(tmp_path: Path) -> None:
    assert choose_runner(tmp_path).command[0] == sys.executable
    assert "omnicloud's interpreter" in choose_runner(tmp_path).why
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    runner = choose_runner(tmp_path)
    assert runner.command == (str(venv_python), "-m", "pytest")
    assert runner.why == "the project's virtualenv .venv/bin/python"
    session = choose_runner(tmp_path, python="ignored", session="tests")
    assert session.command[-3:] == ("-s", "tests", "--")


def test_an_unknown_interpreter_is_a_configuration_error(tmp_path: Path) -> None:
    from omnicloud.errors import ConfigError

    with pytest.raises(ConfigError, match="--python /no/such/python: no such interpreter"):
        choose_runner(tmp_path, python="/no/such/python")


def test_source_roots_come_first_on_pythonpath(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = source_path(tmp_path, ["src", ".", "lib"], {"PYTHONPATH": "/site:/other"})
    assert path.split(os.pathsep) == [str(tmp_path / "src"), "/site", "/other"]
