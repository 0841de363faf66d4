"""Flake detection: re-run failed tests in a fresh pytest process and keep the evidence in JUnit.

``rerun_failed(junit_path, pytest_args, reruns)`` reads the JUnit of a finished run, re-runs its
failed and errored tests up to ``reruns`` times, each time in a new ``python -m pytest`` process
(so no module state, fixture cache or event loop survives from the failing attempt), and rewrites
the JUnit file in place the way Maven Surefire and Jenkins expect:

* a test that passes on a re-run is flaky: its ``<failure>``/``<error>`` becomes a
  ``<flakyFailure>``/``<flakyError>`` (one per failed attempt) and it counts as passed;
* a test that keeps failing keeps its ``<failure>``/``<error>`` and gains one
  ``<rerunFailure>``/``<rerunError>`` per re-run.

Each evidence element has the attempt's ``message``, ``type``, ``<stackTrace>``, ``<system-out>``
and ``<system-err>``. Node ids come from the ``omnicloud.nodeid`` property that the omnicloud
pytest plugin records, else from the classname and the test files under the root.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnicloud.errors import InfrastructureError
from omnicloud.pytest_plugins import RERUN_CHILD_ENV
from omnicloud.results import NODEID_PROPERTY, parse_tree

_DROP_WITH_VALUE = (
    "--junitxml",
    "--junit-xml",
    "--omnicloud-reruns",
    "-n",
    "--numprocesses",
    "--dist",
    "--maxprocesses",
    "--shard",  # the re-run names its tests; a shard filter would deselect them
)


@dataclass
class _Attempt:
    tag: str  # failure | error | passed | skipped | missing
    message: str = ""
    type: str = ""
    text: str = ""
    stdout: str = ""
    stderr: str = ""


def _case_nodeid(case: Any, root: Path) -> str:
    for props in case.findall("properties"):
        for prop in props.findall("property"):
            if prop.get("name") == NODEID_PROPERTY and prop.get("value"):
                return str(prop.get("value"))
    return _guess_nodeid(case.get("classname") or "", case.get("name") or "", root)


def _guess_nodeid(classname: str, name: str, root: Path) -> str:
    """``tests.test_kv.TestKV`` + ``test_x`` -> ``tests/test_kv.py::TestKV::test_x``."""
    parts = classname.split(".") if classname else []
    for cut in range(len(parts), 0, -1):
        path = Path(*parts[:cut]).with_suffix(".py")
        if (root / path).is_file():
            return "::".join([path.as_posix(), *parts[cut:], name])
    return "::".join([*parts, name]) if parts else name


def _attempt_of(case: Any) -> _Attempt:
    for tag in ("error", "failure", "skipped"):
        element = case.find(tag)
        if element is not None:
            return _Attempt(
                tag=tag,
                message=element.get("message") or "",
                type=element.get("type") or "",
                text=element.text or "",
                stdout=_child_text(case, "system-out"),
                stderr=_child_text(case, "system-err"),
            )
    return _Attempt("passed")


def _child_text(element: Any, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "") if child is not None else ""


def child_args(pytest_args: list[str]) -> list[str]:
    """The original options minus JUnit output, xdist and re-run options."""
    out: list[str] = []
    skip = False
    for arg in pytest_args:
        if skip:
            skip = False
            continue
        if arg in _DROP_WITH_VALUE:
            skip = True
            continue
        if any(arg.startswith(f"{opt}=") for opt in _DROP_WITH_VALUE) or (
            arg.startswith("-n") and arg[2:].isdigit()
        ):
            continue
        out.append(arg)
    return out


def _as_argument(nodeid: str, rootdir: Path, cwd: Path) -> str:
    """A rootdir-relative node id as a command-line argument valid in ``cwd``."""
    if rootdir.resolve() == cwd.resolve():
        return nodeid
    file, sep, rest = nodeid.partition("::")
    return os.path.relpath(rootdir / file, cwd) + sep + rest


def _run_once(
    nodeids: list[str], pytest_args: list[str], where: tuple[Path, Path], scratch: Path, number: int
) -> dict[str, _Attempt]:
    cwd, rootdir = where
    junit = scratch / f"rerun-{number}.xml"
    arguments = [_as_argument(n, rootdir, cwd) for n in nodeids]
    command = [
        sys.executable,
        "-m",
        "pytest",
        *child_args(pytest_args),
        *arguments,
        f"--junitxml={junit}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    env = {**os.environ, RERUN_CHILD_ENV: "1"}
    try:
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfrastructureError(
            f"re-run of {len(nodeids)} failed test(s) failed: {exc}"
        ) from None
    if not junit.exists():
        return {nodeid: _Attempt("missing") for nodeid in nodeids}
    root = parse_tree(junit).getroot()
    found = {_case_nodeid(case, rootdir): _attempt_of(case) for case in root.iter("testcase")}
    return {nodeid: found.get(nodeid, _Attempt("missing")) for nodeid in nodeids}


def rerun_failed(
    junit_path: Path,
    pytest_args: list[str],
    reruns: int,
    *,
    cwd: Path | None = None,
    rootdir: Path | None = None,
) -> Path:
    """Re-run the failed tests of ``junit_path`` and rewrite it with the evidence; returns it.

    ``pytest_args`` are the run's pytest options without test paths (node ids are added; JUnit,
    xdist and re-run options are dropped). The re-runs start in ``cwd`` (default: the current
    directory), and node ids are relative to ``rootdir`` (the pytest rootdir; default: ``cwd``).
    """
    cwd = cwd or Path.cwd()
    rootdir = rootdir or cwd
    tree = parse_tree(junit_path)
    failing = {}
    for case in tree.getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failing[_case_nodeid(case, rootdir)] = case
    if reruns <= 0 or not failing:
        return junit_path
    history: dict[str, list[_Attempt]] = {n: [] for n in failing}
    pending = list(failing)
    with tempfile.TemporaryDirectory(prefix="omnicloud-rerun-") as scratch:
        for number in range(1, reruns + 1):
            if not pending:
                break
            results = _run_once(pending, pytest_args, (cwd, rootdir), Path(scratch), number)
            for nodeid, attempt in results.items():
                history[nodeid].append(attempt)
            pending = [n for n in pending if results[n].tag not in ("passed", "skipped")]
            # a skip on re-run proves nothing either way: stop re-running, stay failed
    for nodeid, case in failing.items():
        _rewrite_case(case, history[nodeid])
    _fix_counts(tree.getroot())
    _write(tree, junit_path)
    return junit_path


def _rewrite_case(case: Any, attempts: list[_Attempt]) -> None:
    original = _attempt_of(case)
    flaky = bool(attempts) and attempts[-1].tag == "passed"
    if flaky:
        final = case.find(original.tag)
        case.remove(final)
        failed = [original, *attempts[:-1]]
        for attempt in failed:
            _append(case, "flakyError" if attempt.tag == "error" else "flakyFailure", attempt)
        return
    for attempt in attempts:
        _append(case, "rerunError" if attempt.tag == "error" else "rerunFailure", attempt)


def _append(case: Any, tag: str, attempt: _Attempt) -> None:
    from xml.etree.ElementTree import SubElement

    element = SubElement(case, tag)
    if attempt.tag == "missing":
        element.set("message", "the re-run did not report this test")
        return
    element.set("message", attempt.message)
    if attempt.type:
        element.set("type", attempt.type)
    for child_tag, text in (
        ("stackTrace", attempt.text),
        ("system-out", attempt.stdout),
        ("system-err", attempt.stderr),
    ):
        if text:
            SubElement(element, child_tag).text = text


def _fix_counts(root: Any) -> None:
    """Recount failures and errors of every suite (and of the root) after flakes became passes."""
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {"failures": 0, "errors": 0}
    for suite in suites:
        cases = suite.findall("testcase")
        counts = {
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
        }
        for key, value in counts.items():
            if suite.get(key) is not None:
                suite.set(key, str(value))
            totals[key] += value
    if root.tag == "testsuites":
        for key, value in totals.items():
            if root.get(key) is not None:
                root.set(key, str(value))


def _write(tree: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tree.write(tmp, encoding="utf-8", xml_declaration=True)
        tmp.replace(path)
    except OSError as exc:
        raise InfrastructureError(f"cannot rewrite {path}: {exc.strerror or exc}") from None
