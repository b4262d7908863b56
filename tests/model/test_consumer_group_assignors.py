"""The broker's assignors of a consumer group, fed by hand (assignor/UniformAssignor with its
UniformHomogeneousAssignmentBuilder, assignor/RangeAssignor), and their properties over generated
groups."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.consumer_group.assignors import SERVER_ASSIGNORS, range_assign, uniform_assign

DYNAMIC = None


def test_uniform_hands_free_partitions_in_order_to_members_in_order():
    """UniformHomogeneousAssignmentBuilder.assignRemainingPartitions: a new group's partitions go
    in ascending order to the members below quota, in member order."""
    plan = uniform_assign({"b": DYNAMIC, "a": DYNAMIC}, 5, {})
    assert plan == {"a": (0, 1, 2), "b": (3, 4)}


def test_uniform_keeps_what_a_member_owns_up_to_its_quota():
    """maybeRevokePartitions: a member keeps its current target partitions, lowest first, up to
    its quota; the excess goes to the members below quota."""
    plan = uniform_assign({"a": DYNAMIC, "b": DYNAMIC}, 4, {"a": (0, 1, 2, 3)})
    assert plan == {"a": (0, 1), "b": (2, 3)}


def test_uniform_gives_the_extra_partition_to_the_first_members_visited():
    """The `partitions % n` members with one more are the first visited, whatever they hold: a
    member holding two loses one (handed out after the unheld ones) to reach its quota of one."""
    plan = uniform_assign({"a": DYNAMIC, "b": DYNAMIC, "c": DYNAMIC}, 4, {"c": (0, 1)})
    assert plan == {"a": (2, 3), "b": (1,), "c": (0,)}


def test_uniform_hands_out_unheld_partitions_before_excess_ones():
    """unassignedPartitions starts with the partitions no current target holds (a departed
    member's), then the excess ones in member order."""
    plan = uniform_assign({"a": DYNAMIC, "b": DYNAMIC}, 4, {"a": (0, 2, 3)})
    assert plan == {"a": (0, 2), "b": (1, 3)}


def test_range_puts_static_members_first_by_instance_id():
    """RangeAssignor.sortMemberIds: static members by instance id, then dynamic ones by member
    id, so a restarted static member (new member id) keeps its range."""
    members = {"zz-new": "instance-0", "aa": DYNAMIC, "mm": "instance-1"}
    assert range_assign(members, 5, {}) == {"zz-new": (0, 1), "mm": (2, 3), "aa": (4,)}


def test_range_is_not_sticky():
    """The server-side range assignor ignores what members hold."""
    plan = range_assign({"a": DYNAMIC, "b": DYNAMIC}, 4, {"a": (2, 3), "b": (0, 1)})
    assert plan == {"a": (0, 1), "b": (2, 3)}


@st.composite
def groups(draw):
    names = draw(st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=6, unique=True))
    partitions = draw(st.integers(0, 20))
    members = {m: draw(st.sampled_from([None, f"i-{m}"])) for m in names}
    owners = draw(
        st.lists(st.sampled_from([*names, None]), min_size=partitions, max_size=partitions)
    )
    current = {m: tuple(p for p, o in enumerate(owners) if o == m) for m in names}
    return members, partitions, current


@settings(max_examples=200, deadline=None)
@given(groups(), st.sampled_from(sorted(SERVER_ASSIGNORS)))
def test_every_assignor_is_balanced_and_assigns_each_partition_once(group, name):
    """Both assignors give every partition to exactly one member, sizes within one."""
    members, partitions, current = group
    plan = SERVER_ASSIGNORS[name](members, partitions, current)
    assert set(plan) == set(members)
    every = sorted(p for parts in plan.values() for p in parts)
    assert every == list(range(partitions))
    sizes = [len(parts) for parts in plan.values()]
    assert max(sizes) - min(sizes) <= 1


@settings(max_examples=200, deadline=None)
@given(groups())
def test_uniform_moves_no_partition_a_balanced_group_holds(group):
    """Stickiness: when the current target is already balanced and complete (the extra
    partitions held by the first members), uniform changes nothing."""
    members, partitions, _ = group
    balanced = uniform_assign(members, partitions, {})
    assert uniform_assign(members, partitions, balanced) == balanced
