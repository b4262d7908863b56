"""The `transactional` strategy on both sides: its effects are what a downstream reader of the
output topic sees, with the scenario's `[transactions] isolation`.

Real side: a `RealRun` with transactional workers (`worker_txn`, `worker_txn_kafka_python`) and
an output topic; once the group has settled, one consumer with that isolation level reads the
output topic from the start, and each result record (`"partition offset"` of its input record)
it returns is one effect. Model side: the model's own reader (`TransactionalSink`, read at the
end of the run, sim/model/txn_sink.py) gives the effects per input offset. The committed offsets
are the group's on both sides (on the model's, the transactional commits its COMMIT markers
applied).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sim.conformance.clients import Unsupported, check_supported
from sim.conformance.outcome import Outcome, effects_outcome, from_counts
from sim.conformance.real import RealRun, _spread

WORKERS = {
    "confluent-kafka": "sim.conformance.worker_txn",
    "kafka-python": "sim.conformance.worker_txn_kafka_python",
}
IDLE_S = 3.0  # the reader stops after this long without a record, at the end of every partition


class TxnRun(RealRun):
    @property
    def output(self) -> str:
        return self.topic + "-out"

    def outcome(self) -> Outcome:
        s = self.scenario
        self.backend.create_topic(self.output, s.topic.partitions, self.group)
        try:
            settled = super().outcome()  # the processing's effects: how the run settles
            isolation = _isolation(s)
            lines = read_output(self.backend.bootstrap, self.output, s.topic.partitions, isolation)
        finally:
            self.backend.cleanup(self.output, self.group)
        ends = _spread(s.topic.initial_records, s.topic.partitions)
        return effects_outcome(lines, ends, settled.committed)


def _isolation(scenario) -> str:
    from sim.conformance.spec import transaction_settings

    return transaction_settings(scenario, "", 0)["isolation"]


def read_output(bootstrap: str, topic: str, partitions: int, isolation: str) -> list[str]:
    """Every result record a consumer with `isolation` reads from the start of the output topic:
    until it has reached the high watermark of every partition (read_uncommitted), or nothing
    came for IDLE_S (read_committed stops at the last stable offset and its position does not
    pass the last marker)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": topic + "-reader",
            "enable.auto.commit": False,
            "isolation.level": isolation,
            "log_level": 0,
        }  # fmt: skip
    )
    tps = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)]
    reader.assign(tps)
    lines: list[str] = []
    try:
        highs = [reader.get_watermark_offsets(tp, timeout=10)[1] for tp in tps]
        last = time.monotonic()
        while time.monotonic() - last < IDLE_S:
            for m in reader.consume(100, 0.2):
                if m.error() is None:
                    lines.append(m.value().decode())
                    last = time.monotonic()
            positions = [tp.offset for tp in reader.position(tps)]
            if all(pos >= high for pos, high in zip(positions, highs, strict=True)):
                break
    finally:
        reader.close()
    return lines


def run_txn(scenario, backend, client: str = "confluent-kafka") -> Outcome:
    """One real run of a transactional scenario, in a scratch folder removed after."""
    check_supported(scenario, backend, client)
    if client not in WORKERS:
        raise Unsupported(f"the {client} worker has no transactional producer")
    for i, fault in enumerate(scenario.faults):
        if getattr(fault, "at", None) == "in-commit":
            raise Unsupported(f"faults[{i}]: in-commit (EndTxn sent, unanswered) has no real point")
    with tempfile.TemporaryDirectory(prefix="offsim-conform-") as folder:
        return TxnRun(scenario, backend, Path(folder), WORKERS[client]).outcome()


def model_txn_outcome(scenario, seed: int) -> Outcome:
    """The model's outcome of a transactional run: effects per input offset as its downstream
    reader saw them, the group's last applied commit per partition."""
    from sim.conformance.outcome import applied_commits
    from sim.engine.simulation import Simulation

    ledger, sink = Simulation(scenario, seed, scenario.strategy.name).run()
    counts = {}
    for p in range(ledger.partitions):
        seen = list(sink.visible(p))
        end = int(ledger.log_end[p])
        counts[p] = (seen + [0] * end)[:end]
    return from_counts(counts, applied_commits(ledger))
