"""The service guard catches what would skip silently in CI: a test that reaches a service
without the ``services`` marker, and a module-level ``importorskip``."""

from __future__ import annotations

import ast
import signal
import sys
import time
from pathlib import Path

import pytest

import children

TESTS = Path(__file__).resolve().parents[1]


def module_level_importorskips(tree: ast.Module) -> list[int]:
    """Lines of ``importorskip`` calls outside any function or class (run at import)."""
    found: list[int] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "importorskip"
        ):
            found.append(node.lineno)
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found)


def test_no_test_module_skips_at_import() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in module_level_importorskips(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], (
        "a module-level importorskip skips silently in CI; use service_guard.require in the test"
    )


def test_the_importorskip_finder_sees_module_level_calls_only() -> None:
    tree = ast.parse(
        "import pytest\n"
        "kube = pytest.importorskip('kubernetes')\n"
        "if True:\n    importorskip('x')\n"
        "def test_a():\n    pytest.importorskip('y')\n"
    )
    assert module_level_importorskips(tree) == [2, 4]


def test_an_unmarked_test_reaching_a_service_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(service_guard=(TESTS / "service_guard.py").read_text(encoding="utf-8"))
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makeini(
        "[pytest]\nmarkers =\n    services(*names): needs real services\n"
        "asyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        test_reach="""
        import pytest
        from service_guard import require

        def test_unmarked():
            require(True, "redis", "install it")

        @pytest.mark.services("redis")
        def test_marked():
            require(True, "redis", "install it")

        @pytest.fixture
        def server():
            require(True, "postgres", "install it")

        def test_unmarked_fixture(server):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*test_unmarked needs redis but has no @pytest.mark.services(...) marker*"]
    )


def test_reap_kills_what_a_test_body_left_running_with_its_process_group(tmp_path: Path) -> None:
    """The conftest's ``reap`` after each test body: a child left running in its own process
    group goes with the service it started; a child sharing ours is killed alone."""
    pid_file = tmp_path / "service.pid"
    starts_a_service = (
        "import subprocess, sys, time\n"
        "service = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        "open(sys.argv[1], 'w').write(str(service.pid))\n"
        "time.sleep(300)\n"
    )
    leader = children.spawn(
        [sys.executable, "-c", starts_a_service, str(pid_file)], start_new_session=True
    )
    plain = children.spawn([sys.executable, "-c", "import time; time.sleep(300)"])
    deadline = time.monotonic() + 60
    while not pid_file.is_file() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child never started its service"
        time.sleep(0.05)
    service = int(pid_file.read_text())
    assert children.pid_running(service)
    assert leader.poll() is None
    assert plain.poll() is None
    children.reap()
    assert leader.returncode == -signal.SIGKILL
    assert plain.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while children.pid_running(service):
        assert time.monotonic() < deadline, "the service of the killed group is still running"
        time.sleep(0.05)
    children.reap()  # nothing left: a second call is a no-op
