"""Static membership across a coordinator failover, fed by hand to the coordinator
(docs/semantics.md §10, static members, §11; GroupMetadataManager.replay(GroupMetadataKey) adds
each loaded member with ClassicGroup.add, which maps its instance id; GroupMetadataManager.
updateStaticMemberThenRebalanceOrCompleteJoin stores the group when a stable group's static
member is replaced)."""

from sim.model import coordinator as co
from sim.model.messages import OffsetCommit, SyncGroup, SyncResponse

from .test_cooperative_static import join, static_group
from .test_coordinator import replies
from .test_failover import fail_over

S = 1_000_000


def test_an_instance_that_joined_a_lost_rebalance_joins_as_new_after_the_load():
    """A static member that joined only during the rebalance the failover lost is not in the
    loaded group, so its instance id is unknown again: its retry joins as a new member."""
    g = static_group()
    g.join(10 * S, 9, join("c", instance="instance-c"))  # a new static member: a rebalance
    fail_over(g, 10 * S)
    assert g.static_members == {"instance-a": "a", "instance-b": "b"}
    out = g.join(16 * S, 10, join("c", instance="instance-c"))
    assert g.state == co.PREPARING_REBALANCE
    assert g.static_members["instance-c"] == "c" and "c" in g.members
    assert any(isinstance(o, co.RebalanceStarted) for o in out)


def test_a_static_replacement_in_a_stable_group_survives_a_failover():
    """The new member id is persisted with the group: after the load it commits and syncs
    normally, and the replaced id stays fenced."""
    g = static_group()
    g.join(10 * S, 9, join("b2", instance="instance-b"))
    fail_over(g, 11 * S)
    assert list(g.members) == ["a", "b2"] and g.static_members["instance-b"] == "b2"
    new = OffsetCommit("b2", 1, ((2, 5),), "instance-b")
    assert replies(g.commit(17 * S, 20, new))[20].error is None
    assert replies(g.sync(17 * S, 21, SyncGroup("b2", 1, None, "instance-b")))[21] == SyncResponse(
        None, (2, 3)
    )
    old = OffsetCommit("b", 1, ((2, 6),), "instance-b")
    assert replies(g.commit(17 * S, 22, old))[22].error == "FENCED_INSTANCE_ID"
