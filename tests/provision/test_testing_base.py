"""Seed 003's testing base: validation rules, polling, and the integration test base class."""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from omnicloud.testing import (
    IntegrationTestBase,
    PollingConfig,
    ServiceRequirement,
    resolve_service,
    wait_for_condition,
    wait_for_service,
)


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_service_port_must_be_in_range(port: int) -> None:
    with pytest.raises(ValidationError, match="port"):
        ServiceRequirement(name="db", port=port)


@pytest.mark.parametrize("namespace", ["Test", "a_b", "-a", "a-", "x" * 64, ""])
def test_namespace_must_be_a_dns_1123_label(namespace: str) -> None:
    with pytest.raises(ValidationError, match="DNS-1123"):
        ServiceRequirement(name="db", port=1, namespace=namespace)


def test_valid_requirement_keeps_its_values() -> None:
    req = ServiceRequirement(name="db", port=65535, namespace="team-a")
    assert (req.name, req.port, req.namespace) == ("db", 65535, "team-a")
    assert ServiceRequirement(name="db", port=1).namespace == "omnicloud-test"


def test_polling_limits() -> None:
    with pytest.raises(ValidationError, match="timeout"):
        PollingConfig(timeout=0.9)
    with pytest.raises(ValidationError, match="interval"):
        PollingConfig(interval=0.09)
    assert PollingConfig(timeout=1.0, interval=0.1).interval == 0.1


def test_wait_for_condition_returns_true_once_the_condition_holds() -> None:
    calls = iter([False, False, True])
    assert wait_for_condition(lambda: next(calls), PollingConfig(interval=0.1)) is True


def test_wait_for_condition_times_out_naming_the_description_and_last_error() -> None:
    def probe() -> bool:
        raise ConnectionRefusedError("refused")

    config = PollingConfig(timeout=1.0, interval=0.5, description="the queue to drain")
    with pytest.raises(TimeoutError) as info:
        wait_for_condition(probe, config)
    assert str(info.value) == (
        "timed out after 1s waiting for the queue to drain; last error:"
        " ConnectionRefusedError: refused"
    )


@pytest.fixture
def listener() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield int(sock.getsockname()[1])
    sock.close()


def test_wait_for_service_uses_the_provisioned_endpoint(
    listener: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps({"cache": {"host": "127.0.0.1", "port": listener}}))
    monkeypatch.setenv("OMNICLOUD_ENDPOINTS", str(endpoints))
    assert resolve_service("cache", 6379) == ("127.0.0.1", listener)
    wait_for_service("cache", 6379)  # the declared port is replaced by the provisioned one


def test_wait_for_service_times_out_naming_service_and_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    monkeypatch.setenv("OMNICLOUD_GHOST_HOST", "127.0.0.1")
    with pytest.raises(
        TimeoutError,
        match=rf"service 'ghost' at 127.0.0.1:{port} \(namespace"
        r" team-a\)",
    ):
        wait_for_service("ghost", port, "team-a", PollingConfig(timeout=1.0, interval=0.2))


def test_in_cluster_hosts_use_service_dns() -> None:
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}
    assert resolve_service("polaris", 8181, "floe-test", env) == (
        "polaris.floe-test.svc.cluster.local",
        8181,
    )


def test_unique_namespaces_are_dns_labels() -> None:
    names = {IntegrationTestBase.generate_unique_namespace("My_Tests") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert name.startswith("my-tests-")
        ServiceRequirement(name="x", port=1, namespace=name)  # validates as DNS-1123


def test_missing_service_fails_rather_than_skips(
    pytester: pytest.Pytester, listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNICLOUD_UP_HOST", "127.0.0.1")
    monkeypatch.setenv("OMNICLOUD_DOWN_HOST", "127.0.0.1")
    pytester.makepyfile(
        test_it=textwrap.dedent(f"""
        from typing import ClassVar
        from omnicloud.testing import IntegrationTestBase, ServiceRequirement

        class TestUp(IntegrationTestBase):
            required_services: ClassVar[list[ServiceRequirement]] = [
                ServiceRequirement(name="up", port={listener})]

            def test_runs(self):
                assert self.namespace.startswith("testup-")

        class TestDown(IntegrationTestBase):
            required_services: ClassVar[list[ServiceRequirement]] = [
                ServiceRequirement(name="down", port=1)]

            def test_never_runs(self):
                raise AssertionError("must not run")
    """)
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:omnicloud")
    result.assert_outcomes(passed=1, errors=1, skipped=0)  # failed in setup, never skipped
    result.stdout.fnmatch_lines(["*required service 'down' is not available at 127.0.0.1:1*"])


def test_cleanups_run_last_first_even_when_one_fails() -> None:
    class TestThing(IntegrationTestBase):
        pass

    order: list[str] = []
    test = TestThing()
    test.setup_method()
    namespace = test.namespace
    test.add_cleanup(lambda: order.append("first"))
    test.add_cleanup(lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    test.add_cleanup(lambda: order.append("last"))
    with pytest.raises(RuntimeError, match="boom"):
        test.teardown_method()
    assert order == ["last", "first"]
    assert namespace.startswith("testthing-")
    with pytest.raises(RuntimeError, match="only available while a test runs"):
        _ = test.namespace
