"""Who owns a failure: the category's route, else the provider's owners, else CODEOWNERS for the
provider's source file (or the failing test's file), else ``project.default_owner``.

CODEOWNERS follows GitHub's rules: the last matching line wins; a line without owners leaves the
path unowned; patterns are gitignore-style (``*`` stays within a directory, ``**`` crosses
directories, a leading ``/`` or an inner ``/`` anchors at the repository root, a pattern naming a
directory covers everything below it, and ``dir/*`` covers only the files directly inside).
"""

from __future__ import annotations

import importlib.machinery
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from omnicloud.config.models import Config
from omnicloud.triage.model import Classification, Failure

CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
UNOWNED = "unowned"


@dataclass(frozen=True)
class CodeOwnersRule:
    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]
    line: int


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    below = "" if body.endswith("/*") and not body.endswith("/**") else "(?:/.*)?"
    return re.compile(prefix + "".join(out) + below + "$")


def parse_codeowners(text: str) -> list[CodeOwnersRule]:
    """Rules in file order (comments and blank lines dropped)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append(CodeOwnersRule(pattern, tuple(owners), _glob_to_regex(pattern), number))
    return rules


@dataclass(frozen=True)
class CodeOwners:
    path: Path
    rules: list[CodeOwnersRule]

    @classmethod
    def load(cls, path: Path) -> CodeOwners:
        return cls(path, parse_codeowners(path.read_text(encoding="utf-8")))

    @classmethod
    def find(cls, root: Path, configured: Path | None = None) -> CodeOwners | None:
        candidates = (
            [configured]
            if configured is not None
            else [root / name for name in CODEOWNERS_LOCATIONS]
        )
        for candidate in candidates:
            path = candidate if candidate.is_absolute() else root / candidate
            if path.is_file():
                return cls.load(path)
        return None

    def owners_of(self, relative: str) -> tuple[str, ...] | None:
        """Owners of a repository-relative path; None when no line matches."""
        relative = relative.replace("\\", "/").lstrip("/")
        for rule in reversed(self.rules):
            if rule.regex.match(relative):
                return rule.owners
        return None


def module_file(module: str, search_path: list[str] | None = None) -> Path | None:
    """The source file of ``module`` found on ``sys.path`` without importing it or its parents.

    ``importlib.util.find_spec`` would import the parent packages; walking ``PathFinder`` one
    component at a time only looks at the file system.
    """
    locations: list[str] | None = search_path if search_path is not None else list(sys.path)
    spec = None
    parts = module.split(".")
    for index in range(len(parts)):
        name = ".".join(parts[: index + 1])
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or [])
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return Path(spec.origin)


@dataclass(frozen=True)
class Route:
    owners: tuple[str, ...]
    source: str  # "category", "provider", "codeowners", "default"


@dataclass
class Router:
    """Routing data, built once per run; ``route`` is pure."""

    root: Path
    provider_owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    provider_files: dict[str, str] = field(default_factory=dict)
    codeowners: CodeOwners | None = None
    default_owner: str = UNOWNED

    @classmethod
    def from_config(cls, config: Config | None, root: Path) -> Router:
        if config is None:
            return cls(root=root, codeowners=CodeOwners.find(root))
        files: dict[str, str] = {}
        for name, provider in config.providers.items():
            path = module_file(provider.factory.split(":", 1)[0], [str(root), *sys.path])
            if path is not None:
                files[name] = _relative(path, root)
        return cls(
            root=root,
            provider_owners={n: tuple(p.owners) for n, p in config.providers.items() if p.owners},
            provider_files=files,
            codeowners=CodeOwners.find(root, config.project.codeowners),
            default_owner=config.project.default_owner or UNOWNED,
        )

    def route(self, failure: Failure, classification: Classification) -> Route:
        if classification.route:
            return Route((classification.route,), "category")
        provider = failure.provider
        if provider and provider in self.provider_owners:
            return Route(self.provider_owners[provider], "provider")
        owners = self._codeowners(failure)
        if owners:
            return Route(owners, "codeowners")
        return Route((self.default_owner,), "default")

    def _codeowners(self, failure: Failure) -> tuple[str, ...] | None:
        if self.codeowners is None:
            return None
        for path in (self.provider_files.get(failure.provider or ""), failure.file):
            if path:
                owners = self.codeowners.owners_of(_relative(Path(path), self.root))
                if owners:
                    return owners
        return None


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to the repository root (JUnit file paths are relative to the root)."""
    absolute = path if path.is_absolute() else root / path
    try:
        return absolute.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
