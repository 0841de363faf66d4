"""PostgreSQL with synchronous commits keeps every acknowledged write across a crash (read back
by a fresh provider instance on the same schema and namespace after the restart)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.config import parse_config
from omnicloud.config.models import Config
from omnicloud.faults.run import fault_targets, run_targets
from omnicloud.faults.scenarios import FaultTarget
from omnicloud.provision.base import STATE_DIR_ENV
from omnicloud.provision.lifecycle import provision
from service_guard import require_binary

pytestmark = pytest.mark.services("postgres")

CONFIG = """
[project]
default_environment = "local"
[environments.local]
provisioner = "process"
[faults]
duration = "0.5s"
[services.postgres]
recipe = "postgres"
# the recipe's flags, but commits wait for their WAL write (fsync stays off: a killed process,
# not a lost machine, is the fault here, and the kernel keeps what was written)
command = ["postgres", "-D", "{data_dir}/pgdata", "-p", "{port}", "-h", "127.0.0.1",
           "-k", "{data_dir}", "-c", "fsync=off", "-c", "synchronous_commit=on",
           "-c", "max_connections=200"]

[providers.postgres-durable]
factory = "omnicloud.providers.postgres:create_store"
options = { url = "{services.postgres.url}", schema = "faults" }
services = ["postgres"]
implements = ["keyvalue_basic"]
faults = { durable = true, timeout = "2s", recovery = "2s" }
"""


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[Config, FaultTarget]]:
    require_binary("initdb", "postgresql")
    with tempfile.TemporaryDirectory(prefix="omnicloud-faults-pg-") as state:
        config = parse_config(CONFIG, Path(state) / "omnicloud.toml", environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            (found,) = stack.enter_context(fault_targets(config, env, ["postgres-durable"]))
            yield config, found


async def test_synchronous_commits_survive_a_crash(
    target: tuple[Config, FaultTarget],
) -> None:
    config, found = target
    (record,), _ = await run_targets(config, [found], ["crash_restart"], echo=lambda _: None)
    checks: dict[str, Any] = {c["invariant"].split(" (")[0]: c for c in record["checks"]}
    assert "acknowledged writes survive" in checks, record  # the whole record when it is not
    survive = checks["acknowledged writes survive"]
    assert survive["outcome"] == "pass", survive
    assert record["operations"]["ok"] > 0
    assert record["events"]["heal"] > record["events"]["fault"]
