"""Offsets stored with the results, outside Kafka (docs/exactly-once.md, External offsets): auto
commit off, nothing committed to Kafka; each record's result and the next offset to read are
written in one atomic write to the store, and a new owner seeks to the stored offset on
assignment (the pattern of KafkaConsumer's javadoc, "Storing Offsets Outside Kafka").

    onPartitionsAssigned(parts) -> for (p : parts) {
        Long next = store.claim(p, consumer.groupMetadata().generationId());
        if (next != null) consumer.seek(p, next);      // else auto.offset.reset
    }
    while (running) {
        for (record : consumer.poll(timeout))
            store.write(result(record), record.partition(), record.offset() + 1, generation);
    }

The store is a conditional write fenced by the owner's generation: `claim` raises the partition's
fence to the new owner's generation, and a write from an older generation (a zombie still
processing after its partitions moved) is refused. `external-offsets-unfenced` writes
unconditionally: a zombie's write lands, a second effect, and the stored offset may move back.
The writes themselves are the engine's (the sink, `sim.model.sink.ExternalOffsetsSink`): a
strategy only claims and seeks.
"""

from .base import Seek, Strategy


class ExternalOffsets(Strategy):
    name = "external-offsets"
    summary = "result and offset written atomically to a store fenced by generation; seek on assign"
    idle_repeatable = True
    sink = "external-offsets"  # the sink this strategy brings, whatever the scenario's
    fenced = True

    def on_assigned(self, consumer, partitions):
        store = consumer.external_store
        calls = []
        for p in partitions:
            stored = store.claim(p, consumer.generation)
            if stored is not None:
                calls.append(Seek(p, stored))
        return calls


class ExternalOffsetsUnfenced(ExternalOffsets):
    name = "external-offsets-unfenced"
    summary = "the same store written unconditionally: a zombie's write lands"
    fenced = False
