"""A local HTTP server serving the subset of the Kubernetes API that omnicloud uses.

No API server can run on this machine, so this one fake stands in for it, for both users of the
API: the kubernetes executor (namespaces and Jobs; a fake kubelet runs each completion index's
container command as a local process, the ``emptyDir`` results volume a fresh temporary folder,
its stdout the pod log) and the kubernetes provisioner (namespaces listed by label, Deployments
and Services; a Deployment's pod turns Ready on the second poll, or crash-loops).
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeCluster:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.jobs: dict[tuple[str, str], dict[str, Any]] = {}
        #: Deployments and Services by (namespace, "deployments" | "services", name).
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}
        self.logs: dict[str, str] = {}
        self.lost_indexes: set[int] = set()  # pods that die without output (node lost)
        self.hang = False  # jobs never finish
        self.forbid: set[str] = set()  # "METHOD path-prefix" answered 403
        self.lock = threading.Lock()
        # The provisioner's side: bodies of every POST by path, and how Deployment pods behave.
        self.bodies: dict[str, Any] = {}
        self.pod_behaviour = "ready-on-second-poll"  # or "crash", or "pending" (never Ready)
        self.polls = 0

    def add_namespace(self, name: str, labels: dict[str, str]) -> None:
        self.namespaces[name] = {"metadata": {"name": name, "labels": labels}}

    def labels_of(self, namespace: str) -> dict[str, str]:
        labels: dict[str, str] = self.namespaces[namespace]["metadata"].get("labels") or {}
        return labels

    # -- the provisioner's Deployments -----------------------------------------------------------
    def deployment_pod(self, namespace: str, deployment: dict[str, Any]) -> dict[str, Any]:
        """The Deployment's one pod as this poll sees it (Ready from the second poll on)."""
        self.polls += 1
        name = f"{deployment['metadata']['name']}-7d9f-x2"
        self.logs[name] = "Server initialized\nFATAL: config broken\n"
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if self.pod_behaviour == "crash":
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            waiting = {"reason": "CrashLoopBackOff", "message": "back-off 40s"}
            status: dict[str, Any] = {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": container["name"],
                        "image": container["image"],
                        "imageID": "",
                        "ready": False,
                        "restartCount": 3,
                        "state": {"waiting": waiting},
                    }
                ],
            }
        else:
            ready = "True" if self.polls >= 2 and self.pod_behaviour != "pending" else "False"
            phase = "Running" if ready == "True" else "Pending"
            status = {"phase": phase, "conditions": [{"type": "Ready", "status": ready}]}
        return {
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "status": status,
        }

    # -- the fake kubelet ---------------------------------------------------------------------
    def start_job(self, namespace: str, job: dict[str, Any]) -> None:
        job["status"] = {"active": job["spec"]["completions"]}
        if not self.hang:
            threading.Thread(target=self._run_job, args=(namespace, job), daemon=True).start()

    def _run_job(self, namespace: str, job: dict[str, Any]) -> None:
        # Pods of one Job run side by side, as the kubelets of a cluster would run them.
        from concurrent.futures import ThreadPoolExecutor

        indexes = range(job["spec"]["completions"])
        with ThreadPoolExecutor(max_workers=job["spec"]["parallelism"]) as pool:
            phases = list(pool.map(lambda i: self._run_pod(namespace, job, i), indexes))
        succeeded, failed = phases.count("Succeeded"), phases.count("Failed")
        with self.lock:
            condition = "Complete" if failed == 0 else "Failed"
            job["status"] = {
                "succeeded": succeeded,
                "failed": failed,
                "conditions": [{"type": condition, "status": "True"}],
            }

    def _run_pod(self, namespace: str, job: dict[str, Any], index: int) -> str:
        name = f"{job['metadata']['name']}-{index}-abcde"
        template = job["spec"]["template"]["spec"]
        container = template["containers"][0]
        pod: dict[str, Any] = {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"batch.kubernetes.io/job-name": job["metadata"]["name"]},
                "annotations": {"batch.kubernetes.io/job-completion-index": str(index)},
                "creationTimestamp": "2026-01-01T00:00:00Z",
            },
            "spec": {"containers": [{"name": "shard", "image": container["image"]}]},
            "status": {"phase": "Running"},
        }
        with self.lock:
            self.pods[name] = pod
        if index in self.lost_indexes:
            phase, log = "Failed", ""
        else:
            phase, log = self._execute(container, index)
        with self.lock:
            pod["status"]["phase"] = phase
            self.logs[name] = log
        return phase

    def _execute(self, container: dict[str, Any], index: int) -> tuple[str, str]:
        with tempfile.TemporaryDirectory() as volume:
            mount = container["volumeMounts"][0]["mountPath"]
            command = [part.replace(mount, volume) for part in container["command"]]
            command = [sys.executable if part == "python" else part for part in command]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_NODE", "OMNI"))}
            env.update({e["name"]: e["value"] for e in container["env"]})
            env["JOB_COMPLETION_INDEX"] = str(index)
            done = subprocess.run(
                command,
                cwd=container.get("workingDir"),
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        return ("Succeeded" if done.returncode == 0 else "Failed"), done.stdout


def _handler(cluster: FakeCluster) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any, content: str = "application/json") -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", content)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def _route(self, method: str) -> None:
            url = urlparse(self.path)
            parts = url.path.strip("/").split("/")
            cluster.requests.append((method, url.path))
            if any(f"{method} {url.path}".startswith(f) for f in cluster.forbid):
                self._send(403, {"kind": "Status", "code": 403, "reason": "Forbidden"})
                return
            with cluster.lock:
                answer = route(cluster, method, parts, parse_qs(url.query), self._body)
            if answer is None:
                self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
            elif isinstance(answer[1], str):
                self._send(answer[0], answer[1], "text/plain")
            else:
                self._send(*answer)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler


STATUS = {"kind": "Status", "apiVersion": "v1", "status": "Success"}
Answer = tuple[int, Any] | None


def route(
    cluster: FakeCluster, method: str, parts: list[str], query: dict[str, list[str]], body: Any
) -> Answer:
    if method == "POST":
        received = body()
        cluster.bodies["/" + "/".join(parts)] = received
        body = lambda: received  # noqa: E731 - the body is read once, routes read it again
    if parts[:3] == ["api", "v1", "namespaces"]:
        return _core(cluster, method, parts, query, body)
    if parts[:4] == ["apis", "batch", "v1", "namespaces"] and parts[5:6] == ["jobs"]:
        return _batch(cluster, method, parts, body)
    if parts[:4] == ["apis", "apps", "v1", "namespaces"] and parts[5:6] == ["deployments"]:
        return _created_or_deleted(cluster, method, parts[4:], body)
    return None


def _selected(labels: dict[str, str], query: dict[str, list[str]]) -> bool:
    """``labelSelector`` ``key=value`` or ``key`` (the label exists)."""
    key, equals, value = query.get("labelSelector", [""])[0].partition("=")
    return key in labels and (not equals or labels[key] == value)


def _core(
    cluster: FakeCluster, method: str, parts: list[str], query: dict[str, list[str]], body: Any
) -> Answer:
    if len(parts) <= 4:
        return _namespaces(cluster, method, parts[3:], query, body)
    if parts[4] == "services":
        return _created_or_deleted(cluster, method, parts[3:], body)
    if method == "GET" and parts[4:] == ["pods"]:
        return _pods(cluster, parts[3], query)
    if method == "GET" and len(parts) == 7 and parts[4] == "pods" and parts[6] == "log":
        return (200, cluster.logs[parts[5]]) if parts[5] in cluster.logs else None
    return None


def _namespaces(
    cluster: FakeCluster, method: str, name: list[str], query: dict[str, list[str]], body: Any
) -> Answer:
    if method == "POST" and not name:
        manifest = body()
        cluster.namespaces[manifest["metadata"]["name"]] = manifest
        return 201, manifest
    if method == "GET" and not name:
        items = [
            {"metadata": {"name": n, "labels": cluster.labels_of(n)}}
            for n in cluster.namespaces
            if _selected(cluster.labels_of(n), query)
        ]
        return 200, {"kind": "NamespaceList", "apiVersion": "v1", "items": items}
    if method == "DELETE" and name:
        return (200, STATUS) if cluster.namespaces.pop(name[0], None) else None
    return None


def _pods(cluster: FakeCluster, namespace: str, query: dict[str, list[str]]) -> Answer:
    """The executor's Job pods and the provisioner's Deployment pods, selected by label."""
    deployed = [
        cluster.deployment_pod(namespace, manifest)
        for (where, kind, _), manifest in cluster.objects.items()
        if where == namespace and kind == "deployments"
    ]
    items = [
        pod
        for pod in [*cluster.pods.values(), *deployed]
        if pod["metadata"]["namespace"] == namespace and _selected(pod["metadata"]["labels"], query)
    ]
    return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items}


def _created_or_deleted(cluster: FakeCluster, method: str, path: list[str], body: Any) -> Answer:
    """Deployments and Services (``path`` = namespace, kind[, name]): stored when created,
    forgotten when deleted."""
    namespace, kind = path[0], path[1]
    if method == "POST" and len(path) == 2:
        manifest = body()
        cluster.objects[(namespace, kind, manifest["metadata"]["name"])] = manifest
        return 201, manifest
    if method == "DELETE" and len(path) == 3:
        gone = cluster.objects.pop((namespace, kind, path[2]), None)
        # Deleting a Service answers the Service (the client reads a V1Service), others a Status.
        return None if gone is None else (200, gone if kind == "services" else STATUS)
    return None


def _batch(cluster: FakeCluster, method: str, parts: list[str], body: Any) -> Answer:
    namespace = parts[4]
    if method == "POST" and len(parts) == 6:
        if namespace not in cluster.namespaces:
            return None
        job = body()
        cluster.jobs[(namespace, job["metadata"]["name"])] = job
        cluster.start_job(namespace, job)
        return 201, job
    job = cluster.jobs.get((namespace, parts[6])) if len(parts) > 6 else None
    if job is not None and method == "GET" and parts[7:] == ["status"]:
        return 200, job
    if job is not None and method == "DELETE" and len(parts) == 7:
        del cluster.jobs[(namespace, parts[6])]
        return 200, STATUS
    return None


@contextmanager
def serve(cluster: FakeCluster) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(cluster))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
