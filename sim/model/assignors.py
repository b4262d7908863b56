"""Client-side partition assignors of the classic protocol (the group leader runs one).

Every assignor sorts member ids, as Kafka's do; with a single topic they reduce to the
arithmetic below. `range` and `roundrobin` ignore what members owned; `sticky` and
`cooperative-sticky` (AbstractStickyAssignor's constrained assignment, for members that all
subscribe to the same topic) balance first and then keep as much of each member's owned
partitions as the balance allows. `cooperative-sticky` (CooperativeStickyAssignor) then leaves
unassigned every partition that would move from one owner to another: its owner revokes it in
this generation and it is assigned in the follow-up rebalance.

Each assignor is `assign(members, partitions, subscriptions)` -> {member: partitions}, where
`subscriptions` maps a member id to its `Subscription` (owned partitions and their generation).
They own no state: each is a pure function. They never run in the coordinator: the group leader's
client runs one (`java_classic.membership`).
"""

from __future__ import annotations

from collections.abc import Mapping

from .messages import Subscription

NONE = Subscription()


def range_assign(members, partitions: int, subscriptions=None) -> dict[str, tuple[int, ...]]:
    """RangeAssignor: consecutive ranges, the first `partitions % n` members one extra."""
    ordered = sorted(members)
    per, extra = divmod(partitions, len(ordered))
    out: dict[str, tuple[int, ...]] = {}
    start = 0
    for i, member in enumerate(ordered):
        size = per + (1 if i < extra else 0)
        out[member] = tuple(range(start, start + size))
        start += size
    return out


def roundrobin_assign(members, partitions: int, subscriptions=None) -> dict[str, tuple[int, ...]]:
    """RoundRobinAssignor: partition i to the (i mod n)-th member in sorted order."""
    ordered = sorted(members)
    return {m: tuple(range(i, partitions, len(ordered))) for i, m in enumerate(ordered)}


def previous_owners(
    members, partitions: int, subscriptions: Mapping[str, Subscription]
) -> dict[int, str]:
    """Who owned each partition, as AbstractStickyAssignor.allSubscriptionsEqual judges claims:
    the claim of the highest generation wins; two claims of the same generation void each other
    (the partition counts as unowned)."""
    owner: dict[int, str] = {}
    voided: set[int] = set()
    for member in sorted(members):
        sub = subscriptions.get(member, NONE)
        for p in sorted(set(sub.owned)):
            if not 0 <= p < partitions:
                continue
            other = owner.get(p)
            if other is None:
                if p not in voided:
                    owner[p] = member
                continue
            other_generation = subscriptions.get(other, NONE).generation
            if sub.generation > other_generation:
                owner[p] = member
            elif sub.generation == other_generation:
                del owner[p]
                voided.add(p)
    return owner


def sticky_assign(members, partitions: int, subscriptions=None) -> dict[str, tuple[int, ...]]:
    """StickyAssignor (ConstrainedAssignmentBuilder): every member gets `partitions // n`, the
    first `partitions % n` members to reach it one more. A member keeps its owned partitions
    (lowest first) up to its quota; the rest are handed round-robin, in partition order, to the
    members still below the minimum quota, then one each to members at it while extra slots
    remain. Ties go by sorted member id, so the plan is a function of its inputs."""
    ordered = sorted(members)
    owner = previous_owners(ordered, partitions, subscriptions or {})
    n = len(ordered)
    min_quota, extra_slots = divmod(partitions, n)
    max_quota = min_quota + (1 if extra_slots else 0)
    out: dict[str, list[int]] = {m: [] for m in ordered}
    for p in range(partitions):
        if p in owner:
            out[owner[p]].append(p)
    kept: set[int] = set()
    for m in ordered:
        quota = min_quota
        if len(out[m]) >= max_quota and extra_slots:
            quota, extra_slots = max_quota, extra_slots - 1
        out[m] = out[m][:quota]
        kept.update(out[m])
    under = [m for m in ordered if len(out[m]) < min_quota]
    at_min = [m for m in ordered if len(out[m]) == min_quota and extra_slots]
    turn = 0
    for p in range(partitions):
        if p in kept:
            continue
        if under:
            turn %= len(under)
            member = under[turn]
            out[member].append(p)
            if len(out[member]) == min_quota:
                under.pop(turn)  # the next member slides into this turn
                at_min.append(member)
            else:
                turn += 1
        else:
            out[at_min.pop(0)].append(p)  # an extra slot left: one more for a member at min
    return {m: tuple(sorted(out[m])) for m in ordered}


def cooperative_sticky_assign(
    members, partitions: int, subscriptions=None
) -> dict[str, tuple[int, ...]]:
    """CooperativeStickyAssignor: the sticky plan, minus every partition that would pass from its
    previous owner to another member in this generation (adjustAssignment)."""
    subscriptions = subscriptions or {}
    plan = sticky_assign(members, partitions, subscriptions)
    owner = previous_owners(members, partitions, subscriptions)
    return {m: tuple(p for p in parts if owner.get(p, m) == m) for m, parts in plan.items()}


ASSIGNORS = {
    "range": range_assign,
    "roundrobin": roundrobin_assign,
    "sticky": sticky_assign,
    "cooperative-sticky": cooperative_sticky_assign,
}
# ConsumerPartitionAssignor.supportedProtocols(): only CooperativeStickyAssignor adds
# COOPERATIVE, and the client picks the highest protocol its assignors support.
COOPERATIVE_ASSIGNORS = frozenset({"cooperative-sticky"})
