"""``omnicloud matrix``: certify, then write the provider x interface matrix and certificates.

Runs the certify pipeline for the selected providers in the chosen environment (``--env``,
``$OMNICLOUD_ENV`` or ``project.default_environment``, as ``certify``; with ``--probe``, also every
undeclared interface), or reads existing JUnit files with ``--junit``. Writes ``matrix.md``,
``matrix.json``, ``matrix.html`` and ``certificates/<provider>.json`` to the results folder, prints
the terminal table and RFC-015's headline ("N/45 interfaces PASS on at least one real backend
across M backends"), and appends the Markdown to ``$GITHUB_STEP_SUMMARY`` when set. Exit code 1
when a claim is false, an expected failure passes or a contract suite fails; probe failures are
not problems ("does not implement"), probe passes are suggestions ("could declare").
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnicloud.config.models import Config
    from omnicloud.results import Results

NAME = "matrix"
HELP = "provider x interface compliance matrix: claims vs results (terminal, MD, JSON, HTML)"
SUMMARY_LIMIT = 1024 * 1024 - 4096  # GitHub refuses step summaries over 1 MiB


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probe",
        action="store_true",
        help="also run the interfaces providers do not declare, and list those"
        " that pass (declare them)",
    )
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="NAME",
        help="only this provider (repeatable)",
    )
    parser.add_argument(
        "--interface",
        action="append",
        default=[],
        metavar="NAME",
        help="only this interface suite (repeatable)",
    )
    parser.add_argument(
        "--junit",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="build the matrix from these JUnit files instead of running",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the matrix and certificates go (default: project.results_dir)",
    )
    parser.add_argument(
        "--all-rows",
        action="store_true",
        help="terminal table: show all 45 interfaces, not only those in play",
    )
    parser.add_argument("--no-certificates", action="store_true", help="do not write certificates")
    parser.set_defaults(_accepts_extra=True)  # the rest goes to pytest: -n 2, -x, -k ...


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.pipeline import new_run_id
    from omnicloud.results import load_results

    config = load_config(args.config)
    args.env = args.env or os.environ.get("OMNICLOUD_ENV") or config.project.default_environment
    folder = _results_folder(config.source, config.project.results_dir, args.results_dir)
    run_id = os.environ.get("OMNICLOUD_RUN_ID") or new_run_id()
    junit = list(args.junit)
    if not junit:  # the pipeline checks every declared interface's shape before any test
        code = _certify(args, folder)
        if code not in (0, 1):  # 1 = some test failed; the matrix says whether that matters
            return code
        junit = [folder / "junit.xml"]
    results = load_results(junit)
    return _report(config, results, junit=junit, folder=folder, run_id=run_id, args=args)


def _certify(args: argparse.Namespace, folder: Path) -> int:
    from omnicloud.pipeline import CertifyOptions, certify
    from omnicloud.plan import Selection

    options = CertifyOptions(
        config_path=Path(args.config) if args.config else None,
        selection=Selection(
            providers=tuple(args.provider),
            interfaces=tuple(args.interface),
            probe=args.probe,
            environment=args.env,
        ),
        results_dir=folder,
        pytest_args=tuple(a for a in getattr(args, "extra", ()) if a != "--"),
    )
    return certify(options)


def _results_folder(source: Path | None, configured: Path, override: Path | None) -> Path:
    folder = override or configured
    if folder.is_absolute():
        return folder
    base = Path.cwd() if override is not None or source is None else source.parent
    return base / folder


def _report(
    config: Config,
    results: Results,
    *,
    junit: list[Path],
    folder: Path,
    run_id: str,
    args: argparse.Namespace,
) -> int:
    from omnicloud.certificate import build_certificate, write_certificate
    from omnicloud.console import make_console
    from omnicloud.report.html_matrix import render_html
    from omnicloud.report.matrix import build_matrix, to_json
    from omnicloud.report.matrix_markdown import render_markdown
    from omnicloud.report.matrix_terminal import render_terminal
    from omnicloud.slo.records import load_verdicts

    meta = {
        "project": config.project.name,
        "run_id": run_id,
        "probe": args.probe,
        "environment": args.env or "embedded only",
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "junit": ", ".join(str(p) for p in junit),
    }
    matrix = build_matrix(config, results, providers=tuple(args.provider), meta=meta)
    matrix = dataclasses.replace(matrix, verdicts=load_verdicts(folder))  # slo.json, faults.json
    markdown = render_markdown(matrix)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": folder / "matrix.md",
        "json": folder / "matrix.json",
        "html": folder / "matrix.html",
    }
    _write(paths["markdown"], markdown)
    _write(paths["json"], _dumps(to_json(matrix)))
    _write(paths["html"], render_html(matrix))
    if not args.no_certificates:
        for provider in matrix.providers:
            certificate = build_certificate(
                config, matrix, provider, junit=junit, run_id=run_id, environment=args.env
            )
            paths[f"certificate {provider}"] = write_certificate(
                folder / "certificates" / f"{provider}.json", certificate
            )
    _github_summary(markdown)
    certificates = len(paths) - 3
    print(
        f"Matrix: {paths['html']} (also matrix.md, matrix.json)"
        + (f"; {certificates} certificates in {folder / 'certificates'}" if certificates else "")
    )
    render_terminal(matrix, make_console(), all_rows=args.all_rows)  # ends with the headline
    return matrix.exit_code()


def _dumps(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _github_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    data = markdown.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        data = data[:SUMMARY_LIMIT].decode("utf-8", "ignore").encode() + (
            b"\n\n_(matrix cut at GitHub's 1 MiB summary limit: see matrix.html)_\n"
        )
    with open(target, "ab") as handle:
        handle.write(data + b"\n")
