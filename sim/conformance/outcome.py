"""What a run ended with, on either side, and the verdict of comparing them.

An outcome is the lost set (records never processed), the duplicate set (records processed more
than once, with how many times) and the final committed offset of each partition (None: never
committed). The model's comes from its ledger, the real side's from the effects the workers wrote
and the offsets the broker holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

EXACT = "exact"
WITHIN = "within bounds"
DEVIATES = "backend deviates"
MISMATCH = "mismatch"
NOT_RUN = "not run"


@dataclass(frozen=True)
class Outcome:
    lost: tuple[tuple[int, int], ...]  # (partition, offset), sorted
    duplicates: tuple[tuple[int, int, int], ...]  # (partition, offset, times processed)
    committed: tuple[int | None, ...]  # per partition

    def as_dict(self) -> dict:
        return {
            "lost": [list(r) for r in self.lost],
            "duplicates": [list(r) for r in self.duplicates],
            "committed": list(self.committed),
        }

    def brief(self) -> dict:
        """The outcome as a table cell shows it: ranges instead of every record."""
        return {
            "lost": ranges(self.lost),
            "duplicates": ranges(self.duplicates),
            "committed": " ".join("-" if c is None else str(c) for c in self.committed),
        }

    def text(self) -> str:
        """The outcome on one line, as a report's table writes it."""
        o = self.brief()
        return f"lost {o['lost']}; dup {o['duplicates']}; committed {o['committed']}"


def from_counts(counts: dict[int, list[int]], committed) -> Outcome:
    """Per partition, how many times each offset of its log was processed."""
    lost, duplicates = [], []
    for p in sorted(counts):
        for offset, times in enumerate(counts[p]):
            if times == 0:
                lost.append((p, offset))
            elif times > 1:
                duplicates.append((p, offset, int(times)))
    return Outcome(tuple(lost), tuple(duplicates), tuple(committed))


def model_outcome(result) -> Outcome:
    """A model run's outcome: effects per offset from its ledger, the last applied commit per
    partition (the coordinator's last write wins). The run stops once the group has drained,
    while the real side waits for its commits to settle; an auto-committing consumer's next
    commit, within an interval of the drain, writes its offsets, which are then the log ends
    (every owner has consumed, and processed, to the end), so those are its final commits."""
    from sim.strategies import strategy_class

    ledger = result.ledger
    counts = {p: list(ledger.effects_per_offset(p)) for p in range(ledger.partitions)}
    committed = applied_commits(ledger)
    if strategy_class(result.strategy).auto_commit and ledger.quiesced:
        committed = list(ledger.log_end)
    return from_counts(counts, committed)


def applied_commits(ledger) -> list[int | None]:
    """The last commit the coordinator applied, per partition (None: never)."""
    committed: list[int | None] = [None] * ledger.partitions
    for request_id in ledger.applied:
        for p, offset in ledger.commits[request_id].offsets:
            committed[p] = offset
    return committed


def effects_outcome(lines, ends: list[int], committed) -> Outcome:
    """A real run's outcome from its effect lines ("partition offset") and the log ends."""
    seen = Counter(tuple(map(int, line.split())) for line in lines if line.strip())
    counts = {p: [seen[(p, o)] for o in range(end)] for p, end in enumerate(ends)}
    return from_counts(counts, committed)


def verdict(model: set[Outcome], real: list[Outcome], deviates: str | None) -> str:
    """exact: the model has one outcome and every real run had it; within bounds: every real
    outcome is one of the model's; else backend deviates when the backend is known to differ
    here, or mismatch. A deviation is never agreement."""
    if not real:
        return NOT_RUN
    if all(r in model for r in real):
        return EXACT if len(model) == 1 else WITHIN
    return DEVIATES if deviates else MISMATCH


def ranges(records) -> str:
    """(partition, offset[, times]) sorted records as `p:a-b` runs, times as `xN`."""
    parts: list[str] = []
    run: list = []
    for r in list(records) + [None]:
        if run and r is not None and r[0] == run[-1][0] and r[1] == run[-1][1] + 1:
            if len(r) == 2 or r[2] == run[-1][2]:
                run.append(r)
                continue
        if run:
            first, last = run[0], run[-1]
            span = f"{first[0]}:{first[1]}" + (f"-{last[1]}" if last is not first else "")
            parts.append(span + (f"x{first[2]}" if len(first) == 3 else ""))
        run = [r] if r is not None else []
    return " ".join(parts) or "none"
