"""The JSONL event trace: the ledger's events as text a reader (or `jq`) can follow.

One line per ledger event, written as it happens through the ledger's listener, after a header
line that says what produced it. The rule it keeps: **canonical text**. Keys in a fixed order,
no spaces, integers only (times in microseconds), so two runs of the same scenario and seed give
byte-identical files, whatever `PYTHONHASHSEED`. The run's `trace_digest` stays the ledger's
binary digest; this file is for reading, not for proving (docs/trace.md lists the fields).
"""

from __future__ import annotations

import contextlib
import json

import numpy as np

from sim import __version__
from sim.ledger import EVENT_FIELDS

FORMAT = "offsim-trace"
FORMAT_VERSION = 1


def header(scenario, strategy: str, seed: int) -> dict:
    """The first line: enough to replay the run and to know which numpy drew it (a stream is
    guaranteed only within one numpy version)."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "offsim": __version__,
        "numpy": np.__version__,
        "scenario": scenario.name,
        "scenario_digest": scenario.digest(),
        "strategy": strategy,
        "seed": seed,
        "partitions": scenario.topic.partitions,
    }


def _plain(value):
    """A ledger value as JSON: numpy ints as ints, tuples as lists, map keys as strings."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value]


def event_object(seq: int, kind: str, values: tuple) -> dict:
    """One event as a JSON object; `processed` keeps only its first and last finish times. The
    event's kind goes under `event`: `commit_sent` and `fault` have a field named `kind`."""
    out: dict = {"seq": seq, "event": kind}
    for name, value in zip(EVENT_FIELDS[kind], values, strict=True):
        if name == "done_us":
            out["first_us"] = int(value[0]) if len(value) else None
            out["last_us"] = int(value[-1]) if len(value) else None
        else:
            out[name] = _plain(value)
    return out


def _line(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True) + "\n"


class TraceWriter:
    """A ledger listener writing one line per event to an open text file."""

    def __init__(self, out, head: dict):
        self.out = out
        self.seq = 0
        out.write(_line(head))

    def __call__(self, kind: str, values: tuple) -> None:
        self.seq += 1
        self.out.write(_line(event_object(self.seq, kind, values)))


@contextlib.contextmanager
def trace_writer(target, head: dict):
    """A TraceWriter on a path (opened here, closed even if the run is interrupted, so every
    event recorded so far is on disk) or on a file object (flushed, left open)."""
    if hasattr(target, "write"):
        try:
            yield TraceWriter(target, head)
        finally:
            target.flush()
        return
    with open(target, "w", encoding="ascii", newline="\n") as out:
        yield TraceWriter(out, head)


def read_trace(path) -> tuple[dict, list[dict]]:
    """(header, events) of a trace file."""
    with open(path, encoding="ascii") as f:
        lines = [json.loads(line) for line in f]
    return lines[0], lines[1:]
