"""The lifecycle's choices that the end-to-end runs do not reach: the default environment,
unknown services, nothing to start, SIGTERM handling, damaged or foreign state on disk, the sweep
of a run's own leftovers, half-written init caches and the endpoints variable."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import Config
from omnicloud.config.models import EnvironmentConfig
from omnicloud.endpoints import ENV_ENDPOINTS
from omnicloud.errors import ConfigError
from omnicloud.provision.base import Leftover
from omnicloud.provision.lifecycle import (
    DEFAULT_ENVIRONMENT,
    Environment,
    _Interrupted,
    _reusable,
    _sweep,
    dead_services,
    interrupts_as_keyboard_interrupt,
    kept_runs,
    pick_environment,
    provision,
    prune_init_cache,
    runs_dir,
    services_for_run,
    teardown,
)
from omnicloud.provision.progress import Progress
from service_guard import require_binary

NO_DEFAULT = """
[services.redis]
recipe = "redis"
[environments.local]
provisioner = "process"
"""


def test_without_any_choice_the_default_environment_is_used(
    make_config: Callable[[str], Config],
) -> None:
    name, env = pick_environment(make_config(NO_DEFAULT), None, environ={})
    assert name == DEFAULT_ENVIRONMENT
    assert env == EnvironmentConfig()  # embedded: nothing to start


def test_an_unknown_service_is_a_config_error_naming_it(
    make_config: Callable[[str], Config],
) -> None:
    config = make_config(NO_DEFAULT)
    with (
        pytest.raises(ConfigError, match="unknown service 'rediss'; did you mean 'redis'") as info,
        provision(config, environment="local", services=["rediss"]),
    ):
        pytest.fail("must not start")
    assert info.value.key == "services.rediss"


def test_nothing_to_start_yields_an_environment_without_run(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    with provision(make_config(NO_DEFAULT), environment="local", services=[]) as env:
        assert (env.name, env.provisioner, env.run_id, env.handles) == ("local", "process", "", {})
        assert env.endpoints_file is None
    assert not (state_dir / "runs").exists() or list((state_dir / "runs").iterdir()) == []
    assert dead_services(make_config(NO_DEFAULT), env) == []


def test_sigterm_interrupts_once_so_cleanup_cannot_be_cut_short() -> None:
    handler = _Interrupted()
    with pytest.raises(KeyboardInterrupt, match="signal SIGTERM"):
        handler(signal.SIGTERM, None)
    handler(signal.SIGTERM, None)  # the second signal lands in cleanup: ignored
    assert handler.raised


def test_sigterm_handling_leaves_an_existing_handler_and_other_threads_alone() -> None:
    def mine(signum: int, frame: Any) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with interrupts_as_keyboard_interrupt():
            assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
    seen: list[object] = []

    def in_thread() -> None:
        with interrupts_as_keyboard_interrupt():  # signals can only be set in the main thread
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [signal.getsignal(signal.SIGTERM)]


class _Recorder:
    """A provisioner that records what it is asked (the lifecycle's bookkeeping, not a backend)."""

    def __init__(self, leftovers: list[Leftover] | None = None, alive: bool = True) -> None:
        self.found = leftovers or []
        self.removed: list[Leftover] = []
        self.stopped: list[str] = []
        self._alive = alive

    def leftovers(self, live_runs: set[str], owner: str | None) -> list[Leftover]:
        return self.found

    def remove(self, leftover: Leftover) -> None:
        self.removed.append(leftover)

    def alive(self, handle: Any) -> bool:
        return self._alive

    def stop(self, handle: Any) -> None:
        self.stopped.append(handle.name)


def test_the_sweep_removes_only_this_runs_leftovers() -> None:
    mine = Leftover("container", "c1", "run-1")
    theirs = Leftover("container", "c2", "run-2")
    recorder = _Recorder([mine, theirs])
    _sweep(recorder, "run-1")  # type: ignore[arg-type]
    assert recorder.removed == [mine]


def _kept(directory: Path, state: dict[str, Any] | str) -> None:
    directory.mkdir(parents=True)
    text = state if isinstance(state, str) else json.dumps(state)
    (directory / "state.json").write_text(text, encoding="utf-8")


def _state(run_id: str, chash: str, environment: str = "kept") -> dict[str, Any]:
    resources = {"dir": str(runs_dir() / run_id / "redis"), "pid": None}
    handle = {
        "name": "redis",
        "provisioner": "process",
        "host": "h",
        "port": 1,
        "resources": resources,
    }
    return {
        "environment": environment,
        "provisioner": "process",
        "run_id": run_id,
        "config_hash": chash,
        "handles": {"redis": handle},
    }


def test_damaged_state_is_ignored_and_other_configurations_are_not_reused() -> None:
    runs = runs_dir()
    _kept(runs / "broken", "{not json")
    _kept(runs / "list", "[1, 2]")
    _kept(runs / "another", _state("another", "hash-b"))
    _kept(runs / "mine", _state("mine", "hash-a"))
    assert [d.name for d, _ in kept_runs()] == ["another", "mine"]
    recorder = _Recorder()
    found = _reusable("hash-a", recorder, Progress(enabled=False))  # type: ignore[arg-type]
    assert found is not None
    assert (found.run_id, found.reused, found.endpoints_file) == (
        "mine",
        True,
        runs / "mine" / "endpoints.json",
    )
    assert recorder.stopped == []  # the other configuration's run is not touched


def test_teardown_of_one_environment_leaves_the_others(state_dir: Path) -> None:
    runs = runs_dir()
    _kept(runs / "a", _state("a", "h1", environment="one"))
    _kept(runs / "b", _state("b", "h2", environment="two"))
    assert teardown("two") == ["b"]
    assert [d.name for d, _ in kept_runs()] == ["a"]


def test_half_written_init_caches_of_dead_writers_are_removed(state_dir: Path) -> None:
    cache = state_dir / "init-cache"
    cache.mkdir()
    dead_dir = cache / "postgres-abc.999999999.tmp"
    dead_dir.mkdir()
    (dead_dir / "PG_VERSION").write_text("16")
    dead_file = cache / "redis-abc.999999998.tmp"
    dead_file.write_text("partial")
    live = cache / f"postgres-def.{os.getpid()}.tmp"
    live.mkdir()
    odd = cache / "odd.tmp"  # no pid in the name: nobody can be writing it
    odd.write_text("")
    removed = prune_init_cache()
    assert sorted(x.ident for x in removed) == sorted(str(p) for p in (dead_dir, dead_file, odd))
    assert [p.name for p in cache.iterdir()] == [live.name]


@pytest.mark.services("redis")
def test_the_endpoints_variable_points_at_the_run_then_is_unset(
    make_config: Callable[[str], Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("redis-server", "redis-server")
    provider = """
        [providers.cache]
        contract = "kv_store"
        factory = "omnicloud.providers.redis:create_kv_store"
        services = ["redis"]
        options = { url = "{services.redis.url}" }
    """
    config = make_config(NO_DEFAULT + textwrap.dedent(provider))
    monkeypatch.delenv(ENV_ENDPOINTS, raising=False)
    with services_for_run(config, ["cache"], environment="local") as env:
        assert isinstance(env, Environment)
        assert os.environ[ENV_ENDPOINTS] == str(env.endpoints_file)
        assert dead_services(config, env) == []
    assert ENV_ENDPOINTS not in os.environ
    assert dead_services(config, env) == ["redis"]  # stopped with the block
