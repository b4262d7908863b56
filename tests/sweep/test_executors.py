"""Executors change when a result arrives, never what it is: the same digests everywhere."""

import pytest

from sim.sweep.executors import ExecutorError, run_dask, run_processes, run_serial


def digests(results):
    return {task.key: summary["trace_digest"] for task, summary in results}


def test_two_processes_match_serial(tiny):
    tasks = tiny.tasks()
    serial = digests(run_serial(tasks))
    assert len(serial) == len(tasks)
    assert digests(run_processes(tasks, workers=2)) == serial


def test_dask_matches_serial(tiny):
    """A LocalCluster on loopback (threads, in this process) gives the serial digests."""
    distributed = pytest.importorskip(
        "distributed", reason="the optional `sweep` extra (pip install 'offsim[sweep]')"
    )
    tasks = tiny.tasks()[:8]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        assert digests(run_dask(tasks, cluster.scheduler_address)) == digests(run_serial(tasks))


def test_dask_missing_names_the_extra(tiny, monkeypatch):
    """Without `distributed`, --scheduler fails with one line naming the extra to install."""
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    with pytest.raises(ExecutorError, match=r"pip install 'offsim\[sweep\]'"):
        next(run_dask(tiny.tasks(), "tcp://127.0.0.1:1"))
