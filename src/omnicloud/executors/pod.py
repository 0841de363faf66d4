"""The entry point of each shard's pod: run the command, then print its JUnit into the log.

    python -m omnicloud.executors.pod --results /results -- omnicloud certify --results-dir /results

The pod log is the one channel every cluster gives back without extra permissions (no exec,
no shared volume), so each JUnit file found under ``--results`` after the command ends is
printed gzip-compressed and base64-encoded between marker lines; ``extract_junit`` reads it
back. The pod exits 0 when it produced JUnit (test failures travel inside it, and a failed pod
would make Kubernetes retry or fail the whole Job), else with the command's exit code.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

BEGIN = "----- omnicloud junit begin {name} -----"
END = "----- omnicloud junit end -----"
_BEGIN = re.compile(r"^----- omnicloud junit begin (?P<name>\S+) -----$")
_WIDTH = 76


def frame_junit(name: str, data: bytes) -> str:
    """``data`` as marker-framed base64 lines for a log (pure)."""
    encoded = base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")
    lines = [encoded[i : i + _WIDTH] for i in range(0, len(encoded), _WIDTH)]
    return "\n".join([BEGIN.format(name=name), *lines, END]) + "\n"


def extract_junit(log: str) -> dict[str, bytes]:
    """Every framed file in a pod log, by name; incomplete frames are ignored (pure)."""
    found: dict[str, bytes] = {}
    for name, chunk in _frames(log.splitlines()):
        try:
            found[name] = gzip.decompress(base64.b64decode("".join(chunk), validate=True))
        except (ValueError, OSError, EOFError):
            continue
    return found


def _frames(lines: Sequence[str]) -> Iterator[tuple[str, list[str]]]:
    name: str | None = None
    chunk: list[str] = []
    for line in lines:
        text = line.strip()
        begin = _BEGIN.match(text)
        if begin:
            name, chunk = begin["name"], []
        elif text == END and name is not None:
            yield name, chunk
            name = None
        elif name is not None:
            chunk.append(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m omnicloud.executors.pod")
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("a command is required after --")
    args.results.mkdir(parents=True, exist_ok=True)
    code = subprocess.call(command)
    files = sorted(args.results.rglob("*.xml"))
    sys.stdout.flush()
    for path in files:
        sys.stdout.write(frame_junit(path.name, path.read_bytes()))
    sys.stdout.flush()
    if files:
        return 0
    print(f"omnicloud: no JUnit file under {args.results}; command exited {code}", file=sys.stderr)
    return code or 5


if __name__ == "__main__":
    sys.exit(main())
