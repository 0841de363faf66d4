"""Seed 004's example through the Python API, on local applications in real git repositories.

The applications are built here: two Python services tested with pytest, and a JavaScript
frontend tested with ``npm test`` (node's own test runner). Data flows from one application's
test to the next; a failing test is classified and routed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import omnicloud as testflow
from omnicloud.api import clear_applications
from omnicloud.config import load_config
from omnicloud.plan import plan_sessions
from service_guard import require

# Both tests build the applications, which needs npm (Node.js) for the frontend.
pytestmark = pytest.mark.services("npm")

USER_AUTH = """
def test_login():
    return {"token": "tok-42"}
"""
PAYMENT = """
import os


def test_create_payment(omnicloud_flow):
    assert os.environ["OMNICLOUD_FLOW_USER_TOKEN"] == "tok-42"
    assert omnicloud_flow["user_token"] == "tok-42"
    return {"id": "pay-9"}
"""
PROCESSOR = """
def test_processor_charges_card():
    raise ConnectionError("database is unreachable at 10.0.0.5:5432")
"""
FRONTEND_CONFIRM = """
const test = require("node:test");
const assert = require("node:assert");
test("confirmation shows the payment", () => {
  assert.strictEqual(process.env.OMNICLOUD_FLOW_PAYMENT_ID, "pay-9");
});
"""
FRONTEND_FORM = """
const test = require("node:test");
test("form renders", () => {});
"""


def git_repo(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "app"],
    ):
        subprocess.run(command, cwd=root, check=True)
    return f"file://{root}"


@pytest.fixture
def applications(tmp_path: Path) -> Iterator[dict[str, str]]:
    require(
        shutil.which("npm") is not None,
        "npm (Node.js)",
        "install it with 'apt-get install nodejs npm'",
    )
    repos = {
        "user-service": git_repo(tmp_path / "user-service", {"tests/api/test_auth.py": USER_AUTH}),
        "payment-service": git_repo(
            tmp_path / "payment-service",
            {
                "src/payment/processor.py": "",
                "tests/test_processor.py": PROCESSOR,
                "tests/api/test_payment.py": PAYMENT,
            },
        ),
        "web-frontend": git_repo(
            tmp_path / "web-frontend",
            {
                "package.json": json.dumps({"name": "web", "scripts": {"test": "node --test"}}),
                "src/components/payment/__tests__/PaymentConfirmation.test.js": FRONTEND_CONFIRM,
                "src/components/payment/__tests__/PaymentForm.test.js": FRONTEND_FORM,
            },
        ),
    }
    clear_applications()
    yield repos
    clear_applications()


def seed_example(repos: dict[str, str]) -> tuple[object, object, object]:
    """Seed 004's example, verbatim but for the repositories (local), the import name and the
    database's ``schemas`` (which nothing would apply)."""
    testflow.register_application(
        "payment-service",
        {
            "repository": repos["payment-service"],
            "test_command": "pytest {test_path}",
            "changed_files": ["src/payment/processor.py", "tests/test_processor.py"],
        },
    )
    testflow.register_application(
        "user-service",
        {
            "repository": repos["user-service"],
            "test_command": "pytest {test_path}",
            "changed_files": [],
        },
    )
    testflow.register_application(
        "web-frontend",
        {
            "repository": repos["web-frontend"],
            "test_command": "npm test -- {test_path}",
            "changed_files": ["src/components/payment/PaymentForm.js"],
        },
    )
    environment = testflow.Environment("integration-test")
    environment.add_service(
        "payment-db",
        {
            "type": "postgres",
            "version": "13.4",
            # The seed's "schemas": [...] is left out: no service key applies SQL files, so the
            # loader refuses it as services.payment-db.schemas (test_python_api_config.py).
            "config": {"port": 5432},
        },
    )
    environment.add_service(
        "payment-service",
        {
            "type": "docker",
            "image": "payment-service:latest",
            "ports": {"8080": 8080},
            "env": {"DB_HOST": "{payment-db.host}", "DB_PORT": "{payment-db.port}"},
        },
    )
    environment.add_service(
        "user-service", {"type": "docker", "image": "user-service:latest", "ports": {"8081": 8081}}
    )
    test_data = testflow.TestData("integration-test-data")
    test_data.add_generator(
        "users",
        {
            "count": 10,
            "schema": {"id": "uuid", "name": "name", "email": "email", "created_at": "timestamp"},
        },
    )
    test_data.add_generator(
        "payment_methods",
        {
            "count": 5,
            "schema": {
                "id": "uuid",
                "user_id": "ref:users.id",
                "type": "enum:credit_card,paypal,bank_transfer",
                "details": "json",
            },
        },
    )
    workflow = testflow.TestWorkflow("payment-integration-tests")
    workflow.add_test_selection(
        "payment-service",
        {
            "strategy": "change-based",
            "test_paths": ["tests/"],
            "mapping_rules": [
                {"source_pattern": "src/payment/(.*).py", "test_pattern": "tests/test_{1}.py"}
            ],
        },
    )
    workflow.add_test_selection(
        "web-frontend",
        {
            "strategy": "component-based",
            "test_paths": ["src/components/payment/__tests__"],
            "mapping_rules": [
                {
                    "source_pattern": "src/components/payment/(.*).js",
                    "test_pattern": "src/components/payment/__tests__/{1}.test.js",
                }
            ],
        },
    )
    workflow.add_cross_app_test(
        "end-to-end-payment",
        {
            "steps": [
                {"app": "user-service", "test": "tests/api/test_auth.py::test_login"},
                {
                    "app": "payment-service",
                    "test": "tests/api/test_payment.py::test_create_payment",
                },
                {
                    "app": "web-frontend",
                    "test": "src/components/payment/__tests__/PaymentConfirmation.test.js",
                },
            ],
            "data_flow": {
                "user_token": {
                    "from": "user-service.test_login.return.token",
                    "to": "payment-service.test_create_payment.headers.Authorization",
                },
                "payment_id": {
                    "from": "payment-service.test_create_payment.return.id",
                    "to": "web-frontend.PaymentConfirmation.test.props.paymentId",
                },
            },
        },
    )
    workflow.set_failure_analysis(
        {
            "categories": [
                {
                    "name": "database_connection",
                    "patterns": ["ConnectionError", "database is unreachable"],
                },
                {
                    "name": "authentication",
                    "patterns": ["Unauthorized", "Invalid token", "Authentication failed"],
                },
                {"name": "validation", "patterns": ["ValidationError", "invalid input"]},
                {
                    "name": "integration",
                    "patterns": ["service unavailable", "timeout waiting for response"],
                },
            ],
            "routing": {
                "database_connection": "database-team",
                "authentication": "security-team",
                "validation": "api-team",
                "integration": "integration-team",
            },
        }
    )
    return workflow, environment, test_data


def test_seed_004_example_runs_end_to_end(applications: dict[str, str], tmp_path: Path) -> None:
    workflow, environment, test_data = seed_example(applications)
    engine = testflow.Engine(results_dir=tmp_path / "results")
    result = engine.execute(workflow, environment, test_data)
    ids = {t.test_id for t in result.executed_tests}
    assert len(result.executed_tests) == 5, ids
    assert {t.step for t in result.passed_tests} == {
        "end-to-end-payment-1-user-service",
        "end-to-end-payment-2-payment-service",
        "end-to-end-payment-3-web-frontend",
        "web-frontend-selected",
    }
    [failure] = result.failed_tests
    assert failure.test_id.endswith("test_processor_charges_card")
    assert failure.category == "database_connection"
    assert failure.assigned_to == "database-team"
    assert "database is unreachable" in failure.logs
    assert result.workflow is not None
    assert result.workflow.flow == {"user_token": "tok-42", "payment_id": "pay-9"}


def test_python_and_toml_give_identical_plans(applications: dict[str, str], tmp_path: Path) -> None:
    workflow, environment, test_data = seed_example(applications)
    built = testflow.Engine().build_config(workflow, environment, test_data, root=tmp_path)
    toml_path = tmp_path / "omnicloud.toml"
    toml_path.write_text(
        to_toml(built.model_dump(mode="json", exclude={"source"}, exclude_defaults=True)),
        encoding="utf-8",
    )
    loaded = load_config(toml_path, environ={})
    assert loaded.model_dump(exclude={"source"}) == built.model_dump(exclude={"source"})
    assert plan_sessions(loaded) == plan_sessions(built)
    names = [s.name for s in plan_sessions(built)]
    assert "workflow-payment-integration-tests-end-to-end-payment-2-payment-service" in names


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def to_toml(data: object, prefix: str = "") -> str:
    """A small TOML writer for the test: tables, arrays of tables and inline values."""
    assert isinstance(data, dict)
    scalars, tables = [], []
    for key, value in data.items():
        full = f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key)
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            tables.append(to_toml(value, full))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.extend(f"[[{full}]]\n" + to_toml(v, full).split("\n", 1)[1] for v in value)
        else:
            scalars.append(f"{json.dumps(key)} = {toml_value(value)}")
    head = f"[{prefix}]\n" if prefix else ""
    return head + "\n".join(scalars) + "\n" + "\n".join(tables)
