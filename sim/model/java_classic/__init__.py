"""The parts of the Java classic consumer (`sim.model.consumer.Consumer` composes them), one
concern each:

- `state`: the member states, NullObserver (the settings: `sim.model.client_config`).
- `application`: the application's poll loop and the client calls a strategy asks for.
- `worker`: async processing's worker queue.
- `fetch`: KafkaConsumer.poll() and the fetch positions.
- `membership`: JoinGroup/SyncGroup (eager and cooperative), generation resets, close().
- `rebalance_listener`: onJoinPrepare, onJoinComplete and the revoke.
- `commits`: commitSync, commitAsync, the commit gate and commit errors.
- `heartbeat`: the heartbeat thread's decisions and the coordinator's discovery.

The package owns no state itself: each part is a mixin over the state `Consumer.__init__` sets (the
mixins import only `state`). They never read a clock or perform I/O: everything that takes time is a
command yielded to the driver.
"""
