"""The flow store: values one step publishes and later steps read.

A JSON file shared by the steps of one workflow run (its path is in ``$OMNICLOUD_FLOW``).
Tests publish through the ``omnicloud_flow`` fixture; command steps write ``key=value`` lines to
the file named by ``$OMNICLOUD_FLOW_OUTPUT`` (as GitHub Actions' ``$GITHUB_OUTPUT``). Writes take
an exclusive file lock, so parallel steps and xdist workers never lose a value.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ENV_FLOW = "OMNICLOUD_FLOW"
ENV_STEP = "OMNICLOUD_FLOW_STEP"
ENV_OUTPUT = "OMNICLOUD_FLOW_OUTPUT"


class FlowValueMissing(LookupError):
    """A step asked for a value no earlier step published."""


class FlowStore:
    """Values by key, with the step that published each and when."""

    def __init__(self, path: Path, step: str | None = None) -> None:
        self.path = path
        self.step = step

    @classmethod
    def from_environment(cls) -> FlowStore | None:
        path = os.environ.get(ENV_FLOW)
        return cls(Path(path), os.environ.get(ENV_STEP)) if path else None

    def _read(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"values": {}, "events": []}
        return data

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read()
            yield data
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)

    def publish(self, key: str, value: Any) -> None:
        """Make ``value`` (JSON-serialisable) available to later steps under ``key``."""
        json.dumps(value)  # fail here, in the publishing test, not in a later reader
        with self._locked() as data:
            data["values"][key] = value
            data["events"].append({"key": key, "step": self.step, "time": time.time()})

    def get(self, key: str, default: Any = None) -> Any:
        return self._read()["values"].get(key, default)

    def __getitem__(self, key: str) -> Any:
        values = self._read()["values"]
        if key not in values:
            known = ", ".join(sorted(values)) or "none yet"
            raise FlowValueMissing(f"no step has published '{key}' (published: {known})")
        return values[key]

    def values(self) -> dict[str, Any]:
        return dict(self._read()["values"])

    def producers(self) -> dict[str, str | None]:
        """key -> the step that published it last."""
        return {e["key"]: e["step"] for e in self._read()["events"]}

    def absorb_output_file(self, output: Path) -> list[str]:
        """Publish ``key=value`` lines a command step wrote; returns the keys."""
        if not output.is_file():
            return []
        keys = []
        for line in output.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip():
                self.publish(key.strip(), value)
                keys.append(key.strip())
        return keys
