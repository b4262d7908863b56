"""The checker on a worker thread's history (async processing): leftovers of an earlier tenure
are not a reorder of the next one."""

from .test_checker import Story


def test_a_workers_leftovers_after_getting_the_partition_back_are_not_a_reorder():
    """Records 0..9 were delivered in generation 1 and the worker finished 0..3; after the
    rebalance the instance gets the partition back at the committed 10, and its worker finishes
    4..9 (generation 1) before the new records: in offset order, no reorder, no skip."""
    s = Story(records=20)
    s.start(0, 0)
    s.ledger.delivered(1_000, 0, 0, 0, 10)
    s.process(1_000, 0, 0, 4, deliver=False)
    s.commit(1_100, 0, 10)
    s.ledger.revoked(1_200, 0, (0,), False)
    s.ledger.assigned(1_300, 0, 2, (0,))
    s.ledger.position(1_300, 0, 0, 10, "committed")
    s.process(1_400, 0, 4, 10, deliver=False)  # the leftover, generation 1
    s.process(2_000, 0, 10, 20, generation=2)
    m = s.check().summary()
    assert (m["reorders"], m["skips"], m["lost"], m["duplicated_records"]) == (0, 0, 0, 0)


def test_going_back_in_the_new_generation_is_still_a_reorder():
    """The exemption is for earlier generations only: the same segment under the tenure's own
    generation goes back over offsets below its position."""
    s = Story(records=20)
    s.start(0, 0)
    s.ledger.delivered(1_000, 0, 0, 0, 10)
    s.process(1_000, 0, 0, 4, deliver=False)
    s.ledger.revoked(1_200, 0, (0,), False)
    s.ledger.assigned(1_300, 0, 2, (0,))
    s.ledger.position(1_300, 0, 0, 10, "committed")
    s.process(1_400, 0, 4, 10, generation=2, deliver=False)
    assert s.check().summary()["reorders"] == 6
