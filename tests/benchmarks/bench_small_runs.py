"""Small runs per second: a claim-like scenario of about 200 records, 2 consumers and a few
faults, run over many seeds, against a bare batch-level simpy loop's small runs measured in the
same process (these machines are shared: quote ratios, not absolute times).

    python tests/benchmarks/bench_small_runs.py [--runs N] [--repeat K]

The scenario is validated and prepared ONCE; each run is `sim.run(scenario, seed=s)` (model,
ledger, faults and the checker), as a search or a sweep runs it. The baseline builds a fresh
`simpy.Environment` per run and moves the same records in batches (fetch, a numpy batch of
processing times, commit; no model, no ledger, no faults).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import simpy
from bench_throughput import bare_consumer

from sim import run
from sim.scenario import load_scenario

SCENARIO = Path(__file__).with_name("small-claim.toml")  # also read by test_idle_polls.py


def bare_small_runs_per_s(scenario, runs: int) -> float:
    """The bare loop moving the scenario's records on its consumers, in its batch size."""
    consumers = scenario.group.consumers
    share, batch = scenario.topic.initial_records // consumers, scenario.consumer.max_poll_records
    rng = np.random.Generator(np.random.Philox(1))
    start = time.perf_counter()
    for _ in range(runs):
        env = simpy.Environment()
        for _ in range(consumers):
            env.process(bare_consumer(env, share, batch, rng))
        env.run()
    return runs / (time.perf_counter() - start)


def model_small_runs_per_s(scenario, runs: int, first_seed: int = 1) -> tuple[float, dict]:
    totals = {"crashes": 0, "duplicated_records": 0, "lost": 0, "events": 0}
    start = time.perf_counter()
    for seed in range(first_seed, first_seed + runs):
        result = run(scenario, seed=seed)
        assert result.ok
        metrics = result.report.metrics
        for key in totals:
            totals[key] += getattr(metrics, key)
    return runs / (time.perf_counter() - start), totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)  # validated once, not per seed
    best = {"bare": 0.0, "model": 0.0}
    totals = {}
    for _ in range(args.repeat):
        best["bare"] = max(best["bare"], bare_small_runs_per_s(scenario, args.runs * 4))
        rate, totals = model_small_runs_per_s(scenario, args.runs)
        best["model"] = max(best["model"], rate)
    print(f"bare batch loop:      {best['bare']:>10,.0f} small runs/s")
    print(f"offsim model:         {best['model']:>10,.0f} small runs/s")
    print(f"model / bare loop:    {best['model'] / best['bare']:.3f}")
    per_run = {k: v / args.runs for k, v in totals.items()}
    print("per run: " + " ".join(f"{k}={v:.2f}" for k, v in per_run.items()))


if __name__ == "__main__":
    main()
