"""The one JUnit reader: safe parsing, then every shape real test tools write.

Parsing goes through defusedxml (entity declarations and external references are refused, so
"billion laughs" and XXE files fail cleanly), after a size check; the tree is then walked with an
explicit stack, and nesting deeper than ``MAX_DEPTH`` is refused, so no file can exhaust the
interpreter's recursion. Every problem is a ``ResultsError`` (exit 6) naming the file.

What the walk understands, beyond one ``<testcase>`` per test:

* a ``<failure>`` or ``<error>`` directly under ``<testsuite>`` (Ant and Jenkins write it when a
  test class cannot load) is a failed test named after the suite;
* ``failures``/``errors`` attributes that count more than the file holds become one erroring
  result named after the suite, so a truncated or hand-edited file never reads green;
* a test written several times (gotestsum ``--rerun-fails`` and other reporters' retries) is one
  result whose earlier runs are ``attempts``: flaky when the last one passed;
* Surefire's ``rerunFailure``/``flakyFailure`` (and ``Error``) elements are attempts too;
* a suite's own ``<system-out>``/``<system-err>`` travel with each of its results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omnicloud.errors import ResultsError
from omnicloud.results.model import (
    SHARD_PROPERTY,
    Attempt,
    Outcome,
    Results,
    TestResult,
    split_classname,
)

#: One limit for every JUnit file the tool reads (``--max-junit-bytes`` overrides it).
MAX_JUNIT_BYTES = 256 * 1024 * 1024
#: Deepest element nesting accepted: real tools nest suites a few levels, never hundreds.
MAX_DEPTH = 200

_OUTCOME_TAGS: dict[str, Outcome] = {"error": "error", "failure": "failed", "skipped": "skipped"}
_ATTEMPT_TAGS: dict[str, Outcome] = {
    "rerunFailure": "failed",
    "rerunError": "error",
    "flakyFailure": "failed",
    "flakyError": "error",
}


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given; a directory means every ``*.xml`` below it (one at least)."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.rglob("*.xml"))
            if not found:
                raise ResultsError(f"{path}: no JUnit *.xml files in this directory")
            out.extend(found)
        else:
            out.append(path)
    return out


def load_results(paths: Iterable[Path | str], *, max_bytes: int = MAX_JUNIT_BYTES) -> Results:
    """Read JUnit files (directories: every ``*.xml`` below) into one ``Results``."""
    tests: list[TestResult] = []
    sources: list[str] = []
    anomalies: list[str] = []
    for path in expand_paths(paths):
        read = read_file(path, max_bytes=max_bytes)
        tests.extend(read.tests)
        anomalies.extend(read.anomalies)
        sources.append(str(path))
    return Results(tuple(tests), tuple(sources), tuple(anomalies))


def read_junit(path: Path, *, max_bytes: int = MAX_JUNIT_BYTES) -> list[TestResult]:
    """The results of one JUnit file."""
    return list(read_file(path, max_bytes=max_bytes).tests)


def parse_tree(path: Path, *, max_bytes: int = MAX_JUNIT_BYTES) -> Any:
    """A safely parsed ``ElementTree`` of a JUnit file, or a ``ResultsError`` saying why not.

    Also for code that rewrites JUnit (shard merge, flaky re-runs): every JUnit byte the tool
    reads goes through here.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ResultsError(
                f"{path}: JUnit file is {size:,} bytes, above the {max_bytes:,}-byte limit",
                hint="split the run into shards, or raise the limit with --max-junit-bytes",
            )
        tree = ElementTree.parse(str(path), forbid_dtd=False)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such JUnit file") from None
    except OSError as exc:
        raise ResultsError(f"cannot read JUnit file {path}: {exc.strerror or exc}") from None
    except DefusedXmlException as exc:
        raise ResultsError(
            f"{path}: refused unsafe XML: {_unsafe(exc)}",
            hint="JUnit never needs entity declarations or external references",
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        detail = str(exc).rsplit(": line ", 1)[0]
        raise ResultsError(f"{path}:{line}:{column + 1}: malformed JUnit XML: {detail}") from None
    root = tree.getroot()
    if root.tag not in ("testsuites", "testsuite"):
        raise ResultsError(
            f"{path}: not a JUnit file: the root element is <{root.tag}>, expected <testsuites>"
            " or <testsuite>"
        )
    _check_depth(path, root)
    return tree


def _unsafe(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "EntitiesForbidden":
        return "it declares entities (entity expansion such as 'billion laughs' is not allowed)"
    if name.startswith("External"):
        return "it references external entities or resources"
    return name


def _check_depth(path: Path, root: Any) -> None:
    stack = [(root, 1)]
    while stack:
        elem, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ResultsError(
                f"{path}: elements nest more than {MAX_DEPTH} deep (<{elem.tag}>): not a JUnit"
                " file a test tool writes"
            )
        stack.extend((child, depth + 1) for child in elem)


@dataclass
class FileResults:
    """What one file holds: its results and the anomalies found reading it."""

    tests: list[TestResult] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


@dataclass
class _Suite:
    elem: Any
    parent: int | None
    name: str
    shard: str | None
    counted: int = 0  # <failure>/<error> elements found in this suite and below


def read_file(path: Path, *, max_bytes: int = MAX_JUNIT_BYTES) -> FileResults:
    """Read one JUnit file; see the module docstring for the shapes understood."""
    root = parse_tree(path, max_bytes=max_bytes).getroot()
    source = str(path)
    out = FileResults()
    suites = list(_suites(root))
    for suite in suites:
        _read_suite(suite, source, out)
    for index in range(len(suites) - 1, -1, -1):  # children come after their parent
        suite = suites[index]
        missing = _claimed(suite.elem) - suite.counted
        if missing > 0:
            out.tests.append(_count_result(suite, missing, source))
            out.anomalies.append(f"{source}: {_count_message(suite, missing)}")
            suite.counted += missing
        if suite.parent is not None:
            suites[suite.parent].counted += suite.counted
    out.tests = _fold_retries(out.tests)
    return out


def _suites(root: Any) -> Iterator[_Suite]:
    """Every ``<testsuite>`` (and the root ``<testsuites>``), parents before children."""
    stack: list[tuple[Any, int | None, str | None]] = [(root, None, None)]
    index = 0
    while stack:
        elem, parent, shard = stack.pop()
        shard = _property(elem, SHARD_PROPERTY) or shard
        yield _Suite(elem, parent, elem.get("name") or "", shard)
        children = [c for c in elem if c.tag == "testsuite"]
        stack.extend((child, index, shard) for child in reversed(children))
        index += 1


def _read_suite(suite: _Suite, source: str, out: FileResults) -> None:
    elem = suite.elem
    output = "\n".join(_text(c) for c in elem if c.tag in ("system-out", "system-err") and c.text)
    found = 0
    for child in elem:
        if child.tag == "testcase":
            result = _case(child, suite, source, output)
            found += 1
            suite.counted += sum(1 for c in child if c.tag in ("failure", "error"))
            out.tests.append(result)
        elif child.tag in ("failure", "error"):
            out.tests.append(_suite_failure(child, suite, source, output))
            suite.counted += 1
            found += 1
    nested = any(c.tag == "testsuite" for c in elem)
    if not found and not nested and _int(elem.get("tests")) > 0:
        out.anomalies.append(
            f"{source}: <{elem.tag} name={suite.name!r}> says tests={elem.get('tests')} but"
            " holds no testcase"
        )


def _case(elem: Any, suite: _Suite, source: str, suite_output: str) -> TestResult:
    outcome: Outcome = "passed"
    evidence = None
    attempts: list[Attempt] = []
    for child in elem:
        tag = child.tag
        if tag in _OUTCOME_TAGS and (evidence is None or _rank(tag) > _rank(evidence.tag)):
            outcome, evidence = _OUTCOME_TAGS[tag], child
        elif tag in _ATTEMPT_TAGS:
            attempts.append(_attempt(child, _ATTEMPT_TAGS[tag]))
    classname = elem.get("classname") or ""
    provider, contract = split_classname(classname)
    properties = _properties(elem)
    line = elem.get("line") or ""
    return TestResult(
        classname=classname,
        name=elem.get("name") or "",
        outcome=outcome,
        duration=_float(elem.get("time")),
        message=(evidence.get("message") or "") if evidence is not None else "",
        traceback=_text(evidence) if evidence is not None else "",
        stdout=_child_text(elem, "system-out"),
        stderr=_child_text(elem, "system-err"),
        provider=provider,
        suite=contract,
        file=elem.get("file"),
        line=int(line) if line.isdigit() else None,
        source=source,
        properties=properties,
        kind=(evidence.get("type") or "") if evidence is not None else "",
        testsuite=suite.name,
        suite_output=suite_output,
        attempts=tuple(attempts),
        shard=suite.shard,
    )


def _rank(tag: str) -> int:
    """error outranks failure outranks skipped, when a testcase holds several."""
    return {"skipped": 0, "failure": 1, "error": 2}[tag]


def _suite_failure(elem: Any, suite: _Suite, source: str, output: str) -> TestResult:
    name = suite.name or Path(source).stem
    return TestResult(
        classname=name,
        name=name,
        outcome=_OUTCOME_TAGS[elem.tag],
        message=elem.get("message") or "",
        traceback=_text(elem),
        kind=elem.get("type") or "",
        source=source,
        testsuite=suite.name,
        suite_output=output,
        shard=suite.shard,
        origin="suite",
    )


def _claimed(elem: Any) -> int:
    return _int(elem.get("failures")) + _int(elem.get("errors"))


def _count_message(suite: _Suite, missing: int) -> str:
    elem = suite.elem
    return (
        f"<{elem.tag} name={suite.name!r}> counts failures={elem.get('failures') or 0}"
        f" errors={elem.get('errors') or 0}, but {missing} of them are not in the file"
        " (no <failure> or <error> element for them): treated as failed"
    )


def _count_result(suite: _Suite, missing: int, source: str) -> TestResult:
    name = suite.name or Path(source).stem
    return TestResult(
        classname=name,
        name=name,
        outcome="error",
        message=_count_message(suite, missing),
        kind="JUnitCountMismatch",
        source=source,
        testsuite=suite.name,
        shard=suite.shard,
        origin="counts",
    )


def _fold_retries(tests: list[TestResult]) -> list[TestResult]:
    """One result per test: a repeated testcase is a retry, the last run is the outcome."""
    groups: dict[tuple[str, str, str, str | None], list[TestResult]] = {}
    for test in tests:
        groups.setdefault((test.testsuite, test.classname, test.name, test.file), []).append(test)
    if len(groups) == len(tests):
        return tests
    out = []
    for runs in groups.values():
        last = runs[-1]
        if len(runs) > 1 and last.origin == "testcase":
            earlier = tuple(a for run in runs[:-1] for a in (*run.attempts, _as_attempt(run)))
            last = replace(last, attempts=earlier + last.attempts)
        out.extend(runs if last.origin != "testcase" else [last])
    return out


def _as_attempt(run: TestResult) -> Attempt:
    return Attempt(
        outcome=run.outcome,
        message=run.message,
        traceback=run.traceback,
        stdout=run.stdout,
        stderr=run.stderr,
        kind=run.kind,
    )


def _attempt(elem: Any, outcome: Outcome) -> Attempt:
    trace = _child_text(elem, "stackTrace") or _text(elem)
    return Attempt(
        outcome=outcome,
        message=elem.get("message") or "",
        traceback=trace,
        stdout=_child_text(elem, "system-out"),
        stderr=_child_text(elem, "system-err"),
        kind=elem.get("type") or "",
    )


def _properties(elem: Any) -> tuple[tuple[str, str], ...]:
    return tuple(
        (prop.get("name") or "", prop.get("value") or prop.text or "")
        for props in elem
        if props.tag == "properties"
        for prop in props
        if prop.tag == "property" and prop.get("name")
    )


def _property(elem: Any, name: str) -> str | None:
    for props in elem:
        if props.tag == "properties":
            for prop in props:
                if prop.tag == "property" and prop.get("name") == name:
                    return str(prop.get("value") or "")
    return None


def _child_text(elem: Any, tag: str) -> str:
    return "\n".join(_text(c) for c in elem if c.tag == tag and c.text)


def _text(elem: Any) -> str:
    text = elem.text or ""
    return text.strip("\n") if text.strip() else ""


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _float(value: str | None) -> float:
    try:
        return float((value or "0").replace(",", ""))
    except ValueError:
        return 0.0
