"""Redaction of secret values from anything omnicloud prints or writes.

Secrets are the values marked ``{ secret = "..." }`` in the configuration plus every credential
found in a URL-shaped value (``scheme://user:password@host``, ``?token=...``), wherever the URL
comes from (options, external endpoints, provisioned services), and the passwords of
provisioned services. A ``Redactor`` hides them in text, in their escaped forms (XML, JSON,
percent-encoding) too; ``RedactingStream`` applies it to the terminal; ``redact_tree`` to every
file a run wrote.
"""

from __future__ import annotations

import html
import io
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

MASK = "***"
MIN_LENGTH = 3  # shorter values would mask ordinary text
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_SECRET_QUERY = re.compile(r"(token|key|secret|password|passwd|pwd|sig|signature|auth)", re.I)
_SECRET_FIELD = re.compile(r"(password|passwd|secret|token|credential|api[_-]?key)", re.I)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every (non-trivial) secret value in ``text``."""
    return Redactor(secrets).redact(text)


def url_secrets(text: str) -> list[str]:
    """Credentials inside the URLs found in ``text``: userinfo passwords (and users given
    with one), and the values of query parameters that name a token, key or password."""
    found = []
    for match in _URL.finditer(text):
        try:
            parts = urllib.parse.urlsplit(match.group(0))
            password = parts.password
        except ValueError:
            continue
        if password:
            found += [password, urllib.parse.unquote(password)]
        for name, value in urllib.parse.parse_qsl(parts.query):
            if _SECRET_QUERY.search(name) and value:
                found.append(value)
    return found


def secrets_in(value: Any) -> list[str]:
    """URL credentials and ``password``/``token`` fields found anywhere in ``value``."""
    found: list[str] = []
    if isinstance(value, str):
        found += url_secrets(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str | int) and _SECRET_FIELD.search(str(key)) and item:
                found.append(str(item))
            found += secrets_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found += secrets_in(item)
    return found


def safe_url(url: str) -> str:
    """A URL to print: scheme and host only (webhook paths and queries carry tokens)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return MASK
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    tail = f"/{MASK}" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{tail}"


class Redactor:
    """Hides a growing set of secrets (services add theirs when they start)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._forms: list[str] = []
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if len(s) >= MIN_LENGTH)
            forms = set()
            for secret in self._secrets:
                forms.update(_escaped_forms(secret))
            self._forms = sorted((f for f in forms if len(f) >= MIN_LENGTH), key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text


def _escaped_forms(secret: str) -> set[str]:
    return {
        secret,
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
        json.dumps(secret)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
    }


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what it passes on, line by line (a secret split over two
    writes is held back until the line ends)."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self.stream = stream
        self.redactor = redactor
        self._pending = ""

    def write(self, text: str) -> int:
        data = self._pending + text
        cut = data.rfind("\n") + 1
        self._pending = data[cut:]
        if cut:
            self.stream.write(self.redactor.redact(data[:cut]))
        if len(self._pending) > 4096:  # a long line without a newline (progress dots)
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.stream.write(self.redactor.redact(self._pending))
            self._pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


def redact_tree(folder: Path, redactor: Redactor) -> None:
    """Redact every file under ``folder`` in place (JUnit, reports, triage, logs)."""
    if not redactor:
        return
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        clean = redactor.redact(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
