"""``omnicloud verify-certificate FILE [--public-key KEY] [--junit PATH] [-c CONFIG]``.

Recomputes the content digest; checks the Ed25519 signature against the trusted public key
(``--public-key`` or ``$OMNICLOUD_TRUSTED_KEY``), which then is required; recomputes the verdict
from the statuses; compares the suite sources with the installed ``tck_py``; with the JUnit file
(``--junit``, else the one the certificate names, looked up next to it) checks its hash and
recomputes every status; with the configuration checks the provider's configuration digest and
claims. Prints what was proved and what was not. Exit 0 when all hold, 1 when anything does not,
6 for an unreadable file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "verify-certificate"
HELP = "verify a certificate: digest, signature, suite sources, and (with --junit) its results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="certificate JSON")
    parser.add_argument(
        "--junit",
        type=Path,
        default=None,
        metavar="PATH",
        help="the JUnit file the certificate was made from: check its hash and"
        " recompute every status (default: the one it names, next to it)",
    )
    parser.add_argument(
        "--public-key",
        type=Path,
        default=None,
        metavar="KEY",
        help="trusted Ed25519 public key (PEM, from 'omnicloud keygen'); a signature by it is"
        " then required (default: $OMNICLOUD_TRUSTED_KEY)",
    )


def run(args: argparse.Namespace) -> int:
    from omnicloud.certificate import load_certificate, verify_certificate
    from omnicloud.errors import ExitCode

    certificate = load_certificate(args.file)
    junit = args.junit or _named_junit(args.file, certificate)
    config = None
    if args.config:
        from omnicloud.config import load_config

        config = load_config(args.config)
    problems, checks = verify_certificate(
        certificate, junit=junit, key=args.public_key, config=config
    )
    provider = certificate.get("provider", {}).get("name", "?")
    if problems:
        print(f"{args.file}: INVALID certificate of provider '{provider}'")
        for problem in problems:
            print(f"  - {problem}")
        return ExitCode.VIOLATIONS
    verdict = certificate.get("verdict", {})
    print(
        f"{args.file}: valid certificate of provider '{provider}'"
        f" ({len(verdict.get('certified', []))} interfaces certified,"
        f" compliant: {verdict.get('compliant')})"
    )
    print(f"  proved: {'; '.join(c for c in checks if not c.startswith('signature present'))}")
    unproved = _not_proved(checks, junit, config)
    if unproved:
        print(f"  not proved: {'; '.join(unproved)}")
    return ExitCode.OK


def _named_junit(path: Path, certificate: dict[str, object]) -> Path | None:
    """The JUnit file the certificate names, in its folder or the one above (results/)."""
    run = certificate.get("run")
    names = [j.get("name") for j in run.get("junit", [])] if isinstance(run, dict) else []
    for name in names:
        for folder in (path.parent, path.parent.parent):
            if isinstance(name, str) and (folder / name).is_file():
                return folder / name
    return None


def _not_proved(checks: list[str], junit: Path | None, config: object) -> list[str]:
    missing = []
    if not any(c.startswith("Ed25519 signature") for c in checks):
        missing.append(
            "who made it (no trusted public key: pass --public-key; anyone can recompute a digest)"
        )
    if junit is None:
        missing.append("the statuses (no JUnit file: pass --junit)")
    if config is None:
        missing.append("that the claims are the provider's configuration (pass -c CONFIG)")
    return missing
