"""The one mapping from seed 004's Python API to configuration data.

Every function here turns what the Python objects were given into the plain data an
``omnicloud.toml`` parses to (tables as dicts, arrays as lists), and nothing else: validation is
the loader's (``omnicloud.config.loader.validate_config_data``), so a key the Python API does not
translate lands where TOML would have it and is refused there with the same text and dotted key
path. Only the seed's own words with no TOML counterpart (a selection's ``strategy``, a cross-app
test's ``data_flow``, a service's ``type``) are checked here, and they fail in the same form.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from omnicloud.affected.select import mapped_tests
from omnicloud.config.models import ApplicationConfig, MappingRule
from omnicloud.errors import ConfigError, Location, did_you_mean, one_of
from omnicloud.provision.kinds import all_kinds, kind_for_alias

#: Where Python-built configuration comes from, as error messages name it.
ORIGIN = "omnicloud.api"
_HINT = "see docs/workflows.md (The Python API) and docs/configuration.md"
#: Seed 004's selection strategies: both select the tests the mapping rules give for the
#: application's changed files (a component is a folder of mapped tests).
STRATEGIES = ("change-based", "component-based")
SELECTION_KEYS = ("mapping_rules", "strategy", "test_paths")
CROSS_APP_KEYS = ("data_flow", "steps")
FLOW_KEYS = ("from", "to")


def refuse(key: str, message: str) -> ConfigError:
    """A mistake in a Python-only word, in the form the loader gives file mistakes."""
    return ConfigError(message, location=Location(ORIGIN), key=key, hint=_HINT)


def _unknown_keys(given: Iterable[str], accepted: tuple[str, ...], base: str) -> None:
    for key in given:
        if key not in accepted:
            raise refuse(
                f"{base}.{key}",
                f"unknown key '{key}'{did_you_mean(key, accepted)} (accepted: {one_of(accepted)})",
            )


def name_of(text: str) -> str:
    """A config name (lowercase, digits, '-' and '_') from any label."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_") or "step"


def literal(text: str) -> str:
    """A seed pattern is plain text: escape only what regular expressions would interpret."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


def application_data(spec: Mapping[str, Any] | ApplicationConfig) -> dict[str, Any]:
    """``[applications.<name>]``; the seed's string ``test_command`` is split like a shell."""
    if isinstance(spec, ApplicationConfig):
        return spec.model_dump(mode="json", exclude_defaults=True)
    data = dict(spec)
    if isinstance(data.get("test_command"), str):
        data["test_command"] = shlex.split(data["test_command"])
    return data


def service_data(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """``[services.<name>]`` from the seed's ``{"type", "image", "version", "ports", "env",
    "config"}``. Other keys, and keys of ``config`` other than ``port``, are passed on as
    service keys: a real one (``recipe``, ``command``, ``ready``...) works as in TOML, anything
    else is refused by the loader naming ``services.<name>.<key>``."""
    data = dict(spec)
    config = dict(data.pop("config", None) or {})
    kind = _kind(name, str(data.pop("type", "")))
    version = data.pop("version", None)
    ports = {str(k): int(v) for k, v in dict(data.pop("ports", None) or {}).items()}
    out: dict[str, Any] = {}
    if kind is not None:
        out["recipe"] = kind
    image = data.pop("image", None) or _image(name, kind, version)
    if image:
        out["image"] = image
    port = config.pop("port", None) or next(iter(ports.values()), None)
    if port is not None:
        out["port"] = port
    if ports:
        out["ports"] = {f"p{k}": v for k, v in ports.items()}
    env = dict(data.pop("env", None) or {})
    if env:
        out["env"] = {k: str(v) for k, v in env.items()}
    return {**out, **config, **data}


def _kind(name: str, given: str) -> str | None:
    """The service kind the seed's ``type`` names (``docker`` and nothing name none)."""
    if given in ("", "docker"):
        return None
    known = kind_for_alias(given)
    if known is None:
        accepted = ["docker", *(k.name for k in all_kinds())]
        raise refuse(
            f"services.{name}.type",
            f"unknown service type '{given}'{did_you_mean(given, accepted)}"
            f" (accepted: {one_of(accepted)})",
        )
    return known.name


def _image(name: str, kind: str | None, version: Any) -> str | None:
    if version is None:
        return None
    known = kind_for_alias(kind) if kind else None
    if known is None:
        raise refuse(
            f"services.{name}.version",
            "a version needs a service type with an image (redis, postgres...); give 'image'",
        )
    return f"{known.recipe.image.rpartition(':')[0]}:{version}"


def dataset_data(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``[data.<name>]``; the seed's ``schema`` is ``fields``."""
    data = dict(spec)
    if "schema" in data:
        data["fields"] = data.pop("schema")
    return data


def selection_data(workflow: str, application: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A checked test selection: its strategy, test paths and mapping rules (as models)."""
    base = f"workflows.{workflow}.selections.{application}"
    _unknown_keys(spec, SELECTION_KEYS, base)
    strategy = spec.get("strategy", STRATEGIES[0])
    if strategy not in STRATEGIES:
        raise refuse(
            f"{base}.strategy",
            f"unknown strategy {strategy!r}{did_you_mean(str(strategy), STRATEGIES)}"
            f" (accepted: {one_of(STRATEGIES)})",
        )
    rules = []
    for index, rule in enumerate(spec.get("mapping_rules", [])):
        try:
            rules.append(MappingRule.model_validate(rule))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in (index, *first["loc"]))
            message = str(first["msg"]).removeprefix("Value error, ")
            raise refuse(f"{base}.mapping_rules.{where}", message) from None
    return {
        "application": application,
        "strategy": strategy,
        "test_paths": list(spec.get("test_paths", [])),
        "rules": rules,
    }


def selection_step(
    workflow: str, selection: Mapping[str, Any], applications: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The step running the tests a selection's rules map the application's changed files to
    (``omnicloud.affected``'s mapping), or None when they map to none."""
    application = selection["application"]
    if application not in applications:
        raise refuse(
            f"workflows.{workflow}.selections.{application}",
            f"unknown application '{application}'{did_you_mean(application, list(applications))}"
            f" (accepted: {one_of(sorted(applications))})",
        )
    changed = applications[application].get("changed_files", [])
    tests = sorted({test for _, _, test in mapped_tests(selection["rules"], changed)})
    if not tests:
        return None
    return {"name": name_of(f"{application}-selected"), "application": application, "tests": tests}


def cross_app_steps(workflow: str, name: str, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[[workflows.<workflow>.steps]]`` tables: the steps in order, each depending on the one
    before, and ``data_flow`` as ``publishes``/``returns`` of the producer and ``consumes`` of
    the consumer."""
    base = f"workflows.{workflow}.cross_app_tests.{name}"
    _unknown_keys(spec, CROSS_APP_KEYS, base)
    steps: list[dict[str, Any]] = []
    by_test: dict[tuple[str, str], dict[str, Any]] = {}
    for index, item in enumerate(spec.get("steps", [])):
        _unknown_keys(item, ("app", "test"), f"{base}.steps.{index}")
        if "app" not in item or "test" not in item:
            raise refuse(f"{base}.steps.{index}", "a step needs 'app' and 'test'")
        app, test = item["app"], item["test"]
        step = {
            "name": name_of(f"{name}-{index + 1}-{app}"),
            "application": app,
            "tests": test,
            "depends_on": [steps[-1]["name"]] if steps else [],
            "publishes": [],
            "consumes": [],
            "returns": {},
        }
        steps.append(step)
        by_test[(app, short_name(test))] = step
    for key, flow in dict(spec.get("data_flow", {})).items():
        _flow(by_test, key, flow, f"{base}.data_flow.{key}")
    return steps


def short_name(test: str) -> str:
    """How a data flow names a step's test: the test function, or the test file's stem."""
    return test.rsplit("::", maxsplit=1)[-1].rsplit("/", 1)[-1].split(".", maxsplit=1)[0]


def _flow(steps: Mapping[tuple[str, str], dict[str, Any]], key: str, flow: Any, base: str) -> None:
    if not isinstance(flow, Mapping) or not all(k in flow for k in FLOW_KEYS):
        raise refuse(base, "a data flow is {'from': 'app.test.return.field', 'to': 'app.test...'}")
    _unknown_keys(flow, FLOW_KEYS, base)
    producer, source = _resolve(steps, str(flow["from"]), f"{base}.from")
    consumer, _ = _resolve(steps, str(flow["to"]), f"{base}.to")
    if len(source) < 2 or source[0] != "return":
        raise refuse(
            f"{base}.from",
            f"'{flow['from']}' must name a field of the test's return value:"
            " 'app.test_name.return.field'",
        )
    producer["publishes"].append(key)
    consumer["consumes"].append(key)
    test = str(flow["from"]).split(".")[1]
    producer["returns"][f"{test}.{'.'.join(source[1:])}"] = key


def _resolve(
    steps: Mapping[tuple[str, str], dict[str, Any]], ref: str, where: str
) -> tuple[dict[str, Any], list[str]]:
    """The step ``app.test_name[.rest]`` names exactly, and the rest as parts."""
    app, _, rest = ref.partition(".")
    for (step_app, short), step in steps.items():
        if step_app == app and (rest == short or rest.startswith(short + ".")):
            return step, rest[len(short) + 1 :].split(".") if rest != short else []
    named = [f"{a}.{t}" for a, t in steps]
    raise refuse(
        where,
        f"'{ref}' names no step of this test{did_you_mean(ref, named)} (steps: {one_of(named)})",
    )


def failures_data(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``[failures]``: each category's ``patterns`` are plain text searched in the message,
    traceback and output; ``routing`` is each category's ``route``."""
    data = dict(spec)
    routing = dict(data.pop("routing", None) or {})
    categories = [_category(dict(item), routing) for item in data.pop("categories", None) or []]
    names = [str(c.get("name")) for c in categories]
    for category in routing:
        if category not in names:
            raise refuse(
                f"failures.routing.{category}",
                f"routes category '{category}', which no category declares"
                f"{did_you_mean(category, names)} (declared: {one_of(names)})",
            )
    return {**data, "categories": categories} if categories else data


def _category(item: dict[str, Any], routing: Mapping[str, Any]) -> dict[str, Any]:
    patterns = [literal(p) for p in item.pop("patterns", None) or []]
    out: dict[str, Any] = {"message": patterns, "traceback": patterns, "output": patterns}
    out["precedence"] = 100
    if item.get("name") in routing:
        out["route"] = routing[item["name"]]
    return {**out, **item}  # other keys are [[failures.categories]] keys, checked by the loader


def config_data(
    *,
    applications: Mapping[str, Mapping[str, Any]],
    workflow: str,
    description: str,
    selections: Sequence[Mapping[str, Any]],
    steps: Sequence[Mapping[str, Any]],
    failures: Mapping[str, Any],
    environment: tuple[str, Mapping[str, Any]] | None,
    services: Mapping[str, Mapping[str, Any]],
    datasets: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """The whole configuration, as an ``omnicloud.toml`` holding it would parse to."""
    selected = [selection_step(workflow, s, applications) for s in selections]
    table: dict[str, Any] = {
        "description": description,
        "steps": [*(s for s in selected if s is not None), *(dict(s) for s in steps)],
    }
    if environment is not None:
        table["environment"] = environment[0]
    return {
        "applications": {name: dict(app) for name, app in applications.items()},
        "environments": {environment[0]: dict(environment[1])} if environment else {},
        "services": {name: dict(service) for name, service in services.items()},
        "data": {name: dict(dataset) for name, dataset in datasets.items()},
        "failures": dict(failures),
        "workflows": {workflow: table},
    }
