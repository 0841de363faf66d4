"""``kubernetes``: the N shards of a run as one Indexed Job, one pod per shard.

    [executors.kubernetes]
    image = "registry.local/acme/certify:1.4"
    shards = 4
    resources = { cpu = "1", memory = "1Gi" }

The Job (``completionMode: Indexed``) gives each pod ``JOB_COMPLETION_INDEX``; the manifest adds
``OMNICLOUD_SHARD_COUNT``, so the pytest plugin in the pod selects its duration-balanced shard
with no extra argument. Each pod runs ``python -m omnicloud.executors.pod``, which prints its
JUnit framed in the pod log; the executor reads every pod's log, writes
``junit-shard-<i>-of-<N>.xml``, merges them (missing or duplicated shards are reported) and
deletes the Job and the namespace it created, also after a failure or Ctrl-C.

Manifests are pure functions checked against the official client's models. No Kubernetes API
server can run where this project is developed and tested: the API interaction is tested
against a local HTTP server that serves the subset of the API used here (see
docs/scale-out.md).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnicloud.config.models import KubernetesExecutorConfig
from omnicloud.errors import InfrastructureError
from omnicloud.executors.pod import extract_junit
from omnicloud.kube import MANAGED_LABEL, api_client, client_module, dns_label, validate_manifest
from omnicloud.kube import namespace_manifest as _namespace_manifest
from omnicloud.merge import MergeResult, merge_junit
from omnicloud.provision.base import RUN_ID_LABEL

INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
RESULTS_PATH = "/results"


# -- pure manifests ------------------------------------------------------------------------------


def labels_for(run_id: str) -> dict[str, str]:
    return {RUN_ID_LABEL: dns_label(run_id), MANAGED_LABEL: "omnicloud"}


def namespace_manifest(name: str, run_id: str) -> dict[str, Any]:
    return _namespace_manifest(name, labels_for(run_id))


def pod_command(command: Sequence[str], results: str = RESULTS_PATH) -> list[str]:
    """The container command: the pod entry point wrapping ``command``."""
    return [
        "python",
        "-m",
        "omnicloud.executors.pod",
        "--results",
        results,
        "--",
        *command,
        *(["--results-dir", results] if _is_certify(command) else []),
    ]


def job_manifest(
    config: KubernetesExecutorConfig, *, name: str, namespace: str, run_id: str
) -> dict[str, Any]:
    """The Indexed Job running ``config.shards`` shards of ``config.command``."""
    if not config.image:
        raise InfrastructureError(
            "executors.kubernetes.image is not set: the pods need an image holding omnicloud"
            " and the provider code",
            hint='set [executors.kubernetes] image = "registry/acme/certify:1.0"',
        )
    env = {**config.env, "OMNICLOUD_SHARD_COUNT": str(config.shards), "PYTHONUNBUFFERED": "1"}
    container: dict[str, Any] = {
        "name": "shard",
        "image": config.image,
        "command": pod_command(config.command),
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "volumeMounts": [{"name": "results", "mountPath": RESULTS_PATH}],
    }
    if config.working_dir:
        container["workingDir"] = config.working_dir
    if config.resources:
        container["resources"] = {
            "requests": dict(config.resources),
            "limits": dict(config.resources),
        }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [container],
        "volumes": [{"name": "results", "emptyDir": {}}],
    }
    if config.service_account:
        pod_spec["serviceAccountName"] = config.service_account
    labels = labels_for(run_id)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "completionMode": "Indexed",
            "completions": config.shards,
            "parallelism": config.parallelism or config.shards,
            # A shard's retries are its own: one broken pod does not fail the other shards.
            "backoffLimitPerIndex": config.retries,
            "activeDeadlineSeconds": max(1, int(config.timeout)),
            "ttlSecondsAfterFinished": 3600,  # a safety net if our cleanup never runs
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def _is_certify(command: Sequence[str]) -> bool:
    return len(command) >= 2 and Path(command[0]).name == "omnicloud" and command[1] == "certify"


# -- job status and pods (pure) ------------------------------------------------------------------


def job_finished(status: Mapping[str, Any], completions: int) -> bool:
    """True when every index succeeded or failed for good, or the Job itself failed."""
    for condition in status.get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return True
    return int(status.get("succeeded") or 0) + int(
        status.get("failed") or 0
    ) >= completions and not status.get("active")


def pods_by_index(pods: Sequence[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """One pod per completion index: the succeeded one, else the newest attempt."""
    chosen: dict[int, Mapping[str, Any]] = {}
    for pod in sorted(pods, key=_pod_order):
        meta = pod.get("metadata") or {}
        raw = (meta.get("annotations") or {}).get(INDEX_ANNOTATION)
        if raw is None or not str(raw).isdigit():
            continue
        chosen[int(raw)] = pod
    return chosen


def _pod_order(pod: Mapping[str, Any]) -> tuple[int, str]:
    phase = (pod.get("status") or {}).get("phase")
    created = str((pod.get("metadata") or {}).get("creationTimestamp") or "")
    return (1 if phase == "Succeeded" else 0, created)


# -- the executor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KubernetesRun:
    """What a run produced: the shard files collected, the merge, and where it ran."""

    namespace: str
    job: str
    junit_files: tuple[Path, ...]
    merge: MergeResult
    pod_phases: dict[int, str]


class KubernetesExecutor:
    """Runs the shards as an Indexed Job and merges their JUnit."""

    name = "kubernetes"

    def __init__(
        self,
        config: KubernetesExecutorConfig,
        *,
        api_client: Any = None,
        poll_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._api_client = api_client
        self.poll_interval = poll_interval
        self._clock = clock
        self._sleep = sleep

    def run(self, command: Sequence[str] = (), *, results_dir: Path, run_id: str) -> KubernetesRun:
        """Run, collect, merge, clean up. ``command`` overrides ``config.command``."""
        config = (
            self.config.model_copy(update={"command": list(command)}) if command else self.config
        )
        client = self._api_client or _api_client(config)
        kubernetes = _client_module()
        core = kubernetes.client.CoreV1Api(client)
        batch = kubernetes.client.BatchV1Api(client)
        name = dns_label(f"omnicloud-{run_id}", 52)  # leaves room for pod name suffixes
        namespace = config.namespace or dns_label(f"omnicloud-{run_id}")
        job = job_manifest(config, name=name, namespace=namespace, run_id=run_id)
        validate_manifest(job)
        with self._cleanup(core, batch, namespace, name, created=config.namespace is None):
            if config.namespace is None:
                ns = namespace_manifest(namespace, run_id)
                validate_manifest(ns)
                _call("create namespace", core.create_namespace, ns)
            _call("create job", batch.create_namespaced_job, namespace, job)
            self._wait(batch, namespace, name, config)
            files, phases = self._collect(core, namespace, name, config.shards, results_dir)
        return KubernetesRun(namespace, name, tuple(files), _merge(files, config.shards), phases)

    def _wait(
        self, batch: Any, namespace: str, name: str, config: KubernetesExecutorConfig
    ) -> None:
        deadline = self._clock() + config.timeout
        while True:
            job = _call("read job status", batch.read_namespaced_job_status, name, namespace)
            status = _as_dict(job).get("status") or {}
            if job_finished(status, config.shards):
                return
            if self._clock() >= deadline:
                raise InfrastructureError(
                    f"Kubernetes Job {namespace}/{name} did not finish within"
                    f" {config.timeout:.0f}s (executors.kubernetes.timeout)",
                    hint=f"kubectl -n {namespace} get pods -l {JOB_NAME_LABEL}={name}",
                )
            self._sleep(self.poll_interval)

    def _collect(
        self, core: Any, namespace: str, name: str, shards: int, results_dir: Path
    ) -> tuple[list[Path], dict[int, str]]:
        listing = _call(
            "list pods",
            core.list_namespaced_pod,
            namespace,
            label_selector=f"{JOB_NAME_LABEL}={name}",
        )
        pods = pods_by_index(_as_dict(listing).get("items") or [])
        results_dir.mkdir(parents=True, exist_ok=True)
        files, phases = [], {}
        for index, pod in sorted(pods.items()):
            phases[index] = str((pod.get("status") or {}).get("phase"))
            pod_name = pod["metadata"]["name"]
            log = _call("read pod log", core.read_namespaced_pod_log, pod_name, namespace)
            for payload in extract_junit(str(log)).values():
                path = results_dir / f"junit-shard-{index + 1}-of-{shards}.xml"
                path.write_bytes(payload)
                files.append(path)
                break
        return files, phases

    @contextlib.contextmanager
    def _cleanup(
        self, core: Any, batch: Any, namespace: str, name: str, created: bool
    ) -> Iterator[None]:
        try:
            yield
        finally:
            with _reporting_leftover(f"kubectl -n {namespace} delete job {name}"):
                batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
            if created:
                with _reporting_leftover(f"kubectl delete namespace {namespace}"):
                    core.delete_namespace(namespace)


def _merge(files: Sequence[Path], shards: int) -> MergeResult:
    if not files:
        raise InfrastructureError(
            f"no shard of the Kubernetes Job produced JUnit (expected {shards})",
            hint="check the pod logs: the image must contain omnicloud and the provider code",
        )
    return merge_junit(files, expect=shards)


def _call(what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    import urllib3  # a dependency of the kubernetes client, so of the optional extra

    exceptions = _client_module().client.exceptions
    try:
        return function(*args, **kwargs)
    except exceptions.ApiException as exc:
        raise InfrastructureError(
            f"Kubernetes API: {what} failed: {exc.status} {exc.reason}",
            hint="check the context (executors.kubernetes.context) and RBAC permissions",
        ) from None
    except urllib3.exceptions.HTTPError as exc:
        raise InfrastructureError(
            f"Kubernetes API: {what} failed: cannot reach the API server ({type(exc).__name__})",
            hint="check executors.kubernetes.context / api_url and that the cluster is up",
        ) from None


@contextlib.contextmanager
def _reporting_leftover(remove_with: str) -> Iterator[None]:
    """Cleanup must not hide the error that ended the run: a failed delete (other than "already
    gone") is reported with the command that removes what is left."""
    import urllib3  # a dependency of the kubernetes client, so of the optional extra

    exceptions = _client_module().client.exceptions
    try:
        yield
    except exceptions.ApiException as exc:
        if exc.status != 404:
            print(
                f"warning: cleanup failed ({exc.status} {exc.reason}); run: {remove_with}",
                file=sys.stderr,
            )
    except urllib3.exceptions.HTTPError as exc:
        print(
            f"warning: cleanup failed ({type(exc).__name__}); run: {remove_with}", file=sys.stderr
        )


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    sanitized: dict[str, Any] = _client_module().client.ApiClient().sanitize_for_serialization(obj)
    return sanitized


def _client_module() -> Any:
    return client_module("executor")


def _api_client(config: KubernetesExecutorConfig) -> Any:
    return api_client(
        config.api_url,
        config.context,
        user="executor",
        hint="set KUBECONFIG, executors.kubernetes.context or executors.kubernetes.api_url",
    )
