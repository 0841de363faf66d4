"""Hostile configuration files: exit 2 naming the file, line and key; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from trust_support import omnicloud

HEAD = '[project]\nname = "hostile"\n'


def _validate(tmp_path: Path, content: bytes) -> tuple[int, str]:
    (tmp_path / "omnicloud.toml").write_bytes(content)
    result = omnicloud(tmp_path, "validate", timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[run]\nx = " + "[" * 100_000 + "]" * 100_000, "nested too deeply to parse"),
        ("[run]\nx = " + "{a=" * 5_000 + "1" + "}" * 5_000, "nested too deeply to parse"),
        ("a." + ".".join(["b"] * 100_000) + " = 1", "omnicloud.toml:3:1: a key of more than 32"),
        ("[run]\nx = " + "[" * 40 + "]" * 40, "nested more than 32 levels deep"),
        ('[project.x]\nresults_dir = "a\\u0000b"', "a NUL character is not allowed"),
        ("[run]\nworkers = 99999999999999999999", "run.workers: integer 99999999999999999999 is"),
        ("[run]\nworkers = -3", "run.workers: Input should be greater than or equal to 0"),
        ("[run]\nworkers = 5000", "run.workers: Input should be less than or equal to 1024"),
        ("[run]\nreruns = -1", "run.reruns: Input should be greater than or equal to 0"),
        ("[run]\ntimeout = -5", "run.timeout: a duration cannot be negative"),
        ("[failures]\nsink_deadline = nan", "failures.sink_deadline: a duration must be a"),
        ("[failures]\nsink_deadline = inf", "failures.sink_deadline: a duration of at most one"),
        ('[run]\ntimeout = "99999999999h"', "run.timeout: a duration of at most one year"),
        (
            '[providers.a]\ncontarct = "kv_store"\nfactory = "a:b"',
            "providers.a.contarct: unknown key 'contarct'; did you mean 'contract'?",
        ),
        (
            '\n[provders.a]\ncontract = "kv_store"',
            "omnicloud.toml:4:2: provders: unknown key 'provders'; did you mean 'providers'?",
        ),
    ],
    ids=[
        "deep-arrays", "deep-inline-tables", "deep-dotted-keys", "nesting-limit", "nul",
        "huge-int", "negative-workers", "too-many-workers", "negative-reruns",
        "negative-timeout", "nan-deadline", "infinite-deadline", "huge-duration",
        "misspelled-required-key", "misspelled-table",
    ],
)  # fmt: skip
def test_hostile_text_is_a_configuration_error(tmp_path: Path, body: str, expected: str) -> None:
    code, err = _validate(tmp_path, (HEAD + body + "\n").encode())
    assert code == 2, err
    assert expected in err
    assert err.count("\n") <= 3  # one line plus a hint


def test_binary_garbage_is_a_configuration_error(tmp_path: Path) -> None:
    code, err = _validate(tmp_path, HEAD.encode() + bytes(range(256)) * 8)
    assert code == 2, err
    assert "omnicloud.toml:3:0: not UTF-8 text" in err or "not UTF-8 text" in err
