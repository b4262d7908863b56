"""What a run's timeline can show, as data: lanes, spans and marks, before anything is drawn.

The PNG (`sim.report.timeline`) and the HTML page (`sim.report.page`) draw the same `Timeline`
(built by `sim.report.timeline_build`), and tests read it: which marks are drawn, what the
legend lists, where the axis ends. Lanes, top to bottom: the group (rebalances, coordinator
failovers, generations), one per consumer slot (its incarnations one after another: what it
processed, its commits, every fault that hit it), one per partition (who held it, who processed
it, when it had no owner or two, what was processed again), and, with a record followed, one
for that record's life.

A new kind of fault or client event is one entry in `MARKS` (a point) or `SPANS` (a period); a
fault kind with no entry still draws, with the generic mark and its own name in the legend.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Style:
    """How one kind is drawn: `symbol` is matplotlib's marker for a point, its hatch for a
    span; `plotly` is Plotly's marker symbol (points) or fill pattern (spans)."""

    label: str
    color: str
    symbol: str = ""
    plotly: str = ""
    size: float = 8.0
    fill: bool = True  # spans: filled, or an outline over what lies beneath


# Points, in legend order. Instance-lane events first, then the group's, then records'.
MARKS: dict[str, Style] = {
    "commit-ok": Style("commit ok", "#2a7d2a", "|", "line-ns-open", 7),
    "commit-failed": Style("commit failed", "#d62728", "x", "x-thin-open", 7),
    "commit-unknown": Style("commit outcome unknown", "#ff7f0e", "D", "diamond", 5),
    "crash": Style("crash", "black", "X", "x", 11),
    "restart": Style("restart (new incarnation)", "#2a7d2a", ">", "triangle-right", 8),
    "join": Style("join (scale-up)", "#1f77b4", "P", "cross", 9),
    "leave": Style("leave (LeaveGroup)", "#555555", "<", "triangle-left", 8),
    "rolling-restart": Style("rolling restart step (close)", "#8c564b", "p", "pentagon", 9),
    "poll-timeout": Style("max.poll.interval.ms ran out", "#9467bd", "h", "hexagon", 9),
    "processing-error": Style("poison record (processing error)", "#9467bd", "*", "star", 12),
    "lost-response": Style("commit response lost", "#ff7f0e", "s", "square", 7),
    "offsets-expired": Style("committed offsets expired", "#7f7f7f", "8", "octagon", 8),
    "txn-aborted": Style("transaction aborted", "#d62728", "s", "square-open", 8),
    "fault": Style("", "#7f7f7f", "o", "circle", 7),  # a kind with no entry: labelled by name
    "lost": Style("lost (a commit passed it)", "#d62728", "v", "triangle-down", 8),
    "delivered": Style("record delivered", "#1f77b4", "o", "circle-open", 7),
    "redelivered": Style("record delivered again", "#d62728", "o", "circle", 7),
    "processed": Style("record processed", "#2a7d2a", "d", "diamond-tall", 8),
    "committed-past": Style("commit passed the record", "#2a7d2a", "^", "triangle-up", 8),
}

# Periods, in legend order. `processing` takes its consumer's colour.
SPANS: dict[str, Style] = {
    "processing": Style("processing (colour: consumer)", "#1f77b4"),
    "held": Style("partition held (assigned, not revoked)", "#1f77b4"),
    "no-owner": Style("no owner", "#bbbbbb", "xx", "x", fill=False),
    "two-owners": Style(
        "two members believed they owned it", "#d62728", "\\\\\\", "\\", fill=False
    ),
    "again": Style("processed again", "#222222", "////", "/", fill=False),
    "rebalancing": Style("group rebalancing", "#cccccc"),
    "reconciling": Style("group reconciling (members keep processing)", "#e6e6e6"),
    "unavailable": Style("coordinator unavailable (NOT_COORDINATOR)", "#d62728", "", "", fill=True),
    "loading": Style("coordinator loading (COORDINATOR_LOAD_IN_PROGRESS)", "#f2a65a"),
    "stall": Style("poll loop stalled", "#9467bd", "xxx", "x", fill=False),
    "pause": Style("process paused (heartbeats too)", "#8c564b", "...", ".", fill=False),
    "network-cut": Style("cut off from the coordinator", "#17becf", "---", "-", fill=False),
    "life": Style("the record's life", "#444444"),
}
LANE_SPANS = ("stall", "pause", "network-cut")  # fault kinds drawn as a period on their lane
NOT_MARKED = ("crash", "commit-error", "coordinator-failover")  # drawn from stops, commits, spans
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#7f7f7f", "#aec7e8",
)  # fmt: skip


def slot_color(slot: int) -> str:
    return PALETTE[slot % len(PALETTE)]


@dataclass
class Span:
    lane: int
    start_us: float
    end_us: float
    kind: str
    text: str = ""
    color: str | None = None  # processing and held: the consumer's colour
    row: int = 0  # held: 0, or 1 for a second holder at once


@dataclass
class Point:
    lane: int
    at_us: float
    kind: str
    text: str = ""
    label: str = ""  # a fault kind without a style of its own: its name, for the legend


@dataclass
class Label:
    lane: int
    at_us: float
    text: str
    hover: str = ""


@dataclass
class Anomaly:
    """One examined anomaly group: where it shows, its story's key, and its witness as points."""

    kind: str
    lane: int
    at_us: float
    records: str
    witness: list[Point]
    partition: int
    start: int


@dataclass
class Timeline:
    title: str
    lanes: list[str]
    spans: list[Span]
    points: list[Point]
    labels: list[Label]
    x_start_us: float
    x_end_us: float
    note: str = ""  # what the trimmed axis leaves out
    alerts: dict[int, str] = field(default_factory=dict)  # lane -> "300 twice"
    anomalies: list[Anomaly] = field(default_factory=list)
    sections: tuple[int, ...] = ()  # first lane of each section after the first
    record_lane: int | None = None

    def legend(self) -> list[tuple[str, str, Style]]:
        """(what, kind, style) of every kind drawn, spans first, each once, in table order."""
        span_kinds = {s.kind for s in self.spans}
        out = [("span", k, st) for k, st in SPANS.items() if k in span_kinds]
        labels = {p.label for p in self.points if p.kind == "fault"}
        drawn = {p.kind for p in self.points}
        for kind, st in MARKS.items():
            if kind == "fault":
                out += [("point", kind, Style(lab, st.color, st.symbol, st.plotly, st.size))
                        for lab in sorted(labels)]  # fmt: skip
            elif kind in drawn:
                out.append(("point", kind, st))
        return out


def seconds(us: float) -> str:
    """A time in µs as the stories write it: 8.627 s."""
    return f"{us / 1e6:.3f} s"


def rebalance_windows(ledger) -> list[tuple[int, int, int]]:
    """(start, end, generation it left) of each rebalance: from PREPARING_REBALANCE to the next
    stable generation, or to a coordinator failover, which forgets a rebalance under way (the new
    coordinator loads the group as last persisted, and the members join again)."""
    stable = [at for at, _, _ in ledger.generations]
    cuts = [f.at_us for f in ledger.faults if f.kind == "coordinator-failover"]
    end = ledger.end_us if ledger.end_us is not None else ledger.last_us
    out = []
    for at, generation in ledger.rebalances:
        ends = [t for t in stable + cuts if t >= at] + [end]
        out.append((at, min(ends), generation))
    return out
