"""Built-in failure categories, used unless ``failures.defaults = false``.

A configured category with the same name replaces a built-in one. Built-ins have negative
precedence, so any configured category (precedence 0 by default) is tried first. Their patterns
cover the failure texts of Python, Java (Surefire, Ant, TestNG), Go, JavaScript (Jest, mocha),
Rust (nextest), C/C++ (Catch2, CUnit), PHP (PHPUnit, Nette), Scala (ScalaTest) and Ginkgo
(Sonobuoy): assertions count as contract violations whether a tool reports them as a failure
or an error; load, import and compile failures are setup errors.
"""

from __future__ import annotations

from omnicloud.config.models import FailureCategory, FailuresConfig

DEFAULT_CATEGORIES: tuple[FailureCategory, ...] = (
    FailureCategory(
        name="incomplete results",
        message=[r"JUnitCountMismatch"],
        status=["error"],
        precedence=-5,
        suggestion="The JUnit file counts failures it does not contain ({test_id}): the run"
        " was cut short or the report truncated; re-run it and keep the whole file",
    ),
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
            r"Timed out after",  # Ginkgo Eventually (Sonobuoy)
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
            r"ModuleNotFoundError|ImportError|No module named|collection failure",
            r"fixture '[^']+' not found",
            r"ClassNotFoundException|NoClassDefFoundError|ExceptionInInitializerError",
            r"Could not initialize class|Cannot find module|Cannot find package",
            r"Test suite failed to run",
            r"\[build failed\]|\[setup failed\]|[Bb]uild failed|Build error",
            r"could not compile|error\[E\d{4}\]|compilation failed|Compilation failed",
            r"cannot load such file|LoadError|failed to load",
            r"Class \"[^\"]+\" not found|Class '[^']+' not found",  # PHP autoload
            r"ProviderError",
        ],
        traceback=[
            r"ImportError while importing|ModuleNotFoundError|No module named",
            r"Test suite failed to run|could not compile|\[build failed\]",
            r": undefined: \w|declared and not used|imported and not used",
        ],
        output=[
            r"ModuleNotFoundError|ImportError while importing|No module named",
            r"could not compile|\[build failed\]|Test suite failed to run",
        ],
        test_id=[r"\[build failed\]|\[setup failed\]|initializationError|classMethod"],
        status=["failed", "error"],
        precedence=-40,
        suggestion="Setup of {test_id} failed before the test ran (load, import or compile):"
        " check the build, the dependencies, and the factory and options of {provider}",
    ),
    FailureCategory(
        name="null dereference",
        message=[
            r"NullPointerException|NullReferenceException|nil pointer dereference",
            r"Cannot read propert(?:y|ies) of (?:undefined|null)",
            r"(?:undefined|null) is not an object",
            r"'NoneType' object has no attribute|'NoneType' object is not",
            r"Call to a member function \w+\(\) on null",  # PHP
        ],
        traceback=[
            r"NullPointerException|nil pointer dereference",
            r"Cannot read propert(?:y|ies) of (?:undefined|null)",
        ],
        precedence=-45,
        suggestion="{test_id} dereferenced a null/nil/undefined value: a missing result or an"
        " uninitialised field; owners: {owners}",
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
            r"Failed asserting",  # PHPUnit
            r"\b(?:REQUIRE|CHECK)(?:_[A-Z_]+)?[:(]",  # Catch2
            r"assertion `left [!=]= right` failed|assertion failed",  # Rust
            r"CU_ASSERT",  # CUnit
            r" should (?:be|equal|contain|match) ",  # Nette Tester
            r"did not equal|was not equal to|did not contain",  # ScalaTest
            r", want ",  # Go: got X, want Y
            r"\[FAILED\] Expected|Expected\s+<",  # Ginkgo/Gomega (Sonobuoy)
        ],
        traceback=[
            r"AssertionError|expect\(received\)|Failed asserting",
            r"assertion `left [!=]= right` failed|assertion failed",
            r"\b(?:REQUIRE|CHECK)(?:_[A-Z_]+)?\(",
        ],
        status=["failed", "error"],
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
