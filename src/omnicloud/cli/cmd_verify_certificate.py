"""``omnicloud verify-certificate FILE [--junit PATH]``: check a certificate.

Recomputes the content digest, the signature (with ``OMNICLOUD_CERTIFICATE_KEY``), the hash of
the suite sources against the installed ``tck_py`` and, given the JUnit file, its hash and every
interface status. Exit 0 when all hold, 1 when anything does not, 6 for an unreadable file.
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
        " recompute every status",
    )


def run(args: argparse.Namespace) -> int:
    from omnicloud.certificate import load_certificate, verify_certificate
    from omnicloud.errors import ExitCode

    certificate = load_certificate(args.file)
    problems, checks = verify_certificate(certificate, junit=args.junit)
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
        f" compliant: {verdict.get('compliant')}); checked: {', '.join(checks)}"
    )
    return ExitCode.OK
