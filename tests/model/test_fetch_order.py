"""The Java consumer's fetch order over many partitions: a HashSet copied from the fetchable
partitions (AbstractFetch.fetchablePartitions: `new HashSet<>(collection)`, whose table is
max(n / .75f + 1, 16) rounded up to a power of two; HashMap.hash, TopicPartition.hashCode)."""

from sim.model.java_classic.fetch import fetch_order

from .test_consumer import java_string_hash


def test_twelve_partitions_fetch_in_the_bucket_order_of_a_32_bucket_hash_set():
    """Twelve partitions need a table of 32 buckets (12 / .75 + 1 = 17 > 16). For topic
    "events" (hashCode 0xb307e119) the order is the one a JDK HashSet of TopicPartitions
    iterates in (checked with java.util.HashSet): p11, then p3-p10, then p0-p2."""
    order = fetch_order(tuple(range(12)), java_string_hash("events"))
    assert order == (11, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2)
