"""The failure classifier: pure, exact and fast.

Semantics, for each category (configured first, then built-ins), tried from the highest
``precedence`` down and, on equal precedence, in declaration order; the first that matches wins:

* ``status`` is a filter: when given, the failure's status must be one of them;
* ``match = "any"``: at least one pattern of any field matches (``re.search``);
* ``match = "all"``: every pattern of every field matches;
* a category with a status filter but no pattern matches on status alone.

Every pattern is searched in its field (``output`` means stdout, stderr or log; ``marker`` means
any marker). A failure nothing claims is ``unclassified``.

Why it is fast (see docs/performance-triage.md): each field is scanned once for all categories,
results are cached per distinct field text, line-local patterns (``patterns.analyse``) are cached
per distinct line, since traceback lines repeat across failures even when whole tracebacks do not,
and each regex only runs when one of its required literals occurs. All of it is exact: the answer
is the one the naive loop gives, which the tests check.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from omnicloud.config.models import FailureCategory
from omnicloud.triage.model import (
    PATTERN_FIELDS,
    UNCLASSIFIED,
    Classification,
    Evidence,
    Failure,
)
from omnicloud.triage.patterns import Literal, analyse, digit_blind

_UNCLASSIFIED = Classification(UNCLASSIFIED, "", ())
_EVIDENCE_LIMIT = 300
_CACHE_LIMIT = 200_000
_TEXT_CACHE_MAX_CHARS = 1024  # longer texts are cached line by line instead
Hits = dict[int, str]  # pattern id -> matched text


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
    """Which patterns can match a text, from their required literals (plain ``in`` tests)."""

    def __init__(self, patterns: list[_Pattern]) -> None:
        sensitive: dict[str, list[int]] = {}
        folded: dict[str, list[int]] = {}
        always: list[int] = []
        for pattern in patterns:
            if pattern.literals is None:
                always.append(pattern.pid)
                continue
            for lit in pattern.literals:
                if lit.ignore_case:
                    folded.setdefault(lit.text.lower(), []).append(pattern.pid)
                else:
                    sensitive.setdefault(lit.text, []).append(pattern.pid)
        self.sensitive = [(text, tuple(pids)) for text, pids in sensitive.items()]
        self.folded = [(text, tuple(pids)) for text, pids in folded.items()]
        self.folded_all = {pid for _, pids in self.folded for pid in pids}
        self.always = frozenset(always)

    def candidates(self, text: str) -> set[int]:
        found = set(self.always)
        for literal, pids in self.sensitive:
            if literal in text:
                found.update(pids)
        if self.folded:
            if text.isascii():  # str.lower() and re's case folding agree on ASCII only
                lowered = text.lower()
                for literal, pids in self.folded:
                    if literal in lowered:
                        found.update(pids)
            else:
                found.update(self.folded_all)
        return found


_MASK = bytes.maketrans(b"123456789", b"000000000")
_MASK_STR = str.maketrans("123456789", "000000000")


def _mask_digits(text: str) -> str:
    """Every ASCII digit becomes ``0`` (the bytes route is about 3x faster on ASCII text)."""
    if text.isascii():
        return text.encode("ascii").translate(_MASK).decode("ascii")
    return text.translate(_MASK_STR)


class _FieldScanner:
    """All patterns of one field.

    Line-local, digit-blind patterns are evaluated per distinct line with its digits masked and
    remembered as match spans; the rest run on the whole text behind their literal gate. Short
    texts (messages, test ids) are remembered whole as well.
    """

    def __init__(self, patterns: list[_Pattern]) -> None:
        self.by_pid = {p.pid: p for p in patterns}
        local = [p for p in patterns if p.line_local and p.digit_blind]
        whole = [p for p in patterns if not (p.line_local and p.digit_blind)]
        self.local_gate = _Gate(local) if local else None
        self.whole_gate = _Gate(whole) if whole else None
        self.texts: dict[str, tuple[tuple[int, str], ...]] = {}
        self.lines: dict[str, tuple[tuple[int, int, int], ...]] = {}  # lines with matches
        self.clean: set[str] = set()  # lines without any match
        self.matching: set[str] = set()  # keys of self.lines, as a set for fast algebra

    def scan(self, text: str) -> tuple[tuple[int, str], ...]:
        short = len(text) <= _TEXT_CACHE_MAX_CHARS
        if short:
            cached = self.texts.get(text)
            if cached is not None:
                return cached
        found: Hits = {}
        if self.local_gate is not None:
            self._scan_lines(text, found)
        if self.whole_gate is not None:
            for pid in sorted(self.whole_gate.candidates(text)):
                match = self.by_pid[pid].regex.search(text)
                if match is not None:
                    found[pid] = match.group(0)[:_EVIDENCE_LIMIT]
        result = tuple(sorted(found.items()))
        if short:
            if len(self.texts) >= _CACHE_LIMIT:
                self.texts.clear()
            self.texts[text] = result
        return result

    def _scan_lines(self, text: str, found: Hits) -> None:
        masked = _mask_digits(text)
        lines = masked.split("\n") if "\n" in masked else [masked]
        distinct = set(lines)
        if len(self.clean) + len(self.lines) >= _CACHE_LIMIT:  # bounded memory: start afresh
            self.clean.clear()
            self.lines.clear()
            self.matching.clear()
        # Set algebra in C; the small set on the left keeps every operation O(lines in text).
        unknown = (distinct - self.clean) - self.matching
        if unknown:
            self._learn(unknown)
        matched = distinct & self.matching
        if not matched:
            return
        originals = text.split("\n")
        for index in sorted(lines.index(line) for line in matched):
            for pid, start, end in self.lines[lines[index]]:
                if pid not in found:  # the first line holding a match is the leftmost match
                    found[pid] = originals[index][start:end][:_EVIDENCE_LIMIT]

    def _learn(self, lines: set[str]) -> None:
        for line in lines:
            spans = self._scan_line(line)
            if spans:
                self.lines[line] = spans
                self.matching.add(line)
            else:
                self.clean.add(line)

    def _scan_line(self, line: str) -> tuple[tuple[int, int, int], ...]:
        assert self.local_gate is not None
        out = []
        for pid in sorted(self.local_gate.candidates(line)):
            match = self.by_pid[pid].regex.search(line)
            if match is not None:
                out.append((pid, match.start(), match.end()))
        return tuple(out)


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

    def hits(self, failure: Failure) -> Hits:
        """Every pattern id that matches ``failure``, with the text it matched."""
        found: Hits = {}
        for field, scanner in self.scanners.items():
            for text in _field_texts(failure, field):
                for pid, matched in scanner.scan(text):
                    found.setdefault(pid, matched)
        return found

    def classify(self, failure: Failure) -> Classification:
        found = self.hits(failure)
        if found:
            ranks = sorted({self.owner_of[pid] for pid in found} | self.status_only)
        else:
            ranks = self.status_only_sorted
        status = failure.status
        for rank in ranks:
            category = self.categories[rank]
            if category.statuses and status not in category.statuses:
                continue
            evidence = self._evidence(category, found, failure)
            if evidence is not None:
                return Classification(
                    category.name, evidence[0].rule, evidence, category.suggestion, category.route
                )
        return _UNCLASSIFIED

    def classify_all(self, failures: Iterable[Failure]) -> list[Classification]:
        """Classify many failures with the cyclic garbage collector paused.

        Classification allocates many small acyclic objects; letting the collector walk every
        live object over and over halves throughput on large runs, and nothing here can form a
        cycle, so pausing it is safe.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return [self.classify(failure) for failure in failures]
        finally:
            if was_enabled:
                gc.enable()

    def _evidence(
        self, category: _Category, found: Hits, failure: Failure
    ) -> tuple[Evidence, ...] | None:
        if not category.pids:
            return (Evidence("status", "", failure.status, f"{category.rule}.status"),)
        matched = [pid for pid in category.pids if pid in found]
        if not matched or (category.match_all and len(matched) != len(category.pids)):
            return None
        return tuple(self._one(pid, found[pid]) for pid in matched)

    def _one(self, pid: int, text: str) -> Evidence:
        pattern = self.patterns[pid]
        return Evidence(pattern.field, pattern.source, text, pattern.rule)


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
