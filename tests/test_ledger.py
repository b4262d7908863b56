"""The ledger fed by hand: what it keeps per record and per event, and its trace digest."""

import numpy as np
import pytest

from sim.ledger import CODES, EVENT_FIELDS, NEVER, Ledger, LedgerError


def times(first_us: int, n: int, step_us: int = 10) -> np.ndarray:
    return first_us + step_us * np.arange(n, dtype=np.int64)


def history(processing_start_us: int = 100, member: str = "consumer-0-0") -> Ledger:
    """One consumer reads and processes ten records, commits, and closes."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 10)
    ledger.instance_started(0, 0, 0, 0, member)
    ledger.rebalance_started(10, 0)
    ledger.generation(20, 1, {0: (0,)})
    ledger.assigned(30, 0, 1, (0,))
    ledger.position(40, 0, 0, 0, "reset")
    ledger.delivered(50, 0, 0, 0, 10)
    ledger.processed(0, 1, 0, 0, 10, times(processing_start_us, 10))
    ledger.commit_sent(300, 0, 1, 1, ((0, 10),), "sync")
    ledger.commit_applied(301, 1)
    ledger.commit_completed(302, 1, "ok")
    ledger.revoked(400, 0, (0,), False)
    ledger.instance_stopped(400, 0, "close")
    ledger.finish(500, True)
    return ledger


def test_equal_histories_have_equal_digests():
    """Determinism: the same events in the same order give the same trace digest."""
    assert history().trace_digest == history().trace_digest


def test_one_processing_time_changes_the_digest():
    """The digest covers per-record processing times: one batch a microsecond later differs."""
    assert history(processing_start_us=101).trace_digest != history().trace_digest


def test_one_word_changes_the_digest():
    """Strings are part of the digest: another member id is another trace."""
    assert history(member="consumer-0-1").trace_digest != history().trace_digest


def test_event_order_changes_the_digest():
    """The digest is of the sequence, not of the set of events."""
    a, b = Ledger(2), Ledger(2)
    a.appended(0, 0, 5)
    a.appended(0, 1, 5)
    b.appended(0, 1, 5)
    b.appended(0, 0, 5)
    assert a.trace_digest != b.trace_digest


def test_every_call_is_one_event():
    """`events` counts every call, the hot-path ones included."""
    assert history().events == 14


def test_listener_hears_every_event_with_its_named_fields():
    """A trace writer can hook every event: values come in EVENT_FIELDS order."""
    heard = []
    ledger = Ledger(1, listener=lambda kind, values: heard.append((kind, values)))
    ledger.appended(0, 0, 3)
    ledger.delivered(5, 7, 0, 0, 3)
    ledger.processed(7, 1, 0, 0, 3, times(10, 3))
    assert [kind for kind, _ in heard] == ["appended", "delivered", "processed"]
    assert all(len(values) == len(EVENT_FIELDS[kind]) for kind, values in heard)
    assert dict(zip(EVENT_FIELDS["delivered"], heard[1][1], strict=True))["instance"] == 7
    assert sorted(CODES.values()) == list(range(1, len(EVENT_FIELDS) + 1))


def test_per_record_counts_accumulate():
    """Deliveries and effects are counted per offset; the first effect's time is kept."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 10)
    ledger.delivered(0, 0, 0, 0, 6)
    ledger.processed(0, 1, 0, 0, 6, times(100, 6))
    ledger.delivered(200, 1, 0, 4, 10)
    ledger.processed(1, 2, 0, 4, 10, times(300, 6))
    assert ledger.deliveries_per_offset(0).tolist() == [1, 1, 1, 1, 2, 2, 1, 1, 1, 1]
    assert ledger.effects_per_offset(0).tolist() == [1, 1, 1, 1, 2, 2, 1, 1, 1, 1]
    assert ledger.first_effect_us(0)[[0, 4, 6]].tolist() == [100, 140, 320]


def test_only_repeat_segments_keep_their_times():
    """Memory rule: a first processing's times live in the per-record array; a segment that
    repeats a record keeps its own copy for the concurrency check."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 10)
    ledger.processed(0, 1, 0, 0, 5, times(100, 5))
    ledger.processed(0, 1, 0, 5, 10, times(200, 5))
    ledger.processed(1, 2, 0, 4, 6, times(300, 2))
    assert [s.times is None for s in ledger.segments] == [True, True, False]
    assert ledger.segments[2].times.tolist() == [300, 310]


def test_unprocessed_records_have_no_first_time():
    """A record never processed reads NEVER, so a prefix maximum finds it."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 3)
    ledger.processed(0, 1, 0, 0, 1, times(100, 1))
    assert ledger.first_effect_us(0).tolist() == [100, NEVER, NEVER]


def test_attempt_numbers_for_the_engine():
    """effect_counts(p, start, end) returns a copy of the attempts so far, zero past the end."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 4)
    ledger.processed(0, 1, 0, 0, 2, times(100, 2))
    attempts = ledger.effect_counts(0, 1, 5000)
    assert attempts[:3].tolist() == [1, 0, 0] and len(attempts) == 4999
    attempts[0] = 99
    assert ledger.effect_counts(0, 0, 2).tolist() == [1, 1]


def test_arrays_grow_as_the_log_grows():
    """Per-record arrays double as records are appended, keeping what they held."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 1000)
    ledger.processed(0, 1, 0, 990, 1000, times(100, 10))
    for at in range(1, 6):
        ledger.appended(at, 0, 1000)
    assert len(ledger.effects_per_offset(0)) == 6000
    assert ledger.effects_per_offset(0)[990:1001].tolist() == [1] * 10 + [0]


def test_a_stop_ends_the_instances_tenures():
    """A crashed instance's tenures end at the crash; a later revoke changes nothing."""
    ledger = Ledger(2)
    ledger.instance_started(0, 0, 0, 0, "consumer-0-0")
    ledger.assigned(10, 0, 1, (0, 1))
    ledger.instance_stopped(50, 0, "crash")
    ledger.revoked(50, 0, (0, 1), True)
    assert [(t.partition, t.end_us, t.ended_by) for t in ledger.tenures] == [
        (0, 50, "crash"),
        (1, 50, "crash"),
    ]


def test_a_retained_partition_keeps_its_tenure():
    """An assignment that keeps a partition (cooperative) does not start a second tenure."""
    ledger = Ledger(2)
    ledger.assigned(10, 0, 1, (0, 1))
    ledger.revoked(20, 0, (1,), False)
    ledger.assigned(30, 0, 2, (0,))
    assert [(t.partition, t.start_us, t.end_us) for t in ledger.tenures] == [
        (0, 10, None),
        (1, 10, 20),
    ]


def test_a_commit_never_sent_is_our_bug():
    """Applying an unknown request breaks the engine's contract: an error naming the event."""
    ledger = Ledger(1)
    with pytest.raises(LedgerError, match="event 1"):
        ledger.commit_applied(5, 42)


def test_times_must_match_the_records():
    """A processed segment needs one finish time per record."""
    ledger = Ledger(1)
    ledger.appended(0, 0, 5)
    with pytest.raises(LedgerError):
        ledger.processed(0, 1, 0, 0, 5, times(100, 4))
