"""Exceptions the interface suites expect providers to raise (besides Python's builtins).

Invalid arguments raise ``ValueError``, an index out of range ``IndexError``, a missing named
thing (consumer group, graph node) ``KeyError``. Only conditions a caller must tell apart from
those get a class of their own.
"""

from __future__ import annotations

from tck_py.shared.exceptions import TCKError


class InterfaceError(TCKError):
    """Root of the interface-specific errors."""


class TransactionConflictError(InterfaceError):
    """A transaction's commit was refused: a key it read was changed by someone else."""


class DuplicateKeyError(InterfaceError, ValueError):
    """A write would break uniqueness: an existing ``_id`` or a unique index."""
