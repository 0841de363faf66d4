"""``omnicloud env up|status|down|prune`` and the external and embedded provisioners."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from provision_support import port_open

from children import pid_running, processes_in
from omnicloud.cli import main
from omnicloud.config import Config
from omnicloud.errors import ExitCode
from omnicloud.provision.lifecycle import provision
from omnicloud.provision.ready import ProvisionFailed
from service_guard import require_binary

CONFIG = """
[project]
default_environment = "local"
[services.redis]
recipe = "redis"
[environments.local]
provisioner = "process"
[environments.outside]
provisioner = "external"
[environments.outside.endpoints]
redis = "${REDIS_URL:-redis://127.0.0.1:1/0}"
[environments.none]
provisioner = "embedded"
"""


@pytest.mark.services("redis")
def test_env_up_status_down(
    tmp_path: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_binary("redis-server", "redis-server")
    config = tmp_path / "omnicloud.toml"
    config.write_text(CONFIG, encoding="utf-8")
    output = tmp_path / "endpoints.json"
    assert main(["env", "up", "--config", str(config), "-o", str(output)]) == 0
    out = capsys.readouterr().out
    assert "environment 'local' (process) started" in out
    assert f"export OMNICLOUD_ENDPOINTS={output}" in out
    endpoint = json.loads(output.read_text())["redis"]
    assert port_open("127.0.0.1", endpoint["port"])  # still running after the command ended

    assert main(["env", "up", "--config", str(config), "-o", str(output)]) == 0
    assert "(process) reused" in capsys.readouterr().out

    assert main(["env", "status"]) == 0
    assert f'"port": {endpoint["port"]}' in capsys.readouterr().out

    assert main(["env", "down", "--config", str(config)]) == 0
    assert "stopped 1 kept run(s) of environment 'local'" in capsys.readouterr().out
    assert not port_open("127.0.0.1", endpoint["port"])
    assert processes_in(state_dir) == []


def test_env_prune_reports_what_it_removed(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orphan = state_dir / "runs" / "dead-run"
    orphan.mkdir(parents=True)
    (orphan / "owner.json").write_text(json.dumps({"pid": 1, "started": "never"}))
    assert main(["env", "prune"]) == 0
    out = capsys.readouterr().out
    assert f"removed tempdir {orphan} (run dead-run)" in out
    assert out.rstrip().endswith("pruned 1 leftover(s)")  # nothing else of this state root
    assert not orphan.exists()


def test_env_up_with_an_unknown_environment_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "omnicloud.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert main(["env", "up", "--config", str(config), "--env", "lokal"]) == ExitCode.SELECTION
    assert "unknown environment 'lokal'; did you mean 'local'?" in capsys.readouterr().err


@pytest.mark.services("redis")
def test_external_endpoints_are_checked_and_never_stopped(
    make_config: Callable[[str], Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_binary("redis-server", "redis-server")
    with provision(make_config(CONFIG), environment="local") as real:
        url = real.endpoints()["redis"]["url"]
        pid = real.handles["redis"].resources["pid"]
        monkeypatch.setenv("REDIS_URL", url)
        with provision(make_config(CONFIG), environment="outside") as external:
            assert external.endpoints()["redis"]["url"] == url
            assert external.endpoints()["redis"]["db"] == 0
        assert pid_running(pid)  # the external environment did not stop it


def test_a_missing_external_endpoint_fails_naming_the_key(
    make_config: Callable[[str], Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(CONFIG.replace('redis = "${REDIS_URL:-redis://127.0.0.1:1/0}"', ""))
    monkeypatch.delenv("OMNICLOUD_REDIS_URL", raising=False)
    with pytest.raises(ProvisionFailed) as info, provision(config, environment="outside"):
        pytest.fail("must not start")
    assert info.value.message == "service 'redis' has no endpoint in environment 'outside'"
    assert info.value.hint == (
        "set environments.outside.endpoints.redis = 'scheme://...' or export OMNICLOUD_REDIS_URL"
    )


def test_an_unreachable_external_endpoint_times_out(
    make_config: Callable[[str], Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnicloud.provision.ready import ProvisionTimeout

    monkeypatch.delenv("REDIS_URL", raising=False)
    config = make_config(
        CONFIG.replace('recipe = "redis"', 'recipe = "redis"\nstartup_timeout = 0')
    )
    with pytest.raises(ProvisionTimeout) as info, provision(config, environment="outside"):
        pytest.fail("must not start")
    assert info.value.message.startswith(
        "service 'redis' not ready after 0s [services.redis.startup_timeout]; last error: tcp:"
    )


def test_the_embedded_environment_refuses_services(make_config: Callable[[str], Config]) -> None:
    with (
        pytest.raises(ProvisionFailed, match="environment 'none' uses the 'embedded'"),
        provision(make_config(CONFIG), environment="none"),
    ):
        pytest.fail("must not start")
