"""Fitting a run's timeline to a picture: the axis trimmed to where something happens, and one
pixel column as the finest detail. Spans closer than a pixel merge, marks within a pixel draw
once, labels of a lane never overlap, so a ten-minute run stays a readable picture.

Works on the spans, marks and labels the builder found (`sim.report.timeline_build`), in µs;
it never decides what a lane shows, and never drops a kind of mark altogether.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.report.timeline_data import Label, Point, Span
from sim.report.timeline_data import seconds as _s

__all__ = ["Axis", "fit_axis", "merged", "spaced", "thinned"]


@dataclass(frozen=True)
class Axis:
    """The drawn stretch of the run, `columns` pixels wide; `note` says what was cut off."""

    x_start: float
    x_end: float
    pixel_us: float
    note: str


def _action_end(spans, points, ledger, end_us: float) -> float:
    """The last moment anything happens: idle polls and re-commits of unchanged offsets
    after it are no action."""
    ends = [s.end_us for s in spans if s.kind not in ("held", "no-owner")]
    ends += [p.at_us for p in points if p.kind != "commit-ok"]
    ends += [at for at, _, _ in ledger.generations]
    ends += [d.at_us for d in ledger.deliveries]
    return max(ends, default=end_us)


def _action_start(spans, ledger) -> float:
    """The first moment anything happens: a group forming, a fault, a delivery, a join."""
    starts = [at for at, _, _ in ledger.generations]
    starts += [f.at_us for f in ledger.faults]
    starts += [d.at_us for d in ledger.deliveries[:1]]
    starts += [s.start_us for s in spans if s.kind in ("rebalancing", "reconciling")]
    return min(starts, default=0)


def fit_axis(spans, points, ledger, end_us: float, columns: int) -> Axis:
    """The run from just before its first action to just after its last (3 % margins)."""
    action = _action_end(spans, points, ledger, end_us)
    first = _action_start(spans, ledger)
    margin = 0.03 * max(action - first, 1)
    x_end = min(end_us, action + margin) if action > 0 else end_us
    x_start = max(0.0, first - margin)
    note = ""
    if x_end < end_us:
        note = f"nothing happens after {_s(action)}; the run ends at {_s(end_us)}"
    return Axis(x_start, x_end, (x_end - x_start) / columns, note)


def merged(spans: list[Span], axis: Axis) -> list[Span]:
    """Spans of one lane, kind, colour and row closer than a pixel become one, each at
    least a pixel wide; the first span's text speaks for the merged one, with a count.
    Processing merges across gaps of up to three pixels: a consumer that has caught up
    polls between small batches, and those slivers of idle time would draw a picket fence
    that reads like a pattern, not like work."""
    x_end, pixel_us = axis.x_end, axis.pixel_us
    groups: dict[tuple, list[Span]] = {}
    for s in spans:
        if s.start_us <= x_end:
            groups.setdefault((s.lane, s.kind, s.color or "", s.row), []).append(s)
    out = []
    for (_, kind, _, _), same in groups.items():
        px = pixel_us * (3 if kind == "processing" else 1)
        same.sort(key=lambda s: s.start_us)
        runs: list[list] = []
        for s in same:
            end = max(s.end_us, s.start_us + pixel_us)
            if runs and s.start_us - runs[-1][1] < px:
                runs[-1][1] = max(runs[-1][1], end)
                runs[-1][3] += 1
            else:
                runs.append([s.start_us, end, s, 1])
        for a, b, s, n in runs:
            more = f" (and {n - 1} more)" if n > 1 else ""
            out.append(Span(s.lane, a, min(b, x_end), s.kind, s.text + more, s.color, s.row))
    return out


def thinned(points: list[Point], axis: Axis) -> list[Point]:
    """One point per pixel per lane and kind (the first speaks for the rest); successful
    commits, the most frequent, one per eight pixels."""
    last: dict[tuple, float] = {}
    out = []
    for pt in sorted(points, key=lambda p: p.at_us):
        key = (pt.lane, pt.kind, pt.label)
        gap = axis.pixel_us * (8 if pt.kind == "commit-ok" else 1)
        if pt.at_us > axis.x_end or (key in last and pt.at_us - last[key] < gap):
            continue
        last[key] = pt.at_us
        out.append(pt)
    return out


def spaced(labels: list[Label], axis: Axis) -> list[Label]:
    """Labels of a lane no closer than a label's width (6 pixels a character): the first
    speaks for the rest."""
    out, last = [], {}
    for lab in sorted(labels, key=lambda la: la.at_us):
        if lab.at_us > axis.x_end:
            continue
        width = (6 * len(lab.text) + 8) * axis.pixel_us
        if lab.lane in last and lab.at_us - last[lab.lane] < width:
            continue
        last[lab.lane] = lab.at_us
        out.append(lab)
    return out
