"""What every command checks of its arguments, and the error that says it is the user's to fix.

Kept apart from `sim.cli` so that subcommands living elsewhere (explain, sweep) raise the very
class `main()` catches, even when the CLI runs as `python -m sim.cli`.
"""

from __future__ import annotations

from pathlib import Path

from sim.strategies import STRATEGY_NAMES

SCENARIO_DIR = Path("scenarios")


class UsageError(Exception):
    """Bad input on the command line: one line, exit 2, no traceback."""


def resolve_scenario(name: str) -> Path:
    """A scenario path, or the name of a shipped scenario (`crash-mid-batch`)."""
    path = Path(name)
    if path.exists() or path.suffix == ".toml":
        return path
    return SCENARIO_DIR / f"{name}.toml"


def check_strategy(name: str | None) -> None:
    if name is not None and name not in STRATEGY_NAMES:
        raise UsageError(f"unknown strategy {name!r}; allowed: {', '.join(STRATEGY_NAMES)}")


def check_plot(path: str | None) -> None:
    if path and not path.lower().endswith((".png", ".svg")):
        raise UsageError(f"--plot {path}: the file must end in .png or .svg")


def check_html(path: str | None) -> None:
    """Before anything runs: an .html file in a folder that exists."""
    if not path:
        return
    if not path.lower().endswith((".html", ".htm")):
        raise UsageError(f"--html {path}: the file must end in .html")
    folder = Path(path).parent
    if not folder.is_dir():
        raise UsageError(f"--html {path}: no such folder {folder}")
