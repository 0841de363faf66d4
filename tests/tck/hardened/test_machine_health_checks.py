"""The suites' state machines never fail a correct provider on a health check.

Hypothesis's health checks judge how fast inputs are generated. On a loaded runner a draw can
stall for seconds (observed: "Input generation is slow: Hypothesis only generated 2 valid
inputs after 33.31 seconds" from the kv_store machine against a correct Redis provider, while
the machine ran other jobs), and a failed health check reads as a contract violation. Every
budget the suites run machines with suppresses them; the budgets themselves (examples, steps,
no deadline) are what bound a run.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tck_py.interfaces._support import MACHINE_SETTINGS
from tck_py.primitives._support import STATEFUL_SETTINGS, stateful_settings


@pytest.mark.parametrize(
    "budget",
    [MACHINE_SETTINGS, STATEFUL_SETTINGS, stateful_settings()],
    ids=["interfaces", "primitives", "primitives-no-shrink"],
)
def test_every_suite_budget_suppresses_the_generation_health_checks(budget: settings) -> None:
    assert set(budget.suppress_health_check) == set(HealthCheck)
    assert budget.deadline is None
    assert budget.derandomize  # reproducible: the same steps on every run
