"""Safe JUnit reading and test identity, shared by the durations store and ``omnicloud merge``.

JUnit files come from other machines (CI artifacts, pod logs), so they are parsed with
defusedxml: entity expansion ("billion laughs"), external entities and DTDs are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from omnicloud.errors import ResultsError
from omnicloud.shard.durations import NODEID_PROPERTY

try:  # junitparser and defusedxml are core dependencies; the guard keeps the error readable.
    import defusedxml.ElementTree as SafeElementTree
    from defusedxml import DefusedXmlException
    from junitparser import JUnitXml, TestCase, TestSuite
except ImportError as exc:  # pragma: no cover - broken installation
    raise ImportError(f"{exc}; reinstall open-omni-cloud-tck") from exc

#: Testsuite property naming the shard a file came from, "i/N" (1-based), set by our plugin.
SHARD_PROPERTY = "omnicloud.shard"
#: Testsuite property with a digest of the durations the partition used.
DURATIONS_PROPERTY = "omnicloud.durations"


def read_junit(path: Path) -> JUnitXml:
    """Parse a JUnit file safely; a root ``<testsuite>`` is wrapped in ``<testsuites>``."""
    try:
        root = SafeElementTree.parse(str(path)).getroot()
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such JUnit file") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read the JUnit file: {exc.strerror}") from None
    except DefusedXmlException as exc:
        raise ResultsError(f"{path}: refused unsafe XML ({type(exc).__name__})") from None
    except SafeElementTree.ParseError as exc:
        line, column = exc.position
        raise ResultsError(
            f"{path}:{line}:{column + 1}: malformed JUnit XML: {_reason(exc)}"
        ) from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ResultsError(f"{path}: not JUnit XML (root element <{root.tag}>)")
    return JUnitXml.fromroot(root)


def _reason(exc: Exception) -> str:
    # ElementTree appends ": line L, column C", which the prefix already says.
    return str(exc).rsplit(": line ", 1)[0]


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
        for _suite, case in cases(read_junit(path)):
            measured[case_id(case)] = float(case.time or 0.0)
    return measured
