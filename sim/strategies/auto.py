"""enable.auto.commit=true, under the client's own rules (tutorial claim 1; docs/semantics.md
§2, §3).

    props.put("enable.auto.commit", "true");
    while (running) { for (record : consumer.poll(timeout)) process(record); }

Java classic (`consumer.client = "java"`): the client commits positions itself, inside poll()
once the interval has passed, at the start of every rebalance, and in close(). With processing
finished inside the loop that is at-least-once.

librdkafka: offsets are stored when handed to the application and a background timer commits
them, so a crash mid-batch loses the records handed over but not processed. The Java new consumer
before KAFKA-18641 (`java-new-prefix`) likewise commits positions from its background thread.
"""

from .base import Strategy


class Auto(Strategy):
    name = "auto"
    summary = "enable.auto.commit: Java commits positions inside poll(); librdkafka on a timer"
    auto_commit = True
    idle_repeatable = True
