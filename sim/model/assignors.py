"""Client-side partition assignors of the classic protocol (the group leader runs one).

Both sort member ids, as Kafka's `RangeAssignor` and `RoundRobinAssignor` do; with a single
topic they reduce to the arithmetic below.
"""

from __future__ import annotations


def range_assign(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
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


def roundrobin_assign(members: list[str], partitions: int) -> dict[str, tuple[int, ...]]:
    """RoundRobinAssignor: partition i to the (i mod n)-th member in sorted order."""
    ordered = sorted(members)
    return {m: tuple(range(i, partitions, len(ordered))) for i, m in enumerate(ordered)}


ASSIGNORS = {"range": range_assign, "roundrobin": roundrobin_assign}
