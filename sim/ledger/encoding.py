"""How each ledger event is written into the run's digest: a kind code, its integer fields as
little-endian int64 (a bool as one byte), then its strings as length-prefixed utf-8 and its
sequences with a count. The format is the trace digest's definition: changing a byte here
changes every digest, so it changes only with a version bump (CHANGELOG.md).
"""

from __future__ import annotations

import functools
import struct

# kind -> the fields a listener receives, in order; the kind's code is its index + 1.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "appended": ("at_us", "partition", "count"),
    "instance_started": ("at_us", "instance", "slot", "incarnation", "member_id"),
    "instance_stopped": ("at_us", "instance", "how"),
    "rebalance_started": ("at_us", "generation"),
    "generation": ("at_us", "generation", "assignment"),
    "assigned": ("at_us", "instance", "generation", "partitions"),
    "revoked": ("at_us", "instance", "partitions", "lost"),
    "position": ("at_us", "instance", "partition", "offset", "source"),
    "delivered": ("at_us", "instance", "partition", "start", "end"),
    "processed": ("instance", "generation", "partition", "start", "end", "done_us"),
    "commit_sent": ("at_us", "instance", "request_id", "generation", "offsets", "kind"),
    "commit_applied": ("at_us", "request_id"),
    "commit_completed": ("at_us", "request_id", "outcome"),
    "fault": ("at_us", "kind", "instance", "detail"),
    "finish": ("at_us", "quiesced"),
    "absorbed": ("instance", "partition", "start", "end", "count", "reason"),
    "produced": (
        "at_us", "instance", "partition", "start", "end", "source_start", "producer_id", "epoch",
    ),
    "marker": ("at_us", "partition", "offset", "producer_id", "epoch", "commit", "offsets"),
    "txn_ended": ("at_us", "transactional_id", "producer_id", "epoch", "commit"),
    "txn_refused": ("at_us", "instance", "request", "error"),
}  # fmt: skip
CODES = {kind: code for code, kind in enumerate(EVENT_FIELDS, start=1)}
COUNT, _TEXT = struct.Struct("<I"), struct.Struct("<H")


def packer(kind: str, ints: str):
    """Packs an event's head: its code, then its integer fields as int64 (`?` for a bool)."""
    return functools.partial(struct.Struct("<B" + ints).pack, CODES[kind])


APPENDED = packer("appended", "qqq")
STARTED = packer("instance_started", "qqqq")
STOPPED = packer("instance_stopped", "qq")
REBALANCE = packer("rebalance_started", "qq")
GENERATION = packer("generation", "qq")
ASSIGNED = packer("assigned", "qqq")
REVOKED = packer("revoked", "qq?")
POSITION = packer("position", "qqqq")
DELIVERED = packer("delivered", "qqqqq")
PROCESSED = packer("processed", "qqqqq")
SENT = packer("commit_sent", "qqqq")
APPLIED = packer("commit_applied", "qq")
COMPLETED = packer("commit_completed", "qq")
FAULT = packer("fault", "qq")
FINISH = packer("finish", "q?")
ABSORBED = packer("absorbed", "qqqqq")
PRODUCED = packer("produced", "qqqqqqqq")
MARKER = packer("marker", "qqqqq?")
TXN_ENDED = packer("txn_ended", "qqq?")
TXN_REFUSED = packer("txn_refused", "qq")
_TEXTS: dict[str, bytes] = {}


def encode_text(value: str) -> bytes:
    """A string as length-prefixed utf-8 (the few distinct words are cached)."""
    data = _TEXTS.get(value)
    if data is None:
        raw = value.encode()
        data = _TEXT.pack(len(raw)) + raw
        if len(_TEXTS) < 4096:
            _TEXTS[value] = data
    return data


def encode_ints(values) -> bytes:
    """A sequence of ints as a count and int64s."""
    return COUNT.pack(len(values)) + struct.pack(f"<{len(values)}q", *values)
