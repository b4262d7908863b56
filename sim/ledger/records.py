"""What the ledger keeps: one small record per low-volume event, read by the checker.

`seq` is an event's number in call order (1-based), the ledger's notion of "before": times can
tie, and `processed` times can precede events recorded just before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Delivery(NamedTuple):
    seq: int
    at_us: int
    instance: int
    partition: int
    start: int
    end: int


class Segment(NamedTuple):
    """One `processed` call: records [start, end) finished at first_us..last_us. `times` holds the
    per-record times only when some record had been processed before (a repeat); otherwise they
    are the ledger's first-effect times of [start, end)."""

    seq: int
    instance: int
    generation: int
    partition: int
    start: int
    end: int
    first_us: int
    last_us: int
    times: np.ndarray | None


class Absorbed(NamedTuple):
    """The sink absorbed `count` records of the segment recorded just before (seq - 1)."""

    seq: int
    instance: int
    partition: int
    start: int
    end: int
    count: int
    # applied-before (idempotent by record) | not-newer (by business key) | fenced (an external
    # write refused)
    reason: str


class Position(NamedTuple):
    seq: int
    at_us: int
    instance: int
    partition: int
    offset: int
    source: str  # committed | reset | seek


@dataclass(slots=True)
class Tenure:
    """One instance's hold on one partition, from the assignment it learned to its end."""

    instance: int
    partition: int
    generation: int
    start_seq: int
    start_us: int
    end_seq: int | None = None
    end_us: int | None = None
    ended_by: str = ""  # revoked | lost | crash | close | error | leave


@dataclass(slots=True)
class Commit:
    """One OffsetCommit request: sent, maybe applied by the coordinator, maybe completed."""

    request_id: int
    instance: int
    generation: int
    offsets: tuple[tuple[int, int], ...]
    kind: str  # sync | async | auto
    sent_seq: int
    sent_us: int
    applied_seq: int | None = None
    applied_us: int | None = None
    completed_us: int | None = None
    outcome: str | None = None  # ok | a Kafka error code | UNKNOWN (a failed connection)


class Instance(NamedTuple):
    seq: int
    at_us: int
    slot: int
    incarnation: int
    member_id: str


class Stop(NamedTuple):
    seq: int
    at_us: int
    how: str  # crash | close | error | leave


class Fault(NamedTuple):
    seq: int
    at_us: int
    kind: str
    instance: int
    detail: str
