"""Field generators: pure, columnar and deterministic; ``TYPES`` is the registry by name.

The machinery is in ``base.py`` and the types in ``kinds/`` (one module per family); this
module is the surface the rest of the package imports.
"""

from __future__ import annotations

from omnicloud.data.base import (
    GENERATOR_VERSION,
    Field,
    FieldContext,
    FieldType,
    RecordError,
    build_records,
    dumps,
    field_column,
)
from omnicloud.data.kinds.identifiers import SequenceType, UuidType
from omnicloud.data.kinds.numbers import BoolType, ChoiceType, EnumType, FloatType, IntType
from omnicloud.data.kinds.people import PERSON_PARTS, PersonType, TextType, WordType
from omnicloud.data.kinds.structure import JsonType, ObjectType, PatternType, RefType
from omnicloud.data.kinds.timestamps import TimestampType

TYPES: dict[str, type[FieldType]] = {
    t.NAME: t
    for t in (
        UuidType,
        SequenceType,
        WordType,
        TextType,
        IntType,
        FloatType,
        BoolType,
        EnumType,
        ChoiceType,
        TimestampType,
        PatternType,
        RefType,
        JsonType,
        ObjectType,
    )
}

__all__ = [
    "GENERATOR_VERSION",
    "PERSON_PARTS",
    "TYPES",
    "BoolType",
    "ChoiceType",
    "EnumType",
    "Field",
    "FieldContext",
    "FieldType",
    "FloatType",
    "IntType",
    "JsonType",
    "ObjectType",
    "PatternType",
    "PersonType",
    "RecordError",
    "RefType",
    "SequenceType",
    "TextType",
    "TimestampType",
    "UuidType",
    "WordType",
    "build_records",
    "dumps",
    "field_column",
]
