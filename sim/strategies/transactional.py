"""Transactions, read-process-write (docs/exactly-once.md, Transactions): auto commit off, the
consumer never commits; each batch's results go to the output topic and its next offsets go to
the group inside one transaction of the slot's transactional producer (KIP-447:
sendOffsetsToTransaction with the consumer's group metadata), committed after the batch.

    producer.initTransactions();                      // transactional.id "app-<slot>"
    while (running) {
        records = consumer.poll(timeout);
        producer.beginTransaction();
        for (record : records) producer.send(result(record));
        producer.sendOffsetsToTransaction(nextOffsets(records), consumer.groupMetadata());
        producer.commitTransaction();
    }

What each call sends and what its errors do is the model's (`sim.model.txn_loop`); the strategy
only says when. A downstream reader of the output topic sees the results with the scenario's
`transactions.isolation`.
"""

from sim.model.txn_loop import BeginTransaction, CommitTransaction, InitTransactions

from .base import Strategy


class Transactional(Strategy):
    name = "transactional"
    summary = "results and offsets in one Kafka transaction per batch (KIP-447)"
    idle_repeatable = True
    sink = "transactional"  # the output topic, read downstream with transactions.isolation

    @classmethod
    def unsupported(cls, scenario) -> str | None:
        if scenario.consumer.client == "java-new-prefix":
            return "the transactional strategy is modelled with the Java and librdkafka clients"
        if not scenario.consumer.rebalance_callback:
            return (
                "the transactional strategy's application initialises its producer in its "
                "rebalance callback (consumer.rebalance_callback = true)"
            )
        if scenario.consumer.processing != "sync":
            return "the transactional strategy processes each batch inside its transaction (sync)"
        if scenario.group.protocol == "consumer" and scenario.consumer.client != "java":
            return (
                "the transactional strategy is modelled in a consumer group (KIP-848) with the "
                "Java client only"
            )
        return None

    def on_assigned(self, consumer, partitions):
        return [InitTransactions()]

    def before_process(self, consumer, batch):
        return [BeginTransaction(tuple(sorted({p for p, _, _ in batch.slices})))]

    def after_batch(self, consumer, batch):
        return [CommitTransaction(batch.next_offsets)] if batch.records else []
