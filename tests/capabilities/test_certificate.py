"""Certificates: valid when untouched; editing any field, anywhere, makes verification fail."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnicloud.certificate import (
    KEY_ENV,
    build_certificate,
    load_certificate,
    verify_certificate,
    write_certificate,
)
from omnicloud.cli import main
from omnicloud.config import load_config
from omnicloud.errors import ResultsError
from omnicloud.report.matrix import build_matrix
from omnicloud.results import Outcome, Results, TestResult
from omnicloud.signing import canonical, generate_keypair

CONFIG = """[project]
name = "certs"

[providers.mem]
contract = "kv_store"
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic", "list_basic"]
distribution = "open-omni-cloud-tck"
expected_failures.list_basic = { kind = "notimpl", reason = "soon" }
"""


def _certificate(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "omnicloud.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    runs: list[tuple[str, Outcome]] = [
        ("kv_store", "passed"),
        ("keyvalue_basic", "passed"),
        ("list_basic", "failed"),
    ]
    tests = [
        TestResult(
            classname=f"omnicloud.toml.mem:{suite}",
            name="test_x",
            outcome=outcome,
            provider="mem",
            suite=suite,
        )
        for suite, outcome in runs
    ]
    matrix = build_matrix(config, Results(tuple(tests)))
    junit = tmp_path / "junit.xml"
    junit.write_text("<testsuites/>", encoding="utf-8")
    return build_certificate(config, matrix, "mem", junit=[junit], run_id="run-1", now=0)


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        if not data:
            yield path
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        if not data:
            yield path
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, "x"]
    if isinstance(value, dict):
        return {**value, "x": 1}
    return "x"


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def test_an_untouched_certificate_is_valid(tmp_path: Path) -> None:
    certificate = _certificate(tmp_path)
    problems, checks = verify_certificate(certificate)
    assert problems == []
    assert checks == [
        "content digest",
        "verdict recomputed from the statuses",
        "suite sources hash",
    ]
    assert certificate["interfaces"]["list_basic"]["status"] == "expected_failure"
    assert certificate["verdict"]["compliant"] is True
    assert certificate["provider"]["distribution"]["name"] == "open-omni-cloud-tck"
    assert certificate["run"]["time"] == "1970-01-01T00:00:00Z"
    assert len(certificate["tck"]["suites"]["sha256"]) == 64


def test_editing_any_field_is_detected(tmp_path: Path) -> None:
    certificate = _certificate(tmp_path)
    leaves = list(_leaves(certificate))
    assert len(leaves) > 30
    for path in leaves:
        tampered = copy.deepcopy(certificate)
        _set(tampered, path, _mutated(_get(tampered, path)))
        problems, _ = verify_certificate(tampered)
        assert problems, f"editing {'.'.join(map(str, path))} went unnoticed"


def test_removing_or_adding_a_field_is_detected(tmp_path: Path) -> None:
    certificate = _certificate(tmp_path)
    for key in certificate:
        if key == "format":
            continue
        tampered = {k: v for k, v in certificate.items() if k != key}
        assert verify_certificate(tampered)[0], f"removing {key} went unnoticed"
    assert verify_certificate({**certificate, "note": "trust me"})[0]


def test_signature_needs_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    public = generate_keypair(tmp_path / "signing.pem")
    other = generate_keypair(tmp_path / "other.pem")
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "signing.pem"))
    certificate = _certificate(tmp_path)
    assert certificate["signature"]["envelope"]["payloadType"] == "application/vnd.in-toto+json"
    problems, checks = verify_certificate(certificate, key=public)
    assert problems == []
    assert checks[1] == "Ed25519 signature (in-toto statement in a DSSE envelope)"
    # Someone without the key edits a status and the verdict, recomputes the digest.
    forged = {k: v for k, v in copy.deepcopy(certificate).items() if k != "digest"}
    forged["interfaces"]["list_basic"]["status"] = "pass"
    forged["verdict"]["certified"] = ["keyvalue_basic", "list_basic"]
    forged["digest"] = {
        "algorithm": "sha256",
        "value": hashlib.sha256(canonical(forged)).hexdigest(),
    }
    problems, _ = verify_certificate(forged, key=public)
    assert problems == ["the signed statement differs from the certificate's content"]
    assert verify_certificate(certificate, key=other)[0] == [
        "signature: signed with another key than the trusted one"
    ]
    stripped = {k: v for k, v in copy.deepcopy(certificate).items() if k != "signature"}
    assert verify_certificate(stripped, key=public)[0][-1] == (
        "the certificate is not signed, and a trusted key was given"
    )
    assert "signature present, not checked" in verify_certificate(certificate)[1][1]


def test_another_tck_or_junit_is_detected(tmp_path: Path) -> None:
    certificate = _certificate(tmp_path)
    problems, _ = verify_certificate(certificate, suites={"sha256": "0" * 64, "files": 1})
    assert problems[0].startswith("suite sources differ from the installed tck_py")
    other = tmp_path / "other.xml"
    other.write_text("<testsuites></testsuites>", encoding="utf-8")
    problems, _ = verify_certificate(certificate, junit=other)
    assert problems == [f"{other} is not the JUnit file this certificate was made from"]


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # not next to the JUnit file (a placeholder here), so statuses are not recomputed
    path = write_certificate(tmp_path / "a" / "b" / "mem.json", _certificate(tmp_path))
    assert main(["verify-certificate", str(path)]) == 0
    assert "valid certificate of provider 'mem'" in capsys.readouterr().out
    data = json.loads(path.read_text(encoding="utf-8"))
    data["interfaces"]["keyvalue_basic"]["status"] = "pass "
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["verify-certificate", str(path)]) == 1
    assert "INVALID certificate" in capsys.readouterr().out
    path.write_text("{not json", encoding="utf-8")
    assert main(["verify-certificate", str(path)]) == 6
    with pytest.raises(ResultsError):
        load_certificate(tmp_path / "missing.json")
