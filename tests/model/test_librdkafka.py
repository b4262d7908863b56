"""The librdkafka consumer and the pre-KAFKA-18641 Java new consumer driven by hand: the offset
store, the background auto-commit timer, commit retries and deferral, and what revoke, lost and
close commit (SEMANTICS.md §2, §3; docs/model.md)."""

from sim.model.commands import Later, Process, Processed, ReadLog, Send, Stopped, Wait
from sim.model.consumer import Consumer, NullObserver
from sim.model.java_new_prefix import JavaNewPrefixConsumer
from sim.model.librdkafka import LibrdkafkaConsumer
from sim.model.messages import CommitResponse, JoinGroup, LeaveGroup, OffsetCommit
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

    def commit_ok(self, send: Send) -> None:
        self.consumer.on_response(send.request_id, CommitResponse(None))


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
        send = s.consumer.auto_commit_tick(progress=(process.slices, 4))
        assert send.request == OffsetCommit("m", 1, offsets), strategy


def test_timer_commits_only_while_steady():
    """Nothing before the first assignment, nothing once a rebalance is announced (the join
    state is no longer steady), and nothing without enable.auto.commit."""
    s = Client("auto")
    assert s.consumer.auto_commit_tick() is None  # not joined
    s.join(committed=0)
    s.hand_over(30)
    s.consumer.on_rebalance_notice()
    assert s.consumer.auto_commit_tick() is None
    s = Client("sync-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    assert s.consumer.auto_commit_tick() is None


def test_timer_commits_only_stored_offsets_above_the_committed_ones():
    """After a commit succeeds the client knows the offset is committed and the next tick sends
    nothing; an offset fetched at assignment counts as committed too."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    send = s.consumer.auto_commit_tick()
    s.commit_ok(send)
    assert s.consumer.committed == {0: 10}
    assert s.consumer.auto_commit_tick() is None

    s = Client("auto")
    s.join(committed=7)
    assert s.consumer.auto_commit_tick() is None  # nothing stored yet, 7 is committed


def test_java_classic_has_no_timer_and_the_new_consumer_prefix_commits_positions():
    """The Java classic consumer commits inside poll() only; the Java new consumer before
    KAFKA-18641 commits the positions from its background thread, mid-batch."""
    assert not Consumer.auto_commit_on_timer
    s = Client("auto", model=JavaNewPrefixConsumer)
    s.join(committed=0)
    process = s.hand_over(30)
    send = s.consumer.auto_commit_tick(progress=(process.slices, 4))
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
    send = s.consumer.auto_commit_tick()
    assert s.consumer.on_response(send.request_id, CommitResponse("ILLEGAL_GENERATION")) is None
    assert s.consumer.generation == -1 and s.consumer.rejoin_needed
    s.reply(Processed(10, False))
    assert isinstance(s.skip_points().request, JoinGroup)


def test_a_request_is_retried_twice_with_its_own_generation_then_fails():
    """rd_kafka_buf_retry: up to two retries of the same request, after retry.backoff.ms and
    twice that; then the commit fails (async commits too, unlike Java)."""
    s = Client("async-per-batch")
    s.join(committed=0)
    s.hand_over(30)
    (send,) = s.consumer.commit_async(((0, 5),))
    at = []
    for _ in range(2):
        later = s.consumer.on_response(send.request_id, CommitResponse("REQUEST_TIMED_OUT"))
        assert isinstance(later, Later)
        at.append(later.at_us)
        retry = s.consumer.on_timer(later.key)
        assert retry.request is send.request and retry.request_id != send.request_id
        send = retry
    assert at == [100_000, 200_000]
    assert s.consumer.on_response(send.request_id, CommitResponse("REQUEST_TIMED_OUT")) is None
    assert s.consumer.completed_async[0].error == "REQUEST_TIMED_OUT"


def test_a_deferred_commit_is_sent_with_the_then_current_generation():
    """NOT_COORDINATOR three times (the request and its two retries): the commit waits for the
    coordinator and is sent anew with the member's generation at that time, here forgotten
    after another commit was fenced meanwhile."""
    s = Client("auto")
    s.join(committed=0)
    s.hand_over(30)
    first = s.consumer.auto_commit_tick()
    second = s.consumer.auto_commit_tick()  # nothing acknowledged yet: the same offsets again
    send = first
    for _ in range(2):
        later = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
        send = s.consumer.on_timer(later.key)
        assert send.request.generation == 1
    later = s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert later is not None and s.consumer.inflight_async  # pending, not finished
    s.consumer.on_response(second.request_id, CommitResponse("ILLEGAL_GENERATION"))
    deferred = s.consumer.on_timer(later.key)
    assert deferred.request == OffsetCommit("m", -1, ((0, 10),))
    # Deferred once only: a coordinator error now, after two more retries, fails the commit.
    for _ in range(2):
        later = s.consumer.on_response(deferred.request_id, CommitResponse("NOT_COORDINATOR"))
        deferred = s.consumer.on_timer(later.key)
    assert s.consumer.on_response(deferred.request_id, CommitResponse("NOT_COORDINATOR")) is None
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
