"""The group coordinator fed by hand: no simpy, no clock (SEMANTICS.md §3, §4a)."""

from sim.model import coordinator as co
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    SyncGroup,
    SyncResponse,
)

S = 1_000_000
SESSION, REBALANCE, DELAY = 45 * S, 300 * S, 3 * S


def join(member):
    return JoinGroup(member, SESSION, REBALANCE)


def replies(outputs):
    return {o.request_id: o.response for o in outputs if isinstance(o, co.Reply)}


def timers(outputs):
    return [o for o in outputs if isinstance(o, co.SetTimer)]


def stable_group(members=("a", "b"), partitions=4):
    """Drive a group to STABLE at t=3 s with `members`, the first one leading."""
    g = co.GroupCoordinator(partitions, DELAY)
    for i, m in enumerate(members):
        g.join(0, i, join(m))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    while g.state == co.PREPARING_REBALANCE:  # each member joining in the delay extends it
        (t,) = timers(out)
        out = g.timer(t.at_us, t.token)
    joined = replies(out)
    assert all(isinstance(r, JoinResponse) and r.error is None for r in joined.values())
    plan = tuple((m, tuple(range(i, partitions, len(members)))) for i, m in enumerate(members))
    for i, m in enumerate(members):
        g.sync(DELAY, 100 + i, SyncGroup(m, g.generation, plan if i == 0 else None))
    assert g.state == co.STABLE
    return g


def commit(g, member, generation, offsets, now=4 * S, rid=500):
    return replies(g.commit(now, rid, OffsetCommit(member, generation, offsets)))[rid]


def test_initial_delay_holds_the_first_join():
    """The first member into an empty group waits group.initial.rebalance.delay.ms."""
    g = co.GroupCoordinator(4, DELAY)
    out = g.join(0, 1, join("a"))
    assert replies(out) == {}
    assert [t.at_us for t in timers(out)] == [DELAY]
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert replies(out)[1].generation == 1 and g.state == co.COMPLETING_REBALANCE


def test_initial_delay_extends_when_a_member_joins_during_it():
    """Each member joining during the delay earns another delay."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a"))
    g.join(S, 2, join("b"))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert replies(out) == {} and [t.at_us for t in timers(out)] == [2 * DELAY]
    out = g.timer(2 * DELAY, ("initial-delay", g.epoch))
    assert set(replies(out)) == {1, 2}


def test_only_the_leader_gets_the_member_list():
    """The classic protocol's leader computes the assignment; followers get no member list."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a"))
    g.join(0, 2, join("b"))
    g.timer(DELAY, ("initial-delay", g.epoch))
    out = g.timer(2 * DELAY, ("initial-delay", g.epoch))
    r = replies(out)
    assert r[1].leader == "a" and r[1].members == ("a", "b") and r[2].members == ()


def test_followers_sync_waits_for_the_leader():
    """A follower's SyncGroup is parked until the leader's plan arrives."""
    g = co.GroupCoordinator(2, DELAY)
    g.join(0, 1, join("a"))
    g.join(0, 2, join("b"))
    g.timer(DELAY, ("initial-delay", g.epoch))
    g.timer(2 * DELAY, ("initial-delay", g.epoch))
    assert replies(g.sync(7 * S, 3, SyncGroup("b", 1, None))) == {}
    out = g.sync(7 * S, 4, SyncGroup("a", 1, (("a", (0,)), ("b", (1,)))))
    assert replies(out) == {4: SyncResponse(None, (0,)), 3: SyncResponse(None, (1,))}


def test_commit_last_write_wins_even_backwards():
    """The coordinator checks neither ownership nor that offsets grow (SEMANTICS.md §1)."""
    g = stable_group()
    assert commit(g, "a", 1, ((0, 50),)).error is None
    assert commit(g, "b", 1, ((0, 20),), rid=501).error is None  # b does not own partition 0
    out = g.offset_fetch(5 * S, 9, OffsetFetch((0, 1)))
    assert replies(out)[9].offsets == (20, None)


def test_commit_fencing_by_generation_and_member():
    """Wrong generation: ILLEGAL_GENERATION; unknown member: UNKNOWN_MEMBER_ID."""
    g = stable_group()
    assert commit(g, "a", 0, ((0, 1),)).error == "ILLEGAL_GENERATION"
    assert commit(g, "zz", 1, ((0, 1),)).error == "UNKNOWN_MEMBER_ID"


def test_commit_accepted_while_preparing_rebalance():
    """A commit with the current generation lands while the group prepares to rebalance: why
    committing in onPartitionsRevoked works."""
    g = stable_group()
    out = g.join(5 * S, 7, join("c"))
    assert g.state == co.PREPARING_REBALANCE
    assert {o.member_id for o in out if isinstance(o, co.NotifyRebalance)} == {"a", "b"}
    assert commit(g, "a", 1, ((0, 9),), now=6 * S).error is None


def test_commit_rejected_while_completing_rebalance():
    """Between JoinGroup and SyncGroup the coordinator answers REBALANCE_IN_PROGRESS."""
    g = stable_group()
    g.join(5 * S, 7, join("c"))
    g.join(5 * S, 8, join("a"))
    g.join(5 * S, 9, join("b"))
    assert g.state == co.COMPLETING_REBALANCE
    assert commit(g, "a", 2, ((0, 9),), now=6 * S) == CommitResponse("REBALANCE_IN_PROGRESS")


def test_leave_starts_a_rebalance_at_once():
    """A clean close sends LeaveGroup and the rebalance starts immediately."""
    g = stable_group()
    out = g.leave(5 * S, LeaveGroup("b"))
    assert g.state == co.PREPARING_REBALANCE
    assert any(isinstance(o, co.MemberRemoved) and o.reason == "leave" for o in out)


def test_a_ghost_holds_the_join_until_its_session_expires():
    """A crashed member sends no LeaveGroup: the join waits for its session to expire
    (SEMANTICS.md §4a), and the survivor's partitions wait with it."""
    g = stable_group()
    crash_at, last_heartbeat = 10 * S, 9 * S
    out = g.heartbeats_stopped(crash_at, "b", last_heartbeat)
    (expiry,) = timers(out)
    assert expiry.at_us == last_heartbeat + SESSION
    g.join(12 * S, 20, join("b2"))  # its replacement, a new member id
    g.join(12 * S, 21, join("a"))
    assert g.state == co.PREPARING_REBALANCE  # waiting for the ghost
    out = g.timer(expiry.at_us, expiry.token)
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2
    assert set(replies(out)) == {20, 21}
    assert "b" not in g.members


def test_a_member_crashing_inside_join_is_carried_into_the_next_generation():
    """Parked in JoinGroup counts as alive; it expires one session after the join completes,
    causing a second rebalance."""
    g = stable_group()
    g.join(5 * S, 7, join("c"))
    g.join(5 * S, 8, join("b"))
    out = g.heartbeats_stopped(5 * S, "b", 5 * S)
    (early,) = timers(out)
    assert g.timer(early.at_us, early.token) == []  # still parked: not expired
    out = g.join(6 * S, 9, join("a"))  # all joined: generation 2 includes the ghost
    assert g.generation == 2 and "b" in g.members
    (later,) = [t for t in timers(out) if t.token[0] == "expire"]
    assert later.at_us == 6 * S + SESSION


def test_a_ghost_leader_stalls_the_sync_until_it_expires():
    """If the leader never sends its plan, the group sits in COMPLETING_REBALANCE."""
    g = stable_group()
    g.join(5 * S, 7, join("a"))
    out = g.join(5 * S, 8, join("b"))
    assert g.state == co.COMPLETING_REBALANCE and g.leader == "a"
    g.heartbeats_stopped(5 * S, "a", 5 * S)
    g.sync(6 * S, 9, SyncGroup("b", g.generation, None))
    expire = [t for t in timers(out) if t.token[0] == "expire" and t.token[1] == "a"]
    assert not expire  # "a" was heartbeating at the join; its expiry comes from heartbeats_stopped
    assert g.state == co.COMPLETING_REBALANCE
    (timer,) = timers(g.heartbeats_stopped(5 * S, "a", 5 * S))
    out = g.timer(timer.at_us, timer.token)
    assert "a" not in g.members and g.state == co.PREPARING_REBALANCE
    assert replies(out)[9].error == "REBALANCE_IN_PROGRESS"
