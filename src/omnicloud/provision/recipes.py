"""Built-in service recipes (``redis``, ``postgres``) and their merge with ``[services.*]``.

A recipe holds the conventions of one server for every provisioner: the local command line for
``process`` (a private data dir, free ports), the official image and its environment variables
for ``docker``/``kubernetes``, the endpoint fields and the readiness checks. Anything set in the
service's config overrides the recipe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from omnicloud.config.models import ReadyConfig, ServiceConfig
from omnicloud.errors import ConfigError, did_you_mean, one_of
from omnicloud.provision.base import ServiceSpec


@dataclass(frozen=True)
class Recipe:
    """Conventions of one server, for every provisioner."""

    name: str
    image: str
    port: int
    command: tuple[str, ...]
    container_command: tuple[str, ...] | None = None
    init: tuple[tuple[str, ...], ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    ready: Mapping[str, Any] = field(default_factory=dict)
    run_as: str | None = None
    stop_signal: str = "SIGTERM"
    #: Appended to both commands, and the url used instead, when a ``password`` field is set.
    password_args: tuple[str, ...] = ()
    password_url: str | None = None


_REDIS_FLAGS = ("--save", "", "--appendonly", "no", "--databases", "64", "--protected-mode", "no")
_PG_FLAGS = (
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
)

RECIPES: dict[str, Recipe] = {
    "redis": Recipe(
        name="redis",
        image="redis:7",
        port=6379,
        command=(
            "redis-server",
            "--port",
            "{port}",
            "--bind",
            "127.0.0.1",
            "--dir",
            "{data_dir}",
            *_REDIS_FLAGS,
        ),
        container_command=("redis-server", *_REDIS_FLAGS),
        fields={"db": 0, "prefix": ""},
        url="redis://{host}:{port}/{db}",
        ready={"tcp": True, "ping": True},
        password_args=("--requirepass", "{password}"),
        password_url="redis://:{password}@{host}:{port}/{db}",
    ),
    "postgres": Recipe(
        name="postgres",
        image="postgres:16",
        port=5432,
        # The server runs in the foreground (what `pg_ctl start` would run) so its pid and log
        # stay ours; SIGINT is PostgreSQL's fast shutdown, what `pg_ctl stop -m fast` sends.
        init=(
            (
                "initdb",
                "-D",
                "{data_dir}/pgdata",
                "-U",
                "{user}",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ),
        ),
        command=(
            "postgres",
            "-D",
            "{data_dir}/pgdata",
            "-p",
            "{port}",
            "-h",
            "127.0.0.1",
            "-k",
            "{data_dir}",
            *_PG_FLAGS,
        ),
        container_command=("postgres", *_PG_FLAGS),
        env={
            "POSTGRES_USER": "{user}",
            "POSTGRES_PASSWORD": "{password}",
            "POSTGRES_DB": "{database}",
        },
        fields={
            "user": "postgres",
            "password": "omnicloud",
            "database": "postgres",
            "schema": "public",
        },
        url="postgresql://{user}:{password}@{host}:{port}/{database}",
        ready={"tcp": True, "ping": True},
        run_as="postgres",
        stop_signal="SIGINT",
    ),
}


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
    port = config.port or (recipe.port if recipe else None)
    if port is None and endpoint is None and config.endpoint is None:
        raise ConfigError("a service without a recipe needs a 'port'", key=f"services.{name}")
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
        port=port or 0,
        ports=dict(config.ports),
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
