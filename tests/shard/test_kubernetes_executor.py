"""Kubernetes executor: pure manifests validated by the client's models; the API flow against a
local HTTP server (no API server can run here, see docs/scale-out.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from shard_helpers import QUIET_PLUGINS, run_pytest

from fake_kube import FakeCluster, serve
from omnicloud.config.models import KubernetesExecutorConfig
from omnicloud.errors import InfrastructureError
from omnicloud.executors import executor_class
from omnicloud.executors.kubernetes import (
    KubernetesExecutor,
    job_finished,
    job_manifest,
    namespace_manifest,
    pods_by_index,
)
from omnicloud.executors.pod import extract_junit, frame_junit
from omnicloud.kube import validate_manifest
from omnicloud.shard.junit import case_id, case_outcome, cases, read_junit


def config(**overrides: object) -> KubernetesExecutorConfig:
    values: dict[str, object] = {"image": "registry.local/acme/certify:1", "shards": 3}
    values.update(overrides)
    return KubernetesExecutorConfig.model_validate(values)


def test_the_job_is_indexed_one_pod_per_shard_with_image_and_resources() -> None:
    job = job_manifest(
        config(resources={"cpu": "1", "memory": "1Gi"}, service_account="ci"),
        name="omnicloud-r1",
        namespace="ns",
        run_id="R1",
    )
    model = validate_manifest(job)
    assert model.spec.completion_mode == "Indexed"
    assert (model.spec.completions, model.spec.parallelism) == (3, 3)
    assert model.spec.backoff_limit_per_index == 0
    pod = model.spec.template.spec
    assert pod.restart_policy == "Never"
    assert pod.service_account_name == "ci"
    (container,) = pod.containers
    assert container.image == "registry.local/acme/certify:1"
    assert container.resources.requests == {"cpu": "1", "memory": "1Gi"}
    assert {e.name: e.value for e in container.env}["OMNICLOUD_SHARD_COUNT"] == "3"
    assert container.command == [
        "python",
        "-m",
        "omnicloud.executors.pod",
        "--results",
        "/results",
        "--",
        "omnicloud",
        "certify",
        "--results-dir",
        "/results",
    ]
    assert model.metadata.labels["omnicloud.run-id"] == "r1"


def test_the_namespace_manifest_validates() -> None:
    assert (
        validate_manifest(namespace_manifest("omnicloud-r1", "r1")).metadata.name == "omnicloud-r1"
    )


def test_a_field_the_model_does_not_know_is_refused() -> None:
    job = job_manifest(config(), name="j", namespace="ns", run_id="r")
    job["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Never"
    with pytest.raises(
        ValueError,
        match=r"unknown field spec\.template\.spec\.containers\[0\]"
        r"\.imagePullPolicyy",
    ):
        validate_manifest(job)


def test_without_an_image_the_error_names_the_key() -> None:
    with pytest.raises(InfrastructureError, match=r"executors\.kubernetes\.image is not set"):
        job_manifest(config(image=None), name="j", namespace="ns", run_id="r")


def test_junit_survives_the_pod_log_framing() -> None:
    data = b'<testsuites><testsuite name="x"/></testsuites>' * 200
    log = "collected 3 items\n" + frame_junit("junit.xml", data) + "bye\n"
    assert extract_junit(log) == {"junit.xml": data}
    truncated = frame_junit("cut.xml", data).splitlines()[:-2]
    assert extract_junit("\n".join(truncated)) == {}


def test_job_status_and_pod_choice_are_pure() -> None:
    assert not job_finished({"active": 2, "succeeded": 1}, 3)
    assert job_finished({"succeeded": 2, "failed": 1}, 3)
    assert job_finished({"active": 1, "conditions": [{"type": "Failed", "status": "True"}]}, 3)
    retried = [
        {
            "metadata": {
                "name": "a",
                "annotations": {"batch.kubernetes.io/job-completion-index": "0"},
                "creationTimestamp": "1",
            },
            "status": {"phase": "Succeeded"},
        },
        {
            "metadata": {
                "name": "b",
                "annotations": {"batch.kubernetes.io/job-completion-index": "0"},
                "creationTimestamp": "2",
            },
            "status": {"phase": "Failed"},
        },
    ]
    assert pods_by_index(retried)[0]["metadata"]["name"] == "a"


def test_the_executor_is_registered_by_name() -> None:
    assert executor_class("kubernetes") is KubernetesExecutor


def shard_config(project: Path, shards: int = 3, **overrides: object) -> KubernetesExecutorConfig:
    command = ["python", "-m", "pytest", *QUIET_PLUGINS, "-q", "--junitxml=/results/junit.xml"]
    return config(shards=shards, command=command, working_dir=str(project), **overrides)


# A pod that only writes its shard's JUnit: for flows where running real tests adds nothing.
QUICK_POD = [
    "python",
    "-c",
    "import os, pathlib; i = int(os.environ['JOB_COMPLETION_INDEX']) + 1;"
    " n = os.environ['OMNICLOUD_SHARD_COUNT'];"
    " pathlib.Path('/results/j.xml').write_text("
    'f\'<testsuites><testsuite><properties><property name="omnicloud.shard" value="{i}/{n}"/>\''
    ' f\'</properties><testcase classname="t" name="test_{i}"/></testsuite></testsuites>\')',
]


def test_shards_run_as_pods_and_merge_to_the_whole_suite(project: Path, tmp_path: Path) -> None:
    cluster = FakeCluster()
    with serve(cluster) as url:
        executor = KubernetesExecutor(shard_config(project, api_url=url), poll_interval=0.05)
        run = executor.run(results_dir=tmp_path / "results", run_id="Run-7")
    assert run.namespace == "omnicloud-run-7"
    assert run.merge.problems == []
    assert [p.name for p in run.junit_files] == [f"junit-shard-{i}-of-3.xml" for i in (1, 2, 3)]
    run_pytest(project, "--junitxml=whole.xml")
    whole = {case_id(c): case_outcome(c) for _s, c in cases(read_junit(project / "whole.xml"))}
    assert run.merge.outcomes == whole
    assert run.pod_phases == {0: "Succeeded", 1: "Succeeded", 2: "Succeeded"}
    calls = [c for c in cluster.requests if c[0] != "GET"]
    assert calls == [
        ("POST", "/api/v1/namespaces"),
        ("POST", "/apis/batch/v1/namespaces/omnicloud-run-7/jobs"),
        ("DELETE", "/apis/batch/v1/namespaces/omnicloud-run-7/jobs/omnicloud-run-7"),
        ("DELETE", "/api/v1/namespaces/omnicloud-run-7"),
    ]
    assert cluster.namespaces == {}
    assert cluster.jobs == {}


def test_a_lost_pod_is_a_missing_shard_and_everything_is_cleaned_up(
    project: Path, tmp_path: Path
) -> None:
    cluster = FakeCluster()
    cluster.lost_indexes = {1}
    with serve(cluster) as url:
        run = KubernetesExecutor(shard_config(project, api_url=url), poll_interval=0.05).run(
            QUICK_POD, results_dir=tmp_path, run_id="r2"
        )
    assert run.merge.missing_shards == (2,)
    assert run.merge.problems == ["missing shard(s) 2/3: expected 3, got 2"]
    assert run.pod_phases[1] == "Failed"
    assert cluster.namespaces == {}


def test_a_job_that_never_finishes_times_out_naming_the_key_and_cleans_up(
    project: Path, tmp_path: Path
) -> None:
    cluster = FakeCluster()
    cluster.hang = True
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with serve(cluster) as url:
        executor = KubernetesExecutor(
            shard_config(project, api_url=url, timeout="10s"),
            poll_interval=4,
            clock=lambda: now[0],
            sleep=sleep,
        )
        with pytest.raises(InfrastructureError) as caught:
            executor.run(results_dir=tmp_path, run_id="r3")
    assert caught.value.message == (
        "Kubernetes Job omnicloud-r3/omnicloud-r3 did not finish within 10s"
        " (executors.kubernetes.timeout)"
    )
    assert cluster.namespaces == {}
    assert cluster.jobs == {}


def test_an_api_refusal_is_an_infrastructure_error_and_the_namespace_is_removed(
    project: Path, tmp_path: Path
) -> None:
    cluster = FakeCluster()
    cluster.forbid = {"POST /apis/batch/v1/"}
    with serve(cluster) as url, pytest.raises(InfrastructureError) as caught:
        KubernetesExecutor(shard_config(project, api_url=url)).run(
            results_dir=tmp_path, run_id="r4"
        )
    assert caught.value.message == "Kubernetes API: create job failed: 403 Forbidden"
    assert ("DELETE", "/api/v1/namespaces/omnicloud-r4") in cluster.requests
    assert cluster.namespaces == {}


def test_an_existing_namespace_is_used_and_kept(project: Path, tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.namespaces["team-ci"] = {"metadata": {"name": "team-ci"}}
    with serve(cluster) as url:
        run = KubernetesExecutor(
            shard_config(project, shards=2, api_url=url, namespace="team-ci"), poll_interval=0.05
        ).run(QUICK_POD, results_dir=tmp_path, run_id="r5")
    assert run.merge.problems == []
    assert sorted(run.merge.outcomes) == ["t::test_1", "t::test_2"]
    assert list(cluster.namespaces) == ["team-ci"]
    assert ("POST", "/api/v1/namespaces") not in cluster.requests


def test_without_the_client_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from omnicloud import kube

    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(InfrastructureError) as caught:
        kube.validate_manifest({"kind": "Job"})
    assert caught.value.hint == "pip install 'open-omni-cloud-tck[kubernetes]'"


def test_an_unreachable_api_server_is_an_infrastructure_error(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from kubernetes.client import ApiClient, Configuration

    configuration = Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    configuration.retries = 0
    executor = KubernetesExecutor(shard_config(project), api_client=ApiClient(configuration))
    with pytest.raises(InfrastructureError) as caught:
        executor.run(results_dir=tmp_path, run_id="r6")
    assert caught.value.message.startswith(
        "Kubernetes API: create namespace failed: cannot reach the API server"
    )
    # Cleanup could not reach the server either: it says so, without hiding the first error.
    assert "run: kubectl delete namespace omnicloud-r6" in capsys.readouterr().err
