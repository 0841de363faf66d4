"""A base for hand-written integration tests (seed 003): declared services, polling helpers.

```python
from typing import ClassVar
from omnicloud.testing import IntegrationTestBase, ServiceRequirement

class TestOrders(IntegrationTestBase):
    required_services: ClassVar[list[ServiceRequirement]] = [
        ServiceRequirement(name="postgres", port=5432),
    ]

    def test_something(self) -> None:
        assert self.namespace.startswith("testorders-")
```

Every test checks its required services first and FAILS (never skips) when one does not answer:
a missing service is an infrastructure problem to fix, not a reason to pass. Hosts are resolved
from the services omnicloud provisioned for the run (``$OMNICLOUD_ENDPOINTS``), then
``$OMNICLOUD_<NAME>_HOST``, then the in-cluster DNS name ``<name>.<namespace>.svc.cluster.local``
when running inside Kubernetes, then ``localhost``.

One deliberate difference from the seed: generated namespaces are ``<prefix>-<8 hex>`` (a hyphen,
not an underscore), because an underscore is not valid in a DNS-1123 label and Kubernetes would
reject the namespace.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from abc import ABC
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DEFAULT_NAMESPACE = "omnicloud-test"


def _dns_label(value: str) -> str:
    if len(value) > 63 or not DNS_1123_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lowercase letters, digits and '-', starting and"
            " ending with a letter or digit, at most 63 characters)"
        )
    return value


class ServiceRequirement(BaseModel):
    """A service an integration test needs."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(..., min_length=1, description="Service name (e.g. 'postgres').")
    port: int = Field(..., ge=1, le=65535, description="Service port.")
    namespace: str = Field(DEFAULT_NAMESPACE, description="Kubernetes namespace (DNS-1123).")

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return _dns_label(value)


class PollingConfig(BaseModel):
    """How long and how often to poll."""

    model_config = ConfigDict(frozen=True)

    timeout: float = Field(30.0, ge=1.0, description="Max wait time in seconds.")
    interval: float = Field(0.5, ge=0.1, description="Poll interval in seconds.")
    description: str = Field("condition", description="Named in the timeout message.")


def wait_for_condition(condition: Callable[[], bool], config: PollingConfig | None = None) -> bool:
    """Poll ``condition`` until it returns true; ``TimeoutError`` when it never does.

    An exception raised by ``condition`` counts as "not yet" and is named in the timeout message.
    """
    config = config or PollingConfig()
    deadline = time.monotonic() + config.timeout
    last_error = ""
    while True:
        try:
            if condition():
                return True
        except Exception as exc:
            last_error = f"; last error: {type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"timed out after {config.timeout:g}s waiting for {config.description}{last_error}"
            )
        time.sleep(min(config.interval, max(0.0, deadline - time.monotonic())))


def resolve_service(
    service: str,
    port: int,
    namespace: str = DEFAULT_NAMESPACE,
    environ: dict[str, str] | None = None,
) -> tuple[str, int]:
    """Where to reach ``service``: provisioned endpoint, env override, cluster DNS, localhost."""
    from omnicloud.endpoints import load_endpoints

    env = dict(os.environ if environ is None else environ)
    endpoint = load_endpoints(env).get(service)
    if endpoint and "host" in endpoint and "port" in endpoint:
        return str(endpoint["host"]), int(endpoint["port"])
    override = env.get(f"OMNICLOUD_{service.upper().replace('-', '_')}_HOST")
    if override:
        return override, port
    if env.get("KUBERNETES_SERVICE_HOST"):
        return f"{service}.{namespace}.svc.cluster.local", port
    return "localhost", port


def _accepts(host: str, port: int, timeout: float = 1.0) -> bool:
    with socket.create_connection((host, port), timeout):
        return True


def wait_for_service(
    service: str, port: int, namespace: str = DEFAULT_NAMESPACE, config: PollingConfig | None = None
) -> None:
    """Wait until ``service`` accepts TCP connections; ``TimeoutError`` otherwise."""
    _dns_label(namespace)
    host, real_port = resolve_service(service, port, namespace)
    base = config or PollingConfig()
    described = base.model_copy(
        update={"description": f"service '{service}' at {host}:{real_port} (namespace {namespace})"}
    )
    wait_for_condition(lambda: _accepts(host, real_port), described)


class IntegrationTestBase(ABC):  # noqa: B024 - abstract by intent, nothing to override
    """Base class for integration tests that need real services.

    Provides service checks before each test (failing, not skipping), a unique DNS-1123
    namespace per test (``self.namespace``), and cleanup callbacks run after each test
    (``self.add_cleanup``), last registered first.
    """

    required_services: ClassVar[list[ServiceRequirement]] = []
    _namespace: str | None = None

    @classmethod
    def generate_unique_namespace(cls, prefix: str = "test") -> str:
        """``"<prefix>-<8 hex>"``; the prefix is lowercased and cut so the result is a label."""
        clean = re.sub(r"[^a-z0-9-]+", "-", prefix.lower()).strip("-")[:54] or "test"
        return _dns_label(f"{clean}-{uuid.uuid4().hex[:8]}")

    @property
    def namespace(self) -> str:
        if self._namespace is None:
            raise RuntimeError("namespace is only available while a test runs")
        return self._namespace

    def check_infrastructure(self, service: str, port: int) -> None:
        """Fail the test (never skip) when ``service`` does not accept connections."""
        namespace = next(
            (r.namespace for r in self.required_services if r.name == service), DEFAULT_NAMESPACE
        )
        host, real_port = resolve_service(service, port, namespace)
        try:
            _accepts(host, real_port)
        except OSError as exc:
            pytest.fail(
                f"required service '{service}' is not available at {host}:{real_port}: {exc}."
                " Start it ('omnicloud env up' and export OMNICLOUD_ENDPOINTS, or set"
                f" OMNICLOUD_{service.upper().replace('-', '_')}_HOST)",
                pytrace=False,
            )

    def add_cleanup(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` after this test, whatever its outcome."""
        self.__dict__.setdefault("_cleanups", []).append(callback)

    def setup_method(self) -> None:
        """Verify every required service, then give the test its namespace."""
        self._namespace = self.generate_unique_namespace(type(self).__name__)
        for requirement in self.required_services:
            self.check_infrastructure(requirement.name, requirement.port)

    def teardown_method(self) -> None:
        """Run the cleanups (last first); every one runs even if another fails."""
        cleanups: list[Callable[[], Any]] = self.__dict__.pop("_cleanups", [])
        errors: list[BaseException] = []
        for callback in reversed(cleanups):
            try:
                callback()
            except Exception as exc:
                errors.append(exc)
        self._namespace = None
        if errors:
            raise errors[0]


__all__ = [
    "IntegrationTestBase",
    "PollingConfig",
    "ServiceRequirement",
    "resolve_service",
    "wait_for_condition",
    "wait_for_service",
]
