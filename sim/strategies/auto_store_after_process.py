"""librdkafka auto commit with the application storing its offsets after processing: the
pattern librdkafka's docs recommend (INTRODUCTION.md, "Offset management"; CONFIGURATION.md,
enable.auto.offset.store; docs/semantics.md §3).

    conf.set("enable.auto.commit", "true");
    conf.set("enable.auto.offset.store", "false");
    while (running) {
        msg = consumer.poll(timeout);
        process(msg);
        consumer.offsets_store(msg);          // offset + 1, once processed
    }

The background timer then commits only what was stored, that is processed: a crash mid-batch
re-processes the unstored rest (duplicates) and loses nothing. The Java clients have no offset
store: under them this strategy runs as `auto`.
"""

from .base import Strategy


class AutoStoreAfterProcess(Strategy):
    name = "auto-store-after-process"
    summary = "librdkafka auto commit, enable.auto.offset.store=false, store after processing"
    auto_commit = True
    auto_offset_store = False
    idle_repeatable = True
