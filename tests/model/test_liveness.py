"""The heartbeat thread's decisions, fed by hand: the poll timer, heartbeat errors, and the
coordinator's answer to the first heartbeat after a pause or a cut (docs/semantics.md §9;
AbstractCoordinator.HeartbeatThread and HeartbeatResponseHandler)."""

from sim.model import coordinator as co
from sim.model.commands import Call, Process, Processed, ReadLog, Send, Wait
from sim.model.messages import CommitResponse, JoinGroup, LeaveGroup

from .test_consumer import S, Script
from .test_coordinator import SESSION, stable_group

POLL_INTERVAL = 10 * S


def mid_batch(strategy="sync-per-batch"):
    """A stable one-member consumer that left poll() at 1 s with 5 records and is processing."""
    s = Script(strategy, rebalance_timeout_us=POLL_INTERVAL)
    s.join(now=0)
    assert isinstance(s.command, ReadLog)
    s.reply((5,), now=S)
    assert isinstance(s.skip_points(), Process)
    return s


def spy_commit_sync(consumer) -> list:
    """The CommitResults of the consumer's commitSync calls."""
    results = []
    commit_sync = consumer.commit_sync

    def spy(*args, **kwargs):
        result = yield from commit_sync(*args, **kwargs)
        results.append(result)
        return result

    consumer.commit_sync = spy
    return results


def test_the_poll_timer_runs_only_outside_poll():
    """max.poll.interval.ms counts from the application's last return from poll(); inside
    poll() the timer keeps resetting (ConsumerCoordinator.poll -> pollHeartbeat)."""
    s = Script("sync-per-batch", rebalance_timeout_us=POLL_INTERVAL)
    s.join(now=0)
    assert s.consumer.in_poll and not s.consumer.poll_timer_expired(60 * S)
    s.reply((5,), now=S)
    assert not s.consumer.in_poll and s.consumer.last_poll_us == S
    assert not s.consumer.poll_timer_expired(S + POLL_INTERVAL - 1)
    assert s.consumer.poll_timer_expired(S + POLL_INTERVAL)


def test_poll_timeout_sends_leave_group_and_forgets_the_generation():
    """The heartbeat thread makes a dynamic member leave at once (maybeLeaveGroup), then resets
    its generation and member id (resetGenerationOnLeaveGroup); the assignment is kept."""
    s = mid_batch()
    consumer = s.consumer
    consumer.now = 5 * S
    assert consumer.on_poll_timeout() is None  # not yet expired
    consumer.now = S + POLL_INTERVAL
    (send,) = consumer.on_poll_timeout()
    assert isinstance(send, Send) and send.request == LeaveGroup("m")
    assert consumer.generation == -1 and consumer.member_id != "m"
    assert consumer.state == "UNJOINED" and consumer.rejoin_needed
    assert consumer.assignment == (0,)  # until the next poll's onJoinPrepare
    assert consumer.on_poll_timeout() is None  # the thread is idle once unjoined


def test_a_static_member_s_poll_timeout_sends_nothing_but_resets_its_generation():
    """maybeLeaveGroup skips LeaveGroup for a static member (KIP-345) but resets its generation
    and member id all the same (resetGenerationOnLeaveGroup); the heartbeat thread then stops
    (HeartbeatThread.run disables itself while UNJOINED), so the coordinator hears no more from
    it and expires it one session after its last heartbeat."""
    s = Script("sync-per-batch", instance_id="instance-0", rebalance_timeout_us=POLL_INTERVAL)
    s.join(now=0)
    s.reply((5,), now=S)
    consumer = s.consumer
    assert consumer.heartbeating()
    consumer.now = S + POLL_INTERVAL
    assert consumer.on_poll_timeout() == []
    assert consumer.generation == -1 and consumer.member_id != "m"
    assert consumer.state == "UNJOINED" and consumer.rejoin_needed
    assert not consumer.heartbeating()


def test_after_a_poll_timeout_the_zombie_commit_fails_in_the_client():
    """The application finishes its batch; its commitSync never leaves the client
    (CommitFailedException: COMMIT_FAILED), and the next poll() calls onPartitionsLost and
    rejoins as a new member."""
    s = mid_batch()
    s.consumer.now = S + POLL_INTERVAL
    s.consumer.on_poll_timeout()
    results = spy_commit_sync(s.consumer)
    lost = []
    s.consumer.strategy.on_lost = lambda consumer, parts: lost.append(parts) or []
    s.reply(Processed(5, False), now=12 * S)
    command = s.skip_points()
    assert [r.error for r in results] == ["COMMIT_FAILED"]
    assert lost == [(0,)]
    assert isinstance(command.request, JoinGroup) and command.request.member_id != "m"


def test_a_heartbeat_unknown_member_id_resets_member_and_rejoins_at_next_poll():
    """UNKNOWN_MEMBER_ID from a heartbeat: the coordinator removed this member. The client
    forgets generation and member id; the batch goes on; its commit then fails locally."""
    s = mid_batch()
    s.consumer.on_heartbeat_error("UNKNOWN_MEMBER_ID")
    assert s.consumer.generation == -1 and s.consumer.member_id != "m"
    assert s.consumer.assignment == (0,)
    results = spy_commit_sync(s.consumer)
    s.reply(Processed(5, False), now=2 * S)
    assert isinstance(s.skip_points().request, JoinGroup)
    assert [r.error for r in results] == ["COMMIT_FAILED"]


def test_a_heartbeat_illegal_generation_keeps_the_member_id():
    s = mid_batch()
    s.consumer.on_heartbeat_error("ILLEGAL_GENERATION")
    assert s.consumer.generation == -1 and s.consumer.member_id == "m"


def test_heartbeat_errors_are_ignored_while_the_thread_is_idle():
    """The heartbeat thread sends nothing while UNJOINED or PREPARING_REBALANCE."""
    s = mid_batch()
    s.consumer.state = "PREPARING_REBALANCE"
    s.consumer.on_heartbeat_error("UNKNOWN_MEMBER_ID")
    assert s.consumer.member_id == "m" and s.consumer.generation == 1


def test_a_commit_after_the_heartbeat_error_is_refused_by_the_broker_when_already_sent():
    """A commit already in flight when the member was removed comes back UNKNOWN_MEMBER_ID."""
    s = mid_batch()
    s.reply(Processed(5, False), now=2 * S)
    commit = s.skip_points()
    assert isinstance(commit, Call)
    s.reply(CommitResponse("UNKNOWN_MEMBER_ID"), now=2 * S)
    assert s.consumer.generation == -1 and s.consumer.member_id != "m"


def test_first_heartbeat_after_a_pause_tells_a_removed_member():
    """A member whose session expired during a pause learns UNKNOWN_MEMBER_ID."""
    g = stable_group()
    (expiry,) = [o for o in g.heartbeats_stopped(10 * S, "b", 9 * S) if isinstance(o, co.SetTimer)]
    g.timer(expiry.at_us, expiry.token)
    assert g.heartbeat(expiry.at_us + S, "b", 1) == "UNKNOWN_MEMBER_ID"
    assert g.heartbeat(expiry.at_us + S, "a", 1) == "REBALANCE_IN_PROGRESS"


def test_first_heartbeat_after_a_short_pause_keeps_the_member():
    """Back before its session expired: the member heartbeats again, its expiry is void."""
    g = stable_group()
    (expiry,) = [o for o in g.heartbeats_stopped(10 * S, "b", 9 * S) if isinstance(o, co.SetTimer)]
    assert g.heartbeat(12 * S, "b", 1) is None
    assert g.timer(expiry.at_us, expiry.token) == []
    assert "b" in g.members and g.state == co.STABLE and expiry.at_us == 9 * S + SESSION


def test_a_heartbeat_rebalance_in_progress_asks_a_stable_member_to_rejoin_and_is_ignored_else():
    """HeartbeatResponseHandler: REBALANCE_IN_PROGRESS makes a STABLE member request a rejoin;
    in COMPLETING_REBALANCE (it heartbeats after its JoinGroup response) it is ignored."""
    s = mid_batch()
    s.consumer.rejoin_needed = False
    s.consumer.on_heartbeat_error("REBALANCE_IN_PROGRESS")
    assert s.consumer.rejoin_needed and s.consumer.generation == 1
    s = mid_batch()
    s.consumer.rejoin_needed = False
    s.consumer.state = "COMPLETING_REBALANCE"
    s.consumer.on_heartbeat_error("REBALANCE_IN_PROGRESS")
    assert not s.consumer.rejoin_needed


def test_every_member_id_reset_gives_an_id_never_used_before():
    """A member whose id was reset joins as a new member: each reset must give a fresh id, or
    the coordinator would take the member for its own ghost."""
    s = mid_batch()
    ids = {s.consumer.member_id}
    for _ in range(3):
        s.consumer._reset_generation(reset_member=True)
        ids.add(s.consumer.member_id)
    assert len(ids) == 4


def test_commit_sync_with_no_coordinator_found_before_its_deadline_times_out():
    """ensureCoordinatorReady within default.api.timeout.ms: no coordinator found in time and
    commitSync fails with a timeout, having sent nothing."""
    s = Script("sync-per-batch", api_timeout_us=S)
    results = spy_commit_sync(s.consumer)
    s.join(now=0)
    s.reply((5,), now=0)
    s.skip_points()
    s.consumer.coordinator_known = False
    wait = s.reply(Processed(5, False))
    while not isinstance(wait, Wait):
        wait = s.reply()
    assert wait.until_us == S
    s.reply(None, now=S)
    assert [r.error for r in results] == ["TIMEOUT"]


def test_commit_sync_retries_until_its_deadline_then_reports_a_timeout():
    """A retriable error until default.api.timeout.ms: the result is a timeout (its outcome
    unknown), not a success and not the last error."""
    s = Script("sync-per-batch", api_timeout_us=S)
    results = spy_commit_sync(s.consumer)
    s.join(now=0)
    s.reply((5,), now=0)
    s.skip_points()
    command = s.reply(Processed(5, False))
    now = 0
    while not results:
        if isinstance(command, Call):
            command = s.reply(CommitResponse("COORDINATOR_LOAD_IN_PROGRESS"), now)
        elif isinstance(command, Wait):
            now = command.until_us
            command = s.reply(None, now)
        else:
            command = s.reply()
    assert [r.error for r in results] == ["TIMEOUT"] and results[0].offsets == ((0, 5),)
