"""A whole scenario: the `Scenario` model (its tables validated together, the rules that relate
them), and reading, parsing and dumping a file. Never reads a file it was not given a path or a
shipped name for, and never lets a pydantic error escape: every problem is a `ScenarioError`.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from sim.scenario.base import Problems, Table, explain, only
from sim.scenario.faults import (
    Fault,
    check_faults,
    ends_with_run,
)
from sim.scenario.settings import (
    CLASSIC_DEFAULTS,
    CONSUMER_PROTOCOL,
    CONSUMER_PROTOCOL_CLIENTS,
    MAX_MEMBERSHIP,
    MAX_RECORDS,
    PROTOCOL_ASSIGNORS,
    BrokerSettings,
    ConformanceSettings,
    ConsumerSettings,
    GroupSettings,
    NetworkSettings,
    RunSettings,
    ScenarioError,
    SinkSettings,
    StrategySettings,
    TopicSettings,
    TransactionSettings,
)
from sim.scenario.shipped import locate, not_found_hint
from sim.scenario.toml_writer import toml_document, toml_value


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
    transactions: TransactionSettings | None = None  # the transactional strategy only

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
        if self.group.consumer_protocol:
            _check_consumer_protocol(found, self)
        else:
            _check_classic_protocol(found, self)
        if self.consumer.client == "librdkafka" and self.group.protocol == "cooperative":
            # librdkafka has an incremental (cooperative-sticky) classic rebalance, but its model
            # here revokes everything at each rejoin (docs/model.md); its consumer protocol is
            # modelled (docs/kip848.md).
            found.add(
                'the "librdkafka" client is modelled with the eager and consumer protocols only',
                '"eager", "consumer"',
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
        _check_transactions(found, self)
        found.raise_any()
        return self

    def replace(self, **changes: Any) -> Scenario:
        """A copy with `changes` applied and validated again: a table given as a dict is merged
        key by key (s.replace(run={"seed": 7})), anything else replaces the value. Windows that
        defaulted to the run's end were made explicit at load and stay as they are."""
        data = self.model_dump(exclude_none=True)
        _switch_protocol_family(data, changes.get("group"))
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

    @property
    def session_timeout_ms(self) -> int:
        """The session that expires a silent member: the client's in a classic group, the
        broker's in a consumer group."""
        if self.group.consumer_protocol:
            return self.broker.group_consumer_session_timeout_ms
        return self.group.session_timeout_ms

    def digest(self) -> str:
        """sha256 of the canonical dump: equal scenarios, however written, share it."""
        return hashlib.sha256(dump_scenario(self).encode()).hexdigest()


def _switch_protocol_family(data: dict, group: Any) -> None:
    """A change from a classic protocol to the consumer protocol (or back) drops the settings of
    the old family it does not set again: they would not apply."""
    if not isinstance(group, dict) or "protocol" not in group:
        return
    old = data["group"].get("protocol") == CONSUMER_PROTOCOL
    new = group["protocol"] == CONSUMER_PROTOCOL
    if old == new:
        return
    dropped = ("remote_assignor",) if old else tuple(CLASSIC_DEFAULTS)
    data["group"] = {k: v for k, v in data["group"].items() if k not in dropped}


def _check_classic_protocol(found: Problems, s: Scenario) -> None:
    """The classic group's client settings: the session within the broker's bounds, the
    heartbeat below it, an assignor that gives the protocol; no broker-side assignor."""
    group = s.group
    # The Java client refuses to start otherwise ("heartbeat.interval.ms must be set lower
    # than session.timeout.ms").
    beat, session = group.heartbeat_interval_ms, group.session_timeout_ms
    if beat >= session:
        found.add(
            f"{beat} is not below group.session_timeout_ms ({session})",
            f"an integer in [1, {session - 1}]",
            "group.heartbeat_interval_ms",
        )
    allowed = PROTOCOL_ASSIGNORS[group.protocol]
    if group.assignor not in allowed:
        found.add(
            f'"{group.assignor}" does not give the {group.protocol} protocol',
            ", ".join(f'"{a}"' for a in allowed),
            "group.assignor",
        )
    low, high = s.broker.min_session_timeout_ms, s.broker.max_session_timeout_ms
    if not low <= session <= high:
        # The broker refuses the JoinGroup with INVALID_SESSION_TIMEOUT.
        found.add(
            f"{session} is outside broker.min_session_timeout_ms..max_session_timeout_ms",
            f"an integer in [{low}, {high}]",
            "group.session_timeout_ms",
        )
    if group.remote_assignor is not None:
        # ConsumerConfig: "group.remote.assignor cannot be set when group.protocol=CLASSIC".
        found.add(
            f'a broker-side assignor is for group.protocol = "consumer", and it is '
            f'"{group.protocol}"',
            'group.remote_assignor only with group.protocol = "consumer"',
            "group.remote_assignor",
        )


def _check_consumer_protocol(found: Problems, s: Scenario) -> None:
    """KIP-848: no client-side assignor, and the session and heartbeat are the broker's
    (librdkafka refuses partition.assignment.strategy, session.timeout.ms and
    heartbeat.interval.ms with group.protocol=consumer: rd_kafka_conf_finalize)."""
    group = s.group
    for name, instead in (
        ("assignor", "group.remote_assignor"),
        ("session_timeout_ms", "broker.group_consumer_session_timeout_ms"),
        ("heartbeat_interval_ms", "broker.group_consumer_heartbeat_interval_ms"),
    ):
        if getattr(group, name) is not None:
            found.add(
                f'group.{name} does not apply with group.protocol = "consumer"',
                f"no group.{name}; set {instead} instead",
                f"group.{name}",
            )
    if s.consumer.client not in CONSUMER_PROTOCOL_CLIENTS:
        # java-new-prefix is the new consumer's prefix in a classic eager group.
        allowed = " or ".join(f'"{c}"' for c in CONSUMER_PROTOCOL_CLIENTS) or "none yet"
        found.add(
            f'"{s.consumer.client}" is not modelled with group.protocol = "consumer"',
            allowed,
            "consumer.client",
        )


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


def _check_transactions(found: Problems, s: Scenario) -> None:
    """The transactional strategy's settings, faults and the client it is modelled for; a
    transactional setting without the strategy would be accepted and ignored: refused."""
    transactional = s.strategy.name == "transactional"
    if not transactional:
        if s.transactions is not None:
            found.add(
                f'[transactions] is for the transactional strategy, and strategy.name is "'
                f'{s.strategy.name}"',
                '[transactions] only with strategy.name = "transactional"',
                "transactions",
            )
        for i, fault in enumerate(s.faults):
            what = "kind" if fault.kind == "txn-coordinator-failover" else "at"
            if getattr(fault, "request", None) not in (None, "OffsetCommit"):
                what = "request"
            if what in ("kind", "request") or getattr(fault, "at", None) == "in-commit":
                found.add(
                    f'a transaction fault, and strategy.name is "{s.strategy.name}"',
                    f'faults[{i}].{what} only with strategy.name = "transactional"',
                    f"faults[{i}].{what}",
                )
        return
    if s.consumer.client not in ("java", "librdkafka"):
        found.add(
            f"the transactional strategy is modelled with the Java and librdkafka clients, and "
            f'consumer.client is "{s.consumer.client}"',
            '"java" or "librdkafka"',
            "consumer.client",
        )
    if s.consumer.client == "librdkafka" and s.group.consumer_protocol:
        found.add(
            "the transactional strategy is modelled in a consumer group (KIP-848) with the Java "
            'client only, and consumer.client is "librdkafka"',
            '"java", or group.protocol "eager"',
            "group.protocol",
        )
    if not s.consumer.rebalance_callback:
        found.add(
            "the transactional application initialises its producer in its rebalance callback, "
            "and consumer.rebalance_callback is false",
            "true",
            "consumer.rebalance_callback",
        )
    for i, fault in enumerate(s.faults):
        if getattr(fault, "request", None) == "OffsetCommit":
            found.add(
                "the transactional application sends no OffsetCommit (its offsets go in a "
                "TxnOffsetCommit)",
                '"TxnOffsetCommit", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", or omitted',
                f"faults[{i}].request",
            )
    if s.consumer.processing != "sync":
        found.add(
            "the transactional loop processes each batch inside its transaction, and "
            f'consumer.processing is "{s.consumer.processing}"',
            '"sync"',
            "consumer.processing",
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
    see `sim.scenario.shipped`); any problem is a ScenarioError naming the file. A file without
    `name` is named after itself (its stem)."""
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
