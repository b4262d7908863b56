"""`offsim explain`: each anomaly's chain of events told as one short paragraph.

The checker's witnesses list events; a reader wants the story (`sim.report.storyteller` tells
one record's). The checker cuts its groups wherever a batch begins or ends; a reader wants
causes: groups that share one (the same processor, ending, commit failures and resume point) are
told once, in one paragraph, with the record ranges it covers, adjacent groups joined into one
range. Nothing here reads the model or changes the run.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from sim.ledger.anomalies import (
    AnomalyGroup,
    find_duplicates,
    find_gaps,
    find_lost,
    find_regressions,
)
from sim.report.storyteller import Storyteller

__all__ = ["Cause", "Section", "explain_lines", "stories"]


@dataclass
class Cause:
    """One cause of one anomaly kind: its paragraph, and the record ranges it covers."""

    words: str
    groups: list[AnomalyGroup] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(g.records for g in self.groups)

    def ranges(self) -> list[tuple[int, int, int]]:
        """(partition, start, end) of the cause's records, adjacent groups joined."""
        out: list[list[int]] = []
        for g in sorted(self.groups, key=lambda g: (g.partition, g.start)):
            if out and out[-1][0] == g.partition and out[-1][2] == g.start:
                out[-1][2] = g.end
            else:
                out.append([g.partition, g.start, g.end])
        return [tuple(r) for r in out]

    def spans(self, shown: int = 4) -> str:
        """ "0:500..1999, 2:40" and how many more ranges."""
        ranges = self.ranges()
        text = ", ".join(f"{p}:{a}" + (f"..{b - 1}" if b - a > 1 else "") for p, a, b in ranges)
        if len(ranges) > shown:
            text = ", ".join(text.split(", ")[:shown]) + f" and {len(ranges) - shown} more ranges"
        return text


@dataclass
class Section:
    """One anomaly kind: its count and its causes, largest first."""

    kind: str
    count: int
    causes: list[Cause]
    unexamined_records: int  # beyond the groups the checker spelled out (sim.ledger.anomalies)


GROUPS_TOLD = 1_000  # groups per kind whose cause is looked for; the checker spells out fewer


def _groups(history, anomaly, limit: int = GROUPS_TOLD) -> tuple[AnomalyGroup, ...]:
    """The anomaly's groups, up to `limit`: the checker's own when it spelled them all out,
    else found again with the higher limit (the checker keeps a few, for speed)."""
    if anomaly.total_groups <= len(anomaly.groups):
        return anomaly.groups
    kind = anomaly.kind
    if kind == "lost":
        return find_lost(history, limit).groups
    if kind in ("duplicate", "concurrent-duplicate"):
        duplicate, concurrent = find_duplicates(history, limit)
        return (duplicate if kind == "duplicate" else concurrent).groups
    if kind == "offset-regression":
        return find_regressions(history, limit).groups
    skip, reorder = find_gaps(history, limit)
    return (skip if kind == "skip" else reorder).groups


def stories(report, scenario) -> list[Section]:
    """Every anomaly kind found, its groups merged by cause. A duplicate whose records two
    members processed at once is told under concurrent-duplicate, and only pointed to here."""
    teller = Storyteller(report.history, scenario.session_timeout_ms)
    sections = []
    for anomaly in report.anomalies.values():
        if not anomaly.count:
            continue
        causes: dict[tuple, Cause] = {}
        for g in _groups(report.history, anomaly):
            cause, words = teller.group(g)
            if anomaly.kind == "duplicate" and "zombie" in cause:
                words = (
                    "processed twice by two members at once: the concurrent-duplicate story "
                    "below tells why"
                )
            causes.setdefault(cause, Cause(words)).groups.append(g)
        ranked = sorted(causes.values(), key=lambda c: -c.records)
        rest = anomaly.count - sum(c.records for c in ranked)
        if anomaly.kind == "offset-regression":
            rest = 0  # counted in regressions, not records
        sections.append(Section(anomaly.kind, anomaly.count, ranked, rest))
    return sections


def explain_lines(report, scenario, causes_per_kind: int = 3) -> list[str]:
    """The stories as text: per anomaly kind, its largest causes, one paragraph each."""
    lines: list[str] = []
    for section in stories(report, scenario):
        n = len(section.causes)
        lines += ["", f"{section.kind}: {section.count:,} ({n} cause{'s' * (n != 1)})"]
        for cause in section.causes[:causes_per_kind]:
            lines.append(f"{cause.spans()} ({cause.records:,} records)")
            lines += textwrap.wrap(cause.words, 98, initial_indent="  ", subsequent_indent="  ")
        hidden = section.causes[causes_per_kind:]
        if hidden:
            rest = sum(c.records for c in hidden)
            lines.append(f"... and {len(hidden)} more causes ({rest:,} records)")
        if section.unexamined_records > 0:
            lines.append(
                f"... and {section.unexamined_records:,} more records whose cause was not "
                "examined (offsim explain --record P:OFFSET tells any record's story)"
            )
    if not lines:
        lines = ["", "no anomaly: nothing lost, nothing processed twice."]
    return lines
