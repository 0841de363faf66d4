"""The Python API is a front end to the loader: what it cannot translate is refused, with the
same text and dotted key path ``omnicloud.toml`` gets for the same mistake. Pure: no services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import omnicloud
from omnicloud.api import Applications, Engine, Environment, TestData, TestWorkflow
from omnicloud.config import load_config
from omnicloud.errors import ConfigError

APP = {"repository": "https://git.example/user-service.git", "test_command": "pytest {test_path}"}


def toml_error(tmp_path: Path, text: str) -> tuple[str | None, str]:
    path = tmp_path / "omnicloud.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return caught.value.key, caught.value.detail


def python_error(build: Callable[[Engine, TestWorkflow], Any]) -> tuple[str | None, str]:
    engine = Engine(applications=Applications())
    workflow = TestWorkflow("checkout")

    def build_all() -> None:  # the mistake is refused when given, or at the latest at build
        build(engine, workflow)
        engine.build_config(workflow)

    with pytest.raises(ConfigError) as caught:
        build_all()
    assert str(caught.value).startswith("omnicloud.api: ")
    return caught.value.key, caught.value.detail


def with_service(spec: dict[str, Any]) -> Callable[[Engine, TestWorkflow], Any]:
    def build(engine: Engine, workflow: TestWorkflow) -> Any:
        environment = Environment("local")
        environment.add_service("db", spec)
        return engine.build_config(workflow, environment)

    return build


@pytest.mark.parametrize(
    ("spec", "toml", "key"),
    [
        (
            {"type": "postgres", "config": {"port": 5432, "schemas": ["payment_schema.sql"]}},
            'recipe = "postgres"\nport = 5432\nschemas = ["payment_schema.sql"]',
            "services.db.schemas",
        ),
        (
            {"type": "redis", "imgae": "redis:7"},
            'recipe = "redis"\nimgae = "redis:7"',
            "services.db.imgae",
        ),
        (
            {"type": "docker", "image": "x:1", "config": {"port": 70000}},
            'image = "x:1"\nport = 70000',
            "services.db.port",
        ),
    ],
)
def test_add_service_mistakes_are_the_toml_errors(
    tmp_path: Path, spec: dict[str, Any], toml: str, key: str
) -> None:
    expected = toml_error(tmp_path, f"[services.db]\n{toml}\n")
    assert expected[0] == key
    assert python_error(with_service(spec)) == expected


def test_misspelled_application_key_is_the_toml_error(tmp_path: Path) -> None:
    expected = toml_error(
        tmp_path, '[applications.user-service]\nrepositry = "https://git.example/u.git"\n'
    )
    assert expected[0] == "applications.user-service.repositry"
    assert "did you mean 'repository'" in expected[1]
    got = python_error(
        lambda engine, _: engine.register_application(
            "user-service", {"repositry": "https://git.example/u.git"}
        )
    )
    assert got == expected


@pytest.mark.parametrize(
    ("category", "toml", "key"),
    [
        (
            {"name": "db", "pattern": ["ConnectionError"]},
            'pattern = ["ConnectionError"]',
            "pattern",
        ),
        (  # patterns are searched in the message, traceback and output
            {"name": "db", "patterns": [""]},
            'message = [""]\ntraceback = [""]\noutput = [""]',
            "message.0",
        ),
    ],
)
def test_category_mistakes_are_the_toml_errors(
    tmp_path: Path, category: dict[str, Any], toml: str, key: str
) -> None:
    expected = toml_error(tmp_path, f'[[failures.categories]]\nname = "db"\n{toml}\n')
    assert expected[0] == f"failures.categories.0.{key}"
    got = python_error(lambda _, wf: wf.set_failure_analysis({"categories": [category]}))
    assert got == expected


def test_routing_to_an_undeclared_category_is_refused() -> None:
    key, detail = python_error(
        lambda _, wf: wf.set_failure_analysis(
            {
                "categories": [{"name": "database_connection", "patterns": ["ConnectionError"]}],
                "routing": {"database_conection": "database-team"},
            }
        )
    )
    assert key == "failures.routing.database_conection"
    assert "did you mean 'database_connection'" in detail


@pytest.mark.parametrize(
    ("spec", "key", "text"),
    [
        ({"strategy": "changed-based"}, "strategy", "did you mean 'change-based'"),
        ({"mapping_rule": []}, "mapping_rule", "did you mean 'mapping_rules'"),
        (
            {"mapping_rules": [{"source_pattern": "src/(.*).py", "test_pattern": "t/{2}.py"}]},
            "mapping_rules.0",
            "uses group '2'",
        ),
    ],
)
def test_selection_mistakes_name_their_key(spec: dict[str, Any], key: str, text: str) -> None:
    got_key, detail = python_error(lambda _, wf: wf.add_test_selection("user-service", spec))
    assert got_key == f"workflows.checkout.selections.user-service.{key}"
    assert text in detail


def test_selection_of_an_unregistered_application_is_refused() -> None:
    def build(engine: Engine, workflow: TestWorkflow) -> None:
        engine.register_application("user-service", APP)
        workflow.add_test_selection("user-servise", {"strategy": "change-based"})

    key, detail = python_error(build)
    assert key == "workflows.checkout.selections.user-servise"
    assert "did you mean 'user-service'" in detail


STEPS = [
    {"app": "user-service", "test": "tests/api/test_auth.py::test_login"},
    {"app": "payment-service", "test": "tests/api/test_payment.py::test_create_payment"},
]


@pytest.mark.parametrize(
    ("flow", "key", "text"),
    [
        (
            {"from": "user-service.test_login.return.token", "to": "payment-service.test.headers"},
            "to",
            "names no step of this test",
        ),
        (
            {"from": "user-service.test_login.token", "to": "payment-service.test_create_payment"},
            "from",
            "'app.test_name.return.field'",
        ),
        ({"from": "user-service.test_login.return.token"}, "", "a data flow is"),
    ],
)
def test_data_flow_mistakes_name_their_key(flow: dict[str, str], key: str, text: str) -> None:
    got_key, detail = python_error(
        lambda _, wf: wf.add_cross_app_test(
            "e2e", {"steps": STEPS, "data_flow": {"user_token": flow}}
        )
    )
    base = "workflows.checkout.cross_app_tests.e2e.data_flow.user_token"
    assert got_key == (f"{base}.{key}" if key else base)
    assert text in detail


def test_unknown_service_type_is_refused() -> None:
    key, detail = python_error(with_service({"type": "postgress"}))
    assert key == "services.db.type"
    assert "did you mean 'postgres'" in detail


def test_each_engine_owns_its_applications(tmp_path: Path) -> None:
    first, second = Engine(applications=Applications()), Engine(applications=Applications())
    first.register_application("user-service", APP)
    workflow = TestWorkflow("checkout")
    workflow.add_step({"name": "login", "application": "user-service", "tests": "tests/"})
    assert first.build_config(workflow, root=tmp_path).applications["user-service"].test_command
    with pytest.raises(ConfigError) as caught:
        second.build_config(workflow, root=tmp_path)
    assert caught.value.key == "workflows.checkout.steps.0.application"


def test_register_application_fills_the_default_engine(tmp_path: Path) -> None:
    omnicloud.api.clear_applications()
    try:
        omnicloud.register_application("user-service", APP)
        workflow = TestWorkflow("checkout")
        workflow.add_step({"name": "login", "application": "user-service", "tests": "tests/"})
        config = Engine().build_config(workflow, root=tmp_path)
        assert config.applications["user-service"].test_command == ["pytest", "{test_path}"]
        assert list(omnicloud.api.registered_applications()) == ["user-service"]
    finally:
        omnicloud.api.clear_applications()


def test_a_valid_seed_service_and_dataset_translate(tmp_path: Path) -> None:
    environment = Environment("integration-test")
    environment.add_service("payment-db", {"type": "postgres", "version": "13.4"})
    environment.add_service(
        "payment-service", {"type": "docker", "image": "p:1", "ports": {"8080": 8080}}
    )
    data = TestData("d")
    data.add_generator("users", {"count": 3, "schema": {"id": "uuid"}})
    config = Engine(applications=Applications()).build_config(
        TestWorkflow("w"), environment, data, root=tmp_path
    )
    assert config.services["payment-db"].image == "postgres:13.4"
    assert config.services["payment-db"].recipe == "postgres"
    assert config.services["payment-service"].ports == {"p8080": 8080}
    assert config.environments["integration-test"].provisioner == "docker"
    assert list(config.data["users"].fields) == ["id"]
