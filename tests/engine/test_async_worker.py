"""The worker thread of async processing in the simpy driver: one timeout per queued slice,
progress found by searchsorted, the queue lost with the process."""

import numpy as np

from sim import run
from sim.engine.draws import PROCESSING, KeyedDraws

from .test_simulation import scenario

CRASH_US = 9_000_000


def async_scenario(strategy, faults=(), **tables):
    consumer = {"processing": "async", "worker_queue_records": 300}
    return scenario(strategy, faults, consumer=consumer, **tables)


def crash(**fault):
    return [{"kind": "crash", "consumer": 0, "at_ms": CRASH_US // 1000, **fault}]


def crashed_instance(ledger):
    (instance,) = [i for i, stop in ledger.stops.items() if stop.how == "crash"]
    return instance


def test_the_worker_finishes_exactly_the_records_done_by_the_crash():
    """A crash cuts the slice in progress where its cumulative processing times pass the crash
    time (searchsorted): the records finished by then are effects, and the next record, started
    when the last one finished, would have finished after the crash."""
    s = async_scenario("auto", crash(), topic={"initial_records": 20_000})
    ledger = run(s).ledger
    mine = [seg for seg in ledger.segments if seg.instance == crashed_instance(ledger)]
    cut = max(mine, key=lambda seg: seg.last_us)
    assert cut.last_us <= CRASH_US
    draws = KeyedDraws(s.run.seed, PROCESSING, s.consumer.processing_ms)
    next_record_us = int(draws.range((cut.partition, 0), cut.end, cut.end + 1)[0])
    assert cut.last_us + next_record_us > CRASH_US


def test_the_queue_is_lost_with_the_process():
    """Records handed to the worker and still queued at the crash die with it. sync-per-batch,
    written for sync processing, committed each batch's end right after the hand-off, so every
    lost record is one the crashed instance was handed and never finished."""
    result = run(async_scenario("sync-per-batch", crash(), topic={"initial_records": 20_000}))
    ledger = result.ledger
    instance = crashed_instance(ledger)
    handed = {
        (d.partition, o) for d in ledger.deliveries if d.instance == instance
        for o in range(d.start, d.end)
    }  # fmt: skip
    finished = {
        (s.partition, o) for s in ledger.segments if s.instance == instance
        for o in range(s.start, s.end)
    }  # fmt: skip
    lost = {
        (p, int(o)) for p in range(ledger.partitions)
        for o in np.flatnonzero(ledger.effects_per_offset(p) == 0)
    }  # fmt: skip
    assert result.ok and lost and lost <= handed - finished


def test_the_worker_meets_the_same_processing_times_as_sync_processing():
    """The worker draws a slice's times when it starts it, keyed as sync processing draws them
    (common random numbers): the first processing of each record takes as long either way."""

    def first_durations(processing):
        ledger = run(scenario("sync-per-batch", consumer={"processing": processing})).ledger
        segment = next(s for s in ledger.segments if s.partition == 0 and s.start == 0)
        return np.diff(ledger.first_effect_us(0)[segment.start : segment.end])

    assert np.array_equal(first_durations("sync"), first_durations("async"))


def test_async_runs_are_deterministic():
    """Same scenario and seed, same trace digest, with the worker's extra process."""
    s = async_scenario("async-worker-commit-completed", crash(restart_after_ms=500))
    assert run(s).summary()["trace_digest"] == run(s).summary()["trace_digest"]


def test_a_clean_close_drops_the_naive_queue_and_the_right_strategy_drains_it():
    """A leave: close()'s auto commit names positions and the process exits with the queue, so
    the naive application loses it; waiting for the worker before the final commit loses
    nothing and processes nothing twice."""
    leave = [{"kind": "leave", "consumer": 0, "at_ms": 9_000, "restart_after_ms": 500}]
    topic = {"initial_records": 20_000}
    naive = run(async_scenario("auto", leave, topic=topic)).summary()
    fixed = run(async_scenario("async-worker-commit-completed", leave, topic=topic)).summary()
    assert naive["lost"] > 0
    assert (fixed["lost"], fixed["duplicated_records"]) == (0, 0)


def test_the_worker_records_one_segment_per_slice_it_was_handed():
    """Batch-level events: with nothing cutting a slice short (no crash, no blocked put, no
    rebalance mid-queue), each delivered slice is processed as one timeout and recorded as one
    segment, whatever its size."""
    s = async_scenario("async-worker-commit-completed", topic={"initial_records": 5_000})
    ledger = run(s).ledger
    slices = [(d.partition, d.start, d.end) for d in ledger.deliveries]
    segments = [(s.partition, s.start, s.end) for s in ledger.segments]
    assert sorted(segments) == sorted(slices) and len(slices) > 20


def test_members_that_find_the_group_drained_together_end_the_run_once():
    """The worker finishes during the poll, which nothing wakes: two members handed records at
    the producer's last tick wait out the same poll timeout and find the group drained at the
    same instant. The first ends the run (this once succeeded the run's end event twice)."""
    result = run(async_scenario("auto", topic={"produce_rate_per_s": 100}))
    assert result.ok and result.report.metrics.quiesced
