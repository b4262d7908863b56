"""Where a sweep's tasks run: in this process, on local processes, or on a Dask cluster.

Each executor yields (task, summary) pairs as runs finish, in whatever order they finish; the
summary is `RunResult.summary()`, plain data (a RunResult holds the ledger and is not picklable).
A run is a pure function of its task (docs/model.md, Time and randomness), so the executor
changes when a result arrives, never what it is. Tasks travel in contiguous chunks to amortise
the round trip; the chunk size changes nothing but overhead.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from sim.api import run
from sim.sweep.spec import Task

MAX_CHUNK = 16
CONNECT_TIMEOUT = "10s"


class ExecutorError(Exception):
    """The executor cannot start (a missing extra, an unreachable scheduler): the user's to fix."""


def run_chunk(tasks: Sequence[Task]) -> list[dict]:
    """The worker's side: run each task, send back its summary."""
    return [run(t.scenario, seed=t.seed, strategy=t.strategy).summary() for t in tasks]


def chunks(tasks: Sequence[Task], workers: int) -> list[Sequence[Task]]:
    """About four chunks per worker so none idles at the end, at most MAX_CHUNK tasks each."""
    size = max(1, min(MAX_CHUNK, math.ceil(len(tasks) / (4 * workers))))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def execute(
    tasks: Sequence[Task], workers: int = 1, scheduler: str | None = None
) -> Iterator[tuple[Task, dict]]:
    """(task, summary) pairs as runs finish: in this process, on `workers` local processes, or
    on the Dask cluster whose scheduler is at `scheduler`."""
    if scheduler:
        return run_dask(tasks, scheduler)
    if workers <= 1:
        return run_serial(tasks)
    return run_processes(tasks, workers)


def run_serial(tasks: Sequence[Task]) -> Iterator[tuple[Task, dict]]:
    for task in tasks:
        yield task, run_chunk([task])[0]


def run_processes(tasks: Sequence[Task], workers: int | None = None) -> Iterator[tuple[Task, dict]]:
    """On `workers` local processes (default: one per CPU)."""
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = {pool.submit(run_chunk, chunk): chunk for chunk in chunks(tasks, workers)}
        try:
            for future in as_completed(pending):
                yield from zip(pending[future], future.result(), strict=True)
        finally:
            for future in pending:
                future.cancel()


def run_dask(tasks: Sequence[Task], address: str) -> Iterator[tuple[Task, dict]]:
    """On the Dask distributed cluster whose scheduler is at `address`; its workers need offsim
    installed. `distributed` is imported only here: it is the optional `sweep` extra."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ExecutorError(
            "--scheduler needs the Dask distributed client: pip install 'offsim[sweep]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {e}") from None
    with client:
        parts = chunks(tasks, max(1, sum(client.nthreads().values())))
        # pure=False: keys need not be hashed from the tasks (a run is pure, but hashing a
        # scenario costs more than naming a chunk).
        futures = client.map(run_chunk, parts, pure=False)
        pending = dict(zip(futures, parts, strict=True))
        try:
            for future, summaries in dask_completed(futures, with_results=True):
                yield from zip(pending[future], summaries, strict=True)
        finally:
            client.cancel(futures)
