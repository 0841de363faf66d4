"""Generation errors name the dataset, the field and the record index."""

from __future__ import annotations

import pytest
from datahelp import datasets

from omnicloud.data import GenerationError, generate
from omnicloud.errors import ExitCode


def test_unique_exhausted_names_field_and_first_record_without_a_value() -> None:
    data = datasets(
        t={"count": 10, "fields": {"id": "uuid", "n": {"type": "int:1..12", "unique": True}}}
    )
    assert len(set(generate("t", data).column("n"))) == 10
    with pytest.raises(GenerationError) as caught:
        generate("t", data, count=20)
    assert caught.value.message == (
        "dataset 't', field 'n', record 12: unique values exhausted:"
        " 20 needed but only 12 integers in 1..12"
    )
    assert (caught.value.dataset, caught.value.field, caught.value.index) == ("t", "n", 12)
    assert caught.value.exit_code == ExitCode.CONFIG


def test_unique_redraws_give_up_with_the_record_index() -> None:
    data = datasets(t={"count": 5, "fields": {"code": {"type": r"pattern:[ab]\d", "unique": True}}})
    with pytest.raises(GenerationError) as caught:
        generate("t", data, count=40)
    # 20 distinct values exist; record 8 is the first whose value repeats and stays unresolved
    assert caught.value.message == (
        "dataset 't', field 'code', record 8: no unique value left"
        " after 64 attempts (20 distinct values found); widen the"
        " field's range or lower count"
    )


def test_reference_to_an_empty_dataset() -> None:
    data = datasets(
        users={"count": 0, "fields": {"id": "uuid"}},
        orders={"count": 3, "fields": {"user": "ref:users.id"}},
    )
    with pytest.raises(GenerationError) as caught:
        generate("orders", data)
    assert caught.value.message == (
        "dataset 'orders', field 'user', record 0: dataset 'users' has no records to reference"
    )


def test_unique_reference_needs_enough_target_records() -> None:
    data = datasets(
        users={"count": 3, "fields": {"id": "uuid"}},
        profiles={"count": 3, "fields": {"user": {"type": "ref:users.id", "unique": True}}},
    )
    with pytest.raises(GenerationError) as caught:
        generate("profiles", data, count=4)
    assert caught.value.message == (
        "dataset 'profiles', field 'user', record 3: unique values"
        " exhausted: 4 needed but only 3 records in dataset 'users'"
    )


def test_unknown_dataset() -> None:
    with pytest.raises(GenerationError) as caught:
        generate("usres", datasets(users={"fields": {"id": "uuid"}}))
    assert caught.value.message == (
        "dataset 'usres': no such dataset; did you mean 'users'? (configured: 'users')"
    )


def test_unchecked_config_errors_still_name_the_key() -> None:
    """The Python API may get configs that never went through load_config."""
    with pytest.raises(GenerationError) as caught:
        generate("t", datasets(t={"fields": {"x": "nope"}}))
    assert caught.value.message.startswith(
        "dataset 't': data.t.fields.x.type: unknown field type 'nope' (accepted: 'bool',"
    )


def test_reference_cycle_in_an_unchecked_config() -> None:
    data = datasets(t={"count": 2, "fields": {"a": "ref:t.a"}})
    with pytest.raises(GenerationError) as caught:
        generate("t", data)
    assert caught.value.message == "dataset 't', field 'a': reference cycle: t.a -> t.a"


def test_negative_count_override() -> None:
    with pytest.raises(GenerationError) as caught:
        generate("t", datasets(t={"fields": {"x": "int"}}), count=-1)
    assert caught.value.message == "dataset 't': count must not be negative, got -1"
