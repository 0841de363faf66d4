"""Provisioner options are typed and checked at load; capabilities replace name comparisons."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.cli import main
from omnicloud.config import parse_config
from omnicloud.config.models import EnvironmentConfig
from omnicloud.errors import ConfigError, ExitCode
from omnicloud.provision.lifecycle import provisioner_arguments, prunable
from omnicloud.provision.options import OPTIONS, DockerOptions, parse_options
from omnicloud.provision.registry import REGISTRY, provisioner_class


def _validate(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "omnicloud.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", "-c", str(path)])
    return code, capsys.readouterr().err


def test_an_unknown_option_is_a_config_error_naming_the_key_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: it validated, then `env up` crashed with a TypeError in the constructor."""
    code, err = _validate(
        tmp_path,
        '[environments.local]\nprovisioner = "process"\noptions = { colour = "blue" }\n',
        capsys,
    )
    assert code == ExitCode.CONFIG
    assert (
        "omnicloud.toml:3:1: environments.local.options: unknown option 'colour' for the process"
        " provisioner (it takes no options)"
    ) in err


def test_a_misspelt_docker_option_gets_did_you_mean_and_the_accepted_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _validate(
        tmp_path,
        '[environments.ci]\nprovisioner = "docker"\noptions = { base_ur = "unix:///d.sock" }\n',
        capsys,
    )
    assert code == ExitCode.CONFIG
    assert (
        "environments.ci.options: unknown option 'base_ur' for the docker provisioner; did you"
        " mean 'base_url'? (accepted: 'base_url', 'timeout')"
    ) in err


def test_a_wrongly_typed_option_names_the_key_and_the_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            '[environments.ci]\nprovisioner = "docker"\noptions = { timeout = -5 }\n',
            tmp_path / "omnicloud.toml",
            environ={},
        )
    assert info.value.key == "environments.ci.options"
    assert "option 'timeout' of the docker provisioner" in str(info.value)
    assert "got -5" in str(info.value)


def test_valid_options_become_the_provisioners_constructor_arguments() -> None:
    docker = EnvironmentConfig(provisioner="docker", options={"base_url": "tcp://h:2375"})
    assert parse_options("docker", docker.options) == DockerOptions(base_url="tcp://h:2375")
    assert provisioner_arguments(docker) == {"base_url": "tcp://h:2375"}
    k8s = EnvironmentConfig(provisioner="kubernetes", namespace="ns", options={"api_url": "u"})
    keys = provisioner_class("kubernetes").environment_keys
    assert provisioner_arguments(k8s, keys) == {"api_url": "u", "namespace": "ns"}


def test_every_provisioner_has_an_options_model_and_declares_its_capabilities() -> None:
    assert set(OPTIONS) == set(REGISTRY)
    for name in REGISTRY:
        cls = provisioner_class(name)
        assert cls.name == name
        assert isinstance(cls.reusable, bool)
        assert isinstance(cls.port_forward, bool)
        assert isinstance(cls.prunable, bool)
    assert not provisioner_class("kubernetes").reusable
    assert provisioner_class("kubernetes").port_forward
    assert prunable() == ["process", "docker", "kubernetes"]
