"""The catalog of contract suites omnicloud can certify a provider against.

Pure data: importing this module imports no test code. The plugin imports ``suite`` (a
``module:Class`` path into ``tck_py``) only when it builds test classes. ``adapter`` names the
module that turns a configured provider into the suite's fixtures (see ``omnicloud.adapters``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from omnicloud.errors import did_you_mean, one_of


@dataclass(frozen=True)
class ContractSpec:
    """One contract suite: its config name, session alias, test class and fixture adapter."""

    name: str
    alias: str
    family: str
    suite: str
    kind: Literal["contract", "policy"] = "contract"
    adapter: str = "omnicloud.adapters.factory"
    fixture: str = "provider_factory"
    methods: tuple[str, ...] = ()
    sync_methods: tuple[str, ...] = ()
    description: str = ""

    @property
    def module(self) -> str:
        return self.suite.partition(":")[0]


_C = ContractSpec

CONTRACTS: dict[str, ContractSpec] = {
    spec.name: spec
    for spec in (
        _C(
            "kv_store",
            "kv",
            "primitives",
            "tck_py.primitives.kv_store:BaseTestKVStoreContract",
            methods=("get", "set", "delete"),
            description="key-value store",
        ),
        _C(
            "secrets",
            "secrets",
            "primitives",
            "tck_py.primitives.secrets:BaseTestSecretsContract",
            adapter="omnicloud.adapters.secrets",
            methods=("get",),
            description="secrets reader",
        ),
        _C(
            "object_storage",
            "objects",
            "primitives",
            "tck_py.primitives.object_storage:BaseTestObjectStorageContract",
            methods=("upload", "download", "delete"),
            description="object storage",
        ),
        _C(
            "cache",
            "cache",
            "primitives",
            "tck_py.primitives.cache:BaseTestCacheContract",
            methods=("get", "set", "delete"),
            description="cache with TTLs",
        ),
        _C(
            "document_database",
            "docs",
            "primitives",
            "tck_py.primitives.document_database:BaseTestDocumentDatabaseContract",
            adapter="omnicloud.adapters.document",
            methods=("insert_one", "find_one", "find_many", "update_one", "delete_one"),
            description="document database",
        ),
        _C(
            "producer",
            "producer",
            "messaging",
            "tck_py.messaging.producer:BaseTestProducerContract",
            adapter="omnicloud.adapters.messaging",
            methods=(),
            description="message producer",
        ),
        _C(
            "consumer",
            "consumer",
            "messaging",
            "tck_py.messaging.consumer:BaseTestConsumerContract",
            adapter="omnicloud.adapters.messaging",
            description="message consumer",
        ),
        _C(
            "delayed_messaging",
            "delayed",
            "messaging",
            "tck_py.messaging.delayed_messaging:BaseTestDelayedMessagingContract",
            adapter="omnicloud.adapters.messaging",
            description="delayed message delivery",
        ),
        _C(
            "transactional_outbox",
            "outbox",
            "resilience",
            "tck_py.resilience.transactional_outbox:BaseTestOutboxStorageContract",
            methods=(
                "save_event",
                "get_pending_unordered_events",
                "get_pending_events_for_aggregate",
                "get_pending_aggregate_keys",
                "mark_as_processed",
            ),
            description="transactional outbox storage",
        ),
        _C(
            "sagas",
            "sagas",
            "resilience",
            "tck_py.resilience.sagas:BaseTestSagaStateRepositoryContract",
            methods=("create_state", "get_state", "update_state"),
            description="saga state repository",
        ),
        _C(
            "distributed_lock",
            "lock",
            "resilience",
            "tck_py.resilience.distributed_lock:BaseTestDistributedLockContract",
            fixture="lock_manager_factory",
            sync_methods=("get_lock",),
            description="distributed lock",
        ),
        _C(
            "circuit_breaker",
            "breaker",
            "resilience",
            "tck_py.resilience.circuit_breaker:BaseTestCircuitBreakerContract",
            methods=("execute",),
            description="circuit breaker",
        ),
        _C(
            "tracing",
            "tracing",
            "observability",
            "tck_py.observability.tracing:BaseTestTracingContract",
            adapter="omnicloud.adapters.observability",
            fixture="instrumented_provider_factory",
            methods=("some_operation",),
            description="OpenTelemetry tracing",
        ),
        _C(
            "metrics",
            "metrics",
            "observability",
            "tck_py.observability.metrics:BaseTestMetricsContract",
            adapter="omnicloud.adapters.observability",
            fixture="instrumented_provider_factory",
            methods=("some_operation",),
            description="OpenTelemetry metrics",
        ),
        _C(
            "logging",
            "logging",
            "observability",
            "tck_py.observability.logging:BaseTestStructuredLoggingContract",
            adapter="omnicloud.adapters.observability",
            fixture="instrumented_provider_factory",
            methods=("some_operation_that_logs",),
            description="structured logging",
        ),
        _C(
            "iam",
            "iam",
            "security",
            "tck_py.security.iam:BaseTestIAMContract",
            methods=("is_allowed",),
            description="IAM policy evaluation",
        ),
        _C(
            "multi_tenancy",
            "tenancy",
            "policies",
            "tck_py.policies.multi_tenancy:TestMultiTenancyContractMixin",
            kind="policy",
            methods=("get", "set", "delete"),
            description="tenant isolation (policy mixin)",
        ),
    )
}

ALIASES: dict[str, str] = {spec.alias: spec.name for spec in CONTRACTS.values()}


def contract_names(kind: str | None = None) -> list[str]:
    return sorted(n for n, s in CONTRACTS.items() if kind is None or s.kind == kind)


def resolve_contract(name: str, *, kind: str | None = None) -> ContractSpec:
    """Look a contract up by name or session alias (``kv`` -> ``kv_store``)."""
    spec = CONTRACTS.get(name) or CONTRACTS.get(ALIASES.get(name, ""))
    if spec is None or (kind is not None and spec.kind != kind):
        names = contract_names(kind)
        raise LookupError(
            f"unknown {kind or 'contract'} '{name}'{did_you_mean(name, names)}"
            f" (accepted: {one_of(names)})"
        )
    return spec
