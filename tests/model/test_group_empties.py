"""A group whose last member leaves while a rebalance is being prepared (GroupMetadataManager.
removeMemberAndUpdateClassicGroup): the join phase completes at once, empty, and cancels the join
timer that the initial delay also uses."""

from sim.model import coordinator as co
from sim.model.messages import JoinGroup, LeaveGroup

S = 1_000_000
DELAY = 3 * S


def test_the_last_member_leaving_during_the_initial_delay_voids_its_timer():
    """The delay's timer, firing after the group emptied, neither fails nor starts a generation."""
    g = co.GroupCoordinator(4, DELAY)
    (timer,) = [o for o in g.join(0, 1, JoinGroup("a", 45 * S, 300 * S)) if type(o) is co.SetTimer]
    g.leave(S, LeaveGroup("a"))
    assert g.state == co.EMPTY
    assert g.timer(timer.at_us, timer.token) == []
    assert g.state == co.EMPTY and g.generation == 0


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
    assert g.state == co.PREPARING_REBALANCE and g.generation == 0
    g.timer(second.at_us, second.token)
    assert g.state == co.COMPLETING_REBALANCE and g.generation == 1
