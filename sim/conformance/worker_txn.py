"""The `transactional` strategy as a real read-process-write application (KIP-447): each batch's
results produced to the output topic and its next offsets sent to the group inside one
transaction of the slot's transactional producer, then committed.

`python -m sim.conformance.worker_txn SPEC.json` (confluent-kafka). The consumer has auto commit
off and the scenario's isolation level; the producer's transactional.id is the slot's in every
incarnation, so a restart's `init_transactions()` fences the crashed one and aborts its open
transaction. Each result is a record `"partition offset"` of the input record, produced to the
same partition of the output topic and flushed before the loop goes on (the model appends a
result as its record finishes), so a crash point after a record finds its result in the log.
Loop points as the model's (sim/model/txn_loop.py): `before-process` after beginTransaction,
`mid-batch` after the k-th result, `before-commit` before sendOffsetsToTransaction,
`after-commit` after commitTransaction. An abortable error aborts and rewinds to the committed
offsets; a fatal one (fenced) ends the process.
"""

from __future__ import annotations

import json
import sys

from confluent_kafka import OFFSET_BEGINNING, KafkaException, Producer, TopicPartition

from sim.conformance.worker import Worker, _next_offsets


class TransactionalLoop:
    """The loop's transactional half, over a client's producer calls (`begin`, `produce`,
    `send_offsets`, `commit_txn`, `abort_txn`, `rewind`, `fatal`); mixed into a Worker."""

    def handle(self, messages) -> bool:
        self.begin()
        return super().handle(messages)

    def process(self, p: int, o: int) -> None:
        super().process(p, o)  # the processing's own effect line: how the controller settles
        self.produce(p, o)

    def after_batch(self, messages) -> None:
        if not messages:
            return
        self.point("before-commit")
        try:
            self.send_offsets(_next_offsets(messages))
            self.commit_txn()
        except Exception as error:
            if self.fatal(error):
                raise SystemExit(f"fatal: {error}") from None
            print(f"aborted: {error}", file=sys.stderr, flush=True)  # shown when debugging
            self.abort_txn()
            self.rewind()
            return
        self.point("after-commit")


class TxnWorker(TransactionalLoop, Worker):
    def open_consumer(self, spec: dict):
        self.producer = Producer(
            {
                "bootstrap.servers": spec["bootstrap"],
                "transactional.id": spec["transactional_id"],
                "transaction.timeout.ms": spec["transaction_timeout_ms"],
                "log_level": 3,
            }  # fmt: skip
        )
        self.producer.init_transactions(30)  # before the first poll, as an application does
        return super().open_consumer(spec)  # auto commit off, the isolation level

    def begin(self) -> None:
        self.producer.begin_transaction()

    def produce(self, p: int, o: int) -> None:
        self.producer.produce(self.spec["output"], value=f"{p} {o}".encode(), partition=p)
        if self.producer.flush(10):
            raise RuntimeError("a result not delivered within 10 s")

    def send_offsets(self, offsets) -> None:
        tps = [TopicPartition(self.topic, p, o) for p, o in offsets]
        metadata = self.consumer.consumer_group_metadata()
        self.producer.send_offsets_to_transaction(tps, metadata, 30)

    def commit_txn(self) -> None:
        while True:
            try:
                return self.producer.commit_transaction(30)
            except KafkaException as error:
                if not error.args[0].retriable():
                    raise

    def abort_txn(self) -> None:
        self.producer.abort_transaction(30)

    def fatal(self, error) -> bool:
        """Abortable (txn_requires_abort) or else fatal (fenced, say): rdkafka_txnmgr.c."""
        if isinstance(error, KafkaException):
            return not error.args[0].txn_requires_abort()
        return True

    def rewind(self) -> None:
        """Back to the committed offsets of every assigned partition (KIP-447's example)."""
        held = self.consumer.assignment()
        for tp in self.consumer.committed(held, timeout=10) if held else []:
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self.consumer.seek(TopicPartition(tp.topic, tp.partition, offset))


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        TxnWorker(json.load(file)).run()
