"""Shape checks: does a provider have the methods, async, with the parameters, of an interface?

Run before any test, so a provider that lacks methods of a declared interface is reported with
the whole list at once (exit code 4) instead of as dozens of AttributeErrors.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Iterable
from typing import Any

from omnicloud.capabilities.catalog import spec_for
from omnicloud.errors import ProviderError
from tck_py.interfaces.catalog import Operation, Param

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_KEYWORD = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_VAR = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def shape_target(factory: Any) -> Any | None:
    """What can be checked before running: a class, the class a factory is annotated to
    return, or the one class an unannotated factory function constructs in every ``return``
    (``def create_store(**options): return RedisStore(...)``). ``None`` when only the tests can
    tell."""
    if inspect.isclass(factory):
        return factory
    try:
        returned = typing.get_type_hints(factory).get("return")
    except Exception:  # unresolvable annotations just mean "cannot check"
        returned = None
    if typing.get_origin(returned) is not None:  # Awaitable[X], Coroutine[..., X]
        returned = typing.get_args(returned)[-1]
    if inspect.isclass(returned) and returned is not Any:
        return returned
    return constructed_class(factory)


def constructed_class(function: Any) -> type | None:
    """The class every ``return`` of ``function`` instantiates by name, or ``None``.

    Reads the function's source, so it needs no service and runs nothing. Only a direct call of
    a class found in the function's module (or closure) counts: ``return Store(...)`` does,
    ``return await Store.connect(...)`` does not (a constructor method may return anything).
    """
    if not inspect.isfunction(function):
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    names = {_called_name(node) for node in _own_returns(definition)}
    if len(names) != 1 or None in names:
        return None
    scope = {**function.__globals__, **inspect.getclosurevars(function).nonlocals}
    found = scope.get(next(iter(names)) or "")
    return found if inspect.isclass(found) else None


def _own_returns(definition: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Return]:
    """``return`` statements of the function itself, not of functions nested in it."""
    found: list[ast.Return] = []
    todo: list[ast.AST] = list(definition.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _called_name(node: ast.Return) -> str | None:
    value = node.value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id
    return None


def check_shape(provider: Any, interface: str) -> list[str]:
    """Missing or mis-shaped methods of ``interface`` on a provider instance or class."""
    problems: list[str] = []
    for op in spec_for(interface).operations:
        problems.extend(_check_operation(provider, op))
    return problems


def require_shapes(factory: Any, interfaces: Iterable[str], *, what: str) -> None:
    """Raise ``ProviderError`` listing every shape problem of the declared ``interfaces``."""
    target = shape_target(factory)
    if target is None:
        return
    found = [f"{name}: {problem}" for name in interfaces for problem in check_shape(target, name)]
    if found:
        raise ProviderError(
            f"{what}: {getattr(target, '__qualname__', target)!s} does not have the methods of"
            f" the interfaces it declares ({len(found)} problems): {'; '.join(found)}",
            hint="fix the methods, or remove the interface from 'implements'"
            " (signatures: docs/interfaces.md)",
        )


def _check_operation(provider: Any, op: Operation) -> list[str]:
    member = inspect.getattr_static(provider, op.name, None)
    if member is None:
        return [f"missing '{op.name}' ({op.render()})"]
    function = member.__func__ if isinstance(member, staticmethod | classmethod) else member
    if not callable(function):
        return [f"'{op.name}' is not a method ({op.render()})"]
    if not inspect.iscoroutinefunction(function):
        return [f"'{op.name}' is not async ({op.render()})"]
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    params = list(signature.parameters.values())
    if _bound_to_class(provider, op.name, member):
        params = params[1:]
    return [f"'{op.name}' {problem} ({op.render()})" for problem in _compare(op.params, params)]


def _bound_to_class(provider: Any, name: str, member: Any) -> bool:
    """True when ``member`` is a plain function found on a class (its first parameter is self)."""
    if isinstance(member, staticmethod | types.MethodType):
        return False
    if not inspect.isclass(provider) and name in getattr(provider, "__dict__", {}):
        return False
    return inspect.isfunction(member) or isinstance(member, classmethod)


def _compare(expected: tuple[Param, ...], actual: list[inspect.Parameter]) -> list[str]:
    kinds = {p.kind for p in actual}
    if {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD} <= kinds:
        return []  # (*args, **kwargs) accepts every call the suites make
    problems: list[str] = []
    used: set[str] = set()
    for index, want in enumerate(expected):
        have, problem = _find(want, index, actual, kinds)
        if problem:
            problems.append(problem)
        if have is None:
            continue
        used.add(have.name)
        if not want.required and have.default is inspect.Parameter.empty:
            problems.append(f"parameter '{have.name}' needs a default")
    problems.extend(
        f"has an extra required parameter '{p.name}'"
        for p in actual
        if p.name not in used and p.default is inspect.Parameter.empty and p.kind not in _VAR
    )
    return problems


def _find(
    want: Param, index: int, actual: list[inspect.Parameter], kinds: set[Any]
) -> tuple[inspect.Parameter | None, str | None]:
    """The provider's parameter matching ``want``, and what is wrong with it."""
    if want.kind == "varargs":
        ok = inspect.Parameter.VAR_POSITIONAL in kinds
        return None, None if ok else f"must accept *{want.name}"
    if want.kind == "positional":
        positional = [p for p in actual if p.kind in _POSITIONAL]
        if index >= len(positional):
            ok = inspect.Parameter.VAR_POSITIONAL in kinds
            return None, None if ok else f"lacks parameter '{want.name}' (position {index + 1})"
        have = positional[index]
        if have.name != want.name and have.kind != inspect.Parameter.POSITIONAL_ONLY:
            return have, f"parameter {index + 1} is '{have.name}', expected '{want.name}'"
        return have, None
    found = next((p for p in actual if p.name == want.name and p.kind in _KEYWORD), None)
    if found is None and inspect.Parameter.VAR_KEYWORD not in kinds:
        return None, f"lacks keyword parameter '{want.name}'"
    return found, None
