"""The scenario file format (TOML, version 1): loading, validation, defaults.

A `Scenario` is everything a run depends on besides the code, and nothing else: a run is a pure
function of it. It is immutable and validated as a whole when built, so the engine never meets a
half-checked value. The rule this module keeps: a bad scenario is the user's fault, reported as a
`ScenarioError` whose message is one line naming the file, the field path and what is allowed,
never a pydantic traceback (docs/scenarios.md). Times are in milliseconds, as in the file.

The allowed values of the "only X for now" settings are module constants: widening one is a
one-line change here plus the model behind it.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

from sim._scenario_base import Problems, Table, explain, only, problem
from sim._toml import toml_document, toml_value
from sim.model.sink import SINK_KEYS, SINK_KINDS
from sim.scenario_faults import (
    COMMIT_ERROR_CODES,
    FAULT_KINDS,
    FAULT_TYPES,
    LOOP_POINTS,
    CommitErrorFault,
    ConsumerRef,
    CoordinatorFailoverFault,
    CrashFault,
    Fault,
    JoinFault,
    LeaveFault,
    LostResponseFault,
    ProcessingErrorFault,
    RollingRestartFault,
    check_faults,
    ends_with_run,
)
from sim.shipped import locate, not_found_hint
from sim.strategies import (
    REFERENCE,
    REFERENCE_FORM,
    STRATEGY_NAMES,
    StrategyError,
    resolve_strategy,
)

__all__ = [
    "ASSIGNORS",
    "CLIENTS",
    "COMMIT_ERROR_CODES",
    "COMMIT_ERROR_POLICIES",
    "FAULT_KINDS",
    "FAULT_TYPES",
    "LOOP_POINTS",
    "OFFSET_RESETS",
    "PROCESSING_MODES",
    "PROTOCOLS",
    "SINK_KEYS",
    "SINK_KINDS",
    "BrokerSettings",
    "CommitErrorFault",
    "ConstantDist",
    "ConsumerRef",
    "ConsumerSettings",
    "CoordinatorFailoverFault",
    "CrashFault",
    "Distribution",
    "ExponentialDist",
    "Fault",
    "GroupSettings",
    "JoinFault",
    "LeaveFault",
    "LognormalDist",
    "LostResponseFault",
    "NetworkSettings",
    "ProcessingErrorFault",
    "RollingRestartFault",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "SinkSettings",
    "StrategySettings",
    "TopicSettings",
    "UniformDist",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
]

PROTOCOLS = ("eager", "cooperative")
ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
# The Java client rebalances with the highest protocol all its assignors support
# (ConsumerPartitionAssignor.supportedProtocols): only cooperative-sticky supports COOPERATIVE.
PROTOCOL_ASSIGNORS = {
    "eager": ("range", "roundrobin", "sticky"),
    "cooperative": ("cooperative-sticky",),
}
OFFSET_RESETS = ("earliest", "latest", "none")
CLIENTS = ("java", "librdkafka", "java-new-prefix")
PROCESSING_MODES = ("sync", "async")
COMMIT_ERROR_POLICIES = ("skip", "crash", "seek-back", "proceed")

# What one run may ask of one machine (docs/scenarios.md, Limits): beyond these a run would not
# fit in memory, or in the int64 microseconds of simulated time, or would never end.
MAX_RECORDS = 10_000_000  # in the log: initial_records + produce_rate_per_s x the window
MAX_MEMBERSHIP = 100_000  # topic.partitions x group.consumers, the size of an assignment
MAX_TIME_MS = 30 * 24 * 3_600_000  # 30 days: run.duration_ms, run.max_drain_ms
MAX_MEAN_MS = 24 * 3_600_000  # a day: a distribution's mean, low or high
MAX_POLL_RECORDS = 100_000  # a batch's processing times are summed in int64 microseconds
MAX_SIGMA = 5.0  # lognormal: the 99.99th percentile is then ~1e8 x the median
MIN_AUTO_COMMIT_INTERVAL_MS = 10  # below, a run is all commit requests
MAX_SEED = 2**63 - 1  # a seed is stored as a signed 64-bit integer (a sweep's SQLite file)


class ScenarioError(Exception):
    """A bad scenario: the user's fault (exit 2), never ours.

    str(e) is one line, "<file>: <field.path>: <problem>; allowed: <...>"; `e.lines` holds every
    problem found, one line each, for a caller that wants to show them all.
    """

    def __init__(self, *lines: str) -> None:
        self.lines = lines
        super().__init__(lines[0])


# --- distributions (per-record processing time, per-request network latency), in ms ---------


class ConstantDist(Table):
    dist: Literal["constant"] = "constant"
    mean: float = Field(ge=0, le=MAX_MEAN_MS)


class UniformDist(Table):
    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0, le=MAX_MEAN_MS)
    high: float = Field(ge=0, le=MAX_MEAN_MS)

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.high < self.low:
            raise problem(
                f"{self.high} is below low ({self.low})", f"a number >= {self.low}", "high"
            )
        return self


class ExponentialDist(Table):
    dist: Literal["exponential"] = "exponential"
    mean: float = Field(gt=0, le=MAX_MEAN_MS)


class LognormalDist(Table):
    """`mean` is the distribution's own mean (not mu); sigma is the underlying normal's spread."""

    dist: Literal["lognormal"] = "lognormal"
    mean: float = Field(gt=0, le=MAX_MEAN_MS)
    sigma: float = Field(ge=0, le=MAX_SIGMA)


Distribution = Annotated[
    ConstantDist | UniformDist | ExponentialDist | LognormalDist, Field(discriminator="dist")
]


# --- the tables -----------------------------------------------------------------------------


class RunSettings(Table):
    duration_ms: int = Field(60_000, gt=0, le=MAX_TIME_MS)
    drain: bool = True
    seed: int = Field(1, ge=0, le=MAX_SEED)
    max_drain_ms: int = Field(600_000, gt=0, le=MAX_TIME_MS)
    # Every run ends: past this many simulated events it stops, its verdict unknown.
    max_steps: int = Field(5_000_000, ge=1, le=1_000_000_000)


class TopicSettings(Table):
    partitions: int = Field(6, ge=1, le=10_000)
    initial_records: int = Field(1_000, ge=0, le=MAX_RECORDS)
    produce_rate_per_s: float = Field(0.0, ge=0, le=MAX_RECORDS)


class BrokerSettings(Table):
    initial_rebalance_delay_ms: int = Field(3_000, ge=0)
    min_session_timeout_ms: int = Field(6_000, gt=0)
    max_session_timeout_ms: int = Field(1_800_000, gt=0)
    request_timeout_ms: int = Field(30_000, gt=0)
    offsets_retention_ms: int = Field(7 * 24 * 3_600_000, gt=0)  # offsets.retention.minutes
    offsets_retention_check_interval_ms: int = Field(600_000, gt=0)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> BrokerSettings:
        low, high = self.min_session_timeout_ms, self.max_session_timeout_ms
        if high < low:
            raise problem(
                f"{high} is below broker.min_session_timeout_ms ({low})",
                f"an integer >= {low}",
                "max_session_timeout_ms",
            )
        return self


class GroupSettings(Table):
    consumers: int = Field(3, ge=1, le=1_000)
    protocol: Literal[PROTOCOLS] = "eager"
    assignor: Literal[ASSIGNORS] = "range"
    session_timeout_ms: int = Field(45_000, gt=0)
    heartbeat_interval_ms: int = Field(3_000, gt=0)
    max_poll_interval_ms: int = Field(300_000, gt=0)
    # Deliberately not Kafka's "latest": that would skip the records pre-loaded at t=0.
    auto_offset_reset: Literal[OFFSET_RESETS] = "earliest"
    static_membership: bool = False  # each consumer slot has group.instance.id "instance-<slot>"


class ConsumerSettings(Table):
    client: Literal[CLIENTS] = "java"
    max_poll_records: int = Field(500, ge=1, le=MAX_POLL_RECORDS)
    processing: Literal[PROCESSING_MODES] = "sync"
    processing_ms: Distribution = ExponentialDist(mean=2.0)
    # async: the worker queue's capacity in records (docs/model.md, Asynchronous processing)
    worker_queue_records: int = Field(1_000, ge=1)
    poll_timeout_ms: int = Field(100, gt=0)
    retry_backoff_ms: int = Field(100, ge=0)
    default_api_timeout_ms: int = Field(60_000, gt=0)
    # librdkafka: whether the application registered a rebalance callback. confluent-kafka
    # (Python) always registers one; a C application may not (docs/model.md).
    rebalance_callback: bool = True


def _strategy_name(value: Any) -> Any:
    """A shipped strategy's name, or the import path of one's own, checked by importing it."""
    allowed = ", ".join(f'"{name}"' for name in STRATEGY_NAMES) + f", or {REFERENCE_FORM}"
    if not isinstance(value, str):
        raise problem(f"{toml_value(value)} is not a string", allowed)
    if value in STRATEGY_NAMES:
        return value
    if not REFERENCE.fullmatch(value):
        raise problem(f"{toml_value(value)} is not allowed", allowed)
    try:
        resolve_strategy(value)
    except StrategyError as error:
        raise problem(str(error), allowed) from None
    return value


class StrategySettings(Table):
    # A shipped name, or "package.module:ClassName" (docs/strategies.md).
    name: Annotated[str, BeforeValidator(_strategy_name)] = "sync-per-batch"
    auto_commit_interval_ms: int = Field(5_000, ge=MIN_AUTO_COMMIT_INTERVAL_MS)
    on_commit_error: Literal[COMMIT_ERROR_POLICIES] | None = None  # None: the strategy's own


class SinkSettings(Table):
    kind: Literal[SINK_KINDS] = "plain"
    # idempotent only: what an effect is keyed by (None: "record"); "business" needs
    # keys_per_partition, the entities a partition's records cycle through (sim/model/sink.py).
    key: Literal[SINK_KEYS] | None = None
    keys_per_partition: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _key_fits_kind(self) -> SinkSettings:
        # A setting accepted and ignored would be a silent lie: refuse it.
        if self.key is not None and self.kind != "idempotent":
            raise problem(
                f'a key is for an idempotent sink, and sink.kind is "{self.kind}"',
                'sink.key only with sink.kind = "idempotent"',
                "key",
            )
        business = self.key == "business"
        if business and self.keys_per_partition is None:
            raise problem(
                'sink.key = "business" maps records to keys_per_partition keys, and it is missing',
                "an integer >= 1",
                "keys_per_partition",
            )
        if not business and self.keys_per_partition is not None:
            raise problem(
                'keys_per_partition is for sink.key = "business"',
                'keys_per_partition only with sink.key = "business"',
                "keys_per_partition",
            )
        return self


class NetworkSettings(Table):
    latency_ms: Distribution = UniformDist(low=0.5, high=2.0)


# --- the scenario ---------------------------------------------------------------------------


class ConformanceSettings(Table):
    """What `offsim conform` needs beyond the scenario itself (docs/conformance.md); `offsim
    run` ignores the table."""

    model_seeds: int = Field(1, ge=1, le=200)  # the model's outcomes over this many seeds
    timeout_s: int = Field(60, ge=5, le=600)  # a real run that has not settled by then fails
    # Where librdkafka's mock cluster is known not to behave as Kafka here: what, and its source
    # (file and function); the verdict is then "backend deviates" unless both sides agree.
    mock_deviates: str | None = Field(None, min_length=1)
    tansu_deviates: str | None = Field(None, min_length=1)  # the same, for the Tansu broker


class Scenario(Table):
    """One scenario file, validated, defaults filled in. Build it with load_scenario or
    parse_scenario (errors worded for the user); change it with replace (validated again)."""

    version: Annotated[int, only(1)] = 1
    name: str = Field("scenario", min_length=1)  # a file's own stem when it has none
    description: str = ""
    run: RunSettings = RunSettings()
    topic: TopicSettings = TopicSettings()
    broker: BrokerSettings = BrokerSettings()
    group: GroupSettings = GroupSettings()
    consumer: ConsumerSettings = ConsumerSettings()
    strategy: StrategySettings = StrategySettings()
    sink: SinkSettings = SinkSettings()
    network: NetworkSettings = NetworkSettings()
    faults: tuple[Fault, ...] = ()
    conformance: ConformanceSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _resolve_windows(cls, data: Any) -> Any:
        """Give omitted to_ms the run's end, so the engine and the dump see one explicit value."""
        if not isinstance(data, dict) or not isinstance(data.get("faults", ()), list | tuple):
            return data
        run = data.get("run", {})
        end = run.get("duration_ms", RunSettings().duration_ms) if isinstance(run, dict) else None
        faults = []
        for fault in data.get("faults", ()):
            if isinstance(fault, BaseModel):
                fault = fault.model_dump(exclude_none=True)
            if isinstance(fault, dict) and "to_ms" not in fault and ends_with_run(fault):
                if type(end) is int:
                    fault = {**fault, "to_ms": end}
            faults.append(fault)
        return {**data, "faults": tuple(faults)}

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        """The rules that relate fields, each problem reported (a table's own field errors stop
        these: they need valid values to compare)."""
        found = Problems()
        # The Java client refuses to start otherwise ("heartbeat.interval.ms must be set lower
        # than session.timeout.ms").
        beat, session = self.group.heartbeat_interval_ms, self.group.session_timeout_ms
        if beat >= session:
            found.add(
                f"{beat} is not below group.session_timeout_ms ({session})",
                f"an integer in [1, {session - 1}]",
                "group.heartbeat_interval_ms",
            )
        allowed = PROTOCOL_ASSIGNORS[self.group.protocol]
        if self.group.assignor not in allowed:
            found.add(
                f'"{self.group.assignor}" does not give the {self.group.protocol} protocol',
                ", ".join(f'"{a}"' for a in allowed),
                "group.assignor",
            )
        low, high = self.broker.min_session_timeout_ms, self.broker.max_session_timeout_ms
        session = self.group.session_timeout_ms
        if not low <= session <= high:
            # The broker refuses the JoinGroup with INVALID_SESSION_TIMEOUT.
            found.add(
                f"{session} is outside broker.min_session_timeout_ms..max_session_timeout_ms",
                f"an integer in [{low}, {high}]",
                "group.session_timeout_ms",
            )
        if self.consumer.client == "librdkafka" and self.group.protocol == "cooperative":
            # librdkafka has an incremental (cooperative-sticky) rebalance, but its model here
            # revokes everything at each rejoin and has no incremental unassign (docs/model.md).
            found.add(
                'the "librdkafka" client is modelled with the eager protocol only',
                '"eager"',
                "group.protocol",
            )
        if not self.consumer.rebalance_callback and self.consumer.client != "librdkafka":
            # The Java clients always revoke inside poll(), listener or not.
            found.add(
                f"a rebalance without a callback is librdkafka's, and consumer.client is \""
                f'{self.consumer.client}"',
                'true, or consumer.client = "librdkafka"',
                "consumer.rebalance_callback",
            )
        _check_sizes(found, self)
        group, run = self.group, self.run
        check_faults(found, self.faults, group.consumers, run.duration_ms, self.topic.partitions)
        if self.consumer.processing == "async":
            _check_async_faults(found, self.faults)
        found.raise_any()
        return self

    def replace(self, **changes: Any) -> Scenario:
        """A copy with `changes` applied and validated again: a table given as a dict is merged
        key by key (s.replace(run={"seed": 7})), anything else replaces the value. Windows that
        defaulted to the run's end were made explicit at load and stay as they are."""
        data = self.model_dump(exclude_none=True)
        for key, value in changes.items():
            if isinstance(value, BaseModel):
                value = value.model_dump(exclude_none=True)
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                value = {**data[key], **value}
            data[key] = value
        return parse_scenario(data, source="<replace>")

    def with_seed(self, seed: int) -> Scenario:
        return self.replace(run={"seed": seed})

    def with_strategy(self, name: str) -> Scenario:
        return self.replace(strategy={"name": name})

    def with_faults(self, faults: Any) -> Scenario:
        return self.replace(faults=list(faults))

    def digest(self) -> str:
        """sha256 of the canonical dump: equal scenarios, however written, share it."""
        return hashlib.sha256(dump_scenario(self).encode()).hexdigest()


def _check_sizes(found: Problems, s: Scenario) -> None:
    """What one run may ask of one machine, across tables (docs/scenarios.md, Limits)."""
    topic = s.topic
    produced = topic.produce_rate_per_s * s.run.duration_ms / 1000
    if topic.initial_records + produced > MAX_RECORDS:
        found.add(
            f"{topic.produce_rate_per_s:g} records/s over run.duration_ms = {s.run.duration_ms} "
            f"makes {topic.initial_records + produced:,.0f} records with initial_records",
            f"at most {MAX_RECORDS:,} records in the log (initial_records + "
            "produce_rate_per_s x duration_ms / 1000)",
            "topic.produce_rate_per_s",
        )
    members = s.group.consumers + sum(f.kind == "join" for f in s.faults)
    if topic.partitions * members > MAX_MEMBERSHIP:
        found.add(
            f"{members} consumers x topic.partitions = {topic.partitions} is "
            f"{topic.partitions * members:,}",
            f"at most {MAX_MEMBERSHIP:,} (partitions x consumers, joins included)",
            "group.consumers",
        )


def _check_async_faults(found: Problems, faults: tuple[Fault, ...]) -> None:
    """A poison record and a mid-batch crash are points inside synchronous processing; with a
    worker thread they are not modelled (docs/model.md, Asynchronous processing)."""
    for i, fault in enumerate(faults):
        if fault.kind == "processing-error":
            found.add(
                'a poison record is met inside the poll loop, and consumer.processing = "async"',
                'processing-error faults only with consumer.processing = "sync"',
                f"faults[{i}].kind",
            )
        elif getattr(fault, "at", None) == "mid-batch":
            found.add(
                "mid-batch is a point of processing inside the poll loop, and "
                'consumer.processing = "async"',
                'at = "mid-batch" only with consumer.processing = "sync"',
                f"faults[{i}].at",
            )


# --- loading and dumping --------------------------------------------------------------------


def read_toml(path: str | os.PathLike[str], what: str = "scenario") -> dict:
    """Parse a TOML file; any problem is a ScenarioError naming the file."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ScenarioError(f"{name}: no such {what} file{not_found_hint(name)}") from None
    except OSError as e:
        raise ScenarioError(f"{name}: cannot read the file: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{name}: not valid TOML: the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{name}: not valid TOML: {e}") from None


def load_scenario(source: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file, or a shipped scenario by name (`"crash-mid-batch"`,
    see `sim.shipped`); any problem is a ScenarioError naming the file. A file without `name`
    is named after itself (its stem)."""
    path = locate(source)
    data = read_toml(path)
    if isinstance(data, dict) and "name" not in data:
        data = {"name": path.stem, **data}
    return parse_scenario(data, source=os.fspath(path))


def parse_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed TOML; `source` names it in error messages."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a table of settings, got {toml_value(data)}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(*(f"{source}: {line}" for line in explain(e, Scenario))) from None


def dump_scenario(s: Scenario) -> str:
    """Canonical TOML: every field explicit, in schema order, so load(dump(s)) == s and
    equal scenarios dump to equal text."""
    return toml_document(s.model_dump(exclude_none=True))
