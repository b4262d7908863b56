"""Coordinator failover, offsets retention, and the client's answer to coordinator errors, fed
by hand (docs/semantics.md §1, §11; GroupMetadataManager.onLoaded/onUnloaded, CoordinatorRuntime,
ClassicGroup.offsetExpirationCondition, AbstractCoordinator.joinGroupIfNeeded)."""

import pytest

from sim.model import coordinator as co
from sim.model.commands import Call, CommitResult, ReadLog, Send, Stopped, Wait
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
    SyncGroup,
    SyncResponse,
)
from sim.strategies import make_strategy

from .test_consumer import Script
from .test_coordinator import SESSION, commit, join, replies, stable_group, timers

S = 1_000_000


def fail_over(g, at, unavailable=2 * S, loading=3 * S):
    """Run a whole failover: unavailable from `at`, loading, then loaded. Returns each phase's
    outputs."""
    return g.failover(at), g.start_loading(at + unavailable), g.loaded(at + unavailable + loading)


# ---- the coordinator ---------------------------------------------------------------------------
def test_failover_answers_parked_requests_and_cancels_timers():
    """The old coordinator unloads: parked JoinGroups get NOT_COORDINATOR and its timers go."""
    g = stable_group()
    g.join(5 * S, 7, join("a"))  # the leader rejoins: a rebalance, its JoinGroup parked
    assert g.state == co.PREPARING_REBALANCE
    out = g.failover(6 * S)
    assert isinstance(out[0], co.CancelTimers)
    assert replies(out) == {7: JoinResponse("NOT_COORDINATOR")}


def test_requests_get_not_coordinator_then_load_in_progress():
    """No broker serves the group: NOT_COORDINATOR; the new one loads: LOAD_IN_PROGRESS."""
    g = stable_group()
    assert g.refuse(1, OffsetCommit("a", 1, ((0, 5),))) is None
    g.failover(5 * S)
    assert replies(g.refuse(1, OffsetCommit("a", 1, ((0, 5),)))) == {
        1: CommitResponse("NOT_COORDINATOR")
    }
    assert replies(g.refuse(2, SyncGroup("a", 1, None))) == {2: SyncResponse("NOT_COORDINATOR")}
    assert g.refuse(3, LeaveGroup("a")) == []  # sent once, the answer ignored
    g.start_loading(7 * S)
    assert replies(g.refuse(4, JoinGroup("a", SESSION, 300 * S))) == {
        4: JoinResponse("COORDINATOR_LOAD_IN_PROGRESS")
    }
    assert replies(g.refuse(5, OffsetFetch((0,)))) == {
        5: OffsetFetchResponse((), "COORDINATOR_LOAD_IN_PROGRESS")
    }
    g.loaded(10 * S)
    assert g.refuse(6, OffsetFetch((0,))) is None


def test_loaded_group_is_the_last_stable_generation_and_keeps_commits():
    """A rebalance under way lives only in memory: the new coordinator serves the last stable
    generation, its members and assignment, and every acked commit."""
    g = stable_group(("a", "b"))
    assert commit(g, "a", 1, ((0, 42),)) == CommitResponse(None)
    assignment = {m.member_id: m.assignment for m in g.members.values()}
    g.join(5 * S, 7, join("c"))  # a new member: the group prepares a rebalance
    g.leave(5 * S, LeaveGroup("b"))  # and a member leaves
    fail_over(g, 6 * S)
    assert g.state == co.STABLE and g.generation == 1 and g.leader == "a"
    assert {m.member_id: m.assignment for m in g.members.values()} == assignment
    assert g.committed[0] == 42
    assert commit(g, "a", 1, ((0, 50),), now=12 * S) == CommitResponse(None)


def test_load_resets_every_session_deadline():
    """onLoaded reschedules each member's heartbeat expiry: a member whose heartbeats stopped
    before the failover expires one session after the load, not one after its last beat."""
    g = stable_group(("a", "b"))
    g.heartbeats_stopped(4 * S, "b", 4 * S)
    _, _, out = fail_over(g, 5 * S)  # loaded at 10 s
    (timer,) = timers(out)
    assert timer.at_us == 10 * S + SESSION
    assert g.timer(4 * S + SESSION, ("expire", "b", 4 * S + SESSION)) == []  # the old deadline
    assert "b" in g.members
    out = g.timer(timer.at_us, timer.token)
    assert co.MemberRemoved("b", "session-expired") in out


def test_timers_armed_while_unavailable_do_nothing():
    """A crash during the window: its expiry timer fires before the load and is ignored."""
    g = stable_group(("a", "b"))
    g.failover(5 * S)
    (timer,) = timers(g.heartbeats_stopped(5 * S, "b", 5 * S))
    g.start_loading(5 * S + SESSION - 1)
    assert g.timer(timer.at_us, timer.token) == []
    assert "b" in g.members


# ---- offsets retention -------------------------------------------------------------------------
def emptied_group(retention=20 * S, interval=5 * S):
    g = stable_group(("a",), partitions=2)
    g.offsets_retention_us, g.retention_check_interval_us = retention, interval
    commit(g, "a", 1, ((0, 42), (1, 7)))
    return g, g.leave(11 * S, LeaveGroup("a"))


def test_an_empty_groups_offsets_expire_at_the_first_cleanup_after_the_retention():
    """Counted from when the group became EMPTY, checked every check interval."""
    g, out = emptied_group()
    assert g.state == co.EMPTY
    (timer,) = timers(out)
    assert timer.at_us == 35 * S  # empty at 11 s + 20 s = 31 s; cleanups at 5, 10, ... 35 s
    out = g.timer(timer.at_us, timer.token)
    assert out == [co.OffsetsExpired((0, 1))]
    assert g.committed == [None, None]


def test_offsets_do_not_expire_once_the_group_is_not_empty():
    """A member joined before the cleanup ran: the group is not EMPTY, nothing expires."""
    g, out = emptied_group()
    (timer,) = timers(out)
    g.join(20 * S, 9, join("b"))
    assert g.state != co.EMPTY
    assert g.timer(timer.at_us, timer.token) == []
    assert g.committed == [42, 7]


def test_a_group_with_members_schedules_no_expiry():
    """Offsets of a group with members do not expire (docs/semantics.md §1): neither a commit nor a
    member leaving while others stay arms the cleanup."""
    g = stable_group(("a", "b"))
    g.offsets_retention_us = 1
    out = g.commit(4 * S, 1, OffsetCommit("a", 1, ((0, 3),)))
    out += g.leave(5 * S, LeaveGroup("b"))
    assert g.state != co.EMPTY
    assert not any(t.token[0] == "expire-offsets" for t in timers(out))


def test_an_empty_group_loaded_by_a_new_coordinator_schedules_its_offsets_expiry():
    """onLoaded of an EMPTY group: the cleanup runs every check interval from the load, and the
    first run at or after the retention deadline deletes the offsets; a deadline already past
    at the load expires them at the first run, one interval after it."""
    g, _ = emptied_group(retention=20 * S, interval=5 * S)  # empty at 11 s: due at 31 s
    _, _, out = fail_over(g, 40 * S, unavailable=S, loading=S)  # loaded at 42 s
    assert g.state == co.EMPTY and g.loaded_at_us == 42 * S
    (timer,) = [t for t in timers(out) if t.token[0] == "expire-offsets"]
    assert timer.at_us == 47 * S
    g, _ = emptied_group(retention=20 * S, interval=5 * S)
    _, _, out = fail_over(g, 12 * S, unavailable=S, loading=S)  # loaded at 14 s, due at 31 s
    (timer,) = [t for t in timers(out) if t.token[0] == "expire-offsets"]
    assert timer.at_us == 34 * S  # runs at 19, 24, 29, 34 s


def test_a_group_never_stable_comes_back_empty_at_generation_zero():
    """Nothing was written to __consumer_offsets before the first stable generation: the new
    coordinator has an EMPTY group, and the next join makes generation 1."""
    g = co.GroupCoordinator(4, 3 * S)
    g.join(0, 1, join("a"))
    fail_over(g, S)
    assert g.state == co.EMPTY and g.generation == 0 and not g.members
    g.join(7 * S, 2, join("a"))
    out = g.timer(10 * S, ("initial-delay", g.epoch))
    assert replies(out)[2].generation == 1


def test_after_a_load_a_rejoin_of_every_member_completes_the_join_at_once():
    """The loaded group is not in an initial delay: when every member has rejoined, the join
    completes without waiting for the rebalance timeout."""
    g = stable_group(("a", "b"))
    fail_over(g, 5 * S)
    g.join(11 * S, 7, join("a"))
    out = g.join(11 * S, 8, join("b"))
    assert g.state == co.COMPLETING_REBALANCE and set(replies(out)) == {7, 8}


def test_failover_answers_a_parked_sync_not_coordinator():
    """onUnloaded: a follower's SyncGroup parked while the leader computes the plan gets
    NOT_COORDINATOR, and is no longer parked."""
    g = stable_group(("a", "b"))
    g.join(5 * S, 7, join("a"))
    g.join(5 * S, 8, join("b"))
    g.sync(6 * S, 9, SyncGroup("b", 2, None))
    out = g.failover(7 * S)
    assert replies(out) == {9: SyncResponse("NOT_COORDINATOR")}
    assert g.members["b"].sync_request is None


def test_a_member_gone_before_the_failover_is_loaded_as_not_heartbeating():
    """A member the persisted generation still lists but that had left before the failover
    sends no heartbeat: it expires one session after the load."""
    g = stable_group(("a", "b"))
    g.leave(5 * S, LeaveGroup("b"))  # gone from memory; the persisted group still has it
    _, _, out = fail_over(g, 6 * S)
    assert g.members["b"].stopped_heartbeat_us == 6 * S
    assert [t.at_us for t in timers(out) if t.token[1] == "b"] == [11 * S + SESSION]


# ---- the client --------------------------------------------------------------------------------
def test_join_retries_a_coordinator_error_keeping_the_generation():
    """JoinGroup answered NOT_COORDINATOR: the coordinator is marked unknown; after
    retry.backoff.ms the client waits until it is found again (ensureCoordinatorReady), then
    sends it again; the generation and member id stay (AbstractCoordinator.joinGroupIfNeeded).
    COORDINATOR_LOAD_IN_PROGRESS only backs off: the coordinator stays known."""
    s = Script("sync-per-batch")
    s.join()
    c = s.consumer
    c.on_rebalance_notice()
    s.process_batch(4, now=S)
    s.skip_points()
    s.reply(CommitResponse(None), now=S)  # the batch's commitSync
    s.skip_points()
    assert isinstance(s.command, Call) and isinstance(s.command.request, JoinGroup)
    s.reply(JoinResponse("NOT_COORDINATOR"), now=2 * S)
    assert s.command == Wait(2 * S + 100_000, wakeable=False)
    assert c.generation == 1 and c.member_id == "m" and not c.coordinator_known
    s.reply(None, now=2 * S + 100_000)
    assert isinstance(s.command, Wait) and s.command.wakeable  # no JoinGroup while unknown
    assert c.on_coordinator_found() == []
    s.reply(None, now=2 * S + 300_000)
    assert isinstance(s.command.request, JoinGroup) and s.command.request.member_id == "m"
    s.reply(JoinResponse(None, 1, "m", ("m",)), now=3 * S)
    s.reply(SyncResponse("COORDINATOR_LOAD_IN_PROGRESS"), now=3 * S)
    assert isinstance(s.command, Wait) and c.generation == 1 and c.coordinator_known
    s.reply(None, now=4 * S)
    assert isinstance(s.command.request, JoinGroup)


@pytest.mark.parametrize("error", ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"])
def test_join_resets_the_generation_on_other_errors(error):
    """Only a coordinator error keeps the generation."""
    s = Script("sync-per-batch")
    s.join()
    s.consumer.on_rebalance_notice()
    s.process_batch(4, now=S)
    s.skip_points()
    s.reply(CommitResponse(None), now=S)
    s.skip_points()
    s.reply(JoinResponse(error), now=2 * S)
    assert s.consumer.generation == -1


def test_offset_fetch_retries_a_coordinator_error():
    """The committed offsets are fetched again after retry.backoff.ms."""
    s = Script("sync-per-batch")
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    s.reply(SyncResponse(None, (0,)))
    s.reply(OffsetFetchResponse((), "NOT_COORDINATOR"), now=S)
    assert s.command == Wait(S + 100_000, wakeable=False)
    s.reply(None, now=S + 100_000)
    s.consumer.on_coordinator_found()
    s.reply(None, now=S + 200_000)
    assert isinstance(s.command.request, OffsetFetch)
    s.reply(OffsetFetchResponse((9,)))
    assert s.process_batch(20, now=2 * S).slices == ((0, 9, 19),)


def test_latest_starts_a_never_committed_partition_at_the_log_end():
    """auto.offset.reset=latest: the records already in the log are never returned."""
    s = Script("sync-per-batch", auto_offset_reset="latest")
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    s.reply(SyncResponse(None, (0,)))
    s.reply(OffsetFetchResponse((None,)))
    assert s.command.request == ListOffsets((0,))
    s.reply(ListOffsetsResponse((500,)))
    assert s.process_batch(503, now=S).slices == ((0, 500, 503),)


def test_reset_none_throws_out_of_poll_and_the_loop_unwinds():
    """auto.offset.reset=none with no committed offset: poll() throws, finally, close()."""
    s = Script("sync-per-batch", auto_offset_reset="none")
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    s.reply(SyncResponse(None, (0,)))
    s.reply(OffsetFetchResponse((None,)))
    while not isinstance(s.command, Stopped):
        assert not isinstance(s.command, ReadLog)  # no record is ever returned
        s.reply()
    assert s.command == Stopped("error")


# ---- the retrying strategies -------------------------------------------------------------------
class Owner:
    """What the strategies read from the consumer."""

    def __init__(self, sequence, assignment=(0, 1)):
        self.commit_sequence = sequence
        self.assignment = assignment


def test_naive_retry_resends_any_retriable_failure():
    naive = make_strategy("async-retry-naive")
    failed = CommitResult(((0, 10),), "COORDINATOR_LOAD_IN_PROGRESS", 3)
    assert naive.on_commit_result(Owner(5), failed)[0].offsets == ((0, 10),)
    assert naive.on_commit_result(Owner(5), CommitResult(((0, 10),), "ILLEGAL_GENERATION", 3)) == []


def test_sequence_retry_resends_only_the_latest_commit_of_owned_partitions():
    seq = make_strategy("async-retry-seq")
    failed = CommitResult(((0, 10),), "NOT_COORDINATOR", 3)
    assert seq.on_commit_result(Owner(3), failed)[0].offsets == ((0, 10),)
    assert seq.on_commit_result(Owner(4), failed) == []  # a newer commit was made
    assert seq.on_commit_result(Owner(3, assignment=(1,)), failed) == []  # no longer owned
    assert seq.on_commit_result(Owner(3), CommitResult(((0, 10),), None, 3)) == []


def test_consumer_counts_every_commit_async_in_its_sequence():
    """CommitResult.sequence is the consumer's counter when the commit was made."""
    s = Script("async-retry-seq")
    s.join()
    s.process_batch(4, now=S)
    send = s.skip_points()
    assert isinstance(send, Send) and s.consumer.commit_sequence == 1
