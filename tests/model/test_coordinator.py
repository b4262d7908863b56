"""The group coordinator fed by hand: no simpy, no clock (docs/semantics.md §5, §10)."""

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
    while g.state == co.PREPARING_REBALANCE:  # a window with joiners earns another
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
    """The first member into an empty group waits group.initial.rebalance.delay.ms, and with
    nobody joining during it the join completes when it ends."""
    g = co.GroupCoordinator(4, DELAY)
    out = g.join(0, 1, join("a"))
    assert replies(out) == {}
    assert [t.at_us for t in timers(out)] == [DELAY]
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert replies(out)[1].generation == 1 and g.state == co.COMPLETING_REBALANCE


def test_initial_delay_extends_once_per_window_not_once_per_member():
    """tryCompleteInitialRebalanceElseSchedule: a window in which new members joined earns one
    more window, however many joined in it (newMemberAdded is one flag). Two joiners in the
    first window: one extension, then the join completes; counting members would extend twice."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a"))
    g.join(S, 2, join("b"))
    g.join(2 * S, 3, join("c"))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert replies(out) == {} and [t.at_us for t in timers(out)] == [2 * DELAY]
    out = g.timer(2 * DELAY, ("initial-delay", g.epoch))
    assert set(replies(out)) == {1, 2, 3} and g.state == co.COMPLETING_REBALANCE


def test_initial_delay_window_without_a_joiner_ends_the_delay():
    """A joiner in the first window earns a second; none in the second ends it there."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a"))
    g.join(S, 2, join("b"))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert [t.at_us for t in timers(out)] == [2 * DELAY]
    g.join(2 * DELAY - 1, 3, join("c"))  # in the second window: a third one
    out = g.timer(2 * DELAY, ("initial-delay", g.epoch))
    assert [t.at_us for t in timers(out)] == [3 * DELAY]
    out = g.timer(3 * DELAY, ("initial-delay", g.epoch))
    assert set(replies(out)) == {1, 2, 3}


def test_initial_delay_first_window_is_full_even_past_the_rebalance_timeout():
    """prepareRebalance schedules the first window with the whole delay; only the extra windows
    are bounded, by the rebalance timeout minus the first window (none left here)."""
    g = co.GroupCoordinator(4, DELAY)
    out = g.join(0, 1, JoinGroup("a", SESSION, S))  # a 1 s rebalance timeout, a 3 s delay
    assert [t.at_us for t in timers(out)] == [DELAY]
    g.join(S, 2, JoinGroup("b", SESSION, S))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert set(replies(out)) == {1, 2}  # a joiner, but no time left for a second window


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
    """The coordinator checks neither ownership nor that offsets grow (docs/semantics.md §1, §5)."""
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


def test_commit_checks_the_generation_before_the_state():
    """validateOffsetCommit checks member, then generation, then state: during
    COMPLETING_REBALANCE an old generation gets ILLEGAL_GENERATION (which makes the Java client
    reset its generation), not REBALANCE_IN_PROGRESS (which would only ask for a rejoin); and an
    unknown member gets UNKNOWN_MEMBER_ID whatever its generation."""
    g = stable_group()
    g.join(5 * S, 7, join("c"))
    g.join(5 * S, 8, join("a"))
    g.join(5 * S, 9, join("b"))
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2
    assert commit(g, "a", 1, ((0, 9),), now=6 * S).error == "ILLEGAL_GENERATION"
    assert commit(g, "zz", 2, ((0, 9),), now=6 * S).error == "UNKNOWN_MEMBER_ID"
    assert commit(g, "a", 2, ((0, 9),), now=6 * S).error == "REBALANCE_IN_PROGRESS"


def test_an_accepted_commit_resets_the_member_s_session():
    """OffsetMetadataManager.commitOffset reschedules the member's heartbeat expiry: a member
    whose heartbeats stopped at 9 s but whose commit lands at 20 s expires at 20 s + session,
    and the earlier expiry timer finds it still there."""
    g = stable_group()
    (first,) = timers(g.heartbeats_stopped(10 * S, "b", 9 * S))
    assert first.at_us == 9 * S + SESSION
    out = g.commit(20 * S, 500, OffsetCommit("b", 1, ((1, 5),)))
    assert replies(out)[500].error is None
    renewed = timers(out)
    assert [t.at_us for t in renewed] == [20 * S + SESSION]
    (later,) = renewed
    assert g.timer(first.at_us, first.token) == [] and "b" in g.members
    out = g.timer(later.at_us, later.token)
    assert "b" not in g.members and g.state == co.PREPARING_REBALANCE


def test_a_refused_commit_does_not_reset_the_session():
    """Only an accepted commit counts as a sign of life: a fenced one leaves the deadline."""
    g = stable_group()
    (first,) = timers(g.heartbeats_stopped(10 * S, "b", 9 * S))
    out = g.commit(20 * S, 500, OffsetCommit("b", 0, ((1, 5),)))
    assert replies(out)[500].error == "ILLEGAL_GENERATION" and timers(out) == []
    g.timer(first.at_us, first.token)
    assert "b" not in g.members


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
    (docs/semantics.md §10), and the survivor's partitions wait with it."""
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
    """If the leader never sends its plan, the group sits in COMPLETING_REBALANCE until the
    leader's session expires (not at the join's reset, which came while it heartbeated); then the
    follower's parked SyncGroup learns the group moved on."""
    g = stable_group()
    g.join(5 * S, 7, join("a"))
    g.join(5 * S, 8, join("b"))
    assert g.state == co.COMPLETING_REBALANCE and g.leader == "a"
    (expiry,) = timers(g.heartbeats_stopped(5 * S, "a", 5 * S))
    assert expiry.at_us == 5 * S + SESSION
    assert replies(g.sync(6 * S, 9, SyncGroup("b", g.generation, None))) == {}
    assert g.state == co.COMPLETING_REBALANCE
    out = g.timer(expiry.at_us, expiry.token)
    assert "a" not in g.members and g.state == co.PREPARING_REBALANCE
    assert replies(out)[9].error == "REBALANCE_IN_PROGRESS"


def test_becoming_stable_resets_the_session_only_of_members_with_a_parked_sync():
    """propagateAssignment reschedules the heartbeat expiry of a member only when it completes
    its parked SyncGroup. "b" synced before the leader and stopped heartbeating: its deadline
    restarts when the group becomes stable. "c" had not synced: it keeps its deadline."""
    g = stable_group(("a", "b", "c"))
    for rid, m in enumerate(("a", "b", "c")):
        g.join(5 * S, 10 + rid, join(m))
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2
    g.sync(6 * S, 20, SyncGroup("b", 2, None))
    g.heartbeats_stopped(6 * S, "b", 6 * S)
    (c_expiry,) = timers(g.heartbeats_stopped(6 * S, "c", 6 * S))
    plan = (("a", (0,)), ("b", (1,)), ("c", (2, 3)))
    out = g.sync(8 * S, 21, SyncGroup("a", 2, plan))
    assert g.state == co.STABLE and set(replies(out)) == {20, 21}
    assert {t.token[1]: t.at_us for t in timers(out)} == {"b": 8 * S + SESSION}
    assert g.members["c"].expiry_us() == c_expiry.at_us == 6 * S + SESSION
    g.timer(c_expiry.at_us, c_expiry.token)
    assert "c" not in g.members and "b" in g.members


def test_a_member_removed_while_parked_gets_unknown_member_id():
    """A member that leaves while its JoinGroup or SyncGroup is parked has the parked request
    answered UNKNOWN_MEMBER_ID (removeMemberAndUpdateClassicGroup completes its futures)."""
    g = stable_group(("a", "b", "c"))
    g.join(5 * S, 7, join("a"))
    g.join(5 * S, 8, join("b"))  # "c" has not rejoined: the join is open, both parked
    out = g.leave(6 * S, LeaveGroup("b"))
    assert replies(out)[8] == JoinResponse("UNKNOWN_MEMBER_ID")
    out = g.join(6 * S, 9, join("c"))  # all rejoined: generation 2
    g.sync(7 * S, 10, SyncGroup("c", g.generation, None))
    out = g.leave(7 * S, LeaveGroup("c"))
    assert replies(out)[10] == SyncResponse("UNKNOWN_MEMBER_ID")


def test_a_heartbeat_with_an_old_generation_gets_illegal_generation():
    """The first heartbeat after a pause is checked like a commit: member, then generation."""
    g = stable_group()
    g.heartbeats_stopped(5 * S, "b", 5 * S)
    assert g.heartbeat(6 * S, "b", 0) == "ILLEGAL_GENERATION"
    assert g.heartbeat(6 * S, "zz", 1) == "UNKNOWN_MEMBER_ID"
    assert g.heartbeat(6 * S, "b", 1) is None


# ---- the join and sync timeouts, SyncGroup errors ---------------------------------------------
def test_the_join_timeout_removes_dynamic_members_that_did_not_rejoin():
    """completeClassicGroupJoin at the rebalance timeout: a dynamic member that did not rejoin is
    removed, without starting another rebalance, and the join completes with the others."""
    g = stable_group()
    out = g.join(5 * S, 7, join("a"))  # the leader rejoins: a rebalance; "b" never does
    (timer,) = [t for t in timers(out) if t.token[0] == "join"]
    assert timer.at_us == 5 * S + REBALANCE
    out = g.timer(timer.at_us, timer.token)
    assert co.MemberRemoved("b", "not-rejoined") in out
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2 and list(g.members) == ["a"]
    assert set(replies(out)) == {7}
    (sync,) = [t for t in timers(out) if t.token[0] == "sync"]
    assert sync.at_us == timer.at_us + REBALANCE and sync.token == ("sync", 2)


def test_a_join_timeout_with_nobody_rejoined_empties_the_group():
    """Every dynamic member failed to rejoin: the join phase completes with nobody, so the
    generation moves on (ClassicGroup.initNextGeneration) and the group becomes EMPTY (and its
    offsets start their retention)."""
    g = stable_group()
    commit(g, "a", 1, ((0, 5),))
    out = g.join(5 * S, 7, join("c"))
    g.leave(6 * S, LeaveGroup("c"))
    (timer,) = [t for t in timers(out) if t.token[0] == "join"]
    out = g.timer(timer.at_us, timer.token)
    assert g.state == co.EMPTY and not g.members and g.empty_since_us == timer.at_us
    assert g.generation == 2
    assert any(t.token[0] == "expire-offsets" for t in timers(out))


def test_a_join_timeout_with_only_static_members_not_rejoined_waits_another_round():
    """Static members that did not rejoin are kept; with none rejoined the join waits another
    rebalance timeout."""
    g = co.GroupCoordinator(4, DELAY)
    for rid, (m, inst) in enumerate((("a", "i-0"), ("b", "i-1"))):
        g.join(0, rid, JoinGroup(m, SESSION, REBALANCE, instance_id=inst))
    g.timer(DELAY, ("initial-delay", g.epoch))
    g.timer(2 * DELAY, ("initial-delay", g.epoch))
    plan = (("a", (0, 1)), ("b", (2, 3)))
    g.sync(7 * S, 10, SyncGroup("b", 1, None, "i-1"))
    g.sync(7 * S, 11, SyncGroup("a", 1, plan, "i-0"))
    assert g.state == co.STABLE
    out = g.join(8 * S, 12, join("c"))
    g.leave(9 * S, LeaveGroup("c"))
    (timer,) = [t for t in timers(out) if t.token[0] == "join"]
    out = g.timer(timer.at_us, timer.token)
    assert g.state == co.PREPARING_REBALANCE and set(g.members) == {"a", "b"}
    assert [(t.at_us, t.token) for t in timers(out)] == [
        (timer.at_us + REBALANCE, ("join", g.epoch))
    ]


def test_the_sync_timeout_drops_who_did_not_sync_and_rebalances():
    """The leader never sent its plan: at the sync timeout the members that did not sync are
    removed and the group rebalances; the parked follower learns REBALANCE_IN_PROGRESS."""
    g = stable_group()
    g.join(5 * S, 7, join("a"))
    out = g.join(5 * S, 8, join("b"))
    (sync,) = [t for t in timers(out) if t.token[0] == "sync"]
    g.sync(6 * S, 9, SyncGroup("b", 2, None))
    out = g.timer(sync.at_us, sync.token)
    assert co.MemberRemoved("a", "not-synced") in out and list(g.members) == ["b"]
    assert g.state == co.PREPARING_REBALANCE
    assert replies(out)[9] == SyncResponse("REBALANCE_IN_PROGRESS")
    assert g.timer(sync.at_us, ("sync", 1)) == []  # a stale generation's timer


def test_sync_group_errors_and_a_follower_s_plan():
    """SyncGroup: an old generation gets ILLEGAL_GENERATION, one during PREPARING_REBALANCE
    REBALANCE_IN_PROGRESS; a follower's plan is ignored (only the leader's counts); a member the
    plan leaves out gets an empty assignment."""
    g = stable_group()
    assert replies(g.sync(5 * S, 1, SyncGroup("b", 0, None)))[1].error == "ILLEGAL_GENERATION"
    g.join(5 * S, 7, join("c"))
    assert g.state == co.PREPARING_REBALANCE
    assert replies(g.sync(5 * S, 2, SyncGroup("b", 1, None)))[2].error == "REBALANCE_IN_PROGRESS"
    g.join(5 * S, 8, join("a"))
    g.join(5 * S, 9, join("b"))
    assert g.state == co.COMPLETING_REBALANCE
    follower_plan = (("a", ()), ("b", (0, 1, 2, 3)), ("c", ()))
    assert replies(g.sync(6 * S, 3, SyncGroup("b", 2, follower_plan))) == {}
    assert g.state == co.COMPLETING_REBALANCE
    out = g.sync(6 * S, 4, SyncGroup("a", 2, (("a", (0, 1)), ("b", (2, 3)))))
    assert replies(out) == {3: SyncResponse(None, (2, 3)), 4: SyncResponse(None, (0, 1))}
    assert g.members["c"].assignment == ()


def test_initial_delay_windows_stop_when_the_rebalance_timeout_is_spent():
    """The extra windows fit in the rebalance timeout minus the first: with a 10 s rebalance
    timeout and a 3 s delay, joiners in every window get windows of 3, 3 and 1 s after the
    first, and the join completes at 10 s however many keep joining."""
    g = co.GroupCoordinator(4, DELAY)
    out = g.join(0, 1, JoinGroup("m0", SESSION, 10 * S))
    ends = [t.at_us for t in timers(out)]
    for n in range(1, 10):
        g.join(ends[-1] - 1, 1 + n, JoinGroup(f"m{n}", SESSION, 10 * S))
        out = g.timer(ends[-1], ("initial-delay", g.epoch))
        if g.state != co.PREPARING_REBALANCE:
            break
        ends += [t.at_us for t in timers(out)]
    assert ends == [3 * S, 6 * S, 9 * S, 10 * S]
    assert g.state == co.COMPLETING_REBALANCE


def test_a_group_that_emptied_records_a_rebalance_when_members_return():
    """A group of an earlier generation that became EMPTY starts a rebalance of that generation
    when a member joins again (the trace's rebalance record); a brand-new group does not."""
    g = co.GroupCoordinator(4, DELAY)
    assert not [o for o in g.join(0, 1, join("a")) if isinstance(o, co.RebalanceStarted)]
    g = stable_group(("a",))
    g.leave(5 * S, LeaveGroup("a"))
    assert g.state == co.EMPTY and g.generation == 2  # emptying completes a join phase
    out = g.join(6 * S, 2, join("b"))
    assert co.RebalanceStarted(2) in out


def test_a_lone_leader_rejoining_completes_the_join_at_once():
    """The only member, the leader, rejoins a stable group: the rebalance it starts has every
    member joined already, so the join completes at once with the next generation."""
    g = stable_group(("a",))
    out = g.join(5 * S, 7, join("a"))
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2
    assert replies(out)[7].generation == 2


def test_a_join_timer_of_an_earlier_rebalance_never_ends_a_later_join_phase():
    """completeClassicGroupJoin cancels the join timer (GroupMetadataManager), so a rebalance's
    timeout, still armed after its join phase completed, never ends a later one's. Rebalances,
    an emptied group and an initial delay follow one another inside one rebalance timeout; then,
    with the last rebalance waiting for "c", every earlier join timer fires and changes nothing."""
    g = stable_group(("a",))
    earlier = timers(g.join(4 * S, 10, join("b")))  # a rebalance; "a" rejoins and leads again
    g.join(4 * S, 11, join("a"))
    g.sync(4 * S, 12, SyncGroup("a", g.generation, (("a", (0, 1)), ("b", (2, 3)))))
    earlier += timers(g.leave(5 * S, LeaveGroup("a")))
    g.leave(5 * S, LeaveGroup("b"))  # the group empties
    out = g.join(6 * S, 13, join("c"))
    g.timer(9 * S, timers(out)[0].token)  # the initial delay ends
    g.sync(9 * S, 14, SyncGroup("c", g.generation, (("c", (0, 1, 2, 3)),)))
    current = timers(g.join(10 * S, 15, join("d")))
    assert g.state == co.PREPARING_REBALANCE and g.generation == 4  # 3 when it emptied
    stale = [t for t in earlier if t.token[0] == "join"]
    assert len(stale) == 2 and all(t.at_us < current[0].at_us for t in stale)
    for t in stale:
        assert g.timer(t.at_us, t.token) == []
    assert g.state == co.PREPARING_REBALANCE and set(g.members) == {"c", "d"}


def test_a_parked_sync_answered_by_a_rebalance_no_longer_keeps_its_member_alive():
    """prepareRebalance answers a parked SyncGroup REBALANCE_IN_PROGRESS; the member is then
    parked nowhere, so its session expires as any other's (a parked request keeps it alive only
    until answered: ClassicGroupMember.isAwaitingSync)."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a"))
    g.join(0, 2, join("b"))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    out = g.timer(timers(out)[0].at_us, timers(out)[0].token)
    assert g.state == co.COMPLETING_REBALANCE
    g.sync(7 * S, 3, SyncGroup("b", g.generation, None))  # parked: the leader has not synced
    out = g.join(8 * S, 4, join("c"))
    assert replies(out)[3] == SyncResponse("REBALANCE_IN_PROGRESS")
    (expiry,) = timers(g.heartbeats_stopped(8 * S, "b", 8 * S))
    out = g.timer(expiry.at_us, expiry.token)
    assert co.MemberRemoved("b", "session-expired") in out and "b" not in g.members


def test_a_member_loaded_by_a_new_coordinator_is_parked_nowhere_and_expires():
    """The old coordinator answers parked requests on unload, and GroupMetadata records hold no
    request: a member loaded by the new coordinator (the leader, whose SyncGroup was parked when
    the group was stored) expires one session after it stops heartbeating (onLoaded)."""
    g = stable_group()
    g.failover(5 * S)
    g.start_loading(7 * S)
    g.loaded(10 * S)
    (expiry,) = timers(g.heartbeats_stopped(10 * S, "a", 10 * S))
    assert expiry.at_us == 10 * S + SESSION
    out = g.timer(expiry.at_us, expiry.token)
    assert co.MemberRemoved("a", "session-expired") in out and "a" not in g.members


def test_the_leader_rejoining_unchanged_while_completing_gets_the_member_list_again():
    """GroupMetadataManager, a known member joining during COMPLETING_REBALANCE with the same
    metadata (it may have lost its JoinGroup response): the current generation again, and the
    leader the member list (isLeader ? currentClassicGroupMembers() : empty), no rebalance."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, join("a"))
    out = g.timer(DELAY, ("initial-delay", g.epoch))
    assert g.state == co.COMPLETING_REBALANCE and g.leader == "a"
    first = replies(out)[1]
    out = g.join(4 * S, 2, join("a"))
    assert replies(out) == {2: first} and first.members == ("a",)
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 1
