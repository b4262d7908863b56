"""The claims catalogue: what tutorials and the clients' sources say, as data `offsim check` can
test; and the `Claim` a user writes over a scenario of their own.

A claim names the strategies it covers, the faults it allows, a property of a finished run and
the verdict it expects. Every expected verdict in the catalogue is what the simulator shows (the
quick budget of `offsim check` confirms each one); a claim tutorials state loosely is stated
here as precisely as the model can show it (docs/claims.md, Where the claims come from).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from sim.scenario import LOOP_POINTS, Scenario, load_scenario, parse_scenario
from sim.strategies import strategy_reference

__all__ = [
    "BASE_SCENARIO",
    "MAX_FAULTS",
    "CATALOGUE",
    "PROPERTIES",
    "Claim",
    "SearchSpace",
    "claim_by_id",
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
FAULT_WINDOW_MS = (3_000, 11_000)  # after the initial join delay, inside run.duration_ms
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
    window_ms, on consumers 0..consumers-1, mid-batch points up to max_records."""

    kinds: tuple[str, ...]
    window_ms: tuple[int, int]
    consumers: int
    max_records: int
    max_faults: int
    loop_points: tuple[str, ...]


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
            data.setdefault("group", {})["protocol"] = self.protocol
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
        the poll loop (the worker processes), and the scenario refuses one."""
        if self.template.consumer.processing == "async":
            return tuple(p for p in LOOP_POINTS if p != "mid-batch")
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
    if claim.property == "exactly-once-effects":  # the records behind the sink's effects
        return "lost" if summary["lost_effects"] else "duplicate"
    return {
        "no-loss": "lost",
        "no-duplicate": "duplicate",
        "no-duplicate-effect": "duplicate",
        "duplicates-bounded": "duplicate",
        "no-offset-regression": "offset-regression",
        "no-concurrent-duplicate": "concurrent-duplicate",
    }[claim.property]


EVERY_FAULT = ("crash", "processing-error", "leave", "join", "commit-error", "lost-response")
NO_POISON = ("crash", "leave", "join", "commit-error", "lost-response")
SYNC = ("sync-per-batch", "per-partition-sync")
LIVENESS = ("stall", "pause", "network-cut")
# A poll interval below the 6 s session, so a stall, a pause or a cut can outlast either.
ZOMBIE = MappingProxyType({"group": {"max_poll_interval_ms": 4_000}})
# A timer that fires several times a batch (50 records of ~10 ms), so a crash meets its commit.
FAST_TIMER = MappingProxyType({"strategy": {"auto_commit_interval_ms": 200}})
ASYNC = MappingProxyType({"consumer": {"processing": "async"}})
COOPERATIVE = MappingProxyType({"group": {"assignor": "cooperative-sticky"}})
IDEMPOTENT = MappingProxyType({"sink": {"kind": "idempotent"}})

CATALOGUE: tuple[Claim, ...] = (
    Claim(
        "auto-loses-after-poison",
        "Java auto commit with processing in the poll loop loses records, but only through an "
        "exception mid-batch followed by close(), which commits the whole batch's position",
        ("auto",),
        "no-loss",
        "refuted",
        "tutorial claim 1; docs/semantics.md §2",
        ("processing-error",),
    ),
    Claim(
        "auto-never-loses-without-poison",
        "Java auto commit with processing in the poll loop loses nothing under crashes, "
        "rebalances, commit errors and lost responses: it commits positions already processed",
        ("auto",),
        "no-loss",
        "holds",
        "docs/semantics.md §2, §13",
        NO_POISON,
    ),
    Claim(
        "auto-can-duplicate",
        "Auto commit can process records twice: a crash after processing, before the next "
        "auto commit, re-delivers them",
        ("auto",),
        "no-duplicate",
        "refuted",
        "tutorial claim 1; docs/semantics.md §2",
    ),
    Claim(
        "sync-per-batch-at-least-once",
        "commitSync after each processed batch never loses a record",
        ("sync-per-batch",),
        "no-loss",
        "holds",
        "tutorial claim 2",
        EVERY_FAULT,
    ),
    Claim(
        "sync-per-batch-not-exactly-once",
        "commitSync after each batch is at-least-once, not exactly-once: a crash before the "
        "commit re-processes the batch",
        ("sync-per-batch",),
        "exactly-once",
        "refuted",
        "tutorial claim 2",
    ),
    Claim(
        "sync-per-batch-duplicates-bounded",
        "Under crashes, commitSync after each batch re-processes at most one poll batch "
        f"(max_poll_records = {MAX_POLL_RECORDS}) per crash",
        ("sync-per-batch",),
        "duplicates-bounded",
        "holds",
        "tutorial claim 2; docs/semantics.md §1",
        per_crash=MAX_POLL_RECORDS,
    ),
    Claim(
        "sync-per-record-duplicates-bounded",
        "commitSync after every record re-processes at most one record per crash",
        ("sync-per-record",),
        "duplicates-bounded",
        "holds",
        "docs/semantics.md §1",
        per_crash=1,
    ),
    Claim(
        "sync-per-record-at-least-once",
        "commitSync after every record never loses a record",
        ("sync-per-record",),
        "no-loss",
        "holds",
        "tutorial claim 2",
        ("crash", "commit-error"),
    ),
    Claim(
        "async-per-batch-at-least-once",
        "commitAsync after each processed batch never loses a record",
        ("async-per-batch",),
        "no-loss",
        "holds",
        "tutorial claim 3",
        EVERY_FAULT,
    ),
    Claim(
        "async-masked-failure-reprocesses",
        "commitAsync is never retried, so a failed commit (masked by a later success) leaves "
        "its batch uncommitted, and a crash or a rebalance before the next success re-processes "
        f"more than one batch (max_poll_records = {MAX_POLL_RECORDS}) per crash",
        ("async-per-batch",),
        "duplicates-bounded",
        "refuted",
        "tutorial claim 3; docs/semantics.md §6",
        ("crash", "commit-error"),
        per_crash=MAX_POLL_RECORDS,
    ),
    Claim(
        "async-commits-never-regress",
        "commitAsync is never retried and one connection keeps its order, so committed offsets "
        "never move backwards",
        ("async-per-batch", "async-then-sync-processed"),
        "no-offset-regression",
        "holds",
        "docs/semantics.md §6",
        NO_POISON,
    ),
    Claim(
        "async-retry-naive-regresses",
        "A commitAsync callback that blindly retries a failed commit moves a committed offset "
        "backwards: the retry lands after a newer commit that succeeded",
        ("async-retry-naive",),
        "no-offset-regression",
        "refuted",
        "docs/semantics.md §6, §13",
        ("commit-error",),
    ),
    Claim(
        "async-retry-seq-never-regresses",
        "Retrying a failed commitAsync only while it is the latest commit (a sequence number) "
        "and its partitions are still owned never moves a committed offset backwards",
        ("async-retry-seq",),
        "no-offset-regression",
        "holds",
        "docs/semantics.md §6",
        NO_POISON,
    ),
    Claim(
        "async-then-sync-loses-after-poison",
        "The textbook pattern as written (commitAsync in the loop, a no-argument commitSync in "
        "finally) loses the rest of the batch after a poison record: it commits positions",
        ("async-then-sync",),
        "no-loss",
        "refuted",
        "tutorial claim 5; docs/semantics.md §13",
        ("processing-error",),
    ),
    Claim(
        "async-then-sync-never-loses-without-poison",
        "The textbook combined pattern as written loses nothing under crashes and rebalances: "
        "without an exception the position is the processed offset",
        ("async-then-sync",),
        "no-loss",
        "holds",
        "tutorial claim 5",
        ("crash", "leave", "join"),
    ),
    Claim(
        "async-then-sync-processed-at-least-once",
        "The combined pattern committing processed offsets (async in the loop, sync on revoke "
        "and in finally) never loses a record, poison records included",
        ("async-then-sync-processed",),
        "no-loss",
        "holds",
        "tutorial claims 5, 7",
        EVERY_FAULT,
    ),
    Claim(
        "per-partition-sync-at-least-once",
        "commitSync of a {partition: offset} map after each partition slice never loses a record",
        ("per-partition-sync",),
        "no-loss",
        "holds",
        "tutorial claim 4",
        EVERY_FAULT,
    ),
    Claim(
        "off-by-one-duplicates",
        "Committing the last processed offset instead of last + 1 re-processes records after "
        "a crash or a hand-off",
        ("off-by-one",),
        "no-duplicate",
        "refuted",
        "tutorial claim 6; docs/semantics.md §1",
        ("crash", "leave", "join"),
    ),
    Claim(
        "off-by-one-never-loses",
        "Committing one short of the +1 rule duplicates but never loses a record",
        ("off-by-one",),
        "no-loss",
        "holds",
        "tutorial claim 6; docs/semantics.md §1",
        EVERY_FAULT,
    ),
    Claim(
        "commit-before-process-never-duplicates",
        "commitSync of the batch end before processing (skip the batch on a commit error) never "
        "processes a record twice: at-most-once",
        ("commit-before-process",),
        "no-duplicate",
        "holds",
        "the at-most-once pattern; docs/strategies.md",
        ("crash", "processing-error", "leave", "join", "commit-error"),
    ),
    Claim(
        "commit-before-process-can-lose",
        "commitSync before processing loses what is left of a batch when the consumer crashes "
        "after the commit, before finishing the batch",
        ("commit-before-process",),
        "no-loss",
        "refuted",
        "the at-most-once pattern; docs/strategies.md",
    ),
    Claim(
        "commit-before-process-async-can-lose",
        "commitAsync before processing can lose records: a crash mid-batch after the commit landed",
        ("commit-before-process-async",),
        "no-loss",
        "refuted",
        "the at-most-once pattern; docs/strategies.md",
    ),
    Claim(
        "commit-before-process-async-can-duplicate",
        "commitAsync before processing can also process records twice: processing starts "
        "before the commit is confirmed, and a failed commit is only logged",
        ("commit-before-process-async",),
        "no-duplicate",
        "refuted",
        "the at-most-once pattern; docs/strategies.md",
        ("crash", "commit-error"),
    ),
    Claim(
        "sync-commits-never-regress",
        "Synchronous commits of processed offsets never move a committed offset backwards",
        SYNC + ("off-by-one",),
        "no-offset-regression",
        "holds",
        "docs/semantics.md §1, §6",
        EVERY_FAULT,
    ),
    Claim(
        "librdkafka-auto-can-lose",
        "librdkafka's auto commit loses records even with processing inside the poll loop: its "
        "background timer commits offsets stored when records were handed over, not processed",
        ("auto",),
        "no-loss",
        "refuted",
        "docs/semantics.md §3, §13",
        overrides=FAST_TIMER,
        client="librdkafka",
    ),
    Claim(
        "librdkafka-store-after-process-at-least-once",
        "librdkafka with enable.auto.offset.store=false and each offset stored after its record "
        "is processed never loses a record: the timer commits only processed records",
        ("auto-store-after-process",),
        "no-loss",
        "holds",
        "docs/semantics.md §3",
        NO_POISON,
        client="librdkafka",
    ),
    Claim(
        "librdkafka-queued-commit-can-lose",
        "librdkafka: a no-argument commit(asynchronous=True) after each batch loses records "
        "under crashes: the client's thread reads the stored offsets when it serves the "
        "operation, after the next consume() stored the next, unprocessed batch's",
        ("async-then-sync",),
        "no-loss",
        "refuted",
        "librdkafka rdkafka_offset.c rd_kafka_commit0, rdkafka_cgrp.c rd_kafka_cgrp_offsets_commit",
        client="librdkafka",
    ),
    Claim(
        "java-new-consumer-auto-can-lose",
        "Java's new consumer before KAFKA-18641 could lose records with auto commit: its "
        "background thread committed the positions of records still being processed",
        ("auto",),
        "no-loss",
        "refuted",
        "docs/semantics.md §12 (KAFKA-18641)",
        overrides=FAST_TIMER,
        client="java-new-prefix",
    ),
    Claim(
        "auto-with-async-processing-can-lose",
        "Java auto commit loses records when processing is handed to a worker thread: it commits "
        "positions, which run ahead of the worker",
        ("auto",),
        "no-loss",
        "refuted",
        "docs/semantics.md §2",
        overrides=MappingProxyType({**ASYNC, **FAST_TIMER}),
    ),
    Claim(
        "async-worker-commit-completed-at-least-once",
        "With processing on a worker thread, committing only the completed frontier (pausing "
        "while the queue is full, draining on revoke and close) never loses a record",
        ("async-worker-commit-completed",),
        "no-loss",
        "holds",
        "docs/semantics.md §2; KafkaConsumer javadoc (multi-threaded processing)",
        NO_POISON,
        overrides=ASYNC,
    ),
    Claim(
        "sync-per-batch-zombie-never-loses",
        "commitSync after each batch loses nothing when a member stalls, pauses or is cut off "
        "past its poll interval or session: the zombie's late commits are refused",
        ("sync-per-batch",),
        "no-loss",
        "holds",
        "docs/semantics.md §9",
        ("crash",) + LIVENESS,
        overrides=ZOMBIE,
    ),
    Claim(
        "zombie-processes-concurrently",
        "A member stalled past max.poll.interval.ms is a zombie: the new owner processes its "
        "records while it still does",
        ("sync-per-batch",),
        "no-concurrent-duplicate",
        "refuted",
        "docs/semantics.md §9",
        ("stall",),
        overrides=ZOMBIE,
    ),
    Claim(
        "crashes-never-process-concurrently",
        "A crashed member processes nothing more, so crashes, joins and clean leaves alone never "
        "make two members process a record at once",
        ("sync-per-batch", "auto"),
        "no-concurrent-duplicate",
        "holds",
        "docs/semantics.md §10",
        ("crash", "leave", "join"),
    ),
    Claim(
        "cooperative-auto-redelivers-the-window",
        "Under the cooperative protocol, auto commit without a commit in onPartitionsRevoked "
        "re-delivers the records consumed between a rebalance's start and the revocation, with "
        "no crash at all",
        ("auto",),
        "no-duplicate",
        "refuted",
        "docs/semantics.md §8",
        ("join", "leave"),
        overrides=COOPERATIVE,
        protocol="cooperative",
    ),
    Claim(
        "cooperative-commit-on-revoke-never-duplicates",
        "Under the cooperative protocol, committing the processed offsets in onPartitionsRevoked "
        "and before close means joins and leaves never re-deliver a record",
        ("async-then-sync-processed",),
        "no-duplicate",
        "holds",
        "docs/semantics.md §8",
        ("join", "leave"),
        overrides=COOPERATIVE,
        protocol="cooperative",
    ),
    Claim(
        "sync-survives-coordinator-failover",
        "Synchronous commits after processing lose nothing across coordinator failovers and "
        "rolling restarts: commitSync retries the coordinator's errors",
        SYNC,
        "no-loss",
        "holds",
        "docs/semantics.md §6, §11",
        ("crash", "coordinator-failover", "rolling-restart"),
    ),
    Claim(
        "idempotent-sink-effects-once",
        "commitSync after each batch into an idempotent sink (an upsert keyed by partition and "
        "offset) leaves every record exactly one effect, whatever crashes, poison records, "
        "rebalances and commit errors re-deliver",
        ("sync-per-batch",),
        "exactly-once-effects",
        "holds",
        "docs/exactly-once.md, Idempotent sink",
        EVERY_FAULT,
        overrides=IDEMPOTENT,
    ),
    Claim(
        "idempotent-sink-deliveries-repeat",
        "An idempotent sink does not make delivery exactly-once: the records are still delivered "
        "and processed twice; only their effects are once",
        ("sync-per-batch",),
        "no-duplicate",
        "refuted",
        "docs/exactly-once.md, Idempotent sink",
        overrides=IDEMPOTENT,
    ),
    Claim(
        "external-offsets-exactly-once",
        "Results and offsets written atomically to a store fenced by the owner's generation, "
        "with a seek to the stored offset on assignment, leave every record exactly one effect, "
        "zombies included: a stalled, paused or cut-off member's late writes are refused",
        ("external-offsets",),
        "exactly-once-effects",
        "holds",
        "docs/exactly-once.md, External offsets",
        EVERY_FAULT + LIVENESS,
        overrides=ZOMBIE,
    ),
    Claim(
        "external-offsets-unfenced-duplicates",
        "The same store written unconditionally lets a zombie's write land: records the new "
        "owner already wrote get a second effect",
        ("external-offsets-unfenced",),
        "no-duplicate-effect",
        "refuted",
        "docs/exactly-once.md, External offsets",
        ("stall",),
        overrides=ZOMBIE,
    ),
    Claim(
        "latest-reset-loses-preloaded",
        "With auto_offset_reset = latest and no committed offset, records in the log before the "
        "first position is resolved are never read, whatever the commit strategy",
        ("sync-per-batch",),
        "no-loss",
        "refuted",
        "docs/semantics.md §1",
        overrides=MappingProxyType({"group": {"auto_offset_reset": "latest"}}),
    ),
)


def claim_by_id(claim_id: str) -> Claim:
    for claim in CATALOGUE:
        if claim.id == claim_id:
            return claim
    raise KeyError(claim_id)
