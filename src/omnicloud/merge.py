"""Merge shard JUnit files into one result set: find missing and duplicated shards and tests.

Each shard's JUnit file (written by ``pytest --shard i/N --junitxml=...``) carries the testsuite
property ``omnicloud.shard`` = "i/N" and, per test case, ``omnicloud.nodeid``. ``merge_junit``
reads the files safely, checks that shards 1..N are each present exactly once and that no test
ran in two shards, and returns the combined JUnit (every shard's ``<testsuite>`` under one
``<testsuites>``), the measured durations and the node ids of the tests that failed, for a
re-run with ``pytest @failed.txt``. Files without our properties (any JUnit) merge too; shard
checks then need ``expect`` and only duplicated tests can be detected.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from junitparser import JUnitXml, TestCase

from omnicloud.errors import ResultsError
from omnicloud.results import SHARD_PROPERTY
from omnicloud.shard.junit import (
    DURATIONS_PROPERTY,
    case_id,
    case_nodeid,
    case_outcome,
    cases,
    read_junit,
    suite_property,
)
from omnicloud.shard.spec import ShardSpec, parse_shard


@dataclass(frozen=True)
class ShardFile:
    """One input file: its shard (when recorded), test count, failures and wall time."""

    path: Path
    shard: ShardSpec | None
    tests: int
    failed: int
    time: float
    durations_digest: str | None = None


@dataclass(frozen=True)
class FailedTest:
    """A failed or erroring test: enough to annotate it and to re-run it."""

    nodeid: str
    test_id: str
    classname: str
    outcome: str
    message: str
    traceback: str


@dataclass(frozen=True)
class MergeResult:
    """The combined JUnit plus everything found while combining it."""

    xml: JUnitXml
    files: tuple[ShardFile, ...]
    expected: int | None
    outcomes: dict[str, str]
    durations: dict[str, float]
    failures: tuple[FailedTest, ...]
    missing_shards: tuple[int, ...] = ()
    duplicate_shards: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    duplicate_tests: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def problems(self) -> list[str]:
        """Why the merged result is incomplete or inconsistent (empty when it is sound)."""
        out = []
        if self.missing_shards:
            shown = ", ".join(f"{i}/{self.expected}" for i in self.missing_shards)
            out.append(
                f"missing shard(s) {shown}: expected {self.expected},"
                f" got {self.expected - len(self.missing_shards) if self.expected else 0}"
            )
        for shard, paths in sorted(self.duplicate_shards.items()):
            out.append(f"shard {shard} appears {len(paths)} times: {_paths(paths)}")
        for test, paths in sorted(self.duplicate_tests.items())[:20]:
            out.append(f"test {test} ran {len(paths)} times: {_paths(paths)}")
        if len(self.duplicate_tests) > 20:
            out.append(f"... and {len(self.duplicate_tests) - 20} more duplicated tests")
        return out

    @property
    def failed_nodeids(self) -> tuple[str, ...]:
        """Node ids of failed tests, sorted and unique: the lines of ``--failed-ids``."""
        return tuple(sorted({f.nodeid for f in self.failures}))

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.outcomes.values())


def merge_junit(
    paths: Sequence[Path], *, expect: int | None = None, root: Path | None = None
) -> MergeResult:
    """Read and merge ``paths``; ``expect`` is the shard count (default: as recorded).

    ``root`` is where test files are looked up when rebuilding node ids of foreign JUnit.
    Raises ``ResultsError`` for unreadable or unsafe files; missing or duplicated shards and
    tests are reported in the result (``problems``), so the caller chooses what to do.
    """
    if not paths:
        raise ResultsError("no JUnit files to merge", hint="pass the shard files, e.g. junit-*.xml")
    return merge_parsed([(Path(p), read_junit(Path(p))) for p in paths], expect=expect, root=root)


def merge_parsed(
    parsed: Sequence[tuple[Path, JUnitXml]], *, expect: int | None = None, root: Path | None = None
) -> MergeResult:
    """``merge_junit`` on already parsed files (no I/O except node-id lookups under ``root``)."""
    merged = JUnitXml(name="omnicloud merged")
    files, seen = [], defaultdict(list)
    outcomes: dict[str, str] = {}
    durations: dict[str, float] = {}
    failed: dict[str, FailedTest] = {}
    for path, xml in parsed:
        files.append(_describe(path, xml))
        for suite in xml:
            merged.add_testsuite(suite)
        for _suite, case in cases(xml):
            test = case_id(case)
            seen[test].append(path)
            outcome = case_outcome(case)
            outcomes[test] = outcome
            durations[test] = float(case.time or 0.0)
            if outcome in ("failed", "error"):
                failed[test] = _failed(case, test, outcome, root)
    merged.update_statistics()  # type: ignore[no-untyped-call]
    shards, warnings = _check_shards(files, expect)
    return MergeResult(
        xml=merged,
        files=tuple(files),
        expected=shards[0],
        outcomes=outcomes,
        durations=durations,
        failures=tuple(failed[t] for t in sorted(failed)),
        missing_shards=shards[1],
        duplicate_shards=shards[2],
        duplicate_tests={t: tuple(p) for t, p in seen.items() if len(p) > 1},
        warnings=warnings,
    )


def write_merged(result: MergeResult, path: Path) -> None:
    """Write the merged JUnit atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        result.xml.write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _failed(case: TestCase, test: str, outcome: str, root: Path | None) -> FailedTest:
    details = [r for r in case.result if type(r).__name__ in ("Failure", "Error")]
    message = (details[0].message or "") if details else ""
    text = (details[0].text or "") if details else ""
    return FailedTest(case_nodeid(case, root), test, case.classname or "", outcome, message, text)


def _describe(path: Path, xml: JUnitXml) -> ShardFile:
    specs = {p for s in xml if (p := suite_property(s, SHARD_PROPERTY)) is not None}
    if len(specs) > 1:
        raise ResultsError(f"{path}: test suites from different shards: {sorted(specs)}")
    shard = None
    if specs:
        raw = specs.pop()
        try:
            shard = parse_shard(raw, f"{path}: property {SHARD_PROPERTY}")
        except Exception as exc:
            raise ResultsError(str(exc)) from None
    digests = {p for s in xml if (p := suite_property(s, DURATIONS_PROPERTY)) is not None}
    outcomes = [case_outcome(c) for _s, c in cases(xml)]
    return ShardFile(
        path=path,
        shard=shard,
        tests=len(outcomes),
        failed=sum(o in ("failed", "error") for o in outcomes),
        time=sum(float(s.time or 0.0) for s in xml),
        durations_digest=digests.pop() if len(digests) == 1 else None,
    )


_ShardCheck = tuple[int | None, tuple[int, ...], dict[str, tuple[Path, ...]]]


def _check_shards(
    files: Sequence[ShardFile], expect: int | None
) -> tuple[_ShardCheck, tuple[str, ...]]:
    warnings: list[str] = []
    counts = {f.shard.count for f in files if f.shard is not None}
    if expect is None and len(counts) == 1:
        expect = counts.pop()
    elif len(counts) > 1 or (expect is not None and counts - {expect}):
        shown = ", ".join(f"{f.path} says {f.shard}" for f in files if f.shard is not None)
        raise ResultsError(
            f"shard files disagree on the shard count{f' (expected {expect})' if expect else ''}:"
            f" {shown}"
        )
    by_index: dict[int, list[Path]] = defaultdict(list)
    for f in files:
        if f.shard is not None:
            by_index[f.shard.index].append(f.path)
    unlabelled = [f for f in files if f.shard is None]
    if expect is not None and unlabelled:
        warnings.append(
            f"{len(unlabelled)} file(s) carry no {SHARD_PROPERTY} property; shard"
            " completeness is judged by the labelled files only"
        )
    missing: tuple[int, ...] = ()
    if expect is not None and not unlabelled:
        missing = tuple(i for i in range(1, expect + 1) if i not in by_index)
    elif expect is not None and len(files) < expect:
        # Unlabelled files cannot say which shard is absent, only how many.
        missing = tuple(range(len(files) + 1, expect + 1))
        warnings.append(f"expected {expect} shard files, got {len(files)}")
    digests = {f.durations_digest for f in files if f.durations_digest}
    if len(digests) > 1:
        warnings.append(
            "shards balanced with different durations stores; partitions may"
            " disagree (check for duplicated or missing tests)"
        )
    duplicates = {f"{i}/{expect or '?'}": tuple(p) for i, p in by_index.items() if len(p) > 1}
    return (expect, missing, duplicates), tuple(warnings)


def _paths(paths: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in paths)
