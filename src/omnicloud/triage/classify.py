"""The failure classifier: pure, exact and fast.

Semantics, for each category (configured first, then built-ins), tried from the highest
``precedence`` down and, on equal precedence, in declaration order; the first that matches wins:

* ``status`` is a filter: when given, the failure's status must be one of them;
* ``match = "any"``: at least one pattern of any field matches (``re.search``);
* ``match = "all"``: every pattern of every field matches;
* a category with a status filter but no pattern matches on status alone.

Every pattern is searched in its field (``output`` means stdout, stderr or log; ``marker`` means
any marker). A failure nothing claims is ``unclassified``.

Why it is fast (see docs/performance-triage.md): each field text is scanned once for all
categories; what a text, a line or a digit-masked line yields is remembered, so work is done once
per distinct text; a regex runs only when one of its required literals occurs, and "does any
literal occur?" is one trie-shaped regex; the decision from a failure's hits is remembered too.
All of it is exact: every cache is keyed by the text itself (or by a digit-masked text only for
patterns that cannot tell digits apart), so the answer is the one the naive loop gives, which the
tests check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from omnicloud.config.models import FailureCategory
from omnicloud.triage.model import (
    PATTERN_FIELDS,
    UNCLASSIFIED,
    Classification,
    Evidence,
    Failure,
)
from omnicloud.triage.patterns import Literal, analyse, any_literal, digit_blind

_UNCLASSIFIED = Classification(UNCLASSIFIED, "", ())
_EVIDENCE_LIMIT = 300
_CACHE_LIMIT = 200_000  # entries per cache; a full cache starts afresh
_LONG_CACHE_CHARS = 64_000_000  # text kept alive by the cache of long texts
_TEXT_CACHE_MAX_CHARS = 1024  # longer texts are looked at line by line
_SIGNATURE_CHARS = 64  # long texts are looked up by length, head and tail, then compared whole
#: Line starts of stack frames (Python, Java, JavaScript): a traceback is cut into frames, each a
#: few whole lines, rather than into lines; fewer pieces to cut, hash and look up.
_FRAME_SEPARATORS = ("\n  File ", "\n\tat ", "\n    at ")
Hits = dict[int, str]  # pattern id -> matched text
Spans = tuple[tuple[int, int, int], ...]  # (pattern id, start, end) of each matching pattern
Found = tuple[tuple[int, str], ...]  # (pattern id, matched text), by pattern id


@dataclass(frozen=True, slots=True)
class _Pattern:
    pid: int
    field: str
    source: str
    rule: str
    regex: re.Pattern[str]
    literals: tuple[Literal, ...] | None
    line_local: bool
    digit_blind: bool


class _Gate:
    """A set of patterns, run on a text only when one of their required literals occurs.

    "Does any literal occur?" is one pass of a trie-shaped regex (``patterns.any_literal``);
    case-insensitive literals are looked for in the lower-cased text when both are ASCII (a
    regex of plain characters lets the engine skip ahead on its first-character set, which
    ``(?i)`` prevents), and with the engine's own case folding otherwise.
    """

    def __init__(self, patterns: Iterable[_Pattern]) -> None:
        patterns = list(patterns)
        self.regex = {p.pid: p.regex for p in patterns}
        sensitive: dict[str, set[int]] = {}
        folded: dict[str, set[int]] = {}
        always: list[int] = []
        for pattern in patterns:
            if pattern.literals is None:
                always.append(pattern.pid)
                continue
            for lit in pattern.literals:
                target = folded if lit.ignore_case else sensitive
                target.setdefault(lit.text, set()).add(pattern.pid)
        self.always = tuple(sorted(always))
        self.sensitive = _literal_table(sensitive)
        self.sensitive_any = any_literal(Literal(text, False) for text in sensitive)
        lowered: dict[str, set[int]] = {}
        for text, pids in folded.items():
            if text.isascii():
                lowered.setdefault(text.lower(), set()).update(pids)
        self.lowered = _literal_table(lowered)
        self.lowered_any = any_literal(Literal(text, False) for text in lowered)
        # The engine's own case folding: ASCII text can match a non-ASCII literal (U+017F
        # matches "s"), and non-ASCII text an ASCII one ("K", the Kelvin sign, matches "k").
        self.folded = tuple(
            (re.compile(f"(?i:{re.escape(text)})"), text.isascii(), tuple(sorted(pids)))
            for text, pids in folded.items()
        )

    def __bool__(self) -> bool:
        return bool(self.regex)

    def spans(self, text: str) -> Spans:
        """Where each pattern first matches ``text``, by pattern id."""
        out = []
        for pid in self._candidates(text):
            match = self.regex[pid].search(text)
            if match is not None:
                out.append((pid, match.start(), match.end()))
        return tuple(out)

    def _candidates(self, text: str) -> Sequence[int]:
        found: set[int] = set()
        if self.sensitive_any is not None and self.sensitive_any.search(text) is not None:
            found.update(*(pids for literal, pids in self.sensitive if literal in text))
        if self.folded:
            ascii_text = text.isascii()
            if ascii_text and self.lowered_any is not None:
                lower = text.lower()
                if self.lowered_any.search(lower) is not None:
                    found.update(*(pids for literal, pids in self.lowered if literal in lower))
            for regex, ascii_literal, pids in self.folded:
                if not (ascii_text and ascii_literal) and regex.search(text) is not None:
                    found.update(pids)
        if not found:
            return self.always  # the common case: one regex pass says no literal occurs
        found.update(self.always)
        return sorted(found)


def _literal_table(literals: dict[str, set[int]]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple((text, tuple(sorted(pids))) for text, pids in literals.items())


_MASK = bytes.maketrans(b"123456789", b"000000000")
_MASK_STR = str.maketrans("123456789", "000000000")


def _mask_digits(text: str) -> str:
    """Every ASCII digit becomes ``0`` (the bytes route is about 3x faster on ASCII text)."""
    if text.isascii():
        return text.encode("ascii").translate(_MASK).decode("ascii")
    return text.translate(_MASK_STR)


def _first_indexes(pieces: list[str], wanted: set[str]) -> list[int]:
    """Where each of ``wanted`` first occurs in ``pieces``, in text order."""
    if len(wanted) <= 8:  # usually one or two: list.index runs in C
        return sorted(pieces.index(piece) for piece in wanted)
    seen: set[str] = set()
    out = []
    for index, piece in enumerate(pieces):  # one pass, not one per wanted piece
        if piece in wanted and piece not in seen:
            seen.add(piece)
            out.append(index)
    return out


def _slice(text: str, spans: Spans) -> list[tuple[int, str]]:
    return [(pid, text[start:end][:_EVIDENCE_LIMIT]) for pid, start, end in spans]


class _FieldScanner:
    """All patterns of one field, and what they found in every text seen so far.

    Exact caches, from the cheapest hit to the most general:

    * ``texts``: a short text (message, test id, captured log) to what it yields;
    * ``long``: a long text (traceback), found by length, head and tail, then compared whole;
    * ``masked_texts``: a one-line text with its digits masked to what the digit-blind patterns
      find (mapping digits to ``0`` moves no match of a pattern that cannot tell them apart);
    * ``lines`` and ``clean``: a digit-masked line of a multi-line text to what the line-local,
      digit-blind patterns find there (such a pattern's leftmost match in a text is its
      leftmost match in the first line that has one), or the fact that they find nothing;
    * ``frames``: the same for the stack frames of a traceback, a few whole lines each.

    The other patterns run on the whole text behind their literal gate. Evidence is always
    sliced from the failure's own text at the remembered span.
    """

    def __init__(self, patterns: list[_Pattern]) -> None:
        self.blind = _Gate(p for p in patterns if p.digit_blind)
        self.exact = _Gate(p for p in patterns if not p.digit_blind)
        self.local = _Gate(p for p in patterns if p.line_local and p.digit_blind)
        self.whole = _Gate(p for p in patterns if not (p.line_local and p.digit_blind))
        self.texts: dict[str, Found] = {}
        self.long: dict[tuple[int, str, str], tuple[str, Found]] = {}
        self.long_chars = 0
        self.masked_texts: dict[str, Spans] = {}
        self.lines: dict[str, Spans] = {}  # masked lines with matches
        self.clean: set[str] = set()  # masked lines without any match
        self.matching: set[str] = set()  # keys of self.lines, as a set for fast algebra
        # Per frame separator: masked frame body -> spans, clean bodies, matching bodies.
        self.frames: dict[str, tuple[dict[str, Spans], set[str], set[str]]] = {}

    def scan(self, text: str) -> Found:
        """Every pattern of the field that matches ``text``, with the text it matched."""
        if len(text) <= _TEXT_CACHE_MAX_CHARS:
            cached = self.texts.get(text)
            if cached is None:
                cached = self._lines_of(text) if "\n" in text else self._one_line(text)
                if len(self.texts) >= _CACHE_LIMIT:
                    self.texts.clear()
                self.texts[text] = cached
            return cached
        key = (len(text), text[:_SIGNATURE_CHARS], text[-_SIGNATURE_CHARS:])
        entry = self.long.get(key)
        if entry is not None and entry[0] == text:  # the signature only finds; equality decides
            return entry[1]
        found = self._lines_of(text)
        if len(self.long) >= _CACHE_LIMIT or self.long_chars + len(text) > _LONG_CACHE_CHARS:
            self.long.clear()
            self.long_chars = 0
        self.long[key] = (text, found)
        self.long_chars += len(text)
        return found

    def _one_line(self, text: str) -> Found:
        found = []
        if self.blind:
            masked = _mask_digits(text)
            spans = self.masked_texts.get(masked)
            if spans is None:
                spans = self.blind.spans(masked)
                if len(self.masked_texts) >= _CACHE_LIMIT:
                    self.masked_texts.clear()
                self.masked_texts[masked] = spans
            found = _slice(text, spans)
        if self.exact:
            found += _slice(text, self.exact.spans(text))
            found.sort()
        return tuple(found)

    def _lines_of(self, text: str) -> Found:
        found: Hits = {}
        if self.local:
            self._scan_lines(text, found)
        if self.whole:
            found.update(_slice(text, self.whole.spans(text)))
        return tuple(sorted(found.items()))

    def _scan_lines(self, text: str, found: Hits) -> None:
        masked = _mask_digits(text)
        for separator in _FRAME_SEPARATORS:  # digit-free: found at the same place in both
            head = masked.find(separator)
            if head >= 0:
                self._scan_masked_lines(text[:head], masked[:head], found)
                self._scan_frames(text, masked, head, separator, found)
                return
        self._scan_masked_lines(text, masked, found)

    def _scan_masked_lines(self, text: str, masked: str, found: Hits) -> None:
        lines = masked.split("\n")
        distinct = set(lines)
        # Set algebra in C; the small set on the left keeps every operation O(lines in text).
        unknown = (distinct - self.clean) - self.matching
        if unknown:
            if len(self.clean) + len(self.lines) + len(unknown) > _CACHE_LIMIT:
                self.clean.clear()  # bounded memory: start afresh before learning
                self.lines.clear()
                self.matching.clear()
                unknown = distinct
            self._learn(unknown)
        matched = distinct & self.matching
        if not matched:
            return
        originals = text.split("\n")
        for index in _first_indexes(lines, matched):
            for pid, start, end in self.lines[lines[index]]:
                if pid not in found:  # the first line holding a match is the leftmost match
                    found[pid] = originals[index][start:end][:_EVIDENCE_LIMIT]

    def _scan_frames(self, text: str, masked: str, head: int, separator: str, found: Hits) -> None:
        """The stack frames after ``head``: chunks of whole lines, each starting a frame.

        A chunk is ``prefix + body`` where the separator is ``"\n" + prefix``; it is cached
        by its masked body (per separator) like a line, but there are three times fewer
        chunks than lines to cut and hash. Chunks are whole lines, so a line-local pattern's
        leftmost match in a chunk is its leftmost match in the chunk's first matching line.
        """
        prefix, start = separator[1:], head + len(separator)
        cache = self.frames.get(separator)
        if cache is None:
            cache = self.frames[separator] = ({}, set(), set())
        spans, clean, matching = cache
        bodies = masked[start:].split(separator)
        distinct = set(bodies)
        unknown = (distinct - clean) - matching
        if unknown:
            if len(clean) + len(spans) + len(unknown) > _CACHE_LIMIT:
                clean.clear()
                spans.clear()
                matching.clear()
                unknown = distinct
            for body in unknown:
                found_spans = self.local.spans(prefix + body)
                if found_spans:
                    spans[body] = found_spans
                    matching.add(body)
                else:
                    clean.add(body)
        matched = distinct & matching
        if not matched:
            return
        originals = text[start:].split(separator)
        for index in _first_indexes(bodies, matched):
            chunk = prefix + originals[index]
            for pid, begin, end in spans[bodies[index]]:
                if pid not in found:
                    found[pid] = chunk[begin:end][:_EVIDENCE_LIMIT]

    def _learn(self, lines: set[str]) -> None:
        for line in lines:
            spans = self.local.spans(line)
            if spans:
                self.lines[line] = spans
                self.matching.add(line)
            else:
                self.clean.add(line)


@dataclass(frozen=True, slots=True)
class _Category:
    rank: int
    name: str
    rule: str
    pids: tuple[int, ...]
    statuses: frozenset[str]
    match_all: bool
    suggestion: str | None
    route: str | None


_OUTPUT = attrgetter("stdout", "stderr", "log")


class Classifier:
    """Classify failures against categories; build once, call ``classify`` many times."""

    def __init__(self, categories: Sequence[tuple[FailureCategory, str]]) -> None:
        ordered = sorted(enumerate(categories), key=lambda item: (-item[1][0].precedence, item[0]))
        self.patterns: list[_Pattern] = []
        self.categories: list[_Category] = []
        by_field: dict[str, list[_Pattern]] = {}
        for rank, (_, (category, rule)) in enumerate(ordered):
            pids = []
            for pattern in self._compile(category, rule):
                pids.append(pattern.pid)
                by_field.setdefault(pattern.field, []).append(pattern)
            self.categories.append(_category(rank, category, rule, tuple(pids)))
        self.owner_of = {p.pid: self._owner(p.pid) for p in self.patterns}
        self.scanners = {name: _FieldScanner(pats) for name, pats in by_field.items()}
        self.status_only = {c.rank for c in self.categories if not c.pids}
        self.status_only_sorted = sorted(self.status_only)
        # Fields in PATTERN_FIELDS order; output and markers hold several texts each.
        self._single = [
            (attrgetter(name), scanner)
            for name, scanner in self.scanners.items()
            if name not in ("output", "marker")
        ]
        self._output = self.scanners.get("output")
        self._marker = self.scanners.get("marker")
        self._decided: dict[tuple[Any, ...], Classification] = {}

    def _compile(self, category: FailureCategory, rule: str) -> Iterable[_Pattern]:
        for field in PATTERN_FIELDS:
            for index, source in enumerate(getattr(category, field)):
                info = analyse(source)
                pattern = _Pattern(
                    pid=len(self.patterns),
                    field=field,
                    source=source,
                    rule=f"{rule}.{field}.{index}",
                    regex=re.compile(source),
                    literals=info.literals,
                    line_local=info.line_local,
                    digit_blind=digit_blind(source),
                )
                self.patterns.append(pattern)
                yield pattern

    def _owner(self, pid: int) -> int:
        for index, category in enumerate(self.categories):
            if pid in category.pids:
                return index
        raise LookupError(pid)  # every pattern belongs to a category by construction

    def _found(self, failure: Failure) -> list[Found]:
        """What each text of the failure yields, field by field, texts in naive-loop order."""
        parts = []
        for get, scanner in self._single:
            text = get(failure)
            parts.append(scanner.scan(text) if text else ())
        if self._output is not None:
            for text in _OUTPUT(failure):
                parts.append(self._output.scan(text) if text else ())
        if self._marker is not None:
            parts.extend(self._marker.scan(marker) for marker in failure.markers)
        return parts

    def hits(self, failure: Failure) -> Hits:
        """Every pattern id that matches ``failure``, with the text it matched."""
        return _merge(self._found(failure))

    def classify(self, failure: Failure) -> Classification:
        # The answer is a function of the status and of what each text yielded (evidence text
        # included), so equal keys give equal answers whatever else differs between failures.
        parts = self._found(failure)
        key = (failure.status, *parts)
        result = self._decided.get(key)
        if result is None:
            result = self._decide(failure.status, _merge(parts))
            if len(self._decided) >= _CACHE_LIMIT:
                self._decided.clear()
            self._decided[key] = result
        return result

    def classify_all(self, failures: Iterable[Failure]) -> list[Classification]:
        """Classify many failures. The garbage collector is left alone: it is the process's,
        not a library's (pausing it gained at most 9 % on bench/triage.py, see
        docs/performance-triage.md)."""
        return [self.classify(failure) for failure in failures]

    def _decide(self, status: str, found: Hits) -> Classification:
        if found:
            ranks = sorted({self.owner_of[pid] for pid in found} | self.status_only)
        else:
            ranks = self.status_only_sorted
        for rank in ranks:
            category = self.categories[rank]
            if category.statuses and status not in category.statuses:
                continue
            evidence = self._evidence(category, found, status)
            if evidence is not None:
                return Classification(
                    category.name, evidence[0].rule, evidence, category.suggestion, category.route
                )
        return _UNCLASSIFIED

    def _evidence(
        self, category: _Category, found: Hits, status: str
    ) -> tuple[Evidence, ...] | None:
        if not category.pids:
            return (Evidence("status", "", status, f"{category.rule}.status"),)
        matched = [pid for pid in category.pids if pid in found]
        if not matched or (category.match_all and len(matched) != len(category.pids)):
            return None
        return tuple(self._one(pid, found[pid]) for pid in matched)

    def _one(self, pid: int, text: str) -> Evidence:
        pattern = self.patterns[pid]
        return Evidence(pattern.field, pattern.source, text, pattern.rule)


def _merge(parts: Iterable[Found]) -> Hits:
    """One field's texts in order: a pattern's evidence comes from the first text it matches."""
    found: Hits = {}
    for part in parts:
        for pid, matched in part:
            if pid not in found:
                found[pid] = matched
    return found


def _category(rank: int, category: FailureCategory, rule: str, pids: tuple[int, ...]) -> _Category:
    return _Category(
        rank=rank,
        name=category.name,
        rule=rule,
        pids=pids,
        statuses=frozenset(category.status),
        match_all=category.match == "all",
        suggestion=category.suggestion,
        route=category.route,
    )


def _field_texts(failure: Failure, field: str) -> tuple[str, ...]:
    if field == "output":
        return tuple(t for t in (failure.stdout, failure.stderr, failure.log) if t)
    if field == "marker":
        return failure.markers
    value = getattr(failure, field)
    return (value,) if value else ()


def classify_failure(
    failure: Failure, categories: Sequence[tuple[FailureCategory, str]]
) -> Classification:
    """One-off classification (builds a ``Classifier``; reuse one for many failures)."""
    return Classifier(categories).classify(failure)


def naive_classify(
    failure: Failure, categories: Sequence[tuple[FailureCategory, str]]
) -> Classification:
    """Reference semantics: a plain loop of ``re.search`` over every rule, for tests and bench."""
    ordered = sorted(enumerate(categories), key=lambda item: (-item[1][0].precedence, item[0]))
    for _, (category, rule) in ordered:
        if category.status and failure.status not in category.status:
            continue
        evidence = _naive_evidence(category, rule, failure)
        if evidence is not None:
            return Classification(
                category.name, evidence[0].rule, evidence, category.suggestion, category.route
            )
    return Classification(UNCLASSIFIED, "", ())


def _naive_evidence(
    category: FailureCategory, rule: str, failure: Failure
) -> tuple[Evidence, ...] | None:
    found: list[Evidence] = []
    total = 0
    for field in PATTERN_FIELDS:
        for index, source in enumerate(getattr(category, field)):
            total += 1
            for text in _field_texts(failure, field):
                match = re.search(source, text)
                if match is not None:
                    found.append(
                        Evidence(
                            field,
                            source,
                            match.group(0)[:_EVIDENCE_LIMIT],
                            f"{rule}.{field}.{index}",
                        )
                    )
                    break
    if total == 0:
        return (Evidence("status", "", failure.status, f"{rule}.status"),)
    if not found or (category.match == "all" and len(found) != total):
        return None
    return tuple(found)
