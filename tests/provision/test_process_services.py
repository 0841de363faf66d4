"""The process provisioner with services of one's own: ports, env templates, unreachable dirs."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from children import processes_in
from omnicloud.config import Config
from omnicloud.errors import ExitCode
from omnicloud.provision.lifecycle import provision
from omnicloud.provision.ready import ProvisionFailed
from service_guard import require_binary

# Listens on $PORT and writes what it was given into $DATA/seen.json.
_SERVER = (
    "import json, os, socket, time\n"
    "seen = {k: os.environ[k] for k in ('PORT', 'DATA', 'BOTH')}\n"
    "open(os.path.join(os.environ['DATA'], 'seen.json'), 'w').write(json.dumps(seen))\n"
    "s = socket.socket(); s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen()\n"
    "time.sleep(60)\n"
)


def test_a_service_without_recipe_needs_no_port_and_its_env_gets_port_and_data_dir(
    make_config: Callable[[str], Config], state_dir: Path
) -> None:
    config = make_config(f"""
        [services.echo]
        command = [{json.dumps(sys.executable)}, "-c", {json.dumps(_SERVER)}]
        env = {{ PORT = "{{port}}", DATA = "{{data_dir}}", BOTH = "{{host}}:{{port}}" }}
        [environments.local]
        provisioner = "process"
    """)
    with provision(config, environment="local") as env:
        handle = env.handles["echo"]
        seen = json.loads((Path(handle.resources["dir"]) / "data" / "seen.json").read_text())
        assert seen == {
            "PORT": str(handle.port),
            "DATA": str(Path(handle.resources["dir"]) / "data"),
            "BOTH": f"127.0.0.1:{handle.port}",
        }
    assert processes_in(state_dir) == []


@pytest.fixture
def private_parent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A state root inside a 0700 directory, as under any ``mktemp -d``."""
    parent = Path(tempfile.mkdtemp(prefix="omnicloud-private-"))
    assert parent.stat().st_mode & 0o777 == 0o700
    monkeypatch.setenv("OMNICLOUD_STATE_DIR", str(parent / "state"))
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.services("postgres")
def test_postgres_as_root_under_a_0700_parent_says_which_dir_and_how_to_fix_it(
    make_config: Callable[[str], Config], private_parent: Path
) -> None:
    """Root runs PostgreSQL as `postgres`, which cannot enter a 0700 parent: initdb would fail
    with "Permission denied" and a misleading timeout hint; the error names the dir instead."""
    require_binary("initdb", "postgresql")
    if os.geteuid() != 0:
        pytest.skip("only root hands PostgreSQL to another user (this runs as a normal user)")
    config = make_config("""
        [services.postgres]
        [environments.local]
        provisioner = "process"
    """)
    with pytest.raises(ProvisionFailed) as info, provision(config, environment="local"):
        pytest.fail("must not start")
    assert info.value.message == (
        "service 'postgres' runs as user 'postgres' (the server refuses to run as root), which"
        f" cannot enter {private_parent} (mode 0700), a parent of its data directory"
    )
    assert info.value.hint is not None
    assert f"chmod o+x {private_parent}" in info.value.hint
    assert info.value.exit_code == ExitCode.INFRASTRUCTURE
    assert processes_in(private_parent) == []


@pytest.mark.services("postgres")
def test_postgres_as_root_starts_once_the_parent_lets_it_through(
    make_config: Callable[[str], Config], private_parent: Path
) -> None:
    """The fix the error names works: search permission (not read) on the parent is enough."""
    require_binary("initdb", "postgresql")
    private_parent.chmod(0o701)
    config = make_config("""
        [services.postgres]
        [environments.local]
        provisioner = "process"
    """)
    with provision(config, environment="local") as env:
        assert env.endpoints()["postgres"]["port"] > 0
    assert processes_in(private_parent) == []
