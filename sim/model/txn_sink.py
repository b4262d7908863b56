"""The transactional sink: the output topic the `transactional` strategy writes, as its
downstream reader sees it.

The engine appends each processed slice's results to the output topic (`OutputTopic`, one output
record per input record, output partition = input partition, each batch's `source` the input
slice) and writes the transactions' markers into it. The effects are not counted as records are
produced: after the run, `read` lets one `Reader` with the scenario's isolation level read the
final topic from the start, and a visible output record is one effect of the input record it is
the result of. So `duplicate_effects` and `lost_effects` are the downstream reader's: with
read_committed, aborted and still-open transactions show nothing; with read_uncommitted, every
result ever produced shows, aborted ones too. It never reads a clock or draws a number.
"""

from __future__ import annotations

from .output_log import READ_COMMITTED, READ_UNCOMMITTED, OutputTopic, Reader
from .sink import Sink

# isolation.level when the scenario names none: the Java consumer's default is read_uncommitted
# (ConsumerConfig, DEFAULT_ISOLATION_LEVEL), librdkafka's read_committed (rdkafka_conf.c,
# "isolation.level").
DEFAULT_ISOLATION = {
    "java": READ_UNCOMMITTED,
    "java-new-prefix": READ_UNCOMMITTED,
    "librdkafka": READ_COMMITTED,
}


class TransactionalSink(Sink):
    kind = "transactional"
    absorbed_reason = "not-visible"  # never recorded: nothing is absorbed while producing

    def __init__(self, partitions: int, isolation: str):
        super().__init__(partitions)
        self.isolation = isolation
        self.topic = OutputTopic(partitions)
        self.read_records = 0  # data records the reader returned

    def apply(self, partition: int, start: int, end: int, generation: int = -1) -> int:
        raise TypeError("a transactional sink is written through its output topic")

    def read(self) -> None:
        """The downstream reader reads the whole output topic once, at the end of the run."""
        reader = Reader(self.topic, self.isolation)
        for p in range(self.partitions):
            for batch in reader.poll(p):
                source, start, end = batch.source
                self._room(source, end)[start:end] += 1
                self.total_effects += end - start
                self.read_records += batch.end - batch.start
