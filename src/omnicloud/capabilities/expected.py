"""Expected failures: ``providers.<p>.expected_failures.<interface> = {kind, reason}``.

The plugin marks every test of such a target ``xfail`` (not strict per test: one failing test is
enough for the interface to fail as expected). Strictness is per interface and lives in
``classify``: if no test of the suite failed, the expected failure passed and is flagged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnicloud.config.models import ProviderConfig

if TYPE_CHECKING:
    import pytest

#: Every xfail reason omnicloud writes starts with this, so results can tell them apart.
EXPECTED_PREFIX = "omnicloud expected failure "

KINDS = {
    "notimpl": "not implemented yet",
    "notyet": "the backend cannot do it yet",
    "never": "not supported by design",
}


def expected_reason(kind: str, reason: str) -> str:
    return f"{EXPECTED_PREFIX}[{kind}]: {reason}"


def expected_failure_mark(provider: ProviderConfig, interface: str) -> pytest.MarkDecorator | None:
    """The ``xfail`` mark for the tests of (provider, interface), or None."""
    expected = provider.expected_failures.get(interface)
    if expected is None:
        return None
    import pytest  # only the plugin asks for marks; loading a config must not import pytest

    return pytest.mark.xfail(reason=expected_reason(expected.kind, expected.reason), strict=False)
