"""Changed files: the git edge of change-based selection.

The diff runs from the merge base of the base ref to ``HEAD`` (commits), plus the index (staged),
the working tree (unstaged) and untracked files, each switchable in ``[affected]``. Everything
here shells out to git through gitpython; the selector only ever sees the resulting
``ChangeSet``. Paths are relative to the project folder (the one holding ``omnicloud.toml``).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from omnicloud.errors import SelectionError

#: CI variables that name the base of a pull/merge request, most exact first.
CI_BASE_VARIABLES: tuple[tuple[str, str], ...] = (
    ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "{}"),
    ("GITHUB_BASE_REF", "origin/{}"),
    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "origin/{}"),
)
FETCH_HINT = (
    "fetch the history with 'git fetch --unshallow origin' (GitHub Actions: actions/checkout"
    " with 'fetch-depth: 0'; GitLab CI: 'GIT_DEPTH: 0')"
)
_STATUS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "typechange",
    "U": "unmerged",
}
_SUBMODULE_MODE = "160000"


@dataclass(frozen=True)
class FileChange:
    """One changed path. ``old_path`` is set for renames and copies."""

    path: str
    status: str
    origin: str
    old_path: str | None = None
    submodule: bool = False

    def describe(self) -> str:
        """``src/a.py (modified)``, ``b.py (renamed from a.py)``, ``vendor/lib (submodule
        updated)``: the wording used in every justification."""
        if self.submodule:
            return f"{self.path} (submodule updated)"
        if self.status in ("renamed", "copied") and self.old_path:
            return f"{self.path} ({self.status} from {self.old_path})"
        return f"{self.path} ({self.status})"


@dataclass(frozen=True)
class BaseRef:
    """The ref diffed against, and where that choice came from (for the explanation)."""

    ref: str
    source: str


@dataclass(frozen=True)
class ChangeSet:
    """What changed, or why everything must run (``full_run``)."""

    base: BaseRef
    merge_base: str | None
    changes: tuple[FileChange, ...] = ()
    full_run: str | None = None
    warnings: tuple[str, ...] = ()
    #: Paths whose working-tree content differs from the index (their blob ids are hashed).
    dirty: frozenset[str] = field(default_factory=frozenset)

    def by_path(self) -> dict[str, FileChange]:
        """Every path a change touches (both sides of a rename) -> the change."""
        found: dict[str, FileChange] = {}
        for change in self.changes:
            found[change.path] = change
            if change.old_path:
                found.setdefault(change.old_path, change)
        return found


def resolve_base(
    option: str | None,
    configured: str | None,
    environ: Mapping[str, str],
    project_dir: Path | None = None,
) -> BaseRef:
    """Precedence as data: ``--base`` > CI variables > ``project.base_ref`` > the repository.

    With no ``project.base_ref`` written, the base is what the repository has: ``origin/HEAD``
    (the remote's default branch), else the local default branch when HEAD is not on it, else
    ``HEAD~1``; the source says which.
    """
    if option:
        return BaseRef(option, "--base")
    for variable, template in CI_BASE_VARIABLES:
        value = environ.get(variable, "").strip()
        if value:
            return BaseRef(template.format(value), variable)
    if configured:
        return BaseRef(configured, "project.base_ref")
    if project_dir is None:
        return BaseRef("HEAD~1", "default")
    return repository_base(GitRepo.open(project_dir))


#: Local branch names taken for the default branch when git does not say (init.defaultBranch).
DEFAULT_BRANCHES = ("main", "master", "trunk", "develop")


def repository_base(git: GitRepo) -> BaseRef:
    """``origin/HEAD``, else the default branch (when HEAD is elsewhere), else ``HEAD~1``."""
    if git.try_("rev-parse", "--verify", "--quiet", "origin/HEAD^{commit}") is not None:
        target = git.try_("symbolic-ref", "--short", "refs/remotes/origin/HEAD") or "origin/HEAD"
        return BaseRef(target, "the repository (origin/HEAD)")
    branch = default_branch(git)
    head = git.try_("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if branch is not None and git.try_("rev-parse", "--verify", "--quiet", branch) != head:
        return BaseRef(branch, "the repository (default branch; no origin/HEAD)")
    return BaseRef("HEAD~1", "the repository (HEAD~1: no origin/HEAD, HEAD is the default branch)")


def default_branch(git: GitRepo) -> str | None:
    """The remote's default branch (``origin/main``), else the local one (``main``), or None."""
    remote = git.try_("symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if remote:
        return remote
    configured = git.try_("config", "--get", "init.defaultBranch")
    names = (configured, *DEFAULT_BRANCHES) if configured else DEFAULT_BRANCHES
    for name in names:
        if git.try_("rev-parse", "--verify", "--quiet", f"refs/heads/{name}") is not None:
            return name
    return None


def collect_changes(
    project_dir: Path,
    base: BaseRef,
    *,
    staged: bool = True,
    unstaged: bool = True,
    untracked: bool = True,
) -> ChangeSet:
    """Read the changes of the repository holding ``project_dir`` against ``base``."""
    git = GitRepo.open(project_dir)
    head = git.try_("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head is None:
        return ChangeSet(base, None, full_run="the repository has no commit yet")
    resolved = git.try_("rev-parse", "--verify", "--quiet", f"{base.ref}^{{commit}}")
    shallow = git.run("rev-parse", "--is-shallow-repository") == "true"
    if resolved is None:
        if base.source.startswith("the repository"):
            return _full_run(
                base, f"{base.ref} does not exist (a first commit): running everything"
            )
        if shallow:
            return _full_run(
                base,
                f"base ref '{base.ref}' ({base.source}) is not in this"
                f" shallow clone: running everything; {FETCH_HINT}",
            )
        raise _missing_ref(git, base)
    merge_base = git.try_("merge-base", resolved, head)
    if merge_base is None:
        why = "this is a shallow clone" if shallow else "the histories are unrelated"
        hint = FETCH_HINT if shallow else "pass --base with a ref that shares history with HEAD"
        return _full_run(
            base,
            f"no merge base between '{base.ref}' ({base.source}) and HEAD"
            f" ({why}): running everything; {hint}",
        )
    found = list(git.raw_diff(merge_base, "HEAD", origin="committed"))
    unstaged_changes = list(git.raw_diff(origin="unstaged"))
    untracked_changes = list(git.untracked())
    if staged:
        found.extend(git.raw_diff("--cached", "HEAD", origin="staged"))
    if unstaged:
        found.extend(unstaged_changes)
    if untracked:
        found.extend(untracked_changes)
    dirty = frozenset(c.path for c in (*unstaged_changes, *untracked_changes))
    return ChangeSet(base, merge_base, _merge(found), dirty=dirty)


def read_at(project_dir: Path, commit: str, path: str) -> str | None:
    """The text of ``path`` (project-relative) at ``commit``, or None when it did not exist."""
    git = GitRepo.open(project_dir)
    return git.try_("show", f"{commit}:{git.to_root(path)}", strip=False)


def _full_run(base: BaseRef, reason: str) -> ChangeSet:
    return ChangeSet(base, None, full_run=reason, warnings=(reason,))


def _missing_ref(git: GitRepo, base: BaseRef) -> SelectionError:
    refs = git.run("for-each-ref", "--format=%(refname:short)").splitlines()
    close = difflib.get_close_matches(base.ref, refs, n=3, cutoff=0.5)
    tail = base.ref.rpartition("/")[2]  # 'origin/mian' vs a local 'main': compare branch names
    by_tail = {ref.rpartition("/")[2]: ref for ref in refs}
    for name in difflib.get_close_matches(tail, list(by_tail), n=3, cutoff=0.6):
        if by_tail[name] not in close:
            close.append(by_tail[name])
    close = close[:3]
    suggestion = f"; close refs: {', '.join(close)}" if close else ""
    return SelectionError(
        f"base ref '{base.ref}' (from {base.source}) does not exist in this repository"
        + suggestion,
        hint="fetch it (for example 'git fetch origin main') or pass --base REF",
    )


def _merge(changes: list[FileChange]) -> tuple[FileChange, ...]:
    """One entry per path; a later origin (working tree) wins, but an addition stays one."""
    merged: dict[str, FileChange] = {}
    for change in changes:
        earlier = merged.get(change.path)
        if earlier is not None and earlier.status == "added" and change.status == "modified":
            continue
        merged[change.path] = change
    return tuple(sorted(merged.values(), key=lambda c: c.path))


class GitRepo:
    """The few git commands selection needs, with paths made project-relative."""

    def __init__(self, repo: Any, prefix: str) -> None:
        self.repo = repo
        self.prefix = prefix

    @classmethod
    def open(cls, project_dir: Path) -> GitRepo:
        try:
            repo = git.Repo(project_dir, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise SelectionError(
                f"{project_dir} is not inside a git repository",
                hint="'omnicloud affected' diffs against git history; run 'omnicloud certify'"
                " to run everything",
            ) from None
        root = Path(str(repo.working_tree_dir)).resolve()
        prefix = os.path.relpath(Path(project_dir).resolve(), root).replace(os.sep, "/")
        return cls(repo, "" if prefix == "." else prefix + "/")

    def run(self, *args: str, strip: bool = True) -> str:
        out: str = self.repo.git.execute(["git", *args], strip_newline_in_stdout=strip)
        return out

    def try_(self, *args: str, strip: bool = True) -> str | None:
        try:
            return self.run(*args, strip=strip)
        except git.GitCommandError:
            return None

    def to_root(self, path: str) -> str:
        return os.path.normpath(self.prefix + path).replace(os.sep, "/")

    def relative(self, path: str) -> str:
        if path.startswith(self.prefix):
            return path[len(self.prefix) :]
        return os.path.relpath("/" + path, "/" + self.prefix).replace(os.sep, "/")

    def raw_diff(self, *revs: str, origin: str) -> Iterator[FileChange]:
        out = self.run(
            "diff", "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", *revs, strip=False
        )
        tokens = out.split("\0")
        index = 0
        while index < len(tokens) and tokens[index].startswith(":"):
            meta = tokens[index][1:].split()
            code = meta[4][0]
            submodule = _SUBMODULE_MODE in (meta[0], meta[1])
            if code in "RC":
                old, new = tokens[index + 1], tokens[index + 2]
                index += 3
                yield FileChange(
                    self.relative(new),
                    _STATUS[code],
                    origin,
                    old_path=self.relative(old),
                    submodule=submodule,
                )
            else:
                index += 2
                yield FileChange(
                    self.relative(tokens[index - 1]),
                    _STATUS.get(code, "modified"),
                    origin,
                    submodule=submodule,
                )

    def untracked(self) -> Iterator[FileChange]:
        out = self.run("ls-files", "--others", "--exclude-standard", "-z", strip=False)
        for path in out.split("\0"):
            if path:
                yield FileChange(self.relative(path), "untracked", "untracked")
