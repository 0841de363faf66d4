"""The machine a measurement ran on: recorded with every verdict, compared across baselines."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> dict[str, Any]:
    """Cores, CPU model, load average, OS and Python; ``class`` is what baselines compare."""
    cores = os.cpu_count() or 1
    model = cpu_model()
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = []
    return {
        "class": f"{cores} x {model}",
        "cores": cores,
        "cpu_model": model,
        "load_average": load,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def busy_note(machine: dict[str, Any]) -> str | None:
    """A warning when the machine was busier than its cores (a shared CI runner)."""
    load = machine.get("load_average") or []
    cores = int(machine.get("cores") or 1)
    if load and load[0] > cores:
        return (
            f"load average {load[0]} on {cores} cores: the machine was busy, intervals are wide"
            " and a failure may be the machine's"
        )
    return None
