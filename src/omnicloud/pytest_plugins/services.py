"""Services for the run: provisioned once by the xdist controller (or the only process).

When the collected configuration has providers that need services and no endpoints were handed
in (``$OMNICLOUD_ENDPOINTS`` unset), ``pytest_configure`` of the controller provisions them for
the chosen environment (``--omnicloud-env``, ``$OMNICLOUD_ENV``, ``project.default_environment``),
writes the endpoints file and exports ``$OMNICLOUD_ENDPOINTS`` before xdist starts its workers,
which inherit it. Each worker reads the endpoints through its own isolated view (see
``omnicloud.provision.isolation``). ``pytest_unconfigure`` tears the services down once, also
after Ctrl-C or SIGTERM. A service that cannot start ends the run with exit code 5
(infrastructure), its log tail in the message; no test is reported as a contract violation.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest

from omnicloud.endpoints import ENV_ENDPOINTS
from omnicloud.errors import OmnicloudError

_STACK = pytest.StashKey[contextlib.ExitStack]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("omnicloud")
    group.addoption(
        "--omnicloud-keep",
        action="store_true",
        default=False,
        help="keep the services running after the run (reused by the next run with"
        " the same configuration; stop them with 'omnicloud env down')",
    )


def _collects_config(config: pytest.Config) -> Path | None:
    """The omnicloud config this run collects, if any (named in, or appended to, the args)."""
    from omnicloud.plugin import PATH_KEY

    path = config.stash.get(PATH_KEY, None)
    if path is None:
        return None
    for arg in config.args:
        if Path(arg.split("::")[0]).resolve() == path:
            return path
    return None


def _selected(config: pytest.Config) -> tuple[Any, set[str], str | None] | None:
    """The run's configuration, selected providers and environment (``None`` on bad input)."""
    from omnicloud.plan import plan_targets
    from omnicloud.plugin import omnicloud_config, selection_from_options

    try:
        cfg = omnicloud_config(config)
        selection = selection_from_options(config)
        targets = plan_targets(cfg, selection)
    except OmnicloudError:
        return None  # collection reports configuration and selection errors itself
    return cfg, {t.provider for t in targets}, selection.environment


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or os.environ.get(ENV_ENDPOINTS):
        return  # a worker, or endpoints handed in (omnicloud env up, a parent run)
    if config.option.collectonly:
        return  # options are resolved when a provider is created, never at collection
    if _collects_config(config) is None:
        return
    selected = _selected(config)
    if selected is not None:
        start_services(config, *selected)


def start_services(
    config: pytest.Config, cfg: Any, providers: set[str], environment: str | None
) -> None:
    from omnicloud.provision.lifecycle import services_for_run
    from omnicloud.provision.progress import Progress

    stack = contextlib.ExitStack()
    keep = bool(config.getoption("omnicloud_keep"))
    quiet = config.getoption("verbose") < 0
    run = services_for_run(
        cfg, providers, environment=environment, keep=keep, progress=Progress(enabled=not quiet)
    )
    try:
        stack.enter_context(run)
    except OmnicloudError as exc:
        stack.close()
        pytest.exit(exc.render(), returncode=exc.exit_code)
    except BaseException:
        stack.close()
        raise
    config.stash[_STACK] = stack


def pytest_unconfigure(config: pytest.Config) -> None:
    stack = config.stash.get(_STACK, None)
    if stack is None:
        return
    del config.stash[_STACK]
    stack.close()


@pytest.fixture(scope="session")
def omnicloud_endpoints() -> dict[str, dict[str, Any]]:
    """This process's view of the provisioned services (isolated per xdist worker)."""
    from omnicloud.endpoints import load_endpoints

    return load_endpoints()
