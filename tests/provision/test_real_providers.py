"""The Redis and PostgreSQL providers certified by the contract suites against real servers.

One pytest run (two xdist workers, services provisioned once by the controller) of every
provider, exactly as ``omnicloud certify --env local`` runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from children import processes_in
from service_guard import require_binary

pytestmark = [pytest.mark.services("redis", "postgres"), pytest.mark.slow]

SERVICES = """
[project]
default_environment = "local"
[services.redis]
recipe = "redis"
[services.postgres]
recipe = "postgres"
[environments.local]
provisioner = "process"
"""

PROVIDERS = {
    "redis-kv": ("kv_store", "redis:create_kv_store", ["multi_tenancy"]),
    "redis-cache": ("cache", "redis:create_cache", []),
    "redis-lock": ("distributed_lock", "redis:create_lock_manager", []),
    "redis-sagas": ("sagas", "redis:create_saga_repository", []),
    "redis-producer": ("producer", "redis:create_broker", []),
    "redis-consumer": ("consumer", "redis:create_broker", []),
    "redis-delayed": ("delayed_messaging", "redis:create_broker", []),
    "postgres-kv": ("kv_store", "postgres:create_kv_store", ["multi_tenancy"]),
    "postgres-docs": ("document_database", "postgres:create_document_database", []),
    "postgres-outbox": ("transactional_outbox", "postgres:create_outbox_storage", []),
    "postgres-sagas": ("sagas", "postgres:create_saga_repository", []),
}


def _config() -> str:
    blocks = [SERVICES]
    for name, (contract, factory, policies) in PROVIDERS.items():
        service = name.split("-")[0]
        scope = "prefix" if service == "redis" else "schema"
        blocks.append(
            f'[providers.{name}]\ncontract = "{contract}"\n'
            f'factory = "omnicloud.providers.{factory}"\n'
            f'options = {{ url = "{{services.{service}.url}}",'
            f' {scope} = "{{services.{service}.{scope}}}" }}\n'
            f'services = ["{service}"]\npolicies = {policies!r}\n'.replace("'", '"')
        )
    return "\n".join(blocks)


def test_every_provider_passes_its_contract_suite(tmp_path: Path, state_dir: Path) -> None:
    require_binary("redis-server", "redis-server")
    require_binary("initdb", "postgresql")
    (tmp_path / "omnicloud.toml").write_text(_config(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-n",
            "2",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            "-o",
            "asyncio_mode=auto",
            "omnicloud.toml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert " passed" in summary
    assert "failed" not in summary
    assert "error" not in summary
    assert processes_in(state_dir) == []
