"""A consumer's incarnation as the engine sees it, and the observer that binds its records to it.

It owns the per-instance state every engine part reads and writes (its process, connection,
pending requests, pause and cut deadlines, mid-batch processing, worker) and the binding of the
model's observations to the ledger under the instance number. It never schedules an event, never
reads the clock and never decides anything: the engine's parts do, through these fields.
"""

from __future__ import annotations

import simpy

from sim.ledger import Ledger
from sim.model.consumer import Consumer

from .clock import Relay


class Crash(Exception):
    """A fault pinned to a loop point killed the consumer."""


class Instance:
    """One incarnation of a consumer slot, as the driver sees it."""

    def __init__(
        self, number: int, slot: int, incarnation: int, consumer: Consumer, conn, lookup_conn
    ):
        self.number = number
        self.slot = slot
        self.incarnation = incarnation
        self.consumer = consumer
        self.conn = conn
        self.alive = True
        self.process: simpy.Process | None = None
        self.pending: dict[int, simpy.Event] = {}  # request id -> the Call waiting for it
        self.wake: Relay | None = None  # set while in a wakeable Wait
        self.heartbeat_phase_us: int | None = None  # when its heartbeat thread last (re)started
        self.processing: tuple | None = None  # (done_us array, first record index) mid-batch
        self.error_next = False  # a timed processing error waiting for the next record
        self.leaving = False  # a leave fault asked it to close
        self.restart_after_us: int | None = None  # set by the fault that stops it
        self.paused_until = -1  # a pause fault froze the whole process until then
        self.cut_until = -1  # a network cut keeps it from the coordinator until then
        self.stall_next_us = 0  # a stall that hit outside processing: the next record's delay
        self.poll_timer_at: int | None = None  # the one armed max.poll.interval.ms check
        self.heartbeat_at: int | None = None  # a consumer group member's armed heartbeat
        self.blocked_heartbeat_us = 0  # its last heartbeat before a pause or cut stopped them
        self.member_ids: list[str] = [consumer.member_id]
        # Coordinator rediscovery: a FindCoordinator goes to any broker, over its own connection.
        self.lookup_conn = lookup_conn
        self.no_coordinator = False  # marked unknown; no heartbeat until found and resumed
        self.looking_up = False  # a lookup (FindCoordinator) is under way
        self.lookups = 0
        self.worker = None  # async processing: its `worker.Worker`, started at the first hand-off


class Observer:
    """Binds a consumer's observations to its instance number in the ledger."""

    __slots__ = ("ledger", "instance", "commit_completed", "_coordinator_unknown")

    def __init__(self, ledger: Ledger, instance: int, coordinator_unknown):
        self.ledger = ledger
        self.instance = instance
        self.commit_completed = ledger.commit_completed  # names no instance: no binding needed
        self._coordinator_unknown = coordinator_unknown

    def coordinator_unknown(self, at_us):
        """Not a record: the driver starts the consumer's coordinator lookup."""
        self._coordinator_unknown(self.instance)

    def assigned(self, at_us, generation, partitions):
        self.ledger.assigned(at_us, self.instance, generation, partitions)

    def revoked(self, at_us, partitions, lost):
        self.ledger.revoked(at_us, self.instance, partitions, lost)

    def position(self, at_us, partition, offset, source):
        self.ledger.position(at_us, self.instance, partition, offset, source)

    def delivered(self, at_us, partition, start, end):
        self.ledger.delivered(at_us, self.instance, partition, start, end)

    def commit_sent(self, at_us, request_id, generation, offsets, kind):
        self.ledger.commit_sent(at_us, self.instance, request_id, generation, offsets, kind)
