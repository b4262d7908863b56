"""Commit strategies: one small policy module each, and how a strategy is named.

A strategy is named by its kebab-case name (`sync-per-batch`) when it ships with offsim, or by
an import path, `package.module:ClassName`, when it is one's own `Strategy` subclass: the same
text works in a scenario file, a sweep file, a claims file and on every command line
(docs/strategies.md).
"""

import importlib
import re

from .async_per_batch import AsyncPerBatch
from .async_retry_naive import AsyncRetryNaive
from .async_retry_seq import AsyncRetrySeq
from .async_then_sync import AsyncThenSync
from .async_then_sync_processed import AsyncThenSyncProcessed
from .async_worker_commit_completed import AsyncWorkerCommitCompleted
from .auto import Auto
from .auto_store_after_process import AutoStoreAfterProcess
from .base import (
    Batch,
    CommitAsync,
    CommitResult,
    CommitSync,
    DrainWorker,
    Pause,
    Resume,
    Seek,
    Strategy,
)
from .commit_before_process import CommitBeforeProcess
from .commit_before_process_async import CommitBeforeProcessAsync
from .external_offsets import ExternalOffsets, ExternalOffsetsUnfenced
from .off_by_one import OffByOne
from .per_partition_sync import PerPartitionSync
from .sync_per_batch import SyncPerBatch
from .sync_per_record import SyncPerRecord
from .transactional import Transactional

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
        Transactional,
    )
}
STRATEGY_NAMES = tuple(STRATEGIES)


__all__ = [
    "STRATEGIES", "STRATEGY_NAMES", "Batch", "CommitAsync", "CommitResult", "CommitSync",
    "DrainWorker", "Pause", "Resume", "Seek", "Strategy", "StrategyError", "describe",
    "make_strategy", "resolve_strategy", "strategy_class", "strategy_label",
    "strategy_reference",
]  # fmt: skip

REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
REFERENCE_FORM = '"package.module:ClassName" (a Strategy subclass of your own)'


class StrategyError(ValueError):
    """A strategy name or import path that names no strategy: the user's to fix."""


def resolve_strategy(reference: str) -> type[Strategy]:
    """The class a shipped name or a `module:Class` import path names."""
    if reference in STRATEGIES:
        return STRATEGIES[reference]
    if not REFERENCE.fullmatch(reference):
        raise StrategyError(f"{reference!r} is not a strategy")
    module_name, _, qualname = reference.partition(":")
    try:
        found = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except ImportError as error:
        raise StrategyError(f"cannot import {reference!r}: {error}") from None
    except AttributeError:
        raise StrategyError(f"{module_name} has no {qualname}") from None
    if not (isinstance(found, type) and issubclass(found, Strategy)):
        raise StrategyError(f"{reference!r} is not a subclass of sim.strategies.Strategy")
    return found


def strategy_reference(strategy: str | type[Strategy]) -> str | None:
    """What a file can name `strategy` by: a shipped name, or the import path that gives back
    this very class; None for a class no import path reaches (one defined in `__main__`, a
    notebook or a function), which no other process could load."""
    if isinstance(strategy, str):
        return strategy
    if STRATEGIES.get(strategy.name) is strategy:
        return strategy.name
    reference = f"{strategy.__module__}:{strategy.__qualname__}"
    if strategy.__module__ == "__main__" or not REFERENCE.fullmatch(reference):
        return None
    try:
        return reference if resolve_strategy(reference) is strategy else None
    except StrategyError:
        return None


def strategy_label(strategy: str | type[Strategy]) -> str:
    """How results name a strategy: its shipped name or import path, as the user gave it; a
    class of one's own by its `name`, else its import path, else its class name."""
    if isinstance(strategy, str):
        return strategy
    return strategy.name or strategy_reference(strategy) or strategy.__qualname__


def strategy_class(strategy: str | type[Strategy]) -> type[Strategy]:
    """The class of a shipped name, an import path, or a class of one's own."""
    return resolve_strategy(strategy) if isinstance(strategy, str) else strategy


def make_strategy(strategy: str | type[Strategy]) -> Strategy:
    """A fresh strategy object (one per consumer instance): by name or import path, or a class."""
    return strategy_class(strategy)()


def describe(name: str) -> str:
    """One line for `offsim strategies`."""
    return STRATEGIES[name].summary
