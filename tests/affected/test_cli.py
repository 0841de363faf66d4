"""``omnicloud affected`` through the real entry point: text, --json, --explain, exit codes and
--run certifying exactly the selection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from affected_repo import Project, git

from omnicloud.cli import main

CI_VARIABLES = (
    "GITHUB_BASE_REF",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA",
)


@pytest.fixture(autouse=True)
def _no_ci_base(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_json_output(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.append("src/acme/util.py", "Y = 1\n")
    project.commit()
    code = main(["affected", "-c", str(project.root / "omnicloud.toml"), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["base"] == "main"
    assert data["base_source"] == "project.base_ref"
    assert data["full_run"] is None
    assert data["changed"] == [
        {
            "path": "src/acme/util.py",
            "status": "modified",
            "origin": "committed",
            "old_path": None,
            "submodule": False,
        }
    ]
    assert data["providers"] == [
        {
            "name": "memory-kv",
            "justification": "memory-kv <- src/acme/memory.py imports src/acme/util.py (modified)",
            "reasons": [
                {
                    "rule": "imports",
                    "text": "src/acme/memory.py imports src/acme/util.py (modified)",
                }
            ],
            "tests": [],
        }
    ]


def test_text_and_explain(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.append("src/acme/util.py", "Y = 1\n")
    project.write("docs/index.md", "# more\n")
    project.commit()
    config = str(project.root / "omnicloud.toml")
    assert main(["affected", "-c", config]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("affected: 1 provider (base main (from project.base_ref, merge")
    assert lines[1:] == ["  memory-kv <- src/acme/memory.py imports src/acme/util.py (modified)"]
    assert main(["affected", "-c", config, "--explain"]) == 0
    explained = capsys.readouterr().out.splitlines()
    assert explained[2:5] == [
        "changed files (2):",
        "  docs/index.md (modified) [committed]",
        "  src/acme/util.py (modified) [committed]",
    ]
    assert explained[5].startswith("import graph: ")
    assert explained[6].startswith("time: git ")


def test_missing_base_ref_exits_3(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["affected", "-c", str(project.root / "omnicloud.toml"), "--base", "origin/mian"])
    assert code == 3
    assert capsys.readouterr().err == (
        "error: base ref 'origin/mian' (from --base) does not exist in this repository;"
        " close refs: main\n"
        "  hint: fetch it (for example 'git fetch origin main') or pass --base REF\n"
    )


def test_empty_selection_with_run_succeeds_and_says_so(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("docs/index.md", "# only docs\n")
    project.commit()
    code = main(["affected", "-c", str(project.root / "omnicloud.toml"), "--run"])
    assert code == 0
    out = capsys.readouterr().out
    assert "affected: nothing to certify: no rule selects anything for the 1 changed file" in out
    assert out.endswith("affected: nothing to run; exiting 0\n")


def test_shallow_warning_goes_to_stderr(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{project.root}", "shallow")
    config = tmp_path / "shallow/omnicloud.toml"
    assert main(["affected", "-c", str(config), "--base", "origin/nothing-here"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(
        "warning: base ref 'origin/nothing-here' (--base) is not in this shallow clone"
    )
    assert captured.out.startswith("affected: everything (base origin/nothing-here")


PROVIDERS = """\
[project]
base_ref = "main"
results_dir = "results"

[providers.alpha-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
paths = ["alpha/**"]

[providers.beta-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
paths = ["beta/**"]
"""


def test_run_certifies_exactly_the_selected_provider(tmp_path: Path) -> None:
    project = Project(tmp_path / "repo")
    project.root.mkdir()
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", PROVIDERS)
    project.write(".gitignore", "results/\n")
    project.write("alpha/notes.txt", "a\n")
    project.write("beta/notes.txt", "b\n")
    project.commit("base")
    project.git("checkout", "-q", "-b", "feature")
    project.append("alpha/notes.txt", "changed\n")
    project.commit()
    env = {k: v for k, v in __import__("os").environ.items() if k not in CI_VARIABLES}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from omnicloud.cli import main; sys.exit(main())",
            "affected",
            "--run",
            "--",
            "-p",
            "no:cacheprovider",
        ],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[1] == (
        "  alpha-kv <- alpha/notes.txt (modified) matches paths 'alpha/**'"
    )
    junit = (project.root / "results/junit.xml").read_text()
    assert "alpha-kv:kv_store" in junit
    assert "beta-kv" not in junit


NARROW = """\
[project]
base_ref = "main"
results_dir = "results"

[providers.alpha-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"

[providers.beta-kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.kv:InMemoryKVStore"
"""


def test_run_narrows_to_the_changed_contract_test(tmp_path: Path) -> None:
    import os
    import re
    import shutil

    import tck_py

    project = Project(tmp_path / "repo")
    project.root.mkdir()
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", NARROW)
    project.write(".gitignore", "results/\n__pycache__/\n")
    shutil.copytree(
        Path(tck_py.__file__).parent,
        project.root / "src/tck_py",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    project.commit("base with the contract suites in the repository")
    project.git("checkout", "-q", "-b", "feature")
    suite = project.root / "src/tck_py/primitives/kv_store.py"
    text, count = re.subn(
        r"(async def test_set_and_get_value\(self[^)]*\) -> None:\n)",
        r"\1        assert True  # a new check in this test only\n",
        suite.read_text(),
    )
    assert count == 1
    suite.write_text(text)
    project.commit("tighten one contract test")
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from omnicloud.cli import main; sys.exit(main())",
            "affected",
            "--run",
            "--",
            "-p",
            "no:cacheprovider",
        ],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[1:3] == [
        "  alpha-kv <- contract kv_store suite src/tck_py/primitives/kv_store.py (modified)"
        " [only test_set_and_get_value]",
        "  beta-kv <- contract kv_store suite src/tck_py/primitives/kv_store.py (modified)"
        " [only test_set_and_get_value]",
    ]
    junit = (project.root / "results/junit.xml").read_text()
    cases = re.findall(r'<testcase [^>]*name="([^"]+)"', junit)
    classes = re.findall(r'<testcase [^>]*classname="([^"]+)"', junit)
    assert cases == ["test_set_and_get_value", "test_set_and_get_value"]
    assert sorted(c.rpartition(".")[2] for c in classes) == [
        "alpha-kv:kv_store",
        "beta-kv:kv_store",
    ]
