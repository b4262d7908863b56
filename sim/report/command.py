"""`offsim report`: regenerate the committed reports in `reports/`, byte for byte.

`reports/comparison.md` compares every strategy on the flagship and the teaching scenario, with
a chart per scenario beside it. Nothing in it depends on the wall clock or the machine's core
count (runs are keyed by seed, charts carry no date), so a diff in review means the numbers
moved. `reports/claims.md` and `reports/counterexamples/` are what `offsim check` writes when
asked to (`--report`, `--out`): this command asks it. `reports/perf.md` is never touched:
benchmarks measure the machine, not the model.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.files import write_text
from sim.progress import progress
from sim.report.tables import COMPARE_FIELDS
from sim.usage import UsageError

SCENARIOS = ("production-like", "crash-mid-batch")
SEEDS = 5
DEFAULT_DIR = Path("reports")


def compare_rows(name: str, seeds: int = SEEDS, workers: int = 1) -> list[dict]:
    """`sim.api.compare` of every shipped strategy on a shipped scenario, its runs spread over
    worker processes (the rows are those of a serial compare)."""
    from sim.api import aggregate, compare_runs
    from sim.scenario import load_scenario

    scenario = load_scenario(name)

    def report(results, total):
        return progress(results, total, f"report: compare {name}", "run")

    runs = compare_runs(scenario, seeds=seeds, workers=workers, progress=report)
    return [aggregate(scenario.name, label, summaries) for label, summaries in runs]


def _cell(cell: dict) -> str:
    """The terminal table's cell: the mean, and ± half the 95% interval when seeds differ."""
    mean, low, high = cell["mean"], cell["low"], cell["high"]
    return f"{mean:,.1f}" if low == high else f"{mean:,.1f} ±{(high - low) / 2:,.1f}"


def markdown_table(rows: list[dict]) -> list[str]:
    head = ["strategy"] + [label for _, label in COMPARE_FIELDS]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(COMPARE_FIELDS) + "|"]
    for row in rows:
        cells = [f"`{row['strategy']}`"] + [_cell(row[key]) for key, _ in COMPARE_FIELDS]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def comparison_markdown(sections: list[tuple[str, str, list[dict]]], seeds: int) -> str:
    """The report's text: per scenario, its description, the table and a link to its chart."""
    lines = [
        "# Strategy comparison",
        "",
        f"Every commit strategy on the same {seeds} seeds per scenario (common random numbers: "
        "the same processing times and latencies for each strategy). A cell is the mean over "
        "seeds, ± half its 95% interval. Regenerate with `offsim report`; the file is "
        "deterministic, so a diff means the numbers moved.",
    ]
    for name, description, rows in sections:
        lines += ["", f"## {name}", "", " ".join(description.split()), ""]
        lines += markdown_table(rows)
        lines += ["", f"![{name}: loss, duplicates, throughput, commit load, downtime]"
                  f"(comparison-{name}.png)"]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_comparison(out: Path, seeds: int = SEEDS, workers: int = 1) -> list[Path]:
    """Write comparison.md and one chart per scenario into `out`; return the paths written."""
    from sim.report.charts import plot_comparison
    from sim.scenario import load_scenario

    out.mkdir(parents=True, exist_ok=True)
    sections, written = [], []
    for name in SCENARIOS:
        rows = compare_rows(name, seeds, workers)
        chart = out / f"comparison-{name}.png"
        plot_comparison(rows, chart)
        written.append(chart)
        sections.append((name, load_scenario(name).description, rows))
    write_text(out / "comparison.md", comparison_markdown(sections, seeds))
    return [out / "comparison.md", *written]


def regenerate_claims(out: Path, *more: str) -> int:
    """`offsim check` over the whole catalogue, writing out/claims.md and the counterexamples
    into out/counterexamples/ (`more`: further arguments, such as --json); its exit code."""
    from sim.cli import parser

    report, examples = out / "claims.md", out / "counterexamples"
    args = parser().parse_args(["check", "--report", str(report), "--out", str(examples), *more])
    return args.func(args)


def cmd_report(args) -> int:
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    out = Path(args.out)
    for path in write_comparison(out, workers=args.workers):
        print(path)
    if args.skip_claims:
        return 0
    code = regenerate_claims(out)
    print(out / "claims.md")
    return code


def add_parser(subparsers) -> None:
    """`offsim report [--out DIR] [--workers N] [--skip-claims]`."""
    p = subparsers.add_parser("report", help="regenerate the committed reports (reports/)")
    p.add_argument("--out", default=str(DEFAULT_DIR), help=f"directory (default {DEFAULT_DIR})")
    p.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="processes for the comparison runs (default: one per core)",
    )  # fmt: skip
    p.add_argument("--skip-claims", action="store_true", help="only the strategy comparison")
    p.set_defaults(func=cmd_report)
