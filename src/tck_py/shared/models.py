"""Models shared by the contract suites (exact upstream ``tck_py`` 0.1 shapes)."""

from __future__ import annotations

import enum
from typing import Any, NamedTuple


class ConsumedMessage(NamedTuple):
    payload: bytes
    key: str | None
    headers: dict[str, Any]


class OutboxEvent(NamedTuple):
    destination_topic: str
    payload: bytes
    message_key: str | None = None
    aggregate_key: str | None = None


class SagaStepHistory(NamedTuple):
    step_name: str
    status: str


class SagaState(NamedTuple):
    saga_id: str
    status: str
    current_step: int
    history: list[SagaStepHistory]
    payload: dict[str, Any]
    version: int


class CircuitState(enum.Enum):
    CLOSED = enum.auto()
    OPEN = enum.auto()
    HALF_OPEN = enum.auto()
