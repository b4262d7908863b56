"""Async processing driven by hand: the poll loop hands batches to a worker queue and is told of
the worker's progress (docs/model.md, Asynchronous processing)."""

from sim.model.commands import AwaitWorker, Call, HandOff, ReadLog, Send, Wait
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    OffsetCommit,
    OffsetFetchResponse,
    SyncResponse,
)

from .test_consumer import S, Script
from .test_cooperative_static import Loop


def async_script(strategy, **changes):
    s = Script(strategy, processing="async", **changes)
    s.join()
    return s


def hand_off(s, log_end):
    """Answer the poll's ReadLog and the hand-off it leads to; return the next command."""
    s.reply((log_end,), now=S)
    assert isinstance(s.skip_points(), HandOff)
    s.reply()
    return s.skip_points()


def test_a_batch_is_handed_off_and_committed_before_the_worker_ran_it():
    """The loop hands the batch to the worker and goes on: a strategy written for sync
    processing commits the batch end while nothing is processed yet (the lesson)."""
    s = async_script("sync-per-batch")
    s.reply((10,), now=S)
    assert s.skip_points() == HandOff(((0, 0, 10),))
    s.reply()
    commit = s.skip_points()
    assert isinstance(commit, Call) and commit.request == OffsetCommit("m", 1, ((0, 10),))
    consumer = s.consumer
    assert consumer.queued_records() == 10 and consumer.processed_offsets() == ()
    consumer.on_worker_progress(4)  # the worker finished offsets 0..3, FIFO
    assert consumer.queued_records() == 6 and consumer.processed_offsets() == ((0, 4),)
    consumer.on_worker_progress(6)
    assert consumer.queued_records(0) == 0 and consumer.processed_offsets() == ((0, 10),)


def test_a_full_queue_blocks_the_loop_on_put():
    """BlockingQueue.put: the loop goes on only once at most `worker_queue_records` handed-off
    records are unfinished."""
    s = async_script("auto", worker_queue_records=4)
    assert hand_off(s, 10) == AwaitWorker(4)


def test_java_auto_commit_commits_what_was_handed_off():
    """Auto commit names positions: everything poll() returned, queued or processed
    (docs/semantics.md §2)."""
    s = async_script("auto")
    assert isinstance(hand_off(s, 10), ReadLog)
    s.consumer.on_worker_progress(3)
    s.reply((10,), now=S)  # the next poll: nothing new
    s.reply(None, now=6 * S)  # the poll wakes when the auto-commit interval is due
    assert isinstance(s.command, Send) and s.command.request.offsets == ((0, 10),)


def test_the_right_strategy_pauses_then_resumes_and_commits_the_completed_frontier():
    """async-worker-commit-completed: a queue too full for another poll pauses the partition
    (poll returns nothing of it); once the worker caught up it resumes and commits, per
    partition, what the worker completed."""
    s = async_script("async-worker-commit-completed", worker_queue_records=15)
    assert isinstance(hand_off(s, 10), ReadLog)
    assert s.consumer.paused == {0}  # 10 queued > 15 - max.poll.records (10)
    assert isinstance(s.reply((30,), now=S), Wait)  # paused: 20 new records, none returned
    s.consumer.on_worker_progress(7)
    s.reply(None, now=S + 100_000)  # the poll timeout ...
    s.reply((30,))  # ... the last look at the log: an empty batch, then after_batch
    assert s.consumer.paused == set()
    commit = s.skip_points()
    assert isinstance(commit, Send) and commit.request.offsets == ((0, 7),)


def test_the_right_strategy_waits_for_the_worker_before_its_final_commit():
    """In `finally`, the application waits for the worker to finish the queue, then commits
    what was completed: nothing handed off and unfinished is committed."""
    s = async_script("async-worker-commit-completed", worker_queue_records=100)
    assert isinstance(hand_off(s, 10), ReadLog)
    s.consumer.on_worker_progress(2)
    s.reply((10,), now=S)
    assert isinstance(s.command, Wait)
    s.reply(None, now=S + 100_000)
    s.reply((10,))  # an empty poll; after_batch commits the frontier
    commit = s.skip_points()
    assert isinstance(commit, Send) and commit.request.offsets == ((0, 2),)
    s.consumer.close_requested = True
    s.reply()
    assert s.skip_points() == AwaitWorker(0)
    s.consumer.on_worker_progress(8)
    s.reply(None, now=2 * S)
    commit = s.skip_points()
    assert isinstance(commit, Call) and commit.request.offsets == ((0, 10),)
    s.reply(CommitResponse(None))


def test_progress_of_a_revoked_tenure_is_not_processed():
    """The naive worker goes on with a revoked partition's queued records; that progress no
    longer counts as the consumer's processed offsets (a new tenure starts from its own
    position)."""
    s = async_script("sync-per-batch")
    hand_off(s, 10)
    consumer = s.consumer
    list(consumer.revoke(lost=False))
    consumer.on_worker_progress(10)
    assert consumer.processed == {} and consumer.queued_records() == 0


def test_a_cooperative_rebalance_keeps_the_retained_partitions_queue_and_pause():
    """Cooperative: only the moved partition is revoked. The retained ones keep their queued
    records and stay paused (SubscriptionState.assignFromSubscribed); the naive worker still
    finishes the revoked partition's queued records, which no longer count as processed."""
    changes = {"partitions": 3, "max_poll_records": 100, "processing": "async"}
    m = Loop("auto", assignor="cooperative-sticky", **changes)
    m.reply()
    m.idle((), JoinResponse(None, 1, "other"))
    m.reply()
    m.idle((), SyncResponse(None, (0, 1, 2)))
    m.reply(OffsetFetchResponse((0, 0, 0)))
    assert m.reply((10, 10, 10)) == HandOff(((0, 0, 10), (1, 0, 10), (2, 0, 10)))
    m.reply()  # the loop polls on at once
    consumer = m.consumer
    consumer.paused = {0, 2}
    consumer.on_rebalance_notice()
    m.idle((10, 10, 10))  # nothing new: the poll waits, and the notice wakes it
    assert isinstance(m.command.request, OffsetCommit)  # onJoinPrepare's auto commit
    m.reply(CommitResponse(None))
    assert isinstance(m.command.request, JoinGroup)
    m.reply()
    m.idle((10, 10, 10), JoinResponse(None, 2, "other"))
    m.reply()
    m.idle((10, 10, 10), SyncResponse(None, (0, 1)))
    assert consumer.assignment == (0, 1) and consumer.paused == {0}
    assert consumer.queued_records(0) == consumer.queued_records(1) == 10
    consumer.on_worker_progress(30)
    assert consumer.processed_offsets() == ((0, 10), (1, 10)) and 2 not in consumer.processed
