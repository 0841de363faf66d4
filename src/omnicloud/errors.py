"""Errors users can act on, each with its own exit code.

Only these are printed as one line plus a hint; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class ExitCode:
    """Process exit codes shared by the CLI, the nox sessions and the pytest plugin."""

    OK = 0
    VIOLATIONS = 1  # a provider violated its contract (or a test failed)
    CONFIG = 2  # the configuration is malformed or inconsistent
    SELECTION = 3  # a selection (provider, contract, shard, base ref) names nothing valid
    PROVIDER = 4  # a provider cannot be imported or does not have the contract's shape
    INFRASTRUCTURE = 5  # a service could not be provisioned, or results could not be written
    RESULTS = 6  # results could not be read (malformed JUnit, missing shards)
    INCONCLUSIVE = 7  # no verdict either way: a measurement too noisy or too short to decide
    INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    """Where in a file something is: 1-based line and column (0 when unknown)."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path


class OmnicloudError(Exception):
    """Base of all user-facing errors: one line, an optional hint, a distinct exit code."""

    exit_code: int = ExitCode.VIOLATIONS

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(OmnicloudError):
    """The configuration file is malformed or inconsistent."""

    exit_code = ExitCode.CONFIG

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        prefix = ""
        if location is not None:
            prefix += f"{location}: "
        if key:
            prefix += f"{key}: "
        super().__init__(prefix + message, hint=hint)
        self.location = location
        self.key = key
        self.detail = message


class SelectionError(OmnicloudError):
    """A selection (provider, contract, session, shard, git ref) matches nothing valid."""

    exit_code = ExitCode.SELECTION


class ProviderError(OmnicloudError):
    """A provider's factory cannot be imported, or the provider lacks the contract's methods."""

    exit_code = ExitCode.PROVIDER


class InfrastructureError(OmnicloudError):
    """A service could not be provisioned, or a results folder could not be written."""

    exit_code = ExitCode.INFRASTRUCTURE


class ResultsError(OmnicloudError):
    """Results could not be read: malformed or hostile JUnit, missing or duplicated shards."""

    exit_code = ExitCode.RESULTS


def did_you_mean(word: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or an empty string."""
    import difflib

    match = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def one_of(candidates: list[str] | tuple[str, ...] | set[str]) -> str:
    """Format accepted values for an error message."""
    names = sorted(candidates)
    return ", ".join(f"'{n}'" for n in names) if names else "(none)"
