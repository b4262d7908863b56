"""`offsim report`: regenerate the committed reports in `reports/`, byte for byte.

`reports/comparison.md` compares every strategy on the flagship and the teaching scenario, with
a chart per scenario beside it; `reports/rebalance-styles.md` the rebalance styles (eager,
cooperative, the consumer protocol) on the same scenarios and seeds. `reports/pictures.md`
shows the timeline of each lesson whose cause a picture must make plain, and a screenshot of a
run's HTML page as headless Chromium draws it (taken only where Chromium is installed: browsers
differ, so it is not compared). Nothing in them depends on the wall clock or the machine's core
count (runs are keyed by seed, charts carry no date), so a diff in review means the numbers
moved. `reports/claims.md` and `reports/counterexamples/` are what `offsim check` writes when
asked to (`--report`, `--out`): this command asks it. `reports/perf.md` is never touched:
benchmarks measure the machine, not the model.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sim.cli.usage import UsageError
from sim.files import write_text
from sim.progress import progress
from sim.report.tables import CELL_LEGEND, cell_text, compare_tables, folded, identical_notes

SCENARIOS = ("production-like", "crash-mid-batch")
SEEDS = 5
DEFAULT_DIR = Path("reports")
# (scenario, record followed, what the picture must make plain)
PICTURES = (
    ("crash-mid-batch", (0, 1200), "a crash mid-batch: its partitions have no owner until the "
     "group moves on, and the record 0:1200 is delivered, processed, delivered again and "
     "processed again by the restarted consumer"),
    ("gc-pause", None, "a stop-the-world pause: no processing, no heartbeats; the group gives p0 "
     "away while the paused member still holds it, and both process its records"),
    ("zombie-poll-timeout", None, "a stalled poll loop (the heartbeat thread runs on) until "
     "max.poll.interval.ms runs out: the same duplicates as the pause, from another cause"),
    ("network-cut", None, "a member cut off from the coordinator: its commits end with an "
     "unknown outcome, the group moves on without it"),
    ("coordinator-failover", None, "the coordinator moves: unavailable, then loading; commits "
     "fail and the members wait, which is not a rebalance"),
    ("rolling-restart", None, "a deployment: each consumer closed and restarted in turn, every "
     "step a rebalance, nothing processed twice"),
)  # fmt: skip
PAGE = "crash-mid-batch"  # the run whose HTML page is photographed


def compare_rows(name: str, seeds: int = SEEDS, workers: int = 1) -> list[dict]:
    """`sim.sweep.compare` of every shipped strategy on a shipped scenario, its runs spread over
    worker processes (the rows are those of a serial compare)."""
    from sim.scenario import load_scenario
    from sim.sweep.compare import compare_runs, summarise

    scenario = load_scenario(name)

    def report(results, total):
        return progress(results, total, f"report: compare {name}", "run")

    runs = compare_runs(scenario, seeds=seeds, workers=workers, progress=report)
    return summarise(scenario, runs)


def markdown_tables(rows: list[dict]) -> list[str]:
    """The comparison's tables in markdown; a strategy identical to another shares its row,
    and a note under the tables says why."""
    lines: list[str] = []
    for title, columns in compare_tables(rows):
        head = ["strategy"] + [label for _, label, _ in columns]
        lines += [f"{title[0].upper()}{title[1:]}:", ""]
        lines += ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(columns) + "|"]
        for row, same in folded(rows):
            names = " = ".join(f"`{name}`" for name in [row["strategy"], *same])
            cells = [names] + [cell_text(row.get(key), scale) for key, _, scale in columns]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines + [f"- {note}" for note in identical_notes(rows, quote="`")]


def comparison_markdown(sections: list[tuple[str, str, list[dict]]], seeds: int) -> str:
    """The report's text: per scenario, its description, the tables and a link to its chart."""
    lines = [
        "# Strategy comparison",
        "",
        f"Every commit strategy on the same {seeds} seeds per scenario (common random numbers: "
        f"the same processing times and latencies for each strategy); {CELL_LEGEND}. "
        "Durations are in seconds; downtime in partition-seconds (two partitions without an "
        "owner for one second count two); docs/metrics.md defines every column. A strategy "
        "whose runs repeat another's (the same trace, or the same numbers, on every seed) "
        "shares its row, with a note saying how and why. Regenerate with "
        "`offsim report`; the file is deterministic, so a diff means the numbers moved.",
    ]
    for name, description, rows in sections:
        lines += ["", f"## {name}", "", " ".join(description.split()), ""]
        lines += markdown_tables(rows)
        lines += ["", f"![{name}: loss, duplicates, throughput, commit load, downtime, lag]"
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


def write_pictures(out: Path) -> list[Path]:
    """The timelines of PICTURES into out/pictures/ and out/pictures.md; return the paths."""
    from sim import api
    from sim.report.timeline import plot_run
    from sim.scenario import load_scenario

    folder = out / "pictures"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Pictures",
        "",
        "The timeline of each lesson whose cause a picture must make plain (`offsim run NAME "
        "--plot FILE`; `offsim explain crash-mid-batch --record 0:1200 --plot FILE`), and the "
        "HTML page of a run as headless Chromium shows it (`offsim run NAME --html FILE`). "
        "Regenerate with `offsim report`.",
    ]
    written = []
    for name, record, caption in PICTURES:
        result = api.run(load_scenario(name))
        path = folder / f"timeline-{name}.png"
        plot_run(result, path, record)
        written.append(path)
        lines += ["", f"## {name}", "", caption[0].upper() + caption[1:] + ".", "",
                  f"![{name}](pictures/{path.name})"]  # fmt: skip
    lines += [
        "", "## The page of a run", "",
        f"`offsim run {PAGE} --html {PAGE}.html`, opened in headless Chromium (1400 x 1000):",
        "", f"![the page](pictures/page-{PAGE}.png)",
    ]  # fmt: skip
    write_text(out / "pictures.md", "\n".join(lines) + "\n")
    return [out / "pictures.md", *written]


def write_page_screenshot(out: Path) -> Path | None:
    """The run page of PAGE, photographed in headless Chromium into out/pictures/; None when
    no browser is installed. A page that logs an error or reaches the network is refused."""
    import tempfile

    from sim import api
    from sim.report.browser import NoBrowser, screenshot
    from sim.report.page import run_page, write_page
    from sim.scenario import load_scenario

    shot = out / "pictures" / f"page-{PAGE}.png"
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / f"{PAGE}.html"
        write_page(page, run_page(api.run(load_scenario(PAGE))))
        try:
            visit = screenshot(page, shot)
        except NoBrowser as error:
            print(f"page screenshot skipped: {error}")
            return None
    problems = visit.console_errors + visit.page_errors + visit.outside
    if problems:
        raise RuntimeError(f"the page of {PAGE} misbehaved in Chromium: {problems}")
    return shot


def regenerate_claims(out: Path, *more: str) -> int:
    """`offsim check` over the whole catalogue, writing out/claims.md and the counterexamples
    into out/counterexamples/ (`more`: further arguments, such as --json); its exit code."""
    from sim.cli.check import add_parser

    report, examples = out / "claims.md", out / "counterexamples"
    out.mkdir(parents=True, exist_ok=True)
    top = argparse.ArgumentParser(prog="offsim")
    add_parser(top.add_subparsers())
    args = top.parse_args(["check", "--report", str(report), "--out", str(examples), *more])
    return args.func(args)


def cmd_report(args) -> int:
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    out = Path(args.out)
    from sim.report.styles import write_styles

    for path in write_comparison(out, workers=args.workers) + write_pictures(out):
        print(path)
    print(write_styles(out, workers=args.workers))
    shot = write_page_screenshot(out)
    if shot is not None:
        print(shot)
    if args.skip_claims:
        return 0
    code = regenerate_claims(out, "--workers", str(args.workers))
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
    p.add_argument(
        "--skip-claims", action="store_true",
        help="only the strategy comparison, the rebalance styles and the pictures",
    )  # fmt: skip
    p.set_defaults(func=cmd_report)
