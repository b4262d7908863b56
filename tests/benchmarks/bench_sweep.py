"""A sweep's wall time on 1 and on 2 local worker processes, and their ratio (these machines are
shared: quote the ratio, not the times).

    python tests/benchmarks/bench_sweep.py [--sweep FILE] [--repeat K]

Both sides go through the same process pool (`run_processes`), so the ratio measures scaling,
not the cost of starting a pool; the in-process serial time is printed beside them. CPU seconds
(this process's, plus its reaped workers') are printed too: on a loaded machine the wall-time
ratio says how many cores were free, the CPU time what the sweep itself cost. The digests of the
three must be equal (README, Determinism), and the benchmark checks that they are.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from sim.sweep.executors import run_processes, run_serial
from sim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]


def cpu_seconds() -> float:
    own, workers = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def timed(results) -> tuple[float, float, dict]:
    """Wall and CPU seconds to drain an executor (its pool shut down), and each key's digest."""
    start, cpu = time.perf_counter(), cpu_seconds()
    digests = {task.key: summary["trace_digest"] for task, summary in results}
    return time.perf_counter() - start, cpu_seconds() - cpu, digests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", default="commit-interval")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sweep = load_sweep(args.sweep)
    tasks = sweep.tasks()
    wall = {"serial": float("inf"), 1: float("inf"), 2: float("inf")}
    cpu = dict(wall)
    for _ in range(args.repeat):
        seconds, used, reference = timed(run_serial(tasks))
        wall["serial"], cpu["serial"] = min(wall["serial"], seconds), min(cpu["serial"], used)
        for workers in (1, 2):
            seconds, used, digests = timed(run_processes(tasks, workers))
            assert digests == reference, f"{workers} workers changed a result"
            wall[workers], cpu[workers] = min(wall[workers], seconds), min(cpu[workers], used)
    print(
        f"sweep {sweep.name}: {len(tasks)} runs, best of {args.repeat}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for what, label in (("serial", "in-process serial"), (1, "1 worker process"),
                        (2, "2 worker processes")):  # fmt: skip
        print(
            f"{label:<20} {wall[what]:6.2f} s wall  {len(tasks) / wall[what]:6.1f} runs/s  "
            f"{cpu[what]:6.2f} s CPU"
        )
    print(
        f"speed-up, 2 workers over 1: {wall[1] / wall[2]:.2f} (wall), "
        f"CPU cost ratio {cpu[2] / cpu[1]:.2f}"
    )
    print("digests: identical on every executor")


if __name__ == "__main__":
    main()
