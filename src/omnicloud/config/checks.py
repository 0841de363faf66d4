"""Cross-reference checks run once the models validate.

Each check yields ``(key_path, message)`` pairs; the loader turns the first into a located
``ConfigError``. Add a check by appending a function to ``CHECKS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from omnicloud.config.models import Config
from omnicloud.data.check import dataset_problems
from omnicloud.errors import did_you_mean, one_of

Problem = tuple[tuple[str, ...], str]
_PLACEHOLDER = re.compile(r"\{services\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}")


def _unknown(kind: str, name: str, known: list[str]) -> str:
    return f"unknown {kind} '{name}'{did_you_mean(name, known)} (accepted: {one_of(known)})"


def check_provider_references(config: Config) -> Iterator[Problem]:
    services = sorted(config.services)
    environments = sorted(config.environments)
    for name, provider in config.providers.items():
        for index, service in enumerate(provider.services):
            if service not in config.services:
                yield (
                    ("providers", name, "services", str(index)),
                    _unknown("service", service, services),
                )
        for index, env in enumerate(provider.environments or []):
            if env not in config.environments:
                yield (
                    ("providers", name, "environments", str(index)),
                    _unknown("environment", env, environments),
                )
        for option, value in provider.options.items():
            for match in _PLACEHOLDER.finditer(value if isinstance(value, str) else ""):
                if match.group(1) not in provider.services:
                    yield (
                        ("providers", name, "options", option),
                        f"placeholder '{match.group(0)}' names service '{match.group(1)}',"
                        f" which is not in this provider's services {provider.services}",
                    )


def check_default_environment(config: Config) -> Iterator[Problem]:
    env = config.project.default_environment
    if env is not None and env not in config.environments:
        yield (
            ("project", "default_environment"),
            _unknown("environment", env, sorted(config.environments)),
        )


def check_failure_categories(config: Config) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, category in enumerate(config.failures.categories):
        if category.name in seen:
            yield (
                ("failures", "categories", str(index), "name"),
                f"category '{category.name}' is defined twice",
            )
        seen.add(category.name)


def check_workflows(config: Config) -> Iterator[Problem]:
    for name, workflow in config.workflows.items():
        steps = [s.name for s in workflow.steps]
        for index, step in enumerate(workflow.steps):
            base = ("workflows", name, "steps", str(index))
            if step.application is not None and step.application not in config.applications:
                yield (
                    (*base, "application"),
                    _unknown("application", step.application, sorted(config.applications)),
                )
            if (step.application is None) == (step.command is None):
                yield (base, f"step '{step.name}' needs exactly one of 'application' or 'command'")
            for dep_index, dep in enumerate(step.depends_on):
                if dep not in steps:
                    yield ((*base, "depends_on", str(dep_index)), _unknown("step", dep, steps))


CHECKS: list[Callable[[Config], Iterator[Problem]]] = [
    check_provider_references,
    check_default_environment,
    check_failure_categories,
    check_workflows,
]


def check_datasets(config: Config) -> Iterator[Problem]:
    """``[data.*]``: field types and parameters, references and cycles, keys, load_into."""
    yield from dataset_problems(config.data, config.providers)


CHECKS.append(check_datasets)


def check_interfaces(config: Config) -> Iterator[Problem]:
    """``implements`` and ``expected_failures``: known interface names (did-you-mean)."""
    from omnicloud.capabilities.checks import check_interfaces as check

    yield from check(config)


CHECKS.append(check_interfaces)


def run_checks(config: Config) -> Iterator[Problem]:
    for check in CHECKS:
        yield from check(config)
