"""Records simulated per second on a 1,000,000-record scenario, against baselines measured in the
same process (these machines are shared: quote ratios, not absolute times).

    python tests/benchmarks/bench_throughput.py [--records N] [--repeat K]

Baselines: raw simpy (two processes exchanging timeouts, events per second) and a bare
batch-level simpy loop (fetch, a numpy batch of processing times, commit; no model, no ledger, no
faults: records per second), the ceiling reports/perf.md measures the model against.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import simpy

from sim import run
from sim.scenario import parse_scenario


def throughput_scenario(records: int):
    """6 partitions, 3 consumers, sync-per-batch, a crash every simulated minute, 6 s session,
    over a window as long as the backlog takes (2 ms a record on 3 consumers)."""
    window_ms = max(60_000, records * 2 // 3)
    return parse_scenario(
        {
            "name": "bench-throughput",
            "run": {"duration_ms": window_ms},
            "topic": {"partitions": 6, "initial_records": records},
            "group": {"consumers": 3, "session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000},
            "strategy": {"name": "sync-per-batch"},
            "faults": [
                {
                    "kind": "crash",
                    "consumer": "random",
                    "rate_per_min": 1.0,
                    "restart_after_ms": 1_000,
                }
            ],
        },
        "<bench>",
    )


def simpy_events_per_s(events: int = 400_000) -> float:
    env = simpy.Environment()

    def ping(env):
        for _ in range(events // 2):
            yield env.timeout(1)

    env.process(ping(env))
    env.process(ping(env))
    start = time.perf_counter()
    env.run()
    return events / (time.perf_counter() - start)


def bare_consumer(env, share: int, batch: int, rng):
    """The bare batch-level loop: fetch, a numpy batch of processing times, commit."""
    position = 0
    while position < share:
        n = min(batch, share - position)
        yield env.timeout(1)  # fetch
        durations = rng.exponential(2000.0, n).astype(np.int64)
        yield env.timeout(int(durations.cumsum()[-1]))  # process
        position += n
        yield env.timeout(1)  # commit


def bare_loop_records_per_s(records: int, batch: int = 500, consumers: int = 3) -> float:
    env = simpy.Environment()
    rng = np.random.Generator(np.random.Philox(1))
    for _ in range(consumers):
        env.process(bare_consumer(env, records // consumers, batch, rng))
    start = time.perf_counter()
    env.run()
    return records / (time.perf_counter() - start)


def model_records_per_s(records: int) -> tuple[float, dict]:
    scenario = throughput_scenario(records)
    start = time.perf_counter()
    result = run(scenario)
    elapsed = time.perf_counter() - start
    summary = result.summary()
    assert result.ok and summary["lost"] == 0
    return summary["effects"] / elapsed, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best = {"simpy": 0.0, "bare": 0.0, "model": 0.0}
    summary = {}
    for _ in range(args.repeat):
        best["simpy"] = max(best["simpy"], simpy_events_per_s())
        best["bare"] = max(best["bare"], bare_loop_records_per_s(args.records))
        rate, summary = model_records_per_s(args.records)
        best["model"] = max(best["model"], rate)
    print(f"raw simpy:            {best['simpy']:>14,.0f} events/s")
    print(f"bare batch loop:      {best['bare']:>14,.0f} records/s")
    print(f"offsim model:         {best['model']:>14,.0f} records/s (effects per wall second)")
    print(f"model / bare loop:    {best['model'] / best['bare']:.3f}")
    print(f"model records per simpy event rate: {best['model'] / best['simpy']:.2f}")
    print(
        f"run: crashes={summary['crashes']} rebalances={summary['rebalances']} "
        f"duplicates={summary['duplicated_records']} events={summary['events']}"
    )


if __name__ == "__main__":
    main()
