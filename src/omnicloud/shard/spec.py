"""Which shard this process runs: ``--shard i/N`` or the CI system's variables (pure parsing).

Precedence: the command line, then ``OMNICLOUD_SHARD`` ("i/N"), then Kubernetes Indexed Jobs
(``JOB_COMPLETION_INDEX``, 0-based, with ``OMNICLOUD_SHARD_COUNT``), then GitLab parallel jobs
(``CI_NODE_INDEX``/``CI_NODE_TOTAL``, 1-based). ``--shard off`` (or ``OMNICLOUD_SHARD=off``)
disables sharding even when CI variables are set, e.g. to re-run failed tests in one job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from omnicloud.errors import SelectionError

ACCEPTED = "i/N with 1 <= i <= N (e.g. 2/4), or 'off'"
OFF = ("off", "none", "no")
_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` (1-based) of ``count``, and where that came from (for messages)."""

    index: int
    count: int
    source: str = "--shard"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def zero_based(self) -> int:
        return self.index - 1


#: More shards than a Kubernetes Indexed Job may have completions is a mistake.
MAX_SHARDS = 100_000


def parse_shard(text: str, source: str = "--shard") -> ShardSpec | None:
    """Parse "i/N" (1-based); ``None`` for 'off'. Anything else is a ``SelectionError``."""
    if text.strip().lower() in OFF:
        return None
    match = _FORM.match(text)
    if not match:
        raise _bad(source, text, "not of the form i/N")
    return _checked(int(match.group(1)), int(match.group(2)), source, text)


def shard_from_environment(environ: Mapping[str, str]) -> ShardSpec | None:
    """The shard named by CI variables, or ``None`` when none is set."""
    if environ.get("OMNICLOUD_SHARD"):
        return parse_shard(environ["OMNICLOUD_SHARD"], "OMNICLOUD_SHARD")
    if environ.get("JOB_COMPLETION_INDEX"):
        return _kubernetes(environ)
    if environ.get("CI_NODE_INDEX") or environ.get("CI_NODE_TOTAL"):
        source = "CI_NODE_INDEX/CI_NODE_TOTAL"
        shown = f"{environ.get('CI_NODE_INDEX', '')}/{environ.get('CI_NODE_TOTAL', '')}"
        index = _integer(environ.get("CI_NODE_INDEX", ""), source, shown)
        return _checked(
            index, _integer(environ.get("CI_NODE_TOTAL", ""), source, shown), source, shown
        )
    return None


def resolve_shard(option: str | None, environ: Mapping[str, str]) -> ShardSpec | None:
    """The command-line value wins over the environment; ``None`` means run every test."""
    if option is not None:
        return parse_shard(option)
    return shard_from_environment(environ)


def _kubernetes(environ: Mapping[str, str]) -> ShardSpec:
    source = "JOB_COMPLETION_INDEX/OMNICLOUD_SHARD_COUNT"
    raw_count = environ.get("OMNICLOUD_SHARD_COUNT", "")
    shown = f"{environ['JOB_COMPLETION_INDEX']} (0-based) of {raw_count or '?'}"
    if not raw_count:
        raise SelectionError(
            f"{source}: JOB_COMPLETION_INDEX is set but OMNICLOUD_SHARD_COUNT is not",
            hint="set OMNICLOUD_SHARD_COUNT to the Job's completions, or pass --shard i/N",
        )
    index = _integer(environ["JOB_COMPLETION_INDEX"], source, shown) + 1
    return _checked(index, _integer(raw_count, source, shown), source, shown)


def _integer(text: str, source: str, shown: str) -> int:
    if not text.strip().isdigit():
        raise _bad(source, shown, f"{text!r} is not a whole number")
    return int(text)


def _checked(index: int, count: int, source: str, shown: str) -> ShardSpec:
    if count < 1:
        raise _bad(source, shown, "the shard count must be at least 1")
    if count > MAX_SHARDS:  # every shard gets a partition: a huge count exhausts memory
        raise _bad(source, shown, f"the shard count must be at most {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise _bad(source, shown, f"the shard index must be between 1 and {count}")
    return ShardSpec(index, count, source)


def _bad(source: str, value: str, why: str) -> SelectionError:
    return SelectionError(f"{source}: invalid shard {value!r}: {why}", hint=f"accepted: {ACCEPTED}")
