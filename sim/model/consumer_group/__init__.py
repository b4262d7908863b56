"""The consumer group protocol of KIP-848 (`group.protocol = "consumer"`), as pure state machines.

- `messages`: ConsumerGroupHeartbeat and its response, the epochs with a meaning, OffsetFetch
  with a member epoch.
- `assignors`: the broker's assignors, `uniform` (the default) and `range`.
- `reconciliation`: how one member moves towards its target assignment (CurrentAssignmentBuilder):
  a partition is revoked from its owner before another member gets it.
- `coordinator`: the group coordinator of a consumer group: epochs, the target assignment, session
  and rebalance timeouts, static members, commits checked against the member's own epoch; its
  parts are `coordinator_checks`, `coordinator_fencing`, `coordinator_offsets` and
  `coordinator_outputs`.
- `java_membership` and `java_heartbeat`: the Java AsyncKafkaConsumer's membership manager and
  heartbeat manager; `librdkafka`: librdkafka's `rd_kafka_cgrp_consumer_*` paths.

The package owns these state machines; its modules never read a clock, sleep or draw a number:
every input carries the current time, and a timeout is an output asking the driver for a timer.
docs/kip848.md lists every rule with its source.
"""
