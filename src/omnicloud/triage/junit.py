"""Read any JUnit XML (pytest, Maven Surefire, gotestsum, Jest, omnicloud) into ``Failure``s.

The XML is parsed by defusedxml (entity declarations and external references are refused, so
billion-laughs and XXE files fail cleanly) and read through junitparser's xunit2 model, which
knows the Surefire re-run elements (``rerunFailure``, ``flakyFailure``...). Files larger than
``max_bytes`` are refused before parsing. Every problem is a ``ResultsError`` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.errors import ResultsError
from omnicloud.results import split_classname
from omnicloud.triage.model import Attempt, Failure, Status

MAX_JUNIT_BYTES = 256 * 1024 * 1024
_MESSAGE_LIMIT = 2000
_GENERIC_MESSAGES = ("", "failed", "failure", "error")
_GO_NOISE = ("=== RUN", "=== PAUSE", "=== CONT", "--- FAIL", "--- PASS", "--- SKIP")


@dataclass(frozen=True)
class JUnitRun:
    """What one or more JUnit files say: the failures, and the ids of the tests that passed."""

    failures: list[Failure] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: list[Failure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def extend(self, other: JUnitRun) -> None:
        self.failures.extend(other.failures)
        self.passed.extend(other.passed)
        self.skipped.extend(other.skipped)
        self.sources.extend(other.sources)


def read_junit_files(paths: list[Path], *, max_bytes: int = MAX_JUNIT_BYTES) -> JUnitRun:
    """Read several JUnit files (a directory means every ``*.xml`` below it)."""
    run = JUnitRun()
    for path in expand_paths(paths):
        run.extend(read_junit(path, max_bytes=max_bytes))
    return run


def expand_paths(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.rglob("*.xml"))
            if not found:
                raise ResultsError(f"{path}: no JUnit *.xml files in this directory")
            out.extend(found)
        else:
            out.append(path)
    return out


def parse_junit_tree(path: Path, *, max_bytes: int = MAX_JUNIT_BYTES) -> Any:
    """A safely parsed ElementTree of ``path``, or a ``ResultsError`` saying what is wrong."""
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
        return ElementTree.parse(str(path), forbid_dtd=False)
    except OSError as exc:
        raise ResultsError(f"cannot read JUnit file {path}: {exc.strerror or exc}") from None
    except DefusedXmlException as exc:
        raise ResultsError(
            f"{path}: refused unsafe XML: {_unsafe(exc)}",
            hint="JUnit never needs entity declarations or external references",
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        detail = str(exc).split(":")[0]
        raise ResultsError(f"{path}:{line}:{column + 1}: malformed JUnit XML: {detail}") from None


def _unsafe(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "EntitiesForbidden":
        return "it declares entities (entity expansion such as 'billion laughs' is not allowed)"
    if name.startswith("External"):
        return "it references external entities or resources"
    return f"{name}"


def read_junit(path: Path, *, max_bytes: int = MAX_JUNIT_BYTES) -> JUnitRun:
    """Read one JUnit file into failures (failed, error, flaky), skips and passing test ids."""
    from junitparser.xunit2 import JUnitXml, TestSuite

    root = parse_junit_tree(path, max_bytes=max_bytes).getroot()
    if root.tag == "testsuites":
        suites = list(JUnitXml.fromroot(root))
    elif root.tag == "testsuite":
        suites = [TestSuite.fromelem(root)]  # type: ignore[no-untyped-call]
    else:
        raise ResultsError(
            f"{path}: not a JUnit file: the root element is <{root.tag}>, expected <testsuites>"
            " or <testsuite>"
        )
    run = JUnitRun(sources=[str(path)])
    for suite in suites:
        for case in suite:
            _add_case(run, case, suite, str(path))
    return run


def _add_case(run: JUnitRun, case: Any, suite: Any, source: str) -> None:
    classname = case.classname or ""
    name = case.name or ""
    test_id = f"{classname}::{name}" if classname and classname != name else name
    finals = case.result
    interim = case.interim_result
    status = _status(finals, interim)
    if status is None:
        run.passed.append(test_id)
        return
    failure = _failure(
        case,
        suite=suite,
        source=source,
        test_id=test_id,
        status=status,
        finals=finals,
        interim=interim,
    )
    (run.skipped if status == "skipped" else run.failures).append(failure)


def _status(finals: list[Any], interim: list[Any]) -> Status | None:
    """The failure status, or None for a pass."""
    tags = {result._tag for result in finals}
    if "error" in tags:
        return "error"
    if "failure" in tags:
        return "failed"
    if any(item._tag.startswith("flaky") for item in interim):
        return "flaky"
    if "skipped" in tags:
        return "skipped"
    return None


def _failure(
    case: Any,
    *,
    suite: Any,
    source: str,
    test_id: str,
    status: Status,
    finals: list[Any],
    interim: list[Any],
) -> Failure:
    evidence = finals[0] if finals else interim[0]
    properties = _properties(case)
    provider, contract = split_classname(case.classname or "")
    line = case._elem.get("line")
    return Failure(
        test_id=test_id,
        status=status,
        message=_message(evidence),
        traceback=_text(evidence) or (evidence.stack_trace if status == "flaky" else "") or "",
        stdout=case.system_out or "",
        stderr=case.system_err or "",
        log=properties.get("log", ""),
        provider=properties.get("provider", provider),
        contract=properties.get("contract", contract),
        capability=properties.get("capability") or properties.get("interface"),
        markers=tuple(m for m in properties.get("markers", "").split(",") if m),
        file=case._elem.get("file") or properties.get("file"),
        line=int(line) if line and line.isdigit() else None,
        duration=float(case.time or 0.0),
        suite=suite.name or "",
        source=source,
        attempts=tuple(_attempt(item) for item in interim),
    )


def _properties(case: Any) -> dict[str, str]:
    return {str(p.name): str(p.value or "") for p in case.properties() if p.name}


def _text(result: Any) -> str:
    text = str(result.text or "")
    return text.strip("\n") if text.strip() else ""


def _message(result: Any) -> str:
    """The message attribute, typed (``AssertionFailedError: ...``), else the text's first line."""
    message = str(result.message or "").strip()
    kind = str(result.type or "").strip()
    if message.lower() in _GENERIC_MESSAGES:  # gotestsum says "Failed"; the text says why
        text = _text(result) or (getattr(result, "stack_trace", None) or "")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        message = " ".join([ln for ln in lines if not ln.startswith(_GO_NOISE)][:3])
    if kind and kind not in message:
        message = f"{kind}: {message}" if message else kind
    return message[:_MESSAGE_LIMIT]


def _attempt(item: Any) -> Attempt:
    return Attempt(
        outcome="error" if item._tag.endswith("Error") else "failed",
        message=_message(item),
        traceback=str(item.stack_trace or _text(item) or ""),
        stdout=str(item.system_out or ""),
        stderr=str(item.system_err or ""),
    )
