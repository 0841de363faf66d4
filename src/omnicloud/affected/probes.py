"""Block probes: the project's own modules, imported through a loader that puts one probe at
the top of every block of every function (``testmap.blocks``), so the recorder learns which
blocks each test entered.

A probe is one statement, ``__omni_hits__[n] = 1``: a store into a ``bytearray`` shared by
every probed module. Where a tracer or profiler pays an event (and a Python or C call) for every
call or line in the process, pytest's own machinery included, a probe costs only inside the
project's code and only at the top of a block. Only files under the project root are probed,
never site-packages or virtual environments, and never test modules or ``conftest.py``:
pytest's assertion rewriting owns those (a change to a test file is judged by its diff, and a
``conftest.py`` change runs everything).
Probed code is compiled in memory: nothing is written to ``__pycache__``.
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, ModuleType

from omnicloud.affected.testmap import Units, blocks, units_of

PROBE = "__omni_hits__"
SKIP_PARTS = frozenset(
    {".git", ".venv", "venv", ".nox", ".tox", "__pycache__", ".omnicloud", "node_modules"}
)


@dataclass
class Probes:
    """Every probe of the run: ``hits[n]`` is set when block ``keys[n]`` (file, unit) runs."""

    root: Path
    hits: bytearray = field(default_factory=bytearray)
    keys: list[tuple[str, str]] = field(default_factory=list)
    #: probed file -> its content and units, as compiled
    files: dict[str, tuple[bytes, Units]] = field(default_factory=dict)

    def relative(self, filename: str) -> str | None:
        """The project-relative path of a file this run may probe, else None."""
        prefix = str(self.root) + os.sep
        name = os.path.abspath(filename)
        if not name.startswith(prefix) or not name.endswith(".py"):
            return None
        rel = name[len(prefix) :].replace(os.sep, "/")
        parts = rel.split("/")
        base = parts[-1]
        if SKIP_PARTS.intersection(parts) or "site-packages" in parts:
            return None
        if base == "conftest.py" or base.startswith("test_") or base.endswith("_test.py"):
            return None
        return rel

    def instrument(self, rel: str, source: bytes, filename: str) -> ast.Module:
        """The module's tree with a probe at the top of every block (after a docstring).
        Bytes, as Python reads a module: an encoding declaration is honoured."""
        tree = ast.parse(source, filename)
        self.files[rel] = (source, units_of(tree))
        found = list(blocks(tree))  # before any insertion: the paths are the source's
        first = len(self.keys)
        self.hits.extend(bytes(len(found)))
        self.keys.extend((rel, key) for key, *_ in found)
        # last first, so that an insertion never moves a place still to be probed
        places = sorted(
            (
                (id(body), start, first + number, body)
                for number, (_, body, start, *_) in enumerate(found)
            ),
            key=lambda place: (place[0], -place[1]),
        )
        for _, start, probe, body in places:
            at = start + 1 if start == 0 and _docstring(body) else start
            statement = ast.parse(f"{PROBE}[{probe}] = 1").body[0]
            body.insert(at, ast.copy_location(statement, body[min(at, len(body) - 1)]))
        return ast.fix_missing_locations(tree)

    def take(self) -> list[int]:
        """The probes set since the last call, cleared."""
        hits, found, at = self.hits, [], self.hits.find(1)
        while at != -1:
            found.append(at)
            hits[at] = 0
            at = hits.find(1, at + 1)
        return found


def _docstring(body: list[ast.stmt]) -> bool:
    first = body[0]
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


class ProbedLoader(importlib.machinery.SourceFileLoader):
    """A source loader that compiles the probed tree and never caches bytecode."""

    def __init__(self, fullname: str, path: str, probes: Probes, rel: str) -> None:
        super().__init__(fullname, path)
        self.probes = probes
        self.rel = rel

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        tree = self.probes.instrument(self.rel, self.get_data(path), path)
        return compile(tree, path, "exec", dont_inherit=True)

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__[PROBE] = self.probes.hits
        super().exec_module(module)


class ProbeFinder:
    """First on ``sys.meta_path``: the project's modules get a ``ProbedLoader``."""

    def __init__(self, probes: Probes) -> None:
        self.probes = probes

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.has_location:
            return None
        rel = self.probes.relative(spec.origin)
        if rel is None:
            return None
        spec.loader = ProbedLoader(fullname, spec.origin, self.probes, rel)
        return spec


def install(probes: Probes) -> ProbeFinder:
    finder = ProbeFinder(probes)
    sys.meta_path.insert(0, finder)
    return finder


def uninstall(finder: ProbeFinder) -> None:
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
