"""How time and memory grow with the number of records: the throughput scenario
(bench_throughput.py) at 1e5, 1e6 and 1e7 records, each size in a fresh subprocess so that its
peak resident memory (getrusage maxrss) is its own.

    python tests/benchmarks/bench_growth.py [--sizes 100000,1000000,10000000] [--repeat K]

Prints, per size, the best wall time of `sim.run` (model, ledger, faults and the checker),
records per second, and the child's peak RSS (the interpreter and imports included; the baseline
RSS of a child that only imported offsim is printed beside it), then the slope of log(time)
against log(records) between the last two sizes: 1.0 is linear growth.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {here!r})
from bench_throughput import throughput_scenario
from sim import run
records = int(sys.argv[1])
base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if records:
    scenario = throughput_scenario(records)
    start = time.perf_counter()
    result = run(scenario)
    elapsed = time.perf_counter() - start
    assert result.ok and result.report.metrics.lost == 0
    effects = result.report.metrics.effects
else:
    elapsed, effects = 0.0, 0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "effects": effects, "peak_mb": peak_kb / 1024,
                   "base_mb": base_kb / 1024}}))
"""


def measure(records: int) -> dict:
    here = os.path.dirname(os.path.abspath(__file__))
    code = CHILD.format(here=here)
    out = subprocess.run(
        [sys.executable, "-c", code, str(records)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for records in sizes:
        runs = [measure(records) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        best["peak_mb"] = max(r["peak_mb"] for r in runs)
        rows.append((records, best))
        print(
            f"{records:>12,} records: {best['seconds']:8.3f} s  "
            f"{best['effects'] / best['seconds']:>12,.0f} records/s  "
            f"peak RSS {best['peak_mb']:7.1f} MB (after imports {best['base_mb']:.1f} MB)",
            flush=True,
        )
    if len(rows) >= 2:
        (n0, r0), (n1, r1) = rows[-2], rows[-1]
        slope = math.log(r1["seconds"] / r0["seconds"]) / math.log(n1 / n0)
        print(f"slope of log(time) vs log(records), {n0:,} to {n1:,}: {slope:.3f}")


if __name__ == "__main__":
    main()
