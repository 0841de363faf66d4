"""Field specs (``FieldSpec`` from the config) -> typed ``Field`` objects, with located errors.

A field is a type string (``"int:18..90"``) or a table (``{ type = "int", min = 18, max = 90 }``);
both parse to the same ``Field``, so they also have the same fingerprint. Every problem is a
``SpecError`` carrying the key path below the dataset, which the config check prefixes with
``data.<name>`` and the loader turns into file:line:col.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnicloud.data.generators import (
    PERSON_PARTS,
    BoolType,
    ChoiceType,
    EnumType,
    Field,
    FieldType,
    FloatType,
    IntType,
    JsonType,
    ObjectType,
    PatternType,
    PersonType,
    RefType,
    SequenceType,
    TextType,
    TimestampType,
    UuidType,
    WordType,
)
from omnicloud.data.pattern import PatternError, parse_pattern
from omnicloud.errors import did_you_mean, one_of

if TYPE_CHECKING:
    from omnicloud.config.models import DatasetConfig, FieldSpec

Key = tuple[str, ...]

#: Parameters each type takes in the table form (``nullable`` and ``unique`` apply to all).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "uuid": (),
    "name": ("person",),
    "first_name": ("person",),
    "last_name": ("person",),
    "email": ("person",),
    "word": (),
    "text": ("min", "max"),
    "int": ("min", "max"),
    "float": ("min", "max", "precision"),
    "bool": ("probability",),
    "enum": ("values",),
    "choice": ("values", "weights"),
    "sequence": ("start", "step", "format"),
    "timestamp": ("since", "until", "format"),
    "pattern": ("pattern",),
    "ref": ("ref",),
    "json": ("keys",),
    "object": ("fields",),
}
FIELD_TYPES = tuple(sorted(PARAMETERS))
_GENERIC = ("type", "nullable", "unique")
_TIME_FORMATS = ("date", "iso", "unix")
_MAX_WORDS = 1000


class SpecError(ValueError):
    """A field spec problem at ``key`` (relative to the dataset)."""

    def __init__(self, key: Key, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Schema:
    """A dataset's parsed definition."""

    name: str
    count: int
    seed: int
    epoch: int
    key: str | None
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def record_key(self) -> str | None:
        """The field that names records when loaded: ``key``, else ``id`` when present."""
        if self.key is not None:
            return self.key
        return "id" if self.field("id") is not None else None


def parse_instant(text: str) -> int:
    """Seconds since 1970-01-01 UTC for ISO 8601 text; without an offset it is UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"'{text}' is not an ISO 8601 date or time"
            " (e.g. '2024-01-01' or '2024-01-01T00:00:00Z')"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return math.floor(moment.timestamp())


def parse_schema(name: str, config: DatasetConfig) -> Schema:
    """Parse a dataset's fields; raises ``SpecError`` at the first problem."""
    try:
        epoch = parse_instant(config.epoch)
    except ValueError as exc:
        raise SpecError(("epoch",), str(exc)) from None
    fields = tuple(
        parse_field(field_name, spec, ("fields", field_name), epoch)
        for field_name, spec in config.fields.items()
    )
    for item in fields:
        _check_unique_space(item, config.count, ("fields", item.name))
    return Schema(name, config.count, config.seed, epoch, config.key, fields)


def parse_field(name: str, spec: FieldSpec, key: Key, epoch: int) -> Field:
    """One field from its spec (short form already in ``spec.type``)."""
    kind, _, short = spec.type.partition(":")
    kind = kind.strip()
    if kind not in PARAMETERS:
        raise SpecError(
            (*key, "type"),
            f"unknown field type '{kind}'"
            f"{did_you_mean(kind, FIELD_TYPES)} (accepted: {one_of(FIELD_TYPES)})",
        )
    given = {p: getattr(spec, p) for p in spec.model_fields_set if p not in _GENERIC}
    accepted = PARAMETERS[kind]
    for param in sorted(given):
        if param not in accepted:
            raise SpecError(
                (*key, param),
                f"parameter '{param}' does not apply to type '{kind}'"
                f" (accepted: {one_of((*accepted, 'nullable', 'unique'))})",
            )
    params = dict(_short_params(kind, short.strip(), key) if ":" in spec.type else {})
    for param in sorted(set(params) & set(given)):
        raise SpecError(
            (*key, param),
            f"parameter '{param}' is given twice: in '{spec.type}' and as {param} = ...",
        )
    params.update(given)
    try:
        field_type = _BUILDERS[kind](kind, params, key, epoch)
    except SpecError as exc:
        source = exc.key[len(key)] if len(exc.key) > len(key) else None
        if source is not None and source not in given and source != "fields":
            raise SpecError((*key, "type"), exc.message) from None  # it came from the string
        raise
    if spec.unique and not field_type.HASHABLE:
        raise SpecError((*key, "unique"), f"unique does not apply to type '{kind}'")
    return Field(name, field_type, spec.nullable, spec.unique)


def _check_unique_space(item: Field, count: int, key: Key) -> None:
    if isinstance(item.type, ObjectType):
        for sub in item.type.fields:
            _check_unique_space(sub, count, (*key, "fields", sub.name))
    space = item.type.distinct_values()
    if item.unique and space is not None and space < count:
        raise SpecError(
            (*key, "unique"),
            f"unique values exhausted: count is {count} but"
            f" type '{item.type.canonical()['type']}' has only {space} distinct"
            " values",
        )


# --- short forms -----------------------------------------------------------------------------


def _short_params(kind: str, text: str, key: Key) -> dict[str, Any]:
    where = (*key, "type")
    if not text:
        raise SpecError(where, f"'{kind}:' needs arguments after ':'")
    parser = _SHORT.get(kind)
    if parser is None:
        raise SpecError(where, f"type '{kind}' takes no arguments after ':'")
    return parser(kind, text, where)


def _short_range(kind: str, text: str, where: Key) -> dict[str, Any]:
    low, sep, high = text.partition("..")
    if not sep:
        raise SpecError(where, f"'{kind}:{text}' is not a range; write '{kind}:MIN..MAX'")
    return {"min": _number(low, where, kind), "max": _number(high, where, kind)}


_SHORT: dict[str, Callable[[str, str, Key], dict[str, Any]]] = {
    "int": _short_range,
    "float": _short_range,
    "text": _short_range,
    "bool": lambda kind, text, where: {"probability": _number(text, where, kind)},
    "enum": lambda kind, text, where: {"values": [v.strip() for v in text.split(",")]},
    "choice": lambda kind, text, where: _short_choice(text, where),
    "sequence": lambda kind, text, where: {
        "start": _whole(_number(text, where, kind), where, "start")
    },
    "json": lambda kind, text, where: {"keys": _whole(_number(text, where, kind), where, "keys")},
    "timestamp": lambda kind, text, where: {"format": text},
    "pattern": lambda kind, text, where: {"pattern": text},
    "ref": lambda kind, text, where: {"ref": text},
}


def _number(text: str, where: Key, kind: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise SpecError(where, f"'{text.strip()}' is not a number (in a '{kind}' field)") from None


def _short_choice(text: str, where: Key) -> dict[str, Any]:
    values: list[str] = []
    weights: list[float] = []
    for item in text.split(","):
        value, sep, weight = item.rpartition("=")
        if not sep:
            raise SpecError(where, f"choice item '{item.strip()}' needs a weight: VALUE=WEIGHT")
        values.append(value.strip())
        weights.append(_number(weight, where, "choice"))
    return {"values": values, "weights": weights}


# --- builders --------------------------------------------------------------------------------

Builder = Callable[[str, dict[str, Any], Key, int], FieldType]


def _whole(value: Any, key: Key, what: str) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise SpecError(key, f"{what} must be a whole number, got {value}")
    return int(value)


def _ordered(low: float, high: float, key: Key) -> None:
    if low > high:
        raise SpecError((*key, "min"), f"min ({_show(low)}) is greater than max ({_show(high)})")


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _build_int(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    low = _whole(p.get("min", 0), (*key, "min"), "min")
    high = _whole(p.get("max", max(low, 1_000_000)), (*key, "max"), "max")
    _ordered(low, high, key)
    return IntType(low, high)


def _build_float(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    low, high = float(p.get("min", 0.0)), float(p.get("max", 1.0))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SpecError((*key, "min"), "min and max must be finite numbers")
    _ordered(low, high, key)
    return FloatType(low, high, int(p.get("precision", 2)))


def _build_text(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    low = _whole(p.get("min", 4), (*key, "min"), "min")
    high = _whole(p.get("max", max(low, 12)), (*key, "max"), "max")
    _ordered(low, high, key)
    if low < 0 or high > _MAX_WORDS:
        raise SpecError((*key, "max"), f"text length must be within 0..{_MAX_WORDS} words")
    return TextType(low, high)


def _build_bool(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    probability = float(p.get("probability", 0.5))
    if not 0 <= probability <= 1:
        raise SpecError(
            (*key, "probability"), f"probability must be within 0..1, got {probability}"
        )
    return BoolType(probability)


def _values(p: dict[str, Any], key: Key) -> tuple[Any, ...]:
    values = p.get("values") or []
    if not values:
        raise SpecError((*key, "values"), "values must list at least one value")
    for index, value in enumerate(values):
        if not isinstance(value, str | int | float | bool):
            raise SpecError(
                (*key, "values", str(index)), f"value {value!r} is not a string, number or boolean"
            )
    return tuple(values)


def _build_enum(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    return EnumType(_values(p, key))


def _build_choice(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    values = _values(p, key)
    weights = tuple(float(w) for w in p.get("weights") or ())
    if len(weights) != len(values):
        raise SpecError(
            (*key, "weights"), f"weights has {len(weights)} entries but values has {len(values)}"
        )
    if any(w < 0 or not math.isfinite(w) for w in weights) or sum(weights) <= 0:
        raise SpecError((*key, "weights"), "weights must be finite, not negative, and not all 0")
    return ChoiceType(values, weights)


def _build_sequence(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    start, step, fmt = int(p.get("start", 1)), int(p.get("step", 1)), p.get("format")
    if step == 0:
        raise SpecError((*key, "step"), "step must not be 0")
    if fmt is not None:
        try:
            text = fmt.format(start)
        except (ValueError, IndexError, KeyError) as exc:
            raise SpecError(
                (*key, "format"),
                f"format {fmt!r} cannot format a number: {exc} (write e.g. 'ORD-{{:06d}}')",
            ) from None
        if text == fmt.format(start + step):
            raise SpecError((*key, "format"), f"format {fmt!r} has no '{{}}' for the number")
    return SequenceType(start, step, fmt)


def _build_timestamp(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    fmt = p.get("format", "iso")
    if fmt not in _TIME_FORMATS:
        raise SpecError(
            (*key, "format"),
            f"unknown timestamp format '{fmt}'"
            f"{did_you_mean(fmt, _TIME_FORMATS)} (accepted: {one_of(_TIME_FORMATS)})",
        )
    bounds: dict[str, int | None] = {}
    for name in ("since", "until"):
        try:
            bounds[name] = parse_instant(p[name]) if p.get(name) is not None else None
        except ValueError as exc:
            raise SpecError((*key, name), str(exc)) from None
    result = TimestampType(bounds["since"], bounds["until"], fmt)
    since, until = result.bounds(epoch)
    if since >= until:
        raise SpecError(
            (*key, "since"),
            "since must be earlier than until (until defaults to the dataset's epoch)",
        )
    return result


def _build_pattern(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    text = p.get("pattern") or ""
    try:
        node = parse_pattern(text)
    except PatternError as exc:
        raise SpecError((*key, "pattern" if "pattern" in p else "type"), str(exc)) from None
    return PatternType(text, node)


def _build_ref(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    target = str(p.get("ref") or "")
    dataset, dot, field_name = target.partition(".")
    if not (dataset and dot and field_name) or "." in field_name:
        raise SpecError((*key, "ref"), f"reference '{target}' must be 'dataset.field'")
    return RefType(dataset, field_name)


def _build_json(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    keys = int(p.get("keys", 3))
    if not 1 <= keys <= 64:
        raise SpecError((*key, "keys"), f"keys must be within 1..64, got {keys}")
    return JsonType(keys)


def _build_object(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    specs: Mapping[str, FieldSpec] = p.get("fields") or {}
    if not specs:
        raise SpecError((*key, "fields"), "an object needs at least one field")
    return ObjectType(
        tuple(
            parse_field(name, spec, (*key, "fields", name), epoch) for name, spec in specs.items()
        )
    )


def _build_simple(kind: str, p: dict[str, Any], key: Key, epoch: int) -> FieldType:
    if kind in PERSON_PARTS:
        return PersonType(kind, p.get("person") or "default")
    return UuidType() if kind == "uuid" else WordType()


_BUILDERS: dict[str, Builder] = {
    **dict.fromkeys(("uuid", "word", *PERSON_PARTS), _build_simple),
    "int": _build_int,
    "float": _build_float,
    "text": _build_text,
    "bool": _build_bool,
    "enum": _build_enum,
    "choice": _build_choice,
    "sequence": _build_sequence,
    "timestamp": _build_timestamp,
    "pattern": _build_pattern,
    "ref": _build_ref,
    "json": _build_json,
    "object": _build_object,
}


def iter_refs(fields: tuple[Field, ...], key: Key = ()) -> Iterator[tuple[Key, RefType]]:
    """Every reference in ``fields`` (nested objects included) with its key path."""
    for item in fields:
        here = (*key, "fields", item.name)
        if isinstance(item.type, RefType):
            yield here, item.type
        elif isinstance(item.type, ObjectType):
            yield from iter_refs(item.type.fields, here)
