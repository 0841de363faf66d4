"""The service guard catches what would skip silently in CI: a test that reaches a service
without the ``services`` marker, and a module-level ``importorskip``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
