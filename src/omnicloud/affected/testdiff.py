"""Which test functions a change to a test module touched, when that is all it touched.

Test-level selection is only safe when nothing but test functions changed: a changed fixture,
helper, import, decorator or class attribute can affect any test, so those changes return
``None`` ("run the whole module"). Comparison is on the syntax tree, so comments and formatting
do not count as changes.
"""

from __future__ import annotations

import ast
import copy

_Members = tuple[dict[str, str], list[str]]


def changed_tests(old: str, new: str) -> frozenset[str] | None:
    """Qualified names (``test_x``, ``TestY::test_z``) of added or modified tests, or None when
    something other than test functions changed (or nothing did)."""
    try:
        old_tree, new_tree = ast.parse(old), ast.parse(new)
    except SyntaxError:
        return None
    old_tests, old_rest = _split(old_tree.body, "")
    new_tests, new_rest = _split(new_tree.body, "")
    if old_rest != new_rest:
        return None
    touched = frozenset(name for name, dump in new_tests.items() if old_tests.get(name) != dump)
    return touched or None


def _split(body: list[ast.stmt], prefix: str) -> _Members:
    """Test functions (name -> dump) and everything else (dumps, in order)."""
    tests: dict[str, str] = {}
    rest: list[str] = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_test(node.name):
            tests[prefix + node.name] = ast.dump(node)
        elif isinstance(node, ast.ClassDef):
            inner_tests, inner_rest = _split(node.body, f"{prefix}{node.name}::")
            tests.update(inner_tests)
            header = copy.copy(node)  # the class line, decorators and bases only
            header.body = []
            rest.append(ast.dump(header))
            rest.extend(inner_rest)
        else:
            rest.append(ast.dump(node))
    return tests, rest


def _is_test(name: str) -> bool:
    return name.startswith("test")
