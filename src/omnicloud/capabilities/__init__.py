"""Capabilities: the interfaces providers declare, checked against their shape and their results.

``implements = [...]`` in a provider's block claims interfaces of the catalog
(``tck_py.interfaces.catalog``); each claim selects that interface's suite. Before any test runs,
``require_shapes`` reports a provider whose methods do not match what it claims. After the run,
``classify`` turns each (provider, interface) into a status: a declared interface whose suite
fails is a false claim, an expected failure that passes is flagged, and a probed, undeclared
interface that passes should be declared.
"""

from omnicloud.capabilities.catalog import interface_names, spec_for, suite_for
from omnicloud.capabilities.expected import EXPECTED_PREFIX, expected_failure_mark
from omnicloud.capabilities.shape import check_shape, require_shapes, shape_target
from omnicloud.capabilities.validator import PROBLEMS, Status, classify

__all__ = [
    "EXPECTED_PREFIX",
    "PROBLEMS",
    "Status",
    "check_shape",
    "classify",
    "expected_failure_mark",
    "interface_names",
    "require_shapes",
    "shape_target",
    "spec_for",
    "suite_for",
]
