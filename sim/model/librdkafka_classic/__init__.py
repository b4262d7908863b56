"""The parts of the librdkafka classic consumer (`sim.model.librdkafka.LibrdkafkaConsumer` composes
them over the Java classic consumer it subclasses), one concern each:

- `offset_store`: the consumer queue (consume(n), the fetch rotation) and the stored offsets.
- `commit_ops`: the commit operations the client's thread serves, their retries and deferrals,
  the background auto-commit timer, and the coordinator they wait for.
- `rebalance`: rebalance notices, the revoke with its commit, close().
- `thread_rejoin`: without a rebalance callback, the thread's own unassign and rejoin.

The package owns no state itself: each part is a mixin over the state `LibrdkafkaConsumer.__init__`
sets; none imports another part. They never read a clock or perform I/O.
"""
