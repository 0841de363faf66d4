"""Fail safe: selector errors and toolchain changes run everything and say why; an empty
selection says what it looked at, and is not exit 0 when nothing could have been selected."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from affected_repo import Project

from omnicloud.cli import main


@pytest.fixture(autouse=True)
def _no_ci_base(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", raising=False)


@pytest.mark.parametrize(
    "path", ["uv.lock", "requirements/dev-requirements.txt", ".python-version"]
)
def test_a_lock_file_or_toolchain_pin_runs_everything(project: Project, path: str) -> None:
    project.write(path, "pinned\n")
    project.commit()
    selection = project.affected().selection
    assert selection.full_run is not None
    assert "is a lock file or toolchain pin" in selection.full_run
    assert {p.name for p in selection.providers} == {"redis-kv", "memory-kv", "tenant-kv"}


def test_a_failing_rule_runs_everything_and_names_the_rule(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_ctx: object) -> Iterator[object]:
        raise KeyError("no such module")
        yield  # pragma: no cover

    rules = importlib.import_module("omnicloud.affected.select").RULES
    monkeypatch.setitem(rules, "imports", broken)
    project.append("src/acme/util.py", "Y = 1\n")
    project.commit()
    selection = project.affected().selection
    assert selection.full_run == (
        "full run: the 'imports' rule failed (KeyError: 'no such module')"
    )
    assert len(selection.providers) == 3


def test_an_empty_selection_says_what_it_looked_at(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.append("docs/index.md", "more\n")
    project.commit()
    code = main(["affected", "-c", str(project.root / "omnicloud.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "nothing to certify" in out
    assert "looked at 1 changed file against 3 provider(s) (always, paths, inputs" in out
    assert "0 test file(s) under test_paths []" in out


def test_nothing_to_select_from_is_not_a_green(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    project = Project(root)
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", '[project]\nname = "plain"\nbase_ref = "main"\n')
    project.write("src/calc.py", "X = 1\n")
    project.commit()
    project.git("checkout", "-q", "-b", "feature")
    project.write("src/calc.py", "X = 2\n")
    project.commit()
    code = main(["affected", "-c", str(root / "omnicloud.toml")])
    assert code == 3
    assert "no enabled provider and no affected.test_paths" in capsys.readouterr().err
