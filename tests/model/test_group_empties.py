"""A group whose last member leaves (GroupMetadataManager.removeMemberAndUpdateClassicGroup):
the join phase completes at once with nobody in it (completeClassicGroupJoin), which bumps the
generation (ClassicGroup.initNextGeneration), makes the group EMPTY and cancels the join timer
that the initial delay also uses."""

from sim.model import coordinator as co
from sim.model.messages import JoinGroup, LeaveGroup

from .test_coordinator import stable_group

S = 1_000_000
DELAY = 3 * S


def test_the_last_member_leaving_during_the_initial_delay_voids_its_timer():
    """The group empties during its initial delay: the empty join phase makes generation 1; the
    delay's timer, firing after, neither fails nor starts another generation."""
    g = co.GroupCoordinator(4, DELAY)
    (timer,) = [o for o in g.join(0, 1, JoinGroup("a", 45 * S, 300 * S)) if type(o) is co.SetTimer]
    g.leave(S, LeaveGroup("a"))
    assert g.state == co.EMPTY and g.generation == 1
    assert g.timer(timer.at_us, timer.token) == []
    assert g.state == co.EMPTY and g.generation == 1


def test_the_delay_timer_of_an_emptied_group_does_not_end_the_next_delay():
    """The group empties during its initial delay and a member joins again: a new delay starts
    (prepareRebalance of an EMPTY group), and the first delay's timer, cancelled with the join
    phase, does not end it (completeClassicGroupJoin: timer.cancel(classicGroupJoinKey))."""
    g = co.GroupCoordinator(4, DELAY)
    (first,) = [o for o in g.join(0, 1, JoinGroup("a", 45 * S, 300 * S)) if type(o) is co.SetTimer]
    g.leave(S, LeaveGroup("a"))
    out = g.join(2 * S, 2, JoinGroup("b", 45 * S, 300 * S))
    (second,) = [o for o in out if type(o) is co.SetTimer]
    assert g.timer(first.at_us, first.token) == []
    assert g.state == co.PREPARING_REBALANCE and g.generation == 1
    g.timer(second.at_us, second.token)
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 2


def test_a_stable_group_emptied_by_a_leave_bumps_its_generation():
    """The last member of a STABLE group leaves: prepareRebalance, then the join phase completes
    at once with nobody (maybeCompleteJoinElseSchedule -> completeClassicGroupJoin): generation
    1 becomes 2, the group is EMPTY, and its metadata record holds generation 2."""
    g = stable_group(("a",))
    assert g.generation == 1
    g.leave(5 * S, LeaveGroup("a"))
    assert g.state == co.EMPTY and g.generation == 2
    assert g.persisted.state == co.EMPTY and g.persisted.generation == 2


def test_a_group_emptied_by_an_expiry_while_preparing_rebalance_bumps_its_generation():
    """The last member's session expires while the group is PREPARING_REBALANCE (the other left
    and this one never rejoined): removeMemberAndUpdateClassicGroup finds every (no) member
    joined and completes the join phase, so the generation moves on even with nobody in it."""
    g = stable_group(("a", "b"))
    g.heartbeats_stopped(4 * S, "b", 4 * S)
    g.leave(5 * S, LeaveGroup("a"))  # a rebalance "b" never joins
    assert g.state == co.PREPARING_REBALANCE and g.generation == 1
    expiry = g.members["b"].expiry_us()
    g.timer(expiry, ("expire", "b", expiry))
    assert g.state == co.EMPTY and g.generation == 2
    out = g.join(expiry + S, 9, JoinGroup("c", 45 * S, 300 * S))
    assert co.RebalanceStarted(2) in out  # the next rebalance leaves generation 2


def test_an_emptied_group_at_generation_1_starts_its_next_rebalance_from_generation_1():
    """The group emptied during its first initial delay (generation 1, nobody ever stable): a
    member joining again starts a rebalance that leaves generation 1 (prepareRebalance of an
    EMPTY group with a generation), which the ledger records like any other."""
    g = co.GroupCoordinator(4, DELAY)
    g.join(0, 1, JoinGroup("a", 45 * S, 300 * S))
    g.leave(S, LeaveGroup("a"))
    assert g.generation == 1
    assert co.RebalanceStarted(1) in g.join(2 * S, 2, JoinGroup("b", 45 * S, 300 * S))
