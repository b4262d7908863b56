"""The broker's partition assignors of a consumer group (group.consumer.assignors: `uniform`, the
default, then `range`), for members that all subscribe to the scenario's one topic.

The broker computes the *target* assignment; members reach it through reconciliation
(`sim.model.consumer_group.reconciliation`), so an assignor may move a partition from one member
to another at once: its owner revokes it first.

Each assignor is `assign(members, partitions, current_target)` -> {member id: partitions}, where
`members` maps a member id to its instance id (None: dynamic) and `current_target` maps each of
them to the partitions the current target assignment gives it (absent: none yet).

Approximation: Kafka's `uniform` visits members in the iteration order of a HashMap keyed by
member id (GroupSpecImpl.memberIds), which no contract fixes; here they are visited in sorted
member-id order, so the plan is a function of its inputs. They own no state and never see a
member's current holdings: reconciliation handles those.
"""

from __future__ import annotations

from collections.abc import Mapping


def uniform_assign(
    members: Mapping[str, str | None], partitions: int, current_target: Mapping[str, tuple]
) -> dict[str, tuple[int, ...]]:
    """UniformHomogeneousAssignmentBuilder: balance first, then stickiness.

    Every member's quota is `partitions // n`, one more for the first `partitions % n` members
    visited, whatever they owned. A member keeps its current target partitions (lowest first) up
    to its quota; the rest, after the partitions no member's target holds, are handed in that
    order to the members still below quota, in member order (maybeRevokePartitions, then
    assignRemainingPartitions)."""
    ordered = sorted(members)
    if not ordered:
        return {}
    held = {p for parts in current_target.values() for p in parts}
    unassigned = [p for p in range(partitions) if p not in held]
    quota_min, extra = divmod(partitions, len(ordered))
    plan: dict[str, list[int]] = {}
    unfilled: list[tuple[str, int]] = []
    for member in ordered:
        quota = quota_min + (1 if extra > 0 else 0)
        extra -= 1
        old = sorted(current_target.get(member, ()))
        plan[member] = old[:quota]
        unassigned.extend(old[quota:])
        if quota > len(old):
            unfilled.append((member, quota - len(old)))
    handed = iter(unassigned)
    for member, room in unfilled:
        plan[member].extend(p for _, p in zip(range(room), handed, strict=False))
    return {m: tuple(sorted(parts)) for m, parts in plan.items()}


def range_assign(
    members: Mapping[str, str | None], partitions: int, current_target: Mapping[str, tuple]
) -> dict[str, tuple[int, ...]]:
    """RangeAssignor (server side): contiguous ranges, the first `partitions % n` members one
    more. Static members come first, by instance id, then dynamic ones by member id
    (sortMemberIds), so a restarted static member gets its range back. Not sticky."""
    ordered = sorted(members, key=lambda m: (members[m] is None, members[m] or "", m))
    if not ordered:
        return {}
    per, extra = divmod(partitions, len(ordered))
    plan: dict[str, tuple[int, ...]] = {}
    start = 0
    for i, member in enumerate(ordered):
        end = start + per + (1 if i < extra else 0)
        plan[member] = tuple(range(start, end))
        start = end
    return plan


SERVER_ASSIGNORS = {"uniform": uniform_assign, "range": range_assign}
DEFAULT_ASSIGNOR = "uniform"  # the first of group.consumer.assignors (GroupCoordinatorConfig)
