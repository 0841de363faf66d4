"""Fault profiles: what each one does to the service or the network, for how long."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from omnicloud.config.models import FaultsConfig, ToxicConfig
from omnicloud.faults.proxy import Toxic

Kind = Literal["crash", "hang", "network"]


@dataclass(frozen=True)
class FaultProfile:
    name: str
    kind: Kind
    duration: float
    toxics: tuple[Toxic, ...] = ()
    summary: str = ""


_BUILTIN: dict[str, tuple[Kind, tuple[Toxic, ...], str]] = {
    "crash_restart": (
        "crash",
        (),
        "SIGKILL the server (docker kill), start it again on the same data",
    ),
    "hang": (
        "hang",
        (),
        "SIGSTOP the server (docker pause): sockets open, no answers; then resume",
    ),
    "slow_network": (
        "network",
        (Toxic("latency", latency=0.05, jitter=0.01),),
        "latency 50ms +/- 10ms each way",
    ),
    "reset_peer": ("network", (Toxic("reset_peer"),), "every connection reset (TCP RST)"),
    "partition": ("network", (Toxic("timeout"),), "all traffic dropped, then healed"),
    "bandwidth": (
        "network",
        (Toxic("bandwidth", rate=16),),
        "16 KB/s each way",
    ),
    "slow_close": ("network", (Toxic("slow_close", delay=1.0),), "closes delayed by 1s"),
}


def _toxic(config: ToxicConfig) -> Toxic:
    return Toxic(**config.model_dump())


def fault_profile(faults: FaultsConfig, name: str) -> FaultProfile:
    """A built-in profile, or one from ``[faults.custom.<name>]``."""
    custom = faults.custom.get(name)
    if custom is not None:
        toxics = tuple(_toxic(t) for t in custom.toxics)
        summary = ", ".join(t.type for t in toxics)
        return FaultProfile(name, "network", custom.duration or faults.duration, toxics, summary)
    kind, toxics, summary = _BUILTIN[name]
    return FaultProfile(name, kind, faults.duration, toxics, summary)
