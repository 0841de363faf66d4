"""The edge of ``affected``: read git, the source files, the history; call the pure selector.

``compute_selection(config)`` is the one entry point the CLI, the nox session and the benchmark
use. It times each phase so ``--explain`` and ``bench/affected.py`` can show where time goes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from omnicloud.affected.changes import ChangeSet, FileChange, collect_changes, read_at, resolve_base
from omnicloud.affected.globs import glob_match
from omnicloud.affected.history import per_item, read_durations, recent_failures
from omnicloud.affected.imports import ImportGraph, build_graph
from omnicloud.affected.index import ScanStats, python_blobs, scan_imports
from omnicloud.affected.names import follow_names
from omnicloud.affected.select import (
    MapView,
    PreviousConfig,
    Selection,
    SelectorInput,
    SuiteSource,
    prioritise,
    select,
)
from omnicloud.affected.testdiff import changed_tests
from omnicloud.affected.testmap import (
    DEFAULT_MAP,
    load_map,
    project_reader,
    select_by_map,
    toolchain_digest,
)
from omnicloud.config.loader import parse_config
from omnicloud.config.models import Config
from omnicloud.contracts import CONTRACTS
from omnicloud.errors import OmnicloudError, SelectionError

_GRAPH_RULES = frozenset({"imports", "contracts", "tests"})


@dataclass(frozen=True)
class AffectedResult:
    """The selection plus how it was computed (for ``--explain`` and the benchmark)."""

    selection: Selection
    project_dir: Path
    base_source: str
    scan: ScanStats | None = None
    timings: dict[str, float] = field(default_factory=dict)


def compute_selection(
    config: Config,
    *,
    base: str | None = None,
    environ: Mapping[str, str] | None = None,
    test_map: Path | None = None,
) -> AffectedResult:
    """Changed files -> Selection, for the repository holding the configuration.

    ``test_map`` is the per-test map (default ``.omnicloud/testmap.json`` in the project);
    without one, plain tests are selected file by file through the import graph.
    """
    environ = os.environ if environ is None else environ
    project_dir = config.source.parent if config.source else Path.cwd()
    settings = config.affected
    timings: dict[str, float] = {}
    with _timed(timings, "git"):
        base_ref = resolve_base(base, written_base_ref(config), environ, project_dir)
        changes = collect_changes(
            project_dir,
            base_ref,
            staged=settings.include_staged,
            unstaged=settings.include_unstaged,
            untracked=settings.include_untracked,
        )
    if changes.full_run is None and not changes.changes:
        selection = select(SelectorInput(config, changes))
        return AffectedResult(selection, project_dir, base_ref.source, None, timings)
    with _timed(timings, "files"):
        blobs = python_blobs(project_dir, changes.dirty)
        test_files = tuple(sorted(p for p in blobs if is_test_file(p, settings.test_paths)))
    graph, stats = None, None
    if changes.full_run is None and _GRAPH_RULES & set(settings.rules):
        with _timed(timings, "imports"):
            graph, stats = _graph(project_dir, config, blobs, changes)
    view = None
    if test_files and "tests" in settings.rules and changes.full_run is None:
        with _timed(timings, "map"):
            view, problem = _map_view(project_dir, test_map, blobs, graph, test_files)
        if problem is not None:
            changes = replace(changes, full_run=problem, warnings=(*changes.warnings, problem))
    with _timed(timings, "inputs"):
        data = SelectorInput(
            config,
            changes,
            graph,
            suite_sources(config),
            _config_path(config, project_dir),
            _previous_config(config, project_dir, changes, environ),
            test_files,
            frozenset(blobs),
            _test_changes(project_dir, config, changes, graph, test_files),
            test_map=view,
        )
    with _timed(timings, "select"):
        selection = select(data)
    if len(selection.providers) > 1 or len(selection.tests) > 1:
        with _timed(timings, "prioritise"):
            selection = prioritise(selection, *_history(config, project_dir, selection))
    return AffectedResult(selection, project_dir, base_ref.source, stats, timings)


def _map_view(
    project_dir: Path,
    path: Path | None,
    blobs: Mapping[str, str],
    graph: ImportGraph | None,
    test_files: tuple[str, ...],
) -> tuple[MapView | None, str | None]:
    """The map and its selection, or why everything must run (unreadable, other toolchain).

    Code files whose git blob id is the recorded one are not read again: only the others are
    compared unit by unit.
    """
    target = path or DEFAULT_MAP
    target = target if target.is_absolute() else project_dir / target
    shown = os.path.relpath(target, project_dir)
    try:
        test_map = load_map(target)
    except SelectionError as exc:
        return (
            None,
            f"{exc.message}: running everything; re-record it (omnicloud affected --record)",
        )
    if test_map is None:
        return None, None
    if test_map.toolchain != toolchain_digest(project_dir):
        return None, (
            f"the test map {shown} was recorded with other lock files or toolchain pins: running"
            " everything; re-record it (omnicloud affected --record)"
        )
    read_text, read_bytes = project_reader(project_dir)
    recorded = test_map.blob_ids()
    candidates = {p for p in test_map.code if not recorded.get(p) or blobs.get(p) != recorded[p]}
    candidates.update(test_map.data)
    found = select_by_map(test_map, read_text, read_bytes, candidates)
    found = follow_names(found, test_map, graph, read_text, test_files)
    return MapView(test_map, found, shown), None


def written_base_ref(config: Config) -> str | None:
    """``project.base_ref`` when the configuration sets it; None lets the repository decide."""
    project = config.project
    return project.base_ref if "base_ref" in project.model_fields_set else None


@contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - started


def is_test_file(path: str, test_paths: list[str]) -> bool:
    """A pytest-style test module under one of ``affected.test_paths``."""
    name = path.rpartition("/")[2]
    if not (name.startswith("test_") or name.endswith("_test.py")):
        return False
    return any(glob_match(path, root.rstrip("/") + "/") for root in test_paths)


def _graph(
    project_dir: Path,
    config: Config,
    blobs: dict[str, str],
    changes: ChangeSet,
) -> tuple[ImportGraph, ScanStats]:
    cache = config.affected.cache
    cache_path = cache if cache.is_absolute() else project_dir / cache
    parsed, stats = scan_imports(project_dir, blobs, cache_path)
    ghosts = [p for c in changes.changes for p in _gone(c)]
    return build_graph(parsed, config.affected.source_roots, ghosts), stats


def _gone(change: FileChange) -> list[str]:
    """Paths a change removed: code that still imports them is affected."""
    if change.status == "deleted":
        return [change.path]
    if change.status == "renamed" and change.old_path:
        return [change.old_path]
    return []


def suite_sources(config: Config) -> dict[str, tuple[SuiteSource, ...]]:
    """Per provider: the modules its certification is built from (the same ones the planner
    uses): contract suite, policy mixins, interface suites of ``implements``, adapters."""
    found: dict[str, tuple[SuiteSource, ...]] = {}
    for name, provider in config.providers.items():
        if not provider.enabled:
            continue
        contract = CONTRACTS[provider.contract] if provider.contract else None
        sources = []
        if contract is not None:  # interface-only providers have interface suites alone
            sources.append(SuiteSource(f"contract {contract.name} suite", contract.module))
        sources += [
            SuiteSource(f"policy {policy} suite", CONTRACTS[policy].module)
            for policy in provider.policies
        ]
        sources += [
            SuiteSource(f"interface {iface} suite", module)
            for iface, module in _interface_modules(provider.implements)
        ]
        if contract is not None:
            sources.append(
                SuiteSource(f"{contract.name} adapter", contract.adapter, narrowable=False)
            )
        if provider.implements:
            sources.append(
                SuiteSource("interface adapter", "omnicloud.adapters.factory", narrowable=False)
            )
        found[name] = tuple(dict.fromkeys(sources))
    return found


def _interface_modules(names: list[str]) -> list[tuple[str, str]]:
    if not names:
        return []
    from omnicloud.capabilities import suite_for  # the interface catalog (data only)

    modules = []
    for name in names:
        try:
            modules.append((name, suite_for(name).partition(":")[0]))
        except LookupError:  # the loader reports unknown interfaces; nothing to select here
            continue
    return modules


def _config_path(config: Config, project_dir: Path) -> str | None:
    if config.source is None:
        return None
    try:
        return config.source.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return None


def _previous_config(
    config: Config, project_dir: Path, changes: ChangeSet, environ: Mapping[str, str]
) -> PreviousConfig | None:
    path = _config_path(config, project_dir)
    change = changes.by_path().get(path or "")
    if path is None or change is None or changes.merge_base is None or config.source is None:
        return None
    old_path = change.old_path if change.path == path and change.old_path else path
    text = read_at(project_dir, changes.merge_base, old_path)
    if text is None:
        return PreviousConfig(None, "did not exist")
    try:
        return PreviousConfig(parse_config(text, config.source, environ=environ))
    except OmnicloudError as exc:
        return PreviousConfig(None, f"does not load ({exc.message})")


def _test_changes(
    project_dir: Path,
    config: Config,
    changes: ChangeSet,
    graph: ImportGraph | None,
    test_files: tuple[str, ...],
) -> dict[str, frozenset[str] | None]:
    """For modified test modules: which test functions changed (None: more than tests)."""
    if not config.affected.test_level or changes.merge_base is None or graph is None:
        return {}
    candidates = set(test_files) | {
        graph.path_of(s.module)
        for sources in suite_sources(config).values()
        for s in sources
        if s.narrowable
    } - {None}
    found: dict[str, frozenset[str] | None] = {}
    for change in changes.changes:
        if change.path not in candidates or change.status not in ("modified", "renamed"):
            continue
        old = read_at(project_dir, changes.merge_base, change.old_path or change.path)
        try:
            new = (project_dir / change.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found[change.path] = changed_tests(old, new) if old is not None else None
    return found


def _history(
    config: Config, project_dir: Path, selection: Selection
) -> tuple[dict[str, int], dict[str, float]]:
    """Recent failures and durations of the selected providers and test files."""

    def local(path: Path) -> Path:
        return path if path.is_absolute() else project_dir / path

    providers = [i.name for i in selection.providers]
    files = [i.name for i in selection.tests]
    failures = per_item(recent_failures(local(config.failures.history)), providers, files)
    durations = per_item(read_durations(local(config.run.durations)), providers, files)
    return {k: int(v) for k, v in failures.items()}, durations
