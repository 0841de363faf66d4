"""``omnicloud init``: scaffold omnicloud.toml and a one-line noxfile.py, never overwriting.

The configuration is safe from the start: ``affected.test_paths`` lists the test folders found
(so a source edit selects the tests that import it instead of "nothing to certify"), and
``project.base_ref`` is the repository's default branch (``origin/<default>``, or the local
default branch without an ``origin`` remote). ``.omnicloud/`` (history, caches) and the results
folder are added to ``.gitignore``.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

from omnicloud.contracts import CONTRACTS

NAME = "init"
HELP = "create omnicloud.toml and noxfile.py in this repository (existing files are kept)"

#: The generated noxfile carries its requirements as inline script metadata (PEP 723): a nox
#: installed apart (pipx, a separate virtualenv) installs omnicloud into its script environment
#: instead of failing with ModuleNotFoundError.
NOXFILE = """\
# /// script
# requires-python = ">=3.11"
# dependencies = ["nox>=2025.2.9", "{tool}"]
# ///
\"\"\"Sessions planned from omnicloud.toml ('nox -l' lists them).\"\"\"

from omnicloud.nox_sessions import register

register()
"""


def noxfile_text(tool_source: str | None = None) -> str:
    """The noxfile's text; ``tool_source`` is the requirement that installs omnicloud."""
    from omnicloud.ci.setup import DISTRIBUTION, TOOL_SOURCE

    return NOXFILE.replace("{tool}", tool_source or f"{DISTRIBUTION} @ {TOOL_SOURCE}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", type=Path, default=Path("."))
    parser.add_argument("--name", default=None, help="project name (default: folder name)")
    parser.add_argument(
        "--tool-source",
        default=None,
        metavar="REQUIREMENT",
        help="requirement the noxfile installs omnicloud from (default: the repository;"
        " e.g. 'open-omni-cloud-tck @ file:///path/to/clone' or a wheel)",
    )


def discover_providers(root: Path) -> list[tuple[str, str, str]]:
    """(provider name, contract, factory) for classes whose async methods match a contract."""
    found = []
    skip = {".git", ".nox", ".venv", "venv", "node_modules", "tests", "__pycache__"}
    for path in sorted(root.rglob("*.py")):
        if skip & set(path.relative_to(root).parts) or path.name in ("noxfile.py", "setup.py"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        module = _module_name(root, path)
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                methods = {f.name for f in node.body if isinstance(f, ast.AsyncFunctionDef)}
                contract = _best_contract(methods)
                if contract:
                    name = _kebab(node.name)
                    found.append((name, contract, f"{module}:{node.name}"))
    return found


def _best_contract(methods: set[str]) -> str | None:
    """The contract with the most methods that the class has all of (kv over cache on ties)."""
    matches = [
        s
        for s in CONTRACTS.values()
        if s.kind == "contract" and s.methods and set(s.methods) <= methods
    ]
    if not matches:
        return None
    return max(matches, key=lambda s: len(s.methods)).name


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _kebab(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name)
    return words.replace("_", "-").lower()


#: Folder names that conventionally hold a project's tests.
TEST_FOLDERS = ("tests", "test", "testing")
#: What ``init`` keeps out of git: local state (history database, caches) and run results.
IGNORED = (".omnicloud/", "omnicloud-results/")


def detect_test_paths(root: Path) -> list[str]:
    """``[tool.pytest.ini_options] testpaths`` when set, else conventional folders with tests."""
    import tomllib

    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        configured = data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("testpaths")
        if isinstance(configured, list) and all(isinstance(p, str) for p in configured):
            return [p for p in configured if (root / p).is_dir()]
    return [name for name in TEST_FOLDERS if _holds_tests(root / name)]


def _holds_tests(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    return any(folder.rglob("test_*.py")) or any(folder.rglob("*_test.py"))


def detect_base_ref(root: Path) -> str | None:
    """The repository's default branch as a base ref, or None outside git / without branches."""
    from omnicloud.affected.changes import GitRepo, default_branch
    from omnicloud.errors import SelectionError

    try:
        repo = GitRepo.open(root)
    except SelectionError:
        return None
    branch = default_branch(repo)
    if branch is not None:
        return branch
    for name in ("main", "master"):  # a remote without origin/HEAD (git remote set-head)
        if repo.try_("rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{name}"):
            return f"origin/{name}"
    current = repo.try_("symbolic-ref", "--short", "HEAD")  # a repository with no commit yet
    return current or None


def ignore_local_state(root: Path, entries: tuple[str, ...] = IGNORED) -> list[str]:
    """Append the missing ``entries`` to ``root/.gitignore``; returns what was added."""
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    present = {line.strip().strip("/") for line in text.splitlines()}
    missing = [e for e in entries if e.strip("/") not in present]
    if missing:
        prefix = "" if not text or text.endswith("\n") else "\n"
        block = "# omnicloud: local state and run results\n" + "".join(f"{e}\n" for e in missing)
        path.write_text(text + prefix + block, encoding="utf-8")
    return missing


def render_config(
    project: str,
    providers: list[tuple[str, str, str]],
    *,
    base_ref: str | None = "origin/main",
    test_paths: list[str] | None = None,
) -> str:
    base = (
        [f'base_ref = "{base_ref}"']
        if base_ref
        else ["# base_ref unset: affected uses origin/HEAD, else the default branch, else HEAD~1"]
    )
    lines = [
        "# omnicloud configuration: see docs/configuration.md",
        "",
        "[project]",
        f'name = "{project}"',
        *base,
        "",
        "[sessions]",
        'venv = "auto"',
        "reuse = true",
        "",
        "[affected]",
    ]
    if test_paths:
        quoted = ", ".join(f'"{p}"' for p in test_paths)
        lines += [f"test_paths = [{quoted}]  # detected: plain test folders selected file by file"]
    else:
        lines += ['# test_paths = ["tests"]  # no test folder found: list yours here']
    lines.append("")
    if not providers:
        lines += [
            "# No provider classes found. Declare one like this:",
            "# [providers.my-kv]",
            '# contract = "kv_store"',
            '# factory = "my_package.kv:MyKVStore"',
            "",
        ]
    for name, contract, factory in providers:
        lines += [f"[providers.{name}]", f'contract = "{contract}"', f'factory = "{factory}"', ""]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    root = args.directory.resolve()
    config_path, noxfile = root / "omnicloud.toml", root / "noxfile.py"
    created = []
    if config_path.exists():
        print(f"kept existing {config_path}")
    else:
        providers = discover_providers(root)
        base_ref, test_paths = detect_base_ref(root), detect_test_paths(root)
        text = render_config(
            args.name or root.name, providers, base_ref=base_ref, test_paths=test_paths
        )
        config_path.write_text(text, "utf-8")
        created.append(config_path)
        print(f"base_ref: {base_ref or 'unset (decided from the repository at each run)'}")
        print(f"test_paths: {', '.join(test_paths) or 'none found'}")
        for name, contract, factory in providers:
            print(f"found provider {name}: {factory} ({contract})")
    if noxfile.exists():
        print(f"kept existing {noxfile}")
    else:
        noxfile.write_text(noxfile_text(args.tool_source), encoding="utf-8")
        created.append(noxfile)
    for path in created:
        print(f"created {path}")
    added = ignore_local_state(root)
    if added:
        print(f"added {', '.join(added)} to {root / '.gitignore'}")
    print("next: 'omnicloud validate', then 'nox -s certify' (or 'omnicloud nox -s certify')")
    return 0
