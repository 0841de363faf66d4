"""Edge cases of the git edge: shallow clones, detached HEAD, submodules, missing refs, renames,
deletions, untracked, staged and unstaged files, CI variables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from affected_repo import Project, git

from omnicloud.affected import BaseRef, resolve_base
from omnicloud.errors import ExitCode, SelectionError

Factory = Callable[..., Project]


def clone(source: Project, target: Path, *args: str) -> Project:
    git(source.root.parent, "clone", "-q", *args, f"file://{source.root}", str(target))
    return Project(target)


def test_shallow_clone_without_the_base_runs_everything_and_says_how_to_fetch(
    project: Project, tmp_path: Path
) -> None:
    project.append("src/acme/util.py", "Y = 1\n")
    project.commit()
    shallow = clone(project, tmp_path / "shallow", "--depth", "1", "--branch", "feature")
    result = shallow.affected(base="origin/main")
    assert result.selection.full_run is not None
    assert result.selection.warnings == (
        "base ref 'origin/main' (--base) is not in this shallow clone: running everything;"
        " fetch the history with 'git fetch --unshallow origin' (GitHub Actions:"
        " actions/checkout with 'fetch-depth: 0'; GitLab CI: 'GIT_DEPTH: 0')",
    )
    assert [i.name for i in result.selection.providers] == ["memory-kv", "redis-kv", "tenant-kv"]


def test_shallow_clone_with_the_base_but_no_merge_base_runs_everything(
    project: Project, tmp_path: Path
) -> None:
    project.append("src/acme/util.py", "Y = 1\n")
    project.commit()
    shallow = clone(
        project, tmp_path / "shallow", "--depth", "1", "--no-single-branch", "--branch", "feature"
    )
    result = shallow.affected(base="origin/main")
    assert result.selection.warnings == (
        "no merge base between 'origin/main' (--base) and HEAD (this is a shallow clone):"
        " running everything; fetch the history with 'git fetch --unshallow origin' (GitHub"
        " Actions: actions/checkout with 'fetch-depth: 0'; GitLab CI: 'GIT_DEPTH: 0')",
    )
    assert len(result.selection.providers) == 3
    shallow.git("fetch", "-q", "--unshallow", "origin")
    after = shallow.affected(base="origin/main").selection
    assert after.full_run is None
    assert [i.justification for i in after.providers] == [
        "memory-kv <- src/acme/memory.py imports src/acme/util.py (modified)"
    ]


def test_detached_head_works(project: Project) -> None:
    project.append("src/acme/tenant.py", "X = 1\n")
    project.commit()
    project.git("checkout", "-q", "--detach", "HEAD")
    assert project.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD"
    assert project.justifications() == ["tenant-kv <- src/acme/tenant.py (modified)"]


def test_missing_base_ref_is_a_selection_error_with_close_refs(project: Project) -> None:
    with pytest.raises(SelectionError) as caught:
        project.affected(base="mian")
    assert caught.value.message == (
        "base ref 'mian' (from --base) does not exist in this repository; close refs: main"
    )
    assert caught.value.hint == "fetch it (for example 'git fetch origin main') or pass --base REF"
    assert caught.value.exit_code == ExitCode.SELECTION == 3


def test_not_a_repository_is_a_selection_error(tmp_path: Path) -> None:
    from omnicloud.affected import collect_changes

    with pytest.raises(SelectionError, match="is not inside a git repository"):
        collect_changes(tmp_path, BaseRef("main", "--base"))


def test_submodule_pointer_change_counts_as_a_change_of_its_path(
    project_factory: Factory, tmp_path: Path
) -> None:
    library = Project(tmp_path / "library")
    library.root.mkdir()
    library.git("init", "-q", "-b", "main")
    library.write("lib.py", "X = 1\n")
    library.commit("lib")
    project = project_factory()
    config = project.root / "omnicloud.toml"
    config.write_text(
        config.read_text().replace(
            'inputs = ["data/memory/*.json"]', 'inputs = ["data/memory/*.json", "vendor/lib/**"]'
        )
    )
    project.git("submodule", "add", "-q", f"file://{library.root}", "vendor/lib")
    project.commit("vendor the library")
    project.git("branch", "-f", "main")
    library.append("lib.py", "Y = 2\n")
    library.commit("library moves on")
    git(project.root / "vendor/lib", "pull", "-q", "origin", "main")
    project.commit("bump the library")
    result = project.affected()
    assert [c.describe() for c in result.selection.changed] == ["vendor/lib (submodule updated)"]
    assert [i.justification for i in result.selection.providers] == [
        "memory-kv <- vendor/lib (submodule updated) matches inputs 'vendor/lib/**'"
    ]


def test_rename_matches_both_paths(project: Project) -> None:
    config = project.root / "omnicloud.toml"
    config.write_text(
        config.read_text().replace(
            'services = ["postgres"]', 'services = ["postgres"]\npaths = ["src/acme/net/pool.py"]'
        )
    )
    project.commit("tenant owns pool")
    project.git("branch", "-f", "main")
    project.git("mv", "src/acme/net/pool.py", "src/acme/net/pool2.py")
    project.commit("rename without updating importers")
    result = project.affected()
    assert [c.describe() for c in result.selection.changed] == [
        "src/acme/net/pool2.py (renamed from src/acme/net/pool.py)"
    ]
    assert [i.justification for i in result.selection.providers] == [
        "redis-kv <- src/acme/kv/redis.py imports src/acme/net/pool.py (renamed to"
        " src/acme/net/pool2.py)",
        "tenant-kv <- src/acme/net/pool2.py (renamed from src/acme/net/pool.py) matches paths"
        " 'src/acme/net/pool.py'",
    ]


def test_deleted_module_still_imported_selects_its_importers(project: Project) -> None:
    project.git("rm", "-q", "src/acme/net/sock.py")
    project.commit("delete sock")
    assert project.justifications() == [
        "redis-kv <- src/acme/kv/redis.py imports src/acme/net/pool.py imports"
        " src/acme/net/sock.py (deleted)"
    ]


def test_untracked_files_count_unless_switched_off(project_factory: Factory) -> None:
    project = project_factory()
    project.write("src/acme/util.py", "X = 2\n")  # unstaged
    project.write("data/memory/new.json", "{}\n")  # untracked
    selection = project.affected().selection
    assert [(c.describe(), c.origin) for c in selection.changed] == [
        ("data/memory/new.json (untracked)", "untracked"),
        ("src/acme/util.py (modified)", "unstaged"),
    ]
    assert [i.justification for i in selection.providers] == [
        "memory-kv <- data/memory/new.json (untracked) matches inputs 'data/memory/*.json'"
    ]
    quiet = project_factory(
        "\n[affected]\ninclude_untracked = false\ninclude_unstaged = false\n", name="quiet"
    )
    quiet.write("src/acme/util.py", "X = 2\n")
    quiet.write("data/memory/new.json", "{}\n")
    assert quiet.affected().selection.empty


def test_staged_changes_count_unless_switched_off(project_factory: Factory) -> None:
    project = project_factory()
    project.write("src/acme/tenant.py", "class TenantKV:\n    X = 1\n")
    project.git("add", "src/acme/tenant.py")
    selection = project.affected().selection
    assert [(c.describe(), c.origin) for c in selection.changed] == [
        ("src/acme/tenant.py (modified)", "staged")
    ]
    assert [i.justification for i in selection.providers] == [
        "tenant-kv <- src/acme/tenant.py (modified)"
    ]
    off = project_factory("\n[affected]\ninclude_staged = false\n", name="off")
    off.write("src/acme/tenant.py", "class TenantKV:\n    X = 1\n")
    off.git("add", "src/acme/tenant.py")
    assert off.affected().selection.empty


def test_no_changes_is_an_empty_selection(project: Project) -> None:
    result = project.affected()
    assert result.selection.empty
    assert result.selection.changed == ()
    assert result.selection.full_run is None


def test_unrelated_histories_run_everything(project: Project) -> None:
    project.git("checkout", "-q", "--orphan", "other")
    project.commit("unrelated root")
    result = project.affected(base="main")
    assert result.selection.warnings == (
        "no merge base between 'main' (--base) and HEAD (the histories are unrelated):"
        " running everything; pass --base with a ref that shares history with HEAD",
    )


def test_ci_variables_choose_the_base() -> None:
    assert resolve_base(None, "origin/main", {}) == BaseRef("origin/main", "project.base_ref")
    assert resolve_base(None, "origin/main", {"GITHUB_BASE_REF": "release/2"}) == BaseRef(
        "origin/release/2", "GITHUB_BASE_REF"
    )
    assert resolve_base(
        None, "origin/main", {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop"}
    ) == BaseRef("origin/develop", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    both = {
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc123",
    }
    assert resolve_base(None, "origin/main", both) == BaseRef(
        "abc123", "CI_MERGE_REQUEST_DIFF_BASE_SHA"
    )
    assert resolve_base("v1", "origin/main", both) == BaseRef("v1", "--base")
    assert resolve_base(None, "main", {"GITHUB_BASE_REF": ""}).source == "project.base_ref"


def test_ci_variable_in_a_repository(project: Project) -> None:
    project.git("branch", "release", "main")
    project.git("update-ref", "refs/remotes/origin/release", "main")
    project.append("src/acme/tenant.py", "X = 1\n")
    project.commit()
    result = project.affected(GITHUB_BASE_REF="release")
    assert result.base_source == "GITHUB_BASE_REF"
    assert result.selection.base == "origin/release"
    assert [i.name for i in result.selection.providers] == ["tenant-kv"]


def test_import_cache_by_blob_id(project: Project) -> None:
    project.append("src/acme/util.py", "Y = 1\n")
    project.commit()
    cold = project.affected()
    assert cold.scan is not None
    assert cold.scan.parsed > 0
    warm = project.affected()
    assert warm.scan is not None
    assert warm.scan.parsed == 0
    assert warm.scan.cached == warm.scan.files
    project.write("src/acme/tenant.py", "import acme.util\n\n\nclass TenantKV:\n    pass\n")
    edited = project.affected()
    assert edited.scan is not None
    assert edited.scan.parsed == 1
    assert [i.name for i in edited.selection.providers] == ["memory-kv", "tenant-kv"]
    assert project.git("status", "--porcelain", "--", ".omnicloud") == ""


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    from affected_repo import CONFIG, FILES

    repo = Project(tmp_path / "mono")
    repo.root.mkdir()
    repo.git("init", "-q", "-b", "main")
    for path, text in FILES.items():
        repo.write(f"platform/{path}", text)
    repo.write("platform/omnicloud.toml", CONFIG)
    repo.write("other/app.py", "X = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.append("platform/src/acme/util.py", "Y = 2\n")
    repo.append("other/app.py", "Y = 2\n")
    repo.commit()
    sub = Project(repo.root / "platform")
    selection = sub.affected().selection
    assert [c.path for c in selection.changed] == ["../other/app.py", "src/acme/util.py"]
    assert [i.justification for i in selection.providers] == [
        "memory-kv <- src/acme/memory.py imports src/acme/util.py (modified)"
    ]
    config = sub.root / "omnicloud.toml"
    config.write_text(config.read_text().replace("port = 6379", "port = 7000"))
    sub.commit()
    assert "redis-kv <- omnicloud.toml (modified): services.redis.port changed" in [
        i.justification for i in sub.affected().selection.providers
    ]
