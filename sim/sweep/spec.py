"""Sweep files (TOML): a base scenario, a grid of parameter values, strategies and seeds, expanded
to an ordered list of tasks.

The rule this module keeps: every grid point becomes a scenario through `Scenario.replace`, so
the scenario model validates it exactly as it validates a file, and a bad sweep is the user's
fault, reported as a one-line `ScenarioError` naming the sweep file, the field path and what is
allowed. Expansion is a pure function of the file: the same tasks, in the same order, every time
(grid points in file order, the last parameter varying fastest; then strategy; then seed).
"""

from __future__ import annotations

import itertools
import math
import os
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from sim.scenario import MAX_SEED, Scenario, ScenarioError, load_scenario, read_toml
from sim.scenario.base import Table, explain, problem
from sim.scenario.shipped import beside, locate
from sim.scenario.toml_writer import toml_value
from sim.strategies import REFERENCE_FORM, STRATEGY_NAMES, StrategyError, resolve_strategy

MAX_RANGE_VALUES = 10_000
# Refused before any point is built: each point is a validated scenario, each task a run.
MAX_POINTS = 10_000
MAX_TASKS = 1_000_000
# Set by the sweep's own fields, so a grid cannot set them too.
RESERVED_PATHS = {"run.seed": "seeds and first_seed", "strategy.name": "strategies"}
_SEGMENT = re.compile(r"([a-z_][a-z0-9_]*)(?:\[(\d+)\])?")


def _strategies(value: Any) -> Any:
    if value == "all":
        return list(STRATEGY_NAMES)
    allowed = '"all", or an array of: ' + ", ".join(STRATEGY_NAMES) + f", {REFERENCE_FORM}"
    if not isinstance(value, list) or not value:
        raise problem(f"{_short(value)} is not a list of strategies", allowed)
    for name in value:
        if not isinstance(name, str):
            raise problem(f"{toml_value(name)} is not a strategy", allowed)
        try:
            resolve_strategy(name)
        except StrategyError as error:
            raise problem(str(error), allowed) from None
    if len(set(value)) < len(value):
        raise problem("a strategy is named twice", allowed)
    return value


def _parameters(value: Any) -> Any:
    if not isinstance(value, dict):
        raise problem(f"{_short(value)} is not a table", 'a table of "field.path" = values')
    return {path: _values(path, spec) for path, spec in value.items()}


def _values(path: str, spec: Any) -> tuple:
    """A grid axis: an array of values, or a range table {from, to, step} (`to` included)."""
    field = f'"{path}"'
    if path in RESERVED_PATHS:
        raise problem("is set by the sweep itself", f"use {RESERVED_PATHS[path]}", field)
    if not all(_SEGMENT.fullmatch(s) for s in path.split(".")):
        raise problem(
            "is not a field path",
            'dotted names, e.g. "group.session_timeout_ms" or "faults[0].rate_per_min"',
            field,
        )
    if isinstance(spec, list):
        if not spec:
            raise problem("is empty", "a non-empty array of values", field)
        if any(a == b and type(a) is type(b) for a, b in itertools.combinations(spec, 2)):
            raise problem("repeats a value", "an array of distinct values", field)
        return tuple(spec)
    if not isinstance(spec, dict):
        raise problem(
            f"{_short(spec)} is not an array or a range",
            "an array of values, or { from = ..., to = ..., step = ... }",
            field,
        )
    if sorted(spec) != ["from", "step", "to"]:
        raise problem(
            f"range has fields {', '.join(spec) or 'none'}", "exactly from, to, step", field
        )
    start, stop, step = spec["from"], spec["to"], spec["step"]
    if not all(type(v) in (int, float) for v in (start, stop, step)):
        raise problem("range bounds are not all numbers", "numbers", field)
    if not all(math.isfinite(v) for v in (start, stop, step)):
        shown = ", ".join(f"{k} = {toml_value(spec[k])}" for k in ("from", "to", "step"))
        raise problem(f"range {shown} is not finite", "finite numbers", field)
    if step <= 0 or stop < start:
        raise problem(
            f"range from {start} to {stop} by {step} is empty", "step > 0 and to >= from", field
        )
    count = int((stop - start) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:
        raise problem(f"range has {count:,} values", f"at most {MAX_RANGE_VALUES:,}", field)
    if all(type(v) is int for v in (start, stop, step)):
        return tuple(start + i * step for i in range(count))
    # Rounded so 0.1 steps read as 0.3, not 0.30000000000000004.
    return tuple(round(start + i * step, 12) for i in range(count))


def _short(value: Any) -> str:
    return "a table" if isinstance(value, dict) else toml_value(value)


class SweepFile(Table):
    """The fields of a sweep file, as written."""

    name: str = Field(min_length=1)  # the file's stem when omitted
    description: str = ""
    base: str = Field(min_length=1)  # a scenario file beside the sweep file, or a shipped name
    parameters: Annotated[dict, BeforeValidator(_parameters)] = {}
    labels: dict[str, Annotated[str, Field(min_length=1)]] = {}  # parameter -> axis name
    strategies: Annotated[list, BeforeValidator(_strategies)] = list(STRATEGY_NAMES)
    seeds: int = Field(10, ge=1, le=1_000_000)
    first_seed: int = Field(1, ge=0, le=MAX_SEED)


@dataclass(frozen=True)
class Task:
    """One run: a grid point's scenario, a strategy, a seed. `key` identifies its result."""

    point: dict
    scenario: Scenario
    digest: str
    strategy: str  # a name or an import path (a class of one's own, through sim.sweep.compare)
    seed: int

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.digest, self.strategy, self.seed)


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: each grid point beside the scenario it makes of the base."""

    name: str
    path: str
    base: Scenario
    points: tuple[dict, ...]
    scenarios: tuple[Scenario, ...]
    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    labels: tuple[tuple[str, str], ...] = ()  # (parameter, the axis name the file gives it)
    description: str = ""
    # strategies = "all" (or omitted): at each grid point, those that can run its scenario
    # (`Strategy.unsupported`), as `compare` picks them; named ones all run.
    every_strategy: bool = False

    def label(self, path: str) -> str:
        """A parameter's name on a chart: the file's label, else its field's name and unit
        ("faults[0].rate_per_min" -> "crash rate (per min)")."""
        return dict(self.labels).get(path) or field_name(path, self.base)

    def tasks(self) -> list[Task]:
        """Every (grid point, strategy, seed) in order; a scenario reached twice runs once. With
        every strategy, a point's scenario leaves out those it cannot run."""
        seen, tasks = set(), []
        for point, scenario in zip(self.points, self.scenarios, strict=True):
            digest = scenario.digest()
            for strategy in self.strategies:
                if self.every_strategy and resolve_strategy(strategy).unsupported(scenario):
                    continue
                for seed in self.seeds:
                    task = Task(point, scenario, digest, strategy, seed)
                    if task.key not in seen:
                        seen.add(task.key)
                        tasks.append(task)
        return tasks


def load_sweep(source: str | os.PathLike[str]) -> Sweep:
    """Read and validate a sweep file (or a shipped sweep, by name) and every grid point it
    spans. `base` is read beside the sweep file, or else is a shipped scenario's name."""
    path = locate(source)
    name = os.fspath(path)
    data = read_toml(name, "sweep")
    if isinstance(data, dict) and "name" not in data:
        data = {"name": path.stem, **data}
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(*(f"{name}: {line}" for line in explain(e, SweepFile))) from None
    unknown = [path for path in spec.labels if path not in spec.parameters]
    if unknown:
        raise ScenarioError(
            f'{name}: labels."{unknown[0]}": is not a parameter of the sweep; allowed: '
            + ", ".join(f'"{p}"' for p in spec.parameters)
        )
    _check_size(name, spec)
    base = load_scenario(beside(path.parent, spec.base))
    axes = [[(p, v) for v in values] for p, values in spec.parameters.items()]
    points = tuple(dict(combo) for combo in itertools.product(*axes))
    scenarios = tuple(apply_point(base, point, name) for point in points)
    seeds = tuple(range(spec.first_seed, spec.first_seed + spec.seeds))
    labels = tuple(spec.labels.items())
    every_strategy = data.get("strategies", "all") == "all"
    if not every_strategy:
        _check_strategies_fit(name, spec.strategies, points, scenarios)
    return Sweep(
        spec.name,
        name,
        base,
        points,
        scenarios,
        tuple(spec.strategies),
        seeds,
        labels,
        spec.description,
        every_strategy=every_strategy,
    )


def _check_strategies_fit(name: str, strategies, points, scenarios) -> None:
    """A strategy the file names must be able to run every grid point's scenario."""
    for point, scenario in zip(points, scenarios, strict=True):
        for strategy in strategies:
            refusal = resolve_strategy(strategy).unsupported(scenario)
            if refusal:
                where = ", ".join(f"{p} = {toml_value(v)}" for p, v in point.items())
                raise ScenarioError(
                    f'{name}: strategies: "{strategy}" cannot run the point '
                    f"{where or '(the base)'}: {refusal}; allowed: strategies that can run "
                    'every point, or "all" (each point runs those it can)'
                )


def _check_size(name: str, spec: SweepFile) -> None:
    """Refuse a sweep too large to expand or to run, before building any of it."""
    last = spec.first_seed + spec.seeds - 1
    if last > MAX_SEED:
        raise ScenarioError(
            f"{name}: first_seed: {spec.first_seed} + {spec.seeds} seeds goes past {MAX_SEED}; "
            f"allowed: an integer in [0, {MAX_SEED - spec.seeds + 1}]"
        )
    points = math.prod(len(values) for values in spec.parameters.values())
    if points > MAX_POINTS:
        sizes = " x ".join(f"{len(v):,}" for v in spec.parameters.values())
        raise ScenarioError(
            f"{name}: parameters: the grid has {sizes} = {points:,} points; "
            f"allowed: at most {MAX_POINTS:,}"
        )
    tasks = points * len(spec.strategies) * spec.seeds
    if tasks > MAX_TASKS:
        raise ScenarioError(
            f"{name}: seeds: {points:,} points x {len(spec.strategies)} strategies x "
            f"{spec.seeds:,} seeds is {tasks:,} runs; allowed: at most {MAX_TASKS:,} runs"
        )


UNITS = {"ms": "ms", "us": "µs", "per_min": "per min", "per_s": "per s", "mb": "MB"}


def field_name(path: str, base: Scenario) -> str:
    """A field path in words with its unit: "strategy.auto_commit_interval_ms" -> "auto commit
    interval (ms)"; a fault's field is named after its kind ("faults[0].rate_per_min" -> "crash
    rate (per min)"); a distribution's field after its setting ("consumer.processing_ms.mean"
    -> "processing mean (ms)")."""
    segments = path.split(".")
    words, unit = [], ""
    for segment in segments[1:] if len(segments) > 1 else segments:
        name = re.sub(r"\[\d+\]$", "", segment)
        for suffix, text in UNITS.items():
            if name.endswith("_" + suffix):
                name, unit = name[: -len(suffix) - 1], text
                break
        words.append(name.replace("_", " "))
    top, index = _SEGMENT.fullmatch(segments[0]).groups()
    if top == "faults" and index is not None and int(index) < len(base.faults):
        words.insert(0, base.faults[int(index)].kind.replace("-", " "))
    return " ".join(words) + (f" ({unit})" if unit else "")


def apply_point(base: Scenario, point: dict, source: str = "<sweep>") -> Scenario:
    """`base` with each "table.field" (or "faults[i].field") of `point` set, via replace."""
    data = base.model_dump(exclude_none=True)
    changes: dict[str, Any] = {}
    for path, value in point.items():
        top, *rest = path.split(".")
        key, index = _SEGMENT.fullmatch(top).groups()
        if key not in changes:
            changes[key] = _copy(data.get(key))
        if index is None and not rest:
            changes[key] = value
            continue
        try:
            _set(changes, [top, *rest], value)
        except LookupError as e:
            raise ScenarioError(f'{source}: parameters."{path}": {e.args[0]}') from None
    try:
        return base.replace(**changes)
    except ScenarioError as e:
        where = ", ".join(f"{p} = {toml_value(v)}" for p, v in point.items())
        raise ScenarioError(
            *(f"{source}: at {where}: {line.removeprefix('<replace>: ')}" for line in e.lines)
        ) from None


def _set(tree: dict, segments: list[str], value: Any) -> None:
    node: Any = tree
    for depth, segment in enumerate(segments):
        if not isinstance(node, dict):
            raise LookupError(
                f"{'.'.join(segments[:depth])} is not a table; allowed: a path "
                "to a field of the scenario"
            )
        key, index = _SEGMENT.fullmatch(segment).groups()
        if depth == len(segments) - 1 and index is None:
            node[key] = value
            return
        node = node.get(key)
        if index is not None:
            count = len(node) if isinstance(node, list) else 0
            if int(index) >= count:
                allowed = f"an index in [0, {count - 1}]" if count else "no index"
                raise LookupError(f"the base scenario has {count} {key}; allowed: {allowed}")
            node = node[int(index)]
    raise LookupError(f"{segments[-1]} is a whole table; allowed: a path to one of its fields")


def _copy(value: Any) -> Any:
    """A deep copy of dumped scenario data (dicts, lists, tuples as lists, scalars)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value
