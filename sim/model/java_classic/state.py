"""What every part of the Java classic consumer shares: the member states as the client sees them
(AbstractCoordinator.MemberState), the settings the model needs, and a null observer.

It owns no behaviour and never changes a consumer: the parts that do are the other modules of
`sim.model.java_classic`."""

from __future__ import annotations

from dataclasses import dataclass

NO_GENERATION = -1
# The client's own view of its membership (AbstractCoordinator.MemberState).
UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"


@dataclass(frozen=True)
class ClientConfig:
    """The client settings the model needs, in microseconds."""

    partitions: int
    max_poll_records: int
    poll_timeout_us: int
    retry_backoff_us: int  # retry.backoff.ms: the first retry's wait, doubling ...
    retry_backoff_max_us: int  # ... up to retry.backoff.max.ms
    api_timeout_us: int  # default.api.timeout.ms: commitSync's deadline
    close_timeout_us: int  # close()'s default timeout (30 s)
    session_timeout_us: int
    rebalance_timeout_us: int  # max.poll.interval.ms, sent with JoinGroup
    auto_commit_interval_us: int
    auto_offset_reset: str
    assignor: str
    error_policy: str | None  # overrides the strategy's policy for a failed commitSync
    processing: str = "sync"  # "async": records go to a worker thread through a bounded queue
    worker_queue_records: int = 1_000  # the worker queue's capacity (async processing)
    # librdkafka: the application registered a rebalance callback (confluent-kafka always does)
    rebalance_callback: bool = True
    remote_assignor: str | None = None  # group.remote.assignor (group.protocol = "consumer")


class NullObserver:
    """Records nothing: for driving a consumer by hand."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None
