"""commitAsync while the coordinator is unknown, driven by hand: the Java classic consumer waits
for the coordinator lookup (ConsumerCoordinator.commitOffsetsAsync, pendingAsyncCommits), the
consumer group's Java client keeps the commit unsent until the coordinator is known
(CommitRequestManager). docs/model.md, docs/kip848.md."""

from sim.model.commands import CommitResult, Process, Send, Wait
from sim.model.messages import CommitResponse, OffsetCommit

from .test_consumer import S, Script
from .test_java_group_consumer import joined


def coordinator_lost(strategy: str = "async-per-batch") -> Script:
    """A one-member group whose first async commit got NOT_COORDINATOR: the coordinator is
    unknown, and the loop is at the next batch's read."""
    s = Script(strategy)
    s.join()
    s.process_batch(4, now=0)
    send = s.skip_points()
    assert isinstance(send, Send)
    s.consumer.on_response(send.request_id, CommitResponse("NOT_COORDINATOR"))
    assert not s.consumer.coordinator_known
    s.reply()
    s.skip_points()
    return s


def test_classic_commit_async_waits_for_the_lookup_while_the_coordinator_is_unknown():
    """coordinatorUnknownAndUnreadyAsync: the commit is not sent, it waits for the lookup
    (pendingAsyncCommits); when the coordinator is found it goes (doCommitOffsetsAsync), in
    the order the commits were made."""
    s = coordinator_lost()
    process = s.process_batch(8, now=S)
    assert process.slices == ((0, 4, 8),)
    after = s.skip_points()
    assert not isinstance(after, Send)  # nothing sent for the batch
    c = s.consumer
    assert [(o, k) for o, _, k in c.pending_async] == [(((0, 8),), "async")]
    sends = c.on_coordinator_found()
    assert [send.request for send in sends] == [OffsetCommit("m", 1, ((0, 8),))]
    assert not c.pending_async and sends[0].request_id in c.inflight_async


def test_classic_commit_async_fails_retriably_when_the_lookup_fails():
    """The lookup future's onFailure: every commit waiting for it completes with
    RetriableCommitFailedException (here COORDINATOR_NOT_AVAILABLE), its callback at the next
    poll; nothing was sent."""
    s = coordinator_lost()
    s.process_batch(8, now=S)
    s.skip_points()
    c = s.consumer
    c.completed_async.clear()  # the NOT_COORDINATOR callback, not this rule's
    assert c.on_coordinator_lookup_failed()
    assert list(c.completed_async) == [CommitResult(((0, 8),), "COORDINATOR_NOT_AVAILABLE", 2)]
    assert not c.pending_async and not c.inflight_async


def test_classic_auto_commit_waiting_for_the_lookup_re_arms_when_it_fails():
    """autoCommitOffsetsAsync's callback: a RetriableCommitFailedException re-arms the auto
    commit after retry.backoff.ms; there is no application callback."""
    s = Script("auto")
    s.join()
    s.process_batch(4, now=0)
    c = s.consumer
    c.coordinator_known = False
    c.now = 6 * S
    commit = c.commit_async(None, kind="auto")
    assert list(commit) == []  # nothing sent
    assert not c.on_coordinator_lookup_failed()
    assert c.next_auto_commit_us == 6 * S + 100_000 and not c.completed_async


def test_classic_close_waits_for_the_commits_waiting_for_the_lookup():
    """ConsumerCoordinator.close: while async commits wait for a lookup it waits for the
    coordinator (up to the close timeout), then runs their callbacks."""
    s = coordinator_lost()
    s.process_batch(8, now=S)
    s.skip_points()
    c = s.consumer
    c.close_requested = True
    close = c.close()
    wait = next(close)
    assert isinstance(wait, Wait) and c.pending_async
    c.now = 2 * S
    sends = c.on_coordinator_found()
    assert len(sends) == 1
    next(close)  # the callbacks run, then the revoke goes on
    assert not c.completed_async and not c.pending_async


def test_consumer_group_commit_async_stays_unsent_until_the_coordinator_is_known():
    """CommitRequestManager.poll sends nothing while the coordinator is unknown and commitAsync
    has no deadline: a failed lookup fails no commit, the found coordinator sends it with the
    epoch current then."""
    h = joined("async-per-batch")
    c = h.consumer
    h.heartbeat(1, None)
    c.coordinator_known = False
    commit = c.commit_async(((0, 3),))
    assert list(commit) == []
    assert not c.on_coordinator_lookup_failed() and not c.completed_async
    sends = c.on_coordinator_found()
    assert [s.request for s in sends] == [OffsetCommit("m", 1, ((0, 3),))]


def test_consumer_group_auto_commit_waits_for_the_coordinator_and_commits_what_is_consumed_then():
    """maybeAutoCommitAsync runs only in CommitRequestManager.poll once the coordinator is
    known, with the positions consumed by then (allConsumed)."""
    h = joined("auto")
    c = h.consumer
    h.heartbeat(1, None)
    c.coordinator_known = False
    assert list(c._auto_commit()) == []
    c.positions[0] = 7
    sends = c.on_coordinator_found()
    assert len(sends) == 1 and dict(sends[0].request.offsets)[0] == 7


def test_consumer_group_poll_waiting_for_records_is_not_woken_by_a_commit_response():
    """AsyncKafkaConsumer.pollForFetches waits on the fetch buffer (FetchBuffer.awaitNotEmpty):
    a completed async commit only queues its callback (OffsetCommitCallbackInvoker), which
    runs at the next poll iteration; the classic client's network poll returns on any
    response, so its callbacks run at once."""
    h = joined("async-per-batch")
    c = h.consumer
    h.heartbeat(1, None)
    c.read_log = lambda parts: tuple(0 for _ in parts)  # nothing left to fetch
    wait = h.step_until(lambda cmd: type(cmd) is Wait and cmd.until_us == c.poll_deadline_us)
    assert wait and c.awaiting_fetch  # the driver does not wake it for a commit's response
    c.read_log = lambda parts: tuple(1_000 for _ in parts)  # records came: poll returns
    h.step_until(lambda cmd: type(cmd) is Process)
    assert not c.awaiting_fetch
    classic = coordinator_lost()
    assert not classic.consumer.awaiting_fetch
