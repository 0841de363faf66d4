"""Recipes of the service kinds (``provision/kinds/``) merged with ``[services.*]``.

A recipe holds the conventions of one server for every provisioner: the local command line for
``process`` (a private data dir, free ports), the official image and its environment variables
for ``docker``/``kubernetes``, the endpoint fields and the readiness checks. Anything set in the
service's config overrides the recipe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import SecretStr

from omnicloud.config.models import ReadyConfig, ServiceConfig
from omnicloud.errors import ConfigError, did_you_mean, one_of
from omnicloud.provision.base import ServiceSpec
from omnicloud.provision.kinds import Recipe, get_kind, kind_names

__all__ = [
    "RECIPES",
    "Recipe",
    "endpoint_fields",
    "fill",
    "recipe_for",
    "require_port",
    "resolve_service",
]


class _RecipesByKind(Mapping[str, Recipe]):
    """A read-only view: kinds are imported only when their recipe is looked up."""

    def __getitem__(self, name: str) -> Recipe:
        kind = get_kind(name)
        if kind is None:
            raise KeyError(name)
        return kind.recipe

    def __iter__(self) -> Iterator[str]:
        return iter(kind_names())

    def __len__(self) -> int:
        return len(kind_names())


#: Every registered kind's recipe by name (the kinds live in ``provision/kinds/``).
RECIPES: Mapping[str, Recipe] = _RecipesByKind()


def recipe_for(name: str, config: ServiceConfig) -> Recipe | None:
    """The recipe named by ``recipe``; by default the one named like the service, if any."""
    if config.recipe is None:
        return RECIPES.get(name)
    if config.recipe not in RECIPES:
        raise ConfigError(
            f"unknown recipe '{config.recipe}'{did_you_mean(config.recipe, list(RECIPES))}"
            f" (accepted: {one_of(list(RECIPES))})",
            key=f"services.{name}.recipe",
        )
    return RECIPES[config.recipe]


def resolve_service(name: str, config: ServiceConfig, endpoint: str | None = None) -> ServiceSpec:
    """Merge a service's config over its recipe into a ``ServiceSpec``."""
    recipe = recipe_for(name, config)
    fields = {**(recipe.fields if recipe else {}), **_plain(config.fields)}
    ready = (
        config.ready
        if config.ready.model_fields_set
        else ReadyConfig(**(recipe.ready if recipe else {"tcp": True}))
    )
    timeout = config.startup_timeout if config.startup_timeout is not None else ready.timeout
    key = "startup_timeout" if config.startup_timeout is not None else "ready.timeout"
    command = config.command or (list(recipe.command) if recipe else [])
    container_command = (
        tuple(config.command) if config.command else (recipe.container_command if recipe else None)
    )
    url = config.url or (recipe.url if recipe else None)
    if recipe and recipe.password_args and fields.get("password") and not config.command:
        command = [*command, *recipe.password_args]
        container_command = (*(container_command or ()), *recipe.password_args)
        url = config.url or recipe.password_url
    # Without a recipe nor a port, 0: the process provisioner picks a free port anyway, and
    # the container provisioners ask for one when they need it (``require_port``).
    port = config.port or (recipe.port if recipe else 0)
    env = {**(recipe.env if recipe else {}), **{k: str(v) for k, v in _plain(config.env).items()}}
    return ServiceSpec(
        name=name,
        recipe=recipe.name if recipe else None,
        image=config.image or (recipe.image if recipe else None),
        command=tuple(command),
        container_command=container_command,
        init=tuple(tuple(c) for c in config.init)
        if config.init is not None
        else (recipe.init if recipe else ()),
        port=port,
        ports=dict(config.ports),
        local_ports=recipe.local_ports if recipe else (),
        local_env=dict(recipe.local_env) if recipe else {},
        env={k: fill(v, fields) for k, v in env.items()},
        volumes=dict(config.volumes),
        tmpfs=tuple(config.tmpfs),
        ready=ready,
        timeout=timeout,
        timeout_key=f"services.{name}.{key}",
        url=url,
        fields=fields,
        resources=dict(config.resources),
        run_as=config.user or (recipe.run_as if recipe else None),
        stop_signal=recipe.stop_signal if recipe else "SIGTERM",
        endpoint=endpoint or config.endpoint,
    )


def require_port(spec: ServiceSpec, provisioner: str) -> int:
    """The container port of ``spec``; a config error when neither config nor recipe sets it."""
    if spec.port:
        return spec.port
    raise ConfigError(
        f"the {provisioner} provisioner publishes the service's port: set the port the server"
        " listens on inside its container",
        key=f"services.{spec.name}.port",
    )


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in values.items()}


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders that ``values`` knows; leave the others untouched."""
    return _FIELD.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template
    )


def endpoint_fields(spec: ServiceSpec, host: str, port: int, **extra: Any) -> dict[str, Any]:
    """The endpoint fields of a started service: recipe fields, extras and the rendered url."""
    values: dict[str, Any] = {**spec.fields, **extra, "host": host, "port": port}
    fields = {k: v for k, v in values.items() if k not in ("host", "port")}
    if spec.recipe:
        fields["kind"] = spec.recipe  # tells workers how to isolate themselves (isolation.py)
    if spec.url:
        fields["url"] = fill(spec.url, values)
    return fields
