"""Hypothesis strategies for fault schedules, drawn as data: a list of `[[faults]]` tables.

A whole schedule is one example and one simulation (a hypothesis stateful step costs as much as
~140 simpy events), and shrinking works on the list: fewer faults, earlier batches, smaller
record counts, and each fault's plainest form (a named consumer before the owner of a partition,
a window of commit errors before the n-th commit). Swarm selection (Groce et al., "Swarm
testing") lets each example enable only a random subset of the allowed kinds, so a schedule of
only commit errors and crashes is as likely as a soup of everything, which is how masked
failures are found. Nothing here runs a schedule.
"""

from __future__ import annotations

from hypothesis import strategies as st

from sim.scenario.commit_errors import COMMIT_ERROR_CODES, COMMIT_ERROR_REQUESTS
from sim.scenario.faults import LOOP_POINTS, TXN_LOOP_POINTS

__all__ = ["FAULT_KINDS", "fault", "fault_schedules"]

FAULT_KINDS = (
    "crash",
    "processing-error",
    "leave",
    "join",
    "commit-error",
    "lost-response",
    "stall",
    "pause",
    "network-cut",
    "coordinator-failover",
    "txn-coordinator-failover",
    "coordinator-outage",
    "rolling-restart",
)
MAX_BATCH = 6  # loop points pinned to one of a consumer's first batches, where the story is
# A commit error by count: one of the first MAX_NTH OffsetCommit requests of a consumer or of the
# group (the catalogue's scenario reads 16 batches in all, so every batch commit is in reach, and
# those of revokes and closes), up to MAX_TIMES in a row: past a retrying commitSync's first tries.
MAX_NTH = 30
MAX_TIMES = 4


def _times(window_ms: tuple[int, int]):
    return st.integers(*window_ms)


def _restart(always: bool = False):
    """restart_after_ms, or None (down until the drain)."""
    delay = st.integers(0, 8_000)
    return delay if always else st.one_of(st.none(), delay)


def _target(draw, table: dict, member, partitions: int | None) -> None:
    """A crash's or a poison record's consumer: a named one, or (when the partitions are known)
    whichever owns partition p when the fault fires (`owner_of`)."""
    if partitions and draw(st.booleans()):
        table["owner_of"] = draw(st.integers(0, partitions - 1))
    else:
        table["consumer"] = draw(member)


@st.composite
def fault(
    draw,
    kind: str,
    consumers: int = 2,
    window_ms=(3_000, 10_000),
    max_records=120,
    loop_points=LOOP_POINTS,
    partitions: int | None = None,
):
    """One fault table of `kind`, timed by the clock or by a point in the poll loop (one of
    `loop_points`). Spans (stall, pause, network cut, failover, outage) last up to twice the
    window's length, so some outlast a session or a poll interval and some do not. Commit errors
    come in a window or on the n-th OffsetCommit (and the `times - 1` after it), which reaches
    commits no window can single out. With `partitions`, a crash or a poison record may aim at
    the owner of a partition instead of a named consumer."""
    table: dict = {"kind": kind}
    member = st.integers(0, consumers - 1)
    span = st.integers(1, 2 * (window_ms[1] - window_ms[0]))
    if kind in ("crash", "processing-error"):
        _target(draw, table, member, partitions)
        if kind == "crash" and draw(st.booleans()):
            table["at_ms"] = draw(_times(window_ms))
        else:
            table["at"] = (
                "mid-batch" if kind == "processing-error" else draw(st.sampled_from(loop_points))
            )
            table["batch"] = draw(st.integers(1, MAX_BATCH))
            if table["at"] == "mid-batch":
                table["after_records"] = draw(st.integers(0, max_records))
        restart = draw(_restart(always=kind == "processing-error"))
        if restart is not None:
            table["restart_after_ms"] = restart
    elif kind == "leave":
        table["consumer"] = draw(member)
        table["at_ms"] = draw(_times(window_ms))
        restart = draw(_restart())
        if restart is not None:
            table["restart_after_ms"] = restart
    elif kind == "join":
        table["at_ms"] = draw(_times(window_ms))
    elif kind in ("stall", "pause", "network-cut"):
        table.update(consumer=draw(member), at_ms=draw(_times(window_ms)), duration_ms=draw(span))
    elif kind in ("coordinator-failover", "txn-coordinator-failover"):
        table["at_ms"] = draw(_times(window_ms))
        table["unavailable_ms"] = draw(span)
        table["loading_ms"] = draw(span)
    elif kind == "coordinator-outage":
        table.update(at_ms=draw(_times(window_ms)), duration_ms=draw(span))
    elif kind == "rolling-restart":
        start = draw(_times(window_ms))
        gap = (window_ms[1] - start) // max(consumers - 1, 1)
        table.update(at_ms=start, interval_ms=draw(st.integers(0, gap)), down_ms=draw(span))
    elif kind == "commit-error" and draw(st.booleans()):
        _commit_error(draw, table, loop_points)
        consumer = draw(st.one_of(st.none(), member))  # None: the group's n-th commit
        if consumer is not None:
            table["consumer"] = consumer
        table.update(nth=draw(st.integers(1, MAX_NTH)), times=draw(st.integers(1, MAX_TIMES)))
    elif kind in ("commit-error", "lost-response"):
        if kind == "commit-error":
            _commit_error(draw, table, loop_points)
        start = draw(_times(window_ms))
        table["from_ms"] = start
        table["to_ms"] = min(start + draw(st.integers(0, 3_000)), window_ms[1])
        table["probability"] = draw(st.sampled_from([1.0, 0.3]))
    else:
        raise ValueError(f"unknown fault kind {kind!r}; allowed: {', '.join(FAULT_KINDS)}")
    return table


def _commit_error(draw, table: dict, loop_points: tuple[str, ...]) -> None:
    """The error of a commit-error; a transactional search (its loop points have `in-commit`)
    may also name a transaction request, with one of the errors its coordinator answers."""
    if TXN_LOOP_POINTS[0] in loop_points and draw(st.booleans()):
        request = draw(st.sampled_from(tuple(COMMIT_ERROR_REQUESTS)[1:]))
        table["request"] = request
        table["error"] = draw(st.sampled_from(COMMIT_ERROR_REQUESTS[request]))
    else:
        table["error"] = draw(st.sampled_from(COMMIT_ERROR_CODES))


@st.composite
def fault_schedules(
    draw,
    kinds=("crash",),
    consumers: int = 2,
    max_faults: int = 3,
    window_ms: tuple[int, int] = (3_000, 10_000),
    max_records: int = 120,
    swarm: bool = True,
    loop_points: tuple[str, ...] = LOOP_POINTS,
    partitions: int | None = None,
):
    """A list of 1..max_faults fault tables whose kinds are among `kinds`.

    With `swarm`, each example first enables a non-empty subset of `kinds` and draws only from
    it. Times fall in `window_ms` (keep it inside the scenario's `run.duration_ms`); loop points
    name one of the first MAX_BATCH batches (at one of `loop_points`); `max_records` bounds
    `after_records`; `partitions` (the scenario's, when given) lets crashes and poison records
    aim at a partition's owner (`owner_of`).
    """
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if not kinds or unknown:
        raise ValueError(f"fault kinds {unknown or kinds!r}; allowed: {', '.join(FAULT_KINDS)}")
    enabled = kinds
    if swarm and len(kinds) > 1:
        mask = draw(st.lists(st.booleans(), min_size=len(kinds), max_size=len(kinds)))
        enabled = tuple(k for k, on in zip(kinds, mask, strict=True) if on) or kinds[:1]
    size = draw(st.integers(1, max_faults))
    one = st.sampled_from(enabled).flatmap(
        lambda kind: fault(kind, consumers, window_ms, max_records, loop_points, partitions)
    )
    return [draw(one) for _ in range(size)]
