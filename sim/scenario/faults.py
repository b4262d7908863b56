"""The `[[faults]]` of a scenario file: one model per fault kind, a tagged union on `kind`.

This module says what a fault *is* and when it may fire; it never injects one (the engine does).
A new kind is one class here plus its entry in `Fault`; FAULT_KINDS follows. Consumer indexes
count the initial members 0..group.consumers-1, then each join fault in file order.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.base import Problems, Table, problem
from sim.scenario.commit_errors import CommitErrorFault
from sim.scenario.toml_writer import toml_value

MAX_STREAM_CRASHES = 10_000  # a crash stream's expected crashes: each one starts a new instance
LOOP_POINTS = ("before-process", "mid-batch", "after-process", "before-commit", "after-commit")
TXN_LOOP_POINTS = ("in-commit",)  # transactional only: EndTxn sent, its answer not yet back


def _consumer_ref(value: Any) -> Any:
    if value == "random" or (type(value) is int and value >= 0):
        return value
    raise problem(f"{toml_value(value)} is not a consumer", 'an integer >= 0, or "random"')


ConsumerRef = Annotated[int | Literal["random"], BeforeValidator(_consumer_ref)]
"""A consumer index, or "random" (drawn from the fault's own seeded stream)."""


class _PointFault(Table):
    """A fault on one consumer, timed by a clock time or by a point in its poll loop. The
    consumer is named (`consumer`) or is whichever owns a partition when it fires (`owner_of`)."""

    timings: ClassVar[tuple[str, ...]] = ("at_ms", "at")
    kind: str  # each subclass narrows it to its Literal; declared here so it comes first
    consumer: ConsumerRef | None = None
    owner_of: int | None = Field(None, ge=0)  # the consumer that owns this partition then
    at_ms: int | None = Field(None, ge=0)
    at: Literal[LOOP_POINTS + TXN_LOOP_POINTS] | None = None
    batch: int | None = Field(None, ge=1)  # the consumer's n-th poll batch that returned records
    after_records: int | None = Field(None, ge=0)  # mid-batch: after this many records
    restart_after_ms: int | None = Field(None, ge=0)  # None: down until the drain

    @model_validator(mode="before")
    @classmethod
    def _point_defaults(cls, data: Any) -> Any:
        """batch and after_records default to 1 only where they mean something."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("at") is not None:
            data.setdefault("batch", 1)
        if data.get("at") == "mid-batch":
            data.setdefault("after_records", 1)
        if data.get("rate_per_min") is not None and "from_ms" in cls.model_fields:
            data.setdefault("from_ms", 0)
        return data

    @model_validator(mode="after")
    def _one_target(self) -> _PointFault:
        if (self.consumer is None) == (self.owner_of is None):
            raise problem(
                f"a {self.kind} fault needs one target",
                "exactly one of consumer, owner_of",
                "consumer" if self.consumer is None else "owner_of",
            )
        if self.owner_of is not None and getattr(self, "rate_per_min", None) is not None:
            raise problem(
                "owner_of names the consumer when the fault fires, and a stream fires many times",
                "owner_of only with at_ms or at",
                "owner_of",
            )
        return self

    @model_validator(mode="after")
    def _one_timing(self) -> _PointFault:
        wanted = "exactly one of " + ", ".join(self.timings)
        given = [name for name in self.timings if getattr(self, name) is not None]
        if not given:
            raise problem(f"a {self.kind} fault needs a timing", wanted)
        if len(given) > 1:
            raise problem(f"{given[0]} is also set", wanted, given[1])
        if self.batch is not None and self.at is None:
            raise problem(
                "batch counts poll batches for a loop point, and at is not set",
                "batch only together with at",
                "batch",
            )
        if self.after_records is not None and self.at != "mid-batch":
            raise problem(
                "after_records counts records within a batch",
                'after_records only with at = "mid-batch"',
                "after_records",
            )
        return self


class CrashFault(_PointFault):
    """The process dies: no LeaveGroup, its memory is lost; the log, commits and sink remain."""

    timings: ClassVar[tuple[str, ...]] = ("at_ms", "at", "rate_per_min")
    kind: Literal["crash"] = "crash"
    rate_per_min: float | None = Field(None, gt=0)  # a seeded Poisson stream in [from_ms, to_ms]
    from_ms: int | None = Field(None, ge=0)
    to_ms: int | None = Field(None, ge=0)  # omitted: run.duration_ms (see `ends_with_run`)

    @model_validator(mode="after")
    def _window_needs_rate(self) -> CrashFault:
        for name in ("from_ms", "to_ms"):
            if getattr(self, name) is not None and self.rate_per_min is None:
                raise problem(
                    f"{name} bounds a stream of crashes, and rate_per_min is not set",
                    f"{name} only with rate_per_min",
                    name,
                )
        return self


class ProcessingErrorFault(_PointFault):
    """A poison record: an exception mid-batch unwinds the poll loop through its `finally`."""

    kind: Literal["processing-error"] = "processing-error"
    at: Literal["mid-batch"] | None = None


class JoinFault(Table):
    """A new consumer starts (scaling out)."""

    kind: Literal["join"] = "join"
    at_ms: int = Field(ge=0)


class LeaveFault(Table):
    """A clean close: the consumer sends LeaveGroup."""

    kind: Literal["leave"] = "leave"
    consumer: int = Field(ge=0)
    at_ms: int = Field(ge=0)
    restart_after_ms: int | None = Field(None, ge=0)


def _consumer_list(value: Any) -> Any:
    """An array of consumer indexes (a TOML array arrives as a list; kept as a tuple)."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, tuple):
        return value
    raise problem(
        f"{toml_value(value)} is not an array of consumers",
        "an array of consumer indexes, e.g. [0, 2]; omit the field for every consumer in turn",
    )


class RollingRestartFault(Table):
    """A deployment: each consumer in turn is closed cleanly and restarted down_ms later."""

    kind: Literal["rolling-restart"] = "rolling-restart"
    at_ms: int = Field(ge=0)  # the first consumer closes
    interval_ms: int = Field(30_000, ge=0)  # between one consumer's close and the next one's
    down_ms: int = Field(5_000, ge=0)  # from a consumer's close to its restart
    # None: 0..group.consumers-1. A TOML array arrives as a list; kept as a tuple (immutable).
    consumers: Annotated[
        tuple[Annotated[int, Field(ge=0)], ...] | None, BeforeValidator(_consumer_list)
    ] = None

    def last_close_ms(self, consumers: int) -> int:
        count = len(self.consumers) if self.consumers is not None else consumers
        return self.at_ms + max(count - 1, 0) * self.interval_ms


class CoordinatorFailoverFault(Table):
    """The group coordinator moves to another broker: NOT_COORDINATOR for unavailable_ms, then
    COORDINATOR_LOAD_IN_PROGRESS for loading_ms, then the group as __consumer_offsets held it."""

    kind: Literal["coordinator-failover"] = "coordinator-failover"
    at_ms: int = Field(ge=0)
    unavailable_ms: int = Field(2_000, ge=0)
    loading_ms: int = Field(3_000, ge=0)


class TxnCoordinatorFailoverFault(CoordinatorFailoverFault):  # the transaction log's
    kind: Literal["txn-coordinator-failover"] = "txn-coordinator-failover"


class CoordinatorOutageFault(Table):
    """The coordinator's broker is down for duration_ms, then up with the group as
    __consumer_offsets held it (a broker restart; librdkafka's mock: broker set down, then up)."""

    kind: Literal["coordinator-outage"] = "coordinator-outage"
    at_ms: int = Field(ge=0)
    duration_ms: int = Field(gt=0)


class LostResponseFault(Table):
    """Responses to commits arriving in [from_ms, to_ms] are lost: after request_timeout_ms the
    connection fails and the client does not know whether the commit happened."""

    kind: Literal["lost-response"] = "lost-response"
    consumer: int | None = Field(None, ge=0)  # None: any consumer
    from_ms: int = Field(0, ge=0)
    to_ms: int | None = Field(None, ge=0)  # omitted: run.duration_ms
    probability: float = Field(1.0, gt=0, le=1)


class _SpanFault(Table):
    """Something that lasts `duration_ms` from `at_ms` on one consumer."""

    kind: str  # each subclass narrows it to its Literal; declared here so it comes first
    consumer: ConsumerRef
    at_ms: int = Field(ge=0)
    duration_ms: int = Field(gt=0)


class StallFault(_SpanFault):
    """The poll loop stops (a slow downstream call): the record in progress, or the next one,
    takes duration_ms longer; the heartbeat thread runs on, so only max.poll.interval.ms
    catches it."""

    kind: Literal["stall"] = "stall"


class PauseFault(_SpanFault):
    """The whole process stops (a stop-the-world GC): the loop and the heartbeat thread freeze;
    responses are read after the pause."""

    kind: Literal["pause"] = "pause"


class NetworkCutFault(_SpanFault):
    """The link between the consumer and the coordinator is down: requests to the coordinator
    are lost and heartbeats stop; fetching from the partition leaders goes on."""

    kind: Literal["network-cut"] = "network-cut"


Fault = Annotated[
    CrashFault
    | ProcessingErrorFault
    | JoinFault
    | LeaveFault
    | RollingRestartFault
    | CoordinatorFailoverFault
    | TxnCoordinatorFailoverFault
    | CommitErrorFault
    | CoordinatorOutageFault
    | LostResponseFault
    | StallFault
    | PauseFault
    | NetworkCutFault,
    Field(discriminator="kind"),
]
FAULT_TYPES: dict[str, type[Table]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(get_args(Fault)[0])
}
FAULT_KINDS = tuple(FAULT_TYPES)


def ends_with_run(fault: dict) -> bool:
    """Does this fault (as written) have a window whose omitted to_ms is the run's end?"""
    kind = fault.get("kind")
    if kind == "commit-error" and fault.get("nth") is not None:
        return False  # picked by count: no window
    return kind in ("commit-error", "lost-response") or (
        kind == "crash" and fault.get("rate_per_min") is not None
    )


def check_faults(
    found: Problems, faults: tuple[Table, ...], consumers: int, duration_ms: int, partitions: int
) -> None:
    """The rules that need the rest of the scenario: consumers exist, faults fall in the run.
    Every problem is added to `found`, so a file with several is told of each."""
    members = consumers + sum(f.kind == "join" for f in faults)
    for i, fault in enumerate(faults):
        at = f"faults[{i}]."
        consumer = getattr(fault, "consumer", None)
        if type(consumer) is int and consumer >= members:
            either = ', or "random"' if isinstance(fault, (_PointFault, _SpanFault)) else ""
            found.add(
                f"there is no consumer {consumer} (group.consumers = {consumers}, "
                f"plus {members - consumers} joined)",
                f"an integer in [0, {members - 1}]{either}",
                at + "consumer",
            )
        owner = getattr(fault, "owner_of", None)
        if owner is not None and owner >= partitions:
            found.add(
                f"there is no partition {owner} (topic.partitions = {partitions})",
                f"an integer in [0, {partitions - 1}]",
                at + "owner_of",
            )
        if isinstance(fault, RollingRestartFault):
            _check_rolling_restart(found, fault, at, consumers, members, duration_ms)
        for name in ("at_ms", "from_ms", "to_ms"):
            value = getattr(fault, name, None)
            if value is not None and value > duration_ms:
                found.add(
                    f"{value} is after the end of the run (run.duration_ms)",
                    f"an integer in [0, {duration_ms}]",
                    at + name,
                )
        start, stop = getattr(fault, "from_ms", None), getattr(fault, "to_ms", None)
        if start is not None and stop is not None and start > stop:
            found.add(
                f"{start} is after to_ms ({stop})", f"an integer in [0, {stop}]", at + "from_ms"
            )
        rate = getattr(fault, "rate_per_min", None)
        if (
            rate is not None
            and stop is not None
            and rate * (stop - start) / 60_000 > (MAX_STREAM_CRASHES)
        ):
            found.add(
                f"{rate:g} crashes a minute over {stop - start} ms is "
                f"{rate * (stop - start) / 60_000:,.0f} crashes",
                f"at most {MAX_STREAM_CRASHES:,} crashes in a stream "
                "(rate_per_min x (to_ms - from_ms) / 60000)",
                at + "rate_per_min",
            )


def _check_rolling_restart(
    found: Problems, fault, at: str, consumers: int, members: int, duration_ms: int
) -> None:
    for k, consumer in enumerate(fault.consumers or ()):
        if consumer >= members:
            found.add(
                f"there is no consumer {consumer}",
                f"integers in [0, {members - 1}]",
                f"{at}consumers[{k}]",
            )
    last = fault.last_close_ms(consumers)
    if last > duration_ms:
        found.add(
            f"the last consumer would close at {last} ms, after the end of the run "
            f"(run.duration_ms = {duration_ms})",
            f"at_ms + (consumers - 1) * interval_ms <= {duration_ms}",
            at + "interval_ms",
        )
