"""What the consumer's poll loop asks of its driver, and what strategies ask of the consumer.

The consumer is a generator that yields driver commands and receives their results: it never
waits, reads a clock or draws a number itself. A strategy returns client calls (`CommitSync`,
`CommitAsync`, `Seek`, `Pause`, `Resume`) that the consumer carries out, as an application would
call `consumer.commitSync(...)`, and `DrainWorker`, the application's wait for its own worker
thread (async processing). It owns these value types only: the consumer and the driver give
them their meaning.

Commands are values: nothing changes one once it is made. Those that every poll batch makes
(`Call`, `Process`, `Processed`, `Batch`, `CommitSync`, `CommitResult`, and the commit's
`OffsetCommit`, `Reply` and `CommitApplied`) are plain slotted dataclasses, not frozen ones: a
frozen one costs about three times as much to make (an `object.__setattr__` per field), about 6%
of a throughput run's instructions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Offsets


# ---- driver commands (yielded by the consumer) -------------------------------------------------
@dataclass(slots=True)  # made per batch: not frozen (see above)
class Call:
    """Send a request to the coordinator and wait for its response; `point`: a loop point
    (docs/scenarios.md, faults) between the request's sending and its response."""

    request: object
    request_id: int
    point: str | None = None


@dataclass(frozen=True, slots=True)
class Send:
    """Send a request and go on: the response comes back through `Consumer.on_response`."""

    request: object
    request_id: int


@dataclass(frozen=True, slots=True)
class ReadLog:
    """Read the log end offsets of these partitions (the prefetched fetch responses)."""

    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Wait:
    """Block until `until_us`; if `wakeable`, earlier when the driver wakes the consumer (records
    arrived on an assigned partition, a response came back, a rebalance notice, a close).
    `idle`: poll()'s wait for its timeout with nothing to do; at the timeout the driver may
    repoll through `Consumer.repoll_idle` instead of resuming the loop."""

    until_us: int
    wakeable: bool = True
    idle: bool = False


@dataclass(slots=True)  # made per batch: not frozen (see above)
class Process:
    """Process the records of these slices, in order. The driver answers with how many records
    finished, and whether processing threw (a poison record) after them."""

    slices: tuple[tuple[int, int, int], ...]  # (partition, start, end)
    batch: int  # which poll batch of this consumer (1-based)
    first_index: int  # how many records of this batch were processed before these
    batch_records: int  # the whole batch's size


@dataclass(slots=True)  # made per batch: not frozen (see above)
class Processed:
    records: int
    error: bool


@dataclass(frozen=True, slots=True)
class HandOff:
    """Async processing: put these slices on the worker's queue (FIFO) and go on. The driver's
    worker thread processes them and reports its progress through
    `Consumer.on_worker_progress`."""

    slices: tuple[tuple[int, int, int], ...]  # (partition, start, end)


@dataclass(frozen=True, slots=True)
class AwaitWorker:
    """Block until at most `max_unfinished` of the records handed to the worker are unfinished
    (a BlockingQueue.put waiting for room, or the application waiting for the worker)."""

    max_unfinished: int


@dataclass(frozen=True, slots=True)
class LoopPoint:
    """A named point of the poll loop, where a fault may be pinned (docs/scenarios.md, faults)."""

    name: str
    batch: int


@dataclass(frozen=True, slots=True)
class Later:
    """Returned by a response handler: call the consumer's `on_timer(key)` at `at_us` and send
    what it returns (a background client's request retry or deferred commit)."""

    at_us: int
    key: object


@dataclass(frozen=True, slots=True)
class Stopped:
    """The consumer is done: closed cleanly, or after an exception unwound its loop."""

    how: str


# ---- client calls (returned by strategies) -----------------------------------------------------
@dataclass(slots=True)  # made per batch: not frozen (see above)
class CommitSync:
    """consumer.commitSync(offsets); None: commit the positions of every assigned partition."""

    offsets: Offsets | None = None


@dataclass(frozen=True, slots=True)
class CommitAsync:
    """consumer.commitAsync(offsets, callback); None: the positions."""

    offsets: Offsets | None = None


@dataclass(frozen=True, slots=True)
class Seek:
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Pause:
    """consumer.pause(partitions): poll() returns no records of them until resumed."""

    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Resume:
    """consumer.resume(partitions)."""

    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DrainWorker:
    """Wait until the worker has finished every queued record of these partitions (None: all):
    the application's own wait, not a client call."""

    partitions: tuple[int, ...] | None = None


@dataclass(slots=True)  # made per batch: not frozen (see above)
class Batch:
    """What one poll() returned."""

    number: int
    slices: tuple[tuple[int, int, int], ...]
    records: int  # how many records the slices hold (counted once: every hook reads it)

    @property
    def next_offsets(self) -> Offsets:
        """{partition: last offset returned + 1}: what to commit once the batch is processed."""
        last: dict[int, int] = {}
        for partition, _, end in self.slices:
            last[partition] = end
        return tuple(sorted(last.items()))


@dataclass(slots=True)  # made per batch: not frozen (see above)
class CommitResult:
    """What a commit callback (or a failed commitSync) reports to the strategy."""

    offsets: Offsets
    error: str | None  # None: committed; a Kafka error code; "UNKNOWN"; a client exception name
    sequence: int  # the consumer's commit counter when the commit was made
