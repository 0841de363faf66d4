"""The outbox keeps its sequence without gaps: checked on the history of a run against real
PostgreSQL. An outbox numbering events from a PostgreSQL SEQUENCE (``nextval`` is never rolled
back, and a crash recovers it ahead) is caught under a crash and under connection resets (each
connection reset 40 ms after it opens, so that many saves are cut short, not only the few in
flight at one instant); the repository's outbox (a counter row updated in the event's own
transaction) passes both."""

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

# One xdist worker runs the module: its PostgreSQL (the module fixture) starts once.
pytestmark = [pytest.mark.services("postgres"), pytest.mark.xdist_group("faults-outbox")]

GAPS = "the outbox keeps its sequence without gaps"
CONFIG = """
[project]
default_environment = "local"
[environments.local]
provisioner = "process"
[faults]
duration = "0.5s"
profiles = ["crash_restart", "slow_network", "resets"]
[faults.custom.resets]   # every connection reset 40 ms after it opens: many saves cut short
toxics = [{ type = "reset_peer", delay = "40ms" }]
[services.postgres]
recipe = "postgres"

[providers.postgres-outbox]
contract = "transactional_outbox"
factory = "omnicloud.providers.postgres:create_outbox_storage"
options = { url = "{services.postgres.url}", schema = "faults_outbox" }
services = ["postgres"]
faults = { timeout = "3s", recovery = "8s" }

[providers.sequence-outbox]    # numbers events with nextval(): gaps after aborts and crashes
contract = "transactional_outbox"
factory = "faults_support:create_sequence_outbox"
options = { url = "{services.postgres.url}", schema = "faults_outbox" }
services = ["postgres"]
faults = { timeout = "3s", recovery = "8s" }
"""


@pytest.fixture(scope="module")
def faulted() -> Iterator[tuple[Config, dict[str, FaultTarget]]]:
    require_binary("initdb", "postgresql")
    with tempfile.TemporaryDirectory(prefix="omnicloud-faults-outbox-") as state:
        config = parse_config(CONFIG, Path(state) / "omnicloud.toml", environ={})
        with contextlib.ExitStack() as stack:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(STATE_DIR_ENV, state)
                env = stack.enter_context(provision(config))
            targets = stack.enter_context(fault_targets(config, env, list(config.providers)))
            yield config, {t.provider: t for t in targets}


async def _run(
    faulted: tuple[Config, dict[str, FaultTarget]], provider: str, profile: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    config, targets = faulted
    (record,), _ = await run_targets(config, [targets[provider]], [profile], echo=lambda _: None)
    return record, {c["invariant"].split(" (")[0]: c for c in record["checks"]}


@pytest.mark.parametrize("profile", ["crash_restart", "resets"])
async def test_an_outbox_numbering_from_a_sequence_is_caught_leaving_gaps(
    faulted: Any, profile: str
) -> None:
    record, checks = await _run(faulted, "sequence-outbox", profile)
    assert record["family"] == "outbox"
    gaps = checks[GAPS]
    assert gaps["outcome"] == "fail", gaps
    assert record["outcome"] == "fail"
    missing = [e for e in gaps["examples"] if e.get("missing_count")]
    assert missing, gaps
    assert missing[0]["missing"][0] < missing[0]["highest"]  # a hole below a stored number


@pytest.mark.parametrize("profile", ["crash_restart", "resets"])
async def test_the_postgres_outbox_keeps_its_sequence_across_the_fault(
    faulted: Any, profile: str
) -> None:
    record, checks = await _run(faulted, "postgres-outbox", profile)
    gaps = checks[GAPS]
    assert gaps["outcome"] == "pass", gaps
    assert "2 aggregates, no gap" in gaps["detail"]
    assert record["operations"]["fail"] > 0  # the fault really cut saves short
    assert checks["no acknowledged message lost"]["outcome"] in ("pass", "n/a"), checks
    assert checks["recovers within 8s of the heal"]["outcome"] == "pass", checks


async def test_without_a_fault_the_sequence_outbox_has_no_gap(faulted: Any) -> None:
    """The broken outbox is only caught by the fault: under a slow network nothing aborts."""
    _, checks = await _run(faulted, "sequence-outbox", "slow_network")
    assert checks[GAPS]["outcome"] == "pass", checks[GAPS]
