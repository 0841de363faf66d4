"""Every field type: what it generates, in both the string and the table form."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from datahelp import datasets, users

from omnicloud.data import generate
from omnicloud.data.words import DOMAINS, FIRST_NAMES, LAST_NAMES, WORDS

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def column(spec: object, count: int = 400, seed: int = 3, **extra: object) -> list[Any]:
    data = datasets(t={"count": count, "seed": seed, "fields": {"f": spec}, **extra})
    return generate("t", data).column("f")


def test_word_tables_have_256_distinct_entries() -> None:
    for table in (FIRST_NAMES, LAST_NAMES, WORDS):
        assert len(table) == 256
        assert len(set(table)) == 256
    assert len(DOMAINS) == 8
    assert all(d.split(".")[-2] == "example" for d in DOMAINS)  # RFC 2606 reserved names


def test_uuid_is_version_4_and_unique() -> None:
    values = column("uuid", count=2000)
    assert all(UUID4.fullmatch(v) for v in values)
    assert len(set(values)) == 2000


def test_users_schema_names_emails_and_timestamps() -> None:
    records = generate("users", users(count=300)).records()
    assert list(records[0]) == ["id", "name", "email", "created_at"]
    for record in records:
        first, last = record["name"].split(" ")
        assert first in FIRST_NAMES
        assert last in LAST_NAMES
        local, domain = record["email"].split("@")
        assert re.fullmatch(rf"{first.lower()}\.{last.lower()}\d+", local)  # same person
        assert domain in DOMAINS
        # default window: the 365 days before the epoch (2024-01-01T00:00:00Z), never "now"
        assert "2023-01-01T00:00:00Z" <= record["created_at"] < "2024-01-01T00:00:00Z"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["created_at"])


def test_first_and_last_name_follow_the_person() -> None:
    data = datasets(
        t={
            "count": 50,
            "fields": {
                "name": "name",
                "first": "first_name",
                "last": "last_name",
                "other": {"type": "name", "person": "b"},
            },
        }
    )
    records = generate("t", data).records()
    assert all(r["name"] == f"{r['first']} {r['last']}" for r in records)
    assert sum(r["other"] != r["name"] for r in records) > 45


@pytest.mark.parametrize(
    ("spec", "low", "high"),
    [
        ("int:18..90", 18, 90),
        ({"type": "int", "min": -5, "max": 5}, -5, 5),
        ("int", 0, 1_000_000),
    ],
)
def test_int_ranges_include_both_ends(spec: object, low: int, high: int) -> None:
    values = column(spec, count=3000)
    assert all(isinstance(v, int) and low <= v <= high for v in values)
    if high - low < 20:
        assert set(values) == set(range(low, high + 1))


def test_float_range_and_precision() -> None:
    values = column({"type": "float:1.5..2.5", "precision": 3}, count=1000)
    assert all(isinstance(v, float) and 1.5 <= v <= 2.5 for v in values)
    assert all(round(v, 3) == v for v in values)
    assert len(set(values)) > 500


def test_bool_probability() -> None:
    values = column("bool:0.2", count=5000)
    assert set(values) == {True, False}
    assert 800 < sum(values) < 1200
    assert not any(column({"type": "bool", "probability": 0}, count=200))


def test_text_word_counts() -> None:
    values = column("text:2..4", count=500)
    lengths = Counter(len(str(v).split()) for v in values)
    assert set(lengths) == {2, 3, 4}
    for value in values:
        text = str(value)
        assert text[0].isupper()
        assert text.endswith(".")
        assert all(w.strip(".").lower() in WORDS for w in text.split())


def test_word() -> None:
    assert set(column("word", count=300)) <= set(WORDS)


def test_enum_values_uniform_and_complete() -> None:
    values = column("enum:credit_card,paypal,bank_transfer", count=3000)
    counts = Counter(values)
    assert set(counts) == {"credit_card", "paypal", "bank_transfer"}
    assert min(counts.values()) > 850


def test_choice_respects_weights() -> None:
    counts = Counter(column("choice:free=9,pro=1,gone=0", count=5000))
    assert set(counts) == {"free", "pro"}
    assert 4300 < counts["free"] < 4700
    table = column({"type": "choice", "values": [1, 2], "weights": [1, 3]}, count=4000)
    assert 2800 < Counter(table)[2] < 3200


def test_sequence_plain_and_formatted() -> None:
    assert column("sequence", count=4) == [1, 2, 3, 4]
    assert column("sequence:100", count=3) == [100, 101, 102]
    formatted = {"type": "sequence", "start": 10, "step": 5, "format": "ORD-{:04d}"}
    assert column(formatted, count=3) == ["ORD-0010", "ORD-0015", "ORD-0020"]


@pytest.mark.parametrize(
    "pattern",
    [
        r"[A-Z]{3}-\d{4}",
        r"(eu|us|ap)-[a-z]{2,5}\d?",
        r"^SKU-[0-9A-F]{6}$",
        r"[^a-z]{2}x+",
        r"a(b|cd){1,3}e",
        r"\w{4}\.\d",
    ],
)
def test_pattern_values_match_the_pattern(pattern: str) -> None:
    values = column(f"pattern:{pattern}", count=500)
    assert all(re.fullmatch(pattern, str(v)) for v in values), values[:5]
    assert len(set(values)) > 5


def test_timestamp_window_and_formats() -> None:
    since, until = "2022-03-01T12:00:30Z", "2022-03-03T06:00:00Z"
    iso = column({"type": "timestamp", "since": since, "until": until}, count=2000)
    assert all(since <= str(v) < until for v in iso)
    assert {str(v)[:10] for v in iso} == {"2022-03-01", "2022-03-02", "2022-03-03"}
    dates = column("timestamp:date", count=500, epoch="2020-01-10")
    assert all("2019-01-10" <= str(v) < "2020-01-10" for v in dates)
    unix = column(
        {
            "type": "timestamp",
            "format": "unix",
            "since": "1970-01-01T00:00:00Z",
            "until": "1970-01-01T00:00:10Z",
        },
        count=200,
    )
    assert set(unix) == set(range(10))


def test_json_objects() -> None:
    values = column("json:4", count=200)
    for value in values:
        assert isinstance(value, dict)
        assert 1 <= len(value) <= 4
        assert set(value) <= set(WORDS)
        assert all(isinstance(v, str | int | bool) for v in value.values())
    default = column("json", count=50)
    assert all(len(v) <= 3 for v in default)
    assert sum(len(v) == 3 for v in default) > 40  # a repeated key word merges two entries


def test_nested_objects() -> None:
    spec = {
        "type": "object",
        "fields": {
            "city": "word",
            "zip": r"pattern:\d{5}",
            "geo": {"type": "object", "fields": {"lat": "float:-90..90"}},
        },
    }
    values = column(spec, count=100)
    for value in values:
        assert isinstance(value, dict)
        assert list(value) == ["city", "zip", "geo"]
        assert re.fullmatch(r"\d{5}", value["zip"])
        assert -90 <= value["geo"]["lat"] <= 90


def test_nullable_rate() -> None:
    values = column({"type": "email", "nullable": 0.25}, count=4000)
    nulls = sum(v is None for v in values)
    assert 850 < nulls < 1150
    assert all(v is None or "@" in str(v) for v in values)


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "int:1..300", "unique": True},
        {"type": "int:1..100000", "unique": True},
        {"type": "enum:a,b,c,d", "unique": True},
        {"type": "pattern:[a-c]{2}\\d", "unique": True},
        {"type": "email", "unique": True},
    ],
)
def test_unique_fields_never_repeat(spec: dict[str, object]) -> None:
    kind = str(spec["type"])
    count = 4 if kind.startswith("enum") else (60 if "pattern" in kind else 300)
    values = column(spec, count=count)
    assert len(set(values)) == count
    if spec["type"] == "int:1..300":
        assert sorted(values) == list(range(1, 301))


def test_references_point_at_existing_records() -> None:
    data = datasets(
        users={"count": 20, "seed": 42, "fields": {"id": "uuid", "name": "name"}},
        payment_methods={
            "count": 200,
            "seed": 1,
            "fields": {
                "id": "uuid",
                "user_id": "ref:users.id",
                "owner": {"type": "object", "fields": {"name": "ref:users.name"}},
            },
        },
    )
    ids = set(generate("users", data).column("id"))
    methods = generate("payment_methods", data).records()
    assert {m["user_id"] for m in methods} == ids  # 200 draws over 20 users reach them all
    assert all(m["owner"]["name"] for m in methods)


def test_unique_reference_is_a_sample_without_replacement() -> None:
    data = datasets(
        users={"count": 30, "fields": {"id": "uuid"}},
        profiles={"count": 30, "fields": {"user": {"type": "ref:users.id", "unique": True}}},
    )
    assert sorted(generate("profiles", data).column("user")) == sorted(
        generate("users", data).column("id")
    )


def test_string_and_table_forms_generate_the_same_values() -> None:
    short = column("int:18..90")
    table = column({"type": "int", "min": 18, "max": 90})
    assert short == table
    assert column("choice:a=1,b=2") == column(
        {"type": "choice", "values": ["a", "b"], "weights": [1, 2]}
    )
    assert column(r"pattern:\d{3}") == column({"type": "pattern", "pattern": r"\d{3}"})


def test_fields_are_independent_of_each_other_and_of_order() -> None:
    base = generate("users", users()).records()
    extra = datasets(
        users={
            "count": 50,
            "seed": 42,
            "fields": {
                "created_at": "timestamp",
                "age": "int",
                "email": "email",
                "id": "uuid",
                "name": "name",
            },
        }
    )
    reordered = generate("users", extra).records()
    for a, b in zip(base, reordered, strict=True):
        assert {k: b[k] for k in a} == a


def test_a_smaller_count_is_a_prefix() -> None:
    full = generate("users", users(count=100)).records()
    assert generate("users", users(count=100), count=10).records() == full[:10]
    assert generate("users", users(count=10)).records() == full[:10]


def test_seed_changes_every_random_field() -> None:
    a = generate("users", users(seed=1)).records()
    b = generate("users", users(seed=2)).records()
    assert all(x["id"] != y["id"] for x, y in zip(a, b, strict=True))
    assert a == generate("users", users(seed=1)).records()


def test_zero_records() -> None:
    dataset = generate("users", users(count=0))
    assert dataset.records() == []
    assert len(dataset) == 0
