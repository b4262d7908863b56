"""The consumer's poll loop driven by hand: each test feeds the replies a driver would
(docs/semantics.md §2-§9), with no simpy and no clock."""

from hashlib import sha1
from itertools import permutations

import pytest

from sim.model.client_config import ClientConfig
from sim.model.commands import (
    Batch,
    Call,
    CommitAsync,
    CommitResult,
    CommitSync,
    LoopPoint,
    Process,
    Processed,
    ReadLog,
    Seek,
    Send,
    Stopped,
    Wait,
)
from sim.model.consumer import Consumer, NullObserver
from sim.model.java_classic.fetch import fetch_order
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    OffsetFetchResponse,
    Subscription,
    SyncGroup,
    SyncResponse,
)
from sim.strategies import make_strategy

S = 1_000_000


def config(**changes):
    base = dict(
        partitions=1, max_poll_records=10, poll_timeout_us=100_000, retry_backoff_us=100_000,
        retry_backoff_max_us=S,
        api_timeout_us=60 * S, close_timeout_us=30 * S, session_timeout_us=45 * S,
        rebalance_timeout_us=300 * S, auto_commit_interval_us=5 * S,
        auto_offset_reset="earliest", assignor="range", error_policy=None,
    )  # fmt: skip
    base.update(changes)
    return ClientConfig(**base)


class Revokes(NullObserver):
    """Records the revokes the consumer reports, as (partitions, lost)."""

    def __init__(self):
        self.revokes = []

    def revoked(self, now, partitions, lost):
        self.revokes.append((tuple(partitions), lost))


class Script:
    """Steps a consumer's generator, answering each command like a driver would."""

    def __init__(self, strategy, instance_id=None, **changes):
        self.observer = Revokes()
        strategy = make_strategy(strategy)
        self.consumer = Consumer(0, "m", config(**changes), strategy, self.observer, instance_id)
        self.loop = self.consumer.run()
        self.command = next(self.loop)

    def reply(self, value=None, now=None):
        if now is not None:
            self.consumer.now = now
        self.command = self.loop.send(value)
        return self.command

    def skip_points(self):
        while isinstance(self.command, LoopPoint):
            self.reply()
        return self.command

    def join(self, committed=None, now=0):
        """Answer the join, sync and offset fetch: a one-member group owning partition 0."""
        assert isinstance(self.command.request, JoinGroup)
        self.reply(JoinResponse(None, 1, "m", ("m",)), now)
        assert isinstance(self.command.request, SyncGroup)
        self.reply(SyncResponse(None, (0,)), now)
        assert isinstance(self.command.request, OffsetFetch)
        self.reply(OffsetFetchResponse((committed,)), now)

    def process_batch(self, log_end, now):
        """Answer ReadLog with `log_end` and process the whole batch it yields."""
        assert isinstance(self.command, ReadLog)
        self.reply((log_end,), now)
        process = self.skip_points()
        assert isinstance(process, Process)
        self.reply(Processed(sum(e - s for _, s, e in process.slices), False), now)
        return process


def test_first_poll_joins_then_reads_from_the_committed_offset():
    """A new member joins, fetches its committed offset and polls from there."""
    s = Script("sync-per-batch")
    s.join(committed=7)
    process = s.process_batch(30, now=S)
    assert process.slices == ((0, 7, 17),)  # max.poll.records = 10
    assert process.batch_records == 10


def test_no_committed_offset_resets_to_earliest():
    """auto.offset.reset=earliest starts a never-committed partition at 0."""
    s = Script("sync-per-batch")
    s.join(committed=None)
    assert s.process_batch(3, now=S).slices == ((0, 0, 3),)


def test_sync_per_batch_commits_the_batch_end_after_processing():
    """commitSync names last processed + 1 (the +1 rule), after processing."""
    s = Script("sync-per-batch")
    s.join()
    s.process_batch(4, now=S)
    commit = s.skip_points()
    assert isinstance(commit, Call) and commit.request == OffsetCommit("m", 1, ((0, 4),))


def test_java_auto_commit_waits_for_the_interval_and_runs_inside_poll():
    """Java classic: auto commit runs at the start of poll() once the interval has passed,
    committing positions before new records come back (docs/semantics.md §2)."""
    s = Script("auto")
    s.join()
    s.process_batch(4, now=S)
    s.skip_points()
    assert isinstance(s.command, ReadLog)  # 1 s < 5 s: no commit yet
    s.reply((4,), now=S)
    assert isinstance(s.command, Wait)
    s.reply(None, now=5 * S)  # the poll wakes when the interval is due
    assert isinstance(s.command, Send)
    assert s.command.request == OffsetCommit("m", 1, ((0, 4),))
    assert isinstance(s.reply(), ReadLog)  # not awaited: records come back after it


def test_commit_sync_retries_retriable_errors_then_times_out():
    """commitSync retries COORDINATOR_LOAD_IN_PROGRESS with exponential backoff until
    default.api.timeout.ms, then fails with a timeout."""
    s = Script("sync-per-batch", api_timeout_us=S)
    s.join()
    s.process_batch(4, now=0)
    now = 0
    attempts = 0
    while isinstance(s.skip_points(), Call):
        attempts += 1
        s.reply(CommitResponse("COORDINATOR_LOAD_IN_PROGRESS"), now)
        if isinstance(s.command, Wait):
            assert not s.command.wakeable
            now = s.command.until_us
            s.reply(None, now)
    assert attempts == 4  # at 0, 0.1, 0.3 and 0.7 s; the next wait (0.8 s) passes the deadline


@pytest.mark.parametrize(
    "error,resets", [("ILLEGAL_GENERATION", "generation"), ("UNKNOWN_MEMBER_ID", "member")]
)
def test_fenced_commit_makes_the_client_rejoin(error, resets):
    """A fenced commit is not retried: the client forgets its generation (and member id for
    UNKNOWN_MEMBER_ID) and rejoins at the next poll, revoking as lost."""
    s = Script("sync-per-batch")
    s.join()
    s.process_batch(4, now=0)
    s.skip_points()
    s.reply(CommitResponse(error))
    assert s.consumer.generation == -1 and s.consumer.rejoin_needed
    assert (s.consumer.member_id != "m") == (resets == "member")
    s.skip_points()
    assert isinstance(s.command.request, JoinGroup)


def rejoining(state, generation=2):
    """A consumer that sent a commit with generation 1 and has since moved to `state`."""
    s = Script("sync-per-batch")
    s.join()
    s.consumer.state, s.consumer.generation = state, generation
    return s.consumer


@pytest.mark.parametrize("error", ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"])
def test_a_stale_commit_error_while_preparing_rebalance_keeps_the_new_generation(error):
    """OffsetCommitResponseHandler: the generation changed since the commit was sent and the
    member is PREPARING_REBALANCE: it is already rejoining, the commit only fails
    (RebalanceInProgressException), nothing is reset."""
    consumer = rejoining("PREPARING_REBALANCE")
    consumer._on_commit_error(error, sent_generation=1)
    assert consumer.generation == 2 and consumer.member_id == "m"


@pytest.mark.parametrize("error", ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"])
def test_a_stale_commit_error_while_completing_rebalance_resets_the_generation(error):
    """OffsetCommitResponseHandler skips the reset only in PREPARING_REBALANCE: a member that
    got its JoinGroup response (COMPLETING_REBALANCE) resets its generation, and its member id
    on UNKNOWN_MEMBER_ID, and rejoins."""
    consumer = rejoining("COMPLETING_REBALANCE")
    consumer._on_commit_error(error, sent_generation=1)
    assert consumer.generation == -1 and consumer.rejoin_needed
    assert (consumer.member_id != "m") == (error == "UNKNOWN_MEMBER_ID")


def test_fenced_instance_id_is_fatal_only_if_the_generation_is_unchanged():
    """OffsetCommitResponseHandler: FENCED_INSTANCE_ID for the generation the member still has
    is fatal (FencedInstanceIdException); for an older one it only fails the commit."""
    stale = rejoining("PREPARING_REBALANCE")
    stale._on_commit_error("FENCED_INSTANCE_ID", sent_generation=1)
    assert not stale.failed and stale.generation == 2
    current = rejoining("STABLE", generation=1)
    current._on_commit_error("FENCED_INSTANCE_ID", sent_generation=1)
    assert current.failed


def test_rebalance_in_progress_on_a_commit_asks_for_a_rejoin_and_keeps_the_generation():
    """OffsetCommitResponseHandler: REBALANCE_IN_PROGRESS calls requestRejoin, no reset."""
    consumer = rejoining("STABLE", generation=1)
    consumer.rejoin_needed = False
    consumer._on_commit_error("REBALANCE_IN_PROGRESS", sent_generation=1)
    assert consumer.rejoin_needed and consumer.generation == 1 and not consumer.failed


@pytest.mark.parametrize(
    "state,error",
    [
        ("STABLE", None),
        ("PREPARING_REBALANCE", "REBALANCE_IN_PROGRESS"),
        ("COMPLETING_REBALANCE", "REBALANCE_IN_PROGRESS"),
        ("UNJOINED", "COMMIT_FAILED"),
    ],
)
def test_commit_gate_sends_only_while_stable(state, error):
    """sendOffsetCommitRequest (generationIfStable): a stable member sends its commit; mid-
    rebalance it fails in the client with RebalanceInProgressException, out of the group
    (after a reset generation) with CommitFailedException (docs/semantics.md §6)."""
    s = Script("async-then-sync-processed")
    s.join()
    s.consumer.state = state
    calls = list(s.consumer.commit_async(((0, 3),)))
    if error is None:
        (send,) = calls
        assert send.request == OffsetCommit("m", 1, ((0, 3),))
        assert not s.consumer.completed_async
    else:
        result = CommitResult(((0, 3),), error, s.consumer.commit_sequence)
        assert calls == [] and list(s.consumer.completed_async) == [result]


def test_processing_error_unwinds_through_finally_and_close():
    """A poison record: the seed's `finally { commitSync(); }` commits positions, the unprocessed
    rest of the batch included, then close() leaves the group."""
    s = Script("async-then-sync")
    s.join()
    s.reply((10,), now=0)
    s.skip_points()
    s.reply(Processed(3, True))  # record 3 threw
    commit = s.skip_points()
    assert commit.request.offsets == ((0, 10),)  # positions, not the 3 processed
    s.reply(CommitResponse(None))
    s.skip_points()
    assert isinstance(s.command, Send) and isinstance(s.command.request, LeaveGroup)
    assert s.reply() == Stopped("error")


def test_processed_variant_commits_only_what_was_processed():
    """The fixed pattern's `finally` names the processed offsets."""
    s = Script("async-then-sync-processed")
    s.join()
    s.reply((10,), now=0)
    s.skip_points()
    s.reply(Processed(3, True))
    assert s.skip_points().request.offsets == ((0, 3),)


def test_commit_before_process_skips_the_batch_when_its_commit_fails():
    """At-most-once: a failed commit before processing skips the batch (error policy)."""
    s = Script("commit-before-process")
    s.join()
    s.reply((5,), now=0)
    s.skip_points()
    s.reply(CommitResponse("REBALANCE_IN_PROGRESS"))
    s.skip_points()
    assert not isinstance(s.command, Process)


def test_a_close_request_during_poll_returns_no_records():
    """wakeup() makes a blocked poll() throw before returning records: positions stay at what
    was processed, so close()'s auto commit loses nothing."""
    s = Script("auto")
    s.join()
    s.process_batch(4, now=S)
    s.skip_points()
    s.reply((4,), now=S)
    assert isinstance(s.command, Wait)
    s.consumer.close_requested = True
    s.reply(None, now=2 * S)  # new records arrived too; the wake-up comes first
    commit = s.skip_points()
    assert commit.request.offsets == ((0, 4),)  # close()'s auto commit of processed positions


# ---- close() ------------------------------------------------------------------------------------
def poisoned(strategy="sync-per-batch", **changes):
    """A stable member whose batch of 10 throws at record 3: the loop unwinds into close()."""
    s = Script(strategy, **changes)
    s.join()
    s.reply((10,), now=0)
    s.skip_points()
    return s


def close_commands(s, first_reply) -> list:
    """Everything close() yields after `first_reply`, each answered with None."""
    commands = [s.reply(first_reply)]
    while not isinstance(commands[-1], Stopped):
        commands.append(s.reply())
    return commands


def test_close_of_a_stable_member_revokes_then_leaves():
    """onLeavePrepare calls onPartitionsRevoked for a stable member, then maybeLeaveGroup sends
    LeaveGroup."""
    s = poisoned()
    commands = close_commands(s, Processed(3, True))
    assert s.observer.revokes == [((0,), False)]
    assert [c.request for c in commands if isinstance(c, Send)] == [LeaveGroup("m")]


def test_close_after_a_reset_generation_calls_on_partitions_lost_and_sends_no_leave_group():
    """A heartbeat's ILLEGAL_GENERATION reset the generation mid-batch (the member id stays):
    close()'s onLeavePrepare gives the partitions away as lost, and maybeLeaveGroup sends
    nothing for an UNJOINED member, so the member expires with its session."""
    s = poisoned()
    s.consumer.on_heartbeat_error("ILLEGAL_GENERATION")
    assert s.consumer.member_id == "m" and s.consumer.state == "UNJOINED"
    commands = close_commands(s, Processed(3, True))
    assert s.observer.revokes == [((0,), True)]
    assert not [c for c in commands if isinstance(c, Send)]


@pytest.mark.parametrize("state", ["PREPARING_REBALANCE", "COMPLETING_REBALANCE"])
def test_close_mid_rebalance_calls_on_partitions_lost(state):
    """onLeavePrepare: with a rebalance in progress the partitions are lost, not revoked; the
    member is still in the group, so LeaveGroup goes."""
    s = poisoned()
    s.consumer.state = state
    commands = close_commands(s, Processed(3, True))
    assert s.observer.revokes == [((0,), True)]
    assert [c.request for c in commands if isinstance(c, Send)] == [LeaveGroup("m")]


def test_close_runs_the_auto_commit_before_the_revoke_and_the_leave_group():
    """ConsumerCoordinator.close: maybeAutoCommitOffsetsSync first (positions, sync), then
    onLeavePrepare, then LeaveGroup."""
    s = poisoned("auto")
    commit = s.reply(Processed(3, True))
    commit = commit if isinstance(commit, Call) else s.skip_points()
    assert commit.request == OffsetCommit("m", 1, ((0, 10),))  # positions: the whole batch
    assert s.observer.revokes == []
    commands = close_commands(s, CommitResponse(None))
    assert s.observer.revokes == [((0,), False)]
    assert [c.request for c in commands if isinstance(c, Send)] == [LeaveGroup("m")]


def test_close_never_runs_the_callbacks_of_commits_completing_after_leave_group():
    """AbstractCoordinator.close waits for requests in flight after LeaveGroup
    (awaitPendingRequests) without invoking callbacks: an async commit completing in that wait
    keeps its completion queued, and async-retry-naive's callback never retries it."""
    s = Script("async-retry-naive")
    s.join()
    s.process_batch(4, now=0)
    send = s.skip_points()
    assert isinstance(send, Send) and send.request.offsets == ((0, 4),)
    s.consumer.close_requested = True
    s.reply()
    commands = [s.skip_points()]
    while not (isinstance(commands[-1], Wait) and commands[-1].until_us == 30 * S):
        commands.append(s.reply())
    assert [c.request for c in commands if isinstance(c, Send)] == [LeaveGroup("m")]
    s.consumer.on_response(send.request_id, CommitResponse("COORDINATOR_LOAD_IN_PROGRESS"))
    sequence = s.consumer.commit_sequence
    assert s.reply(None, now=S) == Stopped("close")
    assert len(s.consumer.completed_async) == 1 and s.consumer.commit_sequence == sequence


@pytest.mark.parametrize("policy", ["skip", "proceed", "crash", "seek-back"])
def test_error_policy_decides_what_follows_a_failed_commit_sync(policy):
    """Our error policies for a commitSync that raised before processing: `skip` drops the
    batch, `proceed` processes it anyway, `crash` unwinds into close(), `seek-back` seeks to the
    committed offsets (an OffsetFetch) and drops the batch. REBALANCE_IN_PROGRESS asked for a
    rejoin, so a dropped batch is followed by the JoinGroup."""
    s = Script("commit-before-process", error_policy=policy)
    s.join()
    s.reply((5,), now=0)
    s.skip_points()
    s.reply(CommitResponse("REBALANCE_IN_PROGRESS"))
    command = s.skip_points()
    if policy == "proceed":
        assert isinstance(command, Process) and command.slices == ((0, 0, 5),)
    elif policy == "crash":
        assert s.consumer.failed and command.request == LeaveGroup("m")
    elif policy == "seek-back":
        assert command.request == OffsetFetch((0,), True)  # requireStable
        seeks = []
        s.observer.position = lambda now, p, offset, source: seeks.append((p, offset, source))
        s.reply(OffsetFetchResponse((2,)))  # the seek, then the rejoin's revoke and JoinGroup
        assert seeks == [(0, 2, "seek")]
        assert isinstance(s.skip_points().request, JoinGroup)
    else:
        assert isinstance(command.request, JoinGroup) and not s.consumer.failed


def test_on_partitions_lost_defaults_to_on_partitions_revoked():
    """ConsumerRebalanceListener.onPartitionsLost calls onPartitionsRevoked by default: a
    strategy committing its processed offsets on revoke attempts the same commit when the
    partitions are lost (and the client's gate then fails it)."""
    s = Script("async-then-sync-processed")
    s.join()
    s.consumer.processed = {0: 3}
    strategy = s.consumer.strategy
    assert strategy.on_lost(s.consumer, (0,)) == [CommitSync(((0, 3),))]
    assert strategy.on_lost(s.consumer, (0,)) == strategy.on_revoked(s.consumer, (0,))


def test_async_then_sync_processed_commits_nothing_after_an_empty_poll():
    """commitAsync of the processed offsets only after a batch with records."""
    s = Script("async-then-sync-processed")
    s.join()
    s.consumer.processed = {0: 3}
    strategy = s.consumer.strategy
    assert strategy.after_batch(s.consumer, Batch(0, (), 0)) == []
    batch = Batch(1, ((0, 0, 3),), 3)
    assert strategy.after_batch(s.consumer, batch) == [CommitAsync(((0, 3),))]


# ---- SyncGroup errors, async commit errors, callbacks ------------------------------------------
def sync_failed(error):
    """A one-member consumer whose first SyncGroup is answered `error`: its next command."""
    s = Script("sync-per-batch")
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    assert isinstance(s.command.request, SyncGroup)
    return s, s.reply(SyncResponse(error))


@pytest.mark.parametrize(
    "error,generation,member_reset",
    [
        ("REBALANCE_IN_PROGRESS", 1, False),  # just rejoin, the generation kept
        ("ILLEGAL_GENERATION", -1, False),  # reset the generation, keep the member id
        ("UNKNOWN_MEMBER_ID", -1, True),  # reset both
    ],
)
def test_sync_group_errors_rejoin_resetting_what_the_error_says(error, generation, member_reset):
    """SyncGroupResponseHandler: REBALANCE_IN_PROGRESS rejoins with the generation it has;
    ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID reset the generation first (resetStateOnResponseError:
    the member id only for UNKNOWN_MEMBER_ID)."""
    s, command = sync_failed(error)
    assert isinstance(command.request, JoinGroup) and not s.consumer.failed
    assert s.consumer.generation == generation
    assert (command.request.member_id != "m") == member_reset


def test_sync_group_fenced_instance_id_is_fatal():
    """SyncGroupResponseHandler: FENCED_INSTANCE_ID raises FencedInstanceIdException: the loop
    unwinds into close(), no rejoin."""
    s, command = sync_failed("FENCED_INSTANCE_ID")
    assert s.consumer.failed and not isinstance(getattr(command, "request", None), JoinGroup)
    assert not isinstance(command, ReadLog)  # poll() throws: no fetch after the error


def test_join_group_fenced_instance_id_is_fatal_and_poll_fetches_nothing():
    """JoinGroupResponseHandler: FENCED_INSTANCE_ID raises FencedInstanceIdException out of
    poll(): no fetch, no rejoin; the loop unwinds into close()."""
    s = Script("sync-per-batch")
    command = s.reply(JoinResponse("FENCED_INSTANCE_ID"))
    assert s.consumer.failed and not isinstance(command, ReadLog)
    assert not isinstance(getattr(command, "request", None), JoinGroup)


def test_sync_group_coordinator_error_marks_it_unknown_and_keeps_the_generation():
    """SyncGroupResponseHandler: NOT_COORDINATOR marks the coordinator unknown
    (markCoordinatorUnknown); the rejoin waits for it, with the generation kept."""
    s, command = sync_failed("NOT_COORDINATOR")
    assert not s.consumer.coordinator_known and s.consumer.generation == 1


def async_commit_answered(error):
    """A stable consumer whose commitAsync is answered `error`."""
    s = Script("async-retry-naive")
    s.join()
    s.process_batch(4, now=0)
    send = s.skip_points()
    assert isinstance(send, Send)
    s.consumer.on_response(send.request_id, CommitResponse(error))
    return s


def test_an_async_commit_s_illegal_generation_resets_the_generation():
    """The response handler runs when the response arrives, whatever the callback does:
    ILLEGAL_GENERATION resets the generation and the next poll rejoins."""
    s = async_commit_answered("ILLEGAL_GENERATION")
    assert s.consumer.generation == -1 and s.consumer.rejoin_needed


def test_an_async_commit_s_not_coordinator_marks_the_coordinator_unknown():
    """NOT_COORDINATOR on an async commit: markCoordinatorUnknown, no generation reset; the
    callback gets the retriable error."""
    s = async_commit_answered("NOT_COORDINATOR")
    assert not s.consumer.coordinator_known and s.consumer.generation == 1
    assert s.consumer.completed_async[0].error == "NOT_COORDINATOR"


def test_completed_async_callbacks_run_at_the_next_poll():
    """invokeCompletedOffsetCommitCallbacks at the start of poll(): async-retry-naive's callback
    re-sends the failed offsets (the naive retry)."""
    s = async_commit_answered("COORDINATOR_LOAD_IN_PROGRESS")
    s.reply()
    retry = s.skip_points()
    assert isinstance(retry, Send) and retry.request == OffsetCommit("m", 1, ((0, 4),))
    assert not s.consumer.completed_async


def test_close_stops_waiting_for_requests_in_flight_at_its_timeout():
    """awaitPendingRequests waits at most the close timeout (30 s): an async commit never
    answered does not hold close() longer."""
    s = Script("async-per-batch")
    s.join()
    s.process_batch(4, now=0)
    s.skip_points()
    s.consumer.close_requested = True
    s.reply()
    command = s.skip_points()
    while not isinstance(command, Wait):
        command = s.reply()
    assert command.until_us == 30 * S
    assert s.reply(None, now=30 * S) == Stopped("close")


def fail_commits_until(s, command, done, error="COORDINATOR_LOAD_IN_PROGRESS"):
    """Answer every commit with `error` and let the time of each Wait pass, until `done(command)`:
    that command, the time then, and how many commits were answered."""
    now = attempts = 0
    while not done(command):
        if isinstance(command, Call):
            attempts += 1
            command = s.reply(CommitResponse(error), now)
        elif isinstance(command, Wait):
            now = command.until_us
            command = s.reply(None, now)
        else:
            command = s.reply()
    return command, now, attempts


def test_close_s_auto_commit_gives_up_at_the_close_timeout():
    """maybeAutoCommitOffsetsSync runs with close's timer (30 s), not default.api.timeout.ms:
    a commit that keeps failing with a retriable error is given up at 30 s."""
    s = poisoned("auto")
    command = s.reply(Processed(3, True))

    def past_the_commit(c):
        return not isinstance(c, Call | Wait | LoopPoint)

    command, now, attempts = fail_commits_until(s, command, past_the_commit)
    assert now == 29_500_000 and attempts == 33  # at 0, 0.1, 0.3, 0.7, 1.5, then 1 s apart
    assert command.request == LeaveGroup("m")


def test_the_join_start_auto_commit_is_bounded_by_the_rebalance_timeout():
    """onJoinPrepare's auto commit (commitOffsetsSync with the rebalance timer) retries a
    retriable error until max.poll.interval.ms, not default.api.timeout.ms, then the member
    rejoins anyway."""
    s = Script("auto", rebalance_timeout_us=2 * S)
    s.join()
    s.process_batch(4, now=0)
    s.consumer.on_rebalance_notice()
    command = s.skip_points()
    while isinstance(command, ReadLog | Wait) and not isinstance(command, Call):
        command = s.reply((4,) if isinstance(command, ReadLog) else None)

    def joining(c):
        return isinstance(c, Call) and isinstance(c.request, JoinGroup)

    command, now, attempts = fail_commits_until(s, command, joining)
    assert attempts == 5 and now < 2 * S  # 0.1, 0.2, 0.4, 0.8 s apart; the next passes 2 s


@pytest.mark.parametrize("error", ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"])
def test_a_failed_join_group_resets_the_member_id_only_for_unknown_member_id(error):
    """JoinGroupResponseHandler: UNKNOWN_MEMBER_ID resets the member id (the next JoinGroup is a
    new member's), ILLEGAL_GENERATION keeps it; a successful join makes the member id known."""
    s = Script("sync-per-batch")
    s.reply(JoinResponse(error))
    assert isinstance(s.command.request, JoinGroup) and not s.command.request.known_member
    assert (s.command.request.member_id != "m") == (error == "UNKNOWN_MEMBER_ID")
    s = Script("sync-per-batch")
    s.join()
    s.consumer.on_rebalance_notice()
    s.reply((0,), now=S)
    assert s.skip_points().request.known_member


def test_an_auto_commit_refused_by_the_client_gate_never_reaches_the_application():
    """The auto commit has its own callback (autoCommitOffsetsAsync logs the failure): refused
    mid-rebalance by the client (generationIfStable), it reaches no application callback."""
    s = Script("auto")
    s.join()
    s.consumer.state = "PREPARING_REBALANCE"
    assert list(s.consumer.commit_async(((0, 3),), kind="auto")) == []
    assert not s.consumer.completed_async


def auto_commit_answered(error):
    """A stable auto-committing consumer whose auto commit, sent at 5 s, is answered `error` at
    5.2 s; returns the script and when the next auto commit was due before the answer."""
    s = Script("auto")
    s.join()
    s.process_batch(4, now=S)
    s.skip_points()
    s.reply((4,), now=S)
    send = s.reply(None, now=5 * S)
    assert isinstance(send, Send) and isinstance(send.request, OffsetCommit)
    due = s.consumer.next_auto_commit_us
    s.consumer.now = 5 * S + 200_000
    s.consumer.on_response(send.request_id, CommitResponse(error))
    return s, due


def test_a_retriable_auto_commit_failure_retries_after_retry_backoff_not_via_a_callback():
    """autoCommitOffsetsAsync: a RetriableCommitFailedException re-arms the auto-commit timer at
    retry.backoff.ms (nextAutoCommitTimer.updateAndReset), and the application's callback never
    sees it; a successful one leaves the timer at the next interval."""
    s, due = auto_commit_answered("COORDINATOR_LOAD_IN_PROGRESS")
    assert s.consumer.next_auto_commit_us == 5 * S + 200_000 + 100_000
    assert not s.consumer.completed_async
    s, due = auto_commit_answered(None)
    assert s.consumer.next_auto_commit_us == due == 10 * S and not s.consumer.completed_async


def test_an_async_commit_s_callback_gets_its_offsets_error_and_sequence():
    """OffsetCommitCallback.onComplete(offsets, exception): the callback is handed the offsets
    it sent (and the model's commit counter when it was made)."""
    s = async_commit_answered("NOT_COORDINATOR")
    assert list(s.consumer.completed_async) == [CommitResult(((0, 4),), "NOT_COORDINATOR", 1)]


def test_a_static_member_s_commits_carry_its_group_instance_id():
    """sendOffsetCommitRequest sets groupInstanceId, so the coordinator fences a replaced
    instance (ClassicGroup.validateMember: FENCED_INSTANCE_ID)."""
    s = Script("async-per-batch", instance_id="instance-0")
    s.join()
    s.process_batch(4, now=0)
    send = s.skip_points()
    assert isinstance(send, Send)
    assert send.request == OffsetCommit("m", 1, ((0, 4),), "instance-0")


def test_an_async_commit_s_fenced_instance_id_with_the_generation_unchanged_is_fatal():
    """OffsetCommitResponseHandler, for an async commit as for a sync one: FENCED_INSTANCE_ID for
    the generation the member still has throws FencedInstanceIdException."""
    s = Script("async-per-batch", instance_id="instance-0")
    s.join()
    s.process_batch(4, now=0)
    send = s.skip_points()
    s.consumer.on_response(send.request_id, CommitResponse("FENCED_INSTANCE_ID"))
    assert s.consumer.failed


def test_commit_sync_not_coordinator_marks_the_coordinator_unknown():
    """commitOffsetsSync: NOT_COORDINATOR is retriable, and OffsetCommitResponseHandler marks the
    coordinator unknown (markCoordinatorUnknown) before the retry looks it up again."""
    s = Script("sync-per-batch")
    s.join()
    s.process_batch(4, now=0)
    assert isinstance(s.skip_points(), Call)
    assert isinstance(s.reply(CommitResponse("NOT_COORDINATOR")), Wait)
    assert not s.consumer.coordinator_known and s.consumer.generation == 1


def test_commit_sync_s_backoff_ending_at_its_deadline_times_out_without_another_attempt():
    """commitOffsetsSync: `timer.sleep(backoff)` then `while (timer.notExpired())`: a backoff
    that ends exactly at the deadline leaves the timer expired, so no further attempt."""
    s = Script("sync-per-batch", api_timeout_us=700_000)
    s.join()
    s.process_batch(4, now=0)
    now, attempts = 0, 0
    while isinstance(s.skip_points(), Call):
        attempts += 1
        s.reply(CommitResponse("COORDINATOR_LOAD_IN_PROGRESS"), now)
        if isinstance(s.command, Wait):
            now = s.command.until_us
            s.reply(None, now)
    assert attempts == 3  # at 0, 0.1 and 0.3 s; the 0.4 s backoff ends at the 0.7 s deadline


def test_a_commit_sync_with_nothing_to_commit_sends_nothing_and_succeeds():
    """sendOffsetCommitRequest: empty offsets complete locally (RequestFuture.voidSuccess), no
    request is sent."""
    s = Script("sync-per-batch")
    s.join()
    commit = s.consumer.commit_sync(())
    with pytest.raises(StopIteration) as done:
        next(commit)
    assert done.value.value == CommitResult((), None, s.consumer.commit_sequence)


def test_an_empty_commit_sync_waits_for_the_async_commits_in_flight_and_runs_their_callbacks():
    """commitOffsetsSync with empty offsets -> invokePendingAsyncCommits: nothing is sent, but
    commitSync returns only once the async commits in flight have completed, their callbacks
    run ("the callbacks for all commitAsync() will be invoked when commitSync() completes")."""
    s = Script("async-per-batch")
    s.join()
    s.process_batch(4, now=0)
    send = s.skip_points()
    assert isinstance(send, Send)
    seen = []
    s.consumer.strategy.on_commit_result = lambda consumer, result: seen.append(result) or ()
    commit = s.consumer.commit_sync(())
    wait = next(commit)
    assert isinstance(wait, Wait) and wait.wakeable and wait.until_us == 60 * S
    s.consumer.now = S
    s.consumer.on_response(send.request_id, CommitResponse(None))
    with pytest.raises(StopIteration) as done:
        commit.send(None)
    assert seen == [CommitResult(((0, 4),), None, 1)]
    assert done.value.value == CommitResult((), None, s.consumer.commit_sequence)


def test_an_empty_commit_sync_times_out_when_an_async_commit_stays_in_flight():
    """invokePendingAsyncCommits returns false at the deadline, and commitSync throws
    TimeoutException: the empty commit fails with TIMEOUT."""
    s = Script("async-per-batch", api_timeout_us=2 * S)
    s.join()
    s.process_batch(4, now=0)
    assert isinstance(s.skip_points(), Send)
    commit = s.consumer.commit_sync(())
    wait = next(commit)
    s.consumer.now = wait.until_us
    with pytest.raises(StopIteration) as done:
        commit.send(None)
    assert done.value.value.error == "TIMEOUT"


def test_an_eager_sync_group_success_after_a_heartbeat_reset_rejoins():
    """SyncGroupResponseHandler: the heartbeat thread reset the generation (ILLEGAL_GENERATION)
    while the SyncGroup was in flight, so its success fails the rebalance and the member sends
    JoinGroup again instead of taking the assignment in generation -1."""
    s = Script("sync-per-batch")
    sync = s.reply(JoinResponse(None, 1, "m", ("m",)))
    assert isinstance(sync.request, SyncGroup)
    s.consumer.on_heartbeat_error("ILLEGAL_GENERATION")
    rejoin = s.reply(SyncResponse(None, (0,)))
    assert isinstance(rejoin, Call) and isinstance(rejoin.request, JoinGroup)
    assert s.consumer.assignment == () and s.consumer.generation == -1


class HeartbeatThreadLog(NullObserver):
    """Records when the consumer says its heartbeat thread went off or on."""

    def __init__(self):
        self.calls = []

    def heartbeat_thread_disabled(self, now):
        self.calls.append(("off", now))

    def heartbeat_thread_enabled(self, now):
        self.calls.append(("on", now))


@pytest.mark.parametrize(
    "error, stops", [("ILLEGAL_GENERATION", True), ("UNKNOWN_MEMBER_ID", False)]
)
def test_a_generation_reset_disables_the_heartbeat_thread_until_the_join_group_succeeds(
    error, stops
):
    """HeartbeatThread.run disables itself once the member is UNJOINED (hasNotJoinedGroup) and
    JoinGroupResponseHandler enables it again. After ILLEGAL_GENERATION the coordinator still
    has the member id, so the driver is told its heartbeats stopped; after UNKNOWN_MEMBER_ID it
    has no such member, and nothing is said. The rejoin's successful JoinGroup turns it on."""
    s = Script("sync-per-batch")
    log = s.consumer.observer = HeartbeatThreadLog()
    s.join()
    assert log.calls == [("on", 0)]
    s.consumer.now = 5 * S
    s.consumer.on_heartbeat_error(error)
    assert log.calls[1:] == ([("off", 5 * S)] if stops else [])
    s.consumer.on_heartbeat_error(error)  # the thread is off: no second stop
    assert len(log.calls) == (2 if stops else 1)
    s.process_batch(4, now=6 * S)  # its commitSync fails in the client (UNJOINED)
    join = s.skip_points()
    assert isinstance(join, Call) and isinstance(join.request, JoinGroup)
    s.reply(JoinResponse(None, 2, "m", ("m",)), 7 * S)
    assert log.calls[-1] == ("on", 7 * S)


def test_after_its_join_group_response_a_member_heartbeats_and_its_commits_fail_the_gate():
    """JoinGroupResponseHandler: the member is COMPLETING_REBALANCE until SyncGroup answers; the
    heartbeat thread runs (only UNJOINED and PREPARING_REBALANCE stop it) and a commit fails in
    the client with RebalanceInProgressException (generationIfStable)."""
    s = Script("async-per-batch")
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    assert isinstance(s.command.request, SyncGroup)
    assert s.consumer.heartbeating()
    assert list(s.consumer.commit_async(((0, 3),))) == []
    assert s.consumer.completed_async[0].error == "REBALANCE_IN_PROGRESS"


def test_an_eager_sticky_member_s_join_group_carries_its_last_assignment():
    """StickyAssignor (eager): the member revoked everything before rejoining, so its JoinGroup
    metadata carries the last assignment in its user data (subscriptionUserData: memberAssignment
    and generation), which the leader's assignor reads as what it owned."""
    s = Script("sync-per-batch", assignor="sticky")
    assert s.command.request.subscription == Subscription((), -1)  # nothing owned yet
    s.join()
    s.consumer.on_rebalance_notice()
    while not (isinstance(s.command, Call) and isinstance(s.command.request, JoinGroup)):
        s.reply((0,) if isinstance(s.command, ReadLog) else None)
    assert s.consumer.assignment == ()  # revoked in onJoinPrepare
    assert s.command.request.subscription == Subscription((0,), 1)


def test_close_before_joining_sends_no_leave_group():
    """maybeLeaveGroup: a member that never joined (UNJOINED, no generation) has no group to
    leave: close() sends no LeaveGroup."""
    consumer = Consumer(0, "m", config(), make_strategy("sync-per-batch"), NullObserver())
    commands = list(consumer.close())
    assert not [c for c in commands if isinstance(c, Send) and isinstance(c.request, LeaveGroup)]


def test_while_its_join_group_is_in_flight_a_member_s_commits_fail_rebalance_in_progress():
    """sendJoinGroupRequest sets PREPARING_REBALANCE: until the JoinGroup response a commit
    fails in the client with RebalanceInProgressException (generationIfStable)."""
    s = Script("async-per-batch")
    assert isinstance(s.command.request, JoinGroup)
    assert list(s.consumer.commit_async(((0, 3),))) == []
    assert s.consumer.completed_async[0].error == "REBALANCE_IN_PROGRESS"


def test_eager_on_partitions_assigned_gets_the_whole_assignment():
    """ConsumerCoordinator.onJoinComplete, EAGER: everything was revoked before the join, so
    onPartitionsAssigned gets the whole new assignment."""
    s = Script("sync-per-batch")
    assigned = []
    s.consumer.strategy.on_assigned = lambda consumer, parts: assigned.append(parts) or ()
    s.join()
    assert assigned == [(0,)]


def test_seek_sets_the_position_the_next_poll_reads_from():
    """KafkaConsumer.seek: the partition's fetch position becomes the offset given."""
    s = Script("sync-per-batch")
    s.join(committed=2)
    list(s.consumer.call([Seek(0, 7)]))
    assert s.consumer.positions == {0: 7}
    assert s.process_batch(20, now=S).slices == ((0, 7, 17),)


def fetching(positions, max_poll_records=10):
    """A consumer owning partitions 0-2 at `positions`."""
    consumer = Consumer(0, "m", config(partitions=3, max_poll_records=max_poll_records),
                        make_strategy("sync-per-batch"), NullObserver())  # fmt: skip
    consumer.assignment, consumer.positions = (0, 1, 2), dict(enumerate(positions))
    return consumer


def test_max_poll_records_drains_one_partition_before_the_next_and_resumes_there():
    """Fetcher.collectFetch: up to max.poll.records, the next-in-line fetch drained before the
    next completed fetch; the following poll resumes with what is left of it, then goes on in
    turn (the completed-fetch queue). By hand (no topic hash) the fetch order is p0, p1, p2."""
    consumer = fetching((5, 5, 5))
    assert consumer._take((9, 9, 9)) == ((0, 5, 9), (1, 5, 9), (2, 5, 7))
    assert consumer._take((12, 12, 12)) == ((2, 7, 12), (0, 9, 12), (1, 9, 11))
    assert consumer._take((12, 12, 12)) == ((1, 11, 12),)
    assert consumer._take((13, 13, 13)) == ((2, 12, 13), (0, 12, 13), (1, 12, 13))
    consumer = fetching((0, 0, 0))  # a partition drained exactly at the limit: the next one
    assert consumer._take((10, 5, 5)) == ((0, 0, 10),)
    assert consumer._take((10, 5, 5)) == ((1, 0, 5), (2, 0, 5))
    assert consumer._take((12, 7, 7)) == ((0, 10, 12), (1, 5, 7), (2, 5, 7))


def java_string_hash(text: str) -> int:
    """String.hashCode, as an unsigned 32-bit value."""
    h = 0
    for ch in text:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def test_a_new_assignment_is_fetched_in_the_hash_set_order_of_its_topic_s_name():
    """AbstractFetch.fetchablePartitions copies the fetchable partitions into a HashSet: the
    fetch request, the completed fetches and so poll() follow its bucket order. For topic "t"
    (hashCode 116) the hashes of partitions 0-2 are 1077, 1108, 1139: buckets 5, 4, 3 of 16,
    so p2, p1, p0; the rotation then goes on in that order, one place further each poll that
    drained everything."""
    consumer = fetching((0, 0, 0))
    consumer.topic_hash = java_string_hash("t")
    assert fetch_order((0, 1, 2), consumer.topic_hash) == (2, 1, 0)
    assert consumer._take((5, 5, 10)) == ((2, 0, 10),)
    assert consumer._take((5, 5, 10)) == ((1, 0, 5), (0, 0, 5))
    assert consumer._take((7, 7, 12)) == ((2, 10, 12), (1, 5, 7), (0, 5, 7))


def test_the_hash_set_order_depends_on_the_topic_name():
    """h ^ (h >>> 16) mixes the name's high bits into the bucket: over topic names, three
    partitions come in every order, ascending and descending each about a quarter of names."""
    names = [f"conform-{sha1(bytes([k % 256, k // 256])).hexdigest()[:12]}" for k in range(2000)]
    orders = [fetch_order((0, 1, 2), java_string_hash(name)) for name in names]
    assert set(orders) == set(permutations(range(3)))
    assert 0.15 < orders.count((0, 1, 2)) / len(orders) < 0.35
    assert 0.15 < orders.count((2, 1, 0)) / len(orders) < 0.35
    # indices into the assignment: partitions 4 and 9 of a topic hashing to 0 are in buckets
    # 1085 & 15 = 13 and 1240 & 15 = 8
    assert fetch_order((4, 9), 0) == (1, 0)


def test_a_paused_partition_is_skipped_and_the_others_are_fetched():
    """KafkaConsumer.pause: fetches skip the paused partition; the others still return."""
    consumer = fetching((0, 0, 0))
    consumer.paused = {0}
    assert consumer._take((3, 3, 3)) == ((1, 0, 3), (2, 0, 3))


def test_a_close_request_during_poll_skips_the_rest_of_the_loop_body():
    """wakeup(): poll() throws WakeupException, so nothing of the loop body after it runs (no
    commitAsync of async-then-sync's loop): the next call is the finally's commitSync."""
    s = Script("async-then-sync")
    s.join()
    s.process_batch(4, now=S)
    send = s.skip_points()
    assert isinstance(send, Send)  # the loop's commitAsync after the batch
    s.reply()
    assert isinstance(s.skip_points(), ReadLog)
    assert isinstance(s.reply((4,), now=S), Wait)
    s.consumer.close_requested = True
    s.reply(None, now=2 * S)
    commit = s.skip_points()
    assert isinstance(commit, Call) and commit.request.offsets == ((0, 4),)
