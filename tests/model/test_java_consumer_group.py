"""The Java consumer's membership and heartbeats in a consumer group, fed by hand: no coordinator,
no clock (clients/.../consumer/internals: ConsumerMembershipManager, AbstractMembershipManager,
ConsumerHeartbeatRequestManager, AbstractHeartbeatRequestManager, CommitRequestManager)."""

import pytest

from sim.model.consumer_group import java_membership as jm
from sim.model.consumer_group.java_heartbeat import JavaHeartbeat
from sim.model.consumer_group.messages import TOPIC, ConsumerGroupHeartbeatResponse

S = 1_000_000
MS = 1_000
REBALANCE = 300 * S
INTERVAL = 5 * S


def ok(epoch, assignment=None):
    return ConsumerGroupHeartbeatResponse(None, "m", epoch, INTERVAL, assignment)


def error(name):
    return ConsumerGroupHeartbeatResponse(name)


def member(auto_commit=False, instance_id=None):
    membership = jm.JavaMembership("m", REBALANCE, auto_commit=auto_commit, instance_id=instance_id)
    return membership, JavaHeartbeat(membership, 100 * MS, 1 * S)


def joined(auto_commit=False, instance_id=None, partitions=(0, 1, 2)):
    """A member that joined at t=0, reconciled `partitions` at epoch 3 and acknowledged them."""
    m, hb = member(auto_commit, instance_id)
    m.subscribe()
    m.on_poll(0)
    hb.heartbeat(0)
    hb.on_heartbeat_response(0, ok(3, partitions))
    finish(m, m.on_poll(0))
    request, _ = hb.heartbeat(0)
    assert request.owned == partitions
    hb.on_heartbeat_response(0, ok(3))
    assert m.state == jm.STABLE
    return m, hb


def finish(m, commands, now=0):
    """Carry out the commands as a consumer would, every commit and callback succeeding; returns
    them all in order."""
    done = []
    queue = list(commands)
    while queue:
        command = queue.pop(0)
        done.append(command)
        if isinstance(command, jm.CommitConsumed):
            queue += m.on_commit_done(now, None)
        elif isinstance(command, jm.Callback):
            queue += m.on_callback_done(now, command.sequence)
        elif isinstance(command, jm.AutoCommit):
            m.on_auto_commit_done(now, None)
    return done


def kinds(commands):
    return [
        type(c).__name__ + (f":{c.method}" if isinstance(c, jm.Callback) else "") for c in commands
    ]


def test_a_subscribed_member_joins_at_its_next_poll_with_everything():
    """onConsumerPoll: UNSUBSCRIBED -> JOINING; the join heartbeat (epoch 0) goes at once and
    carries every field (HeartbeatState.buildRequestData), its owned partitions empty."""
    m, hb = member()
    m.subscribe()
    assert hb.heartbeat(0) == (None, [])
    m.on_poll(0)
    assert m.state == jm.JOINING
    request, _ = hb.heartbeat(0)
    assert (request.member_epoch, request.owned, request.subscribed_topics) == (0, (), (TOPIC,))
    assert request.rebalance_timeout_us == REBALANCE


def test_a_new_assignment_is_reconciled_at_the_applications_next_poll():
    """After KAFKA-18641 the reconciliation starts from the application's poll (the PollEvent),
    not from the background thread as soon as the heartbeat response arrives."""
    m, hb = member()
    m.subscribe()
    m.on_poll(0)
    hb.heartbeat(0)
    assert hb.on_heartbeat_response(10 * MS, ok(1, (0, 1))) == []
    assert m.state == jm.RECONCILING and m.assigned == ()
    assert kinds(finish(m, m.on_poll(20 * MS))) == ["Assign", "Callback:assigned"]
    assert m.state == jm.ACKNOWLEDGING and m.assigned == (0, 1)


def test_a_reconciliation_revokes_commits_calls_back_assigns_then_acknowledges():
    """maybeReconcile: mark the revoked partitions pending revocation, commit all consumed
    positions (auto commit), onPartitionsRevoked, assign, onPartitionsAssigned; then the ack
    heartbeat goes without waiting for the interval, carrying the partitions now owned."""
    m, hb = joined(auto_commit=True)
    hb.heartbeat(5 * S)
    hb.on_heartbeat_response(5 * S, ok(3, (0, 3)))
    done = finish(m, m.on_poll(6 * S), 6 * S)
    assert kinds(done) == [
        "AutoCommit",
        "Revoking",
        "CommitConsumed",
        "Callback:revoked",
        "Assign",
        "Callback:assigned",
    ]
    assert done[1].partitions == (1, 2) and done[4] == jm.Assign((0, 3), (3,))
    assert done[2].deadline_us == 6 * S + REBALANCE  # retried until the rebalance timeout
    assert hb.next_heartbeat_us(6 * S) == 6 * S
    request, _ = hb.heartbeat(6 * S)
    assert request.owned == (0, 3)
    assert m.state == jm.STABLE


def test_the_revocation_waits_for_the_commit_and_goes_on_when_it_fails():
    """The revocation callback runs only once the commit before revocation completed; a failed
    commit (out of retries or time) does not stop the reconciliation."""
    m, hb = joined(auto_commit=True)
    hb.on_heartbeat_response(5 * S, ok(3, (0,)))
    out = m.on_poll(5 * S)
    assert kinds(out)[-1] == "CommitConsumed"
    assert kinds(m.on_commit_done(7 * S, "TIMEOUT")) == ["Callback:revoked"]


def test_without_auto_commit_nothing_is_committed_before_revoking():
    """maybeAutoCommitSyncBeforeRevocation does nothing when auto commit is off."""
    m, hb = joined(auto_commit=False)
    hb.on_heartbeat_response(5 * S, ok(3, (0,)))
    assert kinds(m.on_poll(5 * S)) == ["Revoking", "Callback:revoked"]


def test_a_failed_callback_leaves_the_member_unacknowledged():
    """A listener that throws fails the reconciliation: no ack, so the coordinator's rebalance
    timeout fences the member."""
    m, hb = joined()
    hb.on_heartbeat_response(5 * S, ok(3, (0,)))
    (revoking, callback) = m.on_poll(5 * S)
    assert m.on_callback_done(5 * S, callback.sequence, failed=True) == []
    assert m.state == jm.RECONCILING and m.assigned == (0, 1, 2)


def test_heartbeats_carry_owned_partitions_only_when_they_changed():
    """The owned partitions go with the first heartbeat after a reconciliation; later ones send
    none (null: unchanged), nor the other fields."""
    m, hb = joined()
    request, _ = hb.heartbeat(5 * S)
    assert (request.owned, request.rebalance_timeout_us, request.subscribed_topics) == (
        None,
        None,
        None,
    )


def test_heartbeats_follow_the_interval_the_coordinator_gives():
    """The heartbeat timer restarts at each send; the first response's interval resets it from
    the response (updateHeartbeatIntervalMs); one heartbeat in flight at a time."""
    m, hb = joined()
    assert hb.next_heartbeat_us(1 * S) == INTERVAL
    hb.heartbeat(INTERVAL)
    assert hb.next_heartbeat_us(INTERVAL + 1) is None  # in flight
    hb.on_heartbeat_response(INTERVAL + 20 * MS, ok(3))
    assert hb.next_heartbeat_us(INTERVAL + 20 * MS) == 2 * INTERVAL


def test_a_failed_heartbeat_is_retried_with_a_growing_backoff():
    """onFailedAttempt: the timer is reset at once but retry.backoff.ms applies, doubling per
    failure up to retry.backoff.max.ms; the next request resends everything."""
    m, hb = joined()
    hb.heartbeat(5 * S)
    hb.on_heartbeat_response(5 * S, error("COORDINATOR_LOAD_IN_PROGRESS"))
    assert hb.next_heartbeat_us(5 * S) == 5 * S + 100 * MS
    hb.heartbeat(5 * S + 100 * MS)
    hb.on_heartbeat_response(5 * S + 100 * MS, error("COORDINATOR_LOAD_IN_PROGRESS"))
    assert hb.next_heartbeat_us(5 * S + 100 * MS) == 5 * S + 300 * MS
    request, _ = hb.heartbeat(5 * S + 300 * MS)
    assert request.owned == (0, 1, 2) and request.rebalance_timeout_us == REBALANCE


@pytest.mark.parametrize("name", ["FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID"])
def test_a_fenced_member_loses_its_partitions_and_rejoins_as_the_same_member(name):
    """transitionToFenced: epoch 0, onPartitionsLost for everything, then JOINING with the same
    member id; commits stop carrying a member id and epoch meanwhile."""
    m, hb = joined()
    hb.heartbeat(5 * S)
    (lost,) = hb.on_heartbeat_response(5 * S, error(name))
    assert (m.state, lost.method, lost.partitions) == (jm.FENCED, "lost", (0, 1, 2))
    assert m.commit_member() == ("", -1)
    assert hb.heartbeat(5 * S) == (None, [])  # no heartbeat until the partitions are released
    assert m.on_callback_done(6 * S, lost.sequence) == [jm.Assign((), ())]
    request, _ = hb.heartbeat(6 * S)
    assert (request.member_id, request.member_epoch, request.owned) == ("m", 0, ())


@pytest.mark.parametrize("name", ["UNRELEASED_INSTANCE_ID", "FENCED_INSTANCE_ID"])
def test_instance_id_errors_are_fatal(name):
    """ConsumerHeartbeatRequestManager.handleSpecificError: a static member whose instance id is
    still held (UNRELEASED_INSTANCE_ID) or taken (FENCED_INSTANCE_ID) fails for good."""
    m, hb = member(instance_id="i-0")
    m.subscribe()
    m.on_poll(0)
    hb.heartbeat(0)
    assert hb.on_heartbeat_response(0, error(name)) == [jm.Assign((), ())]
    assert (m.state, m.fatal_error) == (jm.FATAL, name)
    assert hb.next_heartbeat_us(1 * S) is None


def test_commits_carry_the_latest_member_epoch():
    """CommitRequestManager.onMemberEpochUpdated: a commit made after a heartbeat response
    carries the epoch that response gave, even mid-reconciliation."""
    m, hb = joined()
    assert m.commit_member() == ("m", 3)
    hb.on_heartbeat_response(5 * S, ok(4))
    assert m.commit_member() == ("m", 4)


def test_an_expired_poll_timer_leaves_at_once_and_rejoins_at_the_next_poll():
    """AbstractHeartbeatRequestManager.poll: past max.poll.interval.ms the leave heartbeat
    (epoch -1) goes at once, its response ignored; the member goes STALE, runs onPartitionsLost,
    and rejoins when the application polls again."""
    m, hb = joined()
    request, (lost,) = hb.poll_timer_expired(300 * S)
    assert request.member_epoch == -1 and m.state == jm.STALE
    assert lost.method == "lost"
    assert hb.on_heartbeat_response(300 * S, ok(-1)) == []
    m.on_callback_done(301 * S, lost.sequence)
    assert m.state == jm.STALE and hb.next_heartbeat_us(301 * S) is None
    m.on_poll(400 * S)
    request, _ = hb.heartbeat(400 * S)
    assert (m.state, request.member_epoch) == (jm.JOINING, 0)


def test_a_static_member_leaves_with_epoch_minus_two():
    """leaveGroupEpoch: a static member leaves with -2, so its partitions wait for it."""
    m, hb = joined(instance_id="i-0")
    request, _ = hb.poll_timer_expired(300 * S)
    assert (request.member_epoch, request.instance_id) == (-2, "i-0")


def test_leaving_revokes_then_sends_the_leave_heartbeat():
    """leaveGroup (close): onPartitionsRevoked while still in the group, then LEAVING and the
    leave heartbeat at once; the member is then UNSUBSCRIBED."""
    m, hb = joined()
    revoking, revoked = m.leave()
    assert (revoking, revoked.method) == (jm.Revoking((0, 1, 2)), "revoked")
    assert hb.heartbeat(1 * S) == (None, [])  # PREPARE_LEAVING: the callback first
    m.on_callback_done(1 * S, revoked.sequence)
    request, _ = hb.heartbeat(1 * S)
    assert request.member_epoch == -1 and m.state == jm.UNSUBSCRIBED


def test_the_auto_commit_runs_at_poll_when_its_interval_passed():
    """CommitRequestManager.maybeAutoCommitAsync from the PollEvent: one auto commit in flight at
    a time; its timer restarts at each commit and when a reconciliation completes
    (signalReconciliationCompleting)."""
    m, hb = joined(auto_commit=True)
    assert m.on_poll(4 * S) == []
    assert m.on_poll(5 * S) == [jm.AutoCommit()]
    assert m.on_poll(11 * S) == []  # the previous one is still in flight
    m.on_auto_commit_done(11 * S, None)
    assert m.on_poll(11 * S) == [jm.AutoCommit()]
    m.on_auto_commit_done(11 * S, None)
    hb.on_heartbeat_response(12 * S, ok(3, (0,)))
    finish(m, m.on_poll(13 * S), 13 * S)
    assert m.on_poll(17 * S) == []  # 16 s was due, but the reconciliation restarted the timer
    assert m.on_poll(18 * S) == [jm.AutoCommit()]


def test_an_assignment_received_mid_reconciliation_waits_for_the_next_one():
    """One reconciliation at a time: a newer target is reconciled after the ack heartbeat."""
    m, hb = joined()
    hb.on_heartbeat_response(5 * S, ok(3, (0, 1)))
    revoking, revoked = m.on_poll(5 * S)
    hb.on_heartbeat_response(5 * S, ok(3, (0,)))
    assert m.on_poll(5 * S) == []
    finish(m, m.on_callback_done(5 * S, revoked.sequence))
    request, _ = hb.heartbeat(5 * S)
    assert request.owned == (0, 1) and m.state == jm.RECONCILING
    assert kinds(m.on_poll(6 * S)) == ["Revoking", "Callback:revoked"]


def test_the_member_state_table_refuses_a_transition_it_does_not_list():
    """MemberState's previousValidStates, as a table: an unlisted transition is our bug."""
    m, _ = member()
    with pytest.raises(AssertionError):
        m._transition(jm.ACKNOWLEDGING)
