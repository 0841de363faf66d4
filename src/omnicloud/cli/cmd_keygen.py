"""``omnicloud keygen PATH``: an Ed25519 key pair for signing certificates.

Writes the private key to ``PATH`` (PEM, mode 0600, never overwritten) and the public key to
``PATH.pub``. Sign with ``OMNICLOUD_SIGNING_KEY=PATH omnicloud matrix``; verify with
``omnicloud verify-certificate FILE --public-key PATH.pub``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "keygen"
HELP = "make an Ed25519 key pair for signing certificates (PATH and PATH.pub)"
COMMON_OPTIONS: tuple[str, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, metavar="PATH", help="where the private key goes")


def run(args: argparse.Namespace) -> int:
    from omnicloud.errors import ConfigError
    from omnicloud.signing import generate_keypair

    if args.path.exists():
        raise ConfigError(f"{args.path} exists; a signing key is never overwritten")
    public = generate_keypair(args.path)
    print(f"private key: {args.path} (keep it secret)\npublic key: {public} (give it to verifiers)")
    return 0
