"""Cross-reference checks run once the models validate.

Each check yields ``(key_path, message)`` pairs; the loader turns the first into a located
``ConfigError``. Add a check by appending a function to ``CHECKS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from omnicloud.config.models import Config, WorkflowConfig
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
            if steps.index(step.name) != index:
                yield ((*base, "name"), f"step '{step.name}' is defined twice")
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
        yield from _workflow_cycles(name, workflow)
        yield from _workflow_flow(name, workflow)


def _workflow_cycles(name: str, workflow: WorkflowConfig) -> Iterator[Problem]:
    deps = {s.name: list(s.depends_on) for s in workflow.steps}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(step: str, path: list[str]) -> list[str] | None:
        state[step] = 1
        for dep in deps.get(step, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep] if dep in path else [step, dep]
            if dep in deps and state.get(dep) is None:
                found = visit(dep, [*path, dep])
                if found:
                    return found
        state[step] = 2
        return None

    for index, step in enumerate(workflow.steps):
        if state.get(step.name) is None:
            cycle = visit(step.name, [step.name])
            if cycle:
                yield (
                    ("workflows", name, "steps", str(index), "depends_on"),
                    f"dependency cycle: {' -> '.join(cycle)}",
                )
                return


def _workflow_flow(name: str, workflow: WorkflowConfig) -> Iterator[Problem]:
    """A consumed value must be published by a step that runs before (a dependency)."""
    by_name = {s.name: s for s in workflow.steps}

    def upstream(step: str, seen: set[str]) -> set[str]:
        for dep in by_name[step].depends_on:
            if dep in by_name and dep not in seen:
                seen.add(dep)
                upstream(dep, seen)
        return seen

    for index, step in enumerate(workflow.steps):
        before = upstream(step.name, set()) if step.name in by_name else set()
        published = {key: s for s in before for key in by_name[s].publishes}
        for key_index, key in enumerate(step.consumes):
            if key not in published:
                producers = sorted(s.name for s in workflow.steps if key in s.publishes)
                hint = (
                    f"; it is published by {', '.join(producers)}: add it to depends_on"
                    if producers
                    else "; no step publishes it"
                )
                yield (
                    ("workflows", name, "steps", str(index), "consumes", str(key_index)),
                    f"step '{step.name}' consumes '{key}', which no step it depends on"
                    f" publishes{hint}",
                )


def check_traceability(config: Config) -> Iterator[Problem]:
    trace = config.traceability
    try:
        pattern = re.compile(trace.pattern)
    except re.error as exc:
        yield (("traceability", "pattern"), f"invalid regular expression {trace.pattern!r}: {exc}")
        return
    seen: set[str] = set()
    for index, requirement in enumerate(trace.requirement_ids()):
        if not pattern.match(requirement):
            yield (
                ("traceability", "requirements", str(index)),
                f"requirement id '{requirement}' does not match {trace.pattern}",
            )
        if requirement in seen:
            yield (
                ("traceability", "requirements", str(index)),
                f"requirement '{requirement}' is listed twice",
            )
        seen.add(requirement)


CHECKS: list[Callable[[Config], Iterator[Problem]]] = [
    check_provider_references,
    check_default_environment,
    check_failure_categories,
    check_workflows,
    check_traceability,
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


def check_slo_and_faults(config: Config) -> Iterator[Problem]:
    """``slo`` and ``faults``: known profiles, SLOs only for claimed interfaces."""
    from omnicloud.slo.checks import check_slo_and_faults as check

    yield from check(config)


CHECKS.append(check_slo_and_faults)


def run_checks(config: Config) -> Iterator[Problem]:
    for check in CHECKS:
        yield from check(config)
