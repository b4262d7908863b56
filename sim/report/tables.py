"""Plain-text tables for the terminal: what a run and a comparison found."""

from __future__ import annotations

from sim.sweep.stats import skewed

MS = 1e-3  # a field kept in milliseconds, shown in seconds

# (field, label, scale) in the order a reader asks: what was lost, what was doubled, what it
# cost, how long things waited. Every duration is shown in seconds, named in its label.
RUN_FIELDS = (
    ("produced", "records produced", 1),
    ("unique_processed", "records processed", 1),
    ("lost", "lost", 1),
    ("duplicated_records", "records processed more than once", 1),
    ("duplicate_effects", "extra effects", 1),
    ("concurrent_duplicates", "concurrent duplicates", 1),
    ("offset_regressions", "offset regressions", 1),
    ("over_commits", "over-commits", 1),
    ("commits", "commit requests", 1),
    ("failed_commits", "failed commits", 1),
    ("rebalances", "rebalances", 1),
    ("crashes", "crashes", 1),
    ("rebalance_downtime_ms", "rebalance downtime (partition-s)", MS),
    ("group_stall_ms", "group stall (s)", MS),
    ("lag_records_max", "lag, max of a partition (records)", 1),
    ("lag_records_mean", "lag, time-averaged per partition (records)", 1),
    ("lag_max_ms", "lag, max of a partition (s)", MS),
    ("lag_mean_ms", "lag, time-averaged per partition (s)", MS),
    ("latency_p50_ms", "latency p50, every record (s)", MS),
    ("latency_p99_ms", "latency p99, every record (s)", MS),
    ("latency_max_ms", "latency max, every record (s)", MS),
    ("live_latency_p50_ms", "latency p50, records produced in the run (s)", MS),
    ("live_latency_p99_ms", "latency p99, records produced in the run (s)", MS),
    ("live_latency_max_ms", "latency max, records produced in the run (s)", MS),
    ("records_per_sim_s", "records per simulated second", 1),
    ("sim_time_ms", "simulated time (s)", MS),
    ("events", "trace events", 1),
    ("trace_digest", "trace digest", 1),
)

# kafka-consumer-groups --describe's columns, then the lag over the whole run.
LAG_COLUMNS = (
    ("partition", "PARTITION", 1),
    ("log_end_offset", "LOG-END-OFFSET", 1),
    ("committed_offset", "CURRENT-OFFSET", 1),
    ("lag_records", "LAG", 1),
    ("lag_records_max", "MAX LAG", 1),
    ("lag_records_mean", "MEAN LAG", 1),
    ("lag_max_ms", "MAX LAG S", MS),
    ("lag_mean_ms", "MEAN LAG S", MS),
)

# The comparison's tables' columns: (field, header, scale); `compare_tables` titles them.
COST_FIELDS = (
    ("lost", "lost", 1),
    ("duplicated_records", "dup records", 1),
    ("duplicate_effects", "extra effects", 1),
    ("records_per_sim_s", "records/sim-s", 1),
    ("commits", "commits", 1),
)
WAIT_FIELDS = (
    ("rebalance_downtime_ms", "downtime partition-s", MS),
    ("group_stall_ms", "group stall s", MS),
    ("lag_records_mean", "lag mean records", 1),
    ("lag_records_max", "lag max records", 1),
    ("lag_mean_ms", "lag mean s", MS),
)
LATENCY_FIELDS = {
    "": tuple((f"latency_{q}_ms", f"latency {q} s", MS) for q in ("p50", "p99", "max")),
    "live_": tuple(
        (f"live_latency_{q}_ms", f"live latency {q} s", MS) for q in ("p50", "p99", "max")
    ),
}


def compare_tables(rows: list[dict]) -> list[tuple[str, tuple]]:
    """The comparison's tables: loss, duplicates and cost; downtime and lag; latency. The latency
    is that of the records produced during the run when every row has one (the pre-loaded
    records, appended at time 0, would otherwise make it the time to drain the backlog)."""
    live = bool(rows) and all("live_latency_p50_ms" in row for row in rows)
    which = "the records produced during the run" if live else "every record"
    return [
        ("records lost and processed twice, throughput, commit requests", COST_FIELDS),
        ("rebalance downtime, group stall, committed lag (per partition)", WAIT_FIELDS),
        (f"end-to-end latency, append to first effect, of {which}",
         LATENCY_FIELDS["live_" if live else ""]),
    ]  # fmt: skip


def number(value) -> str:
    """A value as a reader wants it: 0, 7.50, 0.0123, 312, 4,912 (three significant digits below
    100, whole numbers as such)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-" if value is None else str(value)
    if value == 0 or float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:#.3g}"


def shown(value, scale: float):
    """A run's field as displayed: milliseconds as seconds (None stays None)."""
    return value * scale if scale != 1 and value is not None else value


def run_table(summary: dict) -> str:
    """The run's fields, one a line, then the committed lag per partition."""
    head = f"{summary['scenario']} · {summary['strategy']} · seed {summary['seed']}"
    rows = [
        (label, number(shown(summary[key], scale)))
        for key, label, scale in RUN_FIELDS
        if key in summary
    ]
    width = max(len(label) for label, _ in rows)
    lines = [head, "-" * len(head)]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    if not summary.get("quiesced", True):
        reason = summary.get("not_quiesced_reason") or "the drain did not finish"
        lines.append(f"not quiesced, counts are not final (verdict unknown): {reason}")
    if not summary.get("cross_checks_ok", True):
        lines.append("CROSS-CHECK FAILED: " + "; ".join(summary.get("cross_check_failures", [])))
    if summary.get("lag_by_partition"):
        lines += [
            "",
            "committed lag per partition (at the end; max and time-averaged over the run)",
        ]
        lines += lag_table(summary["lag_by_partition"])
    return "\n".join(lines)


def lag_table(lags: list[dict]) -> list[str]:
    """kafka-consumer-groups --describe's columns at the end of the run, then the lag over it."""
    head = [label for _, label, _ in LAG_COLUMNS]
    body = [[number(shown(lag[key], scale)) for key, _, scale in LAG_COLUMNS] for lag in lags]
    return align(head, body, left=0)


def scaled(cell: dict, scale: float) -> dict:
    return {k: v * scale for k, v in cell.items()} if scale != 1 else cell


def cell_text(cell: dict | None, scale: float = 1) -> str:
    """One summary over seeds: the value when every seed agrees; the mean with its 95% interval
    as `mean [low–high]`; or, when the values span an order of magnitude, `med median (min–max)`."""
    if cell is None:
        return "-"
    c = scaled(cell, scale)
    if c["min"] == c["max"]:
        return number(c["mean"])
    if skewed(c):
        return f"med {number(c['median'])} ({number(c['min'])}–{number(c['max'])})"
    return f"{number(c['mean'])} [{number(c['low'])}–{number(c['high'])}]"


CELL_LEGEND = (
    "a cell: mean [95% bootstrap interval]; med median (min–max) where the seeds differ "
    "tenfold or more; one value where every seed agrees"
)


def folded(rows: list[dict]) -> list[tuple[dict, list[str]]]:
    """Each row that is not `identical_to` another, with the strategies identical to it."""
    same: dict[str, list[str]] = {}
    for row in rows:
        if row.get("identical_to"):
            same.setdefault(row["identical_to"], []).append(row["strategy"])
    return [(row, same.get(row["strategy"], [])) for row in rows if not row.get("identical_to")]


def identical_notes(rows: list[dict], quote: str = "") -> list[str]:
    """One line per strategy folded into another's row, saying why (names in `quote`s)."""
    return [
        f"{quote}{row['strategy']}{quote} = {quote}{row['identical_to']}{quote}: "
        f"{row['identical_why']}"
        for row in rows
        if row.get("identical_to")
    ]


def align(head: list[str], body: list[list[str]], left: int = 1) -> list[str]:
    """Columns padded to their widest cell: the first `left` left-aligned, the rest right, with
    a rule under the head."""
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(cells):
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(head), line(["-" * w for w in widths]), *map(line, body)]


def compare_table(rows: list[dict]) -> str:
    """Per strategy, every field summarised over the seeds, in three tables; a strategy whose
    runs were identical to another's shares its row (named under it, `= name`), explained
    below."""
    seeds = rows[0]["seeds"] if rows else 0
    lines = [f"{rows[0]['scenario'] if rows else ''}: {seeds} seeds; {CELL_LEGEND}"]
    for title, columns in compare_tables(rows):
        head = ["strategy"] + [label for _, label, _ in columns]
        body = []
        for row, same in folded(rows):
            body.append([row["strategy"]] + [cell_text(row.get(k), s) for k, _, s in columns])
            body += [[f"  = {name}"] + [""] * len(columns) for name in same]
        lines += ["", title, *align(head, body)]
    notes = identical_notes(rows)
    if notes:
        lines += ["", "strategies sharing a row:", *(f"  {note}" for note in notes)]
    return "\n".join(lines)


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
