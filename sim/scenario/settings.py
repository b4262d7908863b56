"""The tables of a scenario file other than `[[faults]]`: the run, topic, broker, group,
consumer, strategy, sink, network and conformance settings, the processing-time and latency
distributions, and the limits one run may ask of one machine.

Each table validates its own fields; rules that relate tables live on `Scenario`
(`sim.scenario.document`). The allowed values of the "only X for now" settings are module
constants: widening one is a one-line change here plus the model behind it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.model.output_log import ISOLATION_LEVELS
from sim.model.sink import SINK_KEYS, SINK_KINDS
from sim.scenario.base import Problems, Table, problem
from sim.scenario.toml_writer import toml_value
from sim.strategies import (
    REFERENCE,
    REFERENCE_FORM,
    STRATEGY_NAMES,
    StrategyError,
    resolve_strategy,
)

# "consumer" is KIP-848's consumer group protocol (docs/kip848.md); the other two are classic.
PROTOCOLS = ("eager", "cooperative", "consumer")
CONSUMER_PROTOCOL = "consumer"
ASSIGNORS = ("range", "roundrobin", "sticky", "cooperative-sticky")
# The broker's assignors for the consumer protocol (group.consumer.assignors; the first is the
# default), chosen by the members' group.remote.assignor.
REMOTE_ASSIGNORS = ("uniform", "range")
# The Java client rebalances with the highest protocol all its assignors support
# (ConsumerPartitionAssignor.supportedProtocols): only cooperative-sticky supports COOPERATIVE.
# The consumer protocol has no client-side assignor.
PROTOCOL_ASSIGNORS = {
    "eager": ("range", "roundrobin", "sticky"),
    "cooperative": ("cooperative-sticky",),
}
OFFSET_RESETS = ("earliest", "latest", "none")
CLIENTS = ("java", "librdkafka", "java-new-prefix")
# The clients the engine drives in a consumer group.
CONSUMER_PROTOCOL_CLIENTS: tuple[str, ...] = ("java", "librdkafka")
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
    # The consumer protocol's session and heartbeat are the broker's (GroupCoordinatorConfig
    # group.consumer.*); the classic protocol ignores them.
    group_consumer_session_timeout_ms: int = Field(45_000, gt=0)
    group_consumer_min_session_timeout_ms: int = Field(45_000, gt=0)
    group_consumer_max_session_timeout_ms: int = Field(60_000, gt=0)
    group_consumer_heartbeat_interval_ms: int = Field(5_000, gt=0)
    group_consumer_min_heartbeat_interval_ms: int = Field(5_000, gt=0)
    group_consumer_max_heartbeat_interval_ms: int = Field(15_000, gt=0)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> BrokerSettings:
        """Each max is at least its min, and each setting within its bounds; the consumer
        heartbeat is below the consumer session (GroupCoordinatorConfig's requires)."""
        found = Problems()
        for prefix in ("", "group_consumer_"):
            for what in ("session_timeout_ms", "heartbeat_interval_ms"):
                low_name, high_name = f"{prefix}min_{what}", f"{prefix}max_{what}"
                if not hasattr(self, low_name):
                    continue  # the classic heartbeat has no broker bounds
                low, high = getattr(self, low_name), getattr(self, high_name)
                if high < low:
                    found.add(
                        f"{high} is below broker.{low_name} ({low})",
                        f"an integer >= {low}",
                        high_name,
                    )
                elif prefix and not low <= getattr(self, prefix + what) <= high:
                    found.add(
                        f"{getattr(self, prefix + what)} is outside broker.{low_name}..{high_name}",
                        f"an integer in [{low}, {high}]",
                        prefix + what,
                    )
        beat = self.group_consumer_heartbeat_interval_ms
        session = self.group_consumer_session_timeout_ms
        if beat >= session:
            found.add(
                f"{beat} is not below broker.group_consumer_session_timeout_ms ({session})",
                f"an integer in [1, {session - 1}]",
                "group_consumer_heartbeat_interval_ms",
            )
        found.raise_any()
        return self


# The classic protocols' client settings, filled in when omitted; with the consumer protocol they
# do not apply and stay unset (refused when set: `Scenario`).
CLASSIC_DEFAULTS = {
    "assignor": "range",
    "session_timeout_ms": 45_000,
    "heartbeat_interval_ms": 3_000,
}


class GroupSettings(Table):
    consumers: int = Field(3, ge=1, le=1_000)
    protocol: Literal[PROTOCOLS] = "eager"
    assignor: Literal[ASSIGNORS] | None = None  # classic only
    remote_assignor: Literal[REMOTE_ASSIGNORS] | None = None  # consumer only; None: the broker's
    session_timeout_ms: int | None = Field(None, gt=0)  # classic only
    heartbeat_interval_ms: int | None = Field(None, gt=0)  # classic only
    max_poll_interval_ms: int = Field(300_000, gt=0)
    # Deliberately not Kafka's "latest": that would skip the records pre-loaded at t=0.
    auto_offset_reset: Literal[OFFSET_RESETS] = "earliest"
    static_membership: bool = False  # each consumer slot has group.instance.id "instance-<slot>"

    @model_validator(mode="before")
    @classmethod
    def _classic_defaults(cls, data: Any) -> Any:
        """A classic group's client settings are explicit (the dump shows them); a consumer
        group's stay unset, so that a dump loads back."""
        if not isinstance(data, dict) or data.get("protocol") == CONSUMER_PROTOCOL:
            return data
        return {**CLASSIC_DEFAULTS, **data}

    @property
    def consumer_protocol(self) -> bool:
        return self.protocol == CONSUMER_PROTOCOL


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


class TransactionSettings(Table):
    """The `transactional` strategy's settings (docs/exactly-once.md): the isolation level of
    the consumers (librdkafka asks for stable offsets only with read_committed) and of the
    downstream reader of the output topic; None: the client's default (Java read_uncommitted,
    librdkafka read_committed). transaction.timeout.ms: 60 s in both clients, at most the
    broker's transaction.max.timeout.ms (15 min)."""

    isolation: Literal[ISOLATION_LEVELS] | None = None
    transaction_timeout_ms: int = Field(60_000, gt=0, le=900_000)


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
