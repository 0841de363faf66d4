"""Every hardened guarantee: its new test catches a broken provider, every reference passes it.

Each case runs only the new tests of one suite in an inner pytest session (in-process, through
the same adapters the omnicloud plugin uses), against one broken provider from
``hardened_providers`` and the in-tree reference providers that run without a server. The real
backends (Redis, PostgreSQL) pass the same tests in their own certification runs.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import hardened_providers as broken
import pytest

from omnicloud.adapters.runtime import ProviderRuntime, close_quietly
from omnicloud.contracts import CONTRACTS
from omnicloud.providers.memory.cache import InMemoryCache
from omnicloud.providers.memory.document import InMemoryDocumentDatabase
from omnicloud.providers.memory.memstore import MemStore
from omnicloud.providers.memory.messaging import InMemoryBroker
from omnicloud.providers.sqlite.document import SQLiteDocumentDatabase
from tck_py.interfaces.document import BaseTestDocumentQueryInterface
from tck_py.interfaces.queue import (
    BaseTestQueueDeadLetterInterface,
    BaseTestQueueDelayedInterface,
    BaseTestQueueVisibilityInterface,
)

Factory = Callable[..., Any]


def contract_class(contract: str, factory: Factory, **options: Any) -> type:
    """The contract's suite wired through its adapter, as the omnicloud plugin does."""
    spec = CONTRACTS[contract]
    module, _, name = spec.suite.partition(":")
    suite = getattr(importlib.import_module(module), name)
    runtime = ProviderRuntime(factory.__name__, spec, factory, options)
    fixtures = importlib.import_module(spec.adapter).build_fixtures(runtime)
    return type(f"Certified_{factory.__name__}", (suite,), fixtures)


def interface_class(suite: type, factory: Factory) -> type:
    """An interface suite whose ``provider_factory`` makes fresh ``factory()`` providers."""

    @pytest.fixture
    async def provider_factory(self: Any) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
        made: list[Any] = []

        async def make() -> Any:
            made.append(factory())
            return made[-1]

        yield make
        for provider in made:
            await close_quietly(provider)

    return type(f"Interface_{factory.__name__}", (suite,), {"provider_factory": provider_factory})


def old_style_lock_fixture_class() -> type:
    """The lock suite with the factory fixture as it was: every provider closed on the test's
    loop, including those a state machine made (and whose loop it closed) on a private loop."""

    @pytest.fixture
    async def lock_manager_factory(self: Any) -> AsyncIterator[Callable[[], Awaitable[Any]]]:
        made: list[Any] = []

        async def make() -> Any:
            made.append(broken.LoopBoundLockManager())
            return made[-1]

        yield make
        for provider in made:
            await provider.aclose()

    base = contract_class("distributed_lock", broken.LoopBoundLockManager)
    return type("OldStyleLockFixture", (base,), {"lock_manager_factory": lock_manager_factory})


@dataclass(frozen=True)
class Case:
    """One hardened guarantee: the tests that pin it, a broken class, reference classes."""

    tests: tuple[str, ...]
    broken: Callable[[], type]
    references: Mapping[str, Callable[[], type]] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)


def _doc_contract(factory: Factory, **options: Any) -> Callable[[], type]:
    return lambda: contract_class("document_database", factory, **options)


def _reference(contract: str, factory: Factory) -> Callable[[], type]:
    return lambda: contract_class(contract, factory)


SQLITE_DOCS = {"path": "file:omnicloud-hardened-docs?mode=memory&cache=shared"}
STATE_MACHINES = {
    "distributed_lock": ("test_behaves_like_a_model_lock", broken.LoopBoundLockManager),
    "sagas": ("test_behaves_like_a_model_repository", broken.LoopBoundSagaRepository),
    "transactional_outbox": ("test_behaves_like_a_model_outbox", broken.LoopBoundOutbox),
}

CASES: dict[str, Case] = {
    "queue-delay-within-sqs-limit": Case(
        ("test_the_longest_shared_delay_is_honoured", "test_earlier_due_is_not_held_back"),
        lambda: interface_class(BaseTestQueueDelayedInterface, broken.LongDelayDeliveredAtOnce),
        {"memstore": lambda: interface_class(BaseTestQueueDelayedInterface, MemStore)},
    ),
    "queue-visibility-lease-of-a-whole-second": Case(
        ("test_ack_after_the_timeout_is_refused",),
        lambda: interface_class(BaseTestQueueVisibilityInterface, broken.ExpiredLeaseDropsMessage),
        {
            "memstore": lambda: interface_class(BaseTestQueueVisibilityInterface, MemStore),
            "whole_seconds": lambda: interface_class(
                BaseTestQueueVisibilityInterface, broken.WholeSecondLeases
            ),
        },
    ),
    "queue-dead-letter-after-a-receive": Case(
        ("test_the_dead_letter_queue_is_a_queue",),
        lambda: interface_class(BaseTestQueueDeadLetterInterface, broken.DeadLettersLost),
        {
            "memstore": lambda: interface_class(BaseTestQueueDeadLetterInterface, MemStore),
            "lazy_redrive": lambda: interface_class(
                BaseTestQueueDeadLetterInterface, broken.RedriveOnNextReceive
            ),
        },
    ),
    "queue-peek-is-not-a-delivery": Case(
        ("test_a_peek_is_not_a_delivery",),
        lambda: interface_class(BaseTestQueueDeadLetterInterface, broken.PeekIsAReceive),
        {
            "memstore": lambda: interface_class(BaseTestQueueDeadLetterInterface, MemStore),
            "lazy_redrive": lambda: interface_class(
                BaseTestQueueDeadLetterInterface, broken.RedriveOnNextReceive
            ),
        },
    ),
    "document-query-exact-lists-and-objects": Case(
        ("test_list_and_object_values_match_exactly",),
        lambda: interface_class(BaseTestDocumentQueryInterface, broken.ContainmentQueryStore),
        {"memstore": lambda: interface_class(BaseTestDocumentQueryInterface, MemStore)},
    ),
    "document-query-bool-is-not-a-number": Case(
        ("test_a_bool_never_equals_a_number",),
        lambda: interface_class(BaseTestDocumentQueryInterface, broken.PythonEqualityQueryStore),
        {"memstore": lambda: interface_class(BaseTestDocumentQueryInterface, MemStore)},
    ),
    "document-database-exact-lists-and-objects": Case(
        ("test_list_and_object_values_match_exactly",),
        _doc_contract(broken.ContainmentDocumentDatabase),
        {
            "memory": _doc_contract(InMemoryDocumentDatabase),
            "sqlite": _doc_contract(SQLiteDocumentDatabase, **SQLITE_DOCS),
        },
    ),
    "document-database-bool-is-not-a-number": Case(
        ("test_a_bool_never_equals_a_number",),
        _doc_contract(broken.PythonEqualityDocumentDatabase),
        {
            "memory": _doc_contract(InMemoryDocumentDatabase),
            "sqlite": _doc_contract(SQLiteDocumentDatabase, **SQLITE_DOCS),
        },
    ),
    "cache-expiry-precision": Case(
        ("test_expiry_is_late_by_at_most_the_precision",),
        lambda: contract_class("cache", broken.LateExpiryCache),
        {"memory": lambda: contract_class("cache", InMemoryCache)},
    ),
    "producer-publish-error-bound": Case(
        ("test_publish_error_is_raised_within_the_bound",),
        lambda: contract_class("producer", broken.SlowFailingBroker),
        {"memory": lambda: contract_class("producer", InMemoryBroker)},
        # The bound is a suite attribute a provider's test class may change; a short one here
        # keeps this test fast (the default is 5 s).
        {"publish_error_within": 0.5},
    ),
    "producer-topic-isolation": Case(
        ("test_a_message_reaches_no_other_topic",),
        lambda: contract_class("producer", broken.LeakyBroker),
        {"memory": lambda: contract_class("producer", InMemoryBroker)},
    ),
    "consumer-at-least-once-across-restart": Case(
        ("test_unacknowledged_message_survives_a_consumer_restart",),
        lambda: contract_class("consumer", broken.AtMostOnceBroker),
        {"memory": lambda: contract_class("consumer", InMemoryBroker)},
    ),
    "consumer-competing-consumers": Case(
        ("test_competing_consumers_share_the_messages",),
        lambda: contract_class("consumer", broken.FanOutBroker),
        {"memory": lambda: contract_class("consumer", InMemoryBroker)},
    ),
    "private-loop-providers-closed-on-their-loop": Case(
        ("test_behaves_like_a_model_lock",),
        old_style_lock_fixture_class,
        {
            contract: _reference(contract, factory)
            for contract, (_, factory) in STATE_MACHINES.items()
        },
    ),
}
# The state-machine case runs each contract's own machine test on its reference.
STATE_MACHINE_TESTS = tuple(test for test, _ in STATE_MACHINES.values())

CONFTEST = """
def pytest_collection_modifyitems(config, items):
    kept = [item for item in items if item.originalname in item.cls.only]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept
"""
INI = (
    "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    "filterwarnings = error\n"
)

#: The classes of the case being run, read by the generated inner test module.
CLASSES: dict[str, type] = {}


def _classes(case: Case) -> dict[str, type]:
    tests = case.tests
    if case.tests == ("test_behaves_like_a_model_lock",):
        tests = STATE_MACHINE_TESTS
    made = {f"TestRef_{n}": make() for n, make in case.references.items()}
    made["TestBroken"] = case.broken()
    return {
        name: type(name, (cls,), {"only": tests, **case.attributes}) for name, cls in made.items()
    }


def _outcomes(recorder: pytest.HookRecorder) -> dict[str, dict[str, list[str]]]:
    outcomes: dict[str, dict[str, list[str]]] = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        cls, test = report.nodeid.split("::")[1:3]
        case = outcomes.setdefault(cls, {"failed": [], "passed": []})
        if report.failed:
            case["failed"].append(f"{test} ({report.when})")
        elif report.passed and report.when == "call":
            case["passed"].append(test)
    return outcomes


@pytest.mark.parametrize("name", list(CASES))
def test_new_test_catches_the_broken_provider_and_references_pass(
    name: str, pytester: pytest.Pytester
) -> None:
    case = CASES[name]
    CLASSES.clear()
    CLASSES.update(_classes(case))
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_generated=f"import sys\nglobals().update(sys.modules[{__name__!r}].CLASSES)\n"
    )
    broken.LoopBound.instances.clear()
    recorder = pytester.inline_run("-p", "no:cacheprovider", "-p", "no:omnicloud", "-q")
    outcomes = _outcomes(recorder)
    assert outcomes.get("TestBroken", {}).get("failed"), f"{name}: the broken provider passed"
    for reference in CLASSES:
        if reference == "TestBroken":
            continue
        result = outcomes.get(reference, {"failed": ["not run"], "passed": []})
        assert result["failed"] == [], f"{name}: {reference} failed {result['failed']}"
        assert result["passed"], f"{name}: {reference} ran none of {case.tests}"
    closes = [p.closed for p in broken.LoopBound.instances]
    assert all(count <= 1 for count in closes), "a provider was closed twice"
    if name == "private-loop-providers-closed-on-their-loop":
        assert closes.count(1) > len(STATE_MACHINES), "providers were not closed on their loop"
