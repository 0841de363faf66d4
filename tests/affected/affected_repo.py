"""Helpers that build real git repositories in tmp_path for the change-based selection tests."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from omnicloud.affected import compute_selection
from omnicloud.affected.gather import AffectedResult
from omnicloud.config import load_config

GIT_ENV = {
    "GIT_AUTHOR_NAME": "tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}

CONFIG = """\
[project]
base_ref = "main"

[services.redis]
port = 6379

[services.postgres]
port = 5432

[providers.redis-kv]
contract = "kv_store"
factory = "acme.kv.redis:RedisKV"
services = ["redis"]

[providers.memory-kv]
contract = "kv"
factory = "acme.memory:MemoryKV"
inputs = ["data/memory/*.json"]

[providers.tenant-kv]
contract = "kv_store"
factory = "acme.tenant:TenantKV"
policies = ["multi_tenancy"]
services = ["postgres"]
"""

FILES = {
    "src/acme/__init__.py": "",
    "src/acme/kv/__init__.py": "",
    "src/acme/kv/redis.py": """\
        from ..net import pool


        class RedisKV:
            pool = pool
    """,
    "src/acme/net/__init__.py": "",
    "src/acme/net/pool.py": """\
        def connect():
            import acme.net.sock

            return acme.net.sock
    """,
    "src/acme/net/sock.py": "PORT = 1\n",
    "src/acme/memory.py": """\
        try:
            from acme import util
        except ImportError:
            util = None


        class MemoryKV:
            pass
    """,
    "src/acme/util.py": "X = 1\n",
    "src/acme/tenant.py": "class TenantKV:\n    pass\n",
    "src/tck_py/__init__.py": "",
    "src/tck_py/primitives/__init__.py": "",
    "src/tck_py/primitives/kv_store.py": """\

        def helper():
            return 1


        class BaseTestKVStoreContract:
            @pytest.fixture
            def provider_factory(self):
                raise NotImplementedError

            def test_a(self):
                assert helper() == 1

            def test_b(self):
                assert True
    """,
    "src/tck_py/policies/__init__.py": "",
    "src/tck_py/policies/multi_tenancy.py": """\
        class TestMultiTenancyContractMixin:
            def test_isolated(self):
                assert True
    """,
    "data/memory/seed.json": "{}\n",
    "docs/index.md": "# docs\n",
    "pyproject.toml": "[project]\nname = 'acme'\n",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "protocol.file.allow=always", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=GIT_ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


class Project:
    """A repository with the acme layout committed on ``main`` and a ``feature`` branch."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")

    def append(self, path: str, text: str) -> None:
        self.write(path, (self.root / path).read_text(encoding="utf-8") + textwrap.dedent(text))

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def commit(self, message: str = "change") -> None:
        self.git("add", "--all")
        self.git("commit", "-q", "-m", message)

    def affected(self, base: str | None = None, **environ: str) -> AffectedResult:
        config = load_config(self.root / "omnicloud.toml", environ={})
        return compute_selection(config, base=base, environ=environ)

    def justifications(self, base: str | None = None) -> list[str]:
        selection = self.affected(base).selection
        return [i.justification for i in (*selection.providers, *selection.tests)]


def make_project(root: Path, extra_config: str = "") -> Project:
    root.mkdir(parents=True, exist_ok=True)
    project = Project(root)
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", CONFIG + extra_config)
    for path, text in FILES.items():
        project.write(path, text)
    project.commit("base")
    project.git("checkout", "-q", "-b", "feature")
    return project
