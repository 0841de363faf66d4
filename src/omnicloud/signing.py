"""Ed25519 signatures in the supply-chain ecosystem's format: an in-toto Statement (v1) in a
DSSE envelope.

Only the holder of the private key can sign; anyone with the public key can verify. Keys are PEM
files made by ``omnicloud keygen PATH`` (``PATH`` private, mode 0600; ``PATH.pub`` public).
The envelope's payload is the canonical JSON of the statement; the signature covers DSSE's
pre-authentication encoding of payload type and payload, so neither can be swapped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omnicloud.errors import ConfigError

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://omnicloud.dev/certificate/v1"


def canonical(data: Any) -> bytes:
    """The canonical JSON bytes that digests and signatures are computed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature actually covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def statement(
    subjects: Sequence[Mapping[str, str]], predicate: Mapping[str, Any]
) -> dict[str, Any]:
    """An in-toto Statement: ``subjects`` are ``{"name", "sha256"}`` of the evidence files."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": s["name"], "digest": {"sha256": s["sha256"]}} for s in subjects],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }


# ---------------------------------------------------------------------------------------- keys
def generate_keypair(private_path: Path) -> Path:
    """Write a new Ed25519 private key (PEM, mode 0600) and its public key (``.pub``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public_path = private_path.with_name(private_path.name + ".pub")
    public_path.write_bytes(public)
    return public_path


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None


def load_private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(_read(path, "signing key"), password=None)
    except ValueError as exc:
        raise ConfigError(f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 key", hint="make one with 'omnicloud keygen'")
    return key


def load_public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(_read(path, "public key"))
    except ValueError as exc:
        raise ConfigError(f"{path} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 public key")
    return key


def key_id(public_key: Any) -> str:
    """The SHA-256 of the raw public key (first 16 hex digits)."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ------------------------------------------------------------------------------------ envelope
def sign_envelope(payload: Mapping[str, Any], private_key: Any) -> dict[str, Any]:
    """A DSSE envelope of ``payload`` (an in-toto statement) signed with ``private_key``."""
    body = canonical(payload)
    signature = private_key.sign(pae(PAYLOAD_TYPE, body))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode(),
        "signatures": [
            {
                "keyid": key_id(private_key.public_key()),
                "sig": base64.b64encode(signature).decode(),
            }
        ],
    }


def open_envelope(envelope: Any, public_key: Any) -> tuple[dict[str, Any] | None, str | None]:
    """``(statement, None)`` when a signature of ``public_key`` covers the envelope, else
    ``(None, why not)``."""
    from cryptography.exceptions import InvalidSignature

    if not isinstance(envelope, Mapping) or envelope.get("payloadType") != PAYLOAD_TYPE:
        return None, "the signature is not a DSSE envelope of an in-toto statement"
    try:
        body = base64.b64decode(str(envelope.get("payload", "")), validate=True)
    except ValueError:
        return None, "the envelope's payload is not base64"
    wanted = key_id(public_key)
    signatures = [s for s in envelope.get("signatures") or [] if isinstance(s, Mapping)]
    mine = [s for s in signatures if s.get("keyid") == wanted]
    if not mine:
        return None, "signed with another key than the trusted one"
    for entry in mine:
        try:
            public_key.verify(base64.b64decode(str(entry.get("sig", ""))), pae(PAYLOAD_TYPE, body))
        except (InvalidSignature, ValueError):
            continue
        try:
            found = json.loads(body)
        except ValueError:
            return None, "the signed payload is not JSON"
        return (
            (found, None) if isinstance(found, dict) else (None, "the payload is not a statement")
        )
    return None, "the signature does not match the signed content"
