"""The `offsim` command line: a thin layer over `sim.api` (DESIGN.md, Command line).

Exit codes: 0 done, 1 a check failed (a cross-check, or a drain that did not finish), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim import api
from sim.claims.command import add_parser as add_check_parser
from sim.report.command import add_parser as add_report_parser
from sim.report.explain import explain_lines
from sim.report.explain_command import add_explain_parser
from sim.report.tables import compare_table, run_table
from sim.scenario import ScenarioError, load_scenario
from sim.strategies import STRATEGY_NAMES, describe
from sim.sweep.command import add_parser as add_sweep_parser
from sim.usage import (
    SCENARIO_DIR,
    UsageError,
    check_html,
    check_plot,
    check_strategy,
    resolve_scenario,
)


def strategy_list(text: str) -> list[str]:
    names = list(STRATEGY_NAMES) if text == "all" else [s.strip() for s in text.split(",") if s]
    for name in names:
        check_strategy(name)
    return names


def cmd_run(args) -> int:
    check_strategy(args.strategy)
    scenario = load_scenario(resolve_scenario(args.scenario))
    check_plot(args.plot)
    check_html(args.html)
    result = api.run(scenario, seed=args.seed, strategy=args.strategy, trace=args.trace)
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
    return 0 if result.ok else 1


def cmd_compare(args) -> int:
    scenario = load_scenario(resolve_scenario(args.scenario))
    strategies = strategy_list(args.strategies)
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    check_plot(args.plot)
    check_html(args.html)
    rows = api.compare(scenario, strategies, seeds=args.seeds)
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
    return 0 if all(r["cross_checks_ok"] and r["quiesced"] for r in rows) else 1


def cmd_strategies(args) -> int:
    width = max(map(len, STRATEGY_NAMES))
    for name in STRATEGY_NAMES:
        print(f"{name:<{width}}  {describe(name)}")
    return 0


def cmd_scenarios(args) -> int:
    directory = Path(args.directory)
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise UsageError(f"{directory}: no scenario files (*.toml)")
    width = max(len(p.stem) for p in paths)
    for path in paths:
        scenario = load_scenario(path)
        first = scenario.description.split(". ")[0].replace("\n", " ").strip().rstrip(".")
        print(f"{path.stem:<{width}}  {first}.")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="offsim",
        description="A deterministic simulator of Kafka consumer delivery semantics under failure.",
    )
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run one scenario and count every lost and duplicated record")
    p.add_argument("scenario", help="a scenario file, or the name of a shipped scenario")
    p.add_argument("--seed", type=int, help="overrides run.seed")
    p.add_argument("--strategy", help="overrides strategy.name")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument("--trace", metavar="FILE", help="write the JSONL event trace (docs/trace.md)")
    p.add_argument("--plot", metavar="FILE", help="draw the timeline (.png or .svg)")
    p.add_argument("--html", metavar="FILE", help="write the run's interactive page (.html)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run strategies over seeds on the same scenario")
    p.add_argument("scenario")
    p.add_argument("--strategies", default="all", help="a,b,... or all (default)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per strategy (default 10)")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per strategy")
    p.add_argument("--plot", metavar="FILE", help="draw the comparison charts (.png or .svg)")
    p.add_argument("--html", metavar="FILE", help="write the comparison's page (.html)")
    p.set_defaults(func=cmd_compare)

    add_explain_parser(sub)

    p = sub.add_parser("strategies", help="the commit strategies, one line each")
    p.set_defaults(func=cmd_strategies)

    p = sub.add_parser("scenarios", help="the ready scenarios, one line each")
    p.add_argument("directory", nargs="?", default=str(SCENARIO_DIR))
    p.set_defaults(func=cmd_scenarios)
    add_sweep_parser(sub)
    add_check_parser(sub)
    add_report_parser(sub)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, UsageError) as error:
        print(f"offsim: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("offsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
