"""Cross-application workflows on real local applications, run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from omnicloud.config import load_config
from omnicloud.errors import ConfigError
from omnicloud.plan import plan_sessions
from omnicloud.workflows.engine import run_workflow
from omnicloud.workflows.graph import dependents, execution_waves

AUTH_TEST = """
def test_login(omnicloud_flow):
    omnicloud_flow.publish("token", "tok-123")
"""
PAY_TEST = """
def test_create_payment(omnicloud_flow):
    assert omnicloud_flow["token"] == "tok-123"
    omnicloud_flow.publish("payment_id", "pay-7")
"""
WEB_TEST = """
import os

def test_confirmation(omnicloud_flow):
    assert omnicloud_flow["payment_id"] == "pay-7"
    assert os.environ["OMNICLOUD_FLOW_PAYMENT_ID"] == "pay-7"
"""

CONFIG = """
[project]
name = "shop"

[applications.auth]
path = "apps/auth"
[applications.payments]
path = "apps/payments"
[applications.web]
path = "apps/web"

[workflows.checkout]
description = "log in, pay, confirm"

[[workflows.checkout.steps]]
name = "login"
application = "auth"
tests = "tests"
publishes = ["token"]

[[workflows.checkout.steps]]
name = "pay"
application = "payments"
tests = "tests"
depends_on = ["login"]
consumes = ["token"]
publishes = ["payment_id"]

[[workflows.checkout.steps]]
name = "confirm"
application = "web"
tests = "tests"
depends_on = ["pay"]
consumes = ["payment_id"]

[[workflows.checkout.steps]]
name = "audit"
command = ["{python}", "-c",
           "import os; open(os.environ['OMNICLOUD_FLOW_OUTPUT'], 'w').write('audited=yes\\\\n')"]
publishes = ["audited"]
"""


def make_shop(root: Path) -> Path:
    for app, body in (("auth", AUTH_TEST), ("payments", PAY_TEST), ("web", WEB_TEST)):
        folder = root / "apps" / app / "tests"
        folder.mkdir(parents=True)
        (folder / f"test_{app}.py").write_text(body, encoding="utf-8")
    path = root / "omnicloud.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_three_applications_pass_data_along(tmp_path: Path) -> None:
    config = load_config(make_shop(tmp_path), environ={})
    result = run_workflow(config, "checkout", results_dir=tmp_path / "results", environ={})
    statuses = {s.name: s.status for s in result.steps}
    assert statuses == {
        "login": "passed",
        "pay": "passed",
        "confirm": "passed",
        "audit": "passed",
    }, [s.log for s in result.steps]
    assert result.flow == {"token": "tok-123", "payment_id": "pay-7", "audited": "yes"}
    assert result.producers == {"token": "login", "payment_id": "pay", "audited": "audit"}
    assert result.step("pay").consumed == {"token": "tok-123"}
    assert [t.name for t in result.step("confirm").tests] == ["test_confirmation"]
    assert result.exit_code() == 0
    order = [s.name for s in result.steps]
    assert order.index("login") < order.index("pay") < order.index("confirm")


def test_unavailable_application_skips_dependants_and_runs_the_rest(tmp_path: Path) -> None:
    path = make_shop(tmp_path)
    path.write_text(CONFIG.replace('path = "apps/payments"', 'path = "apps/missing"'), "utf-8")
    config = load_config(path, environ={})
    result = run_workflow(config, "checkout", results_dir=tmp_path / "results", environ={})
    pay, confirm = result.step("pay"), result.step("confirm")
    assert pay.status == "unavailable"
    assert (
        pay.reason == f"application 'payments': folder {tmp_path / 'apps/missing'} does not exist"
    )
    assert confirm.status == "skipped"
    assert confirm.reason == f"depends on 'pay', which was unavailable: {pay.reason}"
    assert result.step("login").status == "passed"
    assert result.step("audit").status == "passed"
    assert result.exit_code() == 5


def test_failing_step_skips_its_dependants_with_the_reason(tmp_path: Path) -> None:
    make_shop(tmp_path)
    (tmp_path / "apps/auth/tests/test_auth.py").write_text(
        "def test_login(omnicloud_flow):\n    assert False, 'auth is down'\n", "utf-8"
    )
    config = load_config(tmp_path / "omnicloud.toml", environ={})
    result = run_workflow(config, "checkout", results_dir=tmp_path / "results", environ={})
    login = result.step("login")
    assert login.status == "failed"
    assert login.reason == "exit code 1"
    assert [t.outcome for t in login.tests] == ["failed"]
    assert result.step("pay").reason == "depends on 'login', which failed: exit code 1"
    assert result.step("confirm").status == "skipped"
    assert result.exit_code() == 1


def test_step_that_does_not_publish_what_it_declares_fails(tmp_path: Path) -> None:
    make_shop(tmp_path)
    (tmp_path / "apps/auth/tests/test_auth.py").write_text(
        "def test_login(omnicloud_flow):\n    pass\n", "utf-8"
    )
    config = load_config(tmp_path / "omnicloud.toml", environ={})
    result = run_workflow(config, "checkout", results_dir=tmp_path / "results", environ={})
    assert result.step("login").status == "failed"
    assert result.step("login").reason == "did not publish 'token'"


def test_cli_runs_a_workflow_and_writes_its_report(tmp_path: Path) -> None:
    make_shop(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "omnicloud", "workflow", "run", "checkout"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Data flow" in done.stdout
    report = json.loads(
        (tmp_path / "omnicloud-results/workflows/checkout/workflow.json").read_text()
    )
    assert [s["status"] for s in report["steps"]] == ["passed"] * 4
    markdown = (tmp_path / "omnicloud-results/workflows/checkout/workflow.md").read_text()
    assert "| token | login | pay | `tok-123` |" in markdown


def test_single_step_reuses_state_of_earlier_steps(tmp_path: Path) -> None:
    config = load_config(make_shop(tmp_path), environ={})
    results = tmp_path / "results"
    early = run_workflow(config, "checkout", results_dir=results, only_step="pay", environ={})
    assert early.step("pay").reason == (
        "depends on 'login', which has not run (run session 'workflow-checkout-login' first)"
    )
    run_workflow(config, "checkout", results_dir=results, only_step="login", environ={})
    later = run_workflow(config, "checkout", results_dir=results, only_step="pay", environ={})
    assert later.step("pay").status == "passed"


def test_workflow_expands_to_linked_sessions(tmp_path: Path) -> None:
    config = load_config(make_shop(tmp_path), environ={})
    sessions = {s.name: s for s in plan_sessions(config)}
    assert sessions["workflow-checkout-pay"].requires == ("workflow-checkout-login",)
    assert sessions["workflow-checkout-confirm"].requires == ("workflow-checkout-pay",)
    assert sessions["workflow-checkout"].argv == ("workflow", "run", "checkout")


def test_consuming_a_value_no_dependency_publishes_is_a_config_error(tmp_path: Path) -> None:
    path = make_shop(tmp_path)
    path.write_text(CONFIG.replace('depends_on = ["pay"]\nconsumes', "consumes"), "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert (
        "workflows.checkout.steps.2.consumes.0: step 'confirm' consumes 'payment_id', which"
        " no step it depends on publishes; it is published by pay: add it to depends_on"
    ) in info.value.message


def test_dependency_cycle_is_a_config_error(tmp_path: Path) -> None:
    path = make_shop(tmp_path)
    path.write_text(
        CONFIG.replace('name = "login"\n', 'name = "login"\ndepends_on = ["confirm"]\n'), "utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "dependency cycle: login -> confirm -> pay -> login" in info.value.message


def test_execution_waves_and_dependents() -> None:
    graph = {"a": [], "b": ["a"], "c": [], "d": ["b", "c"]}
    assert execution_waves(graph) == [["a", "c"], ["b"], ["d"]]
    assert dependents(graph, "a") == ["b", "d"]
    with pytest.raises(ValueError, match="dependency cycle"):
        execution_waves({"x": ["y"], "y": ["x"]})
