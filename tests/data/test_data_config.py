"""``[data.*]`` errors at config load: exact message, file:line:col and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from omnicloud.config import load_config
from omnicloud.errors import ConfigError, ExitCode

HEADER = """\
[data.users]
count = 10
fields = { id = "uuid", name = "name" }

[data.orders]
count = 5
"""


def load_error(tmp_path: Path, body: str) -> str:
    path = tmp_path / "omnicloud.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_code == ExitCode.CONFIG
    return caught.value.message.replace(str(path), "omnicloud.toml")


TYPES = (
    "'bool', 'choice', 'email', 'enum', 'first_name', 'float', 'int', 'json', 'last_name',"
    " 'name', 'object', 'pattern', 'ref', 'sequence', 'text', 'timestamp', 'uuid', 'word'"
)

CASES = [
    (
        'fields = { total = "integer" }',
        "omnicloud.toml:7:12: data.orders.fields.total.type: unknown field type 'integer'; did you"
        f" mean 'int'? (accepted: {TYPES})",
    ),
    (
        '[data.orders.fields]\ntotal = { type = "int", values = [1, 2] }',
        "omnicloud.toml:8:25: data.orders.fields.total.values: parameter 'values' does not apply"
        " to type 'int' (accepted: 'max', 'min', 'nullable', 'unique')",
    ),
    (
        '[data.orders.fields]\ntotal = { type = "int", mx = 3 }',
        "omnicloud.toml:8:25: data.orders.fields.total.mx: unknown key 'mx'; did you mean 'max'?"
        " (accepted: 'fields', 'format', 'keys', 'max', 'min', 'nullable', 'pattern', 'person',"
        " 'precision', 'probability', 'ref', 'since', 'start', 'step', 'type', 'unique', 'until',"
        " 'values', 'weights')",
    ),
    (
        '[data.orders.fields]\nid = "uuid"\nuser = "ref:userz.id"',
        "omnicloud.toml:9:1: data.orders.fields.user: reference to unknown dataset 'userz'; did"
        " you mean 'users'? (accepted: 'orders', 'users')",
    ),
    (
        '[data.orders.fields]\nuser = "ref:users.mail"',
        "omnicloud.toml:8:1: data.orders.fields.user: reference to unknown field 'users.mail'"
        " (accepted: 'id', 'name')",
    ),
    (
        '[data.orders.fields]\na = "ref:orders.b"\nb = "ref:orders.a"',
        "omnicloud.toml:8:1: data.orders.fields.a: reference cycle: orders.a -> orders.b ->"
        " orders.a",
    ),
    (
        '[data.orders.fields]\nage = "int:90..18"',
        "omnicloud.toml:8:1: data.orders.fields.age.type: min (90) is greater than max (18)",
    ),
    (
        '[data.orders.fields]\ncode = "pattern:[A-Z{3}"',
        "omnicloud.toml:8:1: data.orders.fields.code.type: missing ']' at position 7 of pattern"
        " '[A-Z{3}'",
    ),
    (
        '[data.orders.fields]\nplan = { type = "choice", values = ["a", "b"], weights = [1] }',
        "omnicloud.toml:8:48: data.orders.fields.plan.weights: weights has 1 entries but values"
        " has 2",
    ),
    (
        '[data.orders.fields]\ndie = { type = "int:1..3", unique = true }',
        "omnicloud.toml:8:28: data.orders.fields.die.unique: unique values exhausted: count is 5"
        " but type 'int' has only 3 distinct values",
    ),
    (
        '[data.orders.fields]\nmeta = { type = "json", unique = true }',
        "omnicloud.toml:8:25: data.orders.fields.meta.unique: unique does not apply to type 'json'",
    ),
    (
        'epoch = "last tuesday"\nfields = { id = "uuid" }',
        "omnicloud.toml:7:1: data.orders.epoch: 'last tuesday' is not an ISO 8601 date or time"
        " (e.g. '2024-01-01' or '2024-01-01T00:00:00Z')",
    ),
    (
        'key = "nam"\nfields = { name = "name" }',
        "omnicloud.toml:7:1: data.orders.key: key names unknown field 'nam'; did you mean 'name'?"
        " (accepted: 'name')",
    ),
    (
        'key = "n"\nfields = { n = "int" }',
        "omnicloud.toml:7:1: data.orders.key: key field 'n' must be unique and never null: set"
        " unique = true (or use a uuid or sequence field)",
    ),
    (
        'load_into = ["memory-kv"]\nfields = { id = "uuid" }',
        "omnicloud.toml:7:1: data.orders.load_into.0: unknown provider 'memory-kv' (accepted:"
        " (none))",
    ),
    (
        '[data.orders.fields.address]\ntype = "object"\nfields = { zip = "pattern:\\\\d{5}",'
        ' city = "citty" }',
        "omnicloud.toml:9:36: data.orders.fields.address.fields.city.type: unknown field type"
        f" 'citty' (accepted: {TYPES})",
    ),
    (
        '[data.orders.fields]\nn = { type = "sequence", format = "ORD" }',
        "omnicloud.toml:8:26: data.orders.fields.n.format: format 'ORD' has no '{}' for the number",
    ),
    (
        '[data.orders.fields]\nwhen = { type = "timestamp", since = "2030-01-01" }',
        "omnicloud.toml:8:30: data.orders.fields.when.since: since must be earlier than until"
        " (until defaults to the dataset's epoch)",
    ),
]


@pytest.mark.parametrize(("body", "message"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_data_errors_name_file_line_and_key(tmp_path: Path, body: str, message: str) -> None:
    assert load_error(tmp_path, body) == message


def test_a_valid_data_section_loads(tmp_path: Path) -> None:
    path = tmp_path / "omnicloud.toml"
    path.write_text(
        HEADER + '[data.orders.fields]\nid = "uuid"\nuser = "ref:users.id"\n'
        'total = { type = "float:0..500", nullable = 0.1 }\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.data["orders"].fields["user"].type == "ref:users.id"
    assert config.data["orders"].fields["total"].nullable == 0.1


def test_field_level_cycles_only(tmp_path: Path) -> None:
    """users -> orders and orders -> users is fine when no column needs itself."""
    path = tmp_path / "omnicloud.toml"
    path.write_text(
        '[data.users]\nfields = { id = "uuid", last_order = "ref:orders.id" }\n'
        '[data.orders]\nfields = { id = "uuid", user = "ref:users.id" }\n',
        encoding="utf-8",
    )
    config = load_config(path)
    from omnicloud.data import generate

    orders = generate("orders", config.data).records()
    users = generate("users", config.data).records()
    assert {o["user"] for o in orders} <= {u["id"] for u in users}
    assert {u["last_order"] for u in users} <= {o["id"] for o in orders}


def test_json_schema_accepts_string_or_table() -> None:
    from omnicloud.config.models import Config

    schema = Config.model_json_schema()
    fields = schema["$defs"]["DatasetConfig"]["properties"]["fields"]
    assert fields["additionalProperties"]["anyOf"][0] == {"type": "string"}
    assert fields["additionalProperties"]["anyOf"][1]["$ref"] == "#/$defs/FieldSpec"
