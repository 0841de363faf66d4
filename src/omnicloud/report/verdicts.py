"""Which failing suites are no contract verdict: every failure triaged as infrastructure or a
setup error (a refused connection, an import that failed) says the suite could not be tested,
not that the provider broke its contract. Such a suite reads ``ERROR``, still a failing verdict.
"""

from __future__ import annotations

from collections.abc import Mapping

from omnicloud.results import Results

#: Triage categories that mean "could not be tested" rather than "broke the contract".
UNTESTED_CATEGORIES = frozenset({"infrastructure", "setup error"})


def untested_targets(
    results: Results, triaged: Mapping[str, Mapping[str, object]]
) -> set[tuple[str, str]]:
    """(provider, suite) pairs whose every failure is in an untested category."""
    categories: dict[tuple[str, str], set[object]] = {}
    for test in results.failures:
        if test.provider is None or test.suite is None:
            continue
        found = triaged.get(test.test_id) or {}
        categories.setdefault((test.provider, test.suite), set()).add(found.get("category"))
    return {target for target, seen in categories.items() if seen <= UNTESTED_CATEGORIES}
