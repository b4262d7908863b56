"""Rows over seeds, and strategies whose runs repeat another's."""

from types import SimpleNamespace

from sim.sweep.aggregate import SAME_NUMBERS, SAME_TRACE, aggregate, mark_identical


def summary(digest, lost=0, latency=None, failed=0):
    return {
        "scenario": "s", "strategy": "x", "seed": 1, "lost": lost, "latency_p50_ms": latency,
        "failed_commits": failed,
        "trace_digest": digest, "cross_checks_ok": True, "quiesced": True,
        "lag_by_partition": [{"partition": 0}],
    }  # fmt: skip


def scenario(client="java", processing="sync"):
    return SimpleNamespace(consumer=SimpleNamespace(client=client, processing=processing))


def rows(*runs):
    """One row per (strategy, [(digest, lost), ...])."""
    return [aggregate("s", name, [summary(d, lost) for d, lost in seeds]) for name, seeds in runs]


def test_a_row_summarises_numbers_and_skips_what_is_missing():
    """A field with no value on a seed is summarised over the seeds that have one; lists and
    texts are not summarised; the digests are kept in seed order."""
    row = aggregate("s", "x", [summary("a", 1, None), summary("b", 3, 5.0)])
    assert row["lost"]["mean"] == 2 and row["latency_p50_ms"]["mean"] == 5.0
    assert "lag_by_partition" not in row and "seed" not in row
    assert row["trace_digests"] == ["a", "b"] and row["identical_to"] is None


def test_equal_digests_on_every_seed_mark_the_later_strategy_with_the_known_reason():
    """The digest does not cover the strategy's name: equal digests are equal runs. Under the
    Java client, auto-store-after-process is auto (the offset store is librdkafka's)."""
    marked = mark_identical(
        rows(("auto", [("a", 5), ("b", 7)]), ("auto-store-after-process", [("a", 5), ("b", 7)])),
        scenario("java"),
    )
    assert marked[0]["identical_to"] is None
    assert marked[1]["identical_to"] == "auto"
    assert (
        marked[1]["identical_why"].startswith(SAME_TRACE)
        and "librdkafka" in (marked[1]["identical_why"])
    )


def test_the_known_reason_is_given_only_where_it_holds():
    """Under librdkafka the store matters; if the runs still match, only how is said."""
    marked = mark_identical(
        rows(("auto", [("a", 5)]), ("auto-store-after-process", [("a", 5)])), scenario("librdkafka")
    )
    assert marked[1]["identical_why"] == SAME_TRACE


def test_one_seed_that_differs_keeps_the_rows_apart():
    marked = mark_identical(
        rows(("p", [("a", 5), ("b", 7)]), ("q", [("a", 5), ("c", 9)])), scenario()
    )
    assert [r["identical_to"] for r in marked] == [None, None]


def test_the_same_numbers_from_different_traces_share_a_row_and_say_so():
    """async-worker-commit-completed names only the partitions that moved in its commits: other
    traces, the same numbers on every field."""
    marked = mark_identical(
        rows(
            ("async-then-sync-processed", [("a", 5), ("b", 7)]),
            ("async-worker-commit-completed", [("c", 5), ("d", 7)]),
        ),
        scenario(processing="sync"),
    )
    assert marked[1]["identical_to"] == "async-then-sync-processed"
    assert (
        marked[1]["identical_why"].startswith(SAME_NUMBERS)
        and "worker" in (marked[1]["identical_why"])
    )


def test_a_retry_that_never_ran_is_named_as_the_reason():
    """async-retry-naive differs from async-per-batch only when a commit fails."""
    runs = [
        aggregate("s", n, [summary("a", failed=0)])
        for n in ("async-per-batch", "async-retry-naive")
    ]
    assert "the retry never ran" in mark_identical(runs, scenario())[1]["identical_why"]
    runs = [
        aggregate("s", n, [summary("a", failed=2)])
        for n in ("async-per-batch", "async-retry-naive")
    ]
    assert mark_identical(runs, scenario())[1]["identical_why"] == SAME_TRACE
