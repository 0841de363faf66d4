"""Stage ``load``: the configuration, with the installed plugin providers, and its secrets."""

from __future__ import annotations

from pathlib import Path

from omnicloud.config import Config, find_config, load_config
from omnicloud.errors import ConfigError
from omnicloud.pipeline.state import RunState


def load(state: RunState) -> int | None:
    """Load the configuration and add installed plugin providers; with no configuration file
    at all, installed plugins alone are certified (a generated file names them)."""
    from omnicloud.discovery import discover, merge_discovered

    state.plugins = discover()  # entry points are read once per run
    path = state.options.config_path
    if path is None:
        try:
            path = find_config()
        except ConfigError:
            if not [d for d in state.plugins if d.provider is not None]:
                raise
            path = _discovered_only_config(state)
    state.config = merge_discovered(load_config(path), state.plugins)
    state.redactor.add(config_secrets(state.config))
    return None


def config_secrets(config: Config) -> list[str]:
    """Values marked secret, and every credential inside a URL-shaped value."""
    from omnicloud.redaction import secrets_in

    return [*config.secret_values(), *secrets_in(config.model_dump(mode="python"))]


def _discovered_only_config(state: RunState) -> Path:
    folder = state.options.results_dir or Path("omnicloud-results")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "omnicloud.discovered.toml"
    path.write_text(
        "# written by omnicloud: no omnicloud.toml here; certifying installed\n"
        '# providers of the "omnicloud.providers" entry point group\n'
        '[project]\nname = "installed-providers"\nresults_dir = "."\n',
        encoding="utf-8",
    )
    return path.resolve()
