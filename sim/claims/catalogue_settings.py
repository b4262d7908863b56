"""The catalogue's claims that hold or break through a setting beyond the strategy: the client
(librdkafka, Java's new consumer), processing on a worker thread, liveness timeouts (zombies),
the cooperative protocol, coordinator failovers, the sink, and where an unknown offset resets.

Only data, as `sim.claims.catalogue_commits`, whose fault-kind sets it shares.
"""

from __future__ import annotations

from types import MappingProxyType

from sim.claims.catalogue_commits import EVERY_FAULT, NO_POISON, SYNC
from sim.claims.claim import Claim

__all__ = ["SETTING_CLAIMS"]

LIVENESS = ("stall", "pause", "network-cut")
# A poll interval below the 6 s session, so a stall, a pause or a cut can outlast either.
ZOMBIE = MappingProxyType({"group": {"max_poll_interval_ms": 4_000}})
# A timer that fires several times a batch (50 records of ~10 ms), so a crash meets its commit.
FAST_TIMER = MappingProxyType({"strategy": {"auto_commit_interval_ms": 200}})
ASYNC = MappingProxyType({"consumer": {"processing": "async"}})
COOPERATIVE = MappingProxyType({"group": {"assignor": "cooperative-sticky"}})
IDEMPOTENT = MappingProxyType({"sink": {"kind": "idempotent"}})

SETTING_CLAIMS: tuple[Claim, ...] = (
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
        "and before close means a join or a leave, one at a time, never re-delivers a record. "
        "Not two close together: a member that closes while it is still rejoining after the "
        "first fails the commitSync in finally (RebalanceInProgressException) and calls "
        "onPartitionsLost, not onPartitionsRevoked, so its processed records stay uncommitted",
        ("async-then-sync-processed",),
        "no-duplicate",
        "holds",
        "docs/semantics.md §6 (close), §8",
        ("join", "leave"),
        overrides=COOPERATIVE,
        protocol="cooperative",
        max_faults=1,
    ),
    Claim(
        "sync-survives-coordinator-failover",
        "Synchronous commits after processing lose nothing across coordinator failovers, "
        "coordinator outages and rolling restarts: commitSync retries the coordinator's errors",
        SYNC,
        "no-loss",
        "holds",
        "docs/semantics.md §6, §11",
        ("crash", "coordinator-failover", "coordinator-outage", "rolling-restart"),
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
