"""Generate ``docs/configuration.md`` from the configuration models.

``python -m omnicloud.docgen docs`` (the ``docs`` nox session) rewrites the reference; a test
checks that the committed file matches, so the reference never drifts from the models.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from omnicloud.config.models import Config

HEADER = """# Configuration reference

Generated from the models in `src/omnicloud/config/models.py` by `nox -s docs`; do not edit.
`omnicloud schema` prints the same structure as a JSON Schema for TOML editors.

Every error names the file, line and column, the dotted key, the bad value and the accepted
forms, and exits with code 2. Strings may use `${VAR}` or `${VAR:-default}` (environment
variables); `$${VAR}` is a literal. A value written `{ secret = "..." }` is secret: it is
redacted from reports, logs and errors.
"""


def _type_name(annotation: Any) -> str:  # noqa: PLR0911 - one return per kind of type
    """A readable type: ``list[str]``, ``duration``, ``int | "auto"``, ``table``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        metadata = " ".join(repr(m) for m in args[1:])
        for marker in ("parse_duration", "_check_factory", "_check_name", "_to_secret"):
            if marker in metadata:
                return {
                    "parse_duration": "duration",
                    "_check_factory": "module:attribute",
                    "_check_name": "name",
                    "_to_secret": "value",
                }[marker]
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " | ".join(names) + (" (optional)" if type(None) in args else "")
    if origin is typing.Literal:
        return " | ".join(f'"{a}"' for a in args)
    if origin in (list, tuple):
        return f"list[{_type_name(args[0])}]" if args else "list"
    if origin is dict:
        inner = _type_name(args[-1])
        return "tables by name" if inner == "table" else f"table of {inner}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return {
            "str": "string",
            "int": "integer",
            "float": "number",
            "bool": "boolean",
            "Path": "path",
            "PosixPath": "path",
        }.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
        return (
            ""
            if value is None
            else f"`{value!r}`"
            if not isinstance(value, str)
            else f'`"{value}"`'
        )
    if field.default_factory is not None:
        try:
            value = field.default_factory()
        except TypeError:
            return ""
        if isinstance(value, BaseModel):
            return "(table)"
        return f"`{value!r}`"
    return "**required**"


def _models(model: type[BaseModel], key: str, seen: set[type]) -> list[tuple[str, type[BaseModel]]]:
    out = [(key, model)]
    seen.add(model)
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        for inner, suffix in _nested(field.annotation):
            if inner not in seen:
                out += _models(inner, f"{key}.{name}{suffix}".lstrip("."), seen)
    return out


def _nested(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    found: list[tuple[type[BaseModel], str]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, "")]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict and args:
        return [(m, ".<name>" + s) for m, s in _nested(args[-1])]
    if origin is list and args:
        return [(m, "[]" + s) for m, s in _nested(args[0])]
    for arg in args:
        found += _nested(arg)
    return found


def render() -> str:
    parts = [HEADER]
    for key, model in _models(Config, "", set()):
        title = f"`[{key}]`" if key else "Top level"
        parts.append(f"\n## {title}\n")
        doc = inspect.cleandoc(model.__doc__ or "")
        if doc:
            parts.append(doc + "\n")
        parts.append("| key | type | default | description |\n|---|---|---|---|")
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            cells = [
                f"`{name}`",
                f"`{_type_name(field.annotation)}`",
                _default(field),
                field.description or "",
            ]
            parts.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("docs")
    target = folder / "configuration.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
