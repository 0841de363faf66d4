"""``omnicloud data``: export configured datasets as JSON Lines and CSV (``nox -s data``).

    omnicloud data                          # every [data.*] dataset, both formats
    omnicloud data users --format csv --out build/data
    omnicloud data users --test-id "tests/test_a.py::test_x" --worker gw0   # a test's own data

Files are written atomically; ``manifest.json`` next to them lists each dataset's count, seed and
fingerprint.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "data"
HELP = "export the configured test datasets as JSON Lines and CSV"
_DEFAULT_OUT = "data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="datasets to export (default: all of [data.*])"
    )
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=("jsonl", "csv"),
        help="output format, repeatable (default: jsonl and csv)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help=f"output folder (default: <project.results_dir>/{_DEFAULT_OUT})",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=None,
        help="records per dataset (default: each dataset's count)",
    )
    parser.add_argument(
        "--test-id",
        default=None,
        metavar="NODEID",
        help="reproduce the data a test got (with --worker)",
    )
    parser.add_argument(
        "--worker",
        default="main",
        metavar="ID",
        help="xdist worker of --test-id (gw0...; 'main' without xdist)",
    )


def run(args: argparse.Namespace) -> int:
    from omnicloud.config import load_config
    from omnicloud.data import Generator, dataset_fingerprint
    from omnicloud.data.export import export, write_atomic
    from omnicloud.errors import SelectionError, did_you_mean, one_of

    config = load_config(args.config)
    known = sorted(config.data)
    names = args.names or known
    for name in names:
        if name not in config.data:
            raise SelectionError(
                f"unknown dataset '{name}'{did_you_mean(name, known)} (configured: {one_of(known)})"
            )
    if args.count is not None and args.count < 0:
        raise SelectionError(f"--count must not be negative, got {args.count}")
    out = Path(args.out) if args.out else config.project.results_dir / _DEFAULT_OUT
    generator = Generator(
        config.data, test_id=args.test_id, worker_id=args.worker if args.test_id is not None else ""
    )
    manifest = {}
    for name in names:
        dataset = generator.generate(name, count=args.count)
        paths = export(dataset, out, args.formats or ["jsonl", "csv"])
        manifest[name] = {
            "count": dataset.count,
            "seed": dataset.seed,
            "fingerprint": dataset_fingerprint(name, config),
            "files": [p.name for p in paths],
        }
        print(f"{name}: {dataset.count} records -> {', '.join(str(p) for p in paths)}")
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0
