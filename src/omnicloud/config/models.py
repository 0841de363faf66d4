"""The typed, immutable model of ``omnicloud.toml``.

Every section is validated once, at load; the rest of the code reads these objects, never raw
dicts. Each model's docstring carries its TOML example; ``omnicloud schema`` and the configuration
reference in ``docs/`` are generated from these classes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from omnicloud.config.types import Duration, FactoryPath, Name, OptionValue
from omnicloud.contracts import CONTRACTS, resolve_contract
from omnicloud.errors import did_you_mean, one_of
from omnicloud.slo.units import Latency, Rate, Size

PROVISIONERS = ("embedded", "process", "docker", "kubernetes", "external")


class Model(BaseModel):
    """Base of every configuration model: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ProjectConfig(Model):
    """The project being certified.

    ```toml
    [project]
    name = "acme-platform"
    base_ref = "origin/main"
    results_dir = "omnicloud-results"
    default_owner = "platform-team"
    ```
    """

    name: str = Field("omnicloud-project", description="Shown in reports and certificates.")
    base_ref: str = Field("origin/main", description="Git ref that `affected` diffs against.")
    results_dir: Path = Field(
        Path("omnicloud-results"), description="Where JUnit, reports and certificates are written."
    )
    default_environment: str | None = Field(
        None, description="Environment used when neither --env nor OMNICLOUD_ENV is given."
    )
    default_owner: str | None = Field(None, description="Owner of failures nothing else claims.")
    codeowners: Path | None = Field(
        None, description="CODEOWNERS file for routing; found in the usual places when unset."
    )
    discover_plugins: bool = Field(
        True, description="Add providers registered under the 'omnicloud.providers' entry point."
    )


class ReadyConfig(Model):
    """How to tell that a service is ready; every check given must pass.

    ```toml
    ready = { tcp = true, ping = true, timeout = "30s", interval = "100ms" }
    ```
    """

    tcp: bool = Field(False, description="The service port accepts TCP connections.")
    ping: bool = Field(False, description="Protocol ping: Redis PING, Postgres SELECT 1.")
    http: str | None = Field(None, description="A URL path or full URL that must answer 2xx.")
    command: list[str] | None = Field(None, description="A command that must exit 0.")
    log: str | None = Field(None, description="A regular expression the service log must show.")
    timeout: Duration = Field(30.0, description="Give up after this long.")
    interval: Duration = Field(0.05, description="Time between checks.")

    @field_validator("log")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value


class ServiceConfig(Model):
    """A service providers need: started by the environment's provisioner.

    ```toml
    [services.redis]
    recipe = "redis"                        # built-in defaults; everything below overrides
    image = "redis:7"                       # docker, kubernetes
    command = ["redis-server", "--port", "{port}", "--save", ""]   # process
    port = 6379
    ready = { tcp = true, timeout = "30s" }
    ```
    """

    recipe: str | None = Field(
        None,
        description="Service kind whose recipe to use (redis, postgres, etcd, nats, rabbitmq,"
        " moto); default: the kind named like the service.",
    )
    image: str | None = Field(None, description="Container image (docker, kubernetes).")
    command: list[str] | None = Field(
        None, description="Command line; '{port}', '{data_dir}', '{host}' are filled in."
    )
    port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="The main port inside a container (docker, kubernetes); process picks a"
        " free one.",
    )
    ports: dict[str, int] = Field(default_factory=dict, description="Extra named ports.")
    env: dict[str, OptionValue] = Field(
        default_factory=dict, description="Environment; '{port}', '{data_dir}' are filled in."
    )
    volumes: dict[str, str] = Field(default_factory=dict, description="host path -> mount path")
    tmpfs: list[str] = Field(default_factory=list, description="Paths mounted as tmpfs.")
    ready: ReadyConfig = Field(default_factory=ReadyConfig)
    startup_timeout: Duration | None = Field(None, description="Overrides ready.timeout.")
    url: str | None = Field(
        None, description="Connection URL template, e.g. 'redis://{host}:{port}/0'."
    )
    endpoint: str | None = Field(
        None, description="For the external provisioner: an existing URL (may use ${VAR})."
    )
    resources: dict[str, str] = Field(
        default_factory=dict, description="Kubernetes requests/limits, e.g. {cpu = '500m'}."
    )
    init: list[list[str]] | None = Field(
        None, description="process: commands run once in the fresh data dir before start."
    )
    user: str | None = Field(
        None, description="process: run as this user (servers such as postgres refuse root)."
    )
    fields: dict[str, OptionValue] = Field(
        default_factory=dict,
        description="Extra endpoint fields (user, password, database); { secret = ... } hides.",
    )


class EnvironmentConfig(Model):
    """Where services come from for a run.

    ```toml
    [environments.local]
    provisioner = "process"
    [environments.ci]
    provisioner = "docker"
    reuse = true
    ```
    """

    provisioner: str = Field("embedded", description=f"One of: {', '.join(PROVISIONERS)}.")
    reuse: bool = Field(False, description="Keep services between runs, keyed by config hash.")
    namespace: str | None = Field(None, description="Kubernetes namespace (default: per run).")
    context: str | None = Field(None, description="Kubernetes context.")
    endpoints: dict[str, str] = Field(
        default_factory=dict, description="external: service name -> URL (may use ${VAR})."
    )
    options: dict[str, OptionValue] = Field(
        default_factory=dict,
        description="The provisioner's options (docker: base_url, timeout; kubernetes: api_url).",
    )

    @field_validator("provisioner")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PROVISIONERS:
            raise ValueError(
                f"unknown provisioner '{value}'{did_you_mean(value, PROVISIONERS)}"
                f" (accepted: {one_of(PROVISIONERS)})"
            )
        return value

    @field_validator("options")
    @classmethod
    def _typed_options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Each provisioner's options model (provision/options.py) checks them at load."""
        from omnicloud.provision.options import parse_options

        if "provisioner" in info.data:  # else the provisioner itself is the error to report
            parse_options(info.data["provisioner"], value)
        return value


class ExpectedFailure(Model):
    """An interface a provider is known to fail, and why.

    ```toml
    expected_failures.keyvalue_ttl = { kind = "notyet", reason = "TTL lands in 2.0" }
    ```
    """

    kind: Literal["notimpl", "notyet", "never"]
    reason: str = Field(min_length=1)


BUILTIN_SLO_PROFILES = ("rfc015",)
BUILTIN_FAULT_PROFILES = (
    "crash_restart",
    "hang",
    "slow_network",
    "reset_peer",
    "partition",
    "bandwidth",
    "slow_close",
)


class SloTarget(Model):
    """Performance targets of one interface: an SLO profile, or a provider's own.

    ```toml
    [slo.profiles.fast-kv]            # a named profile providers adopt
    p99 = "5ms"
    throughput = "10k/s"
    concurrency = 16                  # closed-loop workers for the throughput figure
    payload = "100B"                  # size of every written value
    rate = "1k/s"                     # open-loop arrival rate the latencies are measured at

    [providers.redis]
    slo = { keyvalue_basic = { p99 = "5ms", throughput = "10k/s" } }   # per interface
    # slo = "fast-kv"                                                  # or adopt a profile
    # slo = { keyvalue_basic = { profile = "fast-kv", p99 = "2ms" } }  # a profile, overridden
    ```

    A latency needs its unit (``us``, ``ms``, ``s``); a rate is operations per second (``10k/s``,
    ``500/s``); the open-loop ``rate`` defaults to half the throughput target (or 1k/s).
    """

    profile: str | None = Field(None, description="Named profile this one starts from.")
    p50: Latency | None = Field(None, description="Median latency at the open-loop rate.")
    p99: Latency | None = Field(None, description="99th percentile latency.")
    p999: Latency | None = Field(
        None, alias="p99.9", description='99.9th percentile latency (key `"p99.9"`).'
    )
    throughput: Rate | None = Field(None, description="Closed-loop operations per second.")
    concurrency: int | None = Field(None, ge=1, le=1024, description="Closed-loop workers.")
    payload: Size | None = Field(None, description="Bytes per written value (default 100B).")
    rate: Rate | None = Field(None, description="Open-loop arrival rate for the latencies.")


def _slo_shorthand(value: Any) -> Any:
    """``slo = "name"`` adopts a profile for every interface (stored under ``"*"``);
    ``slo = { keyvalue_basic = "name" }`` adopts it for one."""
    if isinstance(value, str):
        return {"*": {"profile": value}}
    if isinstance(value, dict):
        return {k: {"profile": v} if isinstance(v, str) else v for k, v in value.items()}
    return value


class SloConfig(Model):
    """How SLO measurements run, and the named profiles providers adopt.

    ```toml
    [slo]
    profile = "rfc015"     # providers that declare no `slo` get this one (RFC-015: p99 5ms, 10k/s)
    trials = 3             # repeated trials: the spread between them bounds the verdict
    duration = "500ms"     # measured time of each trial (warm-up excluded); --full: 10 x 5s
    warmup = "200ms"
    confidence = 0.95      # of the bootstrap intervals a verdict rests on
    tolerance = 0.10       # --baseline: a change inside this fraction is noise, not regression
    [slo.profiles.ci-runner]
    p99 = "25ms"
    throughput = "1k/s"
    ```
    """

    profile: str = Field("rfc015", description="Default profile of providers with no `slo`.")
    trials: int = Field(3, ge=2, le=100, description="Repeated trials per measurement.")
    duration: Duration = Field(0.5, gt=0, description="Measured time of each trial.")
    warmup: Duration = Field(0.2, description="Operations before this are not recorded.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Of the verdict's intervals.")
    tolerance: float = Field(0.10, ge=0, lt=1.0, description="Noise band against a baseline.")
    providers: list[str] | None = Field(
        None, description="Providers `omnicloud slo` takes by default (default: all)."
    )
    profiles: dict[Name, SloTarget] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _profile_known(self) -> SloConfig:
        known = [*BUILTIN_SLO_PROFILES, *self.profiles]
        if self.profile not in known:
            raise ValueError(
                f"unknown SLO profile '{self.profile}'{did_you_mean(self.profile, known)}"
                f" (accepted: {one_of(known)})"
            )
        return self


class ToxicConfig(Model):
    """One toxic of a network fault, in toxiproxy's vocabulary.

    ```toml
    { type = "latency", latency = "100ms", jitter = "20ms", stream = "downstream" }
    ```
    """

    type: Literal["latency", "bandwidth", "slow_close", "timeout", "reset_peer"]
    stream: Literal["upstream", "downstream", "both"] = "both"
    latency: Duration = Field(0.0, description="latency: added delay per chunk.")
    jitter: Duration = Field(0.0, description="latency: +/- random spread.")
    rate: int = Field(0, ge=0, description="bandwidth: KB/s (0: nothing passes).")
    delay: Duration = Field(0.0, description="slow_close / reset_peer: wait before closing.")
    timeout: Duration = Field(
        0.0, description="timeout: drop data, close after this (0: never; a partition)."
    )
    toxicity: float = Field(1.0, ge=0, le=1, description="Share of connections affected.")


class FaultProfileConfig(Model):
    """A user-defined network fault: toxics applied for `duration`, then removed (healed).

    ```toml
    [faults.custom.lossy-uplink]
    toxics = [{ type = "bandwidth", rate = 64, stream = "upstream" }]
    duration = "2s"
    ```
    """

    toxics: list[ToxicConfig] = Field(min_length=1)
    duration: Duration | None = Field(None, description="Default: faults.duration.")


class FaultsConfig(Model):
    """Which fault profiles `omnicloud faults` runs, and for how long.

    ```toml
    [faults]
    profiles = ["crash_restart", "hang", "slow_network", "reset_peer", "partition"]
    duration = "1.5s"      # how long each fault lasts before it heals
    providers = ["redis", "postgres"]   # taken by default (--provider picks others)
    ```

    Built-in profiles: `crash_restart` (SIGKILL the server, or `docker kill` its container,
    then start it again on the same data), `hang` (SIGSTOP then SIGCONT, or `docker pause`
    then `unpause`), and network faults through the fault proxy: `slow_network`
    (latency 50ms +/- 10ms), `reset_peer`, `partition` (traffic dropped, then healed),
    `bandwidth`, `slow_close`.
    """

    profiles: list[str] = Field(
        default_factory=lambda: ["crash_restart", "hang", "slow_network", "reset_peer", "partition"]
    )
    duration: Duration = Field(1.5, gt=0, description="How long each fault lasts.")
    providers: list[str] | None = Field(
        None, description="Providers `omnicloud faults` takes by default (default: all)."
    )
    custom: dict[Name, FaultProfileConfig] = Field(default_factory=dict)

    def known_profiles(self) -> list[str]:
        return [*BUILTIN_FAULT_PROFILES, *self.custom]


class ProviderFaults(Model):
    """What a provider promises under faults; `omnicloud faults` holds it to it.

    ```toml
    [providers.redis-aof]
    faults = { durable = true, timeout = "1s", recovery = "5s" }
    ```

    `durable`: an acknowledged write survives a crash and restart of the service (checked;
    a backend that is not durable says so and is not held to it). `timeout`: no operation
    hangs longer than this, fault or not (it fails with an error instead). `recovery`: after a
    fault heals, operations succeed again within this long.
    """

    durable: bool = Field(False, description="Acknowledged writes survive a crash.")
    timeout: Duration = Field(5.0, gt=0, description="No operation hangs longer than this.")
    recovery: Duration = Field(10.0, gt=0, description="Healthy again this long after a heal.")
    profiles: list[str] | None = Field(None, description="Profiles to run (default: faults.*).")
    enabled: bool = Field(True, description="false: never fault-tested.")


class ProviderConfig(Model):
    """A provider to certify.

    ```toml
    [providers.redis-kv]
    contract = "kv_store"
    factory = "acme.kv:RedisKVStore"
    options = { url = "{services.redis.url}" }
    services = ["redis"]
    implements = ["keyvalue_basic", "keyvalue_scan", "keyvalue_ttl"]
    policies = ["multi_tenancy"]
    owners = ["storage-team"]
    paths = ["src/acme/kv/**"]

    [providers.redis]            # interface-only: no contract, just the interfaces it implements
    factory = "acme.redis:create_store"
    options = { url = "{services.redis.url}" }
    services = ["redis"]
    implements = ["keyvalue_basic", "keyvalue_ttl", "pubsub_basic"]
    ```

    A provider needs a `contract`, `implements`, or both. `reference = true` marks an in-memory
    reference implementation (this repository's MemStore): the matrix certifies it like any other
    provider but leaves it out of the count of interfaces passing on a real backend.
    """

    contract: str | None = Field(
        None,
        description="Contract suite name or alias (kv_store or kv). Optional when `implements`"
        " lists interfaces: an interface-only provider runs only its interface suites.",
    )
    factory: FactoryPath = Field(description="'module:attribute' called with options.")
    options: dict[str, OptionValue] = Field(default_factory=dict)
    services: list[str] = Field(default_factory=list)
    implements: list[str] = Field(default_factory=list, description="Interfaces claimed.")
    policies: list[str] = Field(default_factory=list, description="Policy mixins, e.g. tenancy.")
    owners: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list, description="Globs of the provider's source.")
    inputs: list[str] = Field(default_factory=list, description="Non-code inputs (globs).")
    expected_failures: dict[str, ExpectedFailure] = Field(default_factory=dict)
    environments: list[str] | None = Field(None, description="Limit to these environments.")
    distribution: str | None = Field(None, description="Distribution name for certificates.")
    enabled: bool = True
    reference: bool = Field(
        False,
        description="An in-memory reference implementation: not counted as a real backend in"
        " the matrix summary.",
    )
    slo: Annotated[dict[str, SloTarget], BeforeValidator(_slo_shorthand)] = Field(
        default_factory=dict,
        description='SLO targets per interface (or `"*"`), or a profile name for all.',
    )
    faults: ProviderFaults = Field(default_factory=ProviderFaults)

    @field_validator("contract")
    @classmethod
    def _contract(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return resolve_contract(value, kind="contract").name
        except LookupError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("policies")
    @classmethod
    def _policies(cls, value: list[str]) -> list[str]:
        out = []
        for name in value:
            try:
                out.append(resolve_contract(name, kind="policy").name)
            except LookupError as exc:
                raise ValueError(str(exc)) from None
        return out


class RunConfig(Model):
    """How tests run: workers inside a machine, shards across machines, reruns.

    ```toml
    [run]
    workers = 2            # or "auto"; 0 disables xdist
    dist = "loadscope"
    durations = ".omnicloud/durations.json"
    default_duration = "auto"
    shard_group = "test"   # or "class" / "module": keep them on one machine
    reruns = 0
    allow_sit_out = ["redis-*"]   # may sit out a --strict run (no environment chosen)
    ```
    """

    workers: Annotated[int, Field(ge=0, le=1024)] | Literal["auto"] = Field(
        0, description="xdist workers (0 to 1024, or 'auto'); 0 runs in-process."
    )
    dist: Literal["load", "loadscope", "loadfile", "loadgroup", "worksteal", "no"] = "loadscope"
    durations: Path = Field(Path(".omnicloud/durations.json"))
    default_duration: Duration | Literal["auto"] = Field(
        "auto", description="Estimate for tests never timed: 'auto' is the median."
    )
    shard_group: Literal["test", "class", "module"] = Field(
        "test", description="Keep these together in one shard; 'test' balances best."
    )
    reruns: int = Field(0, ge=0, le=20, description="Fresh-process re-runs of failed tests.")
    timeout: Duration | None = Field(None, description="Whole-run timeout.")
    pytest_args: list[str] = Field(default_factory=list)
    allow_sit_out: list[str] = Field(
        default_factory=list,
        description="Providers (names or globs) that may sit out a --strict run (the default"
        " when CI is set) without failing it; every other selected provider must run.",
    )


class SessionsConfig(Model):
    """How nox sessions get their Python environment.

    ```toml
    [sessions]
    venv = "auto"       # uv when installed, else virtualenv; "none" uses the current Python
    reuse = true
    python = "3.11"
    install = ["-e", "."]
    ```
    """

    venv: Literal["auto", "uv", "virtualenv", "venv", "none"] = "auto"
    reuse: bool = True
    python: str | None = None
    install: list[str] = Field(
        default_factory=list, description="pip arguments installing the provider code."
    )
    extras: list[str] = Field(
        default_factory=list,
        description="Extras of omnicloud to install: backend clients (redis, postgres, docker,"
        " kubernetes).",
    )


class KubernetesExecutorConfig(Model):
    """Run shards as a Kubernetes Indexed Job.

    ```toml
    [executors.kubernetes]
    image = "registry.local/acme/certify:1.4"
    shards = 4
    resources = { cpu = "1", memory = "1Gi" }
    command = ["omnicloud", "certify"]
    ```
    """

    image: str | None = Field(None, description="Image holding omnicloud and the provider code.")
    shards: int = Field(2, ge=1, le=1000)
    parallelism: int | None = Field(None, ge=1, description="Pods at once (default: shards).")
    namespace: str | None = Field(None, description="Existing namespace; default: one per run.")
    context: str | None = None
    api_url: str | None = Field(None, description="API server URL instead of the kubeconfig.")
    resources: dict[str, str] = Field(
        default_factory=dict, description="Requests and limits of each pod, e.g. {cpu = '1'}."
    )
    service_account: str | None = None
    command: list[str] = Field(
        default_factory=lambda: ["omnicloud", "certify"],
        description="Run in each pod; the shard comes from JOB_COMPLETION_INDEX.",
    )
    working_dir: str | None = Field(None, description="The pod's working directory.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra pod environment.")
    retries: int = Field(0, ge=0, le=10, description="Retries of a shard whose pod failed.")
    timeout: Duration = 1800.0


class ExecutorsConfig(Model):
    kubernetes: KubernetesExecutorConfig = Field(default_factory=KubernetesExecutorConfig)


class MappingRule(Model):
    """Seed 004 mapping rule: a changed file that matches ``source_pattern`` (a regular
    expression matched against the whole path) selects the test file ``test_pattern``, in which
    ``{1}``, ``{name}`` or ``\\1`` stand for the pattern's groups.

    ```toml
    [[affected.mappings]]
    source_pattern = 'src/payment/(.*)\\.py'
    test_pattern = 'tests/test_{1}.py'
    ```
    """

    source_pattern: str
    test_pattern: str = Field(min_length=1)

    @field_validator("source_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _groups(self) -> MappingRule:
        pattern = re.compile(self.source_pattern)
        for match in MAPPING_GROUP.finditer(self.test_pattern):
            ref = next(g for g in match.groups() if g is not None)
            known = int(ref) <= pattern.groups if ref.isdigit() else ref in pattern.groupindex
            if not known:
                raise ValueError(
                    f"test_pattern {self.test_pattern!r} uses group {ref!r}, but source_pattern"
                    f" {self.source_pattern!r} has {pattern.groups} group(s)"
                    + (f" named {sorted(pattern.groupindex)}" if pattern.groupindex else "")
                )
        return self


#: Group references in a mapping rule's ``test_pattern``: ``{1}``, ``{name}``, ``\1``, ``\g<name>``.
MAPPING_GROUP = re.compile(r"\{(\w+)\}|\\(\d+)|\\g<(\w+)>")

AFFECTED_RULES = (
    "always",
    "paths",
    "inputs",
    "imports",
    "contracts",
    "config",
    "mappings",
    "tests",
)


class AffectedConfig(Model):
    """Change-based selection (``omnicloud affected``, ``nox -s affected``).

    Every rule kind can be switched off by leaving it out of ``rules``; see docs/affected.md.

    ```toml
    [affected]
    always = ["pyproject.toml", "**/conftest.py", "noxfile.py"]
    include_staged = true
    include_unstaged = true
    include_untracked = true
    rules = ["always", "paths", "inputs", "imports", "contracts", "config", "mappings", "tests"]
    source_roots = ["src", "."]
    test_paths = ["tests"]
    dynamic_imports = "package"
    cache = ".omnicloud/cache/imports.json"
    ```
    """

    always: list[str] = Field(
        default_factory=lambda: ["pyproject.toml", "**/conftest.py", "noxfile.py"],
        description="Globs whose change selects everything.",
    )
    include_staged: bool = Field(True, description="Count changes staged in the index.")
    include_unstaged: bool = Field(True, description="Count changes in the working tree.")
    include_untracked: bool = Field(True, description="Count untracked, non-ignored files.")
    rules: list[str] = Field(
        default_factory=lambda: list(AFFECTED_RULES),
        description=f"Rule kinds that may select something: {', '.join(AFFECTED_RULES)}.",
    )
    source_roots: list[str] = Field(
        default_factory=lambda: ["src", "."],
        description="Folders that hold importable top-level packages, most specific first.",
    )
    test_paths: list[str] = Field(
        default_factory=list,
        description="Folders of plain pytest suites selected file by file (empty: none).",
    )
    dynamic_imports: Literal["package", "everything"] = Field(
        "package",
        description="A provider whose code imports a module named at run time is selected by"
        " any change under that code's package ('package') or by any change ('everything').",
    )
    test_level: bool = Field(
        True, description="Narrow to test functions when only test functions changed."
    )
    cache: Path = Field(
        Path(".omnicloud/cache/imports.json"),
        description="Parsed imports cached by git blob id.",
    )
    mappings: list[MappingRule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in AFFECTED_RULES:
                raise ValueError(
                    f"unknown rule '{name}'{did_you_mean(name, AFFECTED_RULES)}"
                    f" (accepted: {one_of(AFFECTED_RULES)})"
                )
        return value


def _short_forms(value: Any) -> Any:
    """A field written as a type string means ``{ type = "<string>" }``."""
    if isinstance(value, dict):
        return {k: {"type": v} if isinstance(v, str) else v for k, v in value.items()}
    return value


def _fields_schema(schema: dict[str, Any]) -> None:
    """Tell TOML editors that a field is a type string or a table."""
    table = schema.get("additionalProperties")
    if isinstance(table, dict):
        schema["additionalProperties"] = {"anyOf": [{"type": "string"}, table]}


class FieldSpec(Model):
    """A generated field. The short form is a type string; the table form adds parameters.

    ```toml
    [data.users.fields]
    id = "uuid"
    age = "int:18..90"                                   # same as the next line
    age2 = { type = "int", min = 18, max = 90 }
    plan = { type = "choice", values = ["free", "pro"], weights = [9, 1] }
    code = 'pattern:[A-Z]{3}-\\d{4}'
    owner = { type = "ref:users.id", unique = true }
    bio = { type = "text", nullable = 0.2 }
    address = { type = "object", fields = { city = "word", zip = 'pattern:\\d{5}' } }
    ```

    Which parameters each type takes is in docs/test-data.md; a parameter a type does not take
    is a config error.
    """

    type: str = Field(description="Type name, optionally with its short arguments: 'int:1..6'.")
    min: float | None = Field(None, description="int/float: lowest value; text: fewest words.")
    max: float | None = Field(None, description="int/float: highest value; text: most words.")
    precision: int | None = Field(None, ge=0, le=12, description="float: decimals kept.")
    probability: float | None = Field(None, ge=0, le=1, description="bool: chance of true.")
    values: list[Any] | None = Field(None, description="enum/choice: the values.")
    weights: list[float] | None = Field(None, description="choice: one weight per value.")
    pattern: str | None = Field(None, description="pattern: the expression.")
    ref: str | None = Field(None, description="ref: 'dataset.field'.")
    start: int | None = Field(None, description="sequence: first value.")
    step: int | None = Field(None, description="sequence: increment.")
    format: str | None = Field(
        None, description="sequence: 'ORD-{:06d}'; timestamp: 'iso', 'date' or 'unix'."
    )
    since: str | None = Field(None, description="timestamp: earliest instant (ISO 8601).")
    until: str | None = Field(None, description="timestamp: latest instant (default: epoch).")
    keys: int | None = Field(None, ge=1, le=64, description="json: entries per object.")
    person: str | None = Field(
        None, description="name/email: fields sharing a person describe the same person."
    )
    fields: dict[str, FieldSpec] | None = Field(
        None, description="object: the nested fields.", json_schema_extra=_fields_schema
    )
    nullable: float = Field(0.0, ge=0, le=1, description="Share of records where it is null.")
    unique: bool = Field(False, description="No two records share a value.")

    @field_validator("fields", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _short_forms(value)


class DatasetConfig(Model):
    """A deterministic dataset: the same config and seed give the same bytes on any day.

    ```toml
    [data.users]
    count = 1000
    seed = 42
    epoch = "2024-01-01T00:00:00Z"     # timestamps are anchored here, never to "now"
    key = "id"                          # record key when loaded into a provider
    fields = { id = "uuid", name = "name", email = "email", created_at = "timestamp" }
    ```
    """

    count: int = Field(100, ge=0, le=100_000_000, description="Records to generate.")
    seed: int = Field(0, ge=0, lt=2**64, description="Any integer in 0..2**64-1.")
    epoch: str = Field("2024-01-01T00:00:00Z", description="Anchor of generated timestamps.")
    key: str | None = Field(
        None, description="Field naming each record when loaded (default: 'id' if present)."
    )
    fields: dict[str, FieldSpec] = Field(
        default_factory=dict,
        json_schema_extra=_fields_schema,
        description="Field name -> type string ('int:18..90') or table, in output order.",
    )
    load_into: list[str] = Field(default_factory=list, description="Providers to load it into.")

    @field_validator("fields", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _short_forms(value)


#: Placeholders a category's ``suggestion`` may use.
SUGGESTION_PLACEHOLDERS = (
    "provider",
    "service",
    "log_path",
    "owners",
    "test_id",
    "category",
    "contract",
    "capability",
    "status",
    "evidence",
)


def _category_pattern(value: str) -> str:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    if compiled.search("") is not None:
        raise ValueError(
            f"pattern {value!r} matches the empty text, so it would claim every"
            " failure; use status = [...] to match on status alone"
        )
    return value


CategoryPattern = Annotated[str, AfterValidator(_category_pattern)]
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}")


class FailureCategory(Model):
    """A failure category: patterns (Python regexes, searched) that classify a failure.

    Fields: ``message``, ``traceback``, ``output`` (stdout, stderr, log), ``test_id``,
    ``provider``, ``contract``, ``capability``, ``marker``; ``status`` filters. With
    ``match = "any"`` one pattern must match, with ``"all"`` every pattern. The highest
    ``precedence`` wins, then declaration order; built-ins sit below 0.

    ```toml
    [[failures.categories]]
    name = "infrastructure"
    message = ["ConnectionError", "Connection refused"]
    route = "platform-team"
    suggestion = "Is {service} up? See {log_path}"
    ```
    """

    name: str = Field(min_length=1)
    message: list[CategoryPattern] = Field(default_factory=list)
    traceback: list[CategoryPattern] = Field(default_factory=list)
    output: list[CategoryPattern] = Field(
        default_factory=list, description="stdout, stderr and log."
    )
    test_id: list[CategoryPattern] = Field(default_factory=list)
    provider: list[CategoryPattern] = Field(default_factory=list)
    contract: list[CategoryPattern] = Field(default_factory=list)
    capability: list[CategoryPattern] = Field(default_factory=list)
    marker: list[CategoryPattern] = Field(default_factory=list)
    status: list[Literal["failed", "error", "skipped", "flaky"]] = Field(default_factory=list)
    match: Literal["any", "all"] = "any"
    precedence: int = 0
    route: str | None = Field(None, description="Owner of this category's failures.")
    suggestion: str | None = Field(
        None, description="Placeholders: " + ", ".join(f"{{{p}}}" for p in SUGGESTION_PLACEHOLDERS)
    )

    @field_validator("suggestion")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        for name in _PLACEHOLDER.findall(value or ""):
            if name not in SUGGESTION_PLACEHOLDERS:
                raise ValueError(
                    f"unknown placeholder '{{{name}}}'{did_you_mean(name, SUGGESTION_PLACEHOLDERS)}"
                    f" (accepted: {one_of(SUGGESTION_PLACEHOLDERS)})"
                )
        return value


class WebhookSink(Model):
    url: str
    timeout: Duration = 10.0
    retries: int = Field(3, ge=0, le=10)
    token_env: str | None = None


class GitHubSink(Model):
    repository: str
    token_env: str = "GITHUB_TOKEN"
    api_url: str = "https://api.github.com"
    labels: list[str] = Field(default_factory=lambda: ["omnicloud"])


class FailuresConfig(Model):
    """Failure analysis: categories, routing, flakes, history, sinks.

    ```toml
    [failures]
    defaults = true
    history = ".omnicloud/history.sqlite"
    reruns = 2
    sink_deadline = "60s"   # per remote sink, all requests and retries included
    [failures.webhook]
    url = "http://127.0.0.1:8080/hook"
    ```
    """

    defaults: bool = Field(True, description="Keep the built-in categories.")
    categories: list[FailureCategory] = Field(default_factory=list)
    history: Path = Path(".omnicloud/history.sqlite")
    reruns: int = Field(0, ge=0, le=20)
    webhook: WebhookSink | None = None
    github: GitHubSink | None = None
    sink_deadline: Duration = Field(
        60.0,
        description="Total time one remote sink may take (all requests and retries); a sink"
        " still busy then is abandoned and reported.",
    )


class ApplicationConfig(Model):
    """An application taking part in cross-application workflows.

    ```toml
    [applications.auth]
    path = "apps/auth"                 # or repository = "https://git.example/auth.git"
    test_command = ["{python}", "-m", "pytest", "{tests}", "--junitxml={junit}", "-q"]
    environment = "local"
    services = ["postgres"]
    ```

    ``test_command`` placeholders: ``{tests}`` (the step's tests; ``{test_path}`` is an alias),
    ``{junit}`` (where the step's JUnit goes), ``{python}`` (this interpreter), ``{path}`` (the
    application's folder). A string is split like a shell would.
    """

    path: Path | None = Field(None, description="The application's folder (relative to config).")
    repository: str | None = Field(
        None, description="A git URL or path, cloned when no path is given."
    )
    ref: str | None = Field(None, description="Branch or tag to clone from repository.")
    test_command: list[str] | str = Field(
        default_factory=lambda: [
            "{python}",
            "-m",
            "pytest",
            "{tests}",
            "--junitxml={junit}",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        description="How to run the application's tests.",
    )
    environment: str | None = Field(None, description="Environment its services come from.")
    services: list[str] = Field(default_factory=list, description="Services it needs.")
    env: dict[str, OptionValue] = Field(default_factory=dict, description="Extra environment.")
    owners: list[str] = Field(default_factory=list, description="Owners of its failures.")
    changed_files: list[str] = Field(default_factory=list, description="Known changed files.")


class WorkflowStep(Model):
    """A workflow step: an application's tests or a command.

    ```toml
    [[workflows.checkout.steps]]
    name = "login"
    application = "auth"
    tests = "tests/test_login.py"
    publishes = ["token"]

    [[workflows.checkout.steps]]
    name = "pay"
    application = "payments"
    tests = "tests/test_pay.py"
    depends_on = ["login"]
    consumes = ["token"]
    ```
    """

    name: Name
    application: str | None = Field(None, description="Run this application's tests.")
    tests: str | list[str] | None = Field(
        None, description="Test paths or node ids for the application."
    )
    command: list[str] | None = Field(None, description="Or run this command.")
    depends_on: list[str] = Field(default_factory=list, description="Steps that run first.")
    publishes: list[str] = Field(default_factory=list, description="Flow values it must set.")
    consumes: list[str] = Field(default_factory=list, description="Flow values it reads.")
    returns: dict[str, str] = Field(
        default_factory=dict,
        description="'test_name.field' -> flow key: publish a field of a test's return value.",
    )
    timeout: Duration | None = Field(None, description="Kill the step after this long.")
    env: dict[str, OptionValue] = Field(default_factory=dict)


class WorkflowConfig(Model):
    """Steps across applications, with dependencies and data flow.

    ```toml
    [workflows.checkout]
    description = "Log in, pay, confirm"
    parallel = 2
    ```
    """

    description: str = ""
    environment: str | None = None
    parallel: int = Field(1, ge=1, le=64, description="Independent steps run at once.")
    steps: list[WorkflowStep] = Field(default_factory=list)


class Requirement(Model):
    id: str
    title: str = ""


class TraceabilityConfig(Model):
    """Requirement traceability (seed 003).

    ```toml
    [traceability]
    spec_id = "001"
    requirements = ["001-FR-012", { id = "001-FR-013", title = "Tenants are isolated" }]
    ```

    Tests declare what they verify with ``@pytest.mark.requirement("001-FR-012")``; ids must
    match ``pattern`` (seed 003's ``###-FR-###`` with an optional letter by default).
    """

    spec_id: str = Field("", description="The specification the requirements belong to.")
    pattern: str = Field(r"^\d{3}-FR-\d{3}[a-z]?$", description="Regex every id must match.")
    requirements: list[str | Requirement] = Field(default_factory=list)

    def requirement_ids(self) -> list[str]:
        return [r if isinstance(r, str) else r.id for r in self.requirements]


class Config(Model):
    """The root of ``omnicloud.toml`` (or ``[tool.omnicloud]`` in ``pyproject.toml``)."""

    project: ProjectConfig = Field(default_factory=ProjectConfig)
    services: dict[Name, ServiceConfig] = Field(default_factory=dict)
    environments: dict[Name, EnvironmentConfig] = Field(default_factory=dict)
    providers: dict[Name, ProviderConfig] = Field(default_factory=dict)
    run: RunConfig = Field(default_factory=RunConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    executors: ExecutorsConfig = Field(default_factory=ExecutorsConfig)
    affected: AffectedConfig = Field(default_factory=AffectedConfig)
    data: dict[Name, DatasetConfig] = Field(default_factory=dict)
    failures: FailuresConfig = Field(default_factory=FailuresConfig)
    applications: dict[Name, ApplicationConfig] = Field(default_factory=dict)
    workflows: dict[Name, WorkflowConfig] = Field(default_factory=dict)
    traceability: TraceabilityConfig = Field(default_factory=TraceabilityConfig)
    slo: SloConfig = Field(default_factory=SloConfig)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)

    #: Where the configuration was read from (not part of the TOML).
    source: Path | None = Field(None, exclude=True)

    def contracts_in_use(self) -> list[str]:
        """Contracts of the providers; interface-only providers (no ``contract``) add none."""
        return sorted({p.contract for p in self.providers.values() if p.contract is not None})

    def secret_values(self) -> list[str]:
        """Every value marked secret, for redaction."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
            elif isinstance(value, BaseModel):
                for item in value.__dict__.values():
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    walk(item)

        walk(self)
        return [v for v in found if v]


def known_contracts() -> list[str]:
    return sorted(CONTRACTS)
