"""The librdkafka consumer and the pre-KAFKA-18641 Java new consumer driven by hand: the offset
store, the background auto-commit timer, commit retries and deferral, and what revoke, lost and
close commit (SEMANTICS.md §2, §3; docs/model.md)."""

from sim.model.commands import Later, Process, Processed, ReadLog, Send, Stopped, Wait
from sim.model.consumer import Consumer, NullObserver
from sim.model.java_new_prefix import JavaNewPrefixConsumer
from sim.model.librdkafka import LibrdkafkaConsumer
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    OffsetFetchResponse,
    SyncResponse,
)
from sim.strategies import make_strategy

from .test_consumer import S, Script, config


class Client(Script):
    """A Script driving another client model."""

    def __init__(self, strategy, model=LibrdkafkaConsumer, **changes):
        strategy = make_strategy(strategy)
        self.consumer = model(0, "m", config(**changes), strategy, NullObserver())
        self.loop = self.consumer.run()
        self.command = next(self.loop)

    def hand_over(self, log_end, now=0) -> Process:
        """Answer ReadLog: the batch is handed to the application, not yet processed."""
        assert isinstance(self.command, ReadLog)
        self.reply((log_end,), now)
        return self.skip_points()

    def commit_ok(self, send: Send) -> list:
        return self.consumer.on_response(send.request_id, CommitResponse(None))

    def tick(self, progress=None) -> Send | None:
        """The auto-commit timer fires: its request, if any."""
        out = self.consumer.auto_commit_tick(progress)
        out = [out] if isinstance(out, Send) else out or ()
        sends = [c for c in out if isinstance(c, Send)]
        return sends[0] if sends else None

    def served(self) -> Send:
        """The client's thread serves the application's queued commit() (it blocked)."""
        (send,) = self.consumer.serve_ops()
        return send


def test_auto_offset_store_stores_at_hand_over_not_after_processing():
    """enable.auto.offset.store=true: consume(10) stores offset+1 of all ten records as they
    are handed over; with auto-store-after-process nothing is stored until processed."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    assert s.consumer.stored == {0: 10}

    s = Client("auto-store-after-process")
    s.join(committed=0)
    s.hand_over(30)
    assert s.consumer.stored == {}
    s.reply(Processed(10, False))
    assert s.consumer.stored == {0: 10}


def test_timer_mid_batch_commits_the_stored_offsets():
    """The timer fires while record 4 of 10 is processed: `auto` commits all ten handed over;
    storing after processing commits the four finished ones."""
    expected = {"auto": ((0, 10),), "auto-store-after-process": ((0, 4),)}
    for strategy, offsets in expected.items():
        s = Client(strategy)
        s.join(committed=0)
        process = s.hand_over(30, now=S)
        send = s.tick(progress=(process.slices, 4))
        assert send.request == OffsetCommit("m", 1, offsets), strategy


def test_timer_commits_only_while_steady():
    """Nothing before the first assignment, nothing once a rebalance is announced (the join
    state is no longer steady), and nothing without enable.auto.commit."""
    s = Client("auto")
    assert s.tick() is None  # not joined
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_rebalance_notice()
    assert s.tick() is None
    s = Client("sync-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    assert s.tick() is None


def test_timer_commits_only_stored_offsets_above_the_committed_ones():
    """After a commit succeeds the client knows the offset is committed and the next tick sends
    nothing; an offset fetched at assignment counts as committed too."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    s.commit_ok(send)
    assert s.consumer.committed == {0: 10}
    assert s.tick() is None

    s = Client("auto")
    s.join(committed=7)
    assert s.tick() is None  # nothing stored yet, 7 is committed


def test_java_classic_has_no_timer_and_the_new_consumer_prefix_commits_positions():
    """The Java classic consumer commits inside poll() only; the Java new consumer before
    KAFKA-18641 commits the positions from its background thread, mid-batch."""
    assert not Consumer.auto_commit_on_timer
    s = Client("auto", model=JavaNewPrefixConsumer)
    s.join(committed=0)
    process = s.hand_over(30)
    send = s.tick(progress=(process.slices, 4))
    assert send.request == OffsetCommit("m", 1, ((0, 10),))


def test_revoke_commits_the_stored_offsets_then_rejoins():
    """A rebalance: the removed partitions' stored offsets are committed (awaited), then the
    JoinGroup goes out; no positions are committed at the start of poll() as Java does."""
    s = Client("auto-store-after-process")
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_rebalance_notice()
    s.reply(Processed(10, False))
    send = s.skip_points()
    assert isinstance(send, Send) and send.request == OffsetCommit("m", 1, ((0, 10),))
    assert isinstance(s.reply(), Wait)  # the rejoin waits for the commit
    s.commit_ok(send)
    s.reply()
    assert isinstance(s.skip_points().request, JoinGroup)
    assert s.consumer.stored == {}  # reset at unassign (librdkafka issue #2782)


def test_a_lost_assignment_commits_nothing():
    """ILLEGAL_GENERATION on a timer commit while steady: the generation is forgotten, the
    assignment is lost, and the rejoin revokes without committing."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    assert s.consumer.on_response(send.request_id, CommitResponse("ILLEGAL_GENERATION")) == []
    assert s.consumer.generation == -1 and s.consumer.rejoin_needed
    s.reply(Processed(10, False))
    assert isinstance(s.skip_points().request, JoinGroup)


def test_a_request_is_retried_twice_with_its_own_generation_then_fails():
    """rd_kafka_buf_retry: up to two retries of the same request, after retry.backoff.ms and
    twice that; then the commit fails (async commits too, unlike Java)."""
    s = Client("async-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    list(s.consumer.commit_async(((0, 5),)))
    send = s.served()
    at = []
    for _ in range(2):
        (later,) = s.consumer.on_response(send.request_id, CommitResponse("REQUEST_TIMED_OUT"))
        assert isinstance(later, Later)
        at.append(later.at_us)
        (retry,) = s.consumer.on_timer(later.key)
        assert retry.request is send.request and retry.request_id != send.request_id
        send = retry
    assert at == [100_000, 200_000]
    assert s.consumer.on_response(send.request_id, CommitResponse("REQUEST_TIMED_OUT")) == []
    assert s.consumer.completed_async[0].error == "REQUEST_TIMED_OUT"


def test_a_coordinator_error_marks_the_coordinator_dead_and_retries_wait_for_it():
    """NOT_COORDINATOR on a commit (rd_kafka_handle_OffsetCommit: Refresh|Retry|Special):
    rd_kafka_cgrp_coord_dead marks the coordinator unknown (the driver looks it up), and the
    request retry that comes due meanwhile waits for the connection: it is the same request,
    sent when the coordinator is found."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    (later,) = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert not s.consumer.coordinator_known
    assert s.consumer.on_timer(later.key) == []  # no coordinator: the retry waits
    (retry,) = s.consumer.on_coordinator_found()
    assert retry.request is send.request


def test_a_commit_made_with_no_coordinator_known_is_deferred_before_any_request():
    """rd_kafka_cgrp_offsets_commit: the cgrp is not UP, so the operation is deferred
    (rd_kafka_cgrp_defer_offset_commit) without a request; it is sent when the coordinator is
    back, with the member id and generation current then; the rejoin waits for it."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.coordinator_known = False
    out = s.consumer.auto_commit_tick()
    assert [type(c) for c in out] == [Later] and s.consumer.open_ops == 1
    assert out[0].at_us == 45 * S  # session.timeout.ms
    s.consumer.generation = 2
    (deferred,) = s.consumer.on_coordinator_found()
    assert deferred.request == OffsetCommit("m", 2, ((0, 10),))


def test_a_deferral_outliving_the_session_timeout_fails_the_commit():
    """rd_kafka_cgrp_timeout_scan: a deferred commit still waiting session.timeout.ms later
    fails (__WAIT_COORD), and the operation is no longer outstanding."""
    s = Client("async-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.coordinator_known = False
    list(s.consumer.commit_async(((0, 5),)))
    (timeout,) = s.consumer.serve_ops() + s.consumer.take_laters()
    assert s.consumer.open_ops == 1
    s.consumer.on_timer(timeout.key)
    assert s.consumer.open_ops == 0 and s.consumer.completed_async[0].error == "WAIT_COORD"


def test_a_deferred_commit_is_sent_with_the_then_current_generation():
    """NOT_COORDINATOR three times (the request and its two retries): the commit is deferred
    once until the coordinator is back and sent anew with the member's generation at that time,
    here forgotten after another commit was fenced meanwhile; failing again, it fails."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    first = s.tick()
    second = s.tick()  # nothing acknowledged yet: the same offsets again
    send = first
    for _ in range(2):
        (later,) = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
        s.consumer.on_timer(later.key)
        (send,) = s.consumer.on_coordinator_found()
        assert send.request.generation == 1
    out = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert [type(c) for c in out] == [Later] and s.consumer.open_ops == 2  # deferred
    s.consumer.on_response(second.request_id, CommitResponse("ILLEGAL_GENERATION"))
    (deferred,) = s.consumer.on_coordinator_found()
    assert deferred.request == OffsetCommit("m", -1, ((0, 10),))
    for _ in range(2):
        (later,) = s.consumer.on_response(deferred.request_id, CommitResponse("NOT_COORDINATOR"))
        s.consumer.on_timer(later.key)
        (deferred,) = s.consumer.on_coordinator_found()
    assert s.consumer.on_response(deferred.request_id, CommitResponse("NOT_COORDINATOR")) == []
    assert s.consumer.open_ops == 0


def test_close_after_a_processing_error_commits_what_was_stored():
    """A poison record after 4 of 10: close() commits the stored offsets, so `auto` commits
    the unprocessed rest (a loss) and storing after processing commits the four."""
    expected = {"auto": ((0, 10),), "auto-store-after-process": ((0, 4),)}
    for strategy, offsets in expected.items():
        s = Client(strategy)
        s.join(committed=0)
        s.hand_over(30)
        s.reply(Processed(4, True))
        send = s.skip_points()
        assert send.request == OffsetCommit("m", 1, offsets), strategy
        s.reply()
        s.commit_ok(send)
        s.reply()
        assert isinstance(s.command.request, LeaveGroup)
        assert s.reply() == Stopped("error")


# ---- rebalance callback, queued commit operations, consume(n) -----------------------------------
def test_without_a_rebalance_callback_the_thread_revokes_mid_batch_and_rejoins_itself():
    """rd_kafka_rebalance_op with no rebalance_cb: the client's thread unassigns as soon as it
    hears of the rebalance, while the application is still processing: the stored offsets (4 of
    10 processed) are committed, and the JoinGroup goes once that commit is done."""
    s = Client("auto-store-after-process", rebalance_callback=False)
    s.join(committed=0)
    process = s.hand_over(30)
    s.consumer._mark_processed(process.slices, 4)  # four records finished so far
    (commit,) = s.consumer.on_rebalance_notice()
    assert commit.request == OffsetCommit("m", 1, ((0, 4),))
    assert s.consumer.assignment == ()  # mid-batch: the application was told nothing
    (join,) = s.commit_ok(commit)
    assert isinstance(join.request, JoinGroup)


def test_with_a_rebalance_callback_the_revoke_waits_for_the_application_s_next_poll():
    """With rebalance_cb (confluent-kafka always registers one) the partitions are paused and
    the revoke is served at the application's next poll: nothing happens at the notice."""
    s = Client("auto-store-after-process")
    s.join(committed=0)
    s.hand_over(30)
    assert s.consumer.on_rebalance_notice() == []
    assert s.consumer.assignment == (0,)


def test_the_rejoin_waits_for_outstanding_commits():
    """rd_kafka_assignment_serve: the unassign is done, and the JoinGroup sent, only once
    wait_commit_cnt is 0: an async commit still in flight holds the rejoin."""
    s = Client("async-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_rebalance_notice()
    s.reply(Processed(10, False))
    send = s.skip_points()  # the queued commit, served before the revoke (one queue)
    assert send.request == OffsetCommit("m", 1, ((0, 10),))
    s.reply()
    assert isinstance(s.skip_points(), Wait)  # revoked; no JoinGroup while it is outstanding
    s.commit_ok(send)
    s.reply()
    assert isinstance(s.skip_points().request, JoinGroup)


def test_revoke_commits_the_stored_offsets_only_with_auto_commit():
    """rd_kafka_assignment_serve_removals commits the removed partitions' stored offsets only
    with enable.auto.commit=true: a manual-commit application's revoke sends no commit of its
    own (here only the application's queued commit goes, then the JoinGroup)."""
    s = Client("async-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_rebalance_notice()
    s.reply(Processed(10, False))
    send = s.skip_points()  # the application's own commit, queued before the revoke
    s.commit_ok(send)
    s.reply()
    assert isinstance(s.skip_points().request, JoinGroup)


def test_a_queued_no_argument_commit_reads_the_stored_offsets_when_served():
    """rd_kafka_commit0 only enqueues the operation; the thread reads the stored offsets when it
    serves it. commit(asynchronous=True) after batch 1, then consume() hands over batch 2 and
    stores its offsets before the application blocks: the commit covers batch 2."""
    s = Client("async-then-sync")
    s.join(committed=0)
    s.hand_over(30)
    s.reply(Processed(10, False))
    s.skip_points()
    assert s.consumer.ops_queue and not s.consumer.inflight_async  # nothing on the wire yet
    s.reply((30,))  # the next consume() hands over batch 2
    assert s.served().request == OffsetCommit("m", 1, ((0, 20),))


def test_consume_n_waits_for_n_records_or_its_timeout():
    """rd_kafka_q_serve_rkmessages returns once n messages are there or the timeout passed: 4
    of 10 wait, and come back at the timeout."""
    s = Client("sync-per-batch")
    s.join(committed=0)
    assert isinstance(s.reply((4,), now=0), Wait)
    process = s.reply(None, now=100_000)
    assert isinstance(process, ReadLog)
    s.reply((4,), now=100_000)
    assert s.skip_points().slices == ((0, 0, 4),)


def test_each_fetch_starts_at_a_rotating_partition():
    """rkb_active_toppar_next: a fetch starts one partition further than the last one, so the
    consumer queue holds p0's new records, then p1's, and the next fetch p1's before p0's."""
    s = Client("sync-per-batch", partitions=2, max_poll_records=4)
    c = s.consumer
    c.assignment, c.positions, c.state = (0, 1), {0: 0, 1: 0}, "STABLE"
    c.poll_deadline_us = 1
    c.now = 1
    assert c._take((2, 2)) == ((0, 0, 2), (1, 0, 2))
    assert c._take((4, 4)) == ((1, 2, 4), (0, 2, 4))


def _assigned_three(started=None):
    """A consumer assigned p0..p2 (committed 0) whose broker thread's first pass finds the
    `started` highest partitions started (None: not drawn, 1)."""
    s = Client("sync-per-batch", partitions=3, max_poll_records=4)
    if started is not None:
        s.consumer.fetch_race = lambda n: started
    assert isinstance(s.command.request, JoinGroup)
    s.reply(JoinResponse(None, 1, "m", ("m",)), 0)
    s.reply(SyncResponse(None, (0, 1, 2)), 0)
    assert isinstance(s.command.request, OffsetFetch)
    s.reply(OffsetFetchResponse((0, 0, 0)), 0)
    s.reply((4, 4, 4), 0)
    return s


def _next_batches(s, count):
    c = s.consumer
    c.now = c.poll_deadline_us = 1
    return [c._take((4, 4, 4))[0][0] for _ in range(count)]


def test_a_new_assignment_fetches_its_highest_partition_first():
    """rd_kafka_assignment_serve_pending starts the fetchers backwards: when the broker thread
    sees only the first one started, the highest partition heads its fetch list, so the first
    batch after an assignment is p2's, then p0's and p1's (the conformance scenario
    commit-before-process-mid-batch)."""
    s = _assigned_three()
    assert s.skip_points().slices == ((2, 0, 4),)
    assert _next_batches(s, 2) == [0, 1]


def test_when_the_broker_thread_finds_every_fetcher_started_p0_comes_first():
    """The other end of the race between the client's main thread and the broker thread: all
    three started before its pass, so they join the fetch list in partition order; two of them,
    p1 and p2, then p0."""
    s = _assigned_three(started=3)
    assert s.skip_points().slices == ((0, 0, 4),)
    assert _next_batches(s, 2) == [1, 2]
    s = _assigned_three(started=2)
    assert s.skip_points().slices == ((1, 0, 4),)
    assert _next_batches(s, 2) == [2, 0]
