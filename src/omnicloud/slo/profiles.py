"""What each provider and interface must meet: its SLO, resolved from the configuration.

Layers, later ones winning field by field: the named profile (the interface's own ``profile``,
else the provider-wide ``"*"`` one, else ``slo.profile`` when the provider declares nothing for
the interface), the provider-wide targets, the interface's own targets. The built-in ``rfc015``
profile holds RFC-015's figures: p99 under 5 ms and over 10k operations per second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from omnicloud.config.models import Config, SloTarget

RFC015 = SloTarget.model_validate({"p99": "5ms", "throughput": "10k/s"})
BUILTIN = {"rfc015": RFC015}
DEFAULT_CONCURRENCY = 16
DEFAULT_PAYLOAD = 100
DEFAULT_RATE = 1000.0
#: Metric name -> the quantile it reads.
QUANTILES = {"p50": 0.5, "p99": 0.99, "p99.9": 0.999}


@dataclass(frozen=True)
class ResolvedSlo:
    """The targets one provider's interface is held to, and where they came from."""

    provider: str
    interface: str
    source: str  # "profile rfc015", "providers.redis.slo", ...
    p50: float | None
    p99: float | None
    p999: float | None
    throughput: float | None
    concurrency: int
    payload: int
    rate: float

    def latency_targets(self) -> list[tuple[str, float, float]]:
        """``(metric, quantile, seconds)`` for each latency target set."""
        values = {"p50": self.p50, "p99": self.p99, "p99.9": self.p999}
        return [(m, QUANTILES[m], v) for m, v in values.items() if v is not None]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def profile_target(config: Config, name: str) -> SloTarget:
    return config.slo.profiles.get(name) or BUILTIN[name]


def resolve_slo(config: Config, provider: str, interface: str) -> ResolvedSlo:
    declared = config.providers[provider].slo
    layers = [t for t in (declared.get("*"), declared.get(interface)) if t is not None]
    profile = next((t.profile for t in reversed(layers) if t.profile), None)
    if profile is None and not layers:
        profile = config.slo.profile
    merged: dict[str, Any] = {}
    sources = []
    if profile is not None:
        merged.update(profile_target(config, profile).model_dump(exclude_none=True))
        sources.append(f"profile {profile}")
    for key, layer in (("*", declared.get("*")), (interface, declared.get(interface))):
        own = layer.model_dump(exclude_none=True, exclude={"profile"}) if layer else {}
        if own:
            merged.update(own)
            sources.append(f"providers.{provider}.slo.{key}")
    throughput = merged.get("throughput")
    return ResolvedSlo(
        provider=provider,
        interface=interface,
        source=" + ".join(sources),
        p50=merged.get("p50"),
        p99=merged.get("p99"),
        p999=merged.get("p999"),
        throughput=throughput,
        concurrency=merged.get("concurrency", DEFAULT_CONCURRENCY),
        payload=merged.get("payload", DEFAULT_PAYLOAD),
        rate=merged.get("rate") or (throughput / 2 if throughput else DEFAULT_RATE),
    )
