"""SLO profiles and fault declarations in omnicloud.toml: accepted forms, resolution, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.config import load_config
from omnicloud.config.models import Config
from omnicloud.errors import ConfigError, ExitCode
from omnicloud.slo.profiles import resolve_slo
from omnicloud.slo.units import format_latency, parse_latency, parse_rate, parse_size

BASE = """
[providers.kv]
factory = "omnicloud.providers.memory.memstore:MemStore"
implements = ["keyvalue_basic", "queue_basic"]
"""


def load(tmp_path: Path, extra: str) -> Config:
    path = tmp_path / "omnicloud.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return load_config(path, environ={})


def error_of(tmp_path: Path, extra: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, extra)
    assert info.value.exit_code == ExitCode.CONFIG
    return info.value.render()


@pytest.mark.parametrize(
    ("text", "seconds"), [("5ms", 0.005), ("250us", 250e-6), ("1.5s", 1.5), ("800 µs", 8e-4)]
)
def test_latencies_need_a_unit_and_read_as_seconds(text: str, seconds: float) -> None:
    assert parse_latency(text) == pytest.approx(seconds)
    with pytest.raises(ValueError, match="expected a latency"):
        parse_latency("5")


def test_rates_and_sizes_read_as_people_write_them() -> None:
    assert parse_rate("10k/s") == 10_000
    assert parse_rate("1.5M/s") == 1_500_000
    assert parse_rate(250) == 250
    assert parse_size("4KiB") == 4096
    assert format_latency(0.0042) == "4.2ms"
    with pytest.raises(ValueError, match="positive"):
        parse_rate(0)


def test_providers_without_slo_get_the_rfc_profile(tmp_path: Path) -> None:
    slo = resolve_slo(load(tmp_path, ""), "kv", "keyvalue_basic")
    assert (slo.p99, slo.throughput, slo.source) == (0.005, 10_000, "profile rfc015")
    assert slo.rate == 5000  # latencies are measured at half the throughput target


def test_interface_targets_override_an_adopted_profile_field_by_field(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        'slo = { "*" = "ci", keyvalue_basic = { p99 = "2ms", "p99.9" = "9ms" } }\n'
        '[slo.profiles.ci]\np99 = "20ms"\nthroughput = "1k/s"\nconcurrency = 4\n',
    )
    kv = resolve_slo(config, "kv", "keyvalue_basic")
    assert (kv.p99, kv.throughput, kv.concurrency) == (0.002, 1000, 4)
    assert kv.p999 == pytest.approx(0.009)
    assert kv.source == "profile ci + providers.kv.slo.keyvalue_basic"
    queue = resolve_slo(config, "kv", "queue_basic")
    assert (queue.p99, queue.p999) == (0.02, None)


def test_own_targets_without_a_profile_are_the_whole_slo(tmp_path: Path) -> None:
    config = load(tmp_path, 'slo = { keyvalue_basic = { p50 = "1ms" } }\n')
    kv = resolve_slo(config, "kv", "keyvalue_basic")
    assert (kv.p50, kv.p99, kv.throughput, kv.rate) == (0.001, None, None, 1000)


def test_a_bad_latency_names_its_key_path(tmp_path: Path) -> None:
    text = error_of(tmp_path, 'slo = { keyvalue_basic = { p99 = "5 parsecs" } }\n')
    assert "providers.kv.slo.keyvalue_basic.p99: invalid latency '5 parsecs'" in text


def test_an_slo_for_an_unclaimed_interface_is_refused(tmp_path: Path) -> None:
    text = error_of(tmp_path, 'slo = { keyvalue_ttl = { p99 = "5ms" } }\n')
    assert "providers.kv.slo.keyvalue_ttl: SLO for interface 'keyvalue_ttl'" in text


def test_an_unknown_profile_suggests_the_close_one(tmp_path: Path) -> None:
    text = error_of(tmp_path, 'slo = "rfc15"\n')
    assert "providers.kv.slo.*.profile: unknown SLO profile 'rfc15'" in text
    assert "did you mean 'rfc015'" in text


def test_fault_declarations_are_validated_with_their_key_paths(tmp_path: Path) -> None:
    text = error_of(tmp_path, 'faults = { durable = true, timeout = "soon" }\n')
    assert "providers.kv.faults.timeout: invalid duration 'soon'" in text
    text = error_of(tmp_path, '[faults]\nprofiles = ["hang", "crash"]\n')
    assert "faults.profiles.1: unknown fault profile 'crash'" in text


def test_custom_fault_profiles_use_the_toxic_vocabulary(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        'faults = { profiles = ["lossy"] }\n[faults.custom.lossy]\n'
        'toxics = [{ type = "latency", latency = "100ms", jitter = "10ms",'
        ' stream = "upstream" }]\n',
    )
    toxic = config.faults.custom["lossy"].toxics[0]
    assert (toxic.type, toxic.latency, toxic.stream) == ("latency", 0.1, "upstream")
    text = error_of(tmp_path, '[faults.custom.x]\ntoxics = [{ type = "latancy" }]\n')
    assert "faults.custom.x.toxics.0.type" in text


def test_default_provider_lists_name_configured_providers(tmp_path: Path) -> None:
    text = error_of(tmp_path, '[slo]\nproviders = ["kv", "kvv"]\n')
    assert "slo.providers.1: unknown provider 'kvv'" in text
    text = error_of(tmp_path, '[faults]\nproviders = ["nope"]\n')
    assert "faults.providers.0: unknown provider 'nope'" in text
