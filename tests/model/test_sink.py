"""The sinks fed by hand: what each one shows, and what it absorbs (sim/model/sink.py)."""

from sim.model.sink import BusinessKeySink, ExternalOffsetsSink, IdempotentSink, make_sink


def test_a_plain_sink_shows_every_processing_and_absorbs_nothing():
    """plain: an effect per processing (an email sent twice is two emails)."""
    sink = make_sink("plain", 1)
    assert sink.apply(0, 0, 3) == 0 and sink.apply(0, 1, 3) == 0
    assert sink.visible(0).tolist() == [1, 2, 2] and sink.total_effects == 5


def test_an_idempotent_sink_keyed_by_record_absorbs_repeats():
    """idempotent by (partition, offset): an upsert; a re-delivered record leaves no second
    effect, and apply says how many it absorbed (effectively-once effects, while the deliveries
    still repeat)."""
    sink = make_sink("idempotent", 2)
    assert isinstance(sink, IdempotentSink)
    assert sink.apply(1, 0, 4) == 0
    assert sink.apply(1, 2, 6) == 2
    assert sink.visible(1).tolist() == [1] * 6 and sink.total_effects == 6 and sink.absorbed == 2


def test_a_business_key_maps_offsets_modulo_the_keys_of_a_partition():
    """key = "business": record o of a partition has key o % keys_per_partition; a newer record
    of a key is a new version of its row and applies."""
    sink = make_sink("idempotent", 1, key="business", keys_per_partition=3)
    assert isinstance(sink, BusinessKeySink)
    assert sink.apply(0, 0, 7) == 0  # longer than the key space: every record is newer
    assert sink.versions(0).tolist() == [6, 4, 5]
    assert sink.visible(0).tolist() == [1] * 7


def test_a_business_key_absorbs_a_repeat_and_an_older_record_after_a_newer_one():
    """The versioned upsert (WHERE version < new): a repeat, or a zombie's older record landing
    after the new owner wrote a newer record of the same key, is absorbed."""
    sink = BusinessKeySink(1, keys_per_partition=4)
    sink.apply(0, 0, 6)  # keys 0..3 at 0..3, then 0 and 1 at 4 and 5
    assert sink.apply(0, 4, 6) == 2  # a repeat
    assert sink.apply(0, 1, 2) == 1  # offset 1 again: its key holds 5 already
    assert sink.apply(0, 6, 8) == 0
    assert sink.versions(0).tolist() == [4, 5, 6, 7] and sink.total_effects == 8


def test_the_fenced_store_refuses_a_write_older_than_the_owners_claim():
    """external-offsets: the new owner's claim raises the partition's fence to its generation;
    a zombie's write (its records' older generation) is refused whole, results and offset."""
    store = ExternalOffsetsSink(1)
    assert store.claim(0, 1) is None  # nothing stored yet
    assert store.apply(0, 0, 10, generation=1) == 0 and store.stored[0] == 10
    assert store.claim(0, 2) == 10  # generation 2 takes over at offset 10
    assert store.apply(0, 10, 15, generation=1) == 5  # the zombie of generation 1
    assert store.stored[0] == 10 and store.visible(0).tolist() == [1] * 10
    assert store.apply(0, 10, 15, generation=2) == 0 and store.stored[0] == 15


def test_an_accepted_write_raises_the_fence_to_its_generation():
    """A write is conditional (generation >= fence) and moves the fence up with it, so an owner
    that kept a partition into a new generation fences its own older self."""
    store = ExternalOffsetsSink(1)
    store.apply(0, 0, 5, generation=3)
    assert store.fence[0] == 3
    assert store.apply(0, 5, 6, generation=2) == 1


def test_the_unfenced_store_lets_a_zombie_write_land_and_move_the_offset_back():
    """Without the condition, a zombie's write lands: a second effect for records the new owner
    already wrote, and the stored offset moves back to where the zombie stopped."""
    store = ExternalOffsetsSink(1, fenced=False)
    store.apply(0, 0, 10, generation=1)
    store.claim(0, 2)
    store.apply(0, 10, 20, generation=2)
    assert store.apply(0, 10, 15, generation=1) == 0
    assert store.stored[0] == 15 and store.visible(0).tolist()[10:] == [2] * 5 + [1] * 5
