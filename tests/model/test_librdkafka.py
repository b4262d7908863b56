"""The librdkafka consumer and the pre-KAFKA-18641 Java new consumer driven by hand: the offset
store, the background auto-commit timer, commit retries and deferral, and what revoke, lost and
close commit (docs/semantics.md §2, §3; docs/model.md)."""

import pytest

from sim.model.commands import (
    CommitResult,
    CommitSync,
    Later,
    Process,
    Processed,
    ReadLog,
    Send,
    Stopped,
    Wait,
)
from sim.model.consumer import Consumer, NullObserver
from sim.model.java_new_prefix import JavaNewPrefixConsumer
from sim.model.librdkafka import LibrdkafkaConsumer
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    ListOffsets,
    ListOffsetsResponse,
    OffsetCommit,
    OffsetFetch,
    OffsetFetchResponse,
    Subscription,
    SyncGroup,
    SyncResponse,
)
from sim.strategies import make_strategy

from .test_consumer import Revokes, S, Script, config


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


def test_a_coordinator_error_marks_the_coordinator_dead_and_a_retry_due_after_it_is_found_goes():
    """NOT_COORDINATOR on a commit (rd_kafka_handle_OffsetCommit: Refresh|Retry|Special):
    rd_kafka_cgrp_coord_dead marks the coordinator unknown (the driver looks it up); found again
    before the retry's backoff ran out, the retry's timer sends the same request."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    (later,) = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert not s.consumer.coordinator_known
    assert s.consumer.on_coordinator_found() == []
    (retry,) = s.consumer.on_timer(later.key)
    assert retry.request is send.request


def test_a_retry_queued_while_the_coordinator_was_unknown_fails_when_it_is_found():
    """A retry due while no coordinator is known waits in the coordinator broker's output queue;
    setting the found coordinator's address closes that connection attempt and fails it with a
    transport error (rd_kafka_broker_set_nodename, rd_kafka_broker_fail): the coordinator is
    dead again and the unsent request is retried after its backoff, its retry count unchanged
    (rd_kafka_buf_retry). It goes once a lookup beats the backoff; two answers still fail it."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    (later,) = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    for at in (1 * S, 2 * S):  # the lookup was slower than the backoff: the retry is queued
        s.consumer.now = at - 100_000
        assert s.consumer.on_timer(later.key) == []
        s.consumer.now = at
        (later,) = s.consumer.on_coordinator_found()
        assert not s.consumer.coordinator_known and later.at_us == at + 100_000
    assert s.consumer.on_coordinator_found() == []  # a lookup faster than the backoff
    (retry,) = s.consumer.on_timer(later.key)
    assert retry.request is send.request
    (later,) = s.consumer.on_response(retry.request_id, CommitResponse("NOT_COORDINATOR"))
    s.consumer.on_coordinator_found()
    (last,) = s.consumer.on_timer(later.key)  # the second retry
    out = s.consumer.on_response(last.request_id, CommitResponse("NOT_COORDINATOR"))
    assert [type(c) for c in out] == [Later] and s.consumer.open_ops == 1  # then deferred


def test_librdkafka_a_lookup_waits_for_the_held_fetch_unless_nothing_is_fetched():
    """rd_kafka_cgrp_coord_dead queries at once, on the least idle connection
    (rd_kafka_broker_weight_usable): the partition leader's, behind the Fetch it holds up to
    fetch.wait.max.ms (500 ms); the driver draws the share waited. With no partition assigned
    nothing is held. A failed lookup is repeated every 500 ms (rd_kafka_cgrp_serve)."""
    s = Client("auto")
    s.join(committed=0)
    s.consumer.lookup_race = lambda: 0.25
    s.consumer._coordinator_lost("NOT_COORDINATOR")
    assert s.consumer.coordinator_lookup_delay_us() == 125_000
    assert s.consumer.coordinator_lookup_delay_us() == 500_000  # the query failed: re-query
    s.consumer.on_coordinator_found()
    s.consumer.assignment = ()
    s.consumer._coordinator_lost("NOT_COORDINATOR")
    assert s.consumer.coordinator_lookup_delay_us() == 0


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
    assert s.consumer.open_ops == 0
    # offset_commit_cb gets the offsets of the operation and the error
    result = CommitResult(((0, 5),), "WAIT_COORD", s.consumer.commit_sequence)
    assert list(s.consumer.completed_async) == [result]


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
        s.consumer.on_coordinator_found()
        (send,) = s.consumer.on_timer(later.key)
        assert send.request.generation == 1
    out = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert [type(c) for c in out] == [Later] and s.consumer.open_ops == 2  # deferred
    s.consumer.on_response(second.request_id, CommitResponse("ILLEGAL_GENERATION"))
    (deferred,) = s.consumer.on_coordinator_found()
    assert deferred.request == OffsetCommit("m", -1, ((0, 10),))
    for _ in range(2):
        (later,) = s.consumer.on_response(deferred.request_id, CommitResponse("NOT_COORDINATOR"))
        s.consumer.on_coordinator_found()
        (deferred,) = s.consumer.on_timer(later.key)
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
        assert s.command.request == LeaveGroup("m")
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
    sent = s.consumer.on_rebalance_notice()
    assert [c.request for c in sent] == [OffsetCommit("m", 1, ((0, 4),))]  # no JoinGroup yet
    (commit,) = sent
    assert s.consumer.assignment == ()  # mid-batch: the application was told nothing
    (join,) = s.commit_ok(commit)
    assert isinstance(join.request, JoinGroup)
    assert join.request_id == s.consumer.group_request  # the id its answer is matched by
    assert s.consumer._maybe_join() == []  # one JoinGroup in flight at a time


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


# ---- the rules mutation testing found unpinned (reports/mutation.md) ---------------------------
def sends(commands) -> list:
    return [c.request for c in commands or () if isinstance(c, Send)]


def test_librdkafka_thread_revoke_commits_stored_offsets_only_with_auto_commit():
    """No rebalance callback, rd_kafka_assignment_serve_removals: a manual-commit application's
    unassign commits nothing (enable.auto.commit=false); the rejoin goes at once."""
    s = Client("async-per-batch", rebalance_callback=False)
    s.join(committed=0)
    s.hand_over(30)
    assert s.consumer.stored == {0: 10}
    (join,) = sends(s.consumer.on_rebalance_notice())
    assert isinstance(join, JoinGroup)


def test_librdkafka_lost_assignment_commits_nothing_on_the_thread_revoke():
    """No rebalance callback: a heartbeat's UNKNOWN_MEMBER_ID loses the assignment
    (rd_kafka_cgrp_handle_Heartbeat, assignment lost): the unassign commits nothing even with
    auto commit, and the thread rejoins with a new member id."""
    s = Client("auto", rebalance_callback=False)
    s.join(committed=0)
    s.hand_over(30)
    (join,) = sends(s.consumer.on_heartbeat_error("UNKNOWN_MEMBER_ID"))
    assert isinstance(join, JoinGroup) and join.member_id != "m"
    assert s.consumer.assignment == () and s.consumer.generation == -1


def test_librdkafka_poll_timeout_leaves_and_loses_the_assignment_and_waits_for_the_poll():
    """rd_kafka_cgrp_max_poll_interval_check_tmr_cb: LeaveGroup (dynamic member), the member
    id forgotten, the assignment revoked as lost (no commit of the stored offsets), and no
    rejoin until the application polls again (rd_kafka_cgrp_join checks MAX_POLL_EXCEEDED)."""
    s = Client("auto", rebalance_callback=False, rebalance_timeout_us=10 * S)
    s.join(committed=0)
    s.hand_over(30, now=S)
    consumer = s.consumer
    consumer.now = 11 * S
    assert sends(consumer.on_poll_timeout()) == [LeaveGroup("m")]
    assert consumer.assignment == () and consumer.generation == -1
    assert not consumer.background_join and consumer.needs_join_prepare
    assert not consumer.heartbeating()


def test_librdkafka_poll_timeout_with_a_callback_revokes_at_the_next_poll():
    """With a rebalance callback the poll timeout only leaves; the application's next poll
    revokes the partitions as lost and rejoins."""
    s = Client("auto", rebalance_timeout_us=10 * S)
    s.join(committed=0)
    s.hand_over(30, now=S)
    s.consumer.now = 11 * S
    assert sends(s.consumer.on_poll_timeout()) == [LeaveGroup("m")]
    assert s.consumer.assignment == (0,)


def steady_commit(error, rebalance_callback=True):
    """A steady member's timer commit answered with `error`: (client, thread's commands)."""
    s = Client("auto", rebalance_callback=rebalance_callback)
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    return s, s.consumer.on_response(send.request_id, CommitResponse(error))


def test_librdkafka_commit_unknown_member_id_forgets_the_member_and_loses_the_assignment():
    """rd_kafka_cgrp_op_handle_OffsetCommit: UNKNOWN_MEMBER_ID resets the member id and
    rejoins with the assignment lost: without a callback the thread unassigns now, committing
    nothing, and rejoins as a new member."""
    s, out = steady_commit("UNKNOWN_MEMBER_ID", rebalance_callback=False)
    (join,) = sends(out)
    assert isinstance(join, JoinGroup) and join.member_id != "m"
    assert s.consumer.assignment == () and s.consumer.generation == -1


def test_librdkafka_commit_rebalance_in_progress_only_fails_the_commit():
    """REBALANCE_IN_PROGRESS on a commit neither resets the generation nor asks for a rejoin in
    librdkafka (unlike Java's requestRejoin)."""
    s, out = steady_commit("REBALANCE_IN_PROGRESS", rebalance_callback=False)
    assert sends(out) == [] and s.consumer.generation == 1 and s.consumer.member_id == "m"
    assert not s.consumer.rejoin_needed and s.consumer.assignment == (0,)


def test_librdkafka_commit_illegal_generation_while_rebalancing_only_fails_the_commit():
    """ILLEGAL_GENERATION while a rebalance is under way: a new generation may be on its way,
    so nothing is reset."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    s.consumer.on_rebalance_notice()
    assert s.consumer.on_response(send.request_id, CommitResponse("ILLEGAL_GENERATION")) == []
    assert s.consumer.generation == 1 and s.consumer.member_id == "m"


def test_librdkafka_timer_commits_a_first_offset_with_nothing_committed():
    """rd_kafka_topic_partition_list_set_offsets: with no committed offset known, any stored
    offset is above it: one record handed over is committed at the next tick."""
    s = Client("auto")
    s.join(committed=None)
    assert isinstance(s.hand_over(1), Wait)  # consume(10) waits for more
    s.reply(None, now=S)  # its timeout: the one record
    s.reply((1,), now=S)
    assert s.consumer.stored == {0: 1} and s.consumer.committed == {}
    assert s.tick().request == OffsetCommit("m", 1, ((0, 1),))


def test_librdkafka_close_after_a_lost_assignment_commits_nothing():
    """The member id was reset (a heartbeat's UNKNOWN_MEMBER_ID) before a poison record: close()'s
    unassign finds the assignment lost and commits no stored offset."""
    s = Client("auto-store-after-process")
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_heartbeat_error("UNKNOWN_MEMBER_ID")
    commands = [s.reply(Processed(4, True))]
    while not isinstance(commands[-1], Stopped):
        commands.append(s.reply())
    assert not [r for r in sends(commands) if isinstance(r, OffsetCommit)]


def test_librdkafka_a_sync_commit_with_nothing_to_commit_returns_at_once():
    """__NO_OFFSET: a no-argument commit with no stored offset above the committed ones sends
    nothing and the application's commit() returns without error; the next operation in the
    queue is still served."""
    s = Client("sync-per-batch")
    s.join(committed=0)
    consumer = s.consumer
    consumer.ops_queue.append((None, "sync", 41))
    consumer.ops_queue.append((((0, 5),), "async", 42))
    (send,) = consumer.serve_ops()
    assert send.request == OffsetCommit("m", 1, ((0, 5),))
    assert consumer._sync_results == {41: CommitResult((), None, 41)}


def test_librdkafka_load_in_progress_backs_off_without_marking_the_coordinator_dead():
    """rd_kafka_handle_OffsetCommit: COORDINATOR_LOAD_IN_PROGRESS is retried after the backoff;
    only NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and transport errors mark the coordinator
    dead (rd_kafka_cgrp_coord_dead)."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    s.consumer.now = 2 * S
    (later,) = s.consumer.on_response(
        send.request_id, CommitResponse("COORDINATOR_LOAD_IN_PROGRESS")
    )
    assert isinstance(later, Later) and later.at_us == 2 * S + 100_000
    assert s.consumer.coordinator_known
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    s.consumer.now = 2 * S
    s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert not s.consumer.coordinator_known
    assert s.consumer.retry_join_after_us == 2 * S + 100_000


def test_librdkafka_refuses_to_store_offsets_of_a_partition_the_thread_revoked():
    """No rebalance callback: the thread unassigns mid-batch; the application, told nothing,
    finishes its batch and stores its offsets, which rd_kafka_offsets_store refuses for a
    partition no longer assigned (__STATE). Its next poll ends the tenures the thread ended."""
    s = Client("auto-store-after-process", rebalance_callback=False)
    observer = s.consumer.observer = Revokes()
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_rebalance_notice()
    assert s.consumer.held_partitions() == (0,) and observer.revokes == []
    s.reply(Processed(10, False))
    assert s.consumer.stored == {}
    s.skip_points()
    assert observer.revokes == [((0,), False)] and s.consumer.held_partitions() == ()


def test_librdkafka_stored_offsets_mid_batch_follow_the_records_finished():
    """Storing after processing: the timer mid-batch sees offset+1 of the last finished record
    of each partition of the batch, partition by partition in batch order."""
    s = Client("auto-store-after-process")
    consumer = s.consumer
    consumer.assignment = (0, 1)
    slices = ((0, 10, 15), (1, 20, 25))
    assert consumer._stored_now((slices, 5)) == {0: 15}
    assert consumer._stored_now((slices, 6)) == {0: 15, 1: 21}
    assert consumer._stored_now((slices, 8)) == {0: 15, 1: 23}
    assert consumer._stored_now((slices, 0)) == {}


def test_librdkafka_own_session_timeout_loses_the_assignment_without_committing():
    """rd_kafka_cgrp_session_timeout_check: no successful heartbeat for a session while the
    coordinator is unknown: the member id is reset and the assignment lost (no commit)."""
    s = Client("auto", rebalance_callback=False)
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.coordinator_known = False
    assert sends(s.consumer.on_client_session_timeout()) == []
    assert s.consumer.open_ops == 0 and s.consumer.assignment == ()
    assert s.consumer.member_id != "m" and s.consumer.generation == -1


def test_librdkafka_heartbeat_illegal_generation_loses_the_assignment():
    """rd_kafka_cgrp_handle_Heartbeat: ILLEGAL_GENERATION, like UNKNOWN_MEMBER_ID, loses the
    assignment (no commit) but keeps the member id; the thread rejoins."""
    s = Client("auto", rebalance_callback=False)
    s.join(committed=0)
    s.hand_over(30)
    (join,) = sends(s.consumer.on_heartbeat_error("ILLEGAL_GENERATION"))
    assert isinstance(join, JoinGroup) and join.member_id == "m"
    assert s.consumer.assignment == ()


# ---- the client thread's own rejoin (no rebalance callback) -------------------------------------
def thread_rejoining(auto_offset_reset="earliest"):
    """No rebalance callback: a rebalance notice unassigns and the thread sends its JoinGroup."""
    s = Client("async-per-batch", rebalance_callback=False, auto_offset_reset=auto_offset_reset)
    s.join(committed=0)
    s.hand_over(30)
    (join,) = sends(s.consumer.on_rebalance_notice())
    return s, s.consumer.group_request


def answer(s, response) -> list:
    """The thread's answer to the response of its request in flight."""
    return s.consumer.on_group_response(s.consumer.group_request, response)


def thread_fetching_offsets():
    """The thread's rejoin joined (generation 2, leader) and synced (p0): its OffsetFetch is
    the request in flight."""
    s, _ = thread_rejoining()
    answer(s, JoinResponse(None, 2, "m", ("m",), (Subscription(),)))
    answer(s, SyncResponse(None, (0,)))
    return s


def test_librdkafka_thread_rejoin_joins_syncs_and_fetches_the_committed_offsets():
    """rd_kafka_cgrp_handle_JoinGroup, _SyncGroup, then rd_kafka_assignment_serve: the thread
    sends SyncGroup with the leader's plan, takes the assignment, fetches its committed offsets
    and is steady again, all while the application knows nothing."""
    s, _ = thread_rejoining()
    (sync,) = sends(answer(s, JoinResponse(None, 2, "m", ("m",), (Subscription(),))))
    assert sync == SyncGroup("m", 2, (("m", (0,)),))
    (fetch,) = sends(answer(s, SyncResponse(None, (0,))))
    assert fetch == OffsetFetch((0,))
    assert s.consumer.state == "STABLE" and s.consumer.assignment == (0,)
    assert answer(s, OffsetFetchResponse((10,))) == []
    assert s.consumer.positions == {0: 10} and not s.consumer.background_join


@pytest.mark.parametrize("reset,expected", [("earliest", 0), ("latest", 30)])
def test_librdkafka_thread_rejoin_resets_a_partition_with_no_committed_offset(reset, expected):
    """auto.offset.reset for a partition with no committed offset: `earliest` at once, `latest`
    after a ListOffsets to the partition leader."""
    s, _ = thread_rejoining(reset)
    answer(s, JoinResponse(None, 2, "m", ("m",), (Subscription(),)))
    answer(s, SyncResponse(None, (0,)))
    out = answer(s, OffsetFetchResponse((None,)))
    if reset == "latest":
        assert sends(out) == [ListOffsets((0,))]
        assert answer(s, ListOffsetsResponse((30,))) == []
    assert s.consumer.positions == {0: expected} and not s.consumer.background_join


def test_librdkafka_thread_rejoin_with_reset_none_fails_the_application():
    """auto.offset.reset=none and no committed offset: the error reaches the application's next
    poll; the thread stops rejoining."""
    s, _ = thread_rejoining("none")
    answer(s, JoinResponse(None, 2, "m", ("m",), (Subscription(),)))
    answer(s, SyncResponse(None, (0,)))
    assert answer(s, OffsetFetchResponse((None,))) == []
    assert s.consumer.failed and not s.consumer.background_join


def test_librdkafka_thread_rejoin_retries_the_join_after_an_error_and_stops_when_fenced():
    """A failed JoinGroup or a SyncGroup answered REBALANCE_IN_PROGRESS: the thread joins again;
    FENCED_INSTANCE_ID is fatal and ends the thread's rejoin."""
    s, _ = thread_rejoining()
    (join,) = sends(answer(s, JoinResponse("ILLEGAL_GENERATION")))
    assert isinstance(join, JoinGroup) and s.consumer.generation == -1
    answer(s, JoinResponse(None, 3, "m", ("m",), (Subscription(),)))
    (join,) = sends(answer(s, SyncResponse("REBALANCE_IN_PROGRESS")))
    assert isinstance(join, JoinGroup)
    assert answer(s, JoinResponse("FENCED_INSTANCE_ID")) == []
    assert s.consumer.failed and not s.consumer.background_join


def test_librdkafka_thread_offset_fetch_waits_for_the_coordinator_after_an_error():
    """The new assignment's OffsetFetch answered NOT_COORDINATOR: the coordinator is marked
    dead and the fetch is sent again once it is found."""
    s = thread_fetching_offsets()
    (later,) = answer(s, OffsetFetchResponse((), "NOT_COORDINATOR"))
    assert isinstance(later, Later) and not s.consumer.coordinator_known
    (fetch,) = sends(s.consumer.on_coordinator_found())
    assert fetch == OffsetFetch((0,))


def test_librdkafka_the_thread_s_offset_fetch_goes_once_when_the_coordinator_is_back():
    """The new assignment's OffsetFetch, sent again when the coordinator is found after a
    NOT_COORDINATOR, is not sent a second time by its backoff's timer firing after."""
    s = thread_fetching_offsets()
    (later,) = answer(s, OffsetFetchResponse((), "NOT_COORDINATOR"))
    (fetch,) = sends(s.consumer.on_coordinator_found())
    assert s.consumer.on_timer(later.key) == []


def test_librdkafka_thread_rejoin_waits_out_the_backoff_after_a_join_error():
    """COORDINATOR_LOAD_IN_PROGRESS on the thread's JoinGroup: the next JoinGroup waits
    retry.backoff.ms (a timer), then goes."""
    s, _ = thread_rejoining()
    s.consumer.now = 2 * S
    (later,) = answer(s, JoinResponse("COORDINATOR_LOAD_IN_PROGRESS"))
    assert isinstance(later, Later) and later.at_us == 2 * S + 100_000
    s.consumer.now = later.at_us
    (join,) = sends(s.consumer.on_timer(later.key))
    assert isinstance(join, JoinGroup) and s.consumer.state == "PREPARING_REBALANCE"


def test_librdkafka_thread_offset_fetch_retries_after_load_in_progress():
    """COORDINATOR_LOAD_IN_PROGRESS on the new assignment's OffsetFetch: the coordinator stays
    known and the fetch goes again when the backoff timer fires."""
    s = thread_fetching_offsets()
    (later,) = answer(s, OffsetFetchResponse((), "COORDINATOR_LOAD_IN_PROGRESS"))
    assert s.consumer.coordinator_known
    (fetch,) = sends(s.consumer.on_timer(later.key))
    assert fetch == OffsetFetch((0,))


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


def test_only_a_registered_rebalance_callback_runs_the_application_s_rebalance_hooks():
    """rd_kafka_rebalance_op: with rebalance_cb the application's callback runs its assign and
    revoke code (here a commitSync of the processed offsets); without one, the client assigns
    and unassigns by itself and none of the application's code runs."""
    s = Client("async-then-sync-processed")
    s.join(committed=0)
    s.consumer.processed = {0: 4}
    assert s.consumer.strategy.on_revoked(s.consumer, (0,)) == [CommitSync(((0, 4),))]
    s = Client("async-then-sync-processed", rebalance_callback=False)
    s.join(committed=0)
    s.consumer.processed = {0: 4}
    assert s.consumer.strategy.on_revoked(s.consumer, (0,)) == []


def test_a_retry_whose_backoff_runs_when_the_coordinator_is_found_is_sent_by_its_timer():
    """The coordinator is found again while a commit's retry backoff runs: nothing is sent
    then (the request is not parked on the connection yet); the retry timer sends the same
    request (rd_kafka_buf_retry)."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.tick()
    (later,) = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert s.consumer.on_coordinator_found() == []
    (retry,) = s.consumer.on_timer(later.key)
    assert retry.request is send.request


def test_the_timer_commits_nothing_when_the_stored_offset_is_the_committed_one_fetched():
    """The OffsetFetch answer sets rktp_committed_pos, and the timer commits only stored
    offsets above it (rd_kafka_topic_partition_list_set_offsets with from_rktp)."""
    s = Client("auto")
    s.join(committed=7)
    s.consumer.stored = {0: 7}
    assert s.tick() is None


def queue_of(positions, max_poll_records, deadline_us=0):
    """A librdkafka consumer owning partitions 0-2 at `positions`, its poll's timeout at
    `deadline_us` (0: passed)."""
    consumer = LibrdkafkaConsumer(0, "m", config(partitions=3, max_poll_records=max_poll_records),
                                  make_strategy("auto"), NullObserver())  # fmt: skip
    consumer.assignment, consumer.positions = (0, 1, 2), dict(enumerate(positions))
    consumer.poll_deadline_us = deadline_us
    return consumer


def test_librdkafka_consume_returns_once_n_messages_are_queued_or_at_its_timeout():
    """rd_kafka_q_serve_rkmessages: consume(n) returns as soon as n messages are queued, or at
    its timeout with fewer; the positions move past what it hands over."""
    consumer = queue_of((5, 5, 5), max_poll_records=10, deadline_us=100)
    assert consumer._take((8, 8, 8)) == ()  # nine queued, before the timeout
    assert consumer._take((8, 8, 9)) == ((0, 5, 8), (1, 5, 8), (2, 5, 8), (2, 8, 9))
    assert consumer.positions == {0: 8, 1: 8, 2: 9}
    assert consumer._take((9, 8, 9)) == ()
    consumer.now = 100
    assert consumer._take((9, 8, 9)) == ((0, 8, 9),)


def test_librdkafka_each_fetch_starts_one_partition_further():
    """rkb_active_toppar_next: a fetch that returns data starts the next one at the following
    partition; one that returns nothing leaves it."""
    consumer = queue_of((0, 0, 0), max_poll_records=100)
    assert consumer._take((1, 1, 1)) == ((0, 0, 1), (1, 0, 1), (2, 0, 1))
    assert consumer._take((2, 2, 2)) == ((1, 1, 2), (2, 1, 2), (0, 1, 2))
    assert consumer._take((2, 2, 2)) == ()
    assert consumer._take((3, 3, 3)) == ((2, 2, 3), (0, 2, 3), (1, 2, 3))


def test_librdkafka_pausing_drops_the_partition_s_queued_messages():
    """rd_kafka_toppar_pause: a paused partition is not fetched, and its messages already
    queued are dropped (the version barrier); the other partitions' stay queued."""
    consumer = queue_of((0, 0, 0), max_poll_records=2)
    assert consumer._take((5, 5, 5)) == ((0, 0, 2),)
    consumer.paused = {0}
    assert consumer._take((5, 5, 5)) == ((1, 0, 2),)
    consumer = queue_of((0, 0, 0), max_poll_records=10)
    consumer.paused = {0}
    assert consumer._take((3, 3, 3)) == ((1, 0, 3), (2, 0, 3))


def test_librdkafka_a_stable_member_s_next_poll_reads_without_rejoining():
    """rd_kafka_consumer_poll of a member whose join state is steady: no rejoin, it serves the
    queue (the fetch)."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    s.reply(Processed(10, False))
    assert isinstance(s.skip_points(), ReadLog)


def test_librdkafka_the_application_s_poll_waits_while_the_thread_rejoins():
    """Without rebalance_cb the thread rejoins by itself; the application's poll meanwhile
    returns nothing, waking at least every session.timeout.ms to look again, and once the
    thread's join is complete that poll goes on to fetch without a rejoin of its own."""
    s = Client("auto-store-after-process", rebalance_callback=False)
    s.join(committed=0)
    s.hand_over(30, now=S)
    s.consumer.on_rebalance_notice()
    s.reply(Processed(10, False), now=2 * S)
    wait = s.skip_points()
    assert isinstance(wait, Wait) and wait.until_us == 2 * S + 45 * S
    deadline = s.consumer.poll_deadline_us
    answer(s, JoinResponse(None, 2, "m", ("m",), (Subscription(),)))
    answer(s, SyncResponse(None, (0,)))
    answer(s, OffsetFetchResponse((10,)))
    # The thread's join is complete: the same poll goes on to the fetch, no rejoin of its own.
    s.reply(None, now=3 * S)
    assert isinstance(s.skip_points(), ReadLog) and s.consumer.poll_deadline_us == deadline


def test_librdkafka_every_retry_queued_for_the_coordinator_fails_when_it_is_found():
    """Every retry queued while the coordinator was unknown fails with the connection attempt
    the found coordinator's address closes, each retried after its own backoff (the second
    retry's is twice the first's); a deferred commit is not in that queue and waits for the
    cgrp to be UP."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    first, second = s.tick(), s.tick()
    (timer,) = s.consumer.on_response(first.request_id, CommitResponse("REQUEST_TIMED_OUT"))
    (retry,) = s.consumer.on_timer(timer.key)
    (timer,) = s.consumer.on_response(retry.request_id, CommitResponse("REQUEST_TIMED_OUT"))
    (other,) = s.consumer.on_response(second.request_id, CommitResponse("NOT_COORDINATOR"))
    s.consumer.now = 1 * S
    assert s.consumer.on_timer(timer.key) == s.consumer.on_timer(other.key) == []  # queued
    laters = s.consumer.on_coordinator_found()
    assert sorted(later.at_us for later in laters) == [1 * S + 100_000, 1 * S + 200_000]
    assert not s.consumer.coordinator_known and s.consumer.open_ops == 2


def test_librdkafka_no_rejoin_once_close_has_begun():
    """rd_kafka_consumer_close terminates the cgrp (rd_kafka_cgrp_terminate): the thread's
    rejoin, waiting for the revoke's commit, is not sent when that commit completes during
    close()."""
    s = Client("auto-store-after-process", rebalance_callback=False)
    s.join(committed=0)
    process = s.hand_over(30)
    s.consumer._mark_processed(process.slices, 4)
    (commit,) = s.consumer.on_rebalance_notice()
    closing = s.consumer.close()
    assert isinstance(next(closing), Wait)  # for the outstanding commit
    assert not [c for c in s.commit_ok(commit) if isinstance(c, Send)]


def test_librdkafka_the_thread_s_rejoin_waiting_for_the_coordinator_goes_when_it_is_found():
    """The thread unassigned for a rebalance while no coordinator is known: its JoinGroup waits
    for the coordinator (the cgrp is not UP) and goes when it is found."""
    s = Client("auto", rebalance_callback=False)
    s.join(committed=0)
    s.consumer.coordinator_known = False
    assert sends(s.consumer.on_rebalance_notice()) == []
    (join,) = sends(s.consumer.on_coordinator_found())
    assert isinstance(join, JoinGroup)


def test_librdkafka_a_fatal_error_in_the_thread_s_rejoin_ends_the_waiting_poll_without_fetching():
    """The thread's JoinGroup answered FENCED_INSTANCE_ID while the application's poll waits
    for the rejoin: the fatal error reaches that poll, which returns no messages."""
    s = Client("auto-store-after-process", rebalance_callback=False)
    s.join(committed=0)
    s.hand_over(30, now=S)
    s.consumer.on_rebalance_notice()
    s.reply(Processed(10, False), now=2 * S)
    assert isinstance(s.skip_points(), Wait)
    answer(s, JoinResponse("FENCED_INSTANCE_ID"))
    s.reply(None, now=3 * S)
    assert s.consumer.failed and not isinstance(s.skip_points(), ReadLog)


def test_librdkafka_the_coordinator_s_return_serves_deferred_commits_and_the_offset_fetch():
    """The cgrp is UP again: the commits deferred meanwhile go out (rkcg_wait_coord_q) along with
    the new assignment's OffsetFetch, which, once answered, is not fetched again at a later
    return of the coordinator (that one only resumes the thread's next rejoin)."""
    s = thread_fetching_offsets()
    answer(s, OffsetFetchResponse((), "NOT_COORDINATOR"))
    list(s.consumer.commit_async(((0, 5),)))
    s.consumer.serve_ops()
    found = [c for c in s.consumer.on_coordinator_found() if isinstance(c, Send)]
    assert [c.request for c in found] == [OffsetCommit("m", 2, ((0, 5),)), OffsetFetch((0,))]
    s.commit_ok(found[0])
    answer(s, OffsetFetchResponse((10,)))
    s.consumer.now, s.consumer.coordinator_known = S, False  # past the join's backoff; lost
    assert sends(s.consumer.on_rebalance_notice()) == []
    (join,) = sends(s.consumer.on_coordinator_found())
    assert isinstance(join, JoinGroup)


def test_librdkafka_an_async_and_a_sync_commit_in_flight_each_get_their_own_result():
    """Every rd_kafka_commit() is an operation of its own: with an async commit still in
    flight, a sync one gets its own result, and the async one's reaches offset_commit_cb."""
    s = Client("async-per-batch")
    s.join(committed=0)
    list(s.consumer.commit_async(((0, 3),)))
    (first,) = s.consumer.serve_ops()
    blocked = s.consumer.commit_sync(((0, 5),))
    assert isinstance(next(blocked), Wait)
    (second,) = s.consumer.serve_ops()
    s.commit_ok(first)
    s.commit_ok(second)
    with pytest.raises(StopIteration) as done:
        blocked.send(None)
    assert done.value.value == CommitResult(((0, 5),), None, 2)
    assert list(s.consumer.completed_async) == [CommitResult(((0, 3),), None, 1)]


def test_librdkafka_rebalance_news_during_the_thread_s_rejoin_changes_nothing():
    """The cgrp is already rebalancing (the thread's JoinGroup waits out its backoff): another
    REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION heartbeat answer neither unassigns again nor
    asks for another JoinGroup."""
    s, _ = thread_rejoining()
    (later,) = answer(s, JoinResponse("COORDINATOR_LOAD_IN_PROGRESS"))
    assert isinstance(later, Later)
    assert s.consumer.on_rebalance_notice() == []
    assert s.consumer.on_heartbeat_error("ILLEGAL_GENERATION") == []


def test_librdkafka_rebalance_news_while_the_thread_s_rejoin_waits_its_backoff_changes_nothing():
    """The thread unassigned and its JoinGroup waits out retry.backoff.ms (the member is still
    steady in its own eyes, but the cgrp is rebalancing): further rebalance news arms no second
    JoinGroup timer."""
    s = Client("auto", rebalance_callback=False)
    s.join(committed=0)
    s.consumer.retry_join_after_us = S  # a coordinator error's backoff still running
    (later,) = s.consumer.on_rebalance_notice()
    assert isinstance(later, Later) and s.consumer.assignment == ()
    assert s.consumer.on_rebalance_notice() == []
    assert s.consumer.on_heartbeat_error("ILLEGAL_GENERATION") == []


def test_librdkafka_an_async_commit_s_retry_lands_after_the_next_deferred_one_and_moves_it_back():
    """async-per-batch-not-coordinator: the 2nd batch's commit (20) is answered NOT_COORDINATOR
    and retried after its backoff (rd_kafka_handle_OffsetCommit: Refresh|Retry|Special,
    rd_kafka_buf_retry); the 3rd batch's (30), made with no coordinator known, is deferred
    (rd_kafka_cgrp_offsets_commit). Once the coordinator is found the deferred one goes at once
    (rkcg_wait_coord_q served in state UP), the retry when its backoff ends: the older offset
    lands last and the committed offset moves back to 20. With the retry queued while the lookup
    took longer than its backoff, the coordinator is lost again first, and the order is the
    same once a lookup beats the backoff."""
    for slow_lookups in (0, 2):
        s = Client("async-per-batch")
        s.join(committed=0)
        for offset in (10, 20):
            list(s.consumer.commit_async(((0, offset),)))
        first, second = s.consumer.serve_ops()
        s.commit_ok(first)
        (retry,) = s.consumer.on_response(second.request_id, CommitResponse("NOT_COORDINATOR"))
        list(s.consumer.commit_async(((0, 30),)))
        deferral = s.consumer.serve_ops() + s.consumer.take_laters()
        assert [type(c) for c in deferral] == [Later]  # no coordinator: no request
        for _ in range(slow_lookups):  # the retry's backoff ran out before the lookup ended
            assert s.consumer.on_timer(retry.key) == []
            (retry,) = s.consumer.on_coordinator_found()
        (deferred,) = s.consumer.on_coordinator_found()
        (again,) = s.consumer.on_timer(retry.key)
        assert [deferred.request.offsets, again.request.offsets] == [((0, 30),), ((0, 20),)]
        s.commit_ok(deferred)
        s.commit_ok(again)
        assert s.consumer.committed[0] == 20
