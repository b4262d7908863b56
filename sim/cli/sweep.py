"""`offsim sweep SWEEP.toml`: run what the results file lacks, then print the means.

The command is resumable by construction: it expands the sweep, asks the store which keys are
done, runs only the rest, and writes results in batches as they arrive, so a killed sweep, run
again, picks up where it stopped. Progress goes to stderr (`sim.progress`); the table to stdout.
"""

from __future__ import annotations

import os
import sys

from sim.cli.usage import UsageError, check_html, check_output, check_plot
from sim.progress import progress
from sim.report.tables import CELL_LEGEND, cell_text
from sim.scenario.toml_writer import toml_value
from sim.sweep.aggregate import aggregate
from sim.sweep.executors import ExecutorError, execute
from sim.sweep.spec import Sweep, Task, load_sweep
from sim.sweep.store import Store, StoreError

BATCH = 32  # rows per transaction: a kill loses at most this many finished runs


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sweep", help="run a parameter sweep into a resumable results file")
    p.add_argument("sweep", help="a sweep file (TOML): base scenario, parameter grid, seeds")
    p.add_argument("--workers", type=int, help="local processes (default: one per CPU)")
    p.add_argument("--scheduler", help="a Dask scheduler address (needs the `sweep` extra)")
    p.add_argument("--out", default="results.sqlite", help="results file (default: %(default)s)")
    p.add_argument("--csv", help="also write this sweep's rows to this CSV file")
    p.add_argument(
        "--plot", help="draw loss and duplicate heatmaps and the trade-offs (.png or .svg)"
    )
    p.add_argument("--html", help="write the same charts as an interactive page (.html)")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers and --scheduler exclude each other: a cluster has its own")
    workers = args.workers or os.cpu_count() or 1
    check_plot(args.plot)
    check_html(args.html)
    check_output("--out", args.out)
    check_output("--csv", args.csv)
    sweep = load_sweep(args.sweep)
    for flag, value in (("--plot", args.plot), ("--html", args.html)):
        if value and not sweep.points[0]:
            raise UsageError(f"{flag} {value}: the sweep has no parameters to plot over")
    tasks = sweep.tasks()
    try:
        store = Store(args.out)
    except StoreError as error:
        raise UsageError(str(error)) from None
    with store:
        done = store.done()
        todo = [t for t in tasks if t.key not in done]
        where = (
            f"the Dask cluster at {args.scheduler}" if args.scheduler else f"{workers} worker(s)"
        )
        print(
            f"{sweep.name}: {len(tasks)} runs, {len(tasks) - len(todo)} already in "
            f"{args.out}, {len(todo)} to run on {where}",
            file=sys.stderr,
        )
        try:
            record(store, sweep.name, execute(todo, workers, args.scheduler), total=len(todo))
        except ExecutorError as error:
            raise UsageError(str(error)) from None
        rows = store.summaries(t.key for t in tasks)
        if args.csv:
            store.export_csv(args.csv, [t.key for t in tasks])
    summaries = {key: summary for key, _, summary in rows}
    grouped = sweep_rows(sweep, tasks, summaries)
    table = sweep_table(sweep, grouped)
    print(table)
    parameters = list(sweep.points[0])
    labels = {p: sweep.label(p) for p in parameters}
    if args.plot:
        from sim.report.sweep_charts import plot_sweep  # matplotlib loads only when asked for

        plot_sweep(sweep.name, parameters, grouped, args.plot, labels)
    if args.html:
        from sim.report.page import sweep_page, write_page
        from sim.report.sweep_charts import sweep_chart

        chart = sweep_chart(sweep.name, parameters, grouped, labels)
        text = open(args.sweep, encoding="utf-8").read()
        write_page(args.html, sweep_page(sweep.name, chart, table, text))
    ok = all(s["cross_checks_ok"] and s["quiesced"] for s in summaries.values())
    return 0 if ok else 1


def record(store: Store, sweep: str, results, total: int | None = None) -> None:
    """Store results as they arrive, a batch per transaction; on an interrupt, keep what
    finished before re-raising."""
    batch: list[tuple] = []
    results = iter(results)
    try:
        for task, summary in progress(results, total, sweep, "run"):
            batch.append((task.key, task.point, summary))
            if len(batch) >= BATCH:
                store.add(sweep, batch)
                batch.clear()
    finally:
        store.add(sweep, batch)


def sweep_rows(sweep: Sweep, tasks: list[Task], summaries: dict) -> list[tuple[dict, str, dict]]:
    """(grid point, strategy, the `aggregate` of its seeds' summaries), in task order, for the
    points and strategies with at least one stored run."""
    groups: dict[tuple, tuple[dict, list[dict]]] = {}
    for task in tasks:
        if task.key in summaries:
            key = (tuple(map(toml_value, task.point.values())), task.strategy)
            groups.setdefault(key, (task.point, []))[1].append(summaries[task.key])
    return [
        (point, strategy, aggregate(sweep.name, strategy, group))
        for (_, strategy), (point, group) in groups.items()
    ]


def sweep_table(sweep: Sweep, rows: list[tuple[dict, str, dict]]) -> str:
    """One line per grid point and strategy: mean lost and duplicated records over the seeds."""
    head = [*sweep.points[0], "strategy", "seeds", "lost", "dup records"]
    body = [
        [
            *map(toml_value, point.values()),
            strategy,
            str(row["seeds"]),
            cell_text(row["lost"]),
            cell_text(row["duplicated_records"]),
        ]
        for point, strategy, row in rows
    ]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *body]]
    title = f"{sweep.name}: {CELL_LEGEND}"
    return "\n".join([title, lines[0], "  ".join("-" * w for w in widths), *lines[1:]])
