"""How session environments are installed: what ``install_args`` asks pip for."""

from __future__ import annotations

from pathlib import Path

from omnicloud.config import load_config
from omnicloud.config.models import SessionsConfig
from omnicloud.nox_sessions import install_args, venv_backend

ROOT = Path(__file__).resolve().parents[2]


def test_this_repository_installs_itself_with_its_backend_extras() -> None:
    config = load_config(ROOT / "omnicloud.toml", environ={})
    extras = ",".join(config.sessions.extras)
    assert "redis" in config.sessions.extras
    assert install_args(config, ROOT) == ["-e", f"{ROOT}[{extras}]"]


def test_a_user_project_installs_itself_and_omnicloud(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "acme-kv"\nversion = "1"\n')
    config_path = tmp_path / "omnicloud.toml"
    config_path.write_text('[sessions]\nextras = ["redis"]\n')
    args = install_args(load_config(config_path, environ={}), tmp_path)
    assert args[:2] == ["-e", str(tmp_path)]
    assert args[2].startswith("open-omni-cloud-tck[redis]")


def test_a_config_only_repository_installs_only_omnicloud(tmp_path: Path) -> None:
    config_path = tmp_path / "omnicloud.toml"
    config_path.write_text("[project]\nname = 'x'\n")
    [requirement] = install_args(load_config(config_path, environ={}), tmp_path)
    assert requirement.startswith("open-omni-cloud-tck")


def test_environment_policy_maps_to_nox_backends() -> None:
    assert venv_backend(SessionsConfig(venv="none")) == "none"
    assert venv_backend(SessionsConfig(venv="virtualenv")) == "virtualenv"
    assert venv_backend(SessionsConfig(venv="auto")) in ("uv|virtualenv", "virtualenv")
