"""With no ``project.base_ref`` written, the base is what the repository has, and it says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from affected_repo import CONFIG, Project, git, make_project

from omnicloud.affected.changes import GitRepo, default_branch, repository_base

NO_BASE = CONFIG.replace('[project]\nbase_ref = "main"\n', '[project]\nname = "acme"\n')


@pytest.fixture(autouse=True)
def _no_ci_base(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", raising=False)


def unconfigured(root: Path) -> Project:
    project = make_project(root)
    project.write("omnicloud.toml", NO_BASE)
    project.commit("no base_ref")
    return project


def test_a_feature_branch_without_a_remote_diffs_against_the_default_branch(
    tmp_path: Path,
) -> None:
    project = unconfigured(tmp_path / "repo")
    project.append("src/acme/util.py", "Y = 2\n")
    project.commit()
    result = project.affected()
    assert (result.selection.base, result.base_source) == (
        "main",
        "the repository (default branch; no origin/HEAD)",
    )
    assert [p.name for p in result.selection.providers] == ["memory-kv"]


def test_on_the_default_branch_without_a_remote_the_base_is_the_previous_commit(
    tmp_path: Path,
) -> None:
    project = unconfigured(tmp_path / "repo")
    project.git("checkout", "-q", "main")
    project.git("merge", "-q", "--ff-only", "feature")
    project.append("src/acme/tenant.py", "X = 1\n")
    project.commit()
    result = project.affected()
    assert result.selection.base == "HEAD~1"
    assert result.base_source.startswith("the repository (HEAD~1")
    assert [p.name for p in result.selection.providers] == ["tenant-kv"]


def test_a_clone_diffs_against_origin_head(tmp_path: Path) -> None:
    upstream = unconfigured(tmp_path / "upstream")
    upstream.git("checkout", "-q", "main")
    upstream.git("merge", "-q", "--ff-only", "feature")
    git(tmp_path, "clone", "-q", str(upstream.root), "clone")
    clone = Project(tmp_path / "clone")
    clone.git("checkout", "-q", "-b", "topic")
    clone.append("src/acme/tenant.py", "X = 1\n")
    clone.commit()
    result = clone.affected()
    assert (result.selection.base, result.base_source) == (
        "origin/main",
        "the repository (origin/HEAD)",
    )
    assert default_branch(GitRepo.open(clone.root)) == "origin/main"
    assert [p.name for p in result.selection.providers] == ["tenant-kv"]


def test_a_single_commit_runs_everything_and_says_why(tmp_path: Path) -> None:
    root = tmp_path / "one"
    root.mkdir()
    project = Project(root)
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", NO_BASE)
    project.write("src/acme/__init__.py", "")
    project.commit("first")
    assert repository_base(GitRepo.open(root)).ref == "HEAD~1"
    selection = project.affected().selection
    assert selection.full_run == (
        "full run: HEAD~1 does not exist (a first commit): running everything"
    )


def test_a_written_base_ref_still_wins(project: Project) -> None:
    result = project.affected()
    assert (result.selection.base, result.base_source) == ("main", "project.base_ref")
