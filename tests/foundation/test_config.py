"""Loading and validating omnicloud.toml: accepted forms and the exact error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.config import load_config
from omnicloud.config.types import parse_duration
from omnicloud.errors import ConfigError, ExitCode

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def write(tmp_path: Path, text: str, name: str = "omnicloud.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    assert info.value.exit_code == ExitCode.CONFIG
    return info.value


def test_design_sketch_is_accepted_as_written() -> None:
    config = load_config(RESOURCES / "omnicloud_design_sketch.toml", environ={})
    provider = config.providers["redis-kv"]
    assert provider.contract == "kv_store"
    assert provider.policies == ["multi_tenancy"]
    assert provider.implements == ["keyvalue_basic", "keyvalue_scan", "keyvalue_ttl"]
    assert config.services["redis"].ready.timeout == 30.0
    assert config.environments["ci"].reuse is True
    assert config.data["users"].seed == 42
    assert config.failures.categories[0].route == "platform-team"


def test_contract_alias_is_normalised(tmp_path: Path) -> None:
    path = write(tmp_path, '[providers.k]\ncontract = "kv"\nfactory = "m:K"\n')
    assert load_config(path, environ={}).providers["k"].contract == "kv_store"


def test_unknown_contract_names_file_line_key_and_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "x"\n\n[providers.redis-kv]\ncontract = "kv_stor"\nfactory = "m:K"\n',
    )
    error = error_of(path)
    assert error.message.startswith(
        f"{path}:5:1: providers.redis-kv.contract: unknown contract 'kv_stor';"
        " did you mean 'kv_store'? (accepted: 'cache', "
    )
    assert error.hint == "see docs/configuration.md for every key and its accepted values"


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, '[providers.k]\ncontract = "kv"\nfactory = "m:K"\nownrs = ["a"]\n')
    error = error_of(path)
    assert error.message.startswith(
        f"{path}:4:1: providers.k.ownrs: unknown key 'ownrs'; did you mean 'owners'? (accepted: "
    )


def test_unknown_key_inside_inline_table_points_at_its_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[services.redis]\nready = { tcp = true, timout = "3s" }\n')
    error = error_of(path)
    assert error.message.startswith(
        f"{path}:2:23: services.redis.ready.timout: unknown key 'timout'; did you mean 'timeout'?"
    )


def test_unknown_provisioner_lists_the_valid_names(tmp_path: Path) -> None:
    path = write(tmp_path, '[environments.ci]\nprovisioner = "dockr"\n')
    assert error_of(path).message == (
        f"{path}:2:1: environments.ci.provisioner: unknown provisioner 'dockr'; did you mean"
        " 'docker'? (accepted: 'docker', 'embedded', 'external', 'kubernetes', 'process')"
    )


def test_wrong_type_shows_the_bad_value(tmp_path: Path) -> None:
    path = write(tmp_path, '[services.redis]\nport = "six"\n')
    assert error_of(path).message == (
        f"{path}:2:1: services.redis.port: Input should be a valid integer, unable to parse"
        " string as an integer; got 'six'"
    )


def test_bad_factory_path_says_the_accepted_form(tmp_path: Path) -> None:
    path = write(tmp_path, '[providers.k]\ncontract = "kv"\nfactory = "acme.kv.RedisKV"\n')
    assert error_of(path).message == (
        f"{path}:3:1: providers.k.factory: invalid factory 'acme.kv.RedisKV'; expected"
        " 'module.path:attribute' such as 'acme.kv:RedisKVStore'"
    )


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x\n')
    error = error_of(path)
    assert error.message.startswith(f"{path}:2:")
    assert "invalid TOML" in error.message


def test_unknown_service_reference_is_checked_at_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[services.redis]\nport = 1\n[providers.k]\ncontract = "kv"\n'
        'factory = "m:K"\nservices = ["rediss"]\n',
    )
    assert error_of(path).message == (
        f"{path}:6:1: providers.k.services.0: unknown service 'rediss'; did you mean 'redis'?"
        " (accepted: 'redis')"
    )


def test_placeholder_must_name_a_service_of_the_provider(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[services.redis]\nport = 1\n[providers.k]\ncontract = "kv"\n'
        'factory = "m:K"\noptions = { url = "{services.redis.url}" }\n',
    )
    assert error_of(path).message == (
        f"{path}:6:13: providers.k.options.url: placeholder '{{services.redis.url}}' names"
        " service 'redis', which is not in this provider's services []"
    )


def test_environment_interpolation_with_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "${NAME}"\nbase_ref = "${BASE:-origin/dev}"\n'
        'results_dir = "$${LITERAL}"\n',
    )
    config = load_config(path, environ={"NAME": "acme"})
    assert config.project.name == "acme"
    assert config.project.base_ref == "origin/dev"
    assert str(config.project.results_dir) == "${LITERAL}"


def test_missing_environment_variable_names_variable_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[providers.k]\ncontract = "kv"\nfactory = "m:K"\n'
        'options = { password = "${REDIS_PASSWORD}" }\n',
    )
    error = error_of(path)
    assert error.message == (
        f"{path}:4:13: providers.k.options.password: environment"
        " variable 'REDIS_PASSWORD' is not set"
    )
    assert error.hint is not None
    assert "${REDIS_PASSWORD:-default}" in error.hint


def test_secret_values_are_never_echoed_in_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[services.db]\nenv = { password = "hunter2" }\nport = "x"\n'
        '[failures.webhook]\nurl = "u"\ntoken_env = 5\n',
    )
    error = error_of(path)
    assert "hunter2" not in error.render()
    secret = write(
        tmp_path,
        '[providers.k]\ncontract = "kv"\nfactory = "m:K"\n'
        'options = { token = { secret = "s3cr3t-value" } }\n',
        "b.toml",
    )
    config = load_config(secret, environ={})
    assert config.secret_values() == ["s3cr3t-value"]
    assert "s3cr3t-value" not in repr(config.providers["k"].options)


def test_tool_omnicloud_in_pyproject(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "pkg"\n\n[tool.omnicloud.providers.k]\n'
        'contract = "kv"\nfactory = "m:K"\nbad = 1\n',
        "pyproject.toml",
    )
    error = error_of(path)
    assert error.message.startswith(f"{path}:7:1: providers.k.bad: unknown key 'bad'")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("250ms", 0.25), ("5m", 300.0), ("1h", 3600.0), (2, 2.0), ("1.5", 1.5)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "-1s", True, "5 days"])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="expected a duration such as '30s'"):
        parse_duration(bad)
