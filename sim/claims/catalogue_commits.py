"""The catalogue's claims about commit strategies themselves: the Java classic consumer, each
batch processed in the poll loop, the catalogue's small scenario as it is.

What tutorials say about when to commit (tutorial claims 1 to 7, docs/claims.md) and the
commit pitfalls of docs/semantics.md, each with the faults under which it promises to hold.
Only data: what a claim means is `sim.claims.claim`; claims that change a setting beyond the
strategy (the client, the processing, the protocol, the sink) are `sim.claims.catalogue_settings`.
"""

from __future__ import annotations

from sim.claims.claim import MAX_POLL_RECORDS, Claim

__all__ = ["COMMIT_CLAIMS", "EVERY_FAULT", "NO_POISON", "SYNC"]

EVERY_FAULT = ("crash", "processing-error", "leave", "join", "commit-error", "lost-response")
NO_POISON = ("crash", "leave", "join", "commit-error", "lost-response")
SYNC = ("sync-per-batch", "per-partition-sync")

COMMIT_CLAIMS: tuple[Claim, ...] = (
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
)
