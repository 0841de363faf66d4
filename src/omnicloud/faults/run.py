"""From configuration to fault targets: proxies in front of the services, controls on them.

``fault_targets`` starts one fault proxy per service a provider uses (owned by the run,
closed with it), points the provider's options at the proxies (``{services.<name>.url}`` and
``port`` rewritten), and takes control of the services (crash, restart, hang) when the
environment's provisioner is one of ``CONTROLS`` (``process``: signals to the server's process
group; ``docker``: ``docker kill`` / ``start`` / ``pause``). Nothing here changes the services'
config.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from omnicloud.config.models import Config, EnvironmentConfig
from omnicloud.endpoints import needed_services
from omnicloud.faults.profiles import FaultProfile, fault_profile
from omnicloud.faults.proxy import FaultProxy
from omnicloud.faults.scenarios import (
    NAMESPACE_OPTIONS,
    FaultTarget,
    error_record,
    family_of,
    run_profile,
    unsupported,
)
from omnicloud.faults.service import ServiceControl, ServiceFaults
from omnicloud.provision.base import ServiceHandle, ServiceSpec
from omnicloud.provision.lifecycle import (
    Environment,
    pick_environment,
    provisioner_arguments,
    resolve_specs,
)
from omnicloud.slo.targets import creator


def _process_control(
    spec: ServiceSpec, handle: ServiceHandle, proxy: FaultProxy, env: EnvironmentConfig
) -> ServiceFaults:
    del proxy, env  # a process restarts on its own port: the proxy's upstream stays
    return ServiceControl.for_handle(spec, handle)


def _docker_control(
    spec: ServiceSpec, handle: ServiceHandle, proxy: FaultProxy, env: EnvironmentConfig
) -> ServiceFaults:
    from omnicloud.faults.docker_service import DockerControl  # imports the Docker SDK
    from omnicloud.provision.docker import DockerProvisioner

    # The engine the environment's provisioner uses (its base_url, timeout options).
    client = DockerProvisioner(**provisioner_arguments(env)).client
    return DockerControl.for_handle(spec, handle, proxy, client=client)


#: Provisioners whose services can be crashed, restarted and hung, by name.
CONTROLS: dict[
    str, Callable[[ServiceSpec, ServiceHandle, FaultProxy, EnvironmentConfig], ServiceFaults]
] = {
    "process": _process_control,
    "docker": _docker_control,
}


def services_of(config: Config, provider: str) -> list[str]:
    spec = config.providers[provider]
    return sorted({*spec.services, *needed_services(spec.options)})


def through_proxy(endpoint: Mapping[str, Any], proxy_port: int) -> dict[str, Any]:
    """The endpoint with its port (and every ``host:port`` in its strings) on the proxy."""
    old = f"{endpoint['host']}:{endpoint['port']}"
    new = f"127.0.0.1:{proxy_port}"
    rewritten = {k: v.replace(old, new) if isinstance(v, str) else v for k, v in endpoint.items()}
    return {**rewritten, "host": "127.0.0.1", "port": proxy_port}


@contextlib.contextmanager
def fault_targets(
    config: Config, env: Environment, providers: Sequence[str]
) -> Iterator[list[FaultTarget]]:
    """Targets for ``providers`` (those with a workload family); proxies closed on exit.

    Each service has one proxy and one control, shared by the providers using it (faults run
    one at a time): a restart that moves a container's port moves that one proxy for all."""
    with contextlib.ExitStack() as stack:
        targets = []
        shared: dict[str, tuple[FaultProxy, ServiceFaults | None]] = {}
        for name in providers:
            family = family_of(config.providers[name])
            services = services_of(config, name)
            if family is None or not services:
                continue
            endpoints = env.endpoints()
            proxies, controls = [], []
            for service in services:
                if service not in shared:
                    handle = env.handles[service]
                    proxy = stack.enter_context(FaultProxy(handle.host, handle.port))
                    shared[service] = (proxy, _control(config, env, service, proxy))
                proxy, faults = shared[service]
                proxies.append(proxy)
                endpoints[service] = through_proxy(endpoints[service], proxy.port)
                if faults is not None:
                    controls.append(faults)
            targets.append(
                FaultTarget(
                    name,
                    family,
                    config.providers[name].faults,
                    creator(config, name, endpoints),
                    controls,
                    proxies,
                    namespace_option(config, name),
                )
            )
        yield targets


def _control(
    config: Config, env: Environment, service: str, proxy: FaultProxy
) -> ServiceFaults | None:
    """The service's crash/hang control, when its provisioner has one."""
    handle = env.handles[service]
    control = CONTROLS.get(handle.provisioner)
    if control is None:
        return None
    env_name, env_config = pick_environment(config, env.name)
    (spec,) = resolve_specs(config, env_name, env_config, [service])
    return control(spec, handle, proxy, env_config)


def namespace_option(config: Config, provider: str) -> str | None:
    """The factory's option naming a key space a second instance can reopen, if it has one."""
    from omnicloud.build import add_import_roots, import_object

    add_import_roots(config)
    factory = import_object(config.providers[provider].factory, what=f"providers.{provider}")
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None
    return next((name for name in NAMESPACE_OPTIONS if name in parameters), None)


def profiles_of(config: Config, provider: str, only: Sequence[str]) -> list[FaultProfile]:
    declared = config.providers[provider].faults.profiles
    names = declared if declared is not None else config.faults.profiles
    return [fault_profile(config.faults, n) for n in names if not only or n in only]


async def run_targets(
    config: Config, targets: Sequence[FaultTarget], only: Sequence[str], echo: Any = print
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every target's profiles in turn (one fault at a time: services are shared); returns
    the records and the profiles that could not run here, with the reason."""
    records, not_run = [], {}
    for target in targets:
        for profile in profiles_of(config, target.provider, only):
            reason = unsupported(target, profile)
            if reason is not None:
                not_run[f"{target.provider} / {profile.name}"] = reason
                continue
            for proxy in target.proxies:
                proxy.clear()
                proxy.enable()
            try:
                record = await run_profile(target, profile)
            except Exception as exc:  # the machinery failed (a restart): an error, not a pass
                record = error_record(target, profile, exc)
            records.append(record)
            echo(f"faulted {target.provider} with {profile.name}: {record['outcome']}")
    return records, not_run
