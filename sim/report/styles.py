"""`reports/rebalance-styles.md`: the rebalance styles side by side on the same scenarios and
seeds: the classic protocol's eager and cooperative rebalances, and the consumer group protocol
(KIP-848).

Each base scenario (`sim/scenarios/styles/`) is run once per style, its `[group]` table changed
to the style's protocol (and the assignor that gives it) and nothing else, on the same seeds
(common random numbers: the same processing times and latencies); a style's row summarises its
runs over the seeds (`sim.sweep.aggregate`). Written by `offsim report`.
"""

from __future__ import annotations

from pathlib import Path

from sim.files import write_text
from sim.report.tables import MS, cell_text

# A style: the [group] fields that select it. The Java client rebalances cooperatively only with
# cooperative-sticky (ConsumerPartitionAssignor.supportedProtocols).
STYLES = {
    "eager": {"protocol": "eager", "assignor": "range"},
    "cooperative": {"protocol": "cooperative", "assignor": "cooperative-sticky"},
    # KIP-848: the broker's assignor (uniform) and the broker's session (45 s) and heartbeat
    # interval (5 s); the client's session and heartbeat settings do not apply.
    "consumer": {"protocol": "consumer"},
}
SCENARIOS = ("styles/steady", "styles/crash-restart", "styles/scale-out", "styles/deployment")
SEEDS = 5
COLUMNS = (
    ("rebalance_downtime_ms", "downtime partition-s", MS),
    ("group_stall_ms", "group stall s", MS),
    ("lag_max_ms", "lag max s", MS),
    ("lag_mean_ms", "lag mean s", MS),
    ("latency_p50_ms", "latency p50 s", MS),
    ("latency_p99_ms", "latency p99 s", MS),
    ("latency_max_ms", "latency max s", MS),
    ("lost", "lost", 1),
    ("duplicated_records", "duplicated", 1),
)


# What the tables show, by mechanism (docs/kip848.md, docs/metrics.md); the numbers are above.
READING = (
    """`steady` is what forming the group costs. The classic protocols form it in one join, so
    nothing is without an owner. The consumer protocol forms it one member at a time: the first
    member's heartbeat gets every partition, and a partition that moves to a later member waits
    from its owner's revocation to that member's next heartbeat (up to
    `group.consumer.heartbeat.interval.ms`, 5 s). Subtract this row from the others to compare
    the faults alone.""",
    """`crash-restart`: the crashed member's partitions wait for its session in every style. The
    eager group also stands still (`group stall`): the restart's join starts a rebalance that
    every member joins by revoking everything, and it completes only when the crashed member is
    expelled (the ghost member). The cooperative and consumer groups keep the other partitions
    flowing, and the restarted member never waits for the ghost.""",
    """`scale-out` and `deployment`: an eager rebalance in which every member polls promptly is
    short (the members learn of it at the same heartbeat and rejoin together). A cooperative
    one needs a second round for the revoked partitions, and a consumer-protocol one moves each
    partition at its new owner's next heartbeat: both leave the moved partitions idle for up to
    a heartbeat interval, which the downtime and lag columns show, while no partition that stays
    put ever pauses (`group stall` 0).""",
    """Duplicates: with a commit after every batch, only the cooperative group processes records
    twice in a deployment: commits are refused while it rebalances, and a partition revoked at
    the end of the rebalance goes to its new owner from its last accepted commit. The consumer
    protocol accepts a revoking member's commits until it acknowledges (its epoch is unchanged),
    so nothing is re-read.""",
)


def in_style(scenario, style: str):
    """The scenario with its group in this rebalance style, everything else unchanged."""
    return scenario.replace(group=STYLES[style])


def style_rows(name: str, seeds: int = SEEDS, workers: int = 1, progress=None) -> list[dict]:
    """One row per style of the shipped scenario `name`: its runs' fields over the seeds."""
    from sim.scenario import load_scenario
    from sim.sweep.aggregate import aggregate
    from sim.sweep.compare import compare_runs

    base = load_scenario(name)
    rows = []
    for style in STYLES:
        scenario = in_style(base, style)
        strategy = scenario.strategy.name
        ((_, runs),) = compare_runs(scenario, [strategy], seeds, workers=workers, progress=progress)
        rows.append({**aggregate(scenario.name, strategy, runs), "style": style})
    return rows


def styles_markdown(sections: list[tuple[str, str, list[dict]]], seeds: int) -> str:
    """The report: per scenario, its description and one table row per style."""
    from sim.report.tables import CELL_LEGEND

    head = ["style"] + [label for _, label, _ in COLUMNS]
    lines = [
        "# Rebalance styles: eager, cooperative, consumer (KIP-848)",
        "",
        f"Each scenario in each rebalance style on the same {seeds} seeds; only the `[group]` "
        "table differs (`protocol`, and the assignor that gives it). Downtime is partition-time "
        "without an owner (two partitions for one second count two), the group stall the time "
        "no partition had an owner, lag the committed lag in time, latency from append to first "
        f"effect (docs/metrics.md). {CELL_LEGEND}. Regenerate with `offsim report`; the file is "
        "deterministic, so a diff means the numbers moved.",
    ]
    for name, description, rows in sections:
        lines += ["", f"## {name}", "", " ".join(description.split()), ""]
        lines += ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(COLUMNS) + "|"]
        for row in rows:
            cells = [f"`{row['style']}`"]
            cells += [cell_text(row.get(key), scale) for key, _, scale in COLUMNS]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Reading it", ""] + [f"- {' '.join(note.split())}" for note in READING]
    return "\n".join(lines) + "\n"


def write_styles(out: Path, seeds: int = SEEDS, workers: int = 1, progress=None) -> Path:
    """Write out/rebalance-styles.md; return its path."""
    from sim.scenario import load_scenario

    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for name in SCENARIOS:
        rows = style_rows(name, seeds, workers, progress)
        sections.append((name.split("/")[-1], load_scenario(name).description, rows))
    path = out / "rebalance-styles.md"
    write_text(path, styles_markdown(sections, seeds))
    return path
