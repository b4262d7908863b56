"""The consumer's poll loop driven by hand: each test feeds the replies a driver would
(SEMANTICS.md §2-§4), with no simpy and no clock."""

import pytest

from sim.model.commands import Call, LoopPoint, Process, Processed, ReadLog, Send, Stopped, Wait
from sim.model.consumer import ClientConfig, Consumer, NullObserver
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    OffsetFetchResponse,
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


class Script:
    """Steps a consumer's generator, answering each command like a driver would."""

    def __init__(self, strategy, **changes):
        self.consumer = Consumer(0, "m", config(**changes), make_strategy(strategy), NullObserver())
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
    committing positions before new records come back (SEMANTICS.md §2)."""
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


def test_commit_gate_refuses_to_send_while_not_stable():
    """After its generation was reset the client fails commits locally (CommitFailedException)
    instead of sending them (SEMANTICS.md §3)."""
    s = Script("async-then-sync-processed")
    s.join()
    s.consumer._reset_generation(reset_member=False)
    calls = list(s.consumer.commit_async(((0, 3),)))
    assert calls == [] and s.consumer.completed_async[0].error == "COMMIT_FAILED"


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
