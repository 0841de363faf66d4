"""Dataset fingerprints: stable, and sensitive to everything that changes the data."""

from __future__ import annotations

from typing import Any

from datahelp import datasets

from omnicloud.data import dataset_fingerprint, generators
from omnicloud.data.fingerprint import dataset_fingerprints


def fp(fields: dict[str, Any], **extra: Any) -> str:
    return dataset_fingerprint("t", datasets(t={"count": 10, "seed": 1, "fields": fields, **extra}))


def test_fingerprint_is_stable_and_form_independent() -> None:
    a = fp({"age": "int:18..90", "plan": "choice:a=1,b=2"})
    assert a == fp(
        {
            "age": {"type": "int", "min": 18, "max": 90},
            "plan": {"type": "choice", "values": ["a", "b"], "weights": [1, 2]},
        }
    )
    assert a.startswith("sha256:")
    assert len(a) == 7 + 64


def test_fingerprint_changes_with_schema_seed_count_epoch_and_version(monkeypatch: Any) -> None:
    base = fp({"age": "int:18..90"})
    variants = {
        fp({"age": "int:18..91"}),
        fp({"age": {"type": "int:18..90", "nullable": 0.1}}),
        fp({"years": "int:18..90"}),
        fp({"age": "int:18..90"}, seed=2),
        fp({"age": "int:18..90"}, count=11),
        fp({"age": "int:18..90"}, epoch="2025-01-01"),
    }
    assert base not in variants
    assert len(variants) == 6
    monkeypatch.setattr("omnicloud.data.fingerprint.GENERATOR_VERSION", "999")
    assert fp({"age": "int:18..90"}) != base
    assert generators.GENERATOR_VERSION == "1"


def test_fingerprint_covers_referenced_datasets() -> None:
    def config(users_seed: int) -> Any:
        return datasets(
            users={"seed": users_seed, "fields": {"id": "uuid"}},
            orders={"fields": {"user": "ref:users.id"}},
            other={"fields": {"n": "int"}},
        )

    assert dataset_fingerprint("orders", config(1)) != dataset_fingerprint("orders", config(2))
    assert dataset_fingerprint("other", config(1)) == dataset_fingerprint("other", config(2))
    assert sorted(dataset_fingerprints(config(1))) == ["orders", "other", "users"]
