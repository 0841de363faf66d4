"""The Kubernetes client, shared by the kubernetes provisioner and the kubernetes executor.

One place for what both need: the ``kubernetes`` package (extra ``kubernetes``, imported on
first use with an error naming the extra), an ``ApiClient`` for an API URL or a kubeconfig
context (in-cluster config as fallback), DNS-1123 labels, the ``managed-by`` label, the namespace
manifest, and the validation of manifests against the client's own models.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

from omnicloud.errors import InfrastructureError

MANAGED_LABEL = "app.kubernetes.io/managed-by"
#: The client model each manifest kind must round-trip through.
MODEL_TYPES = {
    "Namespace": "V1Namespace",
    "Deployment": "V1Deployment",
    "Service": "V1Service",
    "Job": "V1Job",
}


def client_module(user: str = "support") -> Any:
    """The ``kubernetes`` package; ``user`` (provisioner, executor) names who needs it."""
    try:
        import kubernetes
    except ImportError:
        raise InfrastructureError(
            f"the kubernetes {user} needs the kubernetes client, which is not installed",
            hint="pip install 'open-omni-cloud-tck[kubernetes]'",
        ) from None
    return kubernetes


def api_client(
    api_url: str | None = None,
    context: str | None = None,
    *,
    user: str = "support",
    hint: str = "set KUBECONFIG or environments.<env>.context",
) -> Any:
    """An ``ApiClient`` for ``api_url`` or the kubeconfig ``context`` (in-cluster as fallback);
    ``hint`` says which settings to use when no cluster is configured."""
    kubernetes = client_module(user)
    if api_url:
        configuration = kubernetes.client.Configuration()
        configuration.host = api_url
        return kubernetes.client.ApiClient(configuration)
    try:
        kubernetes.config.load_kube_config(context=context)
    except Exception as kube_error:
        try:
            kubernetes.config.load_incluster_config()
        except kubernetes.config.ConfigException:
            raise InfrastructureError(
                f"no Kubernetes cluster is configured: {kube_error}",
                hint=hint,
            ) from None
    return kubernetes.client.ApiClient()


def dns_label(text: str, limit: int = 63) -> str:
    """``text`` as a DNS-1123 label: lowercase alphanumerics and '-', at most 63 characters."""
    out = "".join(c if c.isalnum() and c.isascii() else "-" for c in text.lower()).strip("-")
    return out[:limit].rstrip("-") or "x"


def namespace_manifest(name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A Namespace carrying ``labels`` and ``managed-by: omnicloud``."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**labels, MANAGED_LABEL: "omnicloud"}},
    }


class _Response:
    def __init__(self, data: str) -> None:
        self.data = data


def validate_manifest(manifest: Mapping[str, Any]) -> Any:
    """The client model for ``manifest``; raises ``ValueError`` on a missing required field, a
    wrong type, or a key the model does not know (found by a lossless round trip)."""
    api: Any = client_module().client.ApiClient()
    kind = str(manifest.get("kind"))
    if kind not in MODEL_TYPES:
        raise ValueError(f"unsupported manifest kind {kind!r}")
    text = json.dumps(manifest)
    if "response_text" in inspect.signature(api.deserialize).parameters:  # client >= 31
        model = api.deserialize(text, MODEL_TYPES[kind], "application/json")
    else:
        model = api.deserialize(_Response(text), MODEL_TYPES[kind])
    back = api.sanitize_for_serialization(model)
    if back != manifest:
        raise ValueError(
            f"{kind} manifest does not round-trip through {MODEL_TYPES[kind]}:"
            f" {_diff(manifest, back)}"
        )
    return model


def _diff(want: Any, got: Any, path: str = "") -> str:
    """The first place where ``got`` differs from ``want``, said for a person."""
    if isinstance(want, Mapping) and isinstance(got, Mapping):
        for key in want:
            if key not in got:
                return f"unknown field {path}.{key}".replace(" .", " ")
            inner = _diff(want[key], got[key], f"{path}.{key}")
            if inner:
                return inner
        return ""
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for index, (a, b) in enumerate(zip(want, got, strict=True)):
            inner = _diff(a, b, f"{path}[{index}]")
            if inner:
                return inner
        return ""
    return "" if want == got else f"{path.lstrip('.')}: {want!r} became {got!r}"
