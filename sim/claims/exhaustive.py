"""Every crash point of a claim's small scenario, in a fixed order (`offsim check --exhaustive`).

A crash point is a loop point x a batch x a consumer x restarted-or-not. The enumeration is
bounded so that it stays a few seconds a strategy, and the bound is part of what "holds for all
N crash points" means (docs/claims.md):

- singles: (before-process, mid-batch after k for k in `mid_batch_records`, after-process,
  before-commit, after-commit) x batch 1..BATCHES x each consumer x (restart at once, or down
  until the drain): 7 x 3 x 2 x 2 = 84 with the catalogue's 2 consumers;
- pairs: one restarted crash on each of two different consumers, each at a loop point x batch
  1..PAIR_BATCHES, mid-batch after the middle record only: (5 x 2)^2 = 100 for 2 consumers.

So N = 184 for the catalogue's scenario (fewer under async processing, which has no mid-batch
point in the poll loop). Claims that allow poison records but not crashes use
processing errors at the mid-batch points instead (3 x 3 x 2 = 18 singles, 4 pairs).
The timing seed is the scenario's: "holds" means for every crash point at that seed.
"""

from __future__ import annotations

from itertools import product

from sim.claims.claim import Claim
from sim.claims.judge import counterexample, evaluate

__all__ = ["BATCHES", "PAIR_BATCHES", "crash_points", "exhaust", "mid_batch_records"]

BATCHES = 3
PAIR_BATCHES = 2


def mid_batch_records(max_poll_records: int) -> tuple[int, ...]:
    """Where mid-batch crash points fall: after the first record, the middle one, the last but
    one (1, 25 and 49 for the catalogue's 50 records a poll)."""
    return tuple(dict.fromkeys((1, max_poll_records // 2, max(max_poll_records - 1, 1))))


def _point(kind: str, consumer: int, at: str, batch: int, records: int | None, restart: bool):
    fault = {"kind": kind, "consumer": consumer, "at": at, "batch": batch}
    if records is not None:
        fault["after_records"] = records
    if restart:
        fault["restart_after_ms"] = 0
    return fault


def _points(kind: str, ks: tuple[int, ...], loop_points) -> list[tuple[str, int | None]]:
    """(loop point, after_records) in loop order; a poison record only happens mid-batch."""
    points = loop_points if kind == "crash" else ("mid-batch",)
    return [(at, k) for at in points for k in (ks if at == "mid-batch" else (None,))]


def crash_points(claim: Claim) -> list[list[dict]]:
    """Every fault schedule the exhaustive mode runs for `claim`, singles first, then pairs;
    empty when the claim allows neither crashes nor processing errors."""
    space = claim.search_space()
    kind = next((k for k in ("crash", "processing-error") if k in space.kinds), None)
    if kind is None:
        return []
    ks = mid_batch_records(space.max_records)
    restarts = (True,) if kind == "processing-error" else (True, False)
    singles = [
        [_point(kind, c, at, batch, k, restart)]
        for (at, k), batch, c, restart in product(
            _points(kind, ks, space.loop_points),
            range(1, BATCHES + 1),
            range(space.consumers),
            restarts,
        )
    ]
    paired = [
        _point(kind, 0, at, batch, k, True)
        for (at, k), batch in product(
            _points(kind, (space.max_records // 2,), space.loop_points),
            range(1, PAIR_BATCHES + 1),
        )
    ]
    pairs = [
        [first, {**second, "consumer": other}]
        for other in range(1, space.consumers)
        for first, second in product(paired, paired)
    ]
    return singles + pairs


def exhaust(claim: Claim, strategy):
    """Run every crash point in order: (the first counterexample or None, points run, unknowns)."""
    unknowns: list[str] = []
    points = crash_points(claim)
    for n, faults in enumerate(points, 1):
        judged = evaluate(claim, strategy, faults)
        if judged.error:
            unknowns.append(judged.error)
        elif judged.violation is not None:
            return counterexample(claim, strategy, faults, judged), n, unknowns
    return None, len(points), unknowns
