"""Values of SLO profiles as people write them: latencies, rates and payload sizes.

Pure parsers shared by the configuration models and the command line, each returning one unit
(seconds, operations per second, bytes) and raising ``ValueError`` with the accepted forms.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_LATENCY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$")
_LATENCY_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*(?:/\s*s|ops/s)?\s*$")
_RATE_UNITS = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|kB|KB|KiB|MB|MiB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "kB": 1000, "KB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20}


def _number(value: Any, what: str) -> float | None:
    if isinstance(value, bool):
        raise ValueError(f"expected {what}")
    if isinstance(value, int | float):
        if value <= 0:
            raise ValueError(f"{what} must be positive, got {value!r}")
        return float(value)
    return None


def parse_latency(value: Any) -> float:
    """``"5ms"``, ``"250us"``, ``"1.5s"`` (a unit is required: latencies are small) -> seconds."""
    accepted = "a latency such as '5ms', '250us' or '1s'"
    if isinstance(value, str):
        match = _LATENCY.match(value)
        if match and float(match.group(1)) > 0:
            return float(match.group(1)) * _LATENCY_UNITS[match.group(2)]
    raise ValueError(f"invalid latency {value!r}; expected {accepted}")


def parse_rate(value: Any) -> float:
    """``"10k/s"``, ``"500/s"``, ``"1.5M/s"`` or a number of operations per second."""
    number = _number(value, "a rate such as '10k/s'")
    if number is not None:
        return number
    if isinstance(value, str):
        match = _RATE.match(value)
        if match and float(match.group(1)) > 0:
            return float(match.group(1)) * _RATE_UNITS[match.group(2)]
    raise ValueError(
        f"invalid rate {value!r}; expected operations per second such as '10k/s', '500/s'"
        " or a number"
    )


def parse_size(value: Any) -> int:
    """``"100B"``, ``"4KiB"``, ``"1MB"`` or a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            return int(match.group(1)) * _SIZE_UNITS[match.group(2)]
    raise ValueError(f"invalid size {value!r}; expected bytes such as '100B', '4KiB' or a number")


def format_latency(seconds: float) -> str:
    """Seconds as the unit people read: ``812us``, ``4.2ms``, ``1.30s``."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f}us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.3g}ms"
    return f"{seconds:.2f}s"


def format_rate(per_second: float) -> str:
    if per_second >= 1e4:
        return f"{per_second / 1e3:.1f}k/s"
    return f"{per_second:.0f}/s"


Latency = Annotated[float, BeforeValidator(parse_latency)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
Size = Annotated[int, BeforeValidator(parse_size)]
