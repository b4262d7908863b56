"""The `offsim` command line: a thin layer over `sim.api` (DESIGN.md, Command line).

Exit codes: 0 done, 1 a check failed (a cross-check, or a drain that did not finish), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim import api
from sim.report.tables import anomaly_lines, compare_table, run_table
from sim.scenario import ScenarioError, load_scenario
from sim.strategies import STRATEGY_NAMES, describe

SCENARIO_DIR = Path("scenarios")


class UsageError(Exception):
    """Bad input on the command line: the user's to fix (exit 2)."""


def resolve(name: str) -> Path:
    """A scenario path, or the name of a shipped scenario (`crash-mid-batch`)."""
    path = Path(name)
    if path.exists() or path.suffix == ".toml":
        return path
    return SCENARIO_DIR / f"{name}.toml"


def strategy_list(text: str) -> list[str]:
    names = list(STRATEGY_NAMES) if text == "all" else [s.strip() for s in text.split(",") if s]
    for name in names:
        check_strategy(name)
    return names


def check_strategy(name: str | None) -> None:
    if name is not None and name not in STRATEGY_NAMES:
        raise UsageError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGY_NAMES)}")


def cmd_run(args) -> int:
    check_strategy(args.strategy)
    scenario = load_scenario(resolve(args.scenario))
    result = api.run(scenario, seed=args.seed, strategy=args.strategy)
    if args.json:
        print(json.dumps(result.summary(), indent=2))
    else:
        print(run_table(result.summary()))
        for line in anomaly_lines(result.report):
            print(line)
    return 0 if result.ok else 1


def cmd_compare(args) -> int:
    scenario = load_scenario(resolve(args.scenario))
    strategies = strategy_list(args.strategies)
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    rows = api.compare(scenario, strategies, seeds=args.seeds)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(compare_table(rows))
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
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run strategies over seeds on the same scenario")
    p.add_argument("scenario")
    p.add_argument("--strategies", default="all", help="a,b,... or all (default)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per strategy (default 10)")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per strategy")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("strategies", help="the commit strategies, one line each")
    p.set_defaults(func=cmd_strategies)

    p = sub.add_parser("scenarios", help="the ready scenarios, one line each")
    p.add_argument("directory", nargs="?", default=str(SCENARIO_DIR))
    p.set_defaults(func=cmd_scenarios)
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
