"""The assignors' properties over generated groups: balance, stickiness, determinism, and the
cooperative rule that no partition passes directly from one owner to another in one generation
(AbstractStickyAssignor, CooperativeStickyAssignor)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.assignors import (
    ASSIGNORS,
    cooperative_sticky_assign,
    previous_owners,
    range_assign,
    roundrobin_assign,
    sticky_assign,
)
from sim.model.messages import Subscription

NAMES = [f"m{i}" for i in range(8)]


@st.composite
def groups(draw):
    """A previous generation's members and plan, then the next generation's members (some
    left, some joined)."""
    partitions = draw(st.integers(1, 24))
    before = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    after = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6, unique=True))
    previous = sticky_assign(before, partitions)
    subscriptions = {m: Subscription(previous[m], 3) for m in after if m in previous}
    return partitions, previous, after, subscriptions


def sizes(plan):
    return [len(parts) for parts in plan.values()]


@settings(max_examples=200, deadline=None)
@given(groups())
def test_sticky_is_balanced_and_covers_every_partition_once(group):
    partitions, _, members, subscriptions = group
    plan = sticky_assign(members, partitions, subscriptions)
    every = sorted(p for parts in plan.values() for p in parts)
    assert every == list(range(partitions))
    assert max(sizes(plan)) - min(sizes(plan)) <= 1


@settings(max_examples=200, deadline=None)
@given(groups())
def test_sticky_keeps_what_the_balance_allows(group):
    """A member keeps min(owned, partitions // members) of what it owned; with the same members
    as before, nothing moves at all."""
    partitions, previous, members, subscriptions = group
    plan = sticky_assign(members, partitions, subscriptions)
    quota = partitions // len(members)
    for m, sub in subscriptions.items():
        assert len(set(plan[m]) & set(sub.owned)) >= min(len(sub.owned), quota)
    if sorted(members) == sorted(previous):
        assert plan == {m: previous[m] for m in sorted(members)}


@settings(max_examples=100, deadline=None)
@given(groups(), st.randoms(use_true_random=False))
def test_every_assignor_is_a_function_of_its_inputs_not_their_order(group, rnd):
    partitions, _, members, subscriptions = group
    shuffled = list(members)
    rnd.shuffle(shuffled)
    for assign in ASSIGNORS.values():
        assert assign(members, partitions, subscriptions) == assign(
            shuffled, partitions, subscriptions
        )


@settings(max_examples=200, deadline=None)
@given(groups())
def test_cooperative_sticky_never_moves_a_partition_between_owners_in_one_generation(group):
    """Every partition given to a member was owned by it or by nobody; once the owners have
    revoked what they lost (the follow-up rebalance), the plan is the balanced sticky one."""
    partitions, _, members, subscriptions = group
    plan = cooperative_sticky_assign(members, partitions, subscriptions)
    owner = previous_owners(members, partitions, subscriptions)
    for m, parts in plan.items():
        assert all(owner.get(p, m) == m for p in parts)
    follow_up = {m: Subscription(plan[m], 4) for m in members}
    final = cooperative_sticky_assign(members, partitions, follow_up)
    assert final == sticky_assign(members, partitions, follow_up)
    assert sum(sizes(final)) == partitions


def test_claims_of_a_newer_generation_win_and_equal_claims_void_each_other():
    """allSubscriptionsEqual: a stale owner loses a partition to a newer claim; two claims of the
    same generation leave the partition unowned."""
    subscriptions = {"a": Subscription((0, 1), 2), "b": Subscription((1, 2), 3)}
    assert previous_owners(["a", "b"], 3, subscriptions) == {0: "a", 1: "b", 2: "b"}
    subscriptions["b"] = Subscription((1, 2), 2)
    assert previous_owners(["a", "b"], 3, subscriptions) == {0: "a", 2: "b"}


def test_a_newcomer_gets_moved_partitions_only_in_the_follow_up():
    """Two members own 0-2 and 3-5; a third joins. First round: each old member keeps two, the
    newcomer gets nothing; second round: it gets the two that were revoked."""
    subscriptions = {"a": Subscription((0, 1, 2), 1), "b": Subscription((3, 4, 5), 1)}
    first = cooperative_sticky_assign(["a", "b", "c"], 6, subscriptions)
    assert first == {"a": (0, 1), "b": (3, 4), "c": ()}
    owned = {m: Subscription(parts, 2) for m, parts in first.items()}
    assert cooperative_sticky_assign(["a", "b", "c"], 6, owned) == {
        "a": (0, 1),
        "b": (3, 4),
        "c": (2, 5),
    }


def test_range_gives_consecutive_ranges_and_the_first_members_one_extra():
    """RangeAssignor: numPartitionsPerConsumer = partitions / consumers, and the first
    partitions % consumers members (sorted) get one more, in consecutive ranges."""
    assert range_assign(["c", "a", "b"], 7) == {"a": (0, 1, 2), "b": (3, 4), "c": (5, 6)}


def test_roundrobin_deals_the_partitions_in_turn_in_member_order():
    """RoundRobinAssignor: partitions in order, one to each member in sorted order in turn."""
    assert roundrobin_assign(["b", "a", "c"], 7) == {"a": (0, 3, 6), "b": (1, 4), "c": (2, 5)}


def test_sticky_deals_unowned_partitions_in_turn_then_extra_slots_in_member_order():
    """ConstrainedAssignmentBuilder: unowned partitions go round-robin to the members below
    the minimum quota (sorted), then one each to members at it (the sorted
    unfilledMembersWithExactlyMinQuotaPartitions) while extra slots remain."""
    assert sticky_assign(["b", "a", "c"], 6) == {"a": (0, 3), "b": (1, 4), "c": (2, 5)}
    assert sticky_assign(["b", "a", "c"], 7) == {"a": (0, 3, 6), "b": (1, 4), "c": (2, 5)}
    owned = {"a": Subscription((0, 1, 2, 3), 1)}  # a keeps two, the rest is dealt in turn
    assert sticky_assign(["a", "b", "c"], 7, owned) == {"a": (0, 1, 2), "b": (3, 5), "c": (4, 6)}


def test_a_partition_claimed_twice_in_one_generation_stays_unowned_whoever_claims_it_next():
    """allSubscriptionsEqual: equal-generation claims void the partition's ownership; a third
    claim of that generation does not restore it."""
    subscriptions = {m: Subscription((1,), 2) for m in ("a", "b", "c")}
    assert previous_owners(["a", "b", "c"], 2, subscriptions) == {}
