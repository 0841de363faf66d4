"""``pattern`` fields: strings from a small regular-expression-like language.

Supported: literals, escapes (``\\d`` ``\\w`` ``\\s``; negated ones such as ``\\D`` are not),
character classes with ranges (``[A-Z0-9_]``, negated ``[^aeiou]`` over printable ASCII), ``.``,
groups with alternatives ``(eu|us)-``, and quantifiers ``?`` ``*`` ``+`` ``{n}`` ``{n,m}``
``{n,}`` (unbounded repeats stop at ``min + 8``). Anchors ``^`` and ``$`` are accepted and ignored.

Parsing is pure and happens at config load (a bad pattern is a config error naming the position).
Generation is columnar: each node produces a whole column of strings from its own stream.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from omnicloud.data.stream import Stream

_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
_ESCAPES = {
    "d": string.digits,
    "w": string.ascii_letters + string.digits + "_",
    "s": " ",
    "n": "\n",
    "t": "\t",
}
_UNBOUNDED_EXTRA = 8
_MAX_REPEAT = 1000


class PatternError(ValueError):
    """A pattern that cannot be parsed; the message names the position."""


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class CharSet:
    chars: str


@dataclass(frozen=True)
class Sequence:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alternation:
    branches: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    node: Node
    low: int
    high: int


Node = Literal | CharSet | Sequence | Alternation | Repeat


def parse_pattern(pattern: str) -> Node:
    """Parse ``pattern`` or raise ``PatternError`` naming the offending position."""
    parser = _Parser(pattern)
    node = parser.alternation()
    if parser.pos < len(pattern):
        raise parser.error("unbalanced ')'")
    return node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> PatternError:
        return PatternError(f"{what} at position {self.pos} of pattern {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1 if char else 0
        return char

    def alternation(self) -> Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else Alternation(tuple(branches))

    def sequence(self) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            atom = self.atom()
            if atom is not None:
                items.append(self.quantified(atom))
        return items[0] if len(items) == 1 else Sequence(tuple(items))

    def atom(self) -> Node | None:
        char = self.take()
        if char in "^$":
            return None
        if char == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            node = self.alternation()
            if self.take() != ")":
                raise self.error("missing ')'")
            return node
        if char == "[":
            return CharSet(self.char_class())
        if char == ".":
            return CharSet(string.ascii_letters + string.digits)
        if char == "\\":
            return self.escape()
        if char in "*+?{":
            raise self.error(f"nothing to repeat before {char!r}")
        return Literal(char)

    def escape(self) -> Node:
        char = self.take()
        if not char:
            raise self.error("trailing backslash")
        if char in _ESCAPES:
            chars = _ESCAPES[char]
            return CharSet(chars) if len(chars) > 1 else Literal(chars)
        if char.isalnum():
            raise self.error(f"unsupported escape '\\{char}'")
        return Literal(char)

    def char_class(self) -> str:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        chars: list[str] = []
        first = True
        while True:
            char = self.take()
            if not char:
                raise self.error("missing ']'")
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self.take()
                chars.extend(_ESCAPES.get(escaped, escaped))
                continue
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.pos += 1
                end = self.take()
                if ord(end) < ord(char):
                    raise self.error(f"bad range '{char}-{end}'")
                chars.extend(chr(c) for c in range(ord(char), ord(end) + 1))
            else:
                chars.append(char)
        unique = "".join(dict.fromkeys(chars))
        if negate:
            unique = "".join(c for c in _PRINTABLE if c not in unique)
        if not unique:
            raise self.error("empty character class")
        return unique

    def quantified(self, atom: Node) -> Node:
        char = self.peek()
        if char == "?":
            low, high = 0, 1
        elif char == "*":
            low, high = 0, _UNBOUNDED_EXTRA
        elif char == "+":
            low, high = 1, 1 + _UNBOUNDED_EXTRA
        elif char == "{":
            return self.braces(atom)
        else:
            return atom
        self.pos += 1
        return Repeat(atom, low, high)

    def braces(self, atom: Node) -> Node:
        end = self.text.find("}", self.pos)
        if end < 0:
            raise self.error("missing '}'")
        body = self.text[self.pos + 1 : end]
        low_text, comma, high_text = body.partition(",")
        try:
            low = int(low_text)
            high = (
                (int(high_text) if high_text.strip() else low + _UNBOUNDED_EXTRA) if comma else low
            )
        except ValueError:
            raise self.error(f"bad repeat '{{{body}}}'") from None
        if low < 0 or high < low or high > _MAX_REPEAT:
            raise self.error(f"bad repeat '{{{body}}}' (0 <= n <= m <= {_MAX_REPEAT})")
        self.pos = end + 1
        return Repeat(atom, low, high)


def generate_pattern(node: Node, stream: Stream, n: int) -> list[str]:
    """A column of ``n`` strings matching ``node``."""
    if isinstance(node, Literal):
        return [node.text] * n
    if isinstance(node, CharSet):
        return stream.draw_from(tuple(node.chars), n)
    if isinstance(node, Sequence):
        columns = [
            generate_pattern(item, stream.child(str(i)), n) for i, item in enumerate(node.items)
        ]
        return list(map("".join, zip(*columns, strict=True)))
    if isinstance(node, Alternation):
        return _alternation(node, stream, n)
    return _repeat(node, stream, n)


def _alternation(node: Alternation, stream: Stream, n: int) -> list[str]:
    choice = stream.child("which").draw_below(len(node.branches), n)
    out = [""] * n
    for index, branch in enumerate(node.branches):
        positions = [i for i, c in enumerate(choice) if c == index]
        values = generate_pattern(branch, stream.child(str(index)), len(positions))
        for position, value in zip(positions, values, strict=True):
            out[position] = value
    return out


def _repeat(node: Repeat, stream: Stream, n: int) -> list[str]:
    if node.high == 0:
        return [""] * n
    inner = node.node
    if isinstance(inner, CharSet):  # the common case: one draw of n * high characters
        table = tuple(inner.chars)
        chars = "".join(stream.draw_from(table, n * node.high))
        words = [chars[i : i + node.high] for i in range(0, n * node.high, node.high)]
    else:
        columns = [generate_pattern(inner, stream.child(str(j)), n) for j in range(node.high)]
        words = list(map("".join, zip(*columns, strict=True)))
    if node.low == node.high:
        return words
    if isinstance(inner, CharSet):
        lengths = [
            node.low + k for k in stream.child("len").draw_below(node.high - node.low + 1, n)
        ]
        return [word[:length] for word, length in zip(words, lengths, strict=True)]
    counts = [node.low + k for k in stream.child("len").draw_below(node.high - node.low + 1, n)]
    columns_by_record = zip(*columns, strict=True)
    return ["".join(parts[:count]) for parts, count in zip(columns_by_record, counts, strict=True)]


__all__ = ["Node", "PatternError", "generate_pattern", "parse_pattern"]
