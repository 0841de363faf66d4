"""Test identity in JUnit files and their junitparser view, for ``omnicloud merge``.

Parsing is not done here: ``omnicloud.results`` is the one JUnit reader; this module wraps its
safely parsed tree in junitparser objects so the merge can rewrite it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from junitparser import JUnitXml, TestCase, TestSuite

from omnicloud.results import (
    NODEID_PROPERTY,
    SHARD_PROPERTY,
    TestResult,
    load_results,
    parse_tree,
)

#: Testsuite property with a digest of the durations the partition used.
DURATIONS_PROPERTY = "omnicloud.durations"

__all__ = [
    "DURATIONS_PROPERTY",
    "SHARD_PROPERTY",
    "case_id",
    "case_nodeid",
    "case_outcome",
    "case_property",
    "cases",
    "durations_from_junit",
    "durations_from_results",
    "read_junit",
    "suite_property",
    "suites",
]


def read_junit(path: Path) -> JUnitXml:
    """A JUnit file as junitparser objects, for rewriting it (shard merge).

    Parsed by ``omnicloud.results.parse_tree``, the one safe reader (size limit, hostile XML
    refused, exit 6); a root ``<testsuite>`` is wrapped in ``<testsuites>``.
    """
    return JUnitXml.fromroot(parse_tree(path).getroot())


def suites(xml: JUnitXml) -> Iterator[TestSuite]:
    yield from xml


def cases(xml: JUnitXml) -> Iterator[tuple[TestSuite, TestCase]]:
    for suite in xml:
        for case in suite:
            yield suite, case


def suite_property(suite: TestSuite, name: str) -> str | None:
    """The value of ``<properties><property name=...>`` directly under the suite."""
    return _property(suite._elem, name)


def case_property(case: TestCase, name: str) -> str | None:
    return _property(case._elem, name)


def _property(elem: Any, name: str) -> str | None:
    for prop in elem.findall("properties/property"):
        if prop.get("name") == name:
            value = prop.get("value")
            return None if value is None else str(value)
    return None


def case_id(case: TestCase) -> str:
    """A stable identity: the recorded node id, else pytest's ``classname::name``."""
    return case_property(case, NODEID_PROPERTY) or f"{case.classname or ''}::{case.name or ''}"


def case_outcome(case: TestCase) -> str:
    """'passed', 'failed', 'error' or 'skipped'."""
    kinds = {type(r).__name__.lower() for r in case.result}
    for outcome, tag in (("error", "error"), ("failed", "failure"), ("skipped", "skipped")):
        if tag in kinds:
            return outcome
    return "passed"


def case_nodeid(case: TestCase, root: Path | None = None) -> str:
    """The pytest node id of ``case``, for re-running it.

    Exact when our plugin recorded it; otherwise rebuilt from the ``file`` attribute (xunit1)
    or by finding which prefix of the dotted classname is a file under ``root``.
    """
    recorded = case_property(case, NODEID_PROPERTY)
    if recorded:
        return recorded
    classname, name = case.classname or "", case.name or ""
    parts = classname.split(".") if classname else []
    file_attr = case._elem.get("file")
    if file_attr:
        module_parts = re.sub(r"\.py$", "", file_attr).replace("/", ".").split(".")
        rest = parts[len(module_parts) :] if parts[: len(module_parts)] == module_parts else []
        return "::".join([file_attr, *rest, name])
    base = root or Path.cwd()
    for cut in range(len(parts), 0, -1):
        for file, rest in _candidates(parts, cut):
            if (base / file).is_file():
                return "::".join([file, *rest, name])
    if "toml" in parts[1:]:  # a configuration collected as a test module (omnicloud.toml)
        at = parts.index("toml", 1)
        file = "/".join([*parts[: at - 1], f"{parts[at - 1]}.toml"])
        return "::".join([file, *parts[at + 1 :], name])
    return "::".join([*parts, name]) if parts else name


def _candidates(parts: list[str], cut: int) -> list[tuple[str, list[str]]]:
    """``a/b.py`` for parts[:cut], and ``a/b.ext`` for a file whose suffix is parts[cut]."""
    out = [("/".join(parts[:cut]) + ".py", parts[cut:])]
    if cut < len(parts):
        out.append(
            ("/".join([*parts[: cut - 1], f"{parts[cut - 1]}.{parts[cut]}"]), parts[cut + 1 :])
        )
    return out


def durations_from_junit(paths: Iterable[Path]) -> dict[str, float]:
    """Measured seconds per test id in JUnit files (later files win), for the durations store:
    ``update_durations(store, durations_from_junit([junit]))`` after any run."""
    measured: dict[str, float] = {}
    for path in paths:
        measured.update(durations_from_results(load_results([path])))
    return measured


def durations_from_results(results: Iterable[TestResult]) -> dict[str, float]:
    """The same from results already read (the certify pipeline reads its JUnit once)."""
    return {
        test.node_id or f"{test.classname}::{test.name}": test.duration
        for test in results
        if test.origin == "testcase"
    }
