"""Commit strategies: one small policy module each (DESIGN.md, Strategies)."""

from .async_per_batch import AsyncPerBatch
from .async_retry_naive import AsyncRetryNaive
from .async_retry_seq import AsyncRetrySeq
from .async_then_sync import AsyncThenSync
from .async_then_sync_processed import AsyncThenSyncProcessed
from .async_worker_commit_completed import AsyncWorkerCommitCompleted
from .auto import Auto
from .auto_store_after_process import AutoStoreAfterProcess
from .base import Strategy
from .commit_before_process import CommitBeforeProcess
from .commit_before_process_async import CommitBeforeProcessAsync
from .external_offsets import ExternalOffsets, ExternalOffsetsUnfenced
from .off_by_one import OffByOne
from .per_partition_sync import PerPartitionSync
from .sync_per_batch import SyncPerBatch
from .sync_per_record import SyncPerRecord

STRATEGIES: dict[str, type[Strategy]] = {
    s.name: s
    for s in (
        Auto,
        SyncPerBatch,
        SyncPerRecord,
        AsyncPerBatch,
        AsyncRetryNaive,
        AsyncRetrySeq,
        AsyncThenSync,
        AsyncThenSyncProcessed,
        PerPartitionSync,
        CommitBeforeProcess,
        CommitBeforeProcessAsync,
        OffByOne,
        AsyncWorkerCommitCompleted,
        AutoStoreAfterProcess,
        ExternalOffsets,
        ExternalOffsetsUnfenced,
    )
}
STRATEGY_NAMES = tuple(STRATEGIES)


def strategy_class(strategy: str | type[Strategy]) -> type[Strategy]:
    """By name, or a user's own class."""
    return STRATEGIES[strategy] if isinstance(strategy, str) else strategy


def make_strategy(strategy: str | type[Strategy]) -> Strategy:
    """A fresh strategy object (one per consumer instance): by name, or a user's own class."""
    return strategy_class(strategy)()


def describe(name: str) -> str:
    """One line for `offsim strategies`."""
    return STRATEGIES[name].summary
