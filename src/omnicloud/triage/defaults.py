"""Built-in failure categories, used unless ``failures.defaults = false``.

A configured category with the same name replaces a built-in one. Built-ins have negative
precedence, so any configured category (precedence 0 by default) is tried first. Their patterns
cover Python, Java (Surefire), Go and JavaScript (Jest) failure texts.
"""

from __future__ import annotations

from omnicloud.config.models import FailureCategory, FailuresConfig

DEFAULT_CATEGORIES: tuple[FailureCategory, ...] = (
    FailureCategory(
        name="flaky",
        status=["flaky"],
        precedence=-10,
        suggestion="{test_id} passed on re-run: look for shared state, ordering or timing"
        " assumptions; owners: {owners}",
    ),
    FailureCategory(
        name="infrastructure",
        message=[
            r"Connection ?(?:Refused|Reset|Aborted)?Error",
            r"(?i)connection (?:refused|reset|closed|aborted)",
            r"ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN",
            r"java\.net\.(?:ConnectException|UnknownHostException|SocketException)",
            r"dial tcp [^ ]+: connect:",
            r"(?i)name or service not known|no route to host|network is unreachable",
            r"OperationalError|ServiceUnavailable|Service Unavailable|BrokenPipeError",
            r"Unable to connect|Could not connect|ConnectionException",
        ],
        traceback=[
            r"ConnectionRefusedError|ConnectionResetError|ECONNREFUSED",
            r"(?i)connection refused",
        ],
        precedence=-20,
        suggestion="Infrastructure: is {service} up for provider {provider}? See {log_path}",
    ),
    FailureCategory(
        name="timeout",
        message=[
            r"TimeoutError|TimeoutException|Timeout\b|timed out",
            r"context deadline exceeded",
            r"Exceeded timeout of \d+ ?ms",
            r"DeadlineExceeded|deadline exceeded",
        ],
        traceback=[r"panic: test timed out"],
        precedence=-30,
        suggestion="Timeout in {provider}: check {service} latency and {log_path}, or raise"
        " the timeout",
    ),
    FailureCategory(
        name="setup error",
        message=[
            r"failed on setup|failed on teardown|error at setup|ERROR at setup",
            r"ModuleNotFoundError|ImportError|No module named",
            r"fixture '[^']+' not found",
            r"ClassNotFoundException|NoClassDefFoundError|Cannot find module",
            r"ProviderError",
        ],
        status=["error"],
        precedence=-40,
        suggestion="Setup of {test_id} failed before the contract ran: check the factory and"
        " options of {provider}",
    ),
    FailureCategory(
        name="not implemented",
        message=[
            r"NotImplementedError|not implemented|Not implemented|NotImplemented",
            r"UnsupportedOperationException|unimplemented",
        ],
        precedence=-50,
        suggestion="{provider} does not implement {capability}: implement it or declare it in"
        " expected_failures",
    ),
    FailureCategory(
        name="contract violation",
        message=[
            r"AssertionError|AssertionFailedError|ComparisonFailure|assert ",
            r"expect\(received\)|Expected:|expected:|Error Trace:",
            r"ContractViolation|ValidationError",
        ],
        traceback=[r"AssertionError|expect\(received\)"],
        status=["failed"],
        precedence=-60,
        suggestion="{provider} violates {contract}: the test states the rule; owners: {owners}",
    ),
)


def effective_categories(config: FailuresConfig) -> list[tuple[FailureCategory, str]]:
    """Configured categories (with their key paths) followed by the surviving built-ins."""
    out = [(cat, f"failures.categories.{i}") for i, cat in enumerate(config.categories)]
    if config.defaults:
        names = {cat.name for cat in config.categories}
        out += [
            (cat, f"defaults.{cat.name}") for cat in DEFAULT_CATEGORIES if cat.name not in names
        ]
    return out
