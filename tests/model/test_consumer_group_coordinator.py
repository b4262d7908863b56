"""The coordinator of a consumer group (KIP-848) fed by hand: no simpy, no clock. Each test names
the rule and its source in GroupMetadataManager (consumerGroupHeartbeat and its helpers),
ConsumerGroup and OffsetMetadataManager."""

import pytest

from sim.model import coordinator as co
from sim.model.consumer_group import coordinator as cg
from sim.model.consumer_group.messages import (
    TOPIC,
    ConsumerGroupHeartbeat,
    MemberOffsetFetch,
)
from sim.model.consumer_group.reconciliation import (
    STABLE,
    UNRELEASED_PARTITIONS,
    UNREVOKED_PARTITIONS,
)
from sim.model.messages import OffsetCommit, TxnOffsetCommit

S = 1_000_000
REBALANCE = 300 * S


def reply(outputs):
    (response,) = [o.response for o in outputs if isinstance(o, co.Reply)]
    return response


def of(kind, outputs):
    return [o for o in outputs if isinstance(o, kind)]


class Group:
    """A coordinator and the requests members send it, with request ids counted."""

    def __init__(self, partitions=4, **settings):
        self.g = cg.ConsumerGroupCoordinator(partitions, **settings)
        self.rid = 0
        self.out = []

    def send(self, now, request):
        self.rid += 1
        self.out = self.g.heartbeat(now, self.rid, request)
        return reply(self.out)

    def join(self, now, member, instance=None, assignor=None, timeout=REBALANCE):
        request = ConsumerGroupHeartbeat(member, 0, instance, timeout, (TOPIC,), assignor, ())
        return self.send(now, request)

    def beat(self, now, member, epoch, owned=None):
        return self.send(now, ConsumerGroupHeartbeat(member, epoch, owned=owned))

    def leave(self, now, member, epoch=-1, instance=None):
        return self.send(now, ConsumerGroupHeartbeat(member, epoch, instance))

    def fire(self, now, timer):
        self.out = self.g.timer(now, timer.token)
        return self.out

    def commit(self, now, member, epoch, offsets=((0, 5),)):
        self.rid += 1
        return reply(self.g.commit(now, self.rid, OffsetCommit(member, epoch, offsets))).error


def stable_pair(static=False):
    """a and b, both STABLE at epoch 2 with (0, 1) and (2, 3), at t=1 s; static: with
    instance ids i-a and i-b."""
    grp = Group()
    grp.join(0, "a", instance="i-a" if static else None)
    grp.beat(0, "a", 1, owned=(0, 1, 2, 3))
    grp.join(0, "b", instance="i-b" if static else None)
    grp.beat(0, "a", 1)
    grp.beat(0, "a", 1, owned=(0, 1))
    grp.beat(1 * S, "b", 2)
    grp.beat(1 * S, "b", 2, owned=(2, 3))
    assert grp.g.state == cg.STABLE
    return grp


def two_members_revoking():
    """a owns all four partitions at epoch 1; b joined at t=1 s (epoch 2) and waits for 2 and 3;
    a's heartbeat at t=5 s asks it to revoke them."""
    grp = Group()
    grp.join(0, "a")
    grp.beat(0, "a", 1, owned=(0, 1, 2, 3))
    grp.join(1 * S, "b")
    grp.beat(5 * S, "a", 1)
    return grp


def test_the_first_member_gets_everything_at_epoch_one():
    """A joining member bumps the group epoch; the target is computed in its own heartbeat and
    free partitions are given at once; a join (epoch 0) is answered with the whole assignment."""
    grp = Group()
    response = grp.join(0, "a")
    assert (response.member_epoch, response.assignment) == (1, (0, 1, 2, 3))
    assert response.heartbeat_interval_us == 5 * S  # group.consumer.heartbeat.interval.ms
    assert grp.g.state == cg.STABLE
    assert of(cg.TargetAssignment, grp.out) == [cg.TargetAssignment(1, (("a", (0, 1, 2, 3)),))]


def test_a_new_member_waits_for_partitions_another_member_holds():
    """The joiner reaches the target epoch with only free partitions (UNRELEASED_PARTITIONS); the
    other members learn of the new target at their next heartbeat (HeartbeatNeeded)."""
    grp = Group()
    grp.join(0, "a")
    response = grp.join(1 * S, "b")
    assert (response.member_epoch, response.assignment) == (2, ())
    assert grp.g.members["b"].state == UNRELEASED_PARTITIONS
    assert grp.g.target == {"a": (0, 1), "b": (2, 3)}
    assert of(cg.HeartbeatNeeded, grp.out) == [cg.HeartbeatNeeded("a")]
    assert grp.g.state == cg.RECONCILING


def test_the_owner_revokes_first_and_keeps_its_epoch():
    """The owner's next heartbeat moves it to UNREVOKED_PARTITIONS in its old epoch, answered
    with the partitions it keeps, and arms its rebalance timeout (its max.poll.interval.ms)."""
    grp = two_members_revoking()
    response = reply(grp.out)
    assert (response.member_epoch, response.assignment) == (1, (0, 1))
    member = grp.g.members["a"]
    assert (member.state, member.pending_revocation) == (UNREVOKED_PARTITIONS, (2, 3))
    (timer,) = of(co.SetTimer, grp.out)
    assert timer.at_us == 5 * S + REBALANCE


def test_a_heartbeat_that_does_not_report_its_partitions_does_not_release_them():
    """ownsRevokedPartitions: heartbeats without owned partitions leave the member revoking."""
    grp = two_members_revoking()
    grp.beat(10 * S, "a", 1)
    assert grp.g.members["a"].state == UNREVOKED_PARTITIONS
    assert grp.g.partition_epochs[2] == 1


def test_acknowledging_the_revocation_frees_the_partitions_for_the_waiting_member():
    """An owned-partitions report without the revoked ones: the owner moves to the target epoch,
    the partitions are free, and the member waiting for them hears at its next heartbeat."""
    grp = two_members_revoking()
    response = grp.beat(6 * S, "a", 1, owned=(0, 1))
    assert response.member_epoch == 2
    assert 2 not in grp.g.partition_epochs and 3 not in grp.g.partition_epochs
    assert cg.HeartbeatNeeded("b") in grp.out
    response = grp.beat(7 * S, "b", 2)
    assert response.assignment == (2, 3)
    assert grp.g.members["b"].state == STABLE
    assert grp.g.state == cg.STABLE


def test_a_partition_never_has_two_owners():
    """ConsumerGroup.addPartitionEpochs: the waiting member gets nothing while the owner holds
    the partitions, however often it heartbeats."""
    grp = two_members_revoking()
    for t in range(6, 9):
        assert grp.beat(t * S, "b", 2).assignment is None
    assert grp.g.members["b"].assigned == ()


def test_a_member_that_does_not_revoke_in_time_is_fenced():
    """scheduleConsumerGroupRebalanceTimeout: still in the epoch it had to leave when its
    rebalance timeout ends, the member is removed, its partitions freed, the group epoch bumped."""
    grp = two_members_revoking()
    (timer,) = of(co.SetTimer, grp.out)
    out = grp.fire(timer.at_us, timer)
    assert of(co.MemberRemoved, out) == [co.MemberRemoved("a", "rebalance-timeout")]
    assert "a" not in grp.g.members and grp.g.group_epoch == 3
    assert grp.g.partition_epochs == {}
    assert of(cg.HeartbeatNeeded, out) == [cg.HeartbeatNeeded("b")]


def test_the_rebalance_timeout_is_void_once_the_member_revoked():
    """cancelConsumerGroupRebalanceTimeout: a member that left UNREVOKED_PARTITIONS is not
    fenced by the old timer."""
    grp = two_members_revoking()
    (timer,) = of(co.SetTimer, grp.out)
    grp.beat(6 * S, "a", 1, owned=(0, 1))
    assert grp.fire(timer.at_us, timer) == []
    assert "a" in grp.g.members


def test_a_member_whose_heartbeats_stop_is_fenced_one_session_later():
    """scheduleConsumerGroupSessionTimeout with group.consumer.session.timeout.ms (45 s): the
    expiry counts from the last heartbeat."""
    grp = Group()
    grp.join(0, "a")
    grp.beat(4 * S, "a", 1, owned=(0, 1, 2, 3))
    (timer,) = grp.g.heartbeats_stopped(6 * S, "a", 4 * S)
    assert timer.at_us == 49 * S
    out = grp.fire(49 * S, timer)
    assert of(co.MemberRemoved, out) == [co.MemberRemoved("a", "session-expired")]
    assert grp.g.state == cg.EMPTY


def test_a_heartbeat_before_the_session_runs_out_voids_the_expiry():
    """Every heartbeat reschedules the session timeout: one after a pause keeps the member."""
    grp = Group()
    grp.join(0, "a")
    (timer,) = grp.g.heartbeats_stopped(1 * S, "a", 0)
    grp.beat(30 * S, "a", 1)
    assert grp.fire(timer.at_us, timer) == []
    assert "a" in grp.g.members


def test_a_leaving_member_is_removed_and_the_others_rebalance_at_their_next_heartbeat():
    """consumerGroupLeave (epoch -1) fences the member at once: the group epoch is bumped, but
    the new target is only computed at the next heartbeat of any member."""
    grp = stable_pair()
    assert grp.leave(2 * S, "b").member_epoch == -1
    assert (grp.g.group_epoch, grp.g.assignment_epoch) == (3, 2)
    assert grp.g.state == cg.ASSIGNING
    response = grp.beat(5 * S, "a", 2)
    assert (response.member_epoch, response.assignment) == (3, (0, 1, 2, 3))


def test_a_removed_member_is_told_it_is_unknown():
    """getOrMaybeCreateMember without creation: UNKNOWN_MEMBER_ID."""
    grp = Group()
    grp.join(0, "a")
    grp.leave(1 * S, "a")
    assert grp.beat(2 * S, "a", 1).error == "UNKNOWN_MEMBER_ID"


@pytest.mark.parametrize(
    ("epoch", "owned", "error"),
    [
        (3, None, "FENCED_MEMBER_EPOCH"),  # ahead of the coordinator's epoch
        (1, (0, 1), None),  # the previous epoch, owning no more than assigned: a lost response
        (1, None, "FENCED_MEMBER_EPOCH"),  # the previous epoch without its partitions
        (1, (0, 1, 2), "FENCED_MEMBER_EPOCH"),  # ... or owning more than assigned
    ],
)
def test_the_member_epoch_is_checked(epoch, owned, error):
    """throwIfConsumerGroupMemberEpochIsInvalid: only the current epoch, or the previous one when
    the bumping response may have been lost (owned partitions a subset of the assignment)."""
    grp = two_members_revoking()
    grp.beat(6 * S, "a", 1, owned=(0, 1))  # a is at epoch 2, previous 1, assigned (0, 1)
    assert grp.beat(7 * S, "a", epoch, owned=owned).error == error


def test_a_fenced_member_that_stayed_in_the_group_cannot_rejoin_with_epoch_zero():
    """This snapshot rejects a rejoin (epoch 0) of a member still in the group unless 0 is its
    previous epoch; it is fenced again until its session expires (KAFKA-19233 accepted it later,
    apache/kafka PR #21305)."""
    grp = two_members_revoking()
    grp.beat(6 * S, "a", 1, owned=(0, 1))  # epoch 2, previous 1
    assert grp.join(7 * S, "a").error == "FENCED_MEMBER_EPOCH"


def test_refused_heartbeats_do_not_refresh_the_session_so_the_refused_rejoin_ends():
    """consumerGroupHeartbeat schedules the session timeout only once its checks pass: a member
    whose every heartbeat is refused (here its rejoin at epoch 0) is fenced one session (45 s)
    after its last accepted heartbeat, and its next rejoin is accepted. Without it, a Java
    member whose leave was lost during a coordinator load was refused for ever."""
    grp = two_members_revoking()
    grp.beat(6 * S, "a", 1, owned=(0, 1))  # a's last accepted heartbeat
    assert grp.join(7 * S, "a").error == "FENCED_MEMBER_EPOCH"
    assert [timer.at_us for timer in of(co.SetTimer, grp.out)] == [51 * S]
    (timer,) = of(co.SetTimer, grp.out)
    assert grp.join(8 * S, "a").error == "FENCED_MEMBER_EPOCH"
    assert of(co.SetTimer, grp.out) == []  # the expiry already running is kept
    assert of(co.MemberRemoved, grp.fire(51 * S, timer)) == [
        co.MemberRemoved("a", "session-expired")
    ]
    assert grp.join(52 * S, "a").error is None


def test_a_static_member_leaving_with_epoch_minus_two_keeps_its_partitions():
    """consumerGroupStaticMemberGroupLeave: epoch -2, assignment kept (its partitions stay
    held: nobody else gets them), no group epoch bump; its session runs on from its last
    heartbeat."""
    grp = stable_pair(static=True)
    assert grp.leave(3 * S, "b", -2, instance="i-b").member_epoch == -2
    member = grp.g.members["b"]
    assert (member.epoch, member.assigned) == (-2, (2, 3))
    assert grp.g.group_epoch == 2 and grp.g.partition_epochs[2] == -2
    (timer,) = of(co.SetTimer, grp.out)
    assert timer.at_us == 1 * S + 45 * S


def test_a_returning_static_member_takes_its_place_without_a_rebalance():
    """getOrMaybeSubscribeStaticConsumerGroupMember + replaceMember: a join with the instance id
    of a member gone with -2 replaces it, assignment and target included, no epoch bump."""
    grp = stable_pair(static=True)
    grp.leave(3 * S, "b", -2, instance="i-b")
    response = grp.join(10 * S, "b2", instance="i-b")
    assert (response.member_epoch, response.assignment) == (2, (2, 3))
    assert "b" not in grp.g.members and grp.g.static_members["i-b"] == "b2"
    assert grp.g.group_epoch == 2
    assert of(co.MemberRemoved, grp.out) == []


def test_a_static_member_restarting_without_leaving_is_refused():
    """throwIfInstanceIdIsUnreleased: a crashed static member sent no -2, so its restart gets
    UNRELEASED_INSTANCE_ID (fatal for both clients) until the old one's session expires."""
    grp = Group()
    grp.join(0, "a", instance="i-a")
    assert grp.join(5 * S, "a2", instance="i-a").error == "UNRELEASED_INSTANCE_ID"
    (timer,) = grp.g.heartbeats_stopped(6 * S, "a", 0)
    grp.fire(timer.at_us, timer)
    assert grp.join(46 * S, "a2", instance="i-a").member_epoch == 3


def test_a_replaced_static_member_is_fenced():
    """throwIfInstanceIdIsFenced: heartbeats of the old member id get FENCED_INSTANCE_ID."""
    grp = Group()
    grp.join(0, "a", instance="i-a")
    grp.leave(1 * S, "a", -2, instance="i-a")
    grp.join(2 * S, "a2", instance="i-a")
    grp.rid += 1
    request = ConsumerGroupHeartbeat("a", 1, "i-a")
    assert reply(grp.g.heartbeat(3 * S, grp.rid, request)).error == "FENCED_INSTANCE_ID"


def test_a_static_member_gone_with_minus_two_is_removed_when_its_session_expires():
    """The -2 leave does not cancel the session timer: no return within the session removes the
    member and frees its partitions."""
    grp = Group()
    grp.join(0, "a", instance="i-a")
    grp.leave(1 * S, "a", -2, instance="i-a")
    (timer,) = of(co.SetTimer, grp.out)
    out = grp.fire(timer.at_us, timer)
    assert of(co.MemberRemoved, out) == [co.MemberRemoved("a", "session-expired")]
    assert grp.g.partition_epochs == {}


def test_a_commit_must_carry_the_members_own_current_epoch():
    """ConsumerGroup.validateOffsetCommit: STALE_MEMBER_EPOCH for any other epoch; another
    member's join does not change a revoking member's epoch, so its commits go on."""
    grp = two_members_revoking()  # a revokes at epoch 1 while the group is at epoch 2
    assert grp.commit(6 * S, "a", 1) is None
    assert grp.commit(6 * S, "a", 2) == "STALE_MEMBER_EPOCH"
    grp.beat(6 * S, "a", 1, owned=(0, 1))  # a moves to epoch 2
    assert grp.commit(7 * S, "a", 1) == "STALE_MEMBER_EPOCH"
    assert grp.commit(7 * S, "a", 2) is None


def test_any_epoch_bump_makes_a_commit_in_flight_stale():
    """Every member's epoch moves to the new target epoch at its next heartbeat, even with its
    partitions unchanged: a commit sent with the old epoch that arrives after it is rejected."""
    grp = stable_pair()
    grp.join(2 * S, "c")  # group epoch 3: a keeps (0, 1), b gives 3 to c
    assert grp.commit(2 * S, "a", 2) is None
    grp.beat(3 * S, "a", 2)
    assert grp.g.members["a"].assigned == (0, 1)
    assert grp.commit(3 * S, "a", 2) == "STALE_MEMBER_EPOCH"
    assert grp.commit(3 * S, "a", 3) is None


def test_unknown_members_cannot_commit_but_a_group_less_commit_to_an_empty_group_can():
    """UNKNOWN_MEMBER_ID for a member not in the group (a zombie after its removal, or a client
    that left and sends no member id); epoch -1 to an empty group is an admin commit."""
    grp = Group()
    assert grp.commit(0, "", -1) is None
    grp.join(0, "a")
    assert grp.commit(1 * S, "", -1) == "UNKNOWN_MEMBER_ID"
    grp.leave(2 * S, "a")
    grp.join(2 * S, "b")
    assert grp.commit(3 * S, "a", 1) == "UNKNOWN_MEMBER_ID"


def test_a_commit_does_not_refresh_the_session():
    """OffsetMetadataManager.commitOffset keeps a member's session alive only in a classic
    group: a consumer group member that only commits still expires."""
    grp = Group()
    grp.join(0, "a")
    (timer,) = grp.g.heartbeats_stopped(1 * S, "a", 0)
    assert grp.commit(30 * S, "a", 1) is None
    out = grp.fire(timer.at_us, timer)
    assert of(co.MemberRemoved, out) == [co.MemberRemoved("a", "session-expired")]


def test_an_offset_fetch_with_a_member_checks_its_epoch():
    """ConsumerGroup.validateOffsetFetch: a member's fetch carries its epoch; none carries none."""
    grp = Group()
    grp.join(0, "a")
    grp.commit(0, "a", 1, ((1, 9),))
    (out,) = grp.g.offset_fetch(1 * S, 90, MemberOffsetFetch((1, 2), "a", 1))
    assert (out.response.offsets, out.response.error) == ((9, None), None)
    (out,) = grp.g.offset_fetch(1 * S, 91, MemberOffsetFetch((1,), "a", 4))
    assert out.response.error == "STALE_MEMBER_EPOCH"
    (out,) = grp.g.offset_fetch(1 * S, 92, MemberOffsetFetch((1,)))
    assert out.response.offsets == (9,)


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (ConsumerGroupHeartbeat("a", 0, None, None, (TOPIC,), None, ()), "INVALID_REQUEST"),
        (ConsumerGroupHeartbeat("a", 0, None, REBALANCE, (TOPIC,), None, (1,)), "INVALID_REQUEST"),
        (ConsumerGroupHeartbeat("a", 0, None, REBALANCE, None, None, ()), "INVALID_REQUEST"),
        (ConsumerGroupHeartbeat("a", -2), "INVALID_REQUEST"),
        (ConsumerGroupHeartbeat("a", 0, None, REBALANCE, (TOPIC,), "sticky", ()),
         "UNSUPPORTED_ASSIGNOR"),
    ],
)  # fmt: skip
def test_malformed_heartbeats_are_refused(request_, error):
    """throwIfConsumerGroupHeartbeatRequestIsInvalid: a join states its rebalance timeout and
    subscription and owns nothing; -2 needs an instance id; the assignor must exist."""
    assert reply(Group().g.heartbeat(0, 1, request_)).error == error


def test_the_assignor_most_members_ask_for_is_used():
    """computePreferredServerAssignor: `range` (not sticky) when the members ask for it."""
    grp = Group()
    grp.join(0, "b", assignor="range")
    grp.join(1 * S, "a", assignor="range")
    assert grp.g.target == {"b": (2, 3), "a": (0, 1)}


def test_failover_keeps_the_group_and_restarts_its_timers():
    """Every change is in __consumer_offsets before it is answered: after a failover the group is
    as it was; onLoaded reschedules sessions (from now) and revoking members' rebalance
    timeouts; meanwhile every request is refused with NOT_COORDINATOR, then
    COORDINATOR_LOAD_IN_PROGRESS."""
    grp = two_members_revoking()
    grp.g.heartbeats_stopped(6 * S, "b", 5 * S)
    assert of(co.CancelTimers, grp.g.failover(7 * S))
    (refused,) = grp.g.refuse(50, ConsumerGroupHeartbeat("b", 2))
    assert refused.response.error == "NOT_COORDINATOR"
    grp.g.start_loading(8 * S)
    (refused,) = grp.g.refuse(51, OffsetCommit("a", 1, ((0, 1),)))
    assert refused.response.error == "COORDINATOR_LOAD_IN_PROGRESS"
    out = grp.g.loaded(9 * S)
    assert sorted(t.at_us for t in of(co.SetTimer, out)) == [54 * S, 9 * S + REBALANCE]
    assert grp.g.members["a"].state == UNREVOKED_PARTITIONS
    assert grp.g.refuse(52, ConsumerGroupHeartbeat("b", 2)) is None


def txn_commit(grp, member, epoch, producer_id=1000, offsets=((0, 5),)):
    grp.rid += 1
    request = TxnOffsetCommit("app-0", producer_id, 0, member, epoch, offsets)
    return reply(grp.g.txn_offset_commit(0, grp.rid, request)).error


def test_a_transactional_commit_is_checked_against_the_members_epoch_kip_447():
    """OffsetMetadataManager.validateTransactionalOffsetCommit: ConsumerGroup.
    validateOffsetCommit(isTransactional) wants a known member with its own current epoch; a
    stale epoch is answered ILLEGAL_GENERATION (STALE_MEMBER_EPOCH is caught and translated),
    an unknown member UNKNOWN_MEMBER_ID: both abortable for the producer."""
    grp = stable_pair()
    assert txn_commit(grp, "a", 1) == "ILLEGAL_GENERATION"
    assert txn_commit(grp, "zombie", 2) == "UNKNOWN_MEMBER_ID"
    assert txn_commit(grp, "a", 2) is None
    assert grp.g.committed[0] is None  # pending until the transaction's marker


def test_pending_transactional_offsets_are_unstable_until_the_commit_marker():
    """fetchOffsets: requireStable gets UNSTABLE_OFFSET_COMMIT while a transaction's offsets are
    pending; the COMMIT marker (replayEndTransactionMarker) makes them committed; an ABORT drops
    them; no marker is written while no broker serves the group."""
    grp = stable_pair()
    assert txn_commit(grp, "a", 2) is None
    grp.rid += 1
    fetch = MemberOffsetFetch((0,), "a", 2)
    assert reply(grp.g.offset_fetch(0, grp.rid, fetch)).error == "UNSTABLE_OFFSET_COMMIT"
    unstable_ok = MemberOffsetFetch((0,), "a", 2, require_stable=False)
    assert reply(grp.g.offset_fetch(0, grp.rid, unstable_ok)).offsets == (None,)
    grp.g.failover(0)
    assert grp.g.txn_marker(0, 1000, 0, True) == ("NOT_LEADER_OR_FOLLOWER", ())
    grp.g.loaded(0)
    assert grp.g.txn_marker(0, 1000, 0, True) == (None, ((0, 5),))
    assert reply(grp.g.offset_fetch(0, grp.rid, fetch)).offsets == (5,)
    assert txn_commit(grp, "a", 2, offsets=((0, 9),)) is None
    assert grp.g.txn_marker(0, 1000, 0, False) == (None, ())
    assert grp.g.committed[0] == 5
