"""The `offsim` command line: the parser, `main` and the small commands (run, compare,
strategies, scenarios); the larger commands each have a module beside this one.

Exit codes: 0 done, 1 a check failed (a cross-check, a drain that did not finish, a `--fail-on`
anomaly, a claim whose verdict is not the expected one), 2 bad input, 141 the reader of the output
went away (a closed pipe).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sim import api
from sim.cli.check import add_parser as add_check_parser
from sim.cli.conform import add_parser as add_conform_parser
from sim.cli.explain import add_explain_parser
from sim.cli.fail_on import ANOMALIES, parse_fail_on, verdict
from sim.cli.report import add_parser as add_report_parser
from sim.cli.sweep import add_parser as add_sweep_parser
from sim.cli.usage import (
    UsageError,
    check_fits,
    check_html,
    check_output,
    check_plot,
    check_seed,
    check_strategy,
    strategy_list,
)
from sim.progress import progress
from sim.report.explain import explain_lines
from sim.report.tables import compare_table, run_table
from sim.scenario import MAX_SEED, ScenarioError, load_scenario
from sim.scenario.shipped import SHIPPED, shipped_files, shipped_name
from sim.strategies import STRATEGY_NAMES, describe
from sim.sweep.compare import compare_runs, summarise
from sim.sweep.spec import MAX_TASKS

EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE, as a shell reports a process the closed pipe killed


def cmd_run(args) -> int:
    check_strategy(args.strategy)
    check_seed(args.seed)
    fail_on = parse_fail_on(args.fail_on)
    scenario = load_scenario(args.scenario)
    check_fits(args.strategy, scenario)
    check_plot(args.plot)
    check_html(args.html)
    check_output("--trace", args.trace)
    result = api.run(scenario, seed=args.seed, strategy=args.strategy, trace=args.trace)
    failed = verdict(fail_on, [(result.strategy, [result.summary()])])
    _say_failure(failed, args.json)
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print(run_table(result.summary()))
        print("\n".join(explain_lines(result.report, scenario)))
    if args.plot:
        from sim.report.timeline import plot_run  # matplotlib loads only when asked for

        plot_run(result, args.plot)
    if args.html:
        from sim.report.page import run_page, write_page  # plotly loads only when asked for

        write_page(args.html, run_page(result))
    return 0 if result.ok and failed is None else 1


def cmd_compare(args) -> int:
    scenario = load_scenario(args.scenario)
    strategies = strategy_list(args.strategies, scenario)
    fail_on = parse_fail_on(args.fail_on)
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    runs = args.seeds * len(strategies)
    if runs > MAX_TASKS:
        raise UsageError(
            f"--seeds {args.seeds}: {len(strategies)} strategies x {args.seeds:,} seeds is "
            f"{runs:,} runs; allowed: at most {MAX_TASKS:,} runs"
        )
    if scenario.run.seed + args.seeds - 1 > MAX_SEED:
        raise UsageError(
            f"--seeds {args.seeds}: from run.seed = {scenario.run.seed} goes past {MAX_SEED}; "
            f"allowed: at most {MAX_SEED - scenario.run.seed + 1:,} seeds"
        )
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    check_plot(args.plot)
    check_html(args.html)

    def report(results, total):
        return progress(results, total, f"compare {scenario.name}", "run")

    runs = compare_runs(
        scenario, strategies, seeds=args.seeds, workers=args.workers, progress=report
    )
    rows = summarise(scenario, runs)
    failed = verdict(fail_on, runs)
    _say_failure(failed, args.json)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(compare_table(rows))
    if args.plot:
        from sim.report.charts import plot_comparison  # matplotlib loads only when asked for

        plot_comparison(rows, args.plot)
    if args.html:
        from sim.report.page import compare_page, write_page

        write_page(args.html, compare_page(rows, scenario))
    ok = all(r["cross_checks_ok"] and r["quiesced"] for r in rows)
    return 0 if ok and failed is None else 1


def _say_failure(line: str | None, as_json: bool) -> None:
    """A `--fail-on` verdict comes first: atop the table, or on stderr beside JSON."""
    if line is not None:
        print(line, file=sys.stderr if as_json else sys.stdout, flush=True)


def cmd_strategies(args) -> int:
    width = max(map(len, STRATEGY_NAMES))
    for name in STRATEGY_NAMES:
        print(f"{name:<{width}}  {describe(name)}")
    return 0


def cmd_scenarios(args) -> int:
    """The shipped scenarios and sweeps (or a folder's scenario files), one line each."""
    if args.directory is None:
        entries = [(shipped_name(p), p) for p in shipped_files()]
    else:
        directory = Path(args.directory)
        entries = [(p.stem, p) for p in sorted(directory.glob("*.toml"))]
        if not entries:
            raise UsageError(f"{directory}: no scenario files (*.toml)")
    width = max(len(name) for name, _ in entries)
    for name, path in entries:
        print(f"{name:<{width}}  {_first_sentence(path)}")
    return 0


def _first_sentence(path: Path) -> str:
    """The first sentence of a scenario's (or a sweep's) description."""
    from sim.scenario import read_toml
    from sim.sweep.spec import load_sweep

    is_sweep = "base" in read_toml(path)
    description = (load_sweep if is_sweep else load_scenario)(path).description
    first = " ".join(description.split()).split(". ")[0].rstrip(".")
    return f"(sweep) {first}." if is_sweep else f"{first}."


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="offsim",
        description="A deterministic simulator of Kafka consumer delivery semantics under failure.",
    )
    sub = top.add_subparsers(dest="command", required=True)

    fail_on = (
        "exit 1 when any run shows one of these anomalies, said on the first line: "
        + ",".join(ANOMALIES)
    )
    p = sub.add_parser("run", help="run one scenario and count every lost and duplicated record")
    p.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    p.add_argument("--seed", type=int, help="overrides run.seed")
    p.add_argument(
        "--strategy", help="overrides strategy.name: a name, or package.module:Class of your own"
    )
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--trace", metavar="FILE", help="write the JSONL event trace (docs/trace.md)")
    p.add_argument("--plot", metavar="FILE", help="draw the timeline (.png or .svg)")
    p.add_argument("--html", metavar="FILE", help="write the run's interactive page (.html)")
    p.add_argument("--fail-on", metavar="ANOMALIES", help=fail_on)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run strategies over seeds on the same scenario")
    p.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    p.add_argument(
        "--strategies",
        default="all",
        help="a,b,package.module:Class,... or all (default: every shipped strategy)",
    )
    p.add_argument("--seeds", type=int, default=10, help="seeds per strategy (default 10)")
    p.add_argument(
        "--workers", type=int, default=1, help="local processes (default 1; same results)"
    )
    p.add_argument("--json", action="store_true", help="a JSON list, one object per strategy")
    p.add_argument("--plot", metavar="FILE", help="draw the comparison charts (.png or .svg)")
    p.add_argument("--html", metavar="FILE", help="write the comparison's page (.html)")
    p.add_argument("--fail-on", metavar="ANOMALIES", help=fail_on)
    p.set_defaults(func=cmd_compare)

    add_explain_parser(sub)

    p = sub.add_parser("strategies", help="the commit strategies, one line each")
    p.set_defaults(func=cmd_strategies)

    p = sub.add_parser("scenarios", help="the ready scenarios, one line each")
    p.add_argument(
        "directory", nargs="?", help=f"a folder of scenario files (default: the shipped, {SHIPPED})"
    )
    p.set_defaults(func=cmd_scenarios)
    add_sweep_parser(sub)
    add_check_parser(sub)
    add_report_parser(sub)
    add_conform_parser(sub)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    _import_from_here()
    try:
        return args.func(args)
    except ScenarioError as error:
        for line in error.lines:
            print(f"offsim: {line}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"offsim: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("offsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`offsim scenarios | head -1`): stop quietly, as a Unix tool
        # killed by SIGPIPE does, with its exit status (128 + 13). Output still buffered would
        # fail again at exit, so stdout is pointed at the null device first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _import_from_here() -> None:
    """A strategy named `mymodule:MyStrategy` is found in the current folder too, as with
    `python -m` (the `offsim` script's own folder is what Python puts on sys.path)."""
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.append(here)
