"""GitHub Actions job summary and error annotations for a merged run.

GitHub's limits, which this module stays within:

- ``$GITHUB_STEP_SUMMARY`` holds at most 1 MiB per step; a larger summary is rejected (and the
  step shows an error), so the Markdown is cut at ``SUMMARY_LIMIT`` bytes with a note saying how
  many failures were left out.
- At most 10 error annotations are shown per step and 50 annotations per job; more are dropped
  silently by GitHub. We emit at most ``MAX_ERRORS`` (10) ``::error`` lines, and one ``::notice``
  saying how many more failures are listed only in the summary.

Each annotation points at the most useful place we can find: the deepest traceback frame in the
repository outside the contract suites (the provider's own code), else the provider's table in
the configuration file (``[providers.<name>]``), else the test's file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omnicloud.config.locate import KeyLocator

if TYPE_CHECKING:
    from omnicloud.merge import FailedTest, MergeResult

SUMMARY_LIMIT = 1024 * 1024 - 4096  # 1 MiB minus room for the truncation note
MAX_ERRORS = 10  # GitHub shows 10 error annotations per step (50 annotations per job)
_FRAME = re.compile(r"^(?P<file>[^\s:][^:\n]*?\.py):(?P<line>\d+):", re.M)
_SKIP_PARTS = ("site-packages", "dist-packages", "/tck_py/", "/_pytest/", "/pluggy/", "<")


@dataclass(frozen=True)
class Annotation:
    file: str | None
    line: int | None
    title: str
    message: str

    def command(self) -> str:
        """The ``::error ...::message`` workflow command, escaped as GitHub requires."""
        props = []
        if self.file:
            props.append(f"file={_escape_property(self.file)}")
        if self.line:
            props.append(f"line={self.line}")
        props.append(f"title={_escape_property(self.title)}")
        return f"::error {','.join(props)}::{_escape_data(self.message)}"


def render_summary(result: MergeResult, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary as Markdown, at most ``limit`` bytes (UTF-8)."""
    counts = result.counts
    head = [
        "## omnicloud results",
        "",
        "| tests | passed | failed | errors | skipped | shards |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {sum(counts.values())} | {counts['passed']} | {counts['failed']} | {counts['error']}"
        f" | {counts['skipped']} | {len(result.files)} |",
        "",
    ]
    for problem in result.problems:
        head.append(f"> **error:** {_md(problem)}")
    head += ["", "| shard | tests | failed | time (s) |", "|---|---:|---:|---:|"]
    head += [
        f"| {f.shard or f.path.name} | {f.tests} | {f.failed} | {f.time:.1f} |"
        for f in result.files
    ]
    if result.failures:
        head += ["", f"### {len(result.failures)} failed", ""]
    return _fit("\n".join(head) + "\n", [_failure_md(f) for f in result.failures], limit)


def error_annotations(
    result: MergeResult,
    *,
    workspace: Path,
    config_path: Path | None = None,
    limit: int = MAX_ERRORS,
) -> list[Annotation]:
    """Error annotations for the first ``limit`` failures (see the module docstring)."""
    config_text = _read(config_path)
    out = []
    for failure in result.failures[:limit]:
        file, line = locate_failure(failure, workspace, config_path, config_text)
        first = (failure.message or failure.outcome).strip().splitlines() or [failure.outcome]
        out.append(Annotation(file, line, f"{failure.outcome}: {failure.nodeid}", first[0][:500]))
    return out


def locate_failure(
    failure: FailedTest, workspace: Path, config_path: Path | None, config_text: str | None
) -> tuple[str | None, int | None]:
    """File (relative to ``workspace``) and line to annotate for ``failure``."""
    frames = [(m["file"], int(m["line"])) for m in _FRAME.finditer(failure.traceback)]
    for file, line in reversed(frames):
        relative = _inside(file, workspace)
        if relative and not any(part in f"/{relative}" for part in _SKIP_PARTS):
            return relative, line
    provider = _provider(failure.classname)
    if provider and config_path is not None and config_text is not None:
        line, _column = KeyLocator(config_text).find(("providers", provider))
        return _inside(str(config_path), workspace) or str(config_path), line or None
    test_file = failure.nodeid.split("::", 1)[0]
    return (test_file, None) if test_file.endswith(".py") else (None, None)


def publish_github(
    result: MergeResult, environ: Mapping[str, str], config_path: Path | None = None
) -> None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` and print annotations on stdout."""
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as stream:
            stream.write(render_summary(result))
    workspace = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd())
    for line in _annotation_lines(result, workspace, config_path):
        print(line, flush=True)


def _annotation_lines(result: MergeResult, workspace: Path, config_path: Path | None) -> list[str]:
    lines = [
        a.command() for a in error_annotations(result, workspace=workspace, config_path=config_path)
    ]
    extra = len(result.failures) - MAX_ERRORS
    if extra > 0:
        lines.append(
            f"::notice title=omnicloud::{extra} more failures are listed in the job"
            " summary (GitHub shows at most 10 error annotations per step)"
        )
    return lines


def _fit(head: str, items: Iterable[str], limit: int) -> str:
    pieces, size = [head], len(head.encode())
    listed = list(items)
    for index, item in enumerate(listed):
        cost = len(item.encode())
        if size + cost > limit:
            note = (
                f"\n> Summary truncated at {limit} bytes (GitHub's 1 MiB limit):"
                f" {len(listed) - index} more failures are in the merged JUnit file.\n"
            )
            return "".join(pieces) + note
        pieces.append(item)
        size += cost
    return "".join(pieces)


def _failure_md(failure: FailedTest) -> str:
    message = (failure.message or "").strip().splitlines()
    shown = _md(message[0][:300]) if message else ""
    return f"- `{failure.nodeid}` ({failure.outcome}){': ' + shown if shown else ''}\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _inside(file: str, workspace: Path) -> str | None:
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix() if not file.startswith("..") else None
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return None


def _provider(classname: str) -> str | None:
    last = classname.rsplit(".", 1)[-1]
    return last.partition(":")[0] or None if ":" in last else None


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
