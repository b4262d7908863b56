"""The `transactional` strategy with kafka-python (3.0 and later have a transactional producer:
`KafkaProducer(transactional_id=...)`, `send_offsets_to_transaction` with the consumer's
`group_metadata()`), compared with the model's Java client.

`python -m sim.conformance.worker_txn_kafka_python SPEC.json`. The consumer pins
`api_version=(2, 0)` as the kafka-python consumer worker does. The producer pins (2, 5) (its
TxnOffsetCommit is then version 3, with the group metadata KIP-447 checks; Tansu refuses an
InitProducerId of version 1, which has no producer id and epoch fields: `DynoStore::init_producer`
answers UNKNOWN_SERVER_ERROR), except on the mock cluster, where (2, 5) never initialises and
(2, 0) does (a TxnOffsetCommit of version 2, without group metadata: the mock ignores it anyway).
"""

from __future__ import annotations

import json
import sys

from kafka import KafkaProducer, TopicPartition
from kafka.errors import KafkaError, ProducerFencedError
from kafka.structs import OffsetAndMetadata

from sim.conformance.worker_kafka_python import KafkaPythonWorker
from sim.conformance.worker_txn import TransactionalLoop


class KafkaPythonTxnWorker(TransactionalLoop, KafkaPythonWorker):
    commit_failed = KafkaError

    def open_consumer(self, spec: dict):
        self.producer = KafkaProducer(
            bootstrap_servers=spec["bootstrap"].split(","),
            transactional_id=spec["transactional_id"],
            transaction_timeout_ms=spec["transaction_timeout_ms"],
            api_version=(2, 0) if spec["backend"] == "mock" else (2, 5),
        )
        self.producer.init_transactions()
        return super().open_consumer(spec)

    def begin(self) -> None:
        self.producer.begin_transaction()

    def produce(self, p: int, o: int) -> None:
        self.producer.send(self.spec["output"], value=f"{p} {o}".encode(), partition=p).get(10)

    def send_offsets(self, offsets) -> None:
        tps = {TopicPartition(self.topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets}
        self.producer.send_offsets_to_transaction(tps, self.consumer.group_metadata())

    def commit_txn(self) -> None:
        self.producer.commit_transaction()

    def abort_txn(self) -> None:
        self.producer.abort_transaction()

    def fatal(self, error) -> bool:
        return isinstance(error, ProducerFencedError) or not isinstance(error, KafkaError)

    def rewind(self) -> None:
        for tp in self.consumer.assignment():
            self.consumer.seek(tp, self.consumer.committed(tp) or 0)


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        KafkaPythonTxnWorker(json.load(file)).run()
