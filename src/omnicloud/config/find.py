"""Where the configuration file is: light enough for a noxfile to call before anything else.

It imports neither pydantic nor the models, so ``nox`` can find a cached session plan
(``omnicloud.nox_sessions``) without loading and validating the configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

from omnicloud.errors import ConfigError

CONFIG_NAMES = ("omnicloud.toml", "pyproject.toml")
ENV_CONFIG = "OMNICLOUD_CONFIG"


def find_config(start: Path | None = None) -> Path:
    """The config file: $OMNICLOUD_CONFIG, else omnicloud.toml or a pyproject.toml with
    ``[tool.omnicloud]`` in ``start`` or its parents."""
    env = os.environ.get(ENV_CONFIG)
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"{ENV_CONFIG} names {env!r}, which is not a file")
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "omnicloud.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and b"[tool.omnicloud" in pyproject.read_bytes():
            return pyproject
    raise ConfigError(
        f"no omnicloud.toml (or pyproject.toml with [tool.omnicloud]) in {here} or its parents",
        hint="run 'omnicloud init' to create one",
    )
