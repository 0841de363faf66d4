"""The Python API: build the same configuration as ``omnicloud.toml`` in code, and run it.

Seed 004's example runs with our import name::

    import omnicloud

    omnicloud.register_application("user-service", {
        "repository": "https://git.example/user-service.git",
        "test_command": "pytest {test_path}",
    })
    environment = omnicloud.Environment("integration-test")
    test_data = omnicloud.TestData("integration-test-data")
    workflow = omnicloud.TestWorkflow("payment-integration-tests")
    workflow.add_cross_app_test("end-to-end-payment", {"steps": [...], "data_flow": {...}})
    result = omnicloud.Engine().execute(workflow, environment, test_data)

The objects only collect what they are given. ``Engine.config_data`` translates them, in one
place (``omnicloud.api_mapping``), into the very data a TOML file parses to, and
``Engine.build_config`` validates that data with the loader (``validate_config_data``): the same
mistakes give the same ``ConfigError`` with the same dotted key path as in ``omnicloud.toml``, and
a workflow written in TOML and the same built in Python plan identically.

Applications belong to an ``Engine`` (its ``Applications`` registry). The module-level
``register_application`` is the seed's convenience: it registers into the default registry, which
every ``Engine()`` created without its own registry uses.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.api_mapping import (
    ORIGIN,
    application_data,
    config_data,
    cross_app_steps,
    dataset_data,
    failures_data,
    name_of,
    selection_data,
    service_data,
)
from omnicloud.config.loader import validate_config_data
from omnicloud.config.models import (
    ApplicationConfig,
    Config,
    DatasetConfig,
    ServiceConfig,
    WorkflowStep,
)
from omnicloud.plan import Plan, Selection, plan
from omnicloud.workflows.engine import WorkflowResult, run_workflow


class Applications:
    """The applications an ``Engine`` knows, as the ``[applications.<name>]`` data they are.

    Each is validated when registered, as ``omnicloud.toml`` would validate it.
    """

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}

    def register(self, name: str, spec: Mapping[str, Any] | ApplicationConfig) -> ApplicationConfig:
        data = application_data(spec)
        model = _validated({"applications": {name: data}}, whole=False).applications[name]
        self._data[name] = data
        return model

    def data(self) -> dict[str, dict[str, Any]]:
        return {name: dict(spec) for name, spec in self._data.items()}

    def clear(self) -> None:
        self._data.clear()


_DEFAULT = Applications()


def _validated(data: dict[str, Any], root: Path | None = None, *, whole: bool = True) -> Config:
    """``data`` validated by the loader, as an ``omnicloud.toml`` in ``root`` would be; a piece
    (not ``whole``) without the cross-checks, since what it references may come later."""
    source = (root or Path.cwd()) / "omnicloud.toml"
    return validate_config_data(data, source, origin=ORIGIN, cross_checks=whole)


def register_application(
    name: str,
    spec: Mapping[str, Any] | ApplicationConfig,
) -> ApplicationConfig:
    """Declare an application in the default registry (seed 004's ``register_application``),
    which ``Engine()`` uses unless given its own ``Applications``; returns its model."""
    return _DEFAULT.register(name, spec)


def registered_applications() -> dict[str, ApplicationConfig]:
    """The default registry's applications, validated."""
    if not _DEFAULT.data():
        return {}
    return dict(_validated({"applications": _DEFAULT.data()}).applications)


def clear_applications() -> None:
    """Empty the default registry."""
    _DEFAULT.clear()


class Environment:
    """Services a workflow's applications need, and the provisioner that starts them."""

    def __init__(self, name: str, provisioner: str | None = None) -> None:
        self.name = name_of(name)
        self.provisioner = provisioner
        self.services: dict[str, dict[str, Any]] = {}

    def add_service(self, name: str, spec: Mapping[str, Any]) -> ServiceConfig:
        """``{"type": "postgres" | "redis" | ... | "docker", "image", "version", "ports", "env",
        "config": {"port": ...}}``; any other key is a ``[services.<name>]`` key (``recipe``,
        ``command``, ``ready``...) and is validated as one, here and again at build."""
        service_name = name_of(name)
        data = service_data(service_name, spec)
        model = _validated({"services": {service_name: data}}, whole=False).services[service_name]
        self.services[service_name] = data
        if spec.get("type") == "docker" and self.provisioner is None:
            self.provisioner = "docker"
        return model

    def to_data(self) -> dict[str, Any]:
        return {"provisioner": self.provisioner or "process"}


class TestData:
    """Datasets generated deterministically (see docs/test-data.md)."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str) -> None:
        self.name = name
        self.datasets: dict[str, dict[str, Any]] = {}

    def add_generator(self, name: str, spec: Mapping[str, Any]) -> DatasetConfig:
        """A ``[data.<name>]`` table; the seed's ``schema`` is its ``fields``."""
        dataset, data = name_of(name), dataset_data(spec)
        model = _validated({"data": {dataset: data}}, whole=False).data[dataset]
        self.datasets[dataset] = data
        return model


class TestWorkflow:
    """Test selections per application, cross-application tests, and failure analysis."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str, description: str = "") -> None:
        self.name = name_of(name)
        self.description = description
        self.selections: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.failures: dict[str, Any] = {}

    def add_test_selection(self, application: str, spec: Mapping[str, Any]) -> None:
        """Run the tests of ``application`` that its changed files map to:
        ``{"strategy": "change-based" | "component-based", "test_paths": [...],
        "mapping_rules": [{"source_pattern", "test_pattern"}]}``."""
        self.selections.append(selection_data(self.name, application, spec))

    def add_step(self, step: WorkflowStep | Mapping[str, Any]) -> None:
        """A ``[[workflows.<name>.steps]]`` table."""
        if isinstance(step, WorkflowStep):
            step = step.model_dump(mode="json", exclude_defaults=True)
        self.steps.append(dict(step))

    def add_cross_app_test(self, name: str, spec: Mapping[str, Any]) -> None:
        """Steps that run in order across applications, with ``data_flow`` between them:
        ``{"key": {"from": "app.test_name.return.field", "to": "app2.test_name..."}}``. The
        value reaches the consumer as ``$OMNICLOUD_FLOW_<KEY>`` and ``omnicloud_flow[key]``;
        what follows the consumer's test name in ``to`` says where that test uses it."""
        self.steps.extend(cross_app_steps(self.name, name, spec))

    def set_failure_analysis(self, spec: Mapping[str, Any]) -> None:
        """``{"categories": [{"name", "patterns"}], "routing": {category: team}}``; other keys
        are ``[failures]`` keys, other category keys ``[[failures.categories]]`` keys."""
        data = failures_data(spec)
        _validated({"failures": data}, whole=False)
        self.failures = data


@dataclass(frozen=True)
class TestOutcome:
    """One executed test: seed 004's failure record (``test_id``, ``category``,
    ``assigned_to``, ``logs``)."""

    __test__ = False  # not a pytest test class

    test_id: str
    status: str
    application: str | None
    step: str
    category: str | None = None
    assigned_to: str | None = None
    logs: str = ""


@dataclass
class ExecutionResult:
    executed_tests: list[TestOutcome] = field(default_factory=list)
    passed_tests: list[TestOutcome] = field(default_factory=list)
    failed_tests: list[TestOutcome] = field(default_factory=list)
    workflow: WorkflowResult | None = None
    config: Config | None = None


class Engine:
    """Plans and runs workflows built with the Python API.

    ``applications``: the registry to use; by default the one ``register_application`` fills.
    """

    def __init__(
        self,
        results_dir: str | Path | None = None,
        *,
        applications: Applications | None = None,
    ) -> None:
        self.results_dir = Path(results_dir) if results_dir else None
        self.applications = applications if applications is not None else _DEFAULT

    def register_application(
        self, name: str, spec: Mapping[str, Any] | ApplicationConfig
    ) -> ApplicationConfig:
        """Declare an application in this engine's registry."""
        return self.applications.register(name, spec)

    def config_data(
        self,
        workflow: TestWorkflow,
        environment: Environment | None = None,
        test_data: TestData | None = None,
    ) -> dict[str, Any]:
        """The data an ``omnicloud.toml`` with this workflow, environment and data parses to."""
        return config_data(
            applications=self.applications.data(),
            workflow=workflow.name,
            description=workflow.description,
            selections=workflow.selections,
            steps=workflow.steps,
            failures=workflow.failures,
            environment=(environment.name, environment.to_data()) if environment else None,
            services=environment.services if environment else {},
            datasets=test_data.datasets if test_data else {},
        )

    def build_config(
        self,
        workflow: TestWorkflow,
        environment: Environment | None = None,
        test_data: TestData | None = None,
        *,
        root: Path | None = None,
    ) -> Config:
        """The ``Config`` this workflow, environment and data amount to, validated by the loader
        as a file would be (``ConfigError`` with the dotted key path of any mistake)."""
        return _validated(self.config_data(workflow, environment, test_data), root)

    def plan(
        self,
        workflow: TestWorkflow,
        environment: Environment | None = None,
        test_data: TestData | None = None,
    ) -> Plan:
        return plan(self.build_config(workflow, environment, test_data), Selection())

    def execute(
        self,
        workflow: TestWorkflow,
        environment: Environment | None = None,
        test_data: TestData | None = None,
    ) -> ExecutionResult:
        """Run the workflow; failures are classified and routed as ``omnicloud triage`` does."""
        results_dir = self.results_dir or Path(tempfile.mkdtemp(prefix="omnicloud-engine-"))
        config = self.build_config(workflow, environment, test_data, root=results_dir)
        run = run_workflow(config, workflow.name, results_dir=results_dir)
        outcome = ExecutionResult(workflow=run, config=config)
        triaged = _triage(config, run, results_dir)
        for step in run.steps:
            for test in step.tests:
                category, owner = triaged.get(f"{step.name}::{test.test_id}", (None, None))
                item = TestOutcome(
                    test_id=test.test_id,
                    status=test.outcome,
                    application=step.application,
                    step=step.name,
                    category=category,
                    assigned_to=owner,
                    logs="\n".join(
                        filter(None, (test.message, test.traceback, test.stdout, step.log))
                    ),
                )
                outcome.executed_tests.append(item)
                (outcome.passed_tests if test.ok else outcome.failed_tests).append(item)
        return outcome


def _triage(
    config: Config, run: WorkflowResult, results_dir: Path
) -> dict[str, tuple[str, str | None]]:
    """Classify and route the run's failures with ``omnicloud.triage``. A category's route wins;
    then the application's first owner; then triage's own routing, where the project's
    ``default_owner`` (or nobody) is the last resort."""
    from omnicloud.triage.model import Failure
    from omnicloud.triage.run import triage_failures

    keys: list[tuple[str, str | None]] = []
    failures: list[Failure] = []
    for step in run.steps:
        for test in step.tests:
            if not test.ok:
                keys.append((f"{step.name}::{test.test_id}", step.application))
                failures.append(
                    Failure(
                        test_id=test.test_id,
                        status="error" if test.outcome == "error" else "failed",
                        message=test.message,
                        traceback=test.traceback,
                        stdout=test.stdout or step.log,
                        stderr=test.stderr,
                    )
                )
    triaged = triage_failures(failures, config, root=results_dir, results_dir=results_dir)
    found: dict[str, tuple[str, str | None]] = {}
    for (key, application), item in zip(keys, triaged, strict=True):
        app = config.applications.get(application or "")
        owner: str | None = item.owners[0] if item.owners else None
        if item.owner_source != "category":
            owner = (
                app.owners[0] if app and app.owners else _fallback(config, item.owner_source, owner)
            )
        found[key] = (item.category, owner)
    return found


def _fallback(config: Config, source: str, owner: str | None) -> str | None:
    """Triage's owner, except its placeholder for nobody: the API reports ``None`` then."""
    return config.project.default_owner if source == "default" else owner
