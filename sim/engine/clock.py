"""How the engine puts things on simpy's queue: scheduled calls, wait gates and signals.

It owns the small event types the engine schedules itself (`Call`, a function call at a
simulated time in a timeout's place; `Relay`, the gate of a wakeable wait) and the time unit.
It never looks at a consumer, the coordinator or the ledger.
"""

from __future__ import annotations

import simpy
from simpy.events import PENDING

US = 1000  # simulated time is in microseconds; scenarios speak milliseconds


def signal(event: simpy.Event | None) -> None:
    """Succeed a waiter's event if there is one; returns None, the slot's new value."""
    if event is not None and not event.triggered:
        event.succeed()


class Relay:
    """Succeeds its gate when the first of the events it is attached to is processed: a
    wakeable wait's timer, and its wake event once the consumer is woken (`woken`)."""

    __slots__ = ("gate", "woken")

    def __init__(self, gate: simpy.Event):
        self.gate = gate
        self.woken = False

    def __call__(self, _event) -> None:
        gate = self.gate
        if gate._value is PENDING:
            gate.succeed()


class Call:
    """A function call at a simulated time: what `env.timeout(delay)` with one callback appended
    does, without building the Timeout and a closure (two of them per batch's commit). Scheduled
    with `env.schedule(call, NORMAL, delay)` it takes the place a timeout made at that moment
    would take among the events of its instant. simpy's `Environment.step` needs of an event
    only its `callbacks` (called with the event, then set to None) and `_ok` (a false one crashes
    the run)."""

    __slots__ = ("callbacks", "_ok", "fn", "args")

    def __init__(self, fn, args: tuple):
        self.callbacks = _CALL_CALLBACKS
        self._ok = True
        self.fn = fn
        self.args = args


def _call_now(call: Call) -> None:
    call.fn(*call.args)


_CALL_CALLBACKS = (_call_now,)  # shared: step() only iterates it and resets the attribute
