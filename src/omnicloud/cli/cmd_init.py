"""``omnicloud init``: scaffold omnicloud.toml and a one-line noxfile.py, never overwriting."""

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


def render_config(project: str, providers: list[tuple[str, str, str]]) -> str:
    lines = [
        "# omnicloud configuration: see docs/configuration.md",
        "",
        "[project]",
        f'name = "{project}"',
        'base_ref = "origin/main"',
        "",
        "[sessions]",
        'venv = "auto"',
        "reuse = true",
        "",
    ]
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
        config_path.write_text(render_config(args.name or root.name, providers), "utf-8")
        created.append(config_path)
        for name, contract, factory in providers:
            print(f"found provider {name}: {factory} ({contract})")
    if noxfile.exists():
        print(f"kept existing {noxfile}")
    else:
        noxfile.write_text(noxfile_text(args.tool_source), encoding="utf-8")
        created.append(noxfile)
    for path in created:
        print(f"created {path}")
    print("next: 'omnicloud validate', then 'nox -s certify' (or 'omnicloud nox -s certify')")
    return 0
