"""One service instance for all xdist workers, each worker isolated, torn down once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from provision_support import port_open

from children import processes_in
from service_guard import require_binary

pytestmark = [pytest.mark.services("redis", "postgres"), pytest.mark.slow]

CONFIG = """
[project]
default_environment = "local"
[services.redis]
recipe = "redis"
[services.postgres]
recipe = "postgres"
[environments.local]
provisioner = "process"

[providers.redis-kv]
contract = "kv_store"
factory = "omnicloud.providers.redis:create_kv_store"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}" }
services = ["redis"]
policies = ["multi_tenancy"]

[providers.postgres-kv]
contract = "kv_store"
factory = "omnicloud.providers.postgres:create_kv_store"
options = { url = "{services.postgres.url}", schema = "{services.postgres.schema}" }
services = ["postgres"]
policies = ["multi_tenancy"]
"""

# Each worker records the endpoints it sees and the schema its Postgres provider really used.
VIEWS = """
import json, os
from pathlib import Path
import pytest

@pytest.mark.parametrize("n", range(8))
async def test_record_view(n, omnicloud_endpoints):
    import psycopg
    from omnicloud.providers.postgres import create_kv_store
    pg = omnicloud_endpoints["postgres"]
    store = await create_kv_store(pg["url"], pg["schema"])
    await store.set("k", "v")
    await store.aclose()
    with psycopg.connect(pg["url"]) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = Path(os.environ["VIEWS_DIR"]) / f"{worker}.json"
    out.write_text(json.dumps({"endpoints": omnicloud_endpoints, "schema": schema}))
"""


def _outer_env() -> dict[str, str]:
    """This environment minus what xdist set for this worker (the inner run is not a worker)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "test_views.py").write_text(textwrap.dedent(VIEWS), encoding="utf-8")
    views = tmp_path / "views"
    views.mkdir(exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(tmp_path),
        "-c",
        os.devnull,
        "-o",
        "asyncio_mode=auto",
        "omnicloud.toml",
        "test_views.py",
        *args,
    ]
    return subprocess.run(
        argv,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**_outer_env(), "VIEWS_DIR": str(views)},
    )


def test_workers_share_one_instance_each_in_its_own_database_and_schema(
    tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    done = _run(tmp_path, "-n", "2", "-k", "test_record_view")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout
    views = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "views").glob("*.json")}
    assert set(views) == {"gw0", "gw1"}
    redis = [views[w]["endpoints"]["redis"] for w in ("gw0", "gw1")]
    postgres = [views[w]["endpoints"]["postgres"] for w in ("gw0", "gw1")]
    assert redis[0]["port"] == redis[1]["port"]  # one instance...
    assert postgres[0]["port"] == postgres[1]["port"]
    assert [r["db"] for r in redis] == [1, 2]  # ...each worker in its own corner
    assert [r["prefix"] for r in redis] == ["gw0:", "gw1:"]
    assert [views[w]["schema"] for w in ("gw0", "gw1")] == ["omnicloud_gw0", "omnicloud_gw1"]
    # torn down once, at the end
    assert not port_open("127.0.0.1", redis[0]["port"])
    assert not port_open("127.0.0.1", postgres[0]["port"])
    assert processes_in(state_dir) == []
    assert list((state_dir / "runs").iterdir()) == []


def test_without_xdist_the_run_sees_the_plain_endpoints(tmp_path: Path, state_dir: Path) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    done = _run(tmp_path, "-k", "test_record_view")
    assert done.returncode == 0, done.stdout + done.stderr
    view = json.loads((tmp_path / "views" / "main.json").read_text())
    assert view["endpoints"]["redis"]["db"] == 0
    assert view["schema"] == "public"
    assert processes_in(state_dir) == []


def test_endpoints_handed_in_are_used_and_nothing_is_provisioned(
    tmp_path: Path, state_dir: Path
) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    from omnicloud.config import load_config
    from omnicloud.provision.lifecycle import provision

    (tmp_path / "omnicloud.toml").write_text(CONFIG, encoding="utf-8")
    with provision(load_config(tmp_path / "omnicloud.toml")) as env:
        os.environ["OMNICLOUD_ENDPOINTS"] = str(env.endpoints_file)
        try:
            done = _run(tmp_path, "-k", "test_record_view")
        finally:
            del os.environ["OMNICLOUD_ENDPOINTS"]
        assert done.returncode == 0, done.stdout + done.stderr
        runs = [p.name for p in (state_dir / "runs").iterdir()]
        assert runs == [env.run_id]  # the pytest run started no services of its own
        view = json.loads((tmp_path / "views" / "main.json").read_text())
        assert view["endpoints"]["redis"]["port"] == env.endpoints()["redis"]["port"]
