"""Certificates resist a forger: Ed25519 over an in-toto statement, verdicts recomputed,
claims bound to the provider's configuration. Through ``omnicloud keygen``, ``matrix`` and
``verify-certificate``."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from trust_support import environ, make_repo, omnicloud

from omnicloud.signing import canonical

CONFIG = """
[project]
name = "certs"

[sessions]
venv = "none"

[providers.mem]
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic", "list_basic"]
distribution = "open-omni-cloud-tck"
"""

# One xdist worker runs the module: the certified repository (a matrix run) is built once.
pytestmark = pytest.mark.xdist_group("certificates")


@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("certs") / "repo", CONFIG)
    keygen = omnicloud(repo, "keygen", "keys/sign.pem")
    assert keygen.returncode == 0, keygen.stderr
    assert stat.S_IMODE(os.stat(repo / "keys" / "sign.pem").st_mode) == 0o600
    assert omnicloud(repo, "keygen", "keys/sign.pem").returncode == 2  # never overwritten
    assert omnicloud(repo, "keygen", "keys/other.pem").returncode == 0
    matrix = omnicloud(repo, "matrix", env=environ(OMNICLOUD_SIGNING_KEY="keys/sign.pem"))
    assert matrix.returncode == 0, matrix.stdout + matrix.stderr
    return repo


def _certificate(repo: Path) -> Path:
    return repo / "omnicloud-results" / "certificates" / "mem.json"


def _forge(repo: Path, edit: Any, name: str) -> Path:
    """A copy of the certificate edited by someone without the key, digest recomputed."""
    data = json.loads(_certificate(repo).read_text())
    edit(data)
    body = {k: v for k, v in data.items() if k != "digest"}
    data["digest"] = {"algorithm": "sha256", "value": hashlib.sha256(canonical(body)).hexdigest()}
    path = _certificate(repo).with_name(name)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _verify(repo: Path, path: Path, *args: str) -> tuple[int, str]:
    result = omnicloud(repo, "verify-certificate", str(path), *args)
    return result.returncode, result.stdout + result.stderr


def test_a_signed_certificate_verifies_and_says_what_it_proved(certified: Path) -> None:
    code, out = _verify(
        certified, _certificate(certified), "--public-key", "keys/sign.pem.pub", "-c",
        "omnicloud.toml",
    )  # fmt: skip
    assert code == 0, out
    proved = out.split("proved: ", 1)[1]
    for check in (
        "Ed25519 signature (in-toto statement in a DSSE envelope)",
        "verdict recomputed from the statuses",
        "JUnit hash",
        "statuses and test counts recomputed from the JUnit",
        "provider configuration digest and claims",
    ):
        assert check in proved
    assert "not proved" not in out


def test_without_a_trusted_key_it_says_origin_is_not_proved(certified: Path) -> None:
    code, out = _verify(certified, _certificate(certified))
    assert code == 0, out
    assert "not proved: who made it" in out


def test_a_stripped_signature_with_flipped_verdicts_is_refused(certified: Path) -> None:
    def strip_and_flip(data: dict[str, Any]) -> None:
        data.pop("signature")
        for entry in data["interfaces"].values():
            entry["status"] = "pass"
        data["verdict"]["compliant"] = True

    forged = _forge(certified, strip_and_flip, "stripped.json")
    code, out = _verify(certified, forged, "--public-key", "keys/sign.pem.pub")
    assert code == 1, out
    assert "the certificate is not signed, and a trusted key was given" in out


def test_another_key_or_edited_content_breaks_the_signature(certified: Path) -> None:
    code, out = _verify(certified, _certificate(certified), "--public-key", "keys/other.pem.pub")
    assert code == 1, out
    assert "signed with another key than the trusted one" in out

    def rename(data: dict[str, Any]) -> None:
        data["project"] = "someone-else"

    code, out = _verify(
        certified, _forge(certified, rename, "edited.json"), "--public-key", "keys/sign.pem.pub"
    )
    assert code == 1, out
    assert "the signed statement differs from the certificate's content" in out


def test_a_verdict_that_does_not_follow_from_the_junit_is_refused(certified: Path) -> None:
    def fail_and_flip(data: dict[str, Any]) -> None:
        data.pop("signature")
        data["interfaces"]["list_basic"]["status"] = "false_claim"
        data["verdict"]["certified"] = ["keyvalue_basic"]
        data["verdict"]["problems"] = ["list_basic"]
        data["verdict"]["compliant"] = False

    code, out = _verify(certified, _forge(certified, fail_and_flip, "flipped.json"))
    assert code == 1, out
    assert "interface list_basic: certificate says 'false_claim', the JUnit says 'pass'" in out

    def compliant_anyway(data: dict[str, Any]) -> None:
        data.pop("signature")
        data["interfaces"]["list_basic"]["status"] = "false_claim"

    code, out = _verify(certified, _forge(certified, compliant_anyway, "lying.json"))
    assert code == 1, out
    assert "the verdict does not follow from the statuses" in out


def test_a_deleted_claim_is_detected(certified: Path) -> None:
    def delete_claim(data: dict[str, Any]) -> None:
        data.pop("signature")
        data["interfaces"].pop("list_basic")
        data["provider"]["claims"] = ["keyvalue_basic"]
        data["verdict"] = {**data["verdict"], "claimed": 1, "certified": ["keyvalue_basic"]}

    forged = _forge(certified, delete_claim, "deleted.json")
    code, out = _verify(certified, forged, "-c", "omnicloud.toml")
    assert code == 1, out
    assert "claimed in the configuration, absent from the certificate: ['list_basic']" in out
    assert "the configuration of provider 'mem' is not the certified one" not in out


def test_inflated_test_counts_are_refused(certified: Path) -> None:
    """Without a key nothing stops an editor but the JUnit: the counts are recomputed too."""

    def inflate(data: dict[str, Any]) -> None:
        data.pop("signature")
        data["interfaces"]["list_basic"]["passed"] += 5
        if data.get("contract"):
            data["contract"]["failed"] = 0

    code, out = _verify(certified, _forge(certified, inflate, "inflated.json"))
    assert code == 1, out
    assert "interface list_basic: certificate says" in out
    assert "passed, the JUnit says" in out
