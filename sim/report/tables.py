"""Plain-text tables for the terminal: what a run and a comparison found."""

from __future__ import annotations

# (field, label) in the order a reader asks: what was lost, what was doubled, what it cost.
RUN_FIELDS = (
    ("produced", "records produced"),
    ("unique_processed", "records processed"),
    ("lost", "lost"),
    ("duplicated_records", "records processed more than once"),
    ("duplicate_effects", "extra effects"),
    ("concurrent_duplicates", "concurrent duplicates"),
    ("offset_regressions", "offset regressions"),
    ("over_commits", "over-commits"),
    ("commits", "commit requests"),
    ("failed_commits", "failed commits"),
    ("rebalances", "rebalances"),
    ("crashes", "crashes"),
    ("rebalance_downtime_ms", "rebalance downtime (partition-ms)"),
    ("records_per_sim_s", "records per simulated second"),
    ("sim_time_ms", "simulated time (ms)"),
    ("events", "trace events"),
    ("trace_digest", "trace digest"),
)

COMPARE_FIELDS = (
    ("lost", "lost"),
    ("duplicated_records", "dup records"),
    ("duplicate_effects", "extra effects"),
    ("records_per_sim_s", "rec/sim-s"),
    ("commits", "commits"),
    ("rebalance_downtime_ms", "downtime ms"),
)


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def run_table(summary: dict) -> str:
    head = f"{summary['scenario']} · {summary['strategy']} · seed {summary['seed']}"
    rows = [(label, _number(summary[key])) for key, label in RUN_FIELDS if key in summary]
    width = max(len(label) for label, _ in rows)
    lines = [head, "-" * len(head)]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    if not summary.get("quiesced", True):
        lines.append("the drain did not finish within run.max_drain_ms: counts are not final")
    if not summary.get("cross_checks_ok", True):
        lines.append("CROSS-CHECK FAILED: " + "; ".join(summary.get("cross_check_failures", [])))
    return "\n".join(lines)


def _interval(cell: dict) -> str:
    mean, low, high = cell["mean"], cell["low"], cell["high"]
    if low == high:
        return _number(round(mean, 1))
    return f"{mean:,.1f} ±{(high - low) / 2:,.1f}"


def compare_table(rows: list[dict]) -> str:
    """One line per strategy: means over seeds with the half-width of the 95% interval."""
    head = ["strategy"] + [label for _, label in COMPARE_FIELDS]
    body = [[row["strategy"]] + [_interval(row[key]) for key, _ in COMPARE_FIELDS] for row in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(cells):
        first = cells[0].ljust(widths[0])
        return "  ".join([first] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)])

    seeds = rows[0]["seeds"] if rows else 0
    title = f"{rows[0]['scenario']}: mean over {seeds} seeds (± half the 95% interval)"
    return "\n".join([title, line(head), line(["-" * w for w in widths]), *map(line, body)])


def anomaly_lines(report, groups_per_kind: int = 3) -> list[str]:
    """The anomalies found, each kind with its count and the witnesses of its first groups
    (a counterexample's record; `sim.report.explain` tells the stories by cause)."""
    lines: list[str] = []
    for anomaly in report.anomalies.values():
        if not anomaly.count:
            continue
        lines.append("")
        lines.append(f"{anomaly.kind}: {anomaly.count:,} ({anomaly.total_groups:,} groups)")
        for group in anomaly.groups[:groups_per_kind]:
            lines.extend("  " + line for line in str(group).splitlines())
        hidden = anomaly.total_groups - min(groups_per_kind, len(anomaly.groups))
        if hidden > 0:
            lines.append(f"  ... and {hidden:,} more groups (offsim explain tells every cause)")
    return lines
