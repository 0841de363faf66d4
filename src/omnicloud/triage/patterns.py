"""Static analysis of a category's regular expression, so the classifier can skip work exactly.

Two facts are read from Python's own regex parser (``re._parser``, ``sre_parse`` before 3.11):

* **required literals**: strings of which at least one must occur in any text the pattern
  matches. A plain ``in`` test on them rejects most texts without running the regex.
* **line locality**: the pattern can neither match a newline nor depend on what is around a line
  (no ``^``/``$``/``\\A``/lookarounds). Such a pattern finds the same leftmost match whether it
  searches the whole text or each line in turn, so results can be cached per line: traceback lines
  repeat across failures far more than whole tracebacks do.

Both answers are conservative: when unsure, the pattern simply runs on the whole text.

``any_literal`` turns many required literals into one regular expression shaped as a trie, so
"does any of them occur?" is a single pass of the regex engine over the text.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_sre: Any = importlib.import_module("re._parser")

_LITERAL = _sre.LITERAL
_NOT_LITERAL = _sre.NOT_LITERAL
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)}
_ATOMIC = getattr(_sre, "ATOMIC_GROUP", None)
_NEWLINE = 10
#: Character categories that include "\n" (by constant name, stable across versions).
_NEWLINE_CATEGORIES = frozenset(
    f"CATEGORY_{prefix}{name}"
    for prefix in ("", "UNI_", "LOC_")
    for name in ("NOT_DIGIT", "SPACE", "NOT_WORD", "LINEBREAK")
)


@dataclass(frozen=True, slots=True)
class Literal:
    text: str
    ignore_case: bool


@dataclass(frozen=True, slots=True)
class PatternInfo:
    """What the classifier may assume about a pattern."""

    literals: tuple[Literal, ...] | None  # one of them occurs in every match; None: unknown
    line_local: bool


def analyse(pattern: str) -> PatternInfo:
    """Required literals and line locality of ``pattern`` (conservative on any surprise)."""
    try:
        parsed = _sre.parse(pattern)
        flags = int(parsed.state.flags)
        literals = _required(list(parsed), flags)
        local = _local(list(parsed), flags)
    except Exception:
        return PatternInfo(None, False)
    return PatternInfo(tuple(literals) if literals else None, local)


def _ci(flags: int) -> bool:
    return bool(flags & re.IGNORECASE)


def _score(alternatives: list[Literal] | None) -> tuple[int, int]:
    if not alternatives:
        return (0, 0)
    return (min(len(lit.text) for lit in alternatives), -len(alternatives))


def _required(items: list[Any], flags: int) -> list[Literal] | None:
    """Literals of which one must appear in every match of the sequence ``items``."""
    best: list[Literal] | None = None
    run: list[str] = []
    run_ci = False

    def consider(candidate: list[Literal] | None) -> None:
        nonlocal best
        if candidate and _score(candidate) > _score(best):
            best = candidate

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            run_ci = run_ci or _ci(flags)
            continue
        if run:
            consider([Literal("".join(run), run_ci)])
            run, run_ci = [], False
        consider(_required_node(op, av, flags))
    if run:
        consider([Literal("".join(run), run_ci)])
    return best


def _required_node(op: Any, av: Any, flags: int) -> list[Literal] | None:
    if op is _sre.SUBPATTERN:
        _group, add, remove, sub = av
        return _required(list(sub), (flags | add) & ~remove)
    if op in _REPEATS:
        low, _high, sub = av
        return _required(list(sub), flags) if low >= 1 else None
    if op is _sre.BRANCH:
        out: list[Literal] = []
        for alternative in av[1]:
            found = _required(list(alternative), flags)
            if not found:
                return None
            out.extend(found)
        return out
    if _ATOMIC is not None and op is _ATOMIC:
        return _required(list(av), flags)
    return None


def _local(items: list[Any], flags: int) -> bool:
    return all(_local_node(op, av, flags) for op, av in items)


def _local_node(op: Any, av: Any, flags: int) -> bool:  # noqa: PLR0911 - one case per opcode
    if op is _LITERAL:
        return bool(av != _NEWLINE)
    if op is _NOT_LITERAL:
        return bool(av == _NEWLINE)
    if op is _sre.ANY:
        return not flags & re.DOTALL
    if op is _sre.IN:
        return _class_local(av)
    if op is _sre.AT:
        return "BOUNDARY" in str(av)  # \b and \B behave the same at a line edge
    if op is _sre.SUBPATTERN:
        _group, add, remove, sub = av
        return _local(list(sub), (flags | add) & ~remove)
    if op in _REPEATS:
        return _local(list(av[2]), flags)
    if op is _sre.BRANCH:
        return all(_local(list(alt), flags) for alt in av[1])
    if _ATOMIC is not None and op is _ATOMIC:
        return _local(list(av), flags)
    return False  # lookarounds, backreferences, conditionals: whole text only


def _class_local(items: list[tuple[Any, Any]]) -> bool:
    """A character class that cannot match a newline."""
    negated = any(op is _sre.NEGATE for op, _ in items)
    has_newline = any(_member_newline(op, av) for op, av in items if op is not _sre.NEGATE)
    return has_newline if negated else not has_newline


def _member_newline(op: Any, av: Any) -> bool:
    if op is _LITERAL:
        return bool(av == _NEWLINE)
    if op is _sre.RANGE:
        return bool(av[0] <= _NEWLINE <= av[1])
    if op is _sre.CATEGORY:
        return str(av) in _NEWLINE_CATEGORIES
    return True  # unknown member: assume the worst


_DIGITS = range(ord("0"), ord("9") + 1)


def digit_blind(pattern: str) -> bool:
    """True when the pattern cannot tell one ASCII digit from another.

    Then mapping every digit of a text to ``0`` changes no match position, so results can be
    cached under the masked text (line numbers, ports and timestamps stop defeating the cache)
    and the evidence sliced from the original text at the same span.
    """
    try:
        return _blind(list(_sre.parse(pattern)))
    except Exception:
        return False


def _blind(items: list[Any]) -> bool:
    return all(_blind_node(op, av) for op, av in items)


def _blind_node(op: Any, av: Any) -> bool:  # noqa: PLR0911 - one case per opcode
    if op is _LITERAL or op is _NOT_LITERAL:
        return av not in _DIGITS
    if op is _sre.IN:
        return all(_blind_member(member_op, member_av) for member_op, member_av in av)
    if op is _sre.ANY or op is _sre.AT:
        return True
    if op is _sre.SUBPATTERN:
        return _blind(list(av[3]))
    if op in _REPEATS:
        return _blind(list(av[2]))
    if op is _sre.BRANCH:
        return all(_blind(list(alt)) for alt in av[1])
    if _ATOMIC is not None and op is _ATOMIC:
        return _blind(list(av))
    return False


def _blind_member(op: Any, av: Any) -> bool:
    if op is _LITERAL:
        return av not in _DIGITS
    if op is _sre.RANGE:
        low, high = av
        return bool(high < _DIGITS.start or low >= _DIGITS.stop or (low <= 48 and high >= 57))
    return bool(op is _sre.CATEGORY or op is _sre.NEGATE)


def any_literal(literals: Iterable[Literal]) -> re.Pattern[str] | None:
    """A regex that finds a text holding at least one of ``literals`` (``None``: none given).

    Case-insensitive literals are matched with ``(?i:...)``, that is with the regex engine's own
    case folding, the one their pattern uses (``str.lower`` differs: ``(?i)\u017f`` matches
    ``s``). As a trie (``conn(?:ect|ection)`` rather than ``connect|connection``) the engine
    tries each leading character once per position instead of once per literal, several times
    faster than a flat alternation. A literal whose prefix is already a literal is dropped: the
    prefix occurs wherever it does.
    """
    literals = list(literals)
    sensitive = sorted({lit.text for lit in literals if not lit.ignore_case and lit.text})
    folded = sorted({lit.text for lit in literals if lit.ignore_case and lit.text})
    branches = []
    if sensitive:
        branches.append(_trie_source(sensitive))
    if folded:
        branches.append(f"(?i:{_trie_source(folded)})")
    if not branches:
        return None
    try:
        return re.compile("|".join(branches))
    except (RecursionError, re.error, OverflowError):  # pathological literal sets: flat
        flat = [re.escape(t) for t in sensitive] + [f"(?i:{re.escape(t)})" for t in folded]
        return re.compile("|".join(flat))


_END = ""  # trie key of a node where a literal ends


def _trie_source(words: list[str]) -> str:
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            if _END in node:  # a shorter literal already covers every text this one is in
                break
            node = node.setdefault(char, {})
        else:
            node.clear()
            node[_END] = {}
    return _emit(root)


def _emit(node: dict[str, Any]) -> str:
    if _END in node:
        return ""
    alternatives = []
    for char in sorted(node):
        chain, child = [char], node[char]
        while len(child) == 1 and _END not in child:  # collapse a run without branches
            ((next_char, child),) = child.items()
            chain.append(next_char)
        alternatives.append(re.escape("".join(chain)) + _emit(child))
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"
