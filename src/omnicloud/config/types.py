"""Value types shared by the configuration models: durations, factory paths, secrets, names."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, SecretStr

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
#: One year. Durations become thread joins, sleeps and deadlines: nan, inf or a huge number
#: there is a traceback (or no deadline at all), never a longer wait.
MAX_DURATION = 365 * 24 * 3600.0


def _bounded(seconds: float) -> float:
    if math.isnan(seconds):
        raise ValueError("a duration must be a number of seconds, not nan")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION:
        raise ValueError(f"a duration of at most one year ({MAX_DURATION:.0f} s); got {seconds:g}")
    return seconds


def parse_duration(value: Any) -> float:
    """``"30s"``, ``"250ms"``, ``"5m"``, ``"1h"`` or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '250ms', '5m' or a number of seconds")
    if isinstance(value, int | float):
        return _bounded(float(value))
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return _bounded(float(match.group(1)) * _UNITS[match.group(2)])
    raise ValueError(
        f"invalid duration {value!r}; expected a duration such as '30s', '250ms', '5m' or a"
        " number of seconds"
    )


Duration = Annotated[float, BeforeValidator(parse_duration)]

_FACTORY = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def _check_factory(value: str) -> str:
    if not _FACTORY.match(value):
        raise ValueError(
            f"invalid factory {value!r}; expected 'module.path:attribute' such as"
            " 'acme.kv:RedisKVStore'"
        )
    return value


FactoryPath = Annotated[str, AfterValidator(_check_factory)]

_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$")


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"invalid name {value!r}; use lowercase letters, digits, '-' and '_' (such as"
            " 'redis-kv'), starting and ending with a letter or digit"
        )
    return value


Name = Annotated[str, AfterValidator(_check_name)]


def _to_secret(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"secret"}:
        return SecretStr(str(value["secret"]))
    return value


def is_secret_table(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secret"}


#: An option value; ``{ secret = "..." }`` marks it secret (redacted everywhere it could print).
OptionValue = Annotated[Any, BeforeValidator(_to_secret)]
