"""Exceptions shared by the contract suites and the providers they certify."""


class TCKError(Exception):
    """Root of all TCK errors."""


class SecretNotFoundError(TCKError):
    """The secrets backend has no secret of that name."""


class ObjectNotFoundError(TCKError):
    """The object store has no object under that key."""


class PublishError(TCKError):
    """A broker refused or could not accept a published message."""


class SagaStateConflictError(TCKError):
    """An optimistic-concurrency version mismatch on a saga update."""


class CircuitOpenError(TCKError):
    """The call was refused because the circuit breaker is OPEN."""
