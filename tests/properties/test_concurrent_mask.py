"""The concurrent-duplicate check is one sweep over sorted processings (n log n), and it finds
exactly the records the definition names: processed by one instance while another that had
processed them before still held the partition (docs/metrics.md). The definition is checked here
pair by pair, on random histories and on one record repeated thousands of times."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger.anomalies import concurrent_mask
from sim.ledger.witness import History
from tests.test_checker import Story

RECORDS = 6


def by_pairs(history: History, dup: np.ndarray) -> np.ndarray:
    """The definition, every pair of processings of a record by two instances."""
    mask = np.zeros(len(dup), dtype=bool)
    segments = history.segments[0]
    for i, a in enumerate(segments):
        for b in segments[i + 1 :]:
            if a.instance == b.instance:
                continue
            for offset in range(max(a.start, b.start), min(a.end, b.end)):
                ta = history.times(a)[offset - a.start]
                tb = history.times(b)[offset - b.start]
                first, second, t = (a, b, tb) if ta <= tb else (b, a, ta)
                mask[offset] |= bool(dup[offset] and t < history.owner_until(first))
    return mask


processings = st.lists(
    st.tuples(
        st.integers(0, 3),  # instance
        st.integers(0, RECORDS - 1),  # start
        st.integers(1, 3),  # length
        st.integers(0, 5_000),  # when the batch is returned
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(processings, st.dictionaries(st.integers(0, 3), st.integers(0, 6_000)))
def test_the_sweep_marks_what_the_pairwise_definition_marks(batches, revoked_at):
    """Random instances processing random ranges at random times, some revoked at some point
    after their last batch: the sweep and the pairwise definition agree record by record."""
    s = Story(records=RECORDS)
    started = set()
    last = {}
    for instance, start, length, at in batches:
        if instance not in started:
            started.add(instance)
            s.start(0, instance, generation=instance + 1)
        end = min(start + length, RECORDS)
        last[instance] = s.process(at, instance, start, end, generation=instance + 1)
    for instance in sorted(started):
        if instance in revoked_at:
            s.ledger.revoked(last[instance] + revoked_at[instance], instance, (0,), False)
    s.ledger.finish(20_000, True)
    history = History(s.ledger)
    dup = s.ledger.effects_per_offset(0) >= 2
    assert np.array_equal(concurrent_mask(history, 0, dup), by_pairs(history, dup))


def test_a_record_repeated_thousands_of_times_is_checked_in_one_sweep():
    """Two instances taking turns on one record, each revoked before the other processes it
    (a rejoin loop): duplicates, none concurrent; then a third processes it while the last one
    still holds it: concurrent. The pairwise definition would compare millions of pairs."""
    s = Story(records=1)
    for turn in range(3_000):
        instance = turn % 2
        s.ledger.assigned(turn * 100, instance, turn + 1, (0,))
        s.ledger.position(turn * 100, instance, 0, 0, "reset")
        s.process(turn * 100 + 1, instance, 0, 1, generation=turn + 1)
        s.ledger.revoked(turn * 100 + 50, instance, (0,), False)
    history = History(s.ledger)
    dup = s.ledger.effects_per_offset(0) >= 2
    assert not concurrent_mask(history, 0, dup).any()
    s.ledger.assigned(300_000, 0, 3_001, (0,))
    s.ledger.position(300_000, 0, 0, 0, "reset")
    s.process(300_001, 0, 0, 1, generation=3_001)
    s.start(300_010, 2, generation=3_002)
    s.process(300_020, 2, 0, 1, generation=3_002)
    history = History(s.ledger)
    assert concurrent_mask(history, 0, dup).all()
