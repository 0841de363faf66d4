"""``@pytest.mark.requirement("001-FR-012")``: checked ids, recorded as JUnit properties."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): requirement ids (e.g. 001-FR-012) the test verifies"
    )


def _pattern(config: pytest.Config) -> str:
    from omnicloud.traceability import DEFAULT_PATTERN

    try:
        from omnicloud.plugin import PATH_KEY, omnicloud_config

        if config.stash.get(PATH_KEY, None) is not None:
            pattern: str = omnicloud_config(config).traceability.pattern
            return pattern
    except Exception:  # a broken config is reported by its own collector
        return DEFAULT_PATTERN
    return DEFAULT_PATTERN


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    marked = [(item, mark) for item in items for mark in item.iter_markers("requirement")]
    if not marked:
        return
    from omnicloud.traceability import PROPERTY, invalid_ids

    pattern = _pattern(config)
    problems = []
    for item, mark in marked:
        ids = [str(a) for a in mark.args]
        if not ids:
            problems.append(f"{item.nodeid}: @pytest.mark.requirement needs at least one id")
        for bad in invalid_ids(ids, pattern):
            problems.append(f"{item.nodeid}: requirement id '{bad}' does not match {pattern}")
        item.user_properties.extend((PROPERTY, i) for i in ids)
    if problems:
        raise pytest.UsageError("\n".join(problems))
