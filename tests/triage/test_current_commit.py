"""The commit a triage run is recorded against: the repository's HEAD, else the CI's."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from omnicloud.triage.history import current_commit


def test_the_checked_out_commit_of_the_enclosing_repository(tmp_path: Path) -> None:
    with git.Repo.init(tmp_path) as repo:  # closing it stops its `git cat-file` helpers
        (tmp_path / "a.txt").write_text("a\n")
        repo.index.add(["a.txt"])
        commit = repo.index.commit("first").hexsha
    (tmp_path / "sub").mkdir()
    assert current_commit(tmp_path / "sub") == commit


@pytest.mark.parametrize("variable", ["GITHUB_SHA", "CI_COMMIT_SHA", "OMNICLOUD_COMMIT"])
def test_outside_a_repository_the_ci_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "OMNICLOUD_COMMIT"):
        monkeypatch.delenv(name, raising=False)
    assert current_commit(tmp_path) is None
    monkeypatch.setenv(variable, "abc123")
    assert current_commit(tmp_path) == "abc123"


def test_a_repository_without_commits_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "OMNICLOUD_COMMIT"):
        monkeypatch.delenv(name, raising=False)
    git.Repo.init(tmp_path).close()
    assert current_commit(tmp_path) is None
