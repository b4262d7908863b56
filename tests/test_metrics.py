"""Downtime, group stall, committed lag and end-to-end latency on hand-built histories whose
values are worked out by hand (docs/metrics.md), and the vectorised lag against a step-by-step
walk of a real run."""

import numpy as np
import pytest

from sim import load_scenario, run
from sim.ledger import NEVER
from sim.ledger.metrics import _MERGE_LIMIT, _nearest_ranks, consumer_lag
from sim.ledger.witness import History
from tests.test_checker import Story


def lag_of(story, at=10_000, partition=0) -> dict:
    return story.check(at=at).summary()["lag_by_partition"][partition]


# ---- group stall and downtime ------------------------------------------------------------------
def test_group_stall_is_time_with_no_partition_owned_and_downtime_counts_each_partition():
    """Partition 0 held 1-3 ms, partition 1 held 1-2 ms, both again from 5 ms to the end at
    10 ms: the group stood still 3-5 ms (2 ms); partition 0 was down 2 ms, partition 1 3 ms,
    5 partition-ms in all."""
    s = Story(partitions=2)
    s.ledger.assigned(1_000, 0, 1, (0, 1))
    s.ledger.revoked(2_000, 0, (1,), False)
    s.ledger.revoked(3_000, 0, (0,), False)
    s.ledger.assigned(5_000, 1, 2, (0, 1))
    m = s.check(at=10_000).summary()
    assert (m["group_stall_ms"], m["rebalance_downtime_ms"]) == (2.0, 5.0)


def test_one_partition_owned_is_no_group_stall():
    """While any partition has an owner, the group is working, however many others wait."""
    s = Story(partitions=2)
    s.ledger.assigned(1_000, 0, 1, (0, 1))
    s.ledger.revoked(2_000, 0, (1,), False)
    m = s.check(at=10_000).summary()
    assert (m["group_stall_ms"], m["rebalance_downtime_ms"]) == (0.0, 8.0)


# ---- committed lag -----------------------------------------------------------------------------
def test_lag_is_log_end_minus_committed_offset_over_time():
    """10 records at 0; committed 5 at 2.001 ms; 5 more at 3 ms; committed 15 at 4.001 ms; the
    run ends at 10 ms. Lag: 10 until 2.001 ms, 5 until 3 ms, 10 until 4.001 ms, then 0."""
    s = Story()
    s.commit(2_000, 0, 5)
    s.ledger.appended(3_000, 0, 5)
    s.commit(4_000, 0, 15)
    lag = lag_of(s)
    mean = (10 * 2_001 + 5 * 999 + 10 * 1_001) / 10_000
    assert (lag["log_end_offset"], lag["committed_offset"], lag["lag_records"]) == (15, 15, 0)
    assert (lag["lag_records_max"], lag["lag_records_mean"]) == (10, round(mean, 3))


def test_lag_in_time_is_the_age_of_the_oldest_uncommitted_record():
    """Committed to the log end at 1.001 ms; 5 records appended at 5 ms wait until the commit
    at 8.001 ms: the age runs 0 to 1.001 ms (the pre-loaded record 0, appended at 0), then 0,
    then 0 to 3.001 ms (record 10, appended at 5 ms), then 0 again."""
    s = Story()
    s.commit(1_000, 0, 10)
    s.ledger.appended(5_000, 0, 5)
    s.commit(8_000, 0, 15)
    lag = lag_of(s)
    area_us = 1_001**2 / 2 + 3_001**2 / 2  # two triangles under the age
    assert lag["lag_max_ms"] == 3.001
    assert lag["lag_mean_ms"] == round(area_us / 10_000 / 1000, 3)


def test_a_partition_never_committed_lags_by_its_whole_log_from_offset_zero():
    """kafka-consumer-groups shows no current offset; the lag counts from offset 0, where the
    group starts, and its age is the whole run."""
    s = Story(partitions=2)
    s.commit(1_000, 0, 10, p=0)
    lag = lag_of(s, partition=1)
    assert (lag["committed_offset"], lag["lag_records"], lag["lag_records_max"]) == (None, 10, 10)
    assert (lag["lag_records_mean"], lag["lag_max_ms"], lag["lag_mean_ms"]) == (10.0, 10.0, 5.0)


def test_expired_offsets_put_the_lag_back_to_the_whole_log():
    """The retention cleanup deletes the committed offset: from then on the partition lags as
    if never committed."""
    s = Story()
    s.commit(1_000, 0, 10)
    s.ledger.fault(6_000, "offsets-expired", -1, "partitions 0")
    lag = lag_of(s)
    assert (lag["committed_offset"], lag["lag_records"]) == (None, 10)
    assert lag["lag_records_mean"] == round((10 * 1_001 + 10 * 4_000) / 10_000, 3)


def test_a_regressing_commit_raises_the_lag_again():
    """Last write wins: committed 10 then 4, the lag goes back to 6."""
    s = Story()
    s.commit(1_000, 0, 10)
    s.commit(2_000, 0, 4)
    assert lag_of(s)["lag_records"] == 6


def test_the_summary_takes_the_worst_partition_and_the_mean_partition():
    """lag_records_max is the largest of any partition; lag_records_mean the mean of the
    partitions' time-averages."""
    s = Story(partitions=2)
    s.commit(5_000, 0, 10, p=0)
    m = s.check(at=10_000).summary()
    per = m["lag_by_partition"]
    assert m["lag_records_max"] == max(p["lag_records_max"] for p in per) == 10
    mean = (per[0]["lag_records_mean"] + per[1]["lag_records_mean"]) / 2
    assert m["lag_records_mean"] == pytest.approx(mean, abs=1e-3)


def walked_lag(ledger, end_us, partition):
    """The lag of one partition, event by event in Python: the reference. Events at one instant
    are applied together (a state that lasts no time is never observed)."""
    events = [(t, "append", e) for t, e in zip(
        ledger.append_us[partition], ledger.append_ends[partition], strict=True)]  # fmt: skip
    for request_id in ledger.applied:
        commit = ledger.commits[request_id]
        events += [(commit.applied_us, "commit", o) for p, o in commit.offsets if p == partition]
    events.sort(key=lambda e: e[0])  # stable: same-time events keep ledger order
    born = dict(zip(ledger.append_ends[partition], ledger.append_us[partition], strict=True))
    log_end = committed = 0
    peak = area = age_peak = age_area = 0
    times = [t for t, _, _ in events] + [end_us]
    for i, ((t, kind, value), next_t) in enumerate(zip(events, times[1:], strict=True)):
        if kind == "append":
            log_end = value
        else:
            committed = value
        if next_t == t and i < len(events) - 1:
            continue
        lag = log_end - committed
        peak, area = max(peak, lag), area + lag * (next_t - t)
        if lag > 0:
            appended = min(at for end, at in born.items() if end > committed)
            age_peak = max(age_peak, next_t - appended)
            age_area += ((t - appended) + (next_t - appended)) / 2 * (next_t - t)
    return peak, area / end_us, age_peak, age_area / end_us


@pytest.mark.parametrize("strategy", ["sync-per-batch", "auto", "async-retry-naive"])
def test_the_vectorised_lag_matches_a_walk_through_the_events(strategy):
    """Every partition at once, as numpy does it, equals one partition at a time in Python, on
    a run with a backlog, steady production, crashes and commit errors."""
    result = run(load_scenario("production-like"), seed=2, strategy=strategy)
    history = History(result.ledger)
    for lag in consumer_lag(history):
        peak, mean, age_peak, age_mean = walked_lag(result.ledger, history.end_us, lag.partition)
        assert lag.lag_records_max == peak
        assert lag.lag_records_mean == pytest.approx(mean, abs=1e-3)
        assert lag.lag_max_ms == age_peak / 1000
        assert lag.lag_mean_ms == pytest.approx(age_mean / 1000, abs=1e-3)


# ---- end-to-end latency ------------------------------------------------------------------------
def test_latency_runs_from_append_to_first_effect_and_preloaded_records_count_from_zero():
    """Ten pre-loaded records finish at 1.01..1.1 ms: p50 is the 5th (1.05 ms), p99 and max
    the 10th. Four records appended at 2 ms finish at 3.01..3.04 ms: their own latencies are
    1.01..1.04 ms, reported apart; a record never processed counts in neither."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.ledger.appended(2_000, 0, 5)
    s.process(3_000, 0, 10, 14)
    m = s.check(at=10_000).summary()
    assert (m["live_latency_p50_ms"], m["live_latency_p99_ms"], m["live_latency_max_ms"]) == (
        1.02, 1.04, 1.04,
    )  # fmt: skip
    every = sorted([1_010 + 10 * i for i in range(10)] + [1_010, 1_020, 1_030, 1_040])
    assert m["latency_p50_ms"] == every[6] / 1000  # nearest rank: the 7th of 14
    assert m["latency_max_ms"] == 1.1


def test_a_record_processed_twice_counts_its_first_effect():
    """The re-processing after a crash is a duplicate, not a longer wait."""
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    s.process(50_000, 0, 0, 10)
    assert s.check(at=90_000).summary()["latency_max_ms"] == 1.1


def test_no_record_produced_during_the_run_leaves_its_latency_empty():
    s = Story()
    s.start(0, 0)
    s.process(1_000, 0, 0, 10)
    m = s.check().summary()
    assert m["live_latency_p50_ms"] is None and m["latency_p50_ms"] == 1.05


@pytest.mark.parametrize("parts", [1, 3, 7])
def test_the_bisection_over_sorted_pieces_finds_the_nearest_ranks_of_a_full_sort(parts):
    """Beyond _MERGE_LIMIT values the pieces are sorted one by one and each quantile found by
    bisection: the same values as sorting them all together, unprocessed records left out."""
    rng = np.random.default_rng(parts)
    pieces = [rng.integers(0, 10**9, _MERGE_LIMIT // parts + 1000) for _ in range(parts)]
    for piece in pieces:
        piece[rng.integers(0, len(piece), 50)] = NEVER
    values = np.sort(np.concatenate(pieces))
    values = values[values != NEVER]
    n = len(values)
    expected = [int(values[max(int(np.ceil(q * n)), 1) - 1]) for q in (0.5, 0.99, 1.0)]
    assert _nearest_ranks(pieces, (0.5, 0.99, 1.0)) == expected
