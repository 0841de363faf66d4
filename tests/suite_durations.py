"""How long this repository's slower tests take, to start the longest first under xdist.

``tests/durations.json`` maps node ids to seconds (tests of two seconds or more). The conftest
reads it in each xdist worker and moves the modules holding the longest tests to the front, so
the scheduler hands them out first instead of leaving one long test to run alone at the end
while the other workers idle. Stale or missing figures only change the order, never a result.

Refresh it from JUnit reports of a full run (``--junitxml``; xdist workers included)::

    python tests/suite_durations.py report.xml [more.xml ...]
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.etree import ElementTree

FILE = Path(__file__).with_name("durations.json")
#: Shorter tests are left out: their order does not matter.
THRESHOLD_S = 2.0
_GROUP_SUFFIX = re.compile(r"@[^@\[\]]+\]?$")


def load(path: Path = FILE) -> dict[str, float]:
    """The recorded seconds per node id; empty when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data["durations"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def node_id(classname: str, name: str) -> str:
    """The pytest node id of a JUnit test case (``tests.pkg.test_mod.TestClass`` + name),
    without the ``@<group>`` suffix xdist gives grouped tests (``test[x]@group]`` in JUnit)."""
    parts = classname.split(".")
    classes = [p for p in parts if p[:1].isupper()]
    module = "/".join(p for p in parts if not p[:1].isupper())
    return "::".join([f"{module}.py", *classes, _GROUP_SUFFIX.sub("", name)])


def from_junit(paths: Iterable[Path]) -> dict[str, float]:
    """Seconds per node id (setup, call and teardown) of every case at or over the threshold."""
    found: dict[str, float] = {}
    for path in paths:
        for case in ElementTree.parse(path).getroot().iter("testcase"):
            seconds = float(case.get("time") or 0.0)
            if seconds >= THRESHOLD_S:
                found[node_id(case.get("classname") or "", case.get("name") or "")] = seconds
    return found


def module_order(nodeids: Iterable[str], known: Mapping[str, float]) -> dict[str, float]:
    """Each module's longest recorded test: the key the conftest sorts modules by."""
    longest: dict[str, float] = {}
    for nodeid in nodeids:
        module = nodeid.split("::", 1)[0]
        longest[module] = max(longest.get(module, 0.0), known.get(nodeid, 0.0))
    return longest


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    durations = from_junit(Path(a) for a in argv)
    text = json.dumps({"version": 1, "durations": dict(sorted(durations.items()))}, indent=0)
    FILE.write_text(text + "\n", encoding="utf-8")
    print(f"{FILE}: {len(durations)} tests of {THRESHOLD_S:g} s or more")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
