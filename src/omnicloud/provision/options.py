"""Typed ``environments.<env>.options`` for each provisioner, validated when the config loads.

```toml
[environments.ci]
provisioner = "docker"
options = { base_url = "unix:///run/user/1000/docker.sock", timeout = 120 }
```

Only pydantic is imported here: the config models validate options without importing any
provisioner (nor its client library).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from omnicloud.errors import did_you_mean, one_of


class ProvisionerOptions(BaseModel):
    """Options every provisioner accepts: none. Subclasses add theirs."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class EmbeddedOptions(ProvisionerOptions):
    """``embedded`` takes no options: its services live in the test process."""


class ProcessOptions(ProvisionerOptions):
    """``process`` takes no options: ports are free ports, directories private to the run."""


class ExternalOptions(ProvisionerOptions):
    """``external`` takes no options: endpoints come from ``environments.<env>.endpoints``."""


class DockerOptions(ProvisionerOptions):
    """``docker``: which engine to talk to (default: ``DOCKER_HOST`` or the local socket)."""

    base_url: str | None = Field(None, description="Docker engine URL, e.g. unix:///var/run/...")
    timeout: int | None = Field(None, gt=0, description="Seconds an engine API call may take.")


class KubernetesOptions(ProvisionerOptions):
    """``kubernetes``: an API server URL instead of the kubeconfig's (``namespace`` and
    ``context`` are keys of the environment itself)."""

    api_url: str | None = Field(None, description="API server URL instead of the kubeconfig.")


OPTIONS: dict[str, type[ProvisionerOptions]] = {
    "embedded": EmbeddedOptions,
    "process": ProcessOptions,
    "docker": DockerOptions,
    "kubernetes": KubernetesOptions,
    "external": ExternalOptions,
}


def parse_options(provisioner: str, options: Mapping[str, Any]) -> ProvisionerOptions:
    """``options`` as the provisioner's typed model; ``ValueError`` names the bad key."""
    model = OPTIONS.get(provisioner, ProvisionerOptions)
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        raise ValueError(_describe(provisioner, model, exc)) from None


def _describe(provisioner: str, model: type[ProvisionerOptions], exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"])
    accepted = list(model.model_fields)
    if error["type"] == "extra_forbidden":
        takes = f"accepted: {one_of(accepted)}" if accepted else "it takes no options"
        return (
            f"unknown option '{key}' for the {provisioner} provisioner"
            f"{did_you_mean(key, accepted)} ({takes})"
        )
    return (
        f"option '{key}' of the {provisioner} provisioner: {error['msg']}; got {error['input']!r}"
    )
