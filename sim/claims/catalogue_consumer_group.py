"""The catalogue's claims under the consumer group protocol (KIP-848, `group.protocol =
"consumer"`, the Java client): what it keeps, removes and changes for the commit strategies
(docs/kip848.md).

The broker is a test broker's: a 6 s session and a 2 s heartbeat (bounds lowered as on
librdkafka's mock cluster), so that a crashed member's partitions move within the catalogue's
short runs, as in the classic claims. Only data, as `sim.claims.catalogue_settings`.
"""

from __future__ import annotations

from types import MappingProxyType

from sim.claims.catalogue_commits import SYNC
from sim.claims.claim import Claim

__all__ = ["CONSUMER_GROUP_CLAIMS"]

CONSUMER = "consumer"
TEST_BROKER = {
    "group_consumer_min_session_timeout_ms": 6_000,
    "group_consumer_session_timeout_ms": 6_000,
    "group_consumer_min_heartbeat_interval_ms": 1_000,
    "group_consumer_heartbeat_interval_ms": 2_000,
}
BROKER = MappingProxyType({"broker": TEST_BROKER})
# A poll interval below the session, so a stall can outlast it.
ZOMBIE = MappingProxyType({"broker": TEST_BROKER, "group": {"max_poll_interval_ms": 4_000}})
MEMBERSHIP = ("crash", "join", "leave")
SOURCE = "docs/kip848.md, What KIP-848 keeps, removes and changes"

CONSUMER_GROUP_CLAIMS: tuple[Claim, ...] = (
    Claim(
        "consumer-protocol-sync-at-least-once",
        "In a consumer group (KIP-848), synchronous commits after processing still lose "
        "nothing under crashes, joins and clean leaves: partitions move owner to owner, each "
        "new owner starting from the last commit",
        SYNC,
        "no-loss",
        "holds",
        SOURCE,
        MEMBERSHIP,
        overrides=BROKER,
        protocol=CONSUMER,
    ),
    Claim(
        "consumer-protocol-auto-rebalance-never-duplicates",
        "In a consumer group the Java client's auto commit re-delivers nothing on a join or a "
        "clean leave: the reconciliation commits every consumed position before revoking "
        "(after KAFKA-18641), so the cooperative window is gone",
        ("auto",),
        "no-duplicate",
        "holds",
        SOURCE + "; apache/kafka #18737 (KAFKA-18641)",
        ("join", "leave"),
        overrides=BROKER,
        protocol=CONSUMER,
    ),
    Claim(
        "consumer-protocol-crash-redelivers",
        "In a consumer group a crash still re-delivers the records processed after the last "
        "commit: the broker keeps no more than the classic group does",
        ("sync-per-batch", "auto"),
        "no-duplicate",
        "refuted",
        SOURCE,
        overrides=BROKER,
        protocol=CONSUMER,
    ),
    Claim(
        "consumer-protocol-commit-before-process-can-lose",
        "In a consumer group committing before processing still loses records under crashes: "
        "the broker checks the member's epoch, not which partitions it owns",
        ("commit-before-process",),
        "no-loss",
        "refuted",
        SOURCE,
        overrides=BROKER,
        protocol=CONSUMER,
    ),
    Claim(
        "consumer-protocol-zombie-processes-concurrently",
        "In a consumer group a member stalled past max.poll.interval.ms is still a zombie: it "
        "leaves at once, and the new owner processes its records while it still does",
        ("sync-per-batch",),
        "no-concurrent-duplicate",
        "refuted",
        SOURCE,
        ("stall",),
        overrides=ZOMBIE,
        protocol=CONSUMER,
    ),
    Claim(
        "consumer-protocol-sync-zombie-never-loses",
        "In a consumer group commitSync after each batch loses nothing when a member stalls, "
        "pauses or is cut off past its poll interval or session: the zombie's late commits get "
        "UNKNOWN_MEMBER_ID",
        ("sync-per-batch",),
        "no-loss",
        "holds",
        SOURCE,
        ("crash", "stall", "pause", "network-cut"),
        overrides=ZOMBIE,
        protocol=CONSUMER,
    ),
)
