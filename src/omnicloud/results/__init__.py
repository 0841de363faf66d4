"""Test results: the one JUnit reader and the one model every stage consumes.

``load_results(paths)`` reads JUnit from any tool (pytest, Surefire, gotestsum, jest, Catch2,
Bazel...) safely into ``Results`` of ``TestResult``; ``parse_tree`` is the same safe parse for
code that rewrites JUnit. Malformed, oversized or hostile files raise ``ResultsError`` (exit 6).
"""

from omnicloud.results.model import (
    NODEID_PROPERTY,
    SHARD_PROPERTY,
    Attempt,
    Origin,
    Outcome,
    Results,
    Status,
    Summary,
    TestResult,
    split_classname,
)
from omnicloud.results.reader import (
    MAX_DEPTH,
    MAX_JUNIT_BYTES,
    FileResults,
    expand_paths,
    load_results,
    parse_tree,
    read_file,
    read_junit,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_JUNIT_BYTES",
    "NODEID_PROPERTY",
    "SHARD_PROPERTY",
    "Attempt",
    "FileResults",
    "Origin",
    "Outcome",
    "Results",
    "Status",
    "Summary",
    "TestResult",
    "expand_paths",
    "load_results",
    "parse_tree",
    "read_file",
    "read_junit",
    "split_classname",
]
