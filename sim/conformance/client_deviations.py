"""Where a real client is known to differ from the model's client it is compared with, and which
real outcomes each difference explains: the verdict `client deviates`.

kafka-python is compared with the model's Java client (`consumer.client = "java"`), whose
consumer coordinator it follows, but not everywhere (docs/conformance.md, "kafka-python,
compared with the Java client's model"). A difference applies to a scenario only where it is
written here, with the outcomes it explains (as the report writes one, `Outcome.text`); a real
outcome the model does not give and the difference does not explain stays a `mismatch`. Like a
backend's deviation, it is never counted as agreement.
"""

from __future__ import annotations

CLIENT_DEVIATES = "client deviates"

# kafka-python 3.0.12 (the same in its 3.1 development tree) against the Java client's
# clients/src/main/java/org/apache/kafka/clients/consumer/internals/.
COMMIT_ASYNC_SCHEDULED = (
    "kafka-python's commit_async only schedules the request on its I/O thread "
    "(kafka/coordinator/consumer.py ConsumerCoordinator._do_commit_offsets_async: "
    "self._manager.call_soon(self._send_offset_commit_request, ...); kafka/net/manager.py "
    "call_soon), which sends it later; Java's commitAsync writes it to the socket before it "
    "returns (ConsumerCoordinator.commitOffsetsAsync: client.pollNoWakeup()). A crash right "
    "after commit_async can beat kafka-python's request onto the wire: the batch that commit "
    "covered is read again, never with Java."
)
POSITIONS_KEPT = (
    "kafka-python keeps the position of a partition it keeps across an eager rebalance "
    "(kafka/coordinator/consumer.py ConsumerCoordinator._on_join_prepare_async leaves the "
    "assignment in place; kafka/consumer/subscription_state.py "
    "SubscriptionState.assign_from_subscribed, _apply_assignment, keeps the "
    "TopicPartitionState of every partition in both assignments); Java clears the assignment "
    "after the revoke callback (ConsumerCoordinator.onJoinPrepare, EAGER: "
    "subscriptions.assignFromSubscribed(Collections.emptySet())), so its partitions restart "
    "from the committed offsets. The REBALANCE_IN_PROGRESS answer makes both rejoin "
    "(_handle_offset_commit_response: request_rejoin; OffsetCommitResponseHandler.handle: "
    "requestRejoin) and get the partition back: kafka-python goes on from its position, "
    "Java re-reads what the refused commit covered."
)


def _each_partition(text: str, partitions: int = 3) -> frozenset[str]:
    """The outcome with `{p}` as each partition in turn (a batch from whichever partition the
    client fetched first)."""
    return frozenset(text.format(p=p) for p in range(partitions))


# (real client, scenario) -> (the difference, the real outcomes it explains).
KNOWN: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("kafka-python", "async-per-batch-after-commit"): (
        COMMIT_ASYNC_SCHEDULED,
        frozenset({"lost none; dup 0:10-19x2; committed 30"}),
    ),
    ("kafka-python", "async-then-sync-after-commit"): (
        COMMIT_ASYNC_SCHEDULED,
        frozenset({"lost none; dup 0:10-19x2; committed 30"}),
    ),
    # The crash comes after the next poll() handed over the 3rd batch: the 2nd batch's
    # commit (of the partition both came from) may still be on kafka-python's I/O thread.
    ("kafka-python", "async-per-batch-before-process"): (
        COMMIT_ASYNC_SCHEDULED,
        _each_partition("lost none; dup {p}:10-19x2; committed 20 20 20"),
    ),
    ("kafka-python", "sync-per-batch-rebalance-in-progress"): (
        POSITIONS_KEPT,
        frozenset({"lost none; dup none; committed 30"}),
    ),
    # The batch whose commit was refused is skipped (on_commit_error = "skip") and, its
    # position kept, never read again.
    ("kafka-python", "commit-before-process-rebalance-in-progress"): (
        POSITIONS_KEPT,
        frozenset({"lost 0:10-19; dup none; committed 30"}),
    ),
}


def client_deviation(client: str, scenario: str, unexplained) -> str | None:
    """The known difference of this client in this scenario, if it explains every real outcome
    the model does not give (`unexplained`); else None."""
    known = KNOWN.get((client, scenario))
    if known is None or not unexplained:
        return None
    why, explains = known
    if all(o.text() in explains for o in unexplained):
        return why
    return None
