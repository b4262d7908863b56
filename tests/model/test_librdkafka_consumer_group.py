"""librdkafka's consumer-protocol group handling, fed by hand: no coordinator, no clock
(rdkafka_cgrp.c: rd_kafka_cgrp_consumer_serve, rd_kafka_cgrp_handle_ConsumerGroupHeartbeat,
rd_kafka_cgrp_consumer_handle_next_assignment, rd_kafka_rebalance_op_incr,
rd_kafka_cgrp_consumer_assignment_done; rdkafka_assignment.c)."""

import pytest

from sim.model.consumer_group import librdkafka as rk
from sim.model.consumer_group.messages import ConsumerGroupHeartbeat, ConsumerGroupHeartbeatResponse

S = 1_000_000
INTERVAL = 3 * S


def ok(epoch, assignment=None):
    return ConsumerGroupHeartbeatResponse(None, "m", epoch, INTERVAL, assignment)


def member(callback=True, auto_commit=True, instance_id=None):
    m = rk.LibrdkafkaMembership("m", 300 * S, auto_commit, callback, instance_id)
    m.subscribe()
    return m


def heartbeat(m, now):
    (request,) = [c for c in m.serve(now) if isinstance(c, ConsumerGroupHeartbeat)]
    return request


def apply(m, commands, now=0):
    """The application serves every rebalance callback at once and every assignment operation
    completes: the commands, in order."""
    done = []
    queue = list(commands)
    while queue:
        command = queue.pop(0)
        done.append(command)
        if isinstance(command, rk.RebalanceCallback):
            if command.kind == "revoke":
                queue += m.incremental_unassign(command.partitions)
            else:
                queue += m.incremental_assign(command.partitions)
        elif isinstance(command, (rk.Unassign, rk.AddAssignment)):
            queue += m.assignment_done(now)
    return done


def steady(partitions=(0, 1, 2), **settings):
    """A member that joined at t=0 with `partitions` at epoch 3 and acknowledged them."""
    m = member(**settings)
    heartbeat(m, 0)
    apply(m, m.on_heartbeat_response(0, ok(3, partitions)))
    assert heartbeat(m, 0).owned == partitions
    m.on_heartbeat_response(0, ok(3))
    assert (m.join_state, m.current, m.wait_ack) == (rk.STEADY, partitions, False)
    return m


def test_the_first_heartbeat_joins_with_everything():
    """INIT: a full request with epoch 0 (generation -1 sent as 0), the subscription, the
    rebalance timeout (max.poll.interval.ms) and the empty current assignment."""
    request = heartbeat(member(), 0)
    assert (request.member_epoch, request.owned, request.rebalance_timeout_us) == (0, (), 300 * S)


def test_a_new_assignment_pauses_everything_until_the_application_serves_the_callback():
    """rd_kafka_rebalance_op_incr with a rebalance callback: every assigned partition is paused
    and the op waits for the application's next poll."""
    m = steady()
    out = m.on_heartbeat_response(3 * S, ok(3, (0, 1, 2, 3)))
    assert out == [rk.Pause(), rk.RebalanceCallback("assign", (3,))]
    assert m.join_state == rk.WAIT_ASSIGN_CALL
    assert heartbeat(m, 4 * S).owned is None  # heartbeats go on; no ack before it is done


def test_the_revoked_partitions_go_first_with_their_offsets_committed():
    """rd_kafka_cgrp_handle_assignment_cooperative: a REVOKE op for the partitions that went
    (their stored offsets committed with enable.auto.commit), then an ASSIGN op once the unassign
    is done, then the ack carrying the whole target."""
    m = steady()
    done = apply(m, m.on_heartbeat_response(3 * S, ok(3, (0, 3))), 3 * S)
    assert done == [
        rk.Pause(),
        rk.RebalanceCallback("revoke", (1, 2)),
        rk.Unassign((1, 2), commit=True),
        rk.Pause(),
        rk.RebalanceCallback("assign", (3,)),
        rk.AddAssignment((3,)),
    ]
    assert heartbeat(m, 3 * S).owned == (0, 3)


def test_without_auto_commit_a_revoke_commits_nothing():
    """rd_kafka_assignment_serve_removals commits only with enable.auto.commit."""
    m = steady(auto_commit=False)
    done = apply(m, m.on_heartbeat_response(3 * S, ok(3, (0,))))
    assert rk.Unassign((1, 2), commit=False) in done


def test_without_a_rebalance_callback_the_thread_reconciles_by_itself():
    """No rebalance callback: the thread unassigns and assigns itself, nothing paused."""
    m = steady(callback=False)
    out = m.on_heartbeat_response(3 * S, ok(3, (0, 1, 2, 3)))
    assert out == [rk.AddAssignment((3,))]


def test_the_ack_response_makes_the_target_current():
    """The response to the heartbeat that acknowledged (SENDING_ACK) moves the target to the
    current assignment and ends WAIT_ACK."""
    m = steady()
    apply(m, m.on_heartbeat_response(3 * S, ok(3, (0, 3))))
    heartbeat(m, 3 * S)
    m.on_heartbeat_response(3 * S, ok(4))
    assert (m.current, m.target, m.wait_ack, m.epoch) == ((0, 3), None, False, 4)


def test_one_reconciliation_at_a_time():
    """rd_kafka_cgrp_consumer_handle_next_assignment: while waiting for the ack, a newer target
    is kept and reconciled from a later response."""
    m = steady()
    m.on_heartbeat_response(3 * S, ok(3, (0, 3)))  # the revoke op waits for the application
    assert m.on_heartbeat_response(4 * S, ok(3, (0,))) == []
    assert m.next_target == (0,)


def test_the_heartbeat_follows_the_interval_and_an_ack_goes_at_once():
    """rd_interval on the coordinator's interval; a finished reconciliation expedites the ack
    heartbeat (rd_kafka_cgrp_consumer_expedite_next_heartbeat)."""
    m = steady()
    assert m.next_serve_us(1 * S) == INTERVAL
    apply(m, m.on_heartbeat_response(1 * S, ok(3, (0,))), 1 * S)
    assert m.next_serve_us(1 * S) == 1 * S


@pytest.mark.parametrize("error", ["UNKNOWN_MEMBER_ID", "FENCED_MEMBER_EPOCH"])
def test_a_fenced_member_loses_everything_and_rejoins_as_the_same_member(error):
    """WAIT_REJOIN, then rd_kafka_cgrp_revoke_all_rejoin(lost): the revoke commits nothing, and
    the member rejoins with epoch 0, the same member id and a full request."""
    m = steady()
    heartbeat(m, 3 * S)
    assert m.on_heartbeat_response(3 * S, ConsumerGroupHeartbeatResponse(error)) == []
    done = apply(m, m.serve(4 * S), 4 * S)
    assert done[:3] == [
        rk.Pause(),
        rk.RebalanceCallback("revoke", (0, 1, 2), lost=True),
        rk.Unassign((0, 1, 2), commit=False),
    ]
    assert m.next_serve_us(4 * S) == 4 * S + 1_000  # expedited, 2^0 ms after a failure
    request = heartbeat(m, 4 * S + 1_000)
    assert (request.member_id, request.member_epoch, request.owned) == ("m", 0, ())


def test_fatal_errors_drop_the_assignment_without_a_callback():
    """UNRELEASED_INSTANCE_ID and the other unhandled errors are fatal: rd_kafka_set_fatal_error,
    and the assignment goes without the application's callback; no more heartbeats."""
    m = steady(instance_id="i-0")
    heartbeat(m, 3 * S)
    out = m.on_heartbeat_response(3 * S, ConsumerGroupHeartbeatResponse("UNRELEASED_INSTANCE_ID"))
    assert out == [rk.Unassign((0, 1, 2), commit=False)]
    assert m.fatal_error == "UNRELEASED_INSTANCE_ID" and m.serve(10 * S) == []


def test_a_coordinator_error_makes_the_next_heartbeat_a_full_one():
    """NOT_COORDINATOR: re-query the coordinator; the next heartbeat sends everything."""
    m = steady()
    heartbeat(m, 3 * S)
    m.on_heartbeat_response(3 * S, ConsumerGroupHeartbeatResponse("NOT_COORDINATOR"))
    assert m.next_serve_us(3 * S) is None
    m.on_coordinator_found(4 * S)
    request = heartbeat(m, m.next_serve_us(4 * S))
    assert request.owned == (0, 1, 2) and request.rebalance_timeout_us == 300 * S


def test_commit_errors_only_hasten_the_heartbeat():
    """Consumer protocol: UNKNOWN_MEMBER_ID and STALE_MEMBER_EPOCH on a commit leave the
    assignment alone and expedite the heartbeat; a stale auto or revoke commit is retried, the
    application's own (manual) one fails."""
    m = steady()
    assert m.next_serve_us(1 * S) == INTERVAL
    assert m.on_commit_error(1 * S, "STALE_MEMBER_EPOCH", manual=False)
    assert not m.on_commit_error(1 * S, "STALE_MEMBER_EPOCH", manual=True)
    assert not m.on_commit_error(1 * S, "UNKNOWN_MEMBER_ID", manual=False)
    assert m.next_serve_us(1 * S) == 1 * S
    assert m.assignment == (0, 1, 2)


def test_a_max_poll_timeout_stops_heartbeats_then_revokes_as_lost_and_leaves():
    """rd_kafka_cgrp_max_poll_interval_check_tmr_cb (consumer protocol): no heartbeat while the
    application does not poll; with a callback the lost revoke waits for that poll; then the
    leave heartbeat (epoch -1) and a rejoin."""
    m = steady()
    m.max_poll_exceeded_now()
    out = m.serve(301 * S)
    assert out == [rk.Pause(), rk.RebalanceCallback("revoke", (0, 1, 2), lost=True)]
    assert m.next_serve_us(302 * S) is None
    m.on_poll(400 * S)
    done = apply(m, m.incremental_unassign((0, 1, 2)), 400 * S)
    (leave,) = [c for c in done if isinstance(c, ConsumerGroupHeartbeat)]
    assert leave.member_epoch == -1
    m.on_leave_response(400 * S)
    assert heartbeat(m, 400 * S).member_epoch == 0


def test_close_revokes_then_leaves_and_a_static_member_leaves_with_minus_two():
    """rd_kafka_consumer_close: the revoke (with its commit), then rd_kafka_cgrp_consumer_leave
    with -2 for a static member."""
    m = steady(instance_id="i-0")
    done = apply(m, m.close(), 9 * S)
    assert rk.Unassign((0, 1, 2), commit=True) in done
    (leave,) = [c for c in done if isinstance(c, ConsumerGroupHeartbeat)]
    assert (leave.member_epoch, leave.instance_id) == (-2, "i-0")


def test_the_join_state_table_refuses_a_transition_it_does_not_list():
    """The consumer protocol's join states, as a table: an unlisted transition is our bug."""
    m = member()
    with pytest.raises(AssertionError):
        m._set_join_state(rk.WAIT_INCR_UNASSIGN_TO_COMPLETE)
