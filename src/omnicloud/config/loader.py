"""Load ``omnicloud.toml`` (or ``[tool.omnicloud]`` in ``pyproject.toml``) into a ``Config``.

Stages: find the file -> parse TOML -> interpolate ``${VAR}`` -> validate into models -> check
cross-references. Every failure becomes one ``ConfigError`` naming file, line, column, key path,
the bad value and what is accepted.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from omnicloud.config.checks import run_checks
from omnicloud.config.find import find_config
from omnicloud.config.locate import KeyLocator
from omnicloud.config.models import Config
from omnicloud.errors import ConfigError, Location, did_you_mean, one_of

_SECRET_KEY = re.compile(r"(password|passwd|secret|token|credential|api[_-]?key)", re.I)
_VAR = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_HINT = "see docs/configuration.md for every key and its accepted values"
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32  # levels of tables, arrays and dotted keys
MAX_INT = 2**63 - 1


def load_config(
    path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load, interpolate, validate and cross-check a configuration file."""
    source = Path(path) if path is not None else find_config()
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {source}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the path
        raise ConfigError(f"cannot read {str(source)!r}: {exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{source} is {len(raw)} bytes; a configuration file is at most"
            f" {MAX_CONFIG_BYTES} bytes",
            location=Location(str(source)),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded",
            location=Location(str(source), line, 0),
            hint="is this the right file? configuration files are UTF-8 TOML",
        ) from None
    return parse_config(text, source, environ=os.environ if environ is None else environ)


def parse_config(text: str, source: Path, *, environ: Mapping[str, str]) -> Config:
    _check_dotted_keys(text, source)
    data, prefix = _parse_toml(text, source)
    locator = KeyLocator(text)
    where = _Where(source, locator, prefix)
    _check_values(data, where)
    data = _interpolate(data, (), environ, where)
    return _validate(data, source, where)


def validate_config_data(
    data: dict[str, Any], source: Path, *, origin: str, cross_checks: bool = True
) -> Config:
    """Validate configuration data built in code (the Python API) exactly as a file's data is
    validated: the same models, cross-checks and error texts with dotted key paths. ``source``
    anchors relative paths as a file's location would; ``origin`` names where the data came
    from in error messages (there is no line to point at). ``cross_checks=False`` validates a
    piece alone (what it references may come later)."""
    where = _Where(Path(origin), KeyLocator(""), ())
    _check_values(data, where)
    return _validate(data, source, where, cross_checks=cross_checks)


def _validate(
    data: dict[str, Any], source: Path, where: _Where, *, cross_checks: bool = True
) -> Config:
    try:
        config = Config.model_validate({**data, "source": source.resolve()})
    except ValidationError as exc:
        raise _validation_error(exc, where, data) from None
    problems = list(run_checks(config)) if cross_checks else []
    if problems:
        key, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(message + more, location=where.at(key), key=".".join(key), hint=_HINT)
    return config


class _Where:
    def __init__(self, source: Path, locator: KeyLocator, prefix: tuple[str, ...]) -> None:
        self.source = source
        self.locator = locator
        self.prefix = prefix

    def at(self, key: tuple[str, ...]) -> Location:
        line, column = self.locator.find((*self.prefix, *key))
        return Location(str(self.source), line, column)


def _check_dotted_keys(text: str, source: Path) -> None:
    """A key of more than ``MAX_DEPTH`` dotted parts is refused before parsing (the TOML
    parser's time grows with the square of it)."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        key = line.split("=", 1)[0] if "=" in line else line
        if key.count(".") > MAX_DEPTH:
            raise ConfigError(
                f"a key of more than {MAX_DEPTH} dotted parts",
                location=Location(str(source), lineno, 1),
                hint=f"configuration keys nest at most {MAX_DEPTH} levels",
            )


def _check_values(data: dict[str, Any], where: _Where) -> None:
    """Refuse what no key accepts, naming the key: nesting deeper than ``MAX_DEPTH``, a NUL
    character in a string, an integer outside the 64-bit range. Iterative: hostile nesting
    must not exhaust the stack."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:
        key, value = stack.pop()
        problem = None
        if len(key) > MAX_DEPTH:
            problem = f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(value, str) and "\0" in value:
            problem = "a NUL character is not allowed in a value"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            problem = f"integer {value} is out of range (at most {MAX_INT})"
        if problem:
            shown = key[: MAX_DEPTH // 4] + (("...",) if len(key) > MAX_DEPTH // 4 else ())
            raise ConfigError(problem, location=where.at(key), key=".".join(shown), hint=_HINT)
        if isinstance(value, dict):
            stack.extend(((*key, str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*key, str(i)), v) for i, v in enumerate(value))


def _parse_toml(text: str, source: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(
            "invalid TOML: arrays or inline tables nested too deeply to parse",
            location=Location(str(source)),
            hint=f"configuration values nest at most {MAX_DEPTH} levels",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ConfigError(
            f"invalid TOML: {detail}",
            location=Location(str(source), line, column),
            hint="check quoting, brackets and commas on that line",
        ) from None
    if source.name == "pyproject.toml":
        tool = data.get("tool", {})
        if "omnicloud" not in tool:
            raise ConfigError(
                f"{source} has no [tool.omnicloud] table",
                location=Location(str(source)),
                hint="add [tool.omnicloud] or create omnicloud.toml",
            )
        return dict(tool["omnicloud"]), ("tool", "omnicloud")
    return data, ()


def _interpolate(
    value: Any, key: tuple[str, ...], environ: Mapping[str, str], where: _Where
) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*key, k), environ, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*key, str(i)), environ, where) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(1):  # $${VAR} is a literal ${VAR}
            return match.group(0)[1:]
        name, default = match.group(2), match.group(3)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"environment variable '{name}' is not set",
            location=where.at(key),
            key=".".join(key),
            hint=f"export {name}=..., or write ${{{name}:-default}} to give a default",
        )

    return _VAR.sub(replace, value)


def _validation_error(exc: ValidationError, where: _Where, data: dict[str, Any]) -> ConfigError:
    errors = [e for e in exc.errors() if e["loc"] != ("source",)]
    first = errors[0]
    loc = _in_data(tuple(str(part) for part in first["loc"]), data)
    message = _describe(first, loc, data)
    others = {_in_data(tuple(str(p) for p in e["loc"]), data) for e in errors[1:]} - {loc}
    if others:  # the branches of one union are one mistake, not several
        message += f" (and {len(others)} more)"
    return ConfigError(message, location=where.at(loc), key=".".join(loc), hint=_HINT)


def _in_data(loc: tuple[str, ...], data: Any) -> tuple[str, ...]:
    """``loc`` without the union-branch tags pydantic appends (``constrained-int``...): the
    longest prefix that names something in the data, plus a missing last key."""
    value = data
    for depth, part in enumerate(loc):
        if isinstance(value, dict):
            if part not in value:
                return loc[: depth + 1]
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return loc[:depth]
    return loc


def _describe(error: Any, loc: tuple[str, ...], data: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        accepted = _accepted_keys(loc[:-1])
        return (
            f"unknown key '{loc[-1]}'{did_you_mean(loc[-1], accepted)}"
            f" (accepted: {one_of(accepted)})"
        )
    if kind == "missing":
        return "required key is missing"
    text = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error" or "input" not in error:
        return text
    return f"{text}; got {_show(error['input'], loc)}"


def _show(value: Any, loc: tuple[str, ...]) -> str:
    if any(_SECRET_KEY.search(part) for part in loc):
        return "'***'"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _accepted_keys(loc: tuple[str, ...]) -> list[str]:
    model: Any = Config
    for part in loc:
        model = _descend(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [name for name, f in model.model_fields.items() if not f.exclude]
    return []


def _descend(annotation: Any, part: str) -> Any:
    """The type found one key below ``annotation`` (a model, dict or list type)."""
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            field = candidate.model_fields.get(part)
            if field is not None:
                return field.annotation
            continue
        origin = typing.get_origin(candidate)
        if origin in (dict, list, Mapping):
            return typing.get_args(candidate)[-1]
    return None


def _unwrap(annotation: Any) -> Iterator[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            yield from _unwrap(arg)
    elif origin is typing.Annotated:
        yield from _unwrap(typing.get_args(annotation)[0])
    else:
        yield annotation
