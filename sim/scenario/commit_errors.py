"""The `commit-error` fault: a commit request answered with an error, and which errors each request
may be answered with (its coordinator's, from Kafka's sources; docs/scenarios.md,
docs/exactly-once.md). It says what the fault is; the engine injects it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_serializer, model_validator

from sim.scenario.base import Table, problem

COMMIT_ERROR_CODES = (
    "REBALANCE_IN_PROGRESS",
    "ILLEGAL_GENERATION",
    "UNKNOWN_MEMBER_ID",
    "NOT_COORDINATOR",
    "COORDINATOR_NOT_AVAILABLE",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "REQUEST_TIMED_OUT",
)
# What the group coordinator may answer a TxnOffsetCommit: a group error (never
# REBALANCE_IN_PROGRESS: validateTransactionalOffsetCommit does not check the group's state), or
# the producer's, from the append to __consumer_offsets.
TXN_OFFSET_ERROR_CODES = COMMIT_ERROR_CODES[1:] + ("INVALID_PRODUCER_EPOCH", "UNKNOWN_PRODUCER_ID")
# What the transaction coordinator may answer AddPartitionsToTxn, AddOffsetsToTxn and EndTxn
# (TransactionCoordinator, KafkaApis).
TXN_ERROR_CODES = (
    "NOT_COORDINATOR",
    "COORDINATOR_NOT_AVAILABLE",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "CONCURRENT_TRANSACTIONS",
    "REQUEST_TIMED_OUT",
    "PRODUCER_FENCED",
    "INVALID_PRODUCER_EPOCH",
    "UNKNOWN_PRODUCER_ID",
    "INVALID_PRODUCER_ID_MAPPING",
    "INVALID_TXN_STATE",
    "TRANSACTION_ABORTABLE",
)
# The requests a commit-error fault may name, and the errors each may be answered with; omitted,
# the group's commits: OffsetCommit, and TxnOffsetCommit but for REBALANCE_IN_PROGRESS.
COMMIT_ERROR_REQUESTS = {
    "OffsetCommit": COMMIT_ERROR_CODES,
    "TxnOffsetCommit": TXN_OFFSET_ERROR_CODES,
    "AddPartitionsToTxn": TXN_ERROR_CODES,
    "AddOffsetsToTxn": TXN_ERROR_CODES,
    "EndTxn": TXN_ERROR_CODES,
}
ANY_COMMIT_ERROR = tuple(
    dict.fromkeys(e for codes in COMMIT_ERROR_REQUESTS.values() for e in codes)
)


class CommitErrorFault(Table):
    """A commit request answered with this error code in [from_ms, to_ms], or for the nth (to
    nth+times-1th) such request the coordinator receives from `consumer` (from the group when
    omitted), as librdkafka's mock cluster does with a stack of request errors. `request` names
    it (COMMIT_ERROR_REQUESTS, each with the errors its coordinator may answer); omitted, the
    group's commits, OffsetCommit and TxnOffsetCommit."""

    kind: Literal["commit-error"] = "commit-error"
    error: Literal[ANY_COMMIT_ERROR]
    request: Literal[tuple(COMMIT_ERROR_REQUESTS)] | None = None
    from_ms: int = Field(0, ge=0)
    to_ms: int | None = Field(None, ge=0)  # omitted: run.duration_ms
    probability: float = Field(1.0, gt=0, le=1)
    consumer: int | None = Field(None, ge=0)  # None: any consumer
    nth: int | None = Field(None, ge=1)  # counted by request, retries included
    times: int | None = Field(None, ge=1)  # with nth: that many in a row (omitted: 1)

    @model_validator(mode="after")
    def _nth_or_window(self) -> CommitErrorFault:
        allowed = COMMIT_ERROR_REQUESTS[self.request or "OffsetCommit"]
        if self.error not in allowed:
            raise problem(
                f"{self.error} is not an answer to {self.request or 'OffsetCommit'}",
                ", ".join(f'"{e}"' for e in allowed),
                "error",
            )
        if self.nth is None:
            if self.times is not None:
                raise problem(
                    "times counts requests from nth, and nth is not set",
                    "times only together with nth",
                    "times",
                )
            return self
        window = {"from_ms": 0, "to_ms": None, "probability": 1.0}  # a dump writes the defaults
        for name, default in window.items():
            if getattr(self, name) != default:
                raise problem(
                    f"{name} is a window setting, and nth picks requests by count",
                    "either nth (and times) or a window (from_ms, to_ms, probability)",
                    name,
                )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        """With nth the window settings are not in force: a dump (a replay file) leaves their
        defaults out, so it reads as what it is, a count."""
        data = handler(self)
        if self.nth is not None:
            data.pop("from_ms", None)
            data.pop("probability", None)
        return data

    def hits(self, count: int) -> bool:
        """Is the count-th request (from 1) of this fault's consumer among the failed ones?"""
        return self.nth <= count < self.nth + (self.times or 1)
