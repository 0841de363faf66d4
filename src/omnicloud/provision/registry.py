"""Provisioners by name: ``environments.<env>.provisioner`` picks one module."""

from __future__ import annotations

from importlib import import_module

from omnicloud.config.models import PROVISIONERS
from omnicloud.errors import ConfigError, did_you_mean, one_of
from omnicloud.provision.base import Provisioner

#: name -> "module:Class"; modules import their heavy clients (docker, kubernetes) lazily.
REGISTRY: dict[str, str] = {
    "embedded": "omnicloud.provision.embedded:EmbeddedProvisioner",
    "process": "omnicloud.provision.process:ProcessProvisioner",
    "docker": "omnicloud.provision.docker:DockerProvisioner",
    "kubernetes": "omnicloud.provision.kubernetes:KubernetesProvisioner",
    "external": "omnicloud.provision.external:ExternalProvisioner",
}
assert tuple(REGISTRY) == PROVISIONERS, "config.models.PROVISIONERS and REGISTRY must agree"


def provisioner_class(name: str) -> type[Provisioner]:
    """The provisioner class registered as ``name``; unknown names list the valid ones."""
    if name not in REGISTRY:
        raise ConfigError(
            f"unknown provisioner '{name}'{did_you_mean(name, list(REGISTRY))}"
            f" (accepted: {one_of(list(REGISTRY))})"
        )
    module, _, attr = REGISTRY[name].partition(":")
    cls: type[Provisioner] = getattr(import_module(module), attr)
    return cls


def get_provisioner(name: str, **options: object) -> Provisioner:
    return provisioner_class(name)(**options)
