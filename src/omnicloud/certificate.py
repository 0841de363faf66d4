"""Certificates: a per-provider JSON artifact anyone can check against a TCK installation.

A certificate records what was certified and with what: the TCK version and a SHA-256 over the
suite sources (every file of the installed ``tck_py``), the provider's distribution and version,
the SHA-256 of the provider's configuration and the interfaces it claims, the environment, each
interface's status, the verdict, the run id and time, and the SHA-256 of the JUnit file the
results came from. ``digest`` is a SHA-256 over the canonical JSON of everything else: it detects
accidents, not forgers (anyone can recompute it).

Against forgers: with ``OMNICLOUD_SIGNING_KEY`` naming an Ed25519 private key (``omnicloud
keygen``), the content is signed as the predicate of an in-toto Statement in a DSSE envelope
whose subjects are the JUnit files. Only the key holder can sign; anyone with the public key
verifies.

``verify_certificate`` recomputes what it can and says which: the digest; the signature, which
is required when a trusted public key is given; the verdict from the statuses; the suite hash
against the installed ``tck_py``; given the JUnit file, its hash and every status; given the
configuration, the provider's configuration digest and its claimed interfaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omnicloud.capabilities.validator import classify
from omnicloud.config.models import Config
from omnicloud.errors import ResultsError
from omnicloud.report.matrix import CONTRACT_ROW, Matrix
from omnicloud.signing import canonical

FORMAT = "omnicloud-certificate/2"
KEY_ENV = "OMNICLOUD_SIGNING_KEY"  # path of the Ed25519 private key that signs certificates
TRUSTED_KEY_ENV = "OMNICLOUD_TRUSTED_KEY"  # path of the public key that verifies them
TCK_DISTRIBUTION = "open-omni-cloud-tck"


# ------------------------------------------------------------------------------------ hashing
def provider_config_digest(config: Config, provider: str) -> str:
    """SHA-256 of the provider's configuration (secrets masked): binds the claimed interfaces,
    options and factory to the certificate."""
    return hashlib.sha256(canonical(config.providers[provider].model_dump(mode="json"))).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def suite_sources_hash(root: Path | None = None) -> dict[str, Any]:
    """SHA-256 over every ``.py`` file of ``tck_py`` (path and bytes, in sorted order)."""
    if root is None:
        import tck_py

        root = Path(tck_py.__file__).parent
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return {"sha256": digest.hexdigest(), "files": len(files)}


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def provider_distribution(config: Config, provider: str) -> dict[str, str | None]:
    """``providers.<p>.distribution``, or the distribution that ships the factory's package."""
    settings = config.providers[provider]
    name = settings.distribution
    if name is None:
        from importlib.metadata import packages_distributions

        top = settings.factory.split(":", 1)[0].split(".", 1)[0]
        found = packages_distributions().get(top, [])
        # editable installs may not map their packages: a distribution named like the package
        name = found[0] if found else (top if _version(top) else None)
    return {"name": name, "version": _version(name) if name else None}


def environment_of(config: Config, provider: str, environment: str | None) -> dict[str, Any]:
    """The environment: provisioner, and for each service its image or command."""
    settings = config.providers[provider]
    env = config.environments.get(environment or "") if environment else None
    services = {}
    for name in settings.services:
        service = config.services[name]
        services[name] = {
            "image": service.image,
            "recipe": service.recipe,
            "command": service.command[0] if service.command else None,
        }
    return {
        "name": environment,
        "provisioner": env.provisioner if env else "embedded",
        "services": services,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


# -------------------------------------------------------------------------------------- build
def build_certificate(
    config: Config,
    matrix: Matrix,
    provider: str,
    *,
    junit: Sequence[Path],
    run_id: str,
    environment: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The signed (when a key is set) and digested certificate of ``provider``."""
    contract = matrix.cell(provider, CONTRACT_ROW)
    interfaces = {}
    for row in matrix.rows:
        cell = matrix.cell(provider, row)
        if row == CONTRACT_ROW or (not cell.claimed and cell.status == "not_claimed"):
            continue
        interfaces[row] = {
            "status": cell.status,
            "claimed": cell.claimed,
            "passed": cell.passed,
            "failed": cell.failed,
            "xfailed": cell.xfailed,
            "expected_failure": (
                {"kind": cell.expected_kind, "reason": cell.expected_reason}
                if cell.expected_kind
                else None
            ),
        }
    content: dict[str, Any] = {
        "format": FORMAT,
        "project": config.project.name,
        "provider": {
            "name": provider,
            "factory": config.providers[provider].factory,
            "distribution": provider_distribution(config, provider),
            "config_sha256": provider_config_digest(config, provider),
            "claims": sorted(config.providers[provider].implements),
        },
        "tck": {
            "distribution": TCK_DISTRIBUTION,
            "version": _version(TCK_DISTRIBUTION),
            "suites": suite_sources_hash(),
        },
        "environment": environment_of(config, provider, environment),
        "contract": (
            {
                "name": contract.suite,
                "status": contract.status,
                "passed": contract.passed,
                "failed": contract.failed,
            }
            if contract.claimed
            else None  # an interface-only provider: its interfaces are the whole verdict
        ),
        "interfaces": interfaces,
        "verdict": verdict_of(interfaces, contract.status if contract.claimed else None),
        "datasets": _dataset_fingerprints(config),
        **_performance_and_faults(matrix, provider),
        "run": {
            "id": run_id,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "junit": [{"name": p.name, "sha256": sha256_file(p)} for p in junit],
        },
    }
    return seal(content)


def _performance_and_faults(matrix: Matrix, provider: str) -> dict[str, Any]:
    """``slo`` and ``faults``: this provider's verdicts from the results folder, with the
    SHA-256 of the report they come from (absent when neither was run)."""
    from omnicloud.slo.records import summary

    return summary(matrix.verdicts, provider) if matrix.verdicts else {}


def verdict_of(interfaces: Mapping[str, Any], contract_status: str | None) -> dict[str, Any]:
    """The verdict that follows from the statuses (recomputed by every verification)."""
    claimed = [r for r, v in interfaces.items() if v.get("claimed")]
    return {
        "claimed": len(claimed),
        "certified": sorted(r for r in claimed if interfaces[r].get("status") == "pass"),
        "problems": sorted(
            r
            for r, v in interfaces.items()
            if v.get("status") in ("false_claim", "unexpected_pass", "not_run")
        ),
        "compliant": contract_status in (None, "pass")
        and all(interfaces[r].get("status") in ("pass", "expected_failure") for r in claimed),
    }


def _dataset_fingerprints(config: Config) -> dict[str, str]:
    """Fingerprints (schema + seed + generator version) of the datasets the run could use."""
    from omnicloud.data.fingerprint import dataset_fingerprints

    return dataset_fingerprints(config) if config.data else {}


def seal(content: Mapping[str, Any], key: Path | str | None = None) -> dict[str, Any]:
    """Add the signature (when a signing key is given or named by ``OMNICLOUD_SIGNING_KEY``)
    and the digest."""
    from omnicloud.signing import load_private_key, sign_envelope, statement

    sealed = {k: v for k, v in content.items() if k not in ("signature", "digest")}
    key = key if key is not None else os.environ.get(KEY_ENV)
    if key:
        subjects = sealed.get("run", {}).get("junit", [])
        envelope = sign_envelope(statement(subjects, sealed), load_private_key(Path(key)))
        sealed["signature"] = {"format": "dsse", "algorithm": "ed25519", "envelope": envelope}
    sealed["digest"] = {
        "algorithm": "sha256",
        "value": hashlib.sha256(canonical(sealed)).hexdigest(),
    }
    return sealed


def write_certificate(path: Path, certificate: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(certificate, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    tmp.replace(path)
    return path


# ------------------------------------------------------------------------------------- verify
def load_certificate(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"cannot read certificate {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ResultsError(f"{path}: not a JSON certificate: {exc}") from None
    except RecursionError:  # a hostile file: arrays or objects nested beyond any certificate
        raise ResultsError(f"{path}: not a JSON certificate: nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ResultsError(f"{path}: not an omnicloud certificate (format {FORMAT!r} expected)")
    return data


def verify_certificate(
    certificate: Mapping[str, Any],
    *,
    junit: Path | None = None,
    key: Path | str | None = None,
    suites: Mapping[str, Any] | None = None,
    config: Config | None = None,
) -> tuple[list[str], list[str]]:
    """``(problems, checks)``: what does not hold, and what was verified. Valid if no problems.

    ``key`` is the trusted public key (default ``$OMNICLOUD_TRUSTED_KEY``): with one, an
    unsigned certificate is invalid.
    """
    problems: list[str] = []
    checks: list[str] = []
    body = {k: v for k, v in certificate.items() if k != "digest"}
    digest = certificate.get("digest")
    expected = hashlib.sha256(canonical(body)).hexdigest()
    if not isinstance(digest, Mapping) or digest.get("value") != expected:
        problems.append("content digest does not match: the certificate was modified")
    elif digest.get("algorithm") != "sha256":
        problems.append(f"unknown digest algorithm {digest.get('algorithm')!r}")
    else:
        checks.append("content digest")
    _verify_signature(certificate, key, problems, checks)
    _verify_verdict(certificate, problems, checks)
    current = suites if suites is not None else suite_sources_hash()
    recorded = certificate.get("tck", {}).get("suites", {})
    if recorded != current:
        problems.append(
            f"suite sources differ from the installed tck_py (certificate"
            f" {recorded.get('sha256', '?')[:12]}, installed {current['sha256'][:12]})"
        )
    else:
        checks.append("suite sources hash")
    if config is not None:
        _verify_claims(certificate, config, problems, checks)
    if junit is not None:
        _verify_junit(certificate, junit, problems, checks)
    return problems, checks


def _verify_signature(
    certificate: Mapping[str, Any], key: Path | str | None, problems: list[str], checks: list[str]
) -> None:
    from omnicloud.signing import load_public_key, open_envelope

    signature = certificate.get("signature")
    key = key if key is not None else os.environ.get(TRUSTED_KEY_ENV)
    if not key:
        if signature is not None:
            checks.append(f"signature present, not checked (no trusted key: {TRUSTED_KEY_ENV})")
        return
    if not isinstance(signature, Mapping):
        problems.append("the certificate is not signed, and a trusted key was given")
        return
    found, why = open_envelope(signature.get("envelope"), load_public_key(Path(key)))
    if found is None:
        problems.append(f"signature: {why}")
        return
    content = {k: v for k, v in certificate.items() if k not in ("signature", "digest")}
    subjects = content.get("run", {}).get("junit", [])
    from omnicloud.signing import statement

    if found != statement(subjects, content):
        problems.append("the signed statement differs from the certificate's content")
        return
    checks.append("Ed25519 signature (in-toto statement in a DSSE envelope)")


def _verify_verdict(certificate: Mapping[str, Any], problems: list[str], checks: list[str]) -> None:
    interfaces = certificate.get("interfaces")
    if not isinstance(interfaces, Mapping):
        problems.append("no interface statuses")
        return
    contract = certificate.get("contract")
    status = contract.get("status") if isinstance(contract, Mapping) else None
    claims = certificate.get("provider", {}).get("claims")
    claimed = sorted(
        r for r, v in interfaces.items() if isinstance(v, Mapping) and v.get("claimed")
    )
    if claims is not None and sorted(claims) != claimed:
        problems.append(
            f"claimed interfaces {claimed} differ from the provider's claims {sorted(claims)}"
        )
    if certificate.get("verdict") != verdict_of(interfaces, status):
        problems.append("the verdict does not follow from the statuses")
    else:
        checks.append("verdict recomputed from the statuses")


def _verify_claims(
    certificate: Mapping[str, Any], config: Config, problems: list[str], checks: list[str]
) -> None:
    provider = certificate.get("provider", {})
    name = provider.get("name")
    if name not in config.providers:
        problems.append(f"provider '{name}' is not in the configuration {config.source}")
        return
    if provider.get("config_sha256") != provider_config_digest(config, name):
        problems.append(f"the configuration of provider '{name}' is not the certified one")
    wanted = sorted(config.providers[name].implements)
    interfaces = certificate.get("interfaces", {})
    missing = [i for i in wanted if not interfaces.get(i, {}).get("claimed")]
    if missing:
        problems.append(f"claimed in the configuration, absent from the certificate: {missing}")
    if not any(p.startswith(("the configuration", "claimed in")) for p in problems):
        checks.append("provider configuration digest and claims")


def _verify_junit(
    certificate: Mapping[str, Any], junit: Path, problems: list[str], checks: list[str]
) -> None:
    from omnicloud.results import load_results

    recorded = {j.get("sha256") for j in certificate.get("run", {}).get("junit", [])}
    if sha256_file(junit) not in recorded:
        problems.append(f"{junit} is not the JUnit file this certificate was made from")
        return
    checks.append("JUnit hash")
    provider = certificate.get("provider", {}).get("name")
    tests = [t for t in load_results([junit]) if t.provider == provider]
    for name, entry in certificate.get("interfaces", {}).items():
        own = [t for t in tests if t.suite == name]
        status = classify(
            own,
            claimed=bool(entry.get("claimed")),
            expected=entry.get("expected_failure") is not None,
        )
        if status != entry.get("status"):
            problems.append(
                f"interface {name}: certificate says {entry.get('status')!r},"
                f" the JUnit says {status!r}"
            )
        problems.extend(_count_problems(f"interface {name}", entry, own))
    contract = certificate.get("contract") or {}
    own = [t for t in tests if t.suite == contract.get("name")]
    status = classify(own, claimed=True, contract=True)
    if contract and status != contract.get("status"):
        problems.append(
            f"contract {contract.get('name')}: certificate says"
            f" {contract.get('status')!r}, the JUnit says {status!r}"
        )
    if contract:
        problems.extend(_count_problems(f"contract {contract.get('name')}", contract, own))
    if not any(p.startswith(("interface ", "contract ")) for p in problems):
        checks.append("statuses and test counts recomputed from the JUnit")


def _count_problems(what: str, entry: Mapping[str, Any], tests: Sequence[Any]) -> list[str]:
    """Each count the certificate states (passed, failed, xfailed) against the JUnit's."""
    from omnicloud.report.matrix import outcome_counts

    counts = outcome_counts(tests)
    return [
        f"{what}: certificate says {entry[key]!r} {key}, the JUnit says {counts[key]}"
        for key in ("passed", "failed", "xfailed")
        if key in entry and entry[key] != counts[key]
    ]
