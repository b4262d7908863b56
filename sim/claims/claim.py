"""A claim: a property of a finished run, the strategies and faults it covers, and the verdict
it expects; the small scenario the catalogue's claims speak of.

This module owns what a claim means (its scenario, its search space, which summary numbers break
its property); it never runs anything, searches, or holds the catalogue's claims
(`sim.claims.catalogue`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import cached_property
from types import MappingProxyType

from sim.scenario import (
    CLASSIC_DEFAULTS,
    CONSUMER_PROTOCOL,
    LOOP_POINTS,
    Scenario,
    load_scenario,
    parse_scenario,
)
from sim.scenario.faults import TXN_LOOP_POINTS
from sim.strategies import strategy_reference

__all__ = [
    "BASE_SCENARIO",
    "MAX_FAULTS",
    "MAX_POLL_RECORDS",
    "PROPERTIES",
    "Claim",
    "SearchSpace",
    "violated_anomaly",
    "violation",
]

MAX_POLL_RECORDS = 50

# Small enough for a run of a few milliseconds, big enough for a dozen batches per consumer:
# 800 records over 4 partitions, 2 consumers, 50 records a poll, ~10 ms a record.
BASE_SCENARIO = MappingProxyType(
    {
        "run": {"duration_ms": 12_000, "seed": 1},
        "topic": {"partitions": 4, "initial_records": 800},
        "group": {"consumers": 2, "session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000},
        "consumer": {
            "max_poll_records": MAX_POLL_RECORDS,
            "processing_ms": {"dist": "exponential", "mean": 10.0},
        },
    }
)
# From the end of the first initial-delay window (3 s) to 1 s before run.duration_ms. The group
# is stable only at ~6 s: both members join in the first window, which earns a second
# (GroupMetadataManager.tryCompleteInitialRebalanceElseSchedule), so faults drawn before 6 s hit
# the initial join, before any record is delivered, and the later ones a stable group.
FAULT_WINDOW_MS = (3_000, 11_000)
MAX_FAULTS = 3

PROPERTIES = {
    "no-loss": "every record in the log is processed at least once",
    "no-duplicate": "no record is processed more than once",
    "exactly-once": "every record is processed exactly once",
    "duplicates-bounded": "records processed twice <= per_crash x crashes (the uncommitted window)",
    "no-offset-regression": "no committed offset ever moves backwards",
    "no-concurrent-duplicate": "no record is processed by two members that both believed they "
    "owned its partition",
    "no-duplicate-effect": "no record leaves more than one visible effect in the sink",
    "exactly-once-effects": "every record in the log leaves exactly one visible effect in the sink",
}


@dataclass(frozen=True)
class SearchSpace:
    """Where a search draws its fault schedules: the kinds, 1..max_faults of them, timed inside
    window_ms, on consumers 0..consumers-1 or the owners of partitions 0..partitions-1,
    mid-batch points up to max_records."""

    kinds: tuple[str, ...]
    window_ms: tuple[int, int]
    consumers: int
    max_records: int
    max_faults: int
    loop_points: tuple[str, ...]
    partitions: int


@dataclass(frozen=True)
class Claim:
    """One checkable statement. `per_crash` is the duplicates-bounded window: the most records a
    single crash may send back to be processed again (sync-per-batch: one poll batch,
    max_poll_records, since everything before it is committed; sync-per-record: one record).

    `base`: the scenario the claim speaks of, a file (or a shipped name) or a `Scenario`; None
    is the catalogue's small one (BASE_SCENARIO). A search replaces the base's faults with the
    schedules it draws: of the kinds in `faults` (default: the kinds of the base's own
    `[[faults]]`, or crash for the catalogue's), at most `max_faults` at a time, timed inside
    `window_ms` (default: from the initial rebalance delay to the end of the run).
    `client` and `protocol`, when given, are set in the scenario (the base's own otherwise)."""

    id: str
    statement: str
    strategies: tuple[str, ...]
    property: str
    expected: str  # "holds" | "refuted"
    source: str = ""
    faults: tuple[str, ...] | None = None
    per_crash: int = 0
    overrides: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), hash=False)
    client: str | None = None
    protocol: str | None = None
    base: str | os.PathLike | Scenario | None = field(default=None, hash=False)
    window_ms: tuple[int, int] | None = None
    max_faults: int = MAX_FAULTS

    def __post_init__(self) -> None:
        if self.property not in PROPERTIES:
            raise ValueError(f"{self.id}: property {self.property!r}; allowed: {list(PROPERTIES)}")
        if self.expected not in ("holds", "refuted"):
            raise ValueError(f"{self.id}: expected {self.expected!r}; allowed: holds, refuted")

    def __reduce__(self):
        """Pickled with its overrides as a plain dict (a read-only view does not pickle), so a
        claim can be checked on another process (`offsim check --workers`)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["overrides"] = dict(self.overrides)
        return _unpickled_claim, (values,)

    @cached_property
    def template(self) -> Scenario:
        """The claim's scenario with no faults: the base, its overrides, client and protocol."""
        if self.base is None:
            data = {key: dict(value) for key, value in BASE_SCENARIO.items()}
        else:
            base = self.base if isinstance(self.base, Scenario) else load_scenario(self.base)
            data = base.model_dump(exclude_none=True)
        for key, value in self.overrides.items():
            data[key] = {**data.get(key, {}), **value}
        if self.protocol is not None:
            group = data.setdefault("group", {})
            group["protocol"] = self.protocol
            if self.protocol == CONSUMER_PROTOCOL:  # the classic client settings do not apply
                data["group"] = {k: v for k, v in group.items() if k not in CLASSIC_DEFAULTS}
        if self.client is not None:
            data.setdefault("consumer", {})["client"] = self.client
        return parse_scenario(data, source=f"<claim {self.id}>")

    @property
    def kinds(self) -> tuple[str, ...]:
        """The fault kinds a search may draw."""
        if self.faults is not None:
            return self.faults
        if self.base is None:
            return ("crash",)
        return tuple(dict.fromkeys(f.kind for f in self.template.faults))

    @property
    def loop_points(self) -> tuple[str, ...]:
        """Where a search may pin a crash: under async processing there is no mid-batch point in
        the poll loop (the worker processes), and the scenario refuses one. The transactional
        strategy adds its own (`in-commit`)."""
        if self.template.consumer.processing == "async":
            return tuple(p for p in LOOP_POINTS if p != "mid-batch")
        if self.template.strategy.name == "transactional":
            return LOOP_POINTS + TXN_LOOP_POINTS
        return LOOP_POINTS

    def search_space(self) -> SearchSpace:
        template = self.template
        if self.window_ms is not None:
            window = tuple(self.window_ms)
        elif self.base is None:
            window = FAULT_WINDOW_MS
        else:
            window = (template.broker.initial_rebalance_delay_ms, template.run.duration_ms)
        return SearchSpace(
            self.kinds,
            window,
            template.group.consumers,
            template.consumer.max_poll_records,
            self.max_faults,
            self.loop_points,
            template.topic.partitions,
        )

    def scenario(self, faults, strategy: str | None = None, seed: int | None = None) -> Scenario:
        """The claim's scenario with these faults: what a counterexample file holds. `strategy`
        (a name or an import path) defaults to the claim's first, if a file can name it (else
        the base's own stays)."""
        data = self.template.model_dump(exclude_none=True)
        name = strategy or strategy_reference(self.strategies[0]) or data["strategy"]["name"]
        data["strategy"] = {**data["strategy"], "name": name}
        if seed is not None:
            data["run"]["seed"] = seed
        return parse_scenario(
            {**data, "name": self.id, "description": self.statement, "faults": list(faults)},
            source=f"<claim {self.id}>",
        )


def violation(claim: Claim, summary: dict) -> str | None:
    """What in this run's summary breaks the claim's property, in words; None if nothing."""
    lost, dup = summary["lost"], summary["duplicated_records"]
    if claim.property in ("no-loss", "exactly-once") and lost:
        return f"{lost} records lost"
    if claim.property in ("no-duplicate", "exactly-once") and dup:
        return f"{dup} records processed twice"
    if claim.property == "duplicates-bounded":
        bound = claim.per_crash * summary["crashes"]
        if dup > bound:
            return f"{dup} records processed twice, above {claim.per_crash} x crashes = {bound}"
    if claim.property == "no-offset-regression" and summary["offset_regressions"]:
        return f"{summary['offset_regressions']} committed offsets moved backwards"
    if claim.property == "no-concurrent-duplicate" and summary["concurrent_duplicates"]:
        return f"{summary['concurrent_duplicates']} records processed by two owners at once"
    if claim.property == "exactly-once-effects" and summary["lost_effects"]:
        return f"{summary['lost_effects']} records with no visible effect"
    effects_once = ("no-duplicate-effect", "exactly-once-effects")
    if claim.property in effects_once and summary["duplicate_effects"]:
        return f"{summary['duplicate_effects']} effects shown a second time"
    return None


def violated_anomaly(claim: Claim, summary: dict) -> str:
    """The anomaly kind (a key of the checker's report) whose records break the claim."""
    if claim.property == "exactly-once":
        return "lost" if summary["lost"] else "duplicate"
    if claim.property == "exactly-once-effects":
        # an effect shown twice comes from a record processed twice; a missing effect from a
        # record never processed, or processed by a write the sink refused (then no group)
        return "duplicate" if summary["duplicate_effects"] else "lost"
    return {
        "no-loss": "lost",
        "no-duplicate": "duplicate",
        "duplicates-bounded": "duplicate",
        "no-offset-regression": "offset-regression",
        "no-concurrent-duplicate": "concurrent-duplicate",
        "no-duplicate-effect": "duplicate",
    }[claim.property]


def _unpickled_claim(values: dict) -> Claim:
    return Claim(**{**values, "overrides": MappingProxyType(values["overrides"])})
