"""Cooperative rebalancing and static membership, fed by hand to the consumer and the coordinator
(docs/semantics.md §8, cooperative; §10, static members; ConsumerCoordinator.onJoinComplete,
ClassicGroup.replaceStaticMember / validateMember)."""

from sim.model import coordinator as co
from sim.model.commands import Call, LoopPoint, Process, Processed, ReadLog, Send, Stopped, Wait
from sim.model.consumer import STABLE, Consumer
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

from .test_consumer import S, config
from .test_coordinator import DELAY, REBALANCE, SESSION, commit, replies, stable_group


class Recorder:
    """Keeps the consumer's revocations and assignments, in order."""

    def __init__(self):
        self.events = []

    def revoked(self, at_us, partitions, lost):
        self.events.append(("revoked", tuple(partitions), lost))

    def assigned(self, at_us, generation, partitions):
        self.events.append(("assigned", generation, tuple(partitions)))

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Loop:
    """Steps a consumer's generator; group responses are handed over as a driver would."""

    def __init__(self, strategy, instance_id=None, **changes):
        self.observer = Recorder()
        self.consumer = Consumer(
            0, "m", config(**changes), make_strategy(strategy), self.observer, instance_id
        )
        self.loop = self.consumer.run()
        self.command = next(self.loop)

    def reply(self, value=None, now=None):
        if now is not None:
            self.consumer.now = now
        self.command = self.loop.send(value)
        while isinstance(self.command, LoopPoint):
            self.command = self.loop.send(None)
        return self.command

    def group_response(self, response):
        """The JoinGroup/SyncGroup in flight is answered; poll() acts on it when it wakes."""
        self.consumer.on_group_response(self.consumer.group_request, response)

    def idle(self, ends, response=None):
        """Answer ReadLog with `ends` (no new records); during the Wait after it, the response
        to the JoinGroup or SyncGroup in flight (if any) arrives and wakes the poll."""
        assert isinstance(self.command, ReadLog)
        self.reply(ends)
        assert isinstance(self.command, Wait)
        if response is not None:
            self.group_response(response)
        return self.reply()

    def batch(self, ends):
        """Answer ReadLog and process the whole batch; returns the Process command."""
        assert isinstance(self.command, ReadLog)
        process = self.reply(ends)
        assert isinstance(process, Process)
        self.reply(Processed(sum(e - s for _, s, e in process.slices), False))
        return process


def cooperative_member(strategy="auto"):
    """A cooperative member that owns partitions 0, 1 and 2 from offset 0 in generation 1."""
    m = Loop(strategy, partitions=3, assignor="cooperative-sticky", max_poll_records=100)
    assert isinstance(m.command, Send) and isinstance(m.command.request, JoinGroup)
    assert m.command.request_id == m.consumer.group_request  # the id its answer is matched by
    m.reply()
    m.idle((), JoinResponse(None, 1, "other"))
    assert isinstance(m.command, Send) and m.command.request == SyncGroup("m", 1, None)
    assert m.command.request_id == m.consumer.group_request
    m.reply()
    m.idle((), SyncResponse(None, (0, 1, 2)))
    assert isinstance(m.command, Call) and m.command.request == OffsetFetch((0, 1, 2), True)
    m.reply(OffsetFetchResponse((0, 0, 0)))
    return m


def test_cooperative_rebalance_keeps_returning_records_and_revokes_only_what_moves():
    """The join-start auto commit runs, then records keep coming during the join; at completion
    only partition 2 is revoked (no auto commit for it), then the member rejoins at once with the
    partitions it kept (the follow-up rebalance)."""
    m = cooperative_member()
    m.batch((10, 10, 10))
    m.consumer.on_rebalance_notice()
    assert isinstance(m.command, ReadLog)
    m.reply((10, 10, 10))  # nothing new: the poll waits, and the notice wakes it
    commit = m.reply()
    assert isinstance(commit, Call)  # onJoinPrepare: the auto commit, awaited
    assert commit.request == OffsetCommit("m", 1, ((0, 10), (1, 10), (2, 10)))
    join = m.reply(CommitResponse(None))
    assert isinstance(join, Send) and join.request.subscription == Subscription((0, 1, 2), 1)
    m.reply()
    # Mid-rebalance: records keep coming from every owned partition, none pending revocation.
    window = m.batch((15, 15, 15))
    assert sorted(window.slices) == [(0, 10, 15), (1, 10, 15), (2, 10, 15)]
    assert m.consumer.state != STABLE  # so a commit now would fail the client's gate
    sync = m.idle((15, 15, 15), JoinResponse(None, 2, "other"))
    assert isinstance(sync, Send) and sync.request == SyncGroup("m", 2, None)
    m.reply()
    follow_up = m.idle((15, 15, 15), SyncResponse(None, (0, 1)))
    assert m.observer.events[-2:] == [("revoked", (2,), False), ("assigned", 2, (0, 1))]
    # The next command is the follow-up's onJoinPrepare commit: only the kept partitions.
    assert isinstance(follow_up, Call)
    assert follow_up.request == OffsetCommit("m", 2, ((0, 15), (1, 15)))
    rejoin = m.reply(CommitResponse(None))
    assert isinstance(rejoin, Send) and rejoin.request.subscription == Subscription((0, 1), 2)
    assert m.consumer.positions == {0: 15, 1: 15}  # kept partitions keep their positions


def test_cooperative_revoke_commit_lands_in_the_new_generation():
    """A strategy that commits in onPartitionsRevoked commits the moved partition's processed
    offset, as a stable member of the new generation, before the partition goes."""
    m = cooperative_member("async-then-sync-processed")
    m.batch((4, 4, 4))
    m.reply()  # after_batch's commitAsync is sent
    m.consumer.on_rebalance_notice()
    m.idle((4, 4, 4))  # the notice wakes the poll
    assert isinstance(m.command, Send) and isinstance(m.command.request, JoinGroup)
    m.reply()
    m.idle((4, 4, 4), JoinResponse(None, 2, "other"))
    m.reply()
    revoke_commit = m.idle((4, 4, 4), SyncResponse(None, (0, 1)))
    assert isinstance(revoke_commit, Call)
    assert revoke_commit.request == OffsetCommit("m", 2, ((2, 4),))


def test_a_commit_during_a_cooperative_rejoin_fails_the_client_gate():
    """While the member is not stable, a commitSync fails locally (RebalanceInProgress)."""
    m = cooperative_member("sync-per-batch")
    m.batch((5, 5, 5))
    m.reply(CommitResponse(None))
    m.consumer.on_rebalance_notice()
    m.idle((5, 5, 5))
    assert isinstance(m.command.request, JoinGroup)
    assert m.consumer.state == "PREPARING_REBALANCE"  # the gate's RebalanceInProgressException
    m.reply()
    m.batch((8, 8, 8))
    assert isinstance(m.command, ReadLog)  # after_batch's commitSync sent nothing


def test_cooperative_join_completion_hands_only_the_added_partitions_to_on_assigned():
    """onJoinComplete, COOPERATIVE: onPartitionsAssigned gets just the newly added partitions;
    the kept ones keep their positions and are not assigned again."""
    m = cooperative_member()
    assigned = []
    on_assigned = m.consumer.strategy.on_assigned
    m.consumer.strategy.on_assigned = lambda c, parts: (
        assigned.append(parts) or on_assigned(c, parts)
    )
    m.batch((10, 10, 10))
    m.consumer.on_rebalance_notice()
    m.reply((10, 10, 10))
    m.reply()  # the join-start auto commit
    m.reply(CommitResponse(None))
    m.reply()
    m.idle((10, 10, 10), JoinResponse(None, 2, "other"))
    m.reply()
    m.idle((10, 10, 10), SyncResponse(None, (0, 1, 2)))
    assert assigned == [()]  # nothing added: nothing to assign
    assert m.consumer.positions == {0: 10, 1: 10, 2: 10}


def test_a_cooperative_sync_group_error_resets_the_generation_before_the_rejoin():
    """SyncGroupResponseHandler, cooperative as eager: ILLEGAL_GENERATION resets the generation
    (resetStateOnResponseError), and the next poll's JoinGroup carries no generation."""
    m = cooperative_member()
    m.consumer.on_rebalance_notice()
    m.reply((0, 0, 0))
    m.reply()  # the join-start auto commit
    join = m.reply(CommitResponse(None))
    assert isinstance(join, Send) and isinstance(join.request, JoinGroup)
    m.reply()
    m.idle((0, 0, 0), JoinResponse(None, 2, "other"))
    m.reply()
    m.idle((0, 0, 0), SyncResponse("ILLEGAL_GENERATION"))
    assert m.consumer.generation == -1 and m.consumer.rejoin_needed
    assert isinstance(m.command, Send) and isinstance(m.command.request, JoinGroup)
    assert m.command.request.subscription.generation == -1


def test_a_cooperative_join_completing_inside_poll_returns_records_from_the_same_poll():
    """KafkaConsumer.poll(timeout): the rebalance completes inside the call (updateAssignment-
    MetadataIfNeeded with the poll's timer) and the same call goes on fetching until its own
    timeout; completing the join does not end the poll early."""
    m = cooperative_member()
    m.consumer.on_rebalance_notice()
    m.reply((0, 0, 0))
    m.reply()  # the join-start auto commit
    m.reply(CommitResponse(None))  # the JoinGroup is sent
    m.reply()
    m.idle((0, 0, 0), JoinResponse(None, 2, "other"))  # the SyncGroup is sent
    m.reply()
    assert isinstance(m.command, ReadLog)
    assert isinstance(m.reply((0, 0, 0)), Wait)
    deadline = m.consumer.poll_deadline_us
    m.group_response(SyncResponse(None, (0, 1, 2)))
    assert isinstance(m.reply(now=deadline - 50_000), ReadLog)
    assert m.consumer.poll_deadline_us == deadline and m.consumer.generation == 2


def test_the_leader_s_assignor_reads_every_member_s_owned_partitions():
    """ConsumerCoordinator.onLeaderElected: the assignor gets every member's subscription from
    the JoinGroup response, so cooperative-sticky keeps "x"'s partitions 2 and 3 with it."""
    m = Loop("auto", partitions=4, assignor="cooperative-sticky")
    m.reply()
    subscriptions = (Subscription(), Subscription((2, 3), 1))
    sync = m.idle((), JoinResponse(None, 2, "m", ("m", "x"), subscriptions))
    assert isinstance(sync, Send) and sync.request.assignment == (("m", (0, 1)), ("x", (2, 3)))


def test_a_cooperative_fenced_sync_group_is_fatal_and_poll_fetches_nothing():
    """SyncGroupResponseHandler: FENCED_INSTANCE_ID throws out of poll() (cooperative as eager):
    no fetch after it; the loop unwinds into close()."""
    m = Loop("auto", instance_id="instance-0", partitions=3, assignor="cooperative-sticky")
    m.reply()
    m.idle((), JoinResponse(None, 1, "other"))
    m.reply()
    command = m.idle((), SyncResponse("FENCED_INSTANCE_ID"))
    assert m.consumer.failed and not isinstance(command, ReadLog)


def test_a_stable_cooperative_member_auto_commits_at_the_interval():
    """ConsumerCoordinator.poll: a stable member's poll runs maybeAutoCommitOffsetsAsync once
    auto.commit.interval.ms has passed."""
    m = cooperative_member()
    m.batch((10, 10, 10))
    commit = m.reply((10, 10, 10), now=5 * S)
    assert isinstance(commit, Send) and commit.request == OffsetCommit(
        "m", 1, ((0, 10), (1, 10), (2, 10))
    )


def test_no_auto_commit_while_a_cooperative_rejoin_is_pending():
    """ConsumerCoordinator.poll: while a rejoin is needed and ensureActiveGroup cannot complete
    (here the coordinator is unknown), poll() returns before maybeAutoCommitOffsetsAsync."""
    m = cooperative_member()
    m.batch((10, 10, 10))
    m.consumer.on_rebalance_notice()
    m.consumer.coordinator_known = False
    command = m.reply((10, 10, 10), now=5 * S)
    assert not (isinstance(command, Send) and isinstance(command.request, OffsetCommit))


# ---- the coordinator ------------------------------------------------------------------------
def join(member, owned=(), generation=-1, instance=None, known=False):
    return JoinGroup(member, SESSION, REBALANCE, Subscription(owned, generation), instance, known)


def test_a_follower_whose_owned_partitions_changed_starts_a_rebalance():
    """The cooperative follow-up: a follower that revoked partitions rejoins with new metadata,
    and the stable group rebalances; with unchanged metadata it would just get the generation."""
    g = stable_group()  # its members joined owning nothing
    out = g.join(4 * S, 7, join("b", generation=1))
    assert replies(out) == {7: JoinResponse(None, 1, "a")}
    out = g.join(4 * S, 8, join("b", owned=(1,), generation=1))
    assert g.state == co.PREPARING_REBALANCE
    assert any(isinstance(o, co.RebalanceStarted) for o in out)


def test_the_leader_gets_every_members_subscription():
    g = stable_group()
    g.join(4 * S, 7, join("a", owned=(0, 2), generation=1))  # the leader: a rebalance
    out = g.join(4 * S, 8, join("b", owned=(1, 3), generation=1))
    leader = replies(out)[7]
    assert leader.members == ("a", "b")
    assert leader.subscriptions == (Subscription((0, 2), 1), Subscription((1, 3), 1))
    assert replies(out)[8].subscriptions == ()


def completing_static_pair():
    """Static members a (instance-a, leader) and b (instance-b) joined: generation 1 waits for
    the leader's plan (COMPLETING_REBALANCE)."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a", instance="instance-a"))
    g.join(0, 2, join("b", instance="instance-b"))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    while g.state == co.PREPARING_REBALANCE:
        (t,) = [o for o in out if isinstance(o, co.SetTimer)]
        out = g.timer(t.at_us, t.token)
    return g


def static_group():
    """Static members a (instance-a, leader) and b (instance-b), stable in generation 1."""
    g = completing_static_pair()
    plan = (("a", (0, 1)), ("b", (2, 3)))
    g.sync(DELAY, 3, SyncGroup("a", g.generation, plan, "instance-a"))
    g.sync(DELAY, 4, SyncGroup("b", g.generation, None, "instance-b"))
    assert g.state == co.STABLE
    return g


def test_a_static_restart_in_a_stable_group_takes_the_old_assignment_without_a_rebalance():
    """The restart joins with the instance id and a new member id: same generation, same
    partitions, no RebalanceStarted (KIP-345)."""
    g = static_group()
    out = g.join(10 * S, 9, join("b2", instance="instance-b"))
    assert not any(isinstance(o, co.RebalanceStarted | co.NotifyRebalance) for o in out)
    assert replies(out)[9] == JoinResponse(None, 1, "a")
    assert g.state == co.STABLE and g.generation == 1
    out = g.sync(10 * S, 10, SyncGroup("b2", 1, None, "instance-b"))
    assert replies(out)[10] == SyncResponse(None, (2, 3))
    assert list(g.members) == ["a", "b2"]


def test_the_replaced_member_id_is_fenced():
    """ClassicGroup.validateMember: the old member id's commits, syncs and joins get
    FENCED_INSTANCE_ID; the new one commits normally."""
    g = static_group()
    g.join(10 * S, 9, join("b2", instance="instance-b"))
    old = OffsetCommit("b", 1, ((2, 5),), "instance-b")
    assert replies(g.commit(11 * S, 20, old))[20].error == "FENCED_INSTANCE_ID"
    new = OffsetCommit("b2", 1, ((2, 5),), "instance-b")
    assert replies(g.commit(11 * S, 21, new))[21].error is None
    assert g.committed[2] == 5
    sync = g.sync(11 * S, 22, SyncGroup("b", 1, None, "instance-b"))
    assert replies(sync)[22].error == "FENCED_INSTANCE_ID"
    rejoin = g.join(11 * S, 23, join("b", instance="instance-b", known=True))
    assert replies(rejoin)[23].error == "FENCED_INSTANCE_ID"


def test_a_replaced_static_leader_skips_the_assignment():
    """KIP-814: the new leader is told the members but asked not to assign."""
    g = static_group()
    response = replies(g.join(10 * S, 9, join("a2", instance="instance-a")))[9]
    assert response.leader == "a2" and response.skip_assignment


def test_a_static_member_that_did_not_rejoin_is_kept_at_join_completion():
    """A dynamic member would be dropped; a static one enters the new generation with its old
    metadata, and its partitions wait for its session to expire."""
    g = static_group()
    g.join(10 * S, 9, join("c"))  # a new dynamic member: a rebalance
    g.join(10 * S, 10, join("a", instance="instance-a", known=True))
    out = g.timer(10 * S + REBALANCE, ("join", g.epoch))
    assert g.generation == 2 and set(g.members) == {"a", "b", "c"}
    assert not any(isinstance(o, co.MemberRemoved) for o in out)
    assert set(replies(out)) == {9, 10}  # b has no JoinGroup to answer


def test_a_static_restart_mid_sync_fences_the_old_sync_and_rebalances():
    """In COMPLETING_REBALANCE the leader may have planned for the old member id: the old
    parked SyncGroup is fenced and the group rebalances again."""
    g = static_group()
    g.join(10 * S, 9, join("c"))
    g.join(10 * S, 10, join("a", instance="instance-a", known=True))
    g.join(10 * S, 11, join("b", instance="instance-b", known=True))
    assert g.state == co.COMPLETING_REBALANCE
    g.sync(10 * S, 12, SyncGroup("b", g.generation, None, "instance-b"))
    out = g.join(11 * S, 13, join("b2", instance="instance-b"))
    assert replies(out)[12] == SyncResponse("FENCED_INSTANCE_ID")
    assert g.state == co.PREPARING_REBALANCE


def test_an_expired_static_member_frees_its_instance_id():
    """After the session expires, the restart joins as a new member (and a rebalance starts)."""
    g = static_group()
    g.heartbeats_stopped(10 * S, "b", 10 * S)
    g.timer(10 * S + SESSION, ("expire", "b", 10 * S + SESSION))
    assert "instance-b" not in g.static_members
    commit_error = commit(g, "b", 1, ((2, 1),), now=60 * S)
    assert commit_error.error == "UNKNOWN_MEMBER_ID"


# ---- the static consumer --------------------------------------------------------------------
def test_a_fenced_commit_is_fatal_and_a_static_member_leaves_no_group():
    """FENCED_INSTANCE_ID unwinds the loop (FencedInstanceIdException); close() sends no
    LeaveGroup for a static member."""
    m = Loop("sync-per-batch", instance_id="instance-0")
    request = m.command.request
    assert request.instance_id == "instance-0" and not request.known_member
    m.reply(JoinResponse(None, 1, "m", ("m",)))
    assert m.command.request == SyncGroup("m", 1, (("m", (0,)),), "instance-0")
    m.reply(SyncResponse(None, (0,)))
    m.reply(OffsetFetchResponse((0,)))
    m.batch((4,))
    assert m.command.request == OffsetCommit("m", 1, ((0, 4),), "instance-0")
    m.reply(CommitResponse("FENCED_INSTANCE_ID"))
    assert m.consumer.failed
    commands = []
    while not isinstance(m.command, Stopped):
        commands.append(m.command)
        reply = CommitResponse("FENCED_INSTANCE_ID") if isinstance(m.command, Call) else None
        m.reply(reply)
    assert not any(isinstance(c, Send) and isinstance(c.request, LeaveGroup) for c in commands)
    assert m.command == Stopped("error")


def test_a_static_restart_during_a_rebalance_fences_the_old_join_and_joins_in_its_place():
    """updateStaticMemberThenRebalanceOrCompleteJoin while PREPARING_REBALANCE: the old member
    id's parked JoinGroup gets FENCED_INSTANCE_ID, the new one takes its place and the join
    completes once every member has rejoined."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a", instance="i-0"))
    g.join(0, 2, join("b", instance="i-1"))
    g.timer(DELAY, ("initial-delay", g.epoch))
    g.timer(2 * DELAY, ("initial-delay", g.epoch))
    g.sync(7 * S, 3, SyncGroup("b", 1, None, "i-1"))
    g.sync(7 * S, 4, SyncGroup("a", 1, (("a", (0, 1)), ("b", (2, 3))), "i-0"))
    g.join(8 * S, 5, join("a", instance="i-0", known=True))  # the leader rejoins: a rebalance
    out = g.join(9 * S, 6, join("a2", instance="i-0"))  # a restart of instance i-0
    assert replies(out) == {5: JoinResponse("FENCED_INSTANCE_ID")}
    assert co.MemberRemoved("a", "replaced") in out and g.static_members["i-0"] == "a2"
    out = g.join(9 * S, 7, join("b", instance="i-1", known=True))
    assert g.state == co.COMPLETING_REBALANCE and set(replies(out)) == {6, 7}


def test_a_known_member_joining_with_an_unknown_instance_id_is_refused():
    """validateMember on JoinGroup: a member id that the coordinator knows, sent with an instance
    id it does not map, gets UNKNOWN_MEMBER_ID."""
    g = stable_group()
    out = g.join(5 * S, 9, join("a", instance="i-9", known=True))
    assert replies(out) == {9: JoinResponse("UNKNOWN_MEMBER_ID")}
    assert g.state == co.STABLE


def test_a_follower_rejoining_unchanged_gets_the_current_generation_back():
    """A known follower rejoining a stable group with unchanged metadata: its own JoinGroup
    response for the current generation, and no rebalance."""
    g = stable_group()
    out = g.join(5 * S, 9, join("b"))
    assert replies(out) == {9: JoinResponse(None, 1, "a")}
    assert g.state == co.STABLE


def test_a_static_replacement_takes_the_new_session_timeout_from_its_join():
    """updateStaticMemberThenRebalanceOrCompleteJoin: the new member id gets the JoinGroup's
    session timeout (updateMember) and a fresh heartbeat expiry (rescheduleClassicGroupMember-
    Heartbeat): stopped before its replacement, it expires one new session after it."""
    g = static_group()
    g.join(20 * S, 9, JoinGroup("b2", 10 * S, REBALANCE, Subscription(), "instance-b"))
    (expiry,) = [o for o in g.heartbeats_stopped(21 * S, "b2", 15 * S) if type(o) is co.SetTimer]
    assert expiry.at_us == 30 * S
    assert co.MemberRemoved("b2", "session-expired") in g.timer(expiry.at_us, expiry.token)


def test_a_static_replacement_last_to_join_completes_the_join_with_its_new_metadata():
    """A static member replaced while the group prepares a rebalance: its new JoinGroup counts
    (updateMember parks it), so, the last one missing, the join completes at once, and the
    leader gets the new member id with the new JoinGroup's metadata (updateMember's protocols)."""
    g = static_group()
    g.join(10 * S, 9, join("c"))  # a new member: a rebalance
    g.join(10 * S, 10, join("a", instance="instance-a", known=True))
    out = g.join(10 * S, 11, join("b2", owned=(2, 3), generation=1, instance="instance-b"))
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2
    leader = replies(out)[10]
    assert leader.members == ("a", "b2", "c") and replies(out)[11].generation == 2
    assert leader.subscriptions[1] == Subscription((2, 3), 1)


def test_a_replaced_static_leader_is_told_the_members_of_the_stable_group():
    """KIP-814 (updateStaticMemberThenRebalanceOrCompleteJoin): the new leader's JoinGroup
    response lists the members (isLeader ? currentClassicGroupMembers()), with skipAssignment."""
    g = static_group()
    response = replies(g.join(10 * S, 9, join("a2", instance="instance-a")))[9]
    assert response.members == ("a2", "b") and len(response.subscriptions) == 2


def test_a_static_replacement_while_completing_rebalances_and_answers_its_join():
    """In COMPLETING_REBALANCE the leader may have planned for the old member id, so the group
    rebalances again with the new member's JoinGroup parked (updateStaticMemberThenRebalance-
    OrCompleteJoin -> prepareRebalance); it is answered when that join phase completes."""
    g = completing_static_pair()
    g.join(7 * S, 3, join("b2", instance="instance-b"))
    assert g.state == co.PREPARING_REBALANCE
    out = g.join(7 * S, 4, join("a", instance="instance-a", known=True))
    assert g.state == co.COMPLETING_REBALANCE and set(replies(out)) == {3, 4}


def test_a_cooperative_join_failing_with_unknown_member_hands_owned_partitions_to_on_lost():
    """resetStateAndRejoin sets needsJoinPrepare again: a cooperative member whose JoinGroup
    fails with UNKNOWN_MEMBER_ID runs onJoinPrepare once more, and with its generation reset
    it hands every owned partition to onPartitionsLost (ConsumerCoordinator.onJoinPrepare). The
    listener's commit fails in the client (CommitFailedException): nothing is sent, and the
    next JoinGroup owns nothing."""
    m = cooperative_member("async-then-sync-processed")
    m.batch((4, 4, 4))
    m.reply()  # after_batch's commitAsync is sent
    m.consumer.on_rebalance_notice()
    m.idle((4, 4, 4))
    assert isinstance(m.command, Send) and isinstance(m.command.request, JoinGroup)
    m.reply()
    rejoin = m.idle((4, 4, 4), JoinResponse("UNKNOWN_MEMBER_ID", -1, ""))
    assert m.observer.events[-1] == ("revoked", (0, 1, 2), True)
    assert isinstance(rejoin, Send) and isinstance(rejoin.request, JoinGroup)
    assert rejoin.request.subscription == Subscription((), -1)
    assert m.consumer.assignment == () and m.consumer.positions == {}


def test_a_sync_group_success_after_a_heartbeat_reset_is_a_failed_rebalance():
    """SyncGroupResponseHandler: a successful SyncGroup that arrives after the heartbeat thread
    reset the generation (UNKNOWN_MEMBER_ID) fails the rebalance; the member does not become
    stable in generation -1 but runs onJoinPrepare again (onPartitionsLost) and rejoins."""
    m = cooperative_member()
    m.consumer.on_rebalance_notice()
    m.reply((0, 0, 0))
    m.reply()  # the join-start auto commit
    m.reply(CommitResponse(None))  # the JoinGroup is sent
    m.reply()
    m.idle((0, 0, 0), JoinResponse(None, 2, "other"))  # the SyncGroup is sent
    m.consumer.on_heartbeat_error("UNKNOWN_MEMBER_ID")
    m.reply()
    rejoin = m.idle((0, 0, 0), SyncResponse(None, (0, 1, 2)))
    assert m.consumer.state != STABLE and m.consumer.generation == -1
    assert m.observer.events[-1] == ("revoked", (0, 1, 2), True)
    assert isinstance(rejoin, Send) and isinstance(rejoin.request, JoinGroup)
    assert rejoin.request.subscription == Subscription((), -1)
