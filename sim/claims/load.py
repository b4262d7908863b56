"""Claims files (TOML): a team's own claims over its own scenario, for `offsim check --claims`.

    [[claims]]
    id = "our-consumer-never-loses"
    statement = "Our consumer loses no record under crashes and rebalances"
    base = "our-consumer.toml"          # beside this file, or a shipped scenario's name
    strategies = ["sync-per-batch", "ourapp.commits:OurStrategy"]
    property = "no-loss"
    expected = "holds"

A claim over a base scenario searches that scenario's own fault kinds (or `faults`), with the
bounds it declares (`window_ms`, `max_faults`); docs/claims.md has every field. The rule this
module keeps, as the scenario loader does: every problem of the file is reported at once, one
line each, naming the file, the field path and what is allowed (a `ScenarioError`).
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, model_validator

from sim.claims.claim import BASE_SCENARIO, MAX_FAULTS, PROPERTIES, Claim
from sim.claims.faults import FAULT_KINDS
from sim.scenario import ScenarioError, load_scenario, read_toml
from sim.scenario.base import Problems, Table, as_tuple, explain, problem
from sim.scenario.shipped import beside, locate
from sim.strategies import REFERENCE_FORM, STRATEGY_NAMES, StrategyError, resolve_strategy

__all__ = ["load_claims"]

_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


def _claim_id(value: Any) -> Any:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise problem(f"{value!r} is not a claim id", 'kebab-case, e.g. "our-consumer-never-loses"')
    return value


def _strategies(value: Any) -> Any:
    allowed = "an array of: " + ", ".join(STRATEGY_NAMES) + f", {REFERENCE_FORM}"
    if not isinstance(value, list) or not value:
        raise problem("is not a non-empty array of strategies", allowed)
    for name in value:
        try:
            resolve_strategy(name if isinstance(name, str) else repr(name))
        except StrategyError as error:
            raise problem(str(error), allowed) from None
    return tuple(value)


def _window(value: Any) -> Any:
    allowed = "[from_ms, to_ms], two integers with 0 <= from_ms < to_ms"
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(v) is int for v in value)
        or not 0 <= value[0] < value[1]
    ):
        raise problem(f"{value!r} is not a window", allowed)
    return tuple(value)


class ClaimTable(Table):
    """One `[[claims]]` table, as written."""

    id: Annotated[str, BeforeValidator(_claim_id)]
    statement: str = Field(min_length=1)
    strategies: Annotated[tuple, BeforeValidator(_strategies)]
    property: Literal[tuple(PROPERTIES)]
    expected: Literal["holds", "refuted"]
    base: str | None = Field(None, min_length=1)
    faults: Annotated[tuple[Literal[FAULT_KINDS], ...] | None, as_tuple] = Field(None, min_length=1)
    window_ms: Annotated[tuple, BeforeValidator(_window)] | None = None
    max_faults: int = Field(MAX_FAULTS, ge=1, le=10)
    per_crash: int = Field(0, ge=0)
    source: str = ""

    @model_validator(mode="after")
    def _fits_its_base(self, info: ValidationInfo) -> ClaimTable:
        """The base loads, and what the search draws fits in it."""
        found = Problems()
        if self.base is None:
            end = BASE_SCENARIO["run"]["duration_ms"]
            if self.window_ms is not None and self.window_ms[1] > end:
                found.add(
                    f"{self.window_ms[1]} is after the end of the catalogue's small scenario",
                    f"a window inside [0, {end}], or a base scenario of your own",
                    "window_ms",
                )
            found.raise_any()
            return self
        try:
            base = load_scenario(beside(info.context["folder"], self.base))
        except ScenarioError as error:
            message, _, allowed = error.lines[0].partition("; allowed: ")
            more = len(error.lines) - 1
            also = f" (and {more} more: offsim run {self.base} lists them)" if more else ""
            found.add(message + also, allowed or "a valid scenario file", "base")
            found.raise_any()
        if self.faults is None and not base.faults:
            found.add(
                "the base scenario has no [[faults]] to search, and faults is not set",
                "faults = [...] of: " + ", ".join(FAULT_KINDS),
                "faults",
            )
        if self.window_ms is not None and self.window_ms[1] > base.run.duration_ms:
            found.add(
                f"{self.window_ms[1]} is after the end of the base's run "
                f"(run.duration_ms = {base.run.duration_ms})",
                f"a window inside [0, {base.run.duration_ms}]",
                "window_ms",
            )
        found.raise_any()
        return self


class ClaimsFile(Table):
    claims: Annotated[tuple[ClaimTable, ...], as_tuple]

    @model_validator(mode="after")
    def _unique_ids(self) -> ClaimsFile:
        found = Problems()
        if not self.claims:
            found.add("is empty", "one [[claims]] table or more", "claims")
        seen: set[str] = set()
        for i, claim in enumerate(self.claims):
            if claim.id in seen:
                found.add(f'"{claim.id}" is named twice', "a different id", f"claims[{i}].id")
            seen.add(claim.id)
        found.raise_any()
        return self


def load_claims(source: str | os.PathLike[str]) -> tuple[Claim, ...]:
    """Read and validate a claims file: its claims, with every problem reported at once."""
    path = locate(source)
    name = os.fspath(path)
    folder = path.parent.resolve()
    data = read_toml(name, "claims")
    try:
        spec = ClaimsFile.model_validate(data, context={"folder": folder})
    except ValidationError as e:
        raise ScenarioError(*(f"{name}: {line}" for line in explain(e, ClaimsFile))) from None
    return tuple(
        Claim(
            id=c.id,
            statement=c.statement,
            strategies=c.strategies,
            property=c.property,
            expected=c.expected,
            source=c.source or name,
            faults=c.faults,
            per_crash=c.per_crash,
            base=None if c.base is None else beside(folder, c.base),
            window_ms=c.window_ms,
            max_faults=c.max_faults,
        )
        for c in spec.claims
    )
