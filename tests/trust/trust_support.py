"""Scratch repositories and the real ``omnicloud`` entry point for the trust tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from children import pid_running

KV_PROVIDER = """
_tenants = {}


class ScratchKV:
    def __init__(self, tenant_id=None):
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        self._data.pop(key, None)


class SlowKV(ScratchKV):
    async def get(self, key):
        import asyncio

        await asyncio.sleep(0.2)
        return await super().get(key)


def create_kv(url, prefix="", tenant_id=None):
    return ScratchKV(tenant_id)
"""

KV_CONFIG = """
[project]
name = "scratch"

[sessions]
venv = "none"

[providers.scratch-kv]
contract = "kv_store"
factory = "scratchkv:ScratchKV"
policies = ["multi_tenancy"]
"""

REDIS_SECTION = """
[services.redis]
recipe = "redis"

[environments.local]
provisioner = "process"

[providers.redis-kv]
contract = "kv_store"
factory = "scratchkv:create_kv"
options = { url = "{services.redis.url}", prefix = "{services.redis.prefix}" }
services = ["redis"]
environments = ["local"]
"""


def make_repo(folder: Path, config: str = KV_CONFIG, provider: str = KV_PROVIDER) -> Path:
    """A scratch repository: ``scratchkv.py``, ``omnicloud.toml`` and ``git init``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scratchkv.py").write_text(provider, encoding="utf-8")
    (folder / "omnicloud.toml").write_text(config, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    return folder


def environ(**changes: str | None) -> dict[str, str]:
    """This process's environment without CI markers and omnicloud settings (tests opt into
    them; a run's OMNICLOUD_ENDPOINTS must not leak into another), plus changes."""
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("OMNICLOUD_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [".", env.get("PYTHONPATH", "")]))
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def omnicloud(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``omnicloud ARGS`` as a subprocess (the real entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
        env=env if env is not None else environ(),
    )


def service_pids(state_dir: Path) -> list[int]:
    """Pids of services started under ``state_dir`` (from their pid files) still running."""
    pids = []
    for pid_file in state_dir.glob("runs/*/*/pid"):
        text = pid_file.read_text(encoding="utf-8").strip()
        if text.isdigit() and pid_running(int(text)):
            pids.append(int(text))
    return pids
