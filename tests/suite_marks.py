"""Marking an inherited suite test for one backend only (imported as ``suite_marks``).

``pytest.mark.xfail(...)(Base.test_x)`` stores the mark on the suite's own function, so every
other class that inherits ``test_x`` in the same process gets it too (a strict xfail of one
backend then fails every backend that passes). ``marked`` marks a copy instead.
"""

from __future__ import annotations

import types
from typing import Any

import pytest


def own_copy(test: Any) -> Any:
    """A new function object running the same code: marks stored on it stay on it."""
    copy = types.FunctionType(
        test.__code__, test.__globals__, test.__name__, test.__defaults__, test.__closure__
    )
    copy.__dict__.update(test.__dict__)  # existing marks, hypothesis's attributes
    copy.__kwdefaults__ = test.__kwdefaults__
    copy.__qualname__ = test.__qualname__
    copy.__doc__ = test.__doc__
    return copy


def marked(test: Any, *marks: pytest.MarkDecorator) -> Any:
    """``test`` with ``marks``, leaving the suite's function (and its other users) unmarked."""
    result = own_copy(test)
    for mark in marks:
        result = mark(result)
    return result
