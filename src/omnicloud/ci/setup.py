"""What a generated CI job must set up before its omnicloud command (pure).

A CI configuration someone commits has to install the project and the tool from sources that
exist (the project itself, the tool from its repository until a release is on PyPI), the servers
that the chosen environment starts (Debian packages for ``process``; the runner's own Docker
engine for ``docker``), ``OMNICLOUD_ENV``, and the full git history where ``affected`` diffs
against a base.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from omnicloud.config.models import Config

#: Where the tool is installed from until a release exists on PyPI (see getting started).
TOOL_SOURCE = "git+https://github.com/open-omni-cloud/omnicloud"
DISTRIBUTION = "open-omni-cloud-tck"


def server_packages(kind_name: str) -> tuple[list[str], list[str]]:
    """The Debian and the PyPI packages holding the servers a service kind runs under
    ``process`` (``provision/kinds/<kind>.py`` names them): empty for an unknown kind."""
    from omnicloud.provision.kinds import get_kind

    kind = get_kind(kind_name)
    packages = set(kind.packages.values()) if kind is not None else set()
    pip = sorted(p.removeprefix("pip:").strip() for p in packages if p.startswith("pip:"))
    return sorted(p for p in packages if not p.startswith("pip:")), pip


@dataclass(frozen=True)
class JobSetup:
    """Shell lines and settings every generated job shares."""

    install: str
    environment: str | None = None
    apt_packages: tuple[str, ...] = ()
    full_history: bool = False
    #: The environment's provisioner runs containers: the job needs a Docker engine.
    docker_engine: bool = False

    @property
    def apt_line(self) -> str | None:
        if not self.apt_packages:
            return None
        packages = " ".join(self.apt_packages)
        return (
            "sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends"
            f" {packages}"
        )


def install_line(
    *, has_project: bool, extras: Iterable[str] = (), pip_packages: Iterable[str] = ()
) -> str:
    """``python -m pip install`` of the project (editable) and the tool with its extras."""
    names = sorted(set(extras))
    tool = DISTRIBUTION + (f"[{','.join(names)}]" if names else "")
    parts = ["python", "-m", "pip", "install"]
    if has_project:
        parts += ["-e", "."]
    parts.append(f"{tool} @ {TOOL_SOURCE}")
    parts += sorted(set(pip_packages))
    return shlex.join(parts)


def job_setup(
    config: Config | None,
    *,
    environment: str | None,
    has_project: bool,
    full_history: bool = False,
    install: str | None = None,
) -> JobSetup:
    """The setup for ``environment`` of ``config`` (no config: the tool alone)."""
    extras: list[str] = list(config.sessions.extras) if config is not None else []
    apt: list[str] = []
    pip: list[str] = []
    if config is not None and environment is not None:
        provisioner = config.environments[environment].provisioner
        for name, service in config.services.items():
            if provisioner == "process":
                # A service named like a kind uses it by default (provision/recipes.py).
                debian, pypi = server_packages(service.recipe or name)
                apt += debian
                pip += pypi
        if provisioner == "docker":
            extras.append("docker")
    line = install or install_line(has_project=has_project, extras=extras, pip_packages=pip)
    return JobSetup(
        install=line,
        environment=environment,
        apt_packages=tuple(sorted(set(apt))),
        full_history=full_history,
        docker_engine="docker" in extras,
    )
