"""The same poll loop with kafka-python, a client whose consumer coordinator follows the Java
classic client (auto commit inside poll(), commits of positions, the rebalance listener), compared
with the model's `client = "java"`.

`python -m sim.conformance.worker_kafka_python SPEC.json`. On librdkafka's mock cluster it needs
`api_version=(2, 0)` pinned: without it, it does not bootstrap.
"""

from __future__ import annotations

import json
import sys

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from sim.conformance.worker import Worker

ASSIGNORS = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}


class _Listener(ConsumerRebalanceListener):
    def __init__(self, worker):
        self.worker = worker

    def on_partitions_revoked(self, revoked):
        self.worker.on_revoke(None, revoked)

    def on_partitions_assigned(self, assigned):
        pass


class KafkaPythonWorker(Worker):
    commit_failed = KafkaError

    def open_consumer(self, spec: dict):
        self.futures: list = []  # commit_async's, until answered
        if self.name == "auto-store-after-process":
            raise SystemExit("auto-store-after-process is librdkafka's: no kafka-python worker")
        consumer = KafkaConsumer(
            bootstrap_servers=spec["bootstrap"].split(","),
            group_id=spec["group"],
            auto_offset_reset=spec["auto_offset_reset"],
            enable_auto_commit=self.name == "auto",
            auto_commit_interval_ms=spec["auto_commit_interval_ms"],
            session_timeout_ms=spec["session_timeout_ms"],
            heartbeat_interval_ms=spec["heartbeat_interval_ms"],
            max_poll_interval_ms=spec["max_poll_interval_ms"],
            max_poll_records=spec["max_poll_records"],
            partition_assignment_strategy=[ASSIGNORS[spec["assignor"]]],
            isolation_level=spec.get("isolation", "read_uncommitted"),  # the transactional's
            api_version=(2, 0),
        )
        consumer.subscribe([self.topic], listener=_Listener(self))
        return consumer

    def fetch(self, n: int, timeout_s: float) -> list:
        batch = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=n)
        return [(tp.partition, r.offset) for tp, records in batch.items() for r in records]

    def send_commit(self, offsets, asynchronous: bool) -> None:
        if offsets is not None:
            offsets = {
                TopicPartition(self.topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets
            }
        if asynchronous:
            self.futures.append(self.consumer.commit_async(offsets))
        else:
            self.consumer.commit(offsets)

    def pending_commits(self) -> int:
        """commit_async's requests not yet answered (a sync commit returns with its answer)."""
        self.futures = [f for f in self.futures if not f.is_done]
        return len(self.futures)

    def assigned(self) -> set[int]:
        return {tp.partition for tp in self.consumer.assignment()}

    def positions(self) -> dict[int, int]:
        return {tp.partition: self.consumer.position(tp) for tp in self.consumer.assignment()}


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        KafkaPythonWorker(json.load(file)).run()
