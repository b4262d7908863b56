"""The catalogue's claims about transactions, read-process-write (the `transactional` strategy,
docs/exactly-once.md): exactly-once effects as a read_committed reader sees them, whatever
crashes (at every loop point, `in-commit` included), zombies, coordinator failovers and commit
errors do, with the Java client, with librdkafka and in a consumer group (KIP-848); what a
read_uncommitted reader sees instead; and the zombie fenced by KIP-447.

Only data, as `sim.claims.catalogue_settings`, whose fault-kind sets it shares.
"""

from __future__ import annotations

from types import MappingProxyType

from sim.claims.catalogue_commits import EVERY_FAULT
from sim.claims.catalogue_consumer_group import CONSUMER, TEST_BROKER
from sim.claims.catalogue_settings import LIVENESS
from sim.claims.claim import Claim

__all__ = ["TRANSACTION_CLAIMS"]

SOURCE = "docs/exactly-once.md, Transactions"
FAILOVERS = ("coordinator-failover", "txn-coordinator-failover")


def _settings(isolation: str) -> MappingProxyType:
    """The transactional strategy read downstream with `isolation`, and a poll interval below
    the 6 s session (so a stall, a pause or a cut makes a zombie, as `ZOMBIE`)."""
    return MappingProxyType(
        {
            "strategy": {"name": "transactional"},
            "transactions": {"isolation": isolation},
            "group": {"max_poll_interval_ms": 4_000},
        }
    )


TRANSACTION_CLAIMS: tuple[Claim, ...] = (
    Claim(
        "transactional-read-committed-exactly-once",
        "Results and consumed offsets in one transaction per batch (sendOffsetsToTransaction with "
        "the group metadata), read downstream with read_committed, leave every record exactly "
        "one effect: crashes at every point of the loop (commitTransaction in flight too), "
        "zombies, coordinator and transaction coordinator failovers, and commit errors included",
        ("transactional",),
        "exactly-once-effects",
        "holds",
        SOURCE,
        EVERY_FAULT + LIVENESS + FAILOVERS,
        overrides=_settings("read_committed"),
    ),
    Claim(
        "transactional-read-committed-exactly-once-librdkafka",
        "The same with librdkafka's consumer and transactional producer (confluent-kafka): its "
        "handlers take some errors otherwise than Java's (rdkafka_txnmgr.c), and its consumer "
        "asks for stable offsets because its isolation.level is read_committed; every record "
        "still leaves exactly one effect",
        ("transactional",),
        "exactly-once-effects",
        "holds",
        SOURCE,
        EVERY_FAULT + LIVENESS + FAILOVERS,
        client="librdkafka",
        overrides=_settings("read_committed"),
    ),
    Claim(
        "transactional-read-committed-exactly-once-kip848",
        "The same in a consumer group (KIP-848, the Java client): the transaction's offsets "
        "carry the member epoch, which the coordinator checks (ConsumerGroup."
        "validateOffsetCommit with isTransactional), and every record still leaves exactly one "
        "effect",
        ("transactional",),
        "exactly-once-effects",
        "holds",
        SOURCE + "; docs/kip848.md",
        EVERY_FAULT + LIVENESS + FAILOVERS,
        overrides=MappingProxyType({**_settings("read_committed"), "broker": TEST_BROKER}),
        protocol=CONSUMER,
    ),
    Claim(
        "transactional-read-uncommitted-sees-aborted",
        "The same pipeline read downstream with read_uncommitted (the Java consumer's default) "
        "is not exactly-once: the reader sees the results of aborted transactions, a second "
        "effect for records the transaction that replaced them committed",
        ("transactional",),
        "no-duplicate-effect",
        "refuted",
        SOURCE,
        ("crash",),
        overrides=_settings("read_uncommitted"),
    ),
    Claim(
        "transactional-zombie-fenced",
        "A zombie (a member stalled, paused or cut off past its poll interval or session) cannot "
        "commit its transaction: its TxnOffsetCommit is refused by the group's generation "
        "(KIP-447), it aborts, and a read_committed reader never sees its results",
        ("transactional",),
        "no-duplicate-effect",
        "holds",
        SOURCE,
        LIVENESS,
        overrides=_settings("read_committed"),
    ),
)
