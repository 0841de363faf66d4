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

Every object is a thin builder over the pydantic models of ``omnicloud.config.models``:
``Engine().build_config(...)`` returns the very ``Config`` a TOML file would load into, so a
workflow written in TOML and the same built in Python plan identically.
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omnicloud.config.models import (
    ApplicationConfig,
    Config,
    DatasetConfig,
    EnvironmentConfig,
    FailureCategory,
    FailuresConfig,
    MappingRule,
    ServiceConfig,
    WorkflowConfig,
    WorkflowStep,
)
from omnicloud.plan import Plan, Selection, plan
from omnicloud.provision.kinds import kind_for_alias
from omnicloud.workflows.engine import WorkflowResult, run_workflow

_APPLICATIONS: dict[str, ApplicationConfig] = {}


def _name(text: str) -> str:
    """A config name (lowercase, digits, '-' and '_') from any label."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_") or "step"


def _literal(text: str) -> str:
    """A seed pattern is plain text: escape only what regular expressions would interpret."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


def register_application(
    name: str,
    spec: Mapping[str, Any] | ApplicationConfig,
) -> ApplicationConfig:
    """Declare an application (seed 004's ``register_application``); returns its model."""
    if isinstance(spec, ApplicationConfig):
        app = spec
    else:
        data = dict(spec)
        if isinstance(data.get("test_command"), str):
            data["test_command"] = shlex.split(data["test_command"])
        app = ApplicationConfig.model_validate(data)
    _APPLICATIONS[name] = app
    return app


def registered_applications() -> dict[str, ApplicationConfig]:
    return dict(_APPLICATIONS)


def clear_applications() -> None:
    _APPLICATIONS.clear()


class Environment:
    """Services a workflow's applications need, and the provisioner that starts them."""

    def __init__(self, name: str, provisioner: str | None = None) -> None:
        self.name = _name(name)
        self.provisioner = provisioner
        self.services: dict[str, ServiceConfig] = {}

    def add_service(self, name: str, spec: Mapping[str, Any]) -> ServiceConfig:
        """``{"type": "postgres" | "redis" | "docker", "image", "version", "ports", "env",
        "config": {"port": ...}}`` -> a service model."""
        kind = str(spec.get("type", ""))
        config = dict(spec.get("config", {}))
        known = kind_for_alias(kind)  # a service kind of provision/kinds/, by name or alias
        repository = known.recipe.image.rpartition(":")[0] if known else ""
        image = spec.get("image") or (
            f"{repository}:{spec['version']}" if "version" in spec and known else None
        )
        ports = {str(k): int(v) for k, v in dict(spec.get("ports", {})).items()}
        service = ServiceConfig(
            recipe=known.name if known else None,
            image=image,
            port=config.get("port") or (next(iter(ports.values()), None)),
            ports={f"p{k}": v for k, v in ports.items()},
            env={k: str(v) for k, v in dict(spec.get("env", {})).items()},
        )
        self.services[_name(name)] = service
        if kind == "docker" and self.provisioner is None:
            self.provisioner = "docker"
        return service

    def to_model(self) -> EnvironmentConfig:
        return EnvironmentConfig(provisioner=self.provisioner or "process")


class TestData:
    """Datasets generated deterministically (see docs/test-data.md)."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str) -> None:
        self.name = name
        self.datasets: dict[str, DatasetConfig] = {}

    def add_generator(self, name: str, spec: Mapping[str, Any]) -> DatasetConfig:
        data = dict(spec)
        if "schema" in data:
            data["fields"] = data.pop("schema")
        dataset = DatasetConfig.model_validate(data)
        self.datasets[_name(name)] = dataset
        return dataset


@dataclass
class _Selection:
    application: str
    strategy: str
    test_paths: list[str]
    rules: list[MappingRule]


class TestWorkflow:
    """Test selections per application, cross-application tests, and failure analysis."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str, description: str = "") -> None:
        self.name = _name(name)
        self.description = description
        self.selections: list[_Selection] = []
        self.steps: list[WorkflowStep] = []
        self.failures = FailuresConfig()

    def add_test_selection(self, application: str, spec: Mapping[str, Any]) -> None:
        """Run the tests of ``application`` that its changed files map to."""
        rules = [MappingRule.model_validate(r) for r in spec.get("mapping_rules", [])]
        self.selections.append(
            _Selection(
                application,
                str(spec.get("strategy", "change-based")),
                list(spec.get("test_paths", [])),
                rules,
            )
        )

    def add_step(self, step: WorkflowStep | Mapping[str, Any]) -> WorkflowStep:
        model = step if isinstance(step, WorkflowStep) else WorkflowStep.model_validate(step)
        self.steps.append(model)
        return model

    def add_cross_app_test(self, name: str, spec: Mapping[str, Any]) -> list[WorkflowStep]:
        """Steps that run in order across applications, with ``data_flow`` between them:
        ``{"key": {"from": "app.test_name.return.field", "to": "app2.test..."}}``."""
        steps: list[dict[str, Any]] = []
        by_app_test: dict[tuple[str, str], dict[str, Any]] = {}
        for index, item in enumerate(spec.get("steps", [])):
            app, test = item["app"], item["test"]
            short = test.split("::")[-1].rsplit("/", 1)[-1].split(".")[0]
            step = {
                "name": _name(f"{name}-{index + 1}-{app}"),
                "application": app,
                "tests": test,
                "depends_on": [steps[-1]["name"]] if steps else [],
                "publishes": [],
                "consumes": [],
                "returns": {},
            }
            steps.append(step)
            by_app_test[(app, short)] = step
        for key, flow in dict(spec.get("data_flow", {})).items():
            producer = self._find(by_app_test, flow["from"])
            consumer = self._find(by_app_test, flow["to"])
            producer["publishes"].append(key)
            consumer["consumes"].append(key)
            parts = flow["from"].split(".")
            if "return" in parts:
                field_name = ".".join(parts[parts.index("return") + 1 :])
                producer["returns"][f"{parts[1]}.{field_name}"] = key
        return [self.add_step(s) for s in steps]

    @staticmethod
    def _find(steps: Mapping[tuple[str, str], dict[str, Any]], ref: str) -> dict[str, Any]:
        app, _, rest = ref.partition(".")
        for (step_app, short), step in steps.items():
            if step_app == app and (rest.startswith(short) or short.startswith(rest.split(".")[0])):
                return step
        raise ValueError(
            f"data flow reference '{ref}' names no step of this test"
            f" (steps: {', '.join(f'{a}.{t}' for a, t in steps)})"
        )

    def set_failure_analysis(self, spec: Mapping[str, Any]) -> None:
        """``{"categories": [{"name", "patterns"}], "routing": {category: team}}``."""
        routing = dict(spec.get("routing", {}))
        categories = []
        for item in spec.get("categories", []):
            patterns = [_literal(p) for p in item.get("patterns", [])]
            categories.append(
                FailureCategory(
                    name=item["name"],
                    message=patterns,
                    traceback=patterns,
                    output=patterns,
                    route=routing.get(item["name"]),
                    precedence=100,
                )
            )
        self.failures = FailuresConfig(categories=categories)


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
    """Plans and runs workflows built with the Python API."""

    def __init__(self, results_dir: str | Path | None = None) -> None:
        self.results_dir = Path(results_dir) if results_dir else None

    def build_config(
        self,
        workflow: TestWorkflow,
        environment: Environment | None = None,
        test_data: TestData | None = None,
        *,
        root: Path | None = None,
    ) -> Config:
        """The ``Config`` this workflow, environment and data amount to."""
        applications = registered_applications()
        steps = [*self._selection_steps(workflow, applications, root), *workflow.steps]
        environments = {environment.name: environment.to_model()} if environment else {}
        data: dict[str, Any] = {
            "applications": applications,
            "environments": environments,
            "services": environment.services if environment else {},
            "data": test_data.datasets if test_data else {},
            "failures": workflow.failures,
            "workflows": {
                workflow.name: WorkflowConfig(
                    description=workflow.description,
                    steps=steps,
                    environment=environment.name if environment else None,
                )
            },
        }
        config = Config.model_validate(data)
        from omnicloud.config.checks import run_checks
        from omnicloud.errors import ConfigError

        problems = list(run_checks(config))
        if problems:
            key, message = problems[0]
            raise ConfigError(message, key=".".join(key))
        source = (root or Path.cwd()) / "omnicloud.toml"
        return config.model_copy(update={"source": source})

    def _selection_steps(
        self,
        workflow: TestWorkflow,
        applications: Mapping[str, ApplicationConfig],
        root: Path | None,
    ) -> list[WorkflowStep]:
        from omnicloud.affected.select import expand_test_pattern

        steps = []
        for selection in workflow.selections:
            app = applications[selection.application]
            tests: list[str] = []
            for changed in app.changed_files:
                for rule in selection.rules:
                    match = re.fullmatch(rule.source_pattern, changed)
                    if match:
                        tests.append(expand_test_pattern(rule.test_pattern, match))
            if tests:
                steps.append(
                    WorkflowStep(
                        name=_name(f"{selection.application}-selected"),
                        application=selection.application,
                        tests=sorted(set(tests)),
                    )
                )
        return steps

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
        triaged = self._triage(config, run, results_dir)
        for step in run.steps:
            for test in step.tests:
                key = f"{step.name}::{test.test_id}"
                category, owner = triaged.get(key, (None, None))
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

    @staticmethod
    def _triage(
        config: Config,
        run: WorkflowResult,
        results_dir: Path,
    ) -> dict[str, tuple[str, str | None]]:
        from omnicloud.triage import Classifier, Failure, effective_categories

        classifier = Classifier(effective_categories(config.failures))
        found: dict[str, tuple[str, str | None]] = {}
        for step in run.steps:
            app = config.applications.get(step.application or "")
            for test in step.tests:
                if test.ok:
                    continue
                failure = Failure(
                    test_id=test.test_id,
                    status="error" if test.outcome == "error" else "failed",
                    message=test.message,
                    traceback=test.traceback,
                    stdout=test.stdout or step.log,
                    stderr=test.stderr,
                )
                verdict = classifier.classify(failure)
                owner = verdict.route or (
                    app.owners[0] if app and app.owners else config.project.default_owner
                )
                found[f"{step.name}::{test.test_id}"] = (verdict.category, owner)
        return found
