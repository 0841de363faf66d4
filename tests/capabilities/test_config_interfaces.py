"""Interface names in the configuration are checked at load, with file:line:col and hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.config import load_config
from omnicloud.errors import ConfigError, ExitCode

HEAD = """[project]
name = "caps"

[providers.kv]
contract = "kv_store"
factory = "omnicloud.providers.memory.memstore:MemStore"
"""


def _error(tmp_path: Path, body: str) -> ConfigError:
    path = tmp_path / "omnicloud.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.exit_code == ExitCode.CONFIG
    return info.value


def test_unknown_interface_suggests_the_closest(tmp_path: Path) -> None:
    error = _error(tmp_path, 'implements = ["keyvalue_basic", "keyvalue_tll"]\n')
    assert error.message == (
        f"{tmp_path / 'omnicloud.toml'}:7:1: providers.kv.implements.1: unknown interface"
        " 'keyvalue_tll'; did you mean 'keyvalue_ttl'? (45 interfaces: see docs/interfaces.md)"
    )


def test_unknown_expected_failure_key(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        'implements = ["keyvalue_basic"]\n'
        "[providers.kv.expected_failures]\n"
        'keyvalue_bsic = { kind = "notyet", reason = "r" }\n',
    )
    assert error.message == (
        f"{tmp_path / 'omnicloud.toml'}:9:1: providers.kv.expected_failures.keyvalue_bsic:"
        " unknown interface 'keyvalue_bsic'; did you mean 'keyvalue_basic'?"
        " (45 interfaces: see docs/interfaces.md)"
    )


def test_expected_failure_of_an_undeclared_interface(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        'implements = ["keyvalue_basic"]\n'
        'expected_failures.keyvalue_ttl = { kind = "never", reason = "r" }\n',
    )
    assert error.detail == (
        "expected failure for 'keyvalue_ttl', which implements does not declare;"
        " declare it or remove this entry"
    )
    assert error.key == "providers.kv.expected_failures.keyvalue_ttl"


def test_interfaces_need_their_family_core(tmp_path: Path) -> None:
    error = _error(tmp_path, 'implements = ["keyvalue_basic", "list_range"]\n')
    assert error.detail == (
        "interface 'list_range' builds on 'list_basic', which is not declared;"
        " add 'list_basic' to implements"
    )


def test_repeated_interface(tmp_path: Path) -> None:
    error = _error(tmp_path, 'implements = ["keyvalue_basic", "keyvalue_basic"]\n')
    assert error.detail == "interface 'keyvalue_basic' is listed twice"
    assert error.key == "providers.kv.implements.1"


def test_unknown_kind_is_rejected_by_the_model(tmp_path: Path) -> None:
    error = _error(
        tmp_path,
        'implements = ["keyvalue_basic"]\n'
        'expected_failures.keyvalue_basic = { kind = "later", reason = "r" }\n',
    )
    assert error.key == "providers.kv.expected_failures.keyvalue_basic.kind"
    assert "'notimpl', 'notyet' or 'never'" in error.detail


def test_a_valid_declaration_loads(tmp_path: Path) -> None:
    path = tmp_path / "omnicloud.toml"
    path.write_text(
        HEAD + 'implements = ["keyvalue_basic", "keyvalue_ttl"]\n'
        'expected_failures.keyvalue_ttl = { kind = "notyet", reason = "2.0" }\n',
        encoding="utf-8",
    )
    config = load_config(path)
    provider = config.providers["kv"]
    assert provider.implements == ["keyvalue_basic", "keyvalue_ttl"]
    assert provider.expected_failures["keyvalue_ttl"].kind == "notyet"
