"""Shard selection: ``pytest --shard i/N`` runs one duration-balanced shard of the collected tests.

The shard comes from ``--shard`` or the CI variables (see ``omnicloud.shard.spec``). After every
other selection (``-k``, ``-m``, ``--omnicloud-provider``...) the collected node ids are
partitioned with ``partition_by_duration`` using the durations store (``--shard-durations``,
else config ``run.durations``), and the tests of the other shards are deselected. Under xdist
every worker collects the same items and computes the same partition, so the union of what the
workers run is exactly this shard.

Every test case in the JUnit file carries its node id (property ``omnicloud.nodeid``) and the
test suite carries ``omnicloud.shard`` = "i/N", which ``omnicloud merge`` uses to find missing
and duplicated shards.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from omnicloud import plugin
from omnicloud.errors import OmnicloudError
from omnicloud.results import SHARD_PROPERTY
from omnicloud.shard.durations import DEFAULT_PATH, NODEID_PROPERTY, load_durations, lookup_table
from omnicloud.shard.junit import DURATIONS_PROPERTY
from omnicloud.shard.partition import GROUPINGS, partition_by_duration
from omnicloud.shard.spec import ACCEPTED, ShardSpec, resolve_shard

try:  # the LogXML stash key: writing suite properties from the controller works under xdist
    from _pytest.junitxml import xml_key
except ImportError:  # pragma: no cover - pytest moved it
    xml_key = None  # type: ignore[assignment]


@dataclass(frozen=True)
class ShardSettings:
    spec: ShardSpec
    durations: Path
    default_duration: float | None
    group: str


SETTINGS_KEY = pytest.StashKey[ShardSettings | None]()
SUMMARY_KEY = pytest.StashKey[str]()
#: Set when this shard got no tests although the suite has some (more shards than tests).
EMPTY_KEY = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("omnicloud", "omnicloud contract certification")
    group.addoption(
        "--shard",
        metavar="i/N",
        default=None,
        help=f"run only shard i of N, balanced by recorded durations ({ACCEPTED}); default from"
        " OMNICLOUD_SHARD, JOB_COMPLETION_INDEX+OMNICLOUD_SHARD_COUNT or CI_NODE_INDEX/"
        "CI_NODE_TOTAL",
    )
    group.addoption(
        "--shard-durations",
        metavar="PATH",
        default=None,
        help="durations store used to balance shards (default: config run.durations, else"
        f" {DEFAULT_PATH})",
    )
    group.addoption(
        "--shard-group",
        choices=sorted(GROUPINGS),
        default=None,
        help="keep tests together in one shard: 'test' (none, best balance), 'class' or"
        " 'module' (default: config run.shard_group, else 'test')",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = _settings(config)
    except OmnicloudError as exc:
        # A usage error in the shard selection: one line, exit code 3 (ExitCode.SELECTION).
        raise pytest.UsageError(exc.render().removeprefix("error: ")) from None
    config.stash[SETTINGS_KEY] = settings
    if settings is not None and not hasattr(config, "workerinput"):
        _record_suite_properties(config, settings)


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None:
        return None
    return (
        f"omnicloud shard {settings.spec} (from {settings.spec.source}), durations"
        f" {settings.durations}, grouped by {settings.group}"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.user_properties.append((NODEID_PROPERTY, item.nodeid))
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or not items:
        return
    nodeids = [item.nodeid for item in items]
    durations = lookup_table(load_durations(settings.durations), nodeids)
    shards = partition_by_duration(
        nodeids,
        settings.spec.count,
        durations,
        default_duration=settings.default_duration,
        group_of=GROUPINGS[settings.group],
    )
    mine = shards[settings.spec.zero_based]
    chosen = set(mine.tests)
    selected = [item for item in items if item.nodeid in chosen]
    deselected = [item for item in items if item.nodeid not in chosen]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected
    config.stash[EMPTY_KEY] = not selected
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: tell the controller
        workeroutput["omnicloud_shard_empty"] = not selected
    total = sum(shard.estimated for shard in shards)
    config.stash[SUMMARY_KEY] = (
        f"omnicloud shard {settings.spec}: {len(selected)} of {len(nodeids)} tests,"
        f" estimated {mine.estimated:.1f}s of {total:.1f}s ({len(durations)} with recorded"
        " durations)"
    )


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    return config.stash.get(SUMMARY_KEY, None)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: the shard is empty when every worker found it empty."""
    empty = getattr(node, "workeroutput", {}).get("omnicloud_shard_empty")
    if empty is not None:
        config = node.config
        config.stash[EMPTY_KEY] = config.stash.get(EMPTY_KEY, True) and bool(empty)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """An empty shard (more shards than tests) succeeds: in CI it is a job with nothing to do,
    not a failure. Each test still runs in exactly one shard."""
    if (
        session.config.stash.get(EMPTY_KEY, False)
        and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED
    ):
        session.exitstatus = pytest.ExitCode.OK


def _settings(config: pytest.Config) -> ShardSettings | None:
    spec = resolve_shard(config.getoption("shard"), os.environ)
    if spec is None:
        return None
    run = _run_config(config)
    base = _config_dir(config)
    durations = config.getoption("shard_durations")
    if durations is not None:
        path = Path(durations)
    else:
        path = Path(run.durations) if run is not None else DEFAULT_PATH
        path = path if path.is_absolute() else base / path
    default = getattr(run, "default_duration", "auto")
    group = config.getoption("shard_group") or getattr(run, "shard_group", "test")
    return ShardSettings(spec, path, None if default == "auto" else float(default), group)


def _run_config(config: pytest.Config) -> Any:
    """The ``[run]`` section when an omnicloud config is in use, else ``None``."""
    if config.stash.get(plugin.PATH_KEY, None) is None:
        return None
    return plugin.omnicloud_config(config).run


def _config_dir(config: pytest.Config) -> Path:
    path = config.stash.get(plugin.PATH_KEY, None)
    return path.parent if path is not None else config.rootpath


def _record_suite_properties(config: pytest.Config, settings: ShardSettings) -> None:
    """Testsuite properties in the JUnit file (the controller writes it, also under xdist,
    where the ``record_testsuite_property`` fixture would be a no-op in the workers)."""
    if xml_key is None:  # pragma: no cover - pytest moved it; merge then needs --expect
        return
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    xml.add_global_property(SHARD_PROPERTY, str(settings.spec))
    xml.add_global_property(DURATIONS_PROPERTY, _digest(settings.durations))


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "none"
