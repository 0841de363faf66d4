"""No secret in anything a run prints or writes: a run that leaks on purpose is grepped."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from trust_support import KV_CONFIG, environ, make_repo, omnicloud

from service_guard import require_binary

MARKED = "s3cr3t&Pa55<word>"  # XML, JSON and URL escaping all change it
IN_URL = "urlPa55w0rdZ"
IN_HOOK = "T0K3N-webhook-path"

LEAKY_PROVIDER = """
import logging
import sys

_tenants = {}


class LeakyKV:
    def __init__(self, token=None, url=None, tenant_id=None):
        self._token, self._url = token, url
        print(f"connecting with {token} to {url}")
        print(f"stderr: {token!r} {url}", file=sys.stderr)
        logging.getLogger("leaky").warning("token=%s url=%s", token, url)
        self._data = _tenants.setdefault(tenant_id, {}) if tenant_id else {}

    async def get(self, key):
        return self._data.get(key)

    async def set(self, key, value):
        self._data[key] = value

    async def delete(self, key):
        raise AssertionError(f"delete refused for token {self._token} at {self._url}")
"""

LEAKY_CONFIG = (
    KV_CONFIG.replace("scratchkv:ScratchKV", "scratchkv:LeakyKV")
    + f"""
[providers.scratch-kv.options]
token = {{ secret = "{MARKED}" }}
url = "redis://omni:{IN_URL}@127.0.0.1:1/0"

[failures.webhook]
url = "http://127.0.0.1:9/hooks/{IN_HOOK}"
retries = 0
timeout = "2s"
"""
)


def _everything_written(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_secret_in_any_output_or_file_of_a_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", LEAKY_CONFIG, LEAKY_PROVIDER)
    result = omnicloud(repo, "certify", "--", "-k", "delete or get", "-rA")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "webhook" in result.stderr  # the sink was tried and its failure printed
    written = _everything_written(repo / "omnicloud-results")
    assert any(p.name == "junit.xml" for p in written)
    assert any(p.name == "triage.json" for p in written)
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    texts |= {str(p): p.read_text(encoding="utf-8", errors="replace") for p in written}
    assert "***" in texts[str(repo / "omnicloud-results" / "junit.xml")]
    for secret in (MARKED, IN_URL, IN_HOOK, "s3cr3t&amp;Pa55&lt;word&gt;", "s3cr3t"):
        leaks = [where for where, text in texts.items() if secret in text]
        assert leaks == [], f"{secret!r} leaked into {leaks}"


@pytest.mark.services("redis")
def test_state_files_are_private(tmp_path: Path) -> None:
    require_binary("redis-server", "redis-server")
    state = Path(tempfile.mkdtemp(prefix="omnicloud-trust-state-"))
    config = KV_CONFIG + '\n[services.redis]\nrecipe = "redis"\n[environments.local]\n'
    config += 'provisioner = "process"\nreuse = true\n'
    repo = make_repo(tmp_path / "repo", config)
    env = environ(OMNICLOUD_STATE_DIR=str(state))
    up = omnicloud(repo, "env", "up", "--env", "local", env=env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        files = [*state.glob("runs/*/endpoints.json"), *state.glob("runs/*/state.json")]
        assert len(files) == 2, files
        for path in [*files, *state.glob("runs/*/owner.json")]:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        # Folders: nobody else lists or reads them (0700; as root 0711, so that a server
        # running as its own account can pass through to the directory handed to it).
        folders = [state, *(p for p in state.rglob("*") if p.is_dir())]
        assert len(folders) >= 4, folders  # root, runs, the run, the service's folder
        for folder in folders:
            mode = stat.S_IMODE(os.stat(folder).st_mode)
            assert mode & 0o066 == 0, f"{folder} is {mode:04o}"
        for folder in (state, state / "runs", *state.glob("runs/*/")):
            expected = 0o711 if os.geteuid() == 0 else 0o700
            assert stat.S_IMODE(os.stat(folder).st_mode) == expected, folder
    finally:
        omnicloud(repo, "env", "down", "--all", env=env)
        shutil.rmtree(state, ignore_errors=True)


@pytest.mark.services("redis")
def test_the_log_tail_of_a_service_that_fails_to_start_is_redacted(tmp_path: Path) -> None:
    require_binary("redis-server", "redis-server")
    state = Path(tempfile.mkdtemp(prefix="omnicloud-trust-state-"))
    state.chmod(0o755)
    config = (
        '[project]\nname = "tail"\n[services.redis]\nrecipe = "redis"\n'
        f'command = ["redis-server", "--port", "{{port}}", "--bogus", "redis://u:{IN_URL}@h/0"]\n'
        '[environments.local]\nprovisioner = "process"\n'
    )
    repo = make_repo(tmp_path / "repo", config)
    try:
        result = omnicloud(
            repo, "env", "up", "--env", "local", env=environ(OMNICLOUD_STATE_DIR=str(state))
        )
    finally:
        shutil.rmtree(state, ignore_errors=True)
    assert result.returncode == 5, result.stdout + result.stderr
    assert "bogus" in result.stderr  # the log tail is shown
    assert IN_URL not in result.stdout + result.stderr


def test_the_recipes_published_default_credentials_are_no_secret() -> None:
    """The kinds' default user and password (``omnicloud``) are public text of this package:
    masking them masked every ``omnicloud.toml`` node id and the ``omnicloud expected
    failure`` reason in JUnit, so the matrix misread declared expected failures."""
    from omnicloud.provision.kinds import published_credentials

    public = published_credentials()
    assert "omnicloud" in public
    assert "omnicloud-rabbitmq" in public
