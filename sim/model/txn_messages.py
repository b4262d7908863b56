"""What crosses the network between a transactional producer and its transaction coordinator.

Requests and responses of Kafka's transaction protocol, in Kafka's names (InitProducerIdRequest,
AddPartitionsToTxnRequest, AddOffsetsToTxnRequest, EndTxnRequest). The TxnOffsetCommit, which
goes to the group coordinator, is in `sim.model.messages`. A partition of a transaction is a
(topic, partition) pair; the consumed offsets of a group travel in the transaction as the group's
`__consumer_offsets` partition, (OFFSETS_TOPIC, group id). It owns the message types only; it
never decides anything: the producer and the coordinators do.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
OFFSETS_TOPIC = "__consumer_offsets"

TopicPartition = tuple[str, object]  # (topic, partition); (OFFSETS_TOPIC, group id)


@dataclass(frozen=True, slots=True)
class InitProducerId:
    """initTransactions(): a producer id and epoch for `transactional_id`. A producer that
    already has one may send it (KIP-360) to bump its own epoch after an abortable error."""

    transactional_id: str
    transaction_timeout_us: int  # transaction.timeout.ms
    producer_id: int = NO_PRODUCER_ID
    epoch: int = NO_PRODUCER_EPOCH


@dataclass(frozen=True, slots=True)
class InitProducerIdResponse:
    error: str | None
    producer_id: int = NO_PRODUCER_ID
    epoch: int = NO_PRODUCER_EPOCH


@dataclass(frozen=True, slots=True)
class AddPartitionsToTxn:
    """The first send() to a partition inside a transaction adds it (maybeAddPartition)."""

    transactional_id: str
    producer_id: int
    epoch: int
    partitions: tuple[TopicPartition, ...]


@dataclass(frozen=True, slots=True)
class AddOffsetsToTxn:
    """sendOffsetsToTransaction(), first step: the group's __consumer_offsets partition joins the
    transaction (KafkaApis.handleAddOffsetsToTxnRequest adds it as a partition)."""

    transactional_id: str
    producer_id: int
    epoch: int
    group_id: str


@dataclass(frozen=True, slots=True)
class EndTxn:
    """commitTransaction() (`commit`) or abortTransaction()."""

    transactional_id: str
    producer_id: int
    epoch: int
    commit: bool


@dataclass(frozen=True, slots=True)
class TxnResponse:
    """The answer to AddPartitionsToTxn, AddOffsetsToTxn and EndTxn: one error (None: done)."""

    error: str | None
