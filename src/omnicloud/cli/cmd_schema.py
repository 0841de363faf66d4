"""``omnicloud schema``: the JSON Schema of omnicloud.toml, for TOML editors (Taplo and others)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

NAME = "schema"
HELP = "print the JSON Schema of omnicloud.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=None, help="write to this file")


def config_schema() -> dict[str, Any]:
    from omnicloud.config.models import Config

    schema = Config.model_json_schema(mode="validation")
    schema["properties"].pop("source", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "omnicloud.toml"
    return schema


def run(args: argparse.Namespace) -> int:
    text = json.dumps(config_schema(), indent=2, sort_keys=True) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
