"""What every command checks of its arguments, and the error that says it is the user's to fix.

Kept apart from `sim.cli` so that subcommands living elsewhere (explain, sweep) raise the very
class `main()` catches, even when the CLI runs as `python -m sim.cli`.
"""

from __future__ import annotations

from pathlib import Path

from sim.scenario import MAX_SEED
from sim.strategies import REFERENCE_FORM, STRATEGY_NAMES, StrategyError, resolve_strategy


class UsageError(Exception):
    """Bad input on the command line: one line, exit 2, no traceback."""


def check_strategy(name: str | None, option: str = "--strategy") -> None:
    """A shipped name or a `package.module:Class` import path that resolves (docs/strategies.md)."""
    if name is not None:
        try:
            resolve_strategy(name)
        except StrategyError as error:
            allowed = f"{', '.join(STRATEGY_NAMES)}, or {REFERENCE_FORM}"
            raise UsageError(f"{option}: {error}; allowed: {allowed}") from None


def strategy_list(text: str, scenario=None) -> list[str]:
    """`--strategies a,b,package.module:Class`, or `all` (the shipped ones that can run
    `scenario`, when given)."""
    if text == "all":
        names = list(STRATEGY_NAMES)
        if scenario is not None:
            names = [n for n in names if not resolve_strategy(n).unsupported(scenario)]
        return names
    names = [s.strip() for s in text.split(",") if s]
    if not names:
        raise UsageError("--strategies: name at least one strategy, or all")
    for name in names:
        check_strategy(name, "--strategies")
        if scenario is not None:
            check_fits(name, scenario, "--strategies")
    return names


def check_fits(name: str | None, scenario, option: str = "--strategy") -> None:
    """A strategy that can run the scenario (`Strategy.unsupported`: e.g. transactional with
    the Java and librdkafka clients only)."""
    refusal = name and resolve_strategy(name).unsupported(scenario)
    if refusal:
        raise UsageError(f"{option} {name}: {refusal}, and {scenario.name} is not")


def check_seed(seed: int | None, option: str = "--seed") -> None:
    """A seed as run.seed takes it: an integer in [0, MAX_SEED]."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{option} {seed}: out of range; allowed: an integer in [0, {MAX_SEED}]")


def check_output(option: str, path: str | None) -> None:
    """Before anything runs: a file that can be written, in a folder that exists."""
    if not path:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a folder; allowed: a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path}: no such folder {target.parent}")


def check_plot(path: str | None) -> None:
    if path and not path.lower().endswith((".png", ".svg")):
        raise UsageError(f"--plot {path}: the file must end in .png or .svg")
    check_output("--plot", path)


def check_html(path: str | None) -> None:
    """Before anything runs: an .html file in a folder that exists."""
    if path and not path.lower().endswith((".html", ".htm")):
        raise UsageError(f"--html {path}: the file must end in .html")
    check_output("--html", path)
